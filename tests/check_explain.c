/* check_explain: the sentences a student reads for signals.  A crash is
 * called a crash and names what lay at the address; an ordinary signal
 * (SIGCHLD from a child, SIGALRM) is not, and a continue goes past it. */
#include <signal.h>

#include "testutil.h"
#include "ui/explain.h"

static struct model *signal_model(uint32_t signo, uint64_t addr, struct model_event *out)
{
	struct model_opts o = { .keep_history = true };
	struct model *m = model_new(&o);
	struct model_event ev = { .type = MEV_SIGNAL, .tid = 1, .seq = 1, .error = signo, .aux = addr };

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(model_apply(m, &ev, NULL), 0);
	*out = ev;
	return m;
}

START_TEST(sigchld_is_a_notice_not_a_crash)
{
	struct model_event ev;
	struct model *m = signal_model(SIGCHLD, 0, &ev);
	char buf[512];

	explain_sentence(m, &ev, NULL, NULL, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "SIGCHLD") && strstr(buf, "not a crash"), "said: %s", buf);
	ck_assert_ptr_null(strstr(buf, "crashed"));
	explain_event(&ev, buf, sizeof(buf));
	ck_assert_str_eq(buf, "SIGCHLD");
	ck_assert(!model_signal_is_crash(SIGCHLD));
	model_free(m);
}
END_TEST

START_TEST(sigsegv_at_null_is_a_crash_on_the_null_page)
{
	struct model_event ev;
	struct model *m = signal_model(SIGSEGV, 0x10, &ev);
	char buf[512];

	explain_sentence(m, &ev, NULL, NULL, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "crashed with SIGSEGV") && strstr(buf, "NULL"), "said: %s", buf);
	explain_event(&ev, buf, sizeof(buf));
	ck_assert_str_eq(buf, "SIGSEGV at 0x10");
	ck_assert(model_signal_is_crash(SIGSEGV) && model_signal_has_addr(SIGSEGV));
	model_free(m);
}
END_TEST

START_TEST(sigabrt_is_a_crash_without_an_address)
{
	struct model_event ev;
	struct model *m = signal_model(SIGABRT, 0, &ev);
	char buf[512];

	explain_sentence(m, &ev, NULL, NULL, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "aborted with SIGABRT") && strstr(buf, "abort()"), "said: %s", buf);
	ck_assert(model_signal_is_crash(SIGABRT) && !model_signal_has_addr(SIGABRT));
	model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("explain");
	TCase *tc = tcase_create("signals");

	tcase_add_test(tc, sigchld_is_a_notice_not_a_crash);
	tcase_add_test(tc, sigsegv_at_null_is_a_crash_on_the_null_page);
	tcase_add_test(tc, sigabrt_is_a_crash_without_an_address);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
