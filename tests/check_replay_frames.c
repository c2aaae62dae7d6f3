/* check_replay_frames: frames and locals in replay.  A trace recorded with
 * `memlens trace --frames --json -o F samples/linked_list` gives the replay
 * screen main's frame and its locals at every event that has them, with
 * pointers labelled by heap block, earlier events included (stepping back
 * shows the earlier locals); the stack pane draws them; a trace without
 * frames says how to record them; the JSON conversion refuses what is not
 * a frames array and counts locals past the screen's limit. */
#include "testutil.h"
#include "vscreen.h"

#include <curses.h>
#include <locale.h>

#include "cli/replay_src.h"
#include "cli/uiframe.h"
#include "ui/draw.h"

static char path[64];

/* Records linked_list with --frames once per test process. */
static void record(const char *opts)
{
	struct run r;

	snprintf(path, sizeof(path), "/tmp/memlens-frames-%d.jsonl", (int)getpid());
	r = tu_sh(30, "%s trace %s --json -o %s samples/linked_list", tu_memlens(), opts, path);
	ck_assert_msg(r.status == 0, "%s", r.err);
	tu_run_free(&r);
}

/* The index of the k-th (1-based) event of `type` in the model. */
static size_t nth_event(const struct model *m, enum model_ev_type type, int k)
{
	for (size_t i = 0; i < model_event_count(m); i++)
		if (model_event(m, i)->type == type && --k == 0)
			return i;
	ck_abort_msg("no such event");
	return 0;
}

static const struct ui_local *local_named(const struct ui_frame *f, const char *name)
{
	for (int i = 0; i < f->nlocals; i++)
		if (strcmp(f->locals[i].name, name) == 0)
			return &f->locals[i];
	ck_abort_msg("no local %s in %s", name, f->func);
	return NULL;
}

START_TEST(replay_gives_the_recorded_frames_at_any_event)
{
	struct replay_src rs;
	struct err e = { 0 };
	struct ui_frame fr[8];
	const struct ui_local *head, *n;
	size_t second, first;
	int nf;

	record("--frames");
	ck_assert_int_eq(replay_src_open(&rs, path, &e), 0);
	ck_assert_ptr_nonnull(rs.src.frames);
	ck_assert(rs.src.frames_recorded);
	/* at the second malloc: head points to block #1 */
	second = nth_event(rs.m, MEV_MALLOC, 2);
	nf = rs.src.frames(rs.src.ctx, fr, 8, second);
	ck_assert_int_ge(nf, 2);
	ck_assert_str_eq(fr[0].func, "main");
	ck_assert_str_eq(fr[0].path, "samples/linked_list.c");
	ck_assert_int_eq(fr[0].line, 18);
	ck_assert_uint_gt(fr[0].size, 0);
	head = local_named(&fr[0], "head");
	ck_assert(head->is_ptr && head->available);
	ck_assert_int_eq(head->kind, UI_PT_HEAP);
	ck_assert_uint_eq(head->block, 1);
	ck_assert_uint_eq(head->ptr, model_event(rs.m, nth_event(rs.m, MEV_MALLOC, 1))->result);
	ck_assert_str_eq(local_named(&fr[0], "i")->value, "2");
	/* an earlier event: the first malloc, before head was set */
	first = nth_event(rs.m, MEV_MALLOC, 1);
	nf = rs.src.frames(rs.src.ctx, fr, 8, first);
	ck_assert_int_ge(nf, 1);
	n = local_named(&fr[0], "head");
	ck_assert_uint_eq(n->ptr, 0);
	ck_assert_int_eq(n->kind, UI_PT_NULL);
	ck_assert_str_eq(local_named(&fr[0], "i")->value, "1");
	/* the exit has none: the process is gone */
	ck_assert_int_eq(rs.src.frames(rs.src.ctx, fr, 8, model_event_count(rs.m) - 1), 0);
	replay_src_close(&rs);
	unlink(path);
}
END_TEST

static void screen_at(struct replay_src *rs, size_t k, int rows, int cols, char *out)
{
	struct ui_opts o = { .color = UI_COLOR_NEVER, .ascii = true, .title = "frames" };
	struct err e = { 0 };
	struct ui u;
	FILE *fo = fopen("/dev/null", "w"), *fi = fopen("/dev/null", "r");
	SCREEN *scr;

	ck_assert_int_eq(ui_init(&u, &o, rs->m, &rs->src, &e), 0);
	scr = newterm("xterm", fo, fi);
	ck_assert_ptr_nonnull(scr);
	resizeterm(rows, cols);
	u.v.cur = k;
	ck_assert_int_eq(model_seek(rs->m, k, &e), 0);
	view_stepped(&u.v, rs->m);
	ui_draw(&u);
	vs_read(out, 0);
	endwin();
	delscreen(scr);
	fclose(fo);
	fclose(fi);
	ui_fini(&u);
}

#define HAS(s, needle)                                                     \
	do {                                                               \
		if (!strstr((s), (needle))) {                              \
			fprintf(stderr, "%s", (s));                        \
			ck_abort_msg("screen lacks '%s'", (needle));       \
		}                                                          \
	} while (0)

START_TEST(the_stack_pane_draws_recorded_frames_and_locals)
{
	static char s[200 * 100 + 1];
	struct replay_src rs;
	struct err e = { 0 };

	record("--frames");
	ck_assert_int_eq(replay_src_open(&rs, path, &e), 0);
	screen_at(&rs, nth_event(rs.m, MEV_MALLOC, 2) + 1, 40, 120, s);
	HAS(s, "frames, innermost first");
	HAS(s, "#0 main  linked_list.c:18");
	HAS(s, "struct node *head = 0x");
	HAS(s, "-> heap #1 +0");
	HAS(s, "#1 __libc_start_call_main");
	/* the source pane follows the recorded frame */
	HAS(s, "Source: linked_list.c:18");
	replay_src_close(&rs);
	unlink(path);
}
END_TEST

START_TEST(a_trace_without_frames_says_how_to_record_them)
{
	static char s[200 * 100 + 1];
	struct replay_src rs;
	struct err e = { 0 };

	record("");
	ck_assert_int_eq(replay_src_open(&rs, path, &e), 0);
	ck_assert_ptr_null(rs.src.frames);
	screen_at(&rs, nth_event(rs.m, MEV_MALLOC, 2) + 1, 40, 120, s);
	HAS(s, "no frames recorded (trace --frames)");
	replay_src_close(&rs);
	unlink(path);
}
END_TEST

START_TEST(json_frames_conversion_refuses_non_arrays_and_counts_extra_locals)
{
	struct ui_frame f[2];
	char text[8192];
	int n = snprintf(text, sizeof(text), "[{\"func\":null,\"file\":null,\"line\":0,\"pc\":1,"
			 "\"cfa\":null,\"size\":0,\"object\":\"libc.so.6\",\"locals\":[");

	ck_assert_int_eq(uiframe_from_json("{}", 2, f, 2), -1);
	ck_assert_int_eq(uiframe_from_json("[1,", 3, f, 2), -1);
	ck_assert_int_eq(uiframe_from_json("[]", 2, f, 2), 0);
	for (int i = 0; i < UI_LOCALS_MAX + 3; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%s{\"name\":\"v%d\",\"type\":\"int\","
			      "\"addr\":null,\"size\":4,\"value\":\"<optimized out>\"}", i ? "," : "", i);
	n += snprintf(text + n, sizeof(text) - (size_t)n, "]},{\"func\":\"g\",\"locals\":[]},{\"func\":\"h\"}]");
	ck_assert_int_eq(uiframe_from_json(text, (size_t)n, f, 2), 2); /* at most max */
	ck_assert_str_eq(f[0].func, "??");
	ck_assert(!f[0].own);
	ck_assert_int_eq(f[0].nlocals, UI_LOCALS_MAX);
	ck_assert_int_eq(f[0].more, 3);
	ck_assert(!f[0].locals[0].available);
	ck_assert(!f[0].locals[0].is_ptr);
	ck_assert_str_eq(f[1].func, "g");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("replay_frames");
	TCase *tc = tcase_create("replay_frames");

	setlocale(LC_CTYPE, "C");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, replay_gives_the_recorded_frames_at_any_event);
	tcase_add_test(tc, the_stack_pane_draws_recorded_frames_and_locals);
	tcase_add_test(tc, a_trace_without_frames_says_how_to_record_them);
	tcase_add_test(tc, json_frames_conversion_refuses_non_arrays_and_counts_extra_locals);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
