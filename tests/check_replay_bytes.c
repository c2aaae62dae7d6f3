/* check_replay_bytes: block contents in trace files (`trace --bytes`).  The hex
 * members and the side table by block id; the reader on
 * tests/data/bytes.jsonl (recorded with `memlens trace --bytes --json -o F
 * tests/targets/t_names`, the layout cut to a stub so it names no path of
 * the machine that wrote it): every free and the moving realloc keep the
 * bytes the program left, the blocks live at the end their exit bytes;
 * `replay --json` gives them back byte for byte; the block details on
 * the virtual screen show the recorded hex and ASCII and say where they
 * come from and when; a live trace of t_names records the names. */
#include "testutil.h"
#include "vscreen.h"

#include <curses.h>
#include <locale.h>

#include "cli/replay_src.h"
#include "out/out.h"
#include "ui/draw.h"

#define FIXTURE "tests/data/bytes.jsonl"

START_TEST(hex_members_are_lowercase_and_parse_back)
{
	static const unsigned char b[] = { 0x61, 0x00, 0xff, 0x0a, 0x7e };
	unsigned char back[OUT_BYTES_MAX];
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j);
	out_json_bytes(&j, b, sizeof(b));
	out_json_bytes(&j, b, 0); /* nothing at all for no bytes */
	json_obj_end(&j);
	fclose(f);
	ck_assert_str_eq(text, "{\"bytes\":\"6100ff0a7e\"}");
	free(text);
	ck_assert_int_eq(out_hex_parse("6100FF0a7e", back, sizeof(back)), 5);
	ck_assert_mem_eq(back, b, sizeof(b));
	ck_assert_int_eq(out_hex_parse("", back, sizeof(back)), 0);
	ck_assert_int_eq(out_hex_parse("abc", back, sizeof(back)), -1);   /* odd */
	ck_assert_int_eq(out_hex_parse("zz", back, sizeof(back)), -1);    /* not hex */
	ck_assert_int_eq(out_hex_parse("0011", back, 1), -1);             /* too long */
}
END_TEST

START_TEST(the_side_table_finds_every_block_by_id)
{
	struct out_bytes *t = out_bytes_new();
	struct out_bytes_rec r;
	struct err e = { 0 };
	unsigned char b[8];

	ck_assert_ptr_nonnull(t);
	ck_assert(!out_bytes_recorded(t));
	for (uint32_t id = 1; id <= 20000; id++) {
		memcpy(b, &id, 4);
		memcpy(b + 4, "name", 4);
		ck_assert_int_eq(out_bytes_add(t, id * 3, id, id % 2 ? OUT_BYTES_RELEASE : OUT_BYTES_EXIT,
					       b, 1 + id % 8, &e), 0);
	}
	ck_assert_uint_eq(out_bytes_count(t), 20000);
	for (uint32_t id = 1; id <= 20000; id++) {
		ck_assert(out_bytes_find(t, id * 3, &r));
		ck_assert_uint_eq(r.event, id);
		ck_assert_uint_eq(r.n, 1 + id % 8);
		ck_assert_int_eq(r.when, id % 2 ? OUT_BYTES_RELEASE : OUT_BYTES_EXIT);
		ck_assert_mem_eq(r.b, &id, r.n < 4 ? r.n : 4);
		ck_assert(!out_bytes_find(t, id * 3 + 1, &r));
	}
	/* one record a block: a second one for the same id replaces it */
	ck_assert_int_eq(out_bytes_add(t, 3, 99, OUT_BYTES_EXIT, (const unsigned char *)"xy", 2, &e), 0);
	ck_assert(out_bytes_find(t, 3, &r));
	ck_assert_uint_eq(r.event, 99);
	ck_assert_mem_eq(r.b, "xy", 2);
	ck_assert_uint_eq(out_bytes_count(t), 20000);
	ck_assert(!out_bytes_find(t, 0, &r));
	out_bytes_free(t);
}
END_TEST

/* True when the record of block `id` starts with `text`. */
static bool starts(const struct out_bytes *t, uint32_t id, const char *text, struct out_bytes_rec *r)
{
	return out_bytes_find(t, id, r) && r->n >= strlen(text) && memcmp(r->b, text, strlen(text)) == 0;
}

START_TEST(the_reader_keeps_each_blocks_bytes_by_block)
{
	static const char *const freed[] = { "alice", "bob", "carol" };
	struct replay_src rs;
	struct err e = { 0 };
	struct out_bytes_rec r;
	size_t nfree = 0, nrealloc = 0, n, live = 0;
	const struct model_block *b;
	int names = 0;

	ck_assert_int_eq(replay_src_open(&rs, FIXTURE, &e), 0);
	ck_assert(out_bytes_recorded(rs.tbl));
	for (size_t i = 0; i < model_event_count(rs.m); i++) {
		const struct model_event *ev = model_event(rs.m, i);
		uint32_t id = model_event_released(rs.m, i);
		if (ev->type == MEV_FREE) {
			/* the list is freed from its head: alice, bob, carol */
			ck_assert_uint_lt(nfree, 3);
			ck_assert_msg(starts(rs.tbl, id, freed[nfree], &r), "free #%zu lacks %s", nfree, freed[nfree]);
			ck_assert_uint_eq(r.event, i);
			ck_assert_int_eq(r.when, OUT_BYTES_RELEASE);
			ck_assert_uint_eq(r.n, 32); /* the whole node */
			nfree++;
		} else if (ev->type == MEV_REALLOC) {
			ck_assert(starts(rs.tbl, id, "grow me", &r));
			ck_assert_uint_eq(r.event, i);
			nrealloc++;
		}
	}
	ck_assert_uint_eq(nfree, 3);
	ck_assert_uint_eq(nrealloc, 1);
	/* the four blocks live at the end: dave, erin, the moved buffer, keep */
	b = model_blocks(rs.m, &n);
	for (size_t i = 0; i < n; i++) {
		if (b[i].state != MB_LIVE)
			continue;
		live++;
		ck_assert(out_bytes_find(rs.tbl, b[i].id, &r));
		ck_assert_int_eq(r.when, OUT_BYTES_EXIT);
		ck_assert_uint_eq(r.event, model_event_count(rs.m) - 1);
		ck_assert_uint_eq(r.n, b[i].size < 64 ? b[i].size : 64);
		names += starts(rs.tbl, b[i].id, "dave", &r) || starts(rs.tbl, b[i].id, "erin", &r) ||
			 starts(rs.tbl, b[i].id, "grow me, grown", &r);
	}
	ck_assert_uint_eq(live, 4);
	ck_assert_int_eq(names, 3);
	ck_assert_uint_eq(out_bytes_count(rs.tbl), 8);
	replay_src_close(&rs);
}
END_TEST

/* replay --json writes what it read; written again, the same bytes (a
 * trace of another format version comes back in this memlens's, so the
 * fixture is compared member by member: every "bytes" and "contents"). */
START_TEST(replay_json_gives_the_bytes_back_byte_for_byte)
{
	char *in = tu_slurp(FIXTURE);
	struct run r = tu_sh(20, "d=$(mktemp -d) && %s replay --json " FIXTURE " > $d/a.jsonl && "
			     "%s replay --json $d/a.jsonl | cmp - $d/a.jsonl && cat $d/a.jsonl; "
			     "s=$?; rm -rf $d; exit $s", tu_memlens(), tu_memlens());
	int members = 0;

	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(in, "\"bytes\":\"616c696365"));
	for (const char *p = in; (p = strstr(p, "\"bytes\":\"")) != NULL; p++) {
		size_t n = strcspn(p + 9, "\"") + 10;
		char *m = strndup(p, n);
		ck_assert_msg(strstr(r.out, m), "replay lost %s", m);
		free(m);
		members++;
	}
	ck_assert_int_eq(members, 4 + 4); /* 3 frees and a realloc; 4 blocks at exit */
	const char *c = strstr(in, "\"contents\":[");
	ck_assert_ptr_nonnull(c);
	char *arr = strndup(c, strcspn(c, "]") + 1);
	ck_assert_ptr_nonnull(strstr(r.out, arr));
	free(arr);
	tu_run_free(&r);
	free(in);
}
END_TEST

START_TEST(bad_bytes_are_refused_with_the_line)
{
	struct run r = tu_sh(20, "d=$(mktemp -d) && head -n 3 " FIXTURE " > $d/t.jsonl && "
			     "echo '{\"type\":\"free\",\"seq\":99,\"ptr\":1,\"bytes\":\"xyz\"}' >> $d/t.jsonl && "
			     "%s replay $d/t.jsonl; s=$?; rm -rf $d; exit $s", tu_memlens());

	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "t.jsonl:4: \"bytes\" must be hex text"));
	tu_run_free(&r);
}
END_TEST

/* ---- the details on the virtual screen ---------------------------------- */

static struct replay_src rs;
static struct ui u;
static struct vs_term vt;
static char screen[200 * 100 + 1];

static void start_size(const char *path, int rows, int cols)
{
	struct ui_opts o = { .color = UI_COLOR_NEVER, .ascii = true, .title = "bytes.jsonl" };
	struct err e = { 0 };

	ck_assert_int_eq(replay_src_open(&rs, path, &e), 0);
	ck_assert_int_eq(ui_init(&u, &o, rs.m, &rs.src, &e), 0);
	vs_open(&vt, rows, cols);
}

static void start(const char *path)
{
	start_size(path, 40, 120);
}

static void stop(void)
{
	vs_close(&vt);
	ui_fini(&u);
	replay_src_close(&rs);
}

/* The details of the block at `addr` after `k` events. */
static const char *details(size_t k, uint64_t addr)
{
	struct err e = { 0 };

	u.v.cur = k;
	ck_assert_int_eq(model_seek(rs.m, k, &e), 0);
	view_stepped(&u.v, rs.m);
	u.v.sel_addr = addr;
	u.v.mode = VM_DETAILS;
	ui_draw(&u);
	return vs_read(screen, k);
}

#define HAS VS_HAS

/* Index of the first event of `type`. */
static size_t first_of(enum model_ev_type type)
{
	for (size_t i = 0; i < model_event_count(rs.m); i++)
		if (model_event(rs.m, i)->type == type)
			return i;
	ck_abort_msg("no such event");
	return 0;
}

START_TEST(details_show_the_bytes_left_before_the_free)
{
	char label[128];
	size_t k;
	uint64_t p;
	const char *s;

	start(FIXTURE);
	k = first_of(MEV_FREE);
	p = model_event(rs.m, k)->args[0];
	snprintf(label, sizeof(label), "bytes as the program left them before free at event %zu (recorded):", k + 1);
	s = details(k + 1, p); /* at the free: the block is freed */
	HAS(s, label);
	HAS(s, "the first 32 of 32 B");
	HAS(s, "61 6c 69 63 65 00 00 00");
	HAS(s, "|alice...");
	ck_assert_ptr_null(strstr(s, "later than this event"));
	/* one event earlier the block is live: the bytes come from later */
	s = details(k, p);
	HAS(s, label);
	HAS(s, "that call comes later than this event");
	/* the realloc that moved the buffer */
	k = first_of(MEV_REALLOC);
	s = details(k + 1, model_event(rs.m, k)->args[0]);
	snprintf(label, sizeof(label), "before realloc at event %zu (recorded):", k + 1);
	HAS(s, label);
	HAS(s, "|grow me.");
	stop();
}
END_TEST

START_TEST(details_show_the_bytes_at_the_programs_exit)
{
	char label[128];
	size_t n, end, erin = SIZE_MAX;
	const struct model_block *b;
	const char *s;
	struct out_bytes_rec r;

	start(FIXTURE);
	end = model_event_count(rs.m);
	b = model_blocks(rs.m, &n);
	for (size_t i = 0; i < n; i++)
		if (b[i].state == MB_LIVE && starts(rs.tbl, b[i].id, "erin", &r))
			erin = i;
	ck_assert_uint_ne(erin, SIZE_MAX);
	uint64_t addr = b[erin].addr;
	snprintf(label, sizeof(label), "bytes at the program's exit, event %zu (recorded):", end);
	s = details(end, addr);
	HAS(s, label);
	HAS(s, "65 72 69 6e 00");
	HAS(s, "|erin....");
	ck_assert_ptr_null(strstr(s, "they may differ now"));
	s = details(end - 1, addr); /* before the exit: said so */
	HAS(s, label);
	HAS(s, "read when it ended, they may differ now");
	stop();
}
END_TEST

/* Stepping onto a free, Enter opens the block that free released (the
 * selection follows the steps): its bytes as the program left them. */
START_TEST(enter_at_a_free_opens_the_freed_block)
{
	struct err e = { 0 };
	char label[128];
	size_t k;
	const struct model_block *b;
	const char *s;

	start(FIXTURE);
	k = first_of(MEV_FREE);
	u.v.cur = k + 1;
	ck_assert_int_eq(model_seek(rs.m, k + 1, &e), 0);
	view_stepped(&u.v, rs.m);
	ck_assert(u.v.sel_follows);
	ck_assert_int_eq(view_key(&u.v, rs.m, &u.lay, VK_ENTER), VA_REDRAW);
	ck_assert_int_eq(u.v.mode, VM_DETAILS);
	b = view_selected_block(&u.v, rs.m);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(b->state, MB_FREED);
	ck_assert_uint_eq(b->id, model_event_released(rs.m, k));
	ui_draw(&u);
	s = vs_read(screen, k + 1);
	snprintf(label, sizeof(label), "bytes as the program left them before free at event %zu (recorded):", k + 1);
	HAS(s, label);
	HAS(s, "|alice...");
	/* at a malloc Enter keeps opening the selected block */
	u.v.mode = VM_NORMAL;
	k = first_of(MEV_MALLOC);
	u.v.cur = k + 1;
	ck_assert_int_eq(model_seek(rs.m, k + 1, &e), 0);
	view_stepped(&u.v, rs.m);
	ck_assert_int_eq(view_key(&u.v, rs.m, &u.lay, VK_ENTER), VA_REDRAW);
	b = view_selected_block(&u.v, rs.m);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(b->state, MB_LIVE);
	ck_assert_uint_eq(b->addr, model_event(rs.m, k)->result);
	stop();
}
END_TEST

/* At 80 columns the rows give offsets instead of addresses, so the hex
 * and the ASCII still fit whole. */
START_TEST(details_at_80x24_show_offsets_and_every_byte)
{
	size_t k;
	const char *s;

	start_size(FIXTURE, 24, 80);
	k = first_of(MEV_FREE);
	s = details(k + 1, model_event(rs.m, k)->args[0]);
	HAS(s, "+000  61 6c 69 63 65 00 00 00  00 00 00 00 00 00 00 00  |alice...........|");
	HAS(s, "+010  00 00 00 00 00 00 00 00  ");
	stop();
}
END_TEST

START_TEST(details_of_a_trace_without_bytes_say_how_to_record_them)
{
	const char *s;
	size_t k;

	start("tests/data/teach.jsonl");
	k = first_of(MEV_MALLOC);
	s = details(k + 1, model_event(rs.m, k)->result);
	HAS(s, "Block #1");
	HAS(s, "bytes: not recorded; record with memlens trace --bytes --json -o FILE");
	stop();
}
END_TEST

/* ---- a live trace ------------------------------------------------------- */

START_TEST(a_live_trace_records_the_names_and_the_exit_contents)
{
	struct run r = tu_sh(30, "d=$(mktemp -d) && %s trace --bytes --json -o $d/t.jsonl "
			     "tests/targets/t_names && %s replay --json $d/t.jsonl | cmp - $d/t.jsonl && "
			     "cat $d/t.jsonl; s=$?; rm -rf $d; exit $s", tu_memlens(), tu_memlens());
	const char *exitl;

	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "\"options\":{\"alloc\":\"teach\",\"aslr\":false,\"mode\":\"run\",\"bytes\":true}"));
	exitl = strstr(r.out, "{\"type\":\"exit\"");
	ck_assert_ptr_nonnull(exitl);
	/* each free left its node's name, the list freed from its head; the
	 * moving realloc left "grow me" */
	const char *a = strstr(r.out, "\"bytes\":\"616c69636500"), *bo = strstr(r.out, "\"bytes\":\"626f6200"),
		   *c = strstr(r.out, "\"bytes\":\"6361726f6c00"), *g = strstr(r.out, "\"bytes\":\"67726f77206d6500");
	ck_assert(a && bo && c && g);
	ck_assert(g < a && a < bo && bo < c && c < exitl);
	ck_assert_ptr_nonnull(strstr(r.out, "{\"type\":\"realloc\""));
	/* "dave", "erin" and "grow me, grown" in hex, in the exit contents */
	ck_assert_ptr_nonnull(strstr(exitl, "\"contents\":[{\"addr\":"));
	ck_assert_ptr_nonnull(strstr(exitl, "\"bytes\":\"6461766500"));
	ck_assert_ptr_nonnull(strstr(exitl, "\"bytes\":\"6572696e00"));
	ck_assert_ptr_nonnull(strstr(exitl, "\"bytes\":\"67726f77206d652c2067726f776e00"));
	ck_assert_ptr_null(strstr(exitl, "contents_more"));
	tu_run_free(&r);
}
END_TEST

/* main leaves with pthread_exit and another thread writes on: the exit
 * contents are read at the last thread's exit stop, so they hold its
 * writes ("changed", "late words"), not main's "early". */
START_TEST(the_exit_contents_come_from_the_last_thread_when_main_left_first)
{
	struct run r = tu_sh(30, "d=$(mktemp -d) && %s trace --bytes --json -o $d/t.jsonl "
			     "tests/targets/t_mainexit && grep '\"type\":\"exit\"' $d/t.jsonl; "
			     "s=$?; rm -rf $d; exit $s", tu_memlens());

	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "\"status\":0"));
	ck_assert_ptr_nonnull(strstr(r.out, "\"bytes\":\"6368616e67656400"));     /* changed */
	ck_assert_ptr_nonnull(strstr(r.out, "\"bytes\":\"6c61746520776f72647300")); /* late words */
	ck_assert_ptr_null(strstr(r.out, "\"bytes\":\"6561726c7900"));             /* early */
	tu_run_free(&r);
}
END_TEST

START_TEST(the_exit_contents_stop_at_the_cap_and_say_how_many_were_left_out)
{
	/* 100,010 leaked blocks + the 4 of the list: 14 over the cap */
	struct run r = tu_sh(60, "d=$(mktemp -d) && %s trace --bytes --json -o $d/t.jsonl "
			     "tests/targets/t_names 100010 && grep '^{\"type\":\"exit\"' $d/t.jsonl | "
			     "grep -o '\"addr\"' | wc -l && grep -o '\"contents_more\":[0-9]*' $d/t.jsonl; "
			     "s=$?; rm -rf $d; exit $s", tu_memlens());

	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, "100000\n\"contents_more\":14\n");
	tu_run_free(&r);
}
END_TEST

/* A program that memlens kills (SIGINT to memlens) never reaches its exit
 * stop: its exit line carries no contents rather than an empty list. */
START_TEST(a_killed_program_has_no_exit_contents)
{
	char marker[64];
	struct run r;

	snprintf(marker, sizeof(marker), "bytes-marker-%d", (int)getpid());
	r = tu_sh(20, "d=$(mktemp -d); timeout --preserve-status -s INT 1 %s trace --bytes --json -o $d/t.jsonl "
		  "tests/targets/t_forever %s; s=$?; grep '^{\"type\":\"free\"' $d/t.jsonl | head -n 1; "
		  "grep '^{\"type\":\"exit\"' $d/t.jsonl; rm -rf $d; exit $s", tu_memlens(), marker);
	ck_assert_int_eq(r.status, 130);
	/* the frees before it carry their 64 bytes' first 56 */
	ck_assert_ptr_nonnull(strstr(r.out, "\"bytes\":\""));
	ck_assert_ptr_nonnull(strstr(r.out, "{\"type\":\"exit\""));
	ck_assert_ptr_nonnull(strstr(r.out, "\"signal\":\"SIGKILL\""));
	ck_assert_ptr_null(strstr(r.out, "contents"));
	for (int i = 0; i < 300 && tu_marker_alive(marker); i++)
		usleep(10000);
	ck_assert_msg(!tu_marker_alive(marker), "a process of the target is still alive");
	tu_run_free(&r);
}
END_TEST

START_TEST(bytes_without_json_is_a_usage_error)
{
	struct run r = tu_sh(20, "%s trace --bytes tests/targets/t_names", tu_memlens());

	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "--bytes records block contents in a JSON trace: use it with --json"));
	tu_run_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("replay_bytes");
	TCase *tc = tcase_create("replay_bytes");

	setlocale(LC_CTYPE, "C");
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, hex_members_are_lowercase_and_parse_back);
	tcase_add_test(tc, the_side_table_finds_every_block_by_id);
	tcase_add_test(tc, the_reader_keeps_each_blocks_bytes_by_block);
	tcase_add_test(tc, replay_json_gives_the_bytes_back_byte_for_byte);
	tcase_add_test(tc, bad_bytes_are_refused_with_the_line);
	tcase_add_test(tc, details_show_the_bytes_left_before_the_free);
	tcase_add_test(tc, details_show_the_bytes_at_the_programs_exit);
	tcase_add_test(tc, enter_at_a_free_opens_the_freed_block);
	tcase_add_test(tc, details_at_80x24_show_offsets_and_every_byte);
	tcase_add_test(tc, details_of_a_trace_without_bytes_say_how_to_record_them);
	tcase_add_test(tc, a_live_trace_records_the_names_and_the_exit_contents);
	tcase_add_test(tc, the_exit_contents_come_from_the_last_thread_when_main_left_first);
	tcase_add_test(tc, the_exit_contents_stop_at_the_cap_and_say_how_many_were_left_out);
	tcase_add_test(tc, a_killed_program_has_no_exit_contents);
	tcase_add_test(tc, bytes_without_json_is_a_usage_error);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
