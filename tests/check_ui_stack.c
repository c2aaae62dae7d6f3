/* check_ui_stack: the stack and source panes rendered into a virtual
 * terminal (newterm on /dev/null), with frames handed in through the
 * ui_source frames callback as a live run does: the locals with their
 * pointer labels, the selected local's target highlighted in the heap
 * list, the sentence, the source lines around the current one, the
 * fallbacks (no source file, no debug info), at 120x40 and 80x24. */
#include "testutil.h"
#include "ui_fixture.h"
#include "vscreen.h"
#include "ui_frames.h"

#include <curses.h>

#include "ui/draw.h"

static struct model *m;
static uint64_t ptr[5];
static struct ui u;
static struct ui_source src;
static struct vs_term vt;
static char screen[200 * 100 + 1];
static struct ui_frame frames[8];
static int nframes, asked;

static int frames_cb(void *ctx, struct ui_frame *f, int max, size_t event)
{
	(void)ctx;
	ck_assert_uint_eq(event + 1, model_event_count(m)); /* only the newest */
	asked++;
	if (max > nframes)
		max = nframes;
	memcpy(f, frames, (size_t)max * sizeof(*f));
	return max;
}

/* The fixture's start and five mallocs: stopped at the fifth; `file` is
 * the call site's source file (NULL: built without -g). */
static void start(int rows, int cols, const char *path, const char *file)
{
	struct ui_opts o = { .color = UI_COLOR_NEVER, .ascii = true, .title = "linked_list" };
	struct model_opts mo = { .keep_history = true, .teach = true };
	struct model_site site = { UINT64_C(0x5555555551c9), "main", 0x40, file, file ? 18 : 0, NULL };
	struct err e = { 0 };
	struct fx f;

	m = model_new(&mo);
	fx_start(&f, m);
	f.site_push = model_site_intern(m, &site);
	for (int i = 0; i < 5; i++)
		ptr[i] = fx_malloc(&f, 40);
	nframes = fxf_frames(frames, ptr, path);
	asked = 0;
	memset(&src, 0, sizeof(src));
	src.frames = frames_cb;
	src.poll_fd = src.out_fd = -1;
	ck_assert_int_eq(ui_init(&u, &o, m, &src, &e), 0);
	vs_open(&vt, rows, cols);
	ui_colors_start(&u);
	u.v.cur = model_event_count(m);
	ck_assert_int_eq(model_seek(m, u.v.cur, &e), 0);
	view_stepped(&u.v, m);
}

static void stop(void)
{
	vs_close(&vt);
	ui_fini(&u);
	model_free(m);
}

static const char *redraw(void)
{
	ui_draw(&u);
	return vs_read(screen, u.v.cur);
}

static enum view_action key(int k)
{
	return view_key(&u.v, m, &u.lay, k);
}

#define HAS VS_HAS

/* Whether the heap list's line of block #id is drawn selected (reverse
 * video in mono mode). */
static bool block_selected(int id)
{
	char needle[16];
	int rows, cols;

	snprintf(needle, sizeof(needle), "#%-4d ", id);
	getmaxyx(stdscr, rows, cols);
	for (int y = 0; y < rows; y++) {
		char line[256];
		const char *at;
		mvinnstr(y, 0, line, cols < 255 ? cols : 255);
		if ((at = strstr(line, needle)) && strstr(line, "in use")) {
			int x = (int)(at - line);
			return (mvinch(y, x + 1) & A_REVERSE) != 0;
		}
	}
	ck_abort_msg("no line for block #%d", id);
	return false;
}

START_TEST(at_120x40_the_stack_pane_lists_locals_with_their_labels)
{
	const char *s;

	start(40, 120, "samples/linked_list.c", "linked_list.c");
	s = redraw();
	ck_assert_int_eq(asked, 1);
	HAS(s, "frames, innermost first");
	HAS(s, "#0 main  linked_list.c:18");
	HAS(s, "int i = 5");
	HAS(s, "n = 0x5555555590c8");         /* narrow: the value before the type */
	HAS(s, "-> heap #5 +0");
	HAS(s, "-> heap #4 +8");
	HAS(s, "-> \"hello\" in .rodata");
	HAS(s, "-> freed #1 (dangling)");
	HAS(s, "-> NULL");
	HAS(s, "-> local i in main");
	HAS(s, "#1 __libc_start_call_main");
	HAS(s, "#2 _start");
	HAS(s, "no debug info");
	/* drawn again at the same stop: the frames are not asked again */
	redraw();
	ck_assert_int_eq(asked, 1);
	stop();
}
END_TEST

START_TEST(selecting_a_pointer_local_highlights_its_block_and_says_where_it_points)
{
	const char *s;

	start(40, 120, "samples/linked_list.c", "linked_list.c");
	redraw();
	ck_assert(block_selected(5)); /* the block the malloc made */
	ck_assert_int_eq(key('3'), VA_REDRAW);
	ck_assert_int_eq(key(VK_DOWN), VA_REDRAW); /* n */
	s = redraw();
	HAS(s, "n is on the stack in main; it points to block #5 on the heap");
	ck_assert(block_selected(5));
	key(VK_DOWN);
	key(VK_DOWN); /* head: 8 bytes into block #4 */
	s = redraw();
	HAS(s, "head is on the stack in main; it points 8 bytes into block #4 on the heap");
	ck_assert(block_selected(4));
	ck_assert(!block_selected(5));
	key(VK_DOWN); /* msg: a literal, the heap selection stays */
	s = redraw();
	HAS(s, "the string literal \"hello\" in .rodata");
	ck_assert(block_selected(4));
	/* the map's selected region: the one that holds msg (rodata) */
	ck_assert_int_ge(u.v.sel_region, 0);
	stop();
}
END_TEST

START_TEST(the_source_pane_shows_the_current_line_and_its_neighbours)
{
	const char *s;

	start(40, 120, "samples/linked_list.c", "linked_list.c");
	s = redraw();
	HAS(s, "Source: linked_list.c:18");  /* "in main" when it fits */
	HAS(s, "> 18         struct node *n");
	HAS(s, "  17     for (int i = 1; i <= 5; i++) {"); /* the whole line fits */
	HAS(s, "  19         if (!n)");
	/* a line longer than the pane ends in the marker, not silently */
	HAS(s, "  22         n->next = head;        /* p~|");
	stop();
}
END_TEST

START_TEST(at_80x24_the_source_is_a_tab_and_the_stack_scrolls_to_the_local)
{
	const char *s;

	start(24, 80, "samples/linked_list.c", "linked_list.c");
	/* three more frames with locals: more than the pane holds */
	for (int i = 3; i < 6; i++) {
		frames[i] = frames[0];
		snprintf(frames[i].func, sizeof(frames[i].func), "caller%d", i);
	}
	nframes = 6;
	s = redraw();
	HAS(s, "6 Source");
	HAS(s, "Tab, 1-6");
	key('6');
	s = redraw();
	HAS(s, "Source: linked_list.c:18 in main");
	HAS(s, "> 18         struct node *n = malloc(sizeof(*n));");
	key('3');
	s = redraw();
	HAS(s, "-> heap #5 +0"); /* wide: the label beside its local */
	HAS(s, "struct node *n = 0x5555555590c8 -> heap #5 +0");
	HAS(s, "more lines");    /* the rest is said, not cut silently */
	ck_assert_int_eq(u.v.nlocals, 4 * 7);
	key(VK_END);             /* the last local: self, of caller5 */
	s = redraw();
	HAS(s, "#5 caller5");
	HAS(s, "int *self = 0x7fffffffe3ac -> local i in main (frame #0)");
	HAS(s, "self is on the stack in caller5; it points to the local i in main (frame #0)");
	stop();
}
END_TEST

START_TEST(a_missing_source_file_is_named)
{
	const char *s;

	start(40, 120, "/nonexistent/some/deeper/directory/src/linked_list.c", "linked_list.c");
	key('6');
	key(VK_TAB); /* any pane: the source shows side by side */
	s = redraw();
	HAS(s, "source file not found:");
	HAS(s, "...ome/deeper/directory/src/linked_list.c"); /* the end of a long path */
	stop();
}
END_TEST

START_TEST(without_debug_info_the_panes_say_so)
{
	const char *s;

	start(40, 120, "", NULL);
	/* what dbg gives for a program without DWARF: no path, no locals */
	for (int i = 0; i < nframes; i++) {
		frames[i].nlocals = 0;
		frames[i].path[0] = '\0';
	}
	snprintf(frames[0].detail, sizeof(frames[0].detail), "no debug info: locals unavailable");
	s = redraw();
	HAS(s, "#0 main");
	HAS(s, "no debug info: locals");
	HAS(s, "no source: built without -g");
	/* up/down with no locals scroll, and nothing breaks */
	key('3');
	ck_assert_int_eq(key(VK_DOWN), VA_REDRAW);
	ck_assert_int_eq(u.v.sel_local, -1);
	s = redraw();
	HAS(s, "Stack");
	stop();
}
END_TEST

static Suite *ui_stack_suite(void)
{
	Suite *s = suite_create("ui_stack");
	TCase *tc = tcase_create("ui_stack");

	tcase_add_test(tc, at_120x40_the_stack_pane_lists_locals_with_their_labels);
	tcase_add_test(tc, selecting_a_pointer_local_highlights_its_block_and_says_where_it_points);
	tcase_add_test(tc, the_source_pane_shows_the_current_line_and_its_neighbours);
	tcase_add_test(tc, at_80x24_the_source_is_a_tab_and_the_stack_scrolls_to_the_local);
	tcase_add_test(tc, a_missing_source_file_is_named);
	tcase_add_test(tc, without_debug_info_the_panes_say_so);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(ui_stack_suite());
}
