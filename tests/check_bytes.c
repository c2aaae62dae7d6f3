/* check_bytes: block contents at free (trace_opts.bytes, RING_MODE_BYTES).
 * tests/targets/t_bytes fills blocks with known bytes and gives them back;
 * during on_event, trace_event_bytes must hand out exactly those bytes for
 * each free and each realloc that freed or moved its block, in both
 * allocators, in run and in step mode; nothing without the option, for a
 * realloc in place, for free(NULL), or for a misused pointer. */
#include <limits.h>

#include "model/model.h"
#include "testutil.h"
#include "trace/trace.h"

#define TARGET "tests/targets/t_bytes"

static char marker[64];

static void setup(void)
{
	snprintf(marker, sizeof(marker), "mlb%d", (int)getpid());
}

/* Bytes of each t_bytes block that the program wrote (by tag). */
static size_t asked(unsigned tag)
{
	switch (tag) {
	case 0x11: return 40;
	case 0x22: return 100;
	case 0x33: return 24;
	case 0x44: return 32; /* after it shrank */
	case 0x55: return 48;
	case 0x66: return 32;
	case 0x77: return 64;
	default: return 0;
	}
}

/* What on_event saw, per tag (the first byte of a t_bytes block). */
struct seen {
	struct trace *t;
	size_t n[256];       /* bytes handed out for the block with that tag */
	int frees[256];      /* MEV_FREE events that carried bytes of that tag */
	int reallocs[256];   /* MEV_REALLOC events that did */
	int bad[256];        /* of the bytes the program wrote, those that differ */
	int with_bytes;      /* events with any bytes */
	int errors;          /* MEV_ERROR events */
	int errors_with_bytes;
	int over_max;        /* counts above TRACE_BYTES_MAX */
};

static void on_event(void *ctx, struct model *m, const struct model_event *ev)
{
	struct seen *s = ctx;
	const unsigned char *b = NULL;
	size_t n = trace_event_bytes(s->t, &b);

	(void)m;
	if (ev->type == MEV_ERROR) {
		s->errors++;
		s->errors_with_bytes += n != 0;
	}
	if (!n)
		return;
	ck_assert_ptr_nonnull(b);
	s->with_bytes++;
	s->over_max += n > TRACE_BYTES_MAX;
	unsigned tag = b[0];
	if (!asked(tag))
		return; /* the wall block, or the program's own */
	s->frees[tag] += ev->type == MEV_FREE;
	s->reallocs[tag] += ev->type == MEV_REALLOC;
	if (ev->type == MEV_REALLOC || !s->n[tag])
		s->n[tag] = n;
	for (size_t i = 0; i < n && i < asked(tag); i++)
		if (b[i] != (unsigned char)(tag + i))
			s->bad[tag]++;
}

static void run_status(struct seen *s, enum trace_alloc alloc, bool bytes, bool step,
		       const char *mode, int status)
{
	struct model_opts mo = { .keep_history = false, .teach = alloc == TRACE_ALLOC_TEACH };
	struct model *m = model_new(&mo);
	char *argv[] = { TARGET, (char *)mode, marker, NULL };
	struct trace_opts o = { .argv = argv, .alloc = alloc, .shim = tu_shim_path(), .step = step,
				.bytes = bytes, .on_event = on_event, .ctx = s };
	struct err e = { 0 };
	struct model_event ev;
	int rc;

	memset(s, 0, sizeof(*s));
	s->t = trace_start(&o, m, &e);
	ck_assert_msg(s->t != NULL, "trace_start: %s", e.msg);
	if (step) {
		while ((rc = trace_step(s->t, &ev, &e)) == 1)
			;
		ck_assert_msg(rc == 0, "trace_step: %s", e.msg);
	} else {
		ck_assert_msg(trace_run(s->t, &e) == 0, "trace_run: %s", e.msg);
	}
	ck_assert(trace_ended(s->t));
	ck_assert_int_eq(trace_exit_status(s->t), status);
	trace_free(s->t);
	model_free(m);
	tu_assert_marker_gone(marker);
}

static void run(struct seen *s, enum trace_alloc alloc, bool bytes, bool step, const char *mode)
{
	run_status(s, alloc, bytes, step, mode, 0);
}

/* The blocks t_bytes gives back, each with the bytes it was filled with:
 * n is the block's usable size capped at TRACE_BYTES_MAX, so at least
 * what the program asked for (or the cap). */
static void assert_contents(const struct seen *s)
{
	static const unsigned tags[] = { 0x11, 0x22, 0x33, 0x44, 0x55 };

	ck_assert_int_eq(s->over_max, 0);
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		unsigned k = tags[i];
		size_t want = asked(k) < TRACE_BYTES_MAX ? asked(k) : TRACE_BYTES_MAX;
		ck_assert_msg(s->n[k] >= want, "tag 0x%x: %zu bytes, want %zu", k, s->n[k], want);
		ck_assert_msg(s->bad[k] == 0, "tag 0x%x: %d bytes differ", k, s->bad[k]);
	}
	ck_assert_uint_eq(s->n[0x22], TRACE_BYTES_MAX);
	ck_assert_int_eq(s->frees[0x11], 1);
	ck_assert_int_eq(s->reallocs[0x11], 0);
	ck_assert_int_eq(s->frees[0x22], 1);
	/* the realloc that moved it, then the free of its copy at the end */
	ck_assert_int_eq(s->reallocs[0x33], 1);
	ck_assert_int_eq(s->frees[0x33], 1);
	/* resized in place: no bytes then, only at its free */
	ck_assert_int_eq(s->reallocs[0x44], 0);
	ck_assert_int_eq(s->frees[0x44], 1);
	/* realloc(p, 0) frees it */
	ck_assert_int_eq(s->reallocs[0x55], 1);
	ck_assert_int_eq(s->frees[0x55], 0);
}

START_TEST(free_and_realloc_carry_the_blocks_bytes_teach)
{
	struct seen s;

	run(&s, TRACE_ALLOC_TEACH, true, false, "ok");
	assert_contents(&s);
}
END_TEST

START_TEST(free_and_realloc_carry_the_blocks_bytes_libc)
{
	struct seen s;

	run(&s, TRACE_ALLOC_LIBC, true, false, "ok");
	assert_contents(&s);
}
END_TEST

/* Step mode queues events: the bytes travel with their event. */
START_TEST(step_mode_hands_out_the_same_bytes)
{
	struct seen s;

	run(&s, TRACE_ALLOC_TEACH, true, true, "ok");
	assert_contents(&s);
}
END_TEST

START_TEST(without_the_option_no_event_has_bytes)
{
	struct seen s;

	run(&s, TRACE_ALLOC_LIBC, false, false, "ok");
	ck_assert_int_eq(s.with_bytes, 0);
	run(&s, TRACE_ALLOC_TEACH, false, false, "misuse");
	ck_assert_int_eq(s.with_bytes, 0);
	ck_assert_int_ge(s.errors, 2);
}
END_TEST

/* A double free and a free into the middle of a block are reported and
 * ignored: no bytes are read through them. */
START_TEST(misused_pointers_record_no_bytes_teach)
{
	struct seen s;

	run(&s, TRACE_ALLOC_TEACH, true, false, "misuse");
	assert_contents(&s);
	ck_assert_int_eq(s.errors, 2);
	ck_assert_int_eq(s.errors_with_bytes, 0);
	ck_assert_int_eq(s.frees[0x66], 1); /* the first free only */
	ck_assert_int_eq(s.bad[0x66], 0);
	ck_assert_int_eq(s.frees[0x77], 1); /* its own free, not the interior one */
	ck_assert_int_eq(s.bad[0x77], 0);
}
END_TEST

/* libc mode with --bytes: an invalid free still ends as glibc ends it
 * (its own message, SIGABRT), as without memlens, and what the program
 * did before is recorded. */
START_TEST(an_invalid_free_in_libc_mode_is_left_to_glibc)
{
	struct seen s;

	run_status(&s, TRACE_ALLOC_LIBC, true, false, "badfree", 128 + SIGABRT);
	ck_assert_int_eq(s.frees[0x11], 1); /* what came before was recorded */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bytes");
	TCase *tc = tcase_create("bytes");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, free_and_realloc_carry_the_blocks_bytes_teach);
	tcase_add_test(tc, free_and_realloc_carry_the_blocks_bytes_libc);
	tcase_add_test(tc, step_mode_hands_out_the_same_bytes);
	tcase_add_test(tc, without_the_option_no_event_has_bytes);
	tcase_add_test(tc, misused_pointers_record_no_bytes_teach);
	tcase_add_test(tc, an_invalid_free_in_libc_mode_is_left_to_glibc);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
