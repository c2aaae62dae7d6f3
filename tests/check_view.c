/* check_view: the screen's state without a terminal: stepping, selection,
 * focus, prompts, quitting, the layout at 120x40 and 80x24, mouse clicks on
 * the heap strip, the sentences and the program output buffer.  The model
 * is filled with the synthetic linked-list events of ui_fixture.h. */
#include "testutil.h"
#include "ui_fixture.h"

#include <inttypes.h>

#include "ui/explain.h"
#include "ui/heapgeo.h"
#include "ui/mapgeo.h"
#include "ui/outbuf.h"
#include "ui/textfit.h"
#include "ui/view.h"

static struct model *m;
static uint64_t ptr[5];
static struct view v;
static struct view_layout lay;

static void setup(void)
{
	m = fx_linked_list(ptr);
	view_init(&v, false);
	view_layout(&v, 40, 120, &lay);
}

static void teardown(void)
{
	model_free(m);
}

/* Performs what ui.c does for a seek. */
static void seek(void)
{
	struct err e = { 0 };
	ck_assert_int_eq(model_seek(m, v.cur, &e), 0);
	view_stepped(&v, m);
}

static enum view_action key(int k)
{
	enum view_action a = view_key(&v, m, &lay, k);
	if (a == VA_SEEK)
		seek();
	return a;
}

START_TEST(starts_before_the_first_event_with_the_heap_focused)
{
	ck_assert_uint_eq(v.cur, 0);
	ck_assert_int_eq(v.focus, VP_HEAP);
	ck_assert_int_eq(v.mode, VM_NORMAL);
	ck_assert_ptr_null(view_current_event(&v, m));
}
END_TEST

START_TEST(space_n_and_right_step_forward_b_p_left_step_back)
{
	ck_assert_int_eq(key(' '), VA_SEEK);
	ck_assert_int_eq(key('n'), VA_SEEK);
	ck_assert_int_eq(key(VK_RIGHT), VA_SEEK);
	ck_assert_uint_eq(v.cur, 3);
	ck_assert_uint_eq(model_cursor(m), 3);
	ck_assert_int_eq(key('b'), VA_SEEK);
	ck_assert_int_eq(key('p'), VA_SEEK);
	ck_assert_int_eq(key(VK_LEFT), VA_SEEK);
	ck_assert_uint_eq(v.cur, 0);
	/* at the start, back stays and says so */
	ck_assert_int_eq(key('b'), VA_REDRAW);
	ck_assert_uint_eq(v.cur, 0);
	ck_assert_ptr_nonnull(strstr(v.message, "start"));
}
END_TEST

START_TEST(next_at_the_end_stays_in_replay_and_fetches_when_live)
{
	v.cur = model_event_count(m);
	seek();
	ck_assert_int_eq(key('n'), VA_REDRAW);
	ck_assert_uint_eq(v.cur, model_event_count(m));
	ck_assert_ptr_nonnull(strstr(v.message, "last event"));
	v.live = true;
	ck_assert_int_eq(key('n'), VA_FETCH);
	v.program_done = true;
	ck_assert_int_eq(key('n'), VA_REDRAW);
}
END_TEST

START_TEST(stepping_selects_the_block_the_event_touched)
{
	v.cur = 3; /* regions, malloc #1, malloc #2 */
	seek();
	ck_assert_uint_eq(v.sel_addr, ptr[1]);
	ck_assert_uint_eq(v.sel_id, 2);
	key(' '); /* malloc #3 */
	ck_assert_uint_eq(v.sel_id, 3);
	key('b');
	ck_assert_uint_eq(v.sel_id, 2);
}
END_TEST

START_TEST(a_vanished_selection_falls_back_to_a_block_in_use)
{
	v.cur = 6;
	seek();
	ck_assert_uint_eq(v.sel_id, 5);
	v.sel_follows = false; /* the user keeps #5 */
	v.cur = 3;             /* #5 does not exist yet; a free chunk lies above #2 */
	seek();
	ck_assert_uint_eq(v.sel_id, 2);
	ck_assert_uint_eq(v.sel_addr, ptr[1]);
	ck_assert_int_eq(view_selected_block(&v, m)->state, MB_LIVE);
}
END_TEST

START_TEST(arrows_in_the_heap_move_the_selection_in_address_order)
{
	v.cur = 6; /* five blocks */
	seek();
	ck_assert_uint_eq(v.sel_id, 5);
	ck_assert_int_eq(key(VK_UP), VA_REDRAW);
	ck_assert_uint_eq(v.sel_addr, ptr[3]);
	ck_assert_int_eq(key(VK_HOME), VA_REDRAW);
	ck_assert_uint_eq(v.sel_addr, ptr[0]);
	ck_assert_uint_eq(v.sel_id, 1);
	key(VK_DOWN);
	ck_assert_uint_eq(v.sel_id, 2);
	/* the user's choice survives a step that touches nothing new */
	ck_assert(!v.sel_follows);
}
END_TEST

START_TEST(tab_and_digits_move_the_focus)
{
	key(VK_TAB);
	ck_assert_int_eq(v.focus, VP_STACK);
	key(VK_BTAB);
	key(VK_BTAB);
	ck_assert_int_eq(v.focus, VP_MAP);
	key(VK_BTAB);
	ck_assert_int_eq(v.focus, VP_SOURCE); /* the last pane, after the output */
	key(VK_BTAB);
	ck_assert_int_eq(v.focus, VP_OUTPUT);
	key('6');
	ck_assert_int_eq(v.focus, VP_SOURCE);
	key('4');
	ck_assert_int_eq(v.focus, VP_EVENTS);
}
END_TEST

START_TEST(go_to_prompt_takes_digits_and_seeks)
{
	ck_assert_int_eq(key('g'), VA_REDRAW);
	ck_assert_int_eq(v.mode, VM_GOTO);
	key('x'); /* ignored: not a digit */
	key('8');
	ck_assert_str_eq(v.input, "8");
	ck_assert_int_eq(key(VK_ENTER), VA_SEEK);
	ck_assert_uint_eq(v.cur, 8);
	ck_assert_int_eq(v.mode, VM_NORMAL);
	/* past the end goes to the last event and says so */
	key('g');
	key('9');
	key('9');
	ck_assert_int_eq(key(VK_ENTER), VA_SEEK);
	ck_assert_uint_eq(v.cur, model_event_count(m));
	ck_assert_ptr_nonnull(strstr(v.message, "only 12 events"));
	/* Esc cancels */
	key('g');
	key('1');
	ck_assert_int_eq(key(VK_ESC), VA_REDRAW);
	ck_assert_uint_eq(v.cur, 12);
}
END_TEST

START_TEST(search_finds_events_by_function_and_by_address)
{
	const char *q = "free_list";
	char addr[32];

	key('/');
	for (const char *p = q; *p; p++)
		key(*p);
	ck_assert_int_eq(key(VK_ENTER), VA_SEEK);
	ck_assert_uint_eq(v.cur, 7); /* the first free is event 7 */
	/* Enter on an empty prompt repeats the search from here */
	key('/');
	ck_assert_int_eq(key(VK_ENTER), VA_SEEK);
	ck_assert_uint_eq(v.cur, 8);
	snprintf(addr, sizeof(addr), "%#" PRIx64, ptr[2]);
	key('/');
	for (const char *p = addr; *p; p++)
		key(*p);
	key(VK_ENTER);
	ck_assert_uint_eq(v.cur, 9); /* free(ptr[2]) is the next event naming it */
	ck_assert_int_eq(view_search(m, addr, 0), 3); /* malloc #3 */
	ck_assert_int_eq(view_search(m, "nosuchfunction", 0), -1);
	key('/');
	key('z');
	ck_assert_int_eq(key(VK_ENTER), VA_REDRAW);
	ck_assert_ptr_nonnull(strstr(v.message, "no event matches"));
}
END_TEST

START_TEST(enter_opens_block_details_and_esc_closes_them)
{
	v.cur = 3;
	seek();
	ck_assert_int_eq(key(VK_ENTER), VA_REDRAW);
	ck_assert_int_eq(v.mode, VM_DETAILS);
	key(VK_UP); /* previous block while the details are open */
	ck_assert_uint_eq(v.sel_id, 1);
	key(VK_ESC);
	ck_assert_int_eq(v.mode, VM_NORMAL);
	/* with no block there is nothing to open */
	v.cur = 0;
	seek();
	v.sel_addr = 0;
	key(VK_ENTER);
	ck_assert_int_eq(v.mode, VM_NORMAL);
}
END_TEST

START_TEST(quit_asks_first_while_a_live_program_runs)
{
	ck_assert_int_eq(key('q'), VA_QUIT); /* replay: at once */
	v.live = true;
	ck_assert_int_eq(key('q'), VA_REDRAW);
	ck_assert_int_eq(v.mode, VM_CONFIRM_QUIT);
	ck_assert_int_eq(key('n'), VA_REDRAW);
	ck_assert_int_eq(v.mode, VM_NORMAL);
	key('q');
	ck_assert_int_eq(key('y'), VA_QUIT);
	/* Ctrl-C quits from anywhere */
	key('g');
	ck_assert_int_eq(key(VK_CTRL_C), VA_QUIT);
}
END_TEST

START_TEST(continue_runs_to_the_end_and_any_key_stops_it)
{
	ck_assert_int_eq(key('c'), VA_SEEK); /* replay: straight to the end */
	ck_assert_uint_eq(v.cur, model_event_count(m));
	v.live = true;
	ck_assert_int_eq(key('c'), VA_CONTINUE);
	ck_assert(v.running);
	ck_assert_int_eq(key('x'), VA_STOP);
	ck_assert(!v.running);
	/* q during a continue stops it and asks at once */
	key('c');
	ck_assert_int_eq(key('q'), VA_REDRAW);
	ck_assert(!v.running);
	ck_assert_int_eq(v.mode, VM_CONFIRM_QUIT);
}
END_TEST

START_TEST(typed_input_goes_to_a_live_program)
{
	ck_assert_int_eq(key('i'), VA_REDRAW); /* replay: nothing to type to */
	ck_assert_int_eq(v.mode, VM_NORMAL);
	v.live = true;
	key('i');
	ck_assert_int_eq(v.mode, VM_INPUT);
	key('4');
	key('2');
	key(VK_BACKSPACE);
	key('3');
	ck_assert_int_eq(key('q'), VA_REDRAW); /* q is text here, not quit */
	ck_assert_str_eq(v.input, "43q");
	ck_assert_int_eq(key(VK_ENTER), VA_SEND);
	/* typing during a continue goes to the program and does not stop it */
	v.running = true;
	ck_assert_int_eq(key('x'), VA_REDRAW);
	ck_assert(v.running);
}
END_TEST

static bool overlap(struct view_rect a, struct view_rect b)
{
	return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

START_TEST(layout_at_120x40_shows_every_pane_side_by_side)
{
	view_layout(&v, 40, 120, &lay);
	ck_assert(!lay.compact);
	for (int p = 0; p < VP_COUNT; p++) {
		struct view_rect r = lay.pane[p];
		ck_assert_int_ge(r.h, 8);
		ck_assert_int_ge(r.w, 28);
		ck_assert_int_ge(r.y, 1);
		ck_assert_int_le(r.y + r.h, lay.explain.y);
		ck_assert_int_le(r.x + r.w, 120);
		for (int q = 0; q < p; q++)
			ck_assert_msg(!overlap(r, lay.pane[q]), "panes %d and %d overlap", p, q);
	}
	ck_assert_int_eq(lay.status.y, 39);
	ck_assert_int_eq(lay.header.y, 0);
	ck_assert_int_eq(lay.tabs.h, 0);
}
END_TEST

/* The stack (a local: "struct node *head = 0x555555559050") and the source
 * (a C line) get room at 120 columns, and everything grows at 160x50
 * without a gap or an overlap. */
START_TEST(layout_gives_the_stack_and_source_room_and_grows_when_wider)
{
	struct view_layout big;
	int top = 0, bottom = 0;

	view_layout(&v, 40, 120, &lay);
	ck_assert_int_ge(lay.pane[VP_STACK].w - 2, 36);
	ck_assert_int_ge(lay.pane[VP_SOURCE].w - 2, 40);
	ck_assert_int_ge(lay.pane[VP_MAP].w - 2, 40);
	ck_assert_int_ge(lay.pane[VP_HEAP].w - 2, 35); /* a block's list line */
	view_layout(&v, 50, 160, &big);
	ck_assert(!big.compact);
	for (int p = 0; p < VP_COUNT; p++) {
		ck_assert_int_ge(big.pane[p].w, lay.pane[p].w);
		ck_assert_int_gt(big.pane[p].h, lay.pane[p].h);
		ck_assert_int_le(big.pane[p].x + big.pane[p].w, 160);
		for (int q = 0; q < p; q++)
			ck_assert(!overlap(big.pane[p], big.pane[q]));
		if (big.pane[p].y == 1)
			top += big.pane[p].w;
		else
			bottom += big.pane[p].w;
	}
	ck_assert_int_eq(top, 160);     /* the rows are filled edge to edge */
	ck_assert_int_eq(bottom, 160);
	ck_assert_int_gt(big.pane[VP_STACK].w, lay.pane[VP_STACK].w);
	ck_assert_int_gt(big.pane[VP_SOURCE].w, lay.pane[VP_SOURCE].w);
	ck_assert_int_ge(big.pane[VP_MAP].w - 2, 48); /* "ld-linux-x86-64.so.2" whole */
}
END_TEST

/* A line too long for its cells ends in a marker, so nothing is cut
 * silently; a line that fits is left alone; UTF-8 counts by character. */
START_TEST(a_cut_line_ends_in_a_marker)
{
	char b[64];
	bool cut;

	ck_assert_int_eq(textfit("0123456789", 10, false, b, sizeof(b)), 10);
	ck_assert_str_eq(b, "0123456789");
	ck_assert_int_eq(textfit("0123456789", 6, false, b, sizeof(b)), 6);
	ck_assert_str_eq(b, "01234~");
	ck_assert_int_eq(textfit("0123456789", 6, true, b, sizeof(b)), 6);
	ck_assert_str_eq(b, "01234\xe2\x80\xa6");
	/* "→ heap" is 6 cells, 8 bytes */
	ck_assert_int_eq(textfit_cols("\xe2\x86\x92 heap", true), 6);
	ck_assert_int_eq(textfit_cols("\xe2\x86\x92 heap", false), 8);
	ck_assert_uint_eq(textfit_cut("\xe2\x86\x92 heap", 6, true, &cut), 8);
	ck_assert(!cut);
	ck_assert_uint_eq(textfit_cut("\xe2\x86\x92 heap #3", 6, true, &cut), 7);
	ck_assert(cut);
	ck_assert_int_eq(textfit("ab", 0, true, b, sizeof(b)), 0);
	/* a buffer too small keeps the marker */
	ck_assert_int_eq(textfit("0123456789", 8, false, b, 5), 4);
	ck_assert_str_eq(b, "012~");
}
END_TEST

/* The status line fits at 80 and 120 columns, live and replay, and always
 * names help and quit; wider lines name more keys. */
START_TEST(the_status_keys_fit_the_width_and_always_name_help)
{
	static const int widths[] = { 40, 80, 100, 120, 160 };
	char s[256];

	for (int live = 0; live < 2; live++) {
		v.live = live;
		for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
			view_status_keys(&v, widths[i], s, sizeof(s));
			ck_assert_int_le((int)strlen(s), widths[i]);
			ck_assert_ptr_nonnull(strstr(s, "? help"));
			ck_assert_ptr_nonnull(strstr(s, "q quit"));
			ck_assert_ptr_nonnull(strstr(s, "n next"));
		}
		view_status_keys(&v, 120, s, sizeof(s));
		ck_assert_ptr_nonnull(strstr(s, "c continue"));
		ck_assert_ptr_nonnull(strstr(s, "Enter block"));
		ck_assert_ptr_nonnull(strstr(s, "/ search"));
		view_status_keys(&v, 200, s, sizeof(s));
		ck_assert_ptr_nonnull(strstr(s, "z zoom"));
	}
	v.live = true;
	v.gran = VG_LINE;
	view_status_keys(&v, 120, s, sizeof(s));
	ck_assert_ptr_nonnull(strstr(s, "n next (line)"));
	ck_assert_ptr_nonnull(strstr(s, "f finish"));
	view_status_keys(&v, 80, s, sizeof(s));
	ck_assert_ptr_null(strstr(s, "/ search")); /* left out first */
	/* too narrow even for help and quit: they stay, the screen cuts */
	view_status_keys(&v, 10, s, sizeof(s));
	ck_assert_str_eq(s, " ? help  q quit");
}
END_TEST

/* Threads are numbered by their first event (the main thread is t1); the
 * tags appear only once a second thread has been seen. */
START_TEST(threads_get_short_tags_once_there_are_two)
{
	uint64_t tp[3];
	struct model *tm = fx_threads(tp);
	char t[64];

	view_threads_update(&v, m);            /* one thread: no tags */
	ck_assert_int_eq(v.nthreads, 1);
	ck_assert_int_eq(view_thread_tag(&v, 4242, t, sizeof(t)), 0);
	ck_assert_int_eq(view_thread_words(&v, 4242, t, sizeof(t)), 0);
	view_init(&v, false);
	view_threads_update(&v, tm);
	ck_assert_int_eq(v.nthreads, 3);
	ck_assert_int_eq(view_thread_num(&v, 4242), 1);
	ck_assert_int_eq(view_thread_num(&v, 4243), 2);
	ck_assert_int_eq(view_thread_num(&v, 4244), 3);
	ck_assert_int_eq(view_thread_num(&v, 999), 0);
	view_thread_tag(&v, 4243, t, sizeof(t));
	ck_assert_str_eq(t, "t2");
	view_thread_tag(&v, 4242, t, sizeof(t));
	ck_assert_str_eq(t, "t1");
	view_thread_tag(&v, 999, t, sizeof(t));
	ck_assert_str_eq(t, "t?");
	view_thread_words(&v, 4244, t, sizeof(t));
	ck_assert_str_eq(t, "thread t3 (tid 4244)");
	ck_assert_int_eq(view_thread_words(&v, 4242, t, sizeof(t)), 0); /* main: no words */
	/* scanning again costs nothing and changes nothing */
	view_threads_update(&v, tm);
	ck_assert_int_eq(v.nthreads, 3);
	ck_assert_uint_eq(v.threads_seen, model_event_count(tm));
	model_free(tm);
}
END_TEST

START_TEST(layout_at_80x24_shows_one_pane_and_a_tab_bar)
{
	view_layout(&v, 24, 80, &lay);
	ck_assert(lay.compact);
	ck_assert_int_eq(lay.tabs.h, 1);
	for (int p = 0; p < VP_COUNT; p++)
		ck_assert_int_eq(lay.pane[p].h > 0, p == VP_HEAP);
	ck_assert_int_eq(lay.pane[VP_HEAP].w, 80);
	ck_assert_int_eq(lay.pane[VP_HEAP].y, 2);
	ck_assert_int_le(lay.pane[VP_HEAP].y + lay.pane[VP_HEAP].h, lay.explain.y);
	key(VK_TAB);
	view_layout(&v, 24, 80, &lay);
	ck_assert_int_gt(lay.pane[VP_STACK].h, 0);
	ck_assert_int_eq(lay.pane[VP_HEAP].h, 0);
}
END_TEST

START_TEST(zoom_fills_the_body_with_the_focused_pane)
{
	key('z');
	view_layout(&v, 40, 120, &lay);
	ck_assert_int_eq(lay.pane[VP_HEAP].w, 120);
	ck_assert_int_eq(lay.pane[VP_MAP].h, 0);
	key(VK_ESC);
	view_layout(&v, 40, 120, &lay);
	ck_assert_int_gt(lay.pane[VP_MAP].h, 0);
}
END_TEST

START_TEST(a_tiny_terminal_is_said_to_be_too_small)
{
	view_layout(&v, 8, 30, &lay);
	ck_assert(lay.too_small);
	view_layout(&v, 10, 40, &lay);
	ck_assert(!lay.too_small);
}
END_TEST

/* A block list longer than its rows keeps its last row to say how many
 * blocks are above and below, and the selected block stays in sight. */
START_TEST(a_long_block_list_says_what_is_not_shown)
{
	struct view_rect pane = { 1, 0, 12, 40 };
	struct heap_geo g;
	size_t n, sel;

	v.cur = 6;             /* 5 blocks and the free chunk: 6 rows wanted */
	seek();
	model_blocks(m, &n);
	ck_assert_uint_eq(n, 6);
	heap_geo_compute(&g, &v, m, pane);
	ck_assert_int_lt(g.list.h, 6);
	ck_assert_int_eq(g.note_y, g.list.y + g.list.h);
	ck_assert_int_lt(g.note_y, pane.y + pane.h - 1);  /* inside the border */
	sel = view_block_index(m, v.sel_addr);
	ck_assert_uint_ge(sel, g.first);
	ck_assert_uint_lt(sel, g.first + (size_t)g.list.h);
	/* a pane with room for every block has no note */
	pane.h = 30;
	heap_geo_compute(&g, &v, m, pane);
	ck_assert_int_eq(g.note_y, -1);
	ck_assert_int_ge(g.list.h, 6);
}
END_TEST

START_TEST(a_click_on_the_heap_strip_selects_the_block_drawn_there)
{
	struct heap_geo g;
	int row, col;

	v.cur = 6;
	seek();
	view_layout(&v, 40, 120, &lay);
	heap_geo_compute(&g, &v, m, lay.pane[VP_HEAP]);
	ck_assert_int_gt(g.strip.h, 0);
	ck_assert_uint_eq(g.lo, FX_HEAP);
	ck_assert_uint_eq(g.heap_hi, FX_BRK);
	ck_assert_uint_le(g.cell_bytes, 16); /* small blocks get cells of their own */
	ck_assert_int_eq(heap_geo_cell(&g, ptr[1] + 20, &row, &col), 0);
	ck_assert_int_eq(view_click(&v, m, &lay, g.strip.y + row, g.strip.x + col), VA_REDRAW);
	ck_assert_uint_eq(v.sel_id, 2);
	/* and a click on the list selects that row's block */
	view_click(&v, m, &lay, g.list.y + 3, g.list.x + 2);
	ck_assert_uint_eq(v.sel_addr, model_blocks(m, &(size_t){ 0 })[g.first + 3].addr);
	/* a click elsewhere focuses that pane */
	view_click(&v, m, &lay, lay.pane[VP_EVENTS].y + 1, lay.pane[VP_EVENTS].x + 1);
	ck_assert_int_eq(v.focus, VP_EVENTS);
}
END_TEST

/* glibc may place a block across the end of [heap] as the maps last told
 * it (libc records carry no break): the heap pane reaches the block's end
 * instead of showing a 132 KiB heap "776% payload". */
START_TEST(the_heap_reaches_a_block_that_crosses_a_stale_end_of_heap)
{
	struct model_opts o = { .keep_history = true };
	struct model *lm = model_new(&o);
	struct model_event ev = { 0 };
	struct fx f;
	uint64_t lo, hi, at = FX_HEAP + 0x6b0;

	fx_start(&f, lm);
	ck_assert_int_eq(heap_range(lm, &lo, &hi), 1);
	ck_assert_uint_eq(hi, FX_BRK);
	ev.type = MEV_MALLOC;
	ev.args[0] = 1 << 20;
	ev.result = at;
	fx_apply(&f, &ev);
	ck_assert_int_eq(heap_range(lm, &lo, &hi), 1);
	ck_assert_uint_eq(lo, FX_HEAP);
	ck_assert_uint_ge(hi, at + (1 << 20));
	model_free(lm);
}
END_TEST

START_TEST(a_click_on_the_map_selects_the_region_drawn_there)
{
	static struct map_line lines[MAP_MAX_LINES];
	struct view_rect p;
	int sel, nl, first, n, heap = -1;

	v.cur = 2;
	seek();
	view_layout(&v, 40, 120, &lay);
	p = lay.pane[VP_MAP];
	nl = map_lines(m, &v, lines, &sel);
	first = map_first(&v, nl, sel, map_rows(p));
	for (int li = first; li < nl; li++) {
		if (lines[li].kind == ML_REGION && view_region(m, lines[li].reg, &n)->kind == MR_HEAP) {
			ck_assert_int_eq(view_click(&v, m, &lay, p.y + 2 + (li - first), p.x + 3), VA_REDRAW);
			heap = lines[li].reg;
			break;
		}
	}
	ck_assert_int_ge(heap, 0);
	ck_assert_int_eq(v.focus, VP_MAP);
	ck_assert_int_eq(v.sel_region, heap);
	ck_assert_uint_eq(view_region(m, v.sel_region, &n)->start, FX_HEAP);
	/* lines come high to low: the stack's line is above the heap's */
	ck_assert_int_eq(view_region(m, lines[first].reg, &n)->kind == MR_STACK ||
			 lines[first].kind == ML_MARK, 1);
}
END_TEST

START_TEST(the_event_list_scrolls_within_the_history)
{
	v.cur = 5;
	seek();
	v.focus = VP_EVENTS;
	key(VK_HOME);
	ck_assert_int_eq(v.scroll[VP_EVENTS], -5);
	key(VK_END);
	ck_assert_int_eq(v.scroll[VP_EVENTS], 7);
	key(' ');
	ck_assert_int_eq(v.scroll[VP_EVENTS], 0); /* a step brings it back */
}
END_TEST

START_TEST(the_sentence_says_where_the_bytes_of_a_malloc_went)
{
	char s[512];

	explain_sentence(m, model_event(m, 1), NULL, NULL, s, sizeof(s));
	ck_assert_ptr_nonnull(strstr(s, "malloc(40) took 48 bytes from the heap: 8 for the header, 40 for you"));
	ck_assert_ptr_nonnull(strstr(s, "program break moved up")); /* the first malloc grew the heap */
	model_seek(m, 8, NULL);
	explain_sentence(m, model_event(m, 7), NULL, NULL, s, sizeof(s));
	ck_assert_ptr_nonnull(strstr(s, "free gave block #2 (40 B) back to the allocator"));
	model_seek(m, 12, NULL);
	explain_sentence(m, model_event(m, 11), NULL, NULL, s, sizeof(s));
	ck_assert_ptr_nonnull(strstr(s, "ended with status 0"));
	explain_sentence(m, NULL, NULL, NULL, s, sizeof(s));
	ck_assert_ptr_nonnull(strstr(s, "Nothing has happened yet"));
}
END_TEST

START_TEST(regions_and_events_are_put_in_words)
{
	struct model_region r = { 0x1000, 0x2000, MR_RODATA, "r--p", "a.out" };
	char s[512];

	explain_region(&r, s, sizeof(s));
	ck_assert_ptr_nonnull(strstr(s, "read-only"));
	ck_assert_ptr_nonnull(strstr(s, "string literals"));
	explain_event(model_event(m, 1), s, sizeof(s));
	ck_assert_str_eq(s, "malloc(40) = 0x555555559008");
	explain_site(m, model_event(m, 1)->site, s, sizeof(s));
	ck_assert_str_eq(s, "push (linked_list.c:12)");
}
END_TEST

START_TEST(program_output_is_split_into_clean_lines)
{
	struct outbuf *o = malloc(sizeof(*o));

	outbuf_init(o);
	{
	const char *text = "hello\r\n\033[1;31mred\033[0m\tx\nab\bc";

	outbuf_add(o, text, strlen(text));
	ck_assert_uint_eq(outbuf_count(o), 3);
	ck_assert_str_eq(outbuf_line(o, 0), "hello");
	ck_assert_str_eq(outbuf_line(o, 1), "red     x");
	ck_assert_str_eq(outbuf_line(o, 2), "ac");
	}
	for (int i = 0; i < OUTBUF_LINES + 10; i++)
		outbuf_add(o, "line\n", 5);
	ck_assert_uint_eq(outbuf_count(o), OUTBUF_LINES);
	free(o);
}
END_TEST

static Suite *view_suite(void)
{
	Suite *s = suite_create("view");
	TCase *tc = tcase_create("view");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, starts_before_the_first_event_with_the_heap_focused);
	tcase_add_test(tc, the_heap_reaches_a_block_that_crosses_a_stale_end_of_heap);
	tcase_add_test(tc, space_n_and_right_step_forward_b_p_left_step_back);
	tcase_add_test(tc, next_at_the_end_stays_in_replay_and_fetches_when_live);
	tcase_add_test(tc, stepping_selects_the_block_the_event_touched);
	tcase_add_test(tc, arrows_in_the_heap_move_the_selection_in_address_order);
	tcase_add_test(tc, a_vanished_selection_falls_back_to_a_block_in_use);
	tcase_add_test(tc, tab_and_digits_move_the_focus);
	tcase_add_test(tc, go_to_prompt_takes_digits_and_seeks);
	tcase_add_test(tc, search_finds_events_by_function_and_by_address);
	tcase_add_test(tc, enter_opens_block_details_and_esc_closes_them);
	tcase_add_test(tc, quit_asks_first_while_a_live_program_runs);
	tcase_add_test(tc, continue_runs_to_the_end_and_any_key_stops_it);
	tcase_add_test(tc, typed_input_goes_to_a_live_program);
	tcase_add_test(tc, layout_at_120x40_shows_every_pane_side_by_side);
	tcase_add_test(tc, layout_at_80x24_shows_one_pane_and_a_tab_bar);
	tcase_add_test(tc, layout_gives_the_stack_and_source_room_and_grows_when_wider);
	tcase_add_test(tc, a_cut_line_ends_in_a_marker);
	tcase_add_test(tc, the_status_keys_fit_the_width_and_always_name_help);
	tcase_add_test(tc, threads_get_short_tags_once_there_are_two);
	tcase_add_test(tc, zoom_fills_the_body_with_the_focused_pane);
	tcase_add_test(tc, a_tiny_terminal_is_said_to_be_too_small);
	tcase_add_test(tc, a_click_on_the_heap_strip_selects_the_block_drawn_there);
	tcase_add_test(tc, a_long_block_list_says_what_is_not_shown);
	tcase_add_test(tc, the_event_list_scrolls_within_the_history);
	tcase_add_test(tc, a_click_on_the_map_selects_the_region_drawn_there);
	tcase_add_test(tc, the_sentence_says_where_the_bytes_of_a_malloc_went);
	tcase_add_test(tc, regions_and_events_are_put_in_words);
	tcase_add_test(tc, program_output_is_split_into_clean_lines);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(view_suite());
}
