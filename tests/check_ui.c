/* check_ui: the screen rendered into a virtual terminal (newterm on
 * /dev/null, resizeterm) at 120x40 and 80x24 for the synthetic linked-list
 * trace, read back cell by cell: the panes are there, the current event is
 * shown, block labels and addresses are right, stepping back gives exactly
 * the earlier screen.  MEMLENS_UI_DUMP=1 prints each screen. */
#include "testutil.h"
#include "ui_fixture.h"
#include "vscreen.h"

#include <curses.h>
#include <inttypes.h>
#include <locale.h>

#include "out/out.h"
#include "ui/draw.h"

static struct model *m;
static uint64_t ptr[5];
static struct ui u;
static SCREEN *scr;
static FILE *fout, *fin;
static char screen[200 * 100 + 1];

static void start_model(int rows, int cols, bool ascii, struct model *mm)
{
	struct ui_opts o = { .color = UI_COLOR_NEVER, .ascii = ascii, .title = "linked_list" };
	struct err e = { 0 };

	m = mm;
	ck_assert_int_eq(ui_init(&u, &o, m, NULL, &e), 0);
	fout = fopen("/dev/null", "w");
	fin = fopen("/dev/null", "r");
	scr = newterm("xterm", fout, fin);
	ck_assert_ptr_nonnull(scr);
	resizeterm(rows, cols);
	ui_colors_start(&u);
}

static void start(int rows, int cols, bool ascii)
{
	start_model(rows, cols, ascii, fx_linked_list(ptr));
}

/* The same screen on a recorded trace file (tests/data, written by the
 * trace module's JSON format). */
static void start_recorded(int rows, int cols, const char *path)
{
	struct ui_opts o = { .color = UI_COLOR_NEVER, .ascii = true, .title = "teach.jsonl" };
	struct model_opts mo = { .keep_history = true, .teach = true };
	struct out_reader_cb cb = { 0 };
	struct err e = { 0 };
	FILE *f = fopen(path, "r");

	ck_assert_ptr_nonnull(f);
	m = model_new(&mo);
	ck_assert_int_eq(out_trace_read(f, path, m, &cb, &e), 0);
	fclose(f);
	ck_assert_int_eq(ui_init(&u, &o, m, NULL, &e), 0);
	fout = fopen("/dev/null", "w");
	fin = fopen("/dev/null", "r");
	scr = newterm("xterm", fout, fin);
	ck_assert_ptr_nonnull(scr);
	resizeterm(rows, cols);
}

static void stop(void)
{
	endwin();
	delscreen(scr);
	fclose(fout);
	fclose(fin);
	ui_fini(&u);
	model_free(m);
}

/* Moves to event k and draws; the screen's rows go into `screen`, one
 * line each. */
static const char *redraw(void)
{
	ui_draw(&u);
	return vs_read(screen, u.v.cur);
}

static const char *show(size_t k)
{
	struct err e = { 0 };

	u.v.cur = k;
	ck_assert_int_eq(model_seek(m, k, &e), 0);
	view_stepped(&u.v, m);
	return redraw();
}

static int row_of(const char *s, const char *needle)
{
	const char *at = strstr(s, needle);
	int row = 0;

	if (!at)
		return -1;
	for (const char *p = s; p < at; p++)
		row += *p == '\n';
	return row;
}

#define HAS(s, needle)                                                     \
	do {                                                               \
		if (!strstr((s), (needle))) {                              \
			fprintf(stderr, "%s", (s));                        \
			ck_abort_msg("screen lacks '%s'", (needle));       \
		}                                                          \
	} while (0)

START_TEST(at_120x40_every_pane_is_there_with_the_current_event)
{
	const char *s;

	start(40, 120, true);
	s = show(3); /* regions, malloc #1, malloc #2 */
	HAS(s, "Memory map");
	HAS(s, "Heap: 2 blocks");
	HAS(s, "Stack");
	HAS(s, "Events: 3 of 12");
	HAS(s, "Program output");
	HAS(s, "event 3 of 12");
	/* the current event, highlighted with its call site */
	HAS(s, ">  3  malloc(40) = 0x555555559038");
	HAS(s, "push:12"); /* the short site: the full one does not fit at 120 */
	/* the explanation and the keys */
	HAS(s, "malloc(40) took 48 bytes from the heap: 8 for the header, 40 for you");
	HAS(s, "n next");
	HAS(s, "? help");
	HAS(s, "q quit");
	stop();
}
END_TEST

START_TEST(the_heap_shows_labels_sizes_and_addresses_of_the_blocks)
{
	const char *s;

	start(50, 160, true); /* wide: one byte a cell */
	s = show(6);
	HAS(s, "Heap: 5 blocks");
	HAS(s, "#1        40 B 555555559008 in use");
	HAS(s, "#2        40 B 555555559038 in use");
	HAS(s, ">#5        40 B 5555555590c8 in use"); /* the block the event touched */
	/* the strip at 1 byte a cell: the 8-byte header, then the label inside
	 * the 40-byte block */
	HAS(s, "HHHHHHHH##1#####");
	HAS(s, "H##2#####");
	HAS(s, "1 B/cell");
	HAS(s, "132 KiB at 0x555555559000, 0% payload (200 B)");
	HAS(s, "+132 KiB free"); /* 131.7 KiB past the strip */
	/* after two frees: free chunks in the strip and the list */
	s = show(8);
	HAS(s, "...HHHHHHHH##|");   /* free, then #3's header at the row's end */
	HAS(s, "HH##4####");
	HAS(s, "48 B 555555559030 free chunk"); /* wide: the whole word */
	stop();
}
END_TEST

START_TEST(the_map_lists_regions_high_to_low_with_marks)
{
	const char *s;
	int stack, heap, text;

	start(40, 120, true);
	s = show(2);
	stack = row_of(s, "7ffffffde000 132 KiB rw-p stack");
	heap = row_of(s, "555555559000 132 KiB rw-p heap");
	text = row_of(s, "555555555000 4.0 KiB r-xp text");
	if (!(stack > 0 && heap > stack && text > heap)) {
		fprintf(stderr, "%s", s);
		ck_abort_msg("regions out of order: %d %d %d", stack, heap, text);
	}
	HAS(s, "libc.so.6");
	HAS(s, "unmapped ~~");         /* gaps elided, their size said */
	HAS(s, "not to scale");
	HAS(s, "brk -> 55555557a000");  /* program break */
	HAS(s, "sp  -> 7fffffffe3a0");  /* stack pointer */
	HAS(s, "*555555559000");       /* the heap changed: the break moved */
	stop();
}
END_TEST

START_TEST(stepping_back_gives_exactly_the_earlier_screen)
{
	char before[sizeof(screen)];

	start(40, 120, true);
	memcpy(before, show(4), sizeof(screen));
	ck_assert_str_ne(show(5), before);
	ck_assert_str_eq(show(4), before);
	stop();
}
END_TEST

START_TEST(at_80x24_one_pane_shows_with_tabs_and_nothing_is_cut)
{
	const char *s;

	start(24, 80, true);
	s = show(3);
	HAS(s, "[2 Heap]");
	HAS(s, "1 Map");
	HAS(s, "5 Output");
	HAS(s, "#2        40 B 555555559038 in use");
	ck_assert_ptr_null(strstr(s, "Memory map"));
	u.v.focus = VP_EVENTS;
	s = show(3);
	HAS(s, "[4 Events]");
	HAS(s, "malloc(40) = 0x555555559038");
	u.v.focus = VP_MAP;
	s = show(3);
	HAS(s, "7ffffffde000");
	HAS(s, "555555559000");
	stop();
}
END_TEST

START_TEST(details_of_a_live_block)
{
	const char *s;

	start(40, 120, true);
	show(6);
	u.v.sel_addr = ptr[2];
	u.v.mode = VM_DETAILS;
	s = redraw();
	HAS(s, "Block #3");
	HAS(s, "address    0x555555559068");
	HAS(s, "header     0x555555559060 (8 bytes before the block)");
	HAS(s, "requested  40 B");
	HAS(s, "allocated  at event 4, in push (linked_list.c:12)");
	HAS(s, "freed      not (yet)");
	HAS(s, "bytes: not recorded; record with memlens trace --bytes --json -o FILE");
	stop();
}
END_TEST

START_TEST(details_of_a_freed_block_name_the_free)
{
	const char *s;

	start(40, 120, true);
	show(8); /* free(#2) is event 8 */
	u.v.sel_addr = ptr[1];
	u.v.mode = VM_DETAILS;
	s = redraw();
	HAS(s, "Block #2");
	HAS(s, "freed      at event 8, in free_list (linked_list.c:30)");
	stop();
}
END_TEST

START_TEST(help_prompts_and_a_tiny_terminal)
{
	const char *s;

	start(40, 120, true);
	show(1);
	u.v.mode = VM_HELP;
	s = redraw();
	HAS(s, "previous event (from the history, no re-run)");
	u.v.mode = VM_GOTO;
	strcpy(u.v.input, "7");
	s = redraw();
	HAS(s, "Go to event (0-12): 7_");
	u.v.mode = VM_NORMAL;
	resizeterm(8, 30);
	s = show(1);
	HAS(s, "too small");
	stop();
}
END_TEST

START_TEST(utf8_and_colour_modes_draw_the_same_words)
{
	const char *s;

	start(40, 120, false);
	u.color = true;
	ui_colors_start(&u);
	s = show(12);
	HAS(s, "Events: 12 of 12");
	HAS(s, "ended with status 0");
	stop();
}
END_TEST

START_TEST(a_recorded_trace_at_120x40)
{
	const char *s;

	start_recorded(40, 120, "tests/data/teach.jsonl");
	s = show(5); /* malloc(200000): its own mapping */
	HAS(s, "event 5 of 7");
	HAS(s, ">  5  malloc(200000) = 0x7ffff7fcf010 main:12");
	HAS(s, "#3        16 B 555555555010 in use");
	HAS(s, "#2       100 B 555555555040 in use");
	HAS(s, ">#4     195 KiB 7ffff7fcf010 mmap'd");
	HAS(s, "HHHHHHHHHHHHHHHH##3###"); /* a 16-byte header, then the block */
	HAS(s, "HHHH##2####");
	HAS(s, "asked the kernel for a mapping of its own (mmap)");
	stop();
}
END_TEST

START_TEST(a_recorded_trace_at_80x24)
{
	const char *s;

	start_recorded(24, 80, "tests/data/teach.jsonl");
	s = show(3); /* free(#1) */
	HAS(s, "event 3/7");
	HAS(s, "[2 Heap]");
	HAS(s, "#2       100 B 555555555040 in use");
	HAS(s, "free gave block #1 (24 B) back to the allocator");
	u.v.focus = VP_EVENTS;
	s = redraw();
	HAS(s, ">  3  free(0x555555555010)");
	stop();
}
END_TEST

/* Row `row` of the screen (0-based), without its newline. */
static const char *row_text(const char *s, int row, char *buf, size_t len)
{
	for (int r = 0; r < row && s; r++) {
		s = strchr(s, '\n');
		s = s ? s + 1 : NULL;
	}
	snprintf(buf, len, "%.*s", s ? (int)strcspn(s, "\n") : 0, s ? s : "");
	return buf;
}

/* With more than one thread each event carries its thread's tag, and the
 * sentence and the block details name a thread that is not the main one. */
START_TEST(a_threaded_program_tags_events_and_names_the_thread)
{
	uint64_t tp[3];
	const char *s;

	start_model(40, 120, true, fx_threads(tp));
	s = show(3); /* thread 4243's malloc(64) */
	HAS(s, "t1  malloc(40)");
	HAS(s, "t2  malloc(64)");
	HAS(s, "t3  malloc(32)");
	HAS(s, "t1  free(");
	HAS(s, "Thread t2 (tid 4243): malloc(64) took");
	u.v.mode = VM_DETAILS; /* the block the event touched: #2 */
	s = redraw();
	HAS(s, "Block #2");
	HAS(s, "allocated  at event 3 by t2 (tid 4243), in push (linked_list.c:12)");
	u.v.mode = VM_NORMAL;
	show(5);               /* the main thread frees it */
	u.v.sel_addr = tp[1];  /* details of the freed block */
	u.v.sel_id = 2;
	u.v.sel_follows = false;
	u.v.mode = VM_DETAILS;
	s = redraw();
	HAS(s, "freed      at event 5 by t1 (tid 4242), in free_list (linked_list.c:30)");
	u.v.mode = VM_NORMAL;
	u.v.sel_follows = true;
	s = show(2); /* the main thread's malloc: no thread words */
	HAS(s, " malloc(40) took");
	ck_assert_ptr_null(strstr(s, "Thread t1"));
	stop();
	/* one thread: no tags at all */
	start(40, 120, true);
	s = show(3);
	HAS(s, ">  3  malloc(40)");
	ck_assert_ptr_null(strstr(s, "t1  malloc"));
	stop();
}
END_TEST

/* The status line fits at 80 and 120 columns and always names help and
 * quit; a header too long for the screen ends in the marker. */
START_TEST(the_keys_fit_and_a_cut_line_shows_a_marker)
{
	static const int size[][2] = { { 24, 80 }, { 40, 120 }, { 50, 160 } };
	char row[256];

	for (int i = 0; i < 3; i++) {
		const char *s;
		start(size[i][0], size[i][1], true);
		s = show(3);
		row_text(s, size[i][0] - 1, row, sizeof(row));
		ck_assert_msg(strstr(row, "? help") && strstr(row, "q quit"), "status: '%s'", row);
		ck_assert_msg(strstr(row, "n next") && strstr(row, "b back"), "status: '%s'", row);
		ck_assert_int_eq(row[size[i][1] - 1], ' '); /* room to spare: not cut */
		stop();
	}
	start(40, 120, true);
	snprintf(u.title, sizeof(u.title), "%s", "a_program_whose_name_is_so_long_that_no_header_of_120_columns_can_hold_it_all");
	row_text(show(3), 0, row, sizeof(row));
	ck_assert_int_eq((int)strlen(row), 120);
	ck_assert_int_eq(row[119], '~');
	stop();
}
END_TEST

START_TEST(no_color_turns_colour_off_unless_always_is_asked)
{
	struct ui_opts o = { .color = UI_COLOR_AUTO };
	struct model_opts mo = { .keep_history = true };
	struct model *mm = model_new(&mo);
	struct err e = { 0 };
	struct ui w;

	setenv("NO_COLOR", "1", 1);
	ck_assert_int_eq(ui_init(&w, &o, mm, NULL, &e), 0);
	ck_assert(!w.color);
	ui_fini(&w);
	o.color = UI_COLOR_ALWAYS;
	ui_init(&w, &o, mm, NULL, &e);
	ck_assert(w.color);
	ui_fini(&w);
	unsetenv("NO_COLOR");
	o.color = UI_COLOR_AUTO;
	ui_init(&w, &o, mm, NULL, &e);
	ck_assert(w.color);
	ui_fini(&w);
	o.color = UI_COLOR_NEVER;
	ui_init(&w, &o, mm, NULL, &e);
	ck_assert(!w.color);
	ui_fini(&w);
	/* ASCII unless the locale's character set is UTF-8, or when asked */
	ck_assert_ptr_nonnull(setlocale(LC_CTYPE, "C"));
	ui_init(&w, &o, mm, NULL, &e);
	ck_assert(w.ascii);
	ui_fini(&w);
	if (setlocale(LC_CTYPE, "C.UTF-8")) {
		ui_init(&w, &o, mm, NULL, &e);
		ck_assert(!w.ascii);
		ui_fini(&w);
		o.ascii = true;
		ui_init(&w, &o, mm, NULL, &e);
		ck_assert(w.ascii);
		ui_fini(&w);
	}
	ck_assert_int_eq(ui_color_parse("always"), UI_COLOR_ALWAYS);
	ck_assert_int_eq(ui_color_parse("sometimes"), -1);
	model_free(mm);
}
END_TEST

START_TEST(program_output_shows_in_its_pane_and_cannot_garble_it)
{
	const char *s;
	const char *text = "50 -> 40\n\033[2J\033[Hcleared? no\n\xc3\xa9t\xc3\xa9\n";

	start(40, 120, true);
	outbuf_add(u.out, text, strlen(text));
	s = show(3);
	HAS(s, "50 -> 40");
	HAS(s, "cleared? no");  /* the escape sequences were dropped */
	HAS(s, "|??t??");       /* ASCII mode: UTF-8 bytes show as ? */
	HAS(s, "Heap: 2 blocks"); /* and the rest of the screen is intact */
	stop();
}
END_TEST

START_TEST(a_regions_step_marks_the_regions_it_changed)
{
	struct model_region r[8];
	const struct model_region *cur;
	struct model_event ev = { 0 };
	struct fx f;
	size_t n;
	const char *s;

	start(40, 120, true);
	/* the heap of the fixture grows by 64 KiB in a new snapshot */
	cur = model_regions(m, &n);
	ck_assert_uint_le(n, 8);
	memcpy(r, cur, n * sizeof(*r));
	for (size_t i = 0; i < n; i++)
		if (r[i].kind == MR_HEAP)
			r[i].end += 0x10000;
	memset(&f, 0, sizeof(f));
	f.m = m;
	f.sp = UINT64_C(0x7fffffffe3a0);
	ev.type = MEV_REGIONS;
	ev.aux = model_regions_add(m, r, n);
	fx_apply(&f, &ev);
	s = show(model_event_count(m));
	HAS(s, "*555555559000 196 KiB rw-p heap");
	HAS(s, " 555555555000 4.0 KiB r-xp text"); /* unchanged: no mark */
	HAS(s, "The memory map changed: the heap grew from 132 KiB to 196 KiB.");
	stop();
}
END_TEST

static Suite *ui_suite(void)
{
	Suite *s = suite_create("ui");
	TCase *tc = tcase_create("screen");

	tcase_add_test(tc, at_120x40_every_pane_is_there_with_the_current_event);
	tcase_add_test(tc, the_heap_shows_labels_sizes_and_addresses_of_the_blocks);
	tcase_add_test(tc, the_map_lists_regions_high_to_low_with_marks);
	tcase_add_test(tc, stepping_back_gives_exactly_the_earlier_screen);
	tcase_add_test(tc, at_80x24_one_pane_shows_with_tabs_and_nothing_is_cut);
	tcase_add_test(tc, details_of_a_live_block);
	tcase_add_test(tc, details_of_a_freed_block_name_the_free);
	tcase_add_test(tc, help_prompts_and_a_tiny_terminal);
	tcase_add_test(tc, utf8_and_colour_modes_draw_the_same_words);
	tcase_add_test(tc, a_recorded_trace_at_120x40);
	tcase_add_test(tc, a_recorded_trace_at_80x24);
	tcase_add_test(tc, a_threaded_program_tags_events_and_names_the_thread);
	tcase_add_test(tc, the_keys_fit_and_a_cut_line_shows_a_marker);
	tcase_add_test(tc, no_color_turns_colour_off_unless_always_is_asked);
	tcase_add_test(tc, program_output_shows_in_its_pane_and_cannot_garble_it);
	tcase_add_test(tc, a_regions_step_marks_the_regions_it_changed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(ui_suite());
}
