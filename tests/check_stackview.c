/* check_stackview: the stack and source panes' plain-C side: local
 * selection (up/down in the stack pane selects a local and what it points
 * to), the stepping granularity key and f, the lines, labels and
 * sentences of the stack pane, the frame the source pane follows, and the
 * source file cache. */
#include "testutil.h"
#include "ui_fixture.h"
#include "ui_frames.h"

#include <errno.h>

#include "ui/stackview.h"
#include "ui/view.h"

static struct model *m;
static uint64_t ptr[5];
static struct view v;
static struct view_layout lay;
static struct ui_frame fr[3];
static int nf;

static void setup(void)
{
	m = fx_linked_list(ptr);
	view_init(&v, false);
	view_layout(&v, 40, 120, &lay);
	nf = fxf_frames(fr, ptr, "samples/linked_list.c");
}

static void teardown(void)
{
	model_free(m);
}

static void seek_to(size_t cur)
{
	struct err e = { 0 };
	v.cur = cur;
	ck_assert_int_eq(model_seek(m, cur, &e), 0);
	view_stepped(&v, m);
}

/* What ui_frames_refresh does: the locals of every frame, in order. */
static void give_locals(void)
{
	uint64_t p[VIEW_LOCALS_MAX];
	bool isp[VIEW_LOCALS_MAX];
	int n = 0;

	for (int i = 0; i < nf; i++)
		for (int j = 0; j < fr[i].nlocals; j++, n++) {
			p[n] = fr[i].locals[j].ptr;
			isp[n] = fr[i].locals[j].is_ptr;
		}
	view_set_locals(&v, m, p, isp, n);
}

static const struct model_region *sel_region(void)
{
	int n;
	return view_region(m, v.sel_region, &n);
}

START_TEST(up_down_in_the_stack_pane_select_a_local_and_its_target)
{
	seek_to(6); /* after the fifth malloc: blocks #1..#5 in use */
	ck_assert_uint_eq(v.sel_id, 5);
	v.focus = VP_STACK;
	give_locals();
	ck_assert_int_eq(v.nlocals, 7);
	ck_assert_int_eq(v.sel_local, -1);
	/* n points to block #5 */
	ck_assert_int_eq(view_key(&v, m, &lay, VK_DOWN), VA_REDRAW);
	ck_assert_int_eq(v.sel_local, 0);
	ck_assert_uint_eq(v.sel_addr, ptr[4]);
	ck_assert_uint_eq(v.sel_id, 5);
	ck_assert_ptr_nonnull(sel_region());
	ck_assert_int_eq(sel_region()->kind, MR_HEAP);
	/* i is no pointer: the heap selection stays */
	view_key(&v, m, &lay, VK_DOWN);
	ck_assert_int_eq(v.sel_local, 1);
	ck_assert_uint_eq(v.sel_id, 5);
	/* head points 8 bytes into block #4: the block is selected */
	view_key(&v, m, &lay, VK_DOWN);
	ck_assert_uint_eq(v.sel_addr, ptr[3]);
	ck_assert_uint_eq(v.sel_id, 4);
	ck_assert(!v.sel_follows);
	/* self points into the stack: the stack region */
	view_key(&v, m, &lay, VK_END);
	ck_assert_int_eq(v.sel_local, 6);
	ck_assert_int_eq(sel_region()->kind, MR_STACK);
	view_key(&v, m, &lay, VK_DOWN);
	ck_assert_int_eq(v.sel_local, 6); /* the last stays */
	view_key(&v, m, &lay, VK_HOME);
	ck_assert_int_eq(v.sel_local, 0);
	view_key(&v, m, &lay, VK_UP);
	ck_assert_int_eq(v.sel_local, 0);
	/* a step back (or forward) shows that event: the selection gives way */
	ck_assert_int_eq(view_key(&v, m, &lay, 'b'), VA_SEEK);
	ck_assert_int_eq(model_seek(m, v.cur, &(struct err){ 0 }), 0);
	view_stepped(&v, m);
	ck_assert_int_eq(v.sel_local, -1);
}
END_TEST

START_TEST(a_pointer_to_a_freed_block_selects_that_freed_block)
{
	seek_to(8); /* two frees: block #1 is freed */
	v.focus = VP_STACK;
	give_locals();
	view_select_local(&v, m, 4); /* old -> freed #1 */
	ck_assert_uint_eq(v.sel_addr, ptr[0]);
	ck_assert_uint_eq(v.sel_id, 1);
	ck_assert_ptr_nonnull(view_selected_block(&v, m));
	ck_assert_int_eq(view_selected_block(&v, m)->state, MB_FREED);
}
END_TEST

START_TEST(new_locals_keep_the_selection_when_it_is_still_there)
{
	seek_to(6);
	give_locals();
	view_select_local(&v, m, 2);
	give_locals();
	ck_assert_int_eq(v.sel_local, 2);
	view_set_locals(&v, m, NULL, NULL, 1);
	ck_assert_int_eq(v.sel_local, -1);
	/* no locals: up/down scroll the pane as before */
	view_set_locals(&v, m, NULL, NULL, 0);
	v.focus = VP_STACK;
	ck_assert_int_eq(view_key(&v, m, &lay, VK_DOWN), VA_REDRAW);
	ck_assert_int_eq(v.scroll[VP_STACK], 1);
	ck_assert_int_eq(v.sel_local, -1);
}
END_TEST

START_TEST(s_cycles_the_granularity_alloc_call_line_in_a_live_run)
{
	view_init(&v, true);
	ck_assert_int_eq(v.gran, VG_ALLOC);
	ck_assert_int_eq(view_key(&v, m, &lay, 's'), VA_GRAN);
	ck_assert_int_eq(v.gran, VG_CALL);
	ck_assert_str_eq(view_gran_name(v.gran), "call");
	ck_assert_ptr_nonnull(strstr(v.message, "by call"));
	ck_assert_int_eq(view_key(&v, m, &lay, 's'), VA_GRAN);
	ck_assert_int_eq(v.gran, VG_LINE);
	ck_assert_ptr_nonnull(strstr(v.message, "by line"));
	ck_assert_int_eq(view_key(&v, m, &lay, 's'), VA_GRAN);
	ck_assert_int_eq(v.gran, VG_ALLOC);
	ck_assert_str_eq(view_gran_name(v.gran), "alloc");
	/* once the program ended there is nothing to step */
	v.program_done = true;
	ck_assert_int_eq(view_key(&v, m, &lay, 's'), VA_REDRAW);
	ck_assert_int_eq(v.gran, VG_ALLOC);
	ck_assert_ptr_nonnull(strstr(v.message, "running program"));
}
END_TEST

START_TEST(s_and_f_in_a_replay_only_say_why_not)
{
	ck_assert_int_eq(view_key(&v, m, &lay, 's'), VA_REDRAW);
	ck_assert_int_eq(v.gran, VG_ALLOC);
	ck_assert_int_eq(view_key(&v, m, &lay, 'f'), VA_REDRAW);
	ck_assert(!v.running);
	ck_assert_ptr_nonnull(strstr(v.message, "no running program"));
}
END_TEST

START_TEST(f_runs_to_the_return_and_any_key_stops_it)
{
	view_init(&v, true);
	ck_assert_int_eq(view_key(&v, m, &lay, 'f'), VA_FINISH);
	ck_assert(v.running);
	ck_assert(v.finishing);
	ck_assert_int_eq(view_key(&v, m, &lay, 'x'), VA_STOP);
	ck_assert(!v.running);
	ck_assert(!v.finishing);
}
END_TEST

START_TEST(pointer_labels_name_what_a_pointer_points_to)
{
	char b[160];

	stackview_label(&fr[0].locals[0], "->", b, sizeof(b));
	ck_assert_str_eq(b, "-> heap #5 +0");
	stackview_label(&fr[0].locals[2], "->", b, sizeof(b));
	ck_assert_str_eq(b, "-> heap #4 +8");
	stackview_label(&fr[0].locals[3], "->", b, sizeof(b));
	ck_assert_str_eq(b, "-> \"hello\" in .rodata");
	stackview_label(&fr[0].locals[4], "->", b, sizeof(b));
	ck_assert_str_eq(b, "-> freed #1 (dangling)");
	stackview_label(&fr[0].locals[5], "\xe2\x86\x92", b, sizeof(b));
	ck_assert_str_eq(b, "\xe2\x86\x92 NULL");
	stackview_label(&fr[0].locals[6], "->", b, sizeof(b));
	ck_assert_str_eq(b, "-> local i in main (frame #0)");
	stackview_label(&fr[0].locals[1], "->", b, sizeof(b));
	ck_assert_str_eq(b, ""); /* an int has no label */
	fxf_local(&fr[0].locals[1], "counter", "int *", 0x555555558010, UI_PT_BSS, 0, "counter");
	stackview_label(&fr[0].locals[1], "->", b, sizeof(b));
	ck_assert_str_eq(b, "-> counter in .bss");
}
END_TEST

START_TEST(the_sentence_says_where_the_local_lives_and_where_it_points)
{
	char b[300];

	stackview_sentence(&fr[0].locals[0], "main", b, sizeof(b));
	ck_assert_str_eq(b, "n is on the stack in main; it points to block #5 on the heap");
	stackview_sentence(&fr[0].locals[2], "main", b, sizeof(b));
	ck_assert_str_eq(b, "head is on the stack in main; it points 8 bytes into block #4 on the heap");
	stackview_sentence(&fr[0].locals[1], "main", b, sizeof(b));
	ck_assert_str_eq(b, "i is on the stack in main; it is an int holding 5");
	stackview_sentence(&fr[0].locals[4], "main", b, sizeof(b));
	ck_assert_ptr_nonnull(strstr(b, "block #1, which was freed: a dangling pointer"));
	stackview_sentence(&fr[0].locals[3], "main", b, sizeof(b));
	ck_assert_ptr_nonnull(strstr(b, "the string literal \"hello\" in .rodata: read-only, not on the heap"));
	stackview_sentence(&fr[0].locals[5], "main", b, sizeof(b));
	ck_assert_str_eq(b, "none is on the stack in main; it is NULL: it points nowhere");
	fr[0].locals[1].param = true;
	stackview_sentence(&fr[0].locals[1], "fact", b, sizeof(b));
	ck_assert_str_eq(b, "i is a parameter, on the stack in fact; it is an int holding 5");
}
END_TEST

START_TEST(stack_lines_put_a_label_beside_its_local_or_below_when_narrow)
{
	struct stack_line l[64];
	int n = stackview_lines(fr, nf, 80, l, 64), labels = 0;
	char b[200];

	/* main, 7 locals, then two frames, the second with its note */
	ck_assert_int_eq(n, 1 + 7 + 1 + 1 + 1);
	ck_assert_int_eq(l[0].kind, SL_FRAME);
	ck_assert_int_eq(l[1].kind, SL_LOCAL);
	ck_assert_int_eq(l[1].local, 0);
	ck_assert(l[1].label_inline);
	ck_assert(!l[2].label_inline); /* i: no label */
	ck_assert_int_eq(l[8].kind, SL_FRAME);
	ck_assert_int_eq(l[8].frame, 1);
	ck_assert_int_eq(l[10].kind, SL_NOTE);
	ck_assert_int_eq(l[10].frame, 2);
	/* at 26 columns every label takes a line of its own */
	n = stackview_lines(fr, nf, 26, l, 64);
	for (int i = 0; i < n; i++)
		labels += l[i].kind == SL_LABEL;
	ck_assert_int_eq(labels, 6);
	ck_assert_int_eq(n, 11 + 6);
	ck_assert_int_eq(l[2].kind, SL_LABEL);
	ck_assert_int_eq(l[2].local, 0);
	/* a local reads as C declares it when it fits, value first when not */
	stackview_local_text(&fr[0].locals[0], 80, b, sizeof(b));
	ck_assert_str_eq(b, "  struct node *n = 0x5555555590c8");
	stackview_local_text(&fr[0].locals[0], 26, b, sizeof(b));
	ck_assert_str_eq(b, "  n = 0x5555555590c8  struct node *");
	stackview_local_text(&fr[0].locals[1], 80, b, sizeof(b));
	ck_assert_str_eq(b, "  int i = 5");
	/* the cap: lines stop at max */
	ck_assert_int_eq(stackview_lines(fr, nf, 80, l, 4), 4);
}
END_TEST

START_TEST(the_source_pane_follows_the_selected_locals_frame)
{
	int j;

	ck_assert_int_eq(stackview_source_frame(fr, nf, -1), 0);
	ck_assert_int_eq(stackview_local_frame(fr, nf, 6, &j), 0);
	ck_assert_int_eq(j, 6);
	ck_assert_int_eq(stackview_local_frame(fr, nf, 7, &j), -1);
	/* a caller with its own locals: local 7 is in frame 1 */
	snprintf(fr[1].path, sizeof(fr[1].path), "samples/recursion.c");
	fr[1].line = 27;
	fxf_local(&fr[1].locals[0], "r", "long", 120, UI_PT_NONE, 0, NULL);
	fr[1].nlocals = 1;
	ck_assert_int_eq(stackview_local_frame(fr, nf, 7, &j), 1);
	ck_assert_int_eq(j, 0);
	ck_assert_int_eq(stackview_source_frame(fr, nf, 7), 1);
	ck_assert_int_eq(stackview_source_frame(fr, nf, 3), 0);
	/* no frame with a source path */
	fr[0].path[0] = fr[1].path[0] = '\0';
	ck_assert_int_eq(stackview_source_frame(fr, nf, -1), -1);
}
END_TEST

START_TEST(a_source_file_is_read_once_and_split_into_lines)
{
	struct srcfile s = { 0 };
	size_t len;
	const char *t;
	char expect[128];
	FILE *f = fopen("samples/linked_list.c", "r");
	int n = 0;

	ck_assert_ptr_nonnull(f);
	while (n < 18 && fgets(expect, sizeof(expect), f))
		n++;
	fclose(f);
	expect[strcspn(expect, "\n")] = '\0';
	ck_assert_int_eq(srcfile_load(&s, "samples/linked_list.c"), 0);
	t = srcfile_line(&s, 18, &len);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(len, strlen(expect));
	ck_assert(memcmp(t, expect, len) == 0);
	ck_assert_ptr_nonnull(strstr(expect, "malloc"));
	ck_assert_ptr_null(srcfile_line(&s, s.nlines + 1, &len));
	ck_assert_ptr_null(srcfile_line(&s, 0, &len));
	/* the same path again: nothing is read */
	t = s.text;
	ck_assert_int_eq(srcfile_load(&s, "samples/linked_list.c"), 0);
	ck_assert_ptr_eq(s.text, t);
	/* a missing file: -1 with the reason, asked once */
	ck_assert_int_eq(srcfile_load(&s, "no/such/file.c"), -1);
	ck_assert_int_eq(s.err, ENOENT);
	ck_assert_int_eq(srcfile_load(&s, "no/such/file.c"), -1);
	srcfile_free(&s);
}
END_TEST

static Suite *stackview_suite(void)
{
	Suite *s = suite_create("stackview");
	TCase *tc = tcase_create("stackview");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, up_down_in_the_stack_pane_select_a_local_and_its_target);
	tcase_add_test(tc, a_pointer_to_a_freed_block_selects_that_freed_block);
	tcase_add_test(tc, new_locals_keep_the_selection_when_it_is_still_there);
	tcase_add_test(tc, s_cycles_the_granularity_alloc_call_line_in_a_live_run);
	tcase_add_test(tc, s_and_f_in_a_replay_only_say_why_not);
	tcase_add_test(tc, f_runs_to_the_return_and_any_key_stops_it);
	tcase_add_test(tc, pointer_labels_name_what_a_pointer_points_to);
	tcase_add_test(tc, the_sentence_says_where_the_local_lives_and_where_it_points);
	tcase_add_test(tc, stack_lines_put_a_label_beside_its_local_or_below_when_narrow);
	tcase_add_test(tc, the_source_pane_follows_the_selected_locals_frame);
	tcase_add_test(tc, a_source_file_is_read_once_and_split_into_lines);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(stackview_suite());
}
