/* check_cli: the command-line conventions every command shares: --help,
 * --version, unknown options and commands, exit statuses, and that every
 * option in --help is documented in man/memlens.1. */
#include "testutil.h"

START_TEST(help_prints_usage_and_exits_0)
{
	struct run r = tu_sh(10, "%s --help", tu_memlens());
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "Usage: memlens"));
	ck_assert_ptr_nonnull(strstr(r.out, "layout"));
	tu_run_free(&r);
}
END_TEST

START_TEST(version_prints_version)
{
	struct run r = tu_sh(10, "%s --version", tu_memlens());
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "memlens "));
	tu_run_free(&r);
}
END_TEST

START_TEST(unknown_option_is_usage_error)
{
	struct run r = tu_sh(10, "%s --frobnicate", tu_memlens());
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "memlens: unrecognized option '--frobnicate'"));
	ck_assert_ptr_nonnull(strstr(r.err, "--help"));
	ck_assert_str_eq(r.out, "");
	tu_run_free(&r);
}
END_TEST

START_TEST(no_arguments_prints_usage_on_stderr)
{
	struct run r = tu_sh(10, "%s", tu_memlens());
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "Usage: memlens"));
	tu_run_free(&r);
}
END_TEST

/* Every long option that --help names must appear in the man page, and the
 * man page must be free of groff warnings. */
START_TEST(every_help_option_is_in_the_man_page)
{
	struct run h = tu_sh(10, "%s --help", tu_memlens());
	char *man = tu_slurp("man/memlens.1");
	int found = 0;

	for (char *p = h.out; (p = strstr(p, "--")) != NULL; p += 2) {
		char opt[64], esc[128];
		size_t n = 0, k = 0;
		while (n < sizeof(opt) - 1 && (p[n] == '-' || (p[n] >= 'a' && p[n] <= 'z')))
			opt[n] = p[n], n++;
		opt[n] = '\0';
		if (n <= 2)
			continue;
		/* groff writes "--json" as "\-\-json" */
		for (size_t i = 0; i < n; i++) {
			if (opt[i] == '-')
				esc[k++] = '\\';
			esc[k++] = opt[i];
		}
		esc[k] = '\0';
		if (!strstr(man, esc))
			ck_abort_msg("option %s from --help is not in man/memlens.1", opt);
		found++;
	}
	ck_assert_int_ge(found, 3);
	free(man);
	tu_run_free(&h);
}
END_TEST

START_TEST(man_page_has_no_groff_warnings)
{
	struct run r = tu_sh(20, "command -v groff >/dev/null || exit 77; "
				 "groff -man -ww -z man/memlens.1 2>&1");
	if (r.status == 77) {
		tu_run_free(&r);
		return; /* groff is not installed here */
	}
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(r.out[0] == '\0', "groff warns: %s", r.out);
	tu_run_free(&r);
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("conventions");

	tcase_add_test(tc, help_prints_usage_and_exits_0);
	tcase_add_test(tc, version_prints_version);
	tcase_add_test(tc, unknown_option_is_usage_error);
	tcase_add_test(tc, no_arguments_prints_usage_on_stderr);
	tcase_add_test(tc, every_help_option_is_in_the_man_page);
	tcase_add_test(tc, man_page_has_no_groff_warnings);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(cli_suite());
}
