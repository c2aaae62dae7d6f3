/* check_out: the text log and summary, the JSON Lines trace writer and its
 * reader: write -> read -> write gives the same bytes, the summary's
 * counting rules, malformed trace files give "FILE:LINE: reason" (and exit
 * 1 from `memlens replay`), and the hand-written fixture replays to the
 * log in tests/data/list.txt (checked line by line against the events of
 * tests/data/list.jsonl when it was written). */
#include <errno.h>
#include <stdint.h>

#include "testutil.h"
#include "model/model.h"
#include "out/jparse.h"
#include "out/out.h"
#include "ring/ring_format.h"

static struct model *mk(bool hist)
{
	struct model_opts o = { .keep_history = hist };
	return model_new(&o);
}

static void apply(struct model *m, struct model_event e)
{
	struct err er = { 0 };
	if (model_apply(m, &e, &er) != 0)
		ck_abort_msg("apply: %s", er.msg);
}

static struct model_event ev(int type, uint64_t a0, uint64_t a1, uint64_t res)
{
	static uint64_t seq;
	struct model_event e = { .type = (uint16_t)type, .tid = 7, .seq = seq++, .result = res };
	e.args[0] = a0;
	e.args[1] = a1;
	return e;
}

static void layout_cb(struct json *j, const void *arg)
{
	json_obj_begin(j);
	json_kstr(j, "file", arg);
	json_key(j, "segments");
	json_arr_begin(j);
	json_uint(j, 1);
	json_arr_end(j);
	json_obj_end(j);
}

/* A model holding one event of every kind, written as a trace file. */
static char *write_all_kinds(size_t *len)
{
	struct model *m = mk(true);
	char *buf = NULL, *argv[] = { "prog", "a b", "\"q\"" };
	FILE *f = open_memstream(&buf, len);
	struct out_start st = { .program = "tests/prog", .argv = argv, .argc = 3, .alloc = "teach",
				.mode = "run", .layout = layout_cb, .layout_arg = "tests/prog" };
	struct model_site s1 = { .addr = 0x401136, .func = "push", .func_off = 0x1c, .file = "list.c", .line = 17 };
	struct model_site s2 = { .addr = 0x7ffff7e4a123, .object = "libc.so.6", .func_off = 0x2a123 };
	struct model_site s3 = { .addr = 1, .func = "we\"ird\\ \n\t\r\x01\x7f \xc3\xa9", .file = "/" };
	struct model_region r[2] = {
		{ .start = 0x400000, .end = 0x401000, .kind = MR_TEXT, .perms = "r-xp", .name = "prog" },
		{ .start = 0x405000, .end = 0x426000, .kind = MR_HEAP, .perms = "rw-p", .name = "[heap]" },
	};
	struct model_event e;

	out_json_start(f, &st);
#define EMIT(x) do { e = (x); apply(m, e); out_json_event(f, m, model_event(m, model_event_count(m) - 1)); } while (0)
	e = ev(MEV_REGIONS, 0, 0, 0);
	e.aux = model_regions_add(m, r, 2);
	EMIT(e);
	e = ev(MEV_MALLOC, 40, 0, 0x405010);
	e.site = model_site_intern(m, &s1);
	e.flags = RING_F_TEACH | RING_F_GREW_HEAP;
	e.block = 0x405000;
	e.block_size = 64;
	e.brk = 0x426000;
	e.sp = 0x7fffffffe000;
	e.stack_depth = 312;
	EMIT(e);
	e = ev(MEV_CALLOC, 3, 8, 0x406000);
	e.site = model_site_intern(m, &s3);
	e.tid = -5;
	EMIT(e);
	e = ev(MEV_REALLOC, 0x406000, 64, 0x407000);
	e.site = model_site_intern(m, &s2);
	EMIT(e);
	e = ev(MEV_REALLOCARRAY, 0x407000, 4, 0x407000);
	e.args[2] = 32;
	EMIT(e);
	EMIT(ev(MEV_FREE, 0, 0, 0));
	EMIT(ev(MEV_POSIX_MEMALIGN, 64, 100, 0x408000));
	EMIT(ev(MEV_ALIGNED_ALLOC, 64, 128, 0x409000));
	EMIT(ev(MEV_MEMALIGN, 32, 10, 0x40a000));
	EMIT(ev(MEV_VALLOC, 10, 0, 0x40b000));
	EMIT(ev(MEV_PVALLOC, 10, 0, 0x40c000));
	e = ev(MEV_MALLOC, 1ULL << 40, 0, 0);
	e.err_no = 12;
	EMIT(e);
	EMIT(ev(MEV_FREE, 0x408000, 0, 0));
	e = ev(MEV_ERROR, RING_FREE, 0x408000, 0);
	e.error = RING_ERR_DOUBLE_FREE;
	EMIT(e);
	e = ev(MEV_CALL, 0, 0, 0);
	e.site = model_site_intern(m, &s1);
	EMIT(e);
	EMIT(ev(MEV_RETURN, 0, 0, 0));
	EMIT(ev(MEV_LINE, 0, 0, 0));
	EMIT(ev(MEV_EXEC, 0, 0, 0));
	e = ev(MEV_SIGNAL, 0, 0, 0);
	e.error = 11;
	e.code = 2;
	e.aux = 0x408008;
	EMIT(e);
	e = ev(MEV_SIGNAL, 0, 0, 0);
	e.error = 2;
	EMIT(e);
	e = ev(MEV_EXIT, 0, 0, 3);
	EMIT(e);
	out_json_summary(f, m);
	fclose(f);
	model_free(m);
	return buf;
}

struct rewrite {
	FILE *f;
	int starts, events;
};

static int rw_start(void *arg, const struct out_trace_start *s, struct err *e)
{
	struct rewrite *w = arg;
	struct out_start o = { .program = s->program, .argv = s->argv, .argc = s->argc,
			       .options_raw = s->options_raw, .layout_raw = s->layout_raw };
	(void)e;
	w->starts++;
	out_json_start(w->f, &o);
	return 0;
}

static int rw_event(void *arg, const struct model *m, const struct model_event *ev, size_t idx, struct err *e)
{
	struct rewrite *w = arg;
	(void)e;
	(void)idx;
	w->events++;
	out_json_event(w->f, m, ev);
	return 0;
}

/* Reads `text` as a trace and writes it again; returns the new text, or
 * NULL with `e` filled. */
static char *rewrite(const char *text, struct err *e, bool hist)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	char *buf = NULL;
	size_t len;
	struct rewrite w = { open_memstream(&buf, &len), 0, 0 };
	struct out_reader_cb cb = { rw_start, rw_event, &w };
	struct model *m = mk(hist);
	int rc = out_trace_read(in, "t.jsonl", m, &cb, e);

	if (rc == 0)
		out_json_summary(w.f, m);
	fclose(w.f);
	fclose(in);
	model_free(m);
	if (rc < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

START_TEST(write_read_write_gives_identical_json)
{
	size_t len;
	char *a = write_all_kinds(&len);
	struct err e = { 0 };
	char *b = rewrite(a, &e, false), *c;

	ck_assert_msg(b != NULL, "read: %s", e.msg);
	ck_assert_str_eq(a, b);
	c = rewrite(a, &e, true); /* with history, the same */
	ck_assert_msg(c != NULL, "read: %s", e.msg);
	ck_assert_str_eq(a, c);
	/* what the lines hold */
	ck_assert_ptr_nonnull(strstr(a, "{\"type\":\"start\",\"version\":3,\"program\":\"tests/prog\","
				     "\"args\":[\"prog\",\"a b\",\"\\\"q\\\"\"],\"options\":{\"alloc\":\"teach\","
				     "\"aslr\":false,\"mode\":\"run\"},\"layout\":{\"file\":\"tests/prog\",\"segments\":[1]}}\n"));
	ck_assert_ptr_nonnull(strstr(a, "{\"type\":\"malloc\",\"seq\":"));
	/* a site with file and line leaves out func_off; one without keeps it */
	ck_assert_ptr_nonnull(strstr(a, "\"size\":40,\"result\":4214800,\"site\":{\"addr\":4198710,\"func\":\"push\","
				     "\"file\":\"list.c\",\"line\":17}"));
	ck_assert_ptr_nonnull(strstr(a, "\"site\":{\"addr\":140737352343843,\"func_off\":172323,\"object\":\"libc.so.6\"}"));
	ck_assert_ptr_nonnull(strstr(a, "\"type\":\"calloc\",\"seq\":"));
	ck_assert_ptr_nonnull(strstr(a, "\"tid\":-5,\"nmemb\":3,\"size\":8"));
	ck_assert_ptr_nonnull(strstr(a, "\"func\":\"we\\\"ird\\\\ \\n\\t\\r\\u0001\\u007f \xc3\xa9\""));
	ck_assert_ptr_nonnull(strstr(a, "\"type\":\"posix_memalign\""));
	ck_assert_ptr_nonnull(strstr(a, "\"alignment\":64,\"size\":100"));
	ck_assert_ptr_nonnull(strstr(a, "\"kind\":\"double_free\",\"call\":\"free\",\"ptr\":4227072"));
	ck_assert_ptr_nonnull(strstr(a, "\"signal\":\"SIGSEGV\",\"signo\":11,\"addr\":4227080,\"explanation\":\""));
	ck_assert_ptr_nonnull(strstr(a, "\"type\":\"exit\""));
	ck_assert_ptr_nonnull(strstr(a, "\"status\":3"));
	ck_assert_ptr_nonnull(strstr(a, "\"regions\":[{\"start\":4194304,\"end\":4198400,\"kind\":\"text\",\"perms\":\"r-xp\",\"name\":\"prog\"}"));
	free(a);
	free(b);
	free(c);
}
END_TEST

/* Version 2 writes `sp`, `stack_depth` and `brk` only where they differ
 * from the previous event line's, a 0 included; the reader carries them
 * forward, so every event comes back with its own values.  A version 1
 * file (no carrying) reads an absent one as 0. */
/* A model (with history) read from trace text `text`, which must load. */
static struct model *read_text(const char *text, const char *name)
{
	struct model *m = mk(true);
	struct err e = { 0 };
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	int rc = out_trace_read(in, name, m, NULL, &e);

	fclose(in);
	ck_assert_msg(rc == 0, "read %s: %s", name, e.msg);
	return m;
}

START_TEST(stack_fields_are_written_when_they_change_and_read_back_carried)
{
	static const uint64_t sp[] = { 0x7fffffffe000, 0x7fffffffe000, 0x7fffffffd000, 0, 0x7fffffffd000 };
	static const uint64_t depth[] = { 312, 312, 4408, 0, 4408 };
	static const uint64_t brk[] = { 0x5000, 0x5000, 0x5000, 0, 0x6000 };
	struct model *m = mk(true), *back;
	char *buf = NULL, *again;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	struct out_start st = { .program = "p", .alloc = "libc", .mode = "run" };
	struct err e = { 0 };

	out_json_start(f, &st);
	for (int i = 0; i < 5; i++) {
		struct model_event x = ev(MEV_MALLOC, 8, 0, 0x1000 + 0x100 * (uint64_t)i);
		x.sp = sp[i];
		x.stack_depth = depth[i];
		x.brk = brk[i];
		apply(m, x);
		out_json_event(f, m, model_event(m, model_event_count(m) - 1));
	}
	out_json_summary(f, m);
	fclose(f);
	/* line 1 is the start; events are lines 2-6 */
	char *l[7] = { 0 };
	int n = 0;
	for (char *p = buf; p && n < 7; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		l[n++] = p;
	ck_assert_int_eq(n, 7);
	ck_assert_ptr_nonnull(strstr(l[1], "\"sp\":140737488347136,\"stack_depth\":312,\"brk\":20480}"));
	char *second = strndup(l[2], (size_t)(l[3] - l[2]));
	ck_assert_ptr_null(strstr(second, "\"sp\""));
	ck_assert_ptr_null(strstr(second, "\"brk\""));
	free(second);
	ck_assert_ptr_nonnull(strstr(l[3], "\"sp\":140737488343040,\"stack_depth\":4408}"));
	ck_assert_ptr_nonnull(strstr(l[4], "\"sp\":0,\"stack_depth\":0,\"brk\":0}"));
	ck_assert_ptr_nonnull(strstr(l[5], "\"sp\":140737488343040,\"stack_depth\":4408,\"brk\":24576}"));
	/* read back: each event has its own values; written again: the same bytes */
	back = read_text(buf, "t.jsonl");
	ck_assert_uint_eq(model_event_count(back), 5);
	for (size_t i = 0; i < 5; i++) {
		ck_assert_uint_eq(model_event(back, i)->sp, sp[i]);
		ck_assert_uint_eq(model_event(back, i)->stack_depth, depth[i]);
		ck_assert_uint_eq(model_event(back, i)->brk, brk[i]);
	}
	ck_assert_uint_eq(model_stats(back)->stack_max, 4408);
	again = rewrite(buf, &e, false);
	ck_assert_msg(again != NULL, "read: %s", e.msg);
	ck_assert_str_eq(again, buf);
	free(again);
	/* version 1: an absent sp is 0, not the previous line's */
	const char *v1 = "{\"type\":\"start\",\"version\":1}\n"
			 "{\"type\":\"malloc\",\"seq\":1,\"size\":8,\"result\":4096,\"sp\":64,\"stack_depth\":8}\n"
			 "{\"type\":\"malloc\",\"seq\":2,\"size\":8,\"result\":8192}\n";
	struct model *old = read_text(v1, "v1.jsonl");
	ck_assert_uint_eq(model_event(old, 0)->sp, 64);
	ck_assert_uint_eq(model_event(old, 1)->sp, 0);
	ck_assert_uint_eq(model_event(old, 1)->stack_depth, 0);
	model_free(old);
	free(buf);
	model_free(m);
	model_free(back);
}
END_TEST

/* One line of `text` (0: the first), without its newline. */
static char *line_of(const char *text, int k)
{
	const char *p = text, *q;

	while (k-- > 0 && p)
		p = (p = strchr(p, '\n')) ? p + 1 : NULL;
	ck_assert_ptr_nonnull(p);
	q = strchr(p, '\n');
	return strndup(p, q ? (size_t)(q - p) : strlen(p));
}

START_TEST(teach_facts_the_layout_implies_are_left_out_and_read_back)
{
	/* the teach allocator's usual facts (left out) and unusual ones
	 * (written, 0 included) */
	struct model_event x[9];
	struct model *m = mk(true), *back;
	char *buf = NULL, *l;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	struct out_start st = { .program = "p", .alloc = "teach", .mode = "run" };

	x[0] = ev(MEV_MALLOC, 40, 0, 0x5010); /* split: 40 + 16 -> 64 */
	x[0].block = 0x5000, x[0].block_size = 64;
	x[1] = ev(MEV_MALLOC, 8, 0, 0x5050); /* a whole chunk, bigger than asked */
	x[1].block = 0x5040, x[1].block_size = 96;
	x[2] = ev(MEV_REALLOC, 0x5010, 100, 0x6010); /* moved */
	x[2].block = 0x6000, x[2].block_size = 128, x[2].old_block = 0x5000;
	x[3] = ev(MEV_FREE, 0x5050, 0, 0); /* merged with the chunk before */
	x[3].block = 0x5000, x[3].block_size = 96, x[3].old_block = 0x5040;
	x[4] = ev(MEV_FREE, 0x6010, 0, 0);
	x[4].block = 0x6000, x[4].block_size = 128, x[4].old_block = 0x6000;
	x[5] = ev(MEV_MEMALIGN, 256, 8, 0x7100); /* no block: 0 is written */
	x[6] = ev(MEV_FREE, 0x7100, 0, 0); /* a size the model did not know */
	x[6].block = 0x70f0, x[6].block_size = 48, x[6].old_block = 0x70f0;
	x[7] = ev(MEV_MALLOC, 8, 0, 0x8010); /* a split: flags written */
	x[7].block = 0x8000, x[7].block_size = 32;
	x[8] = ev(MEV_MALLOC, 8, 0, 0x9000); /* no teach facts: flags 0 written */
	out_json_start(f, &st);
	for (int i = 0; i < 9; i++) {
		x[i].flags = (uint16_t)(i == 7 ? RING_F_TEACH | RING_F_SPLIT : i == 8 ? 0 : RING_F_TEACH);
		apply(m, x[i]);
		out_json_event(f, m, model_event(m, model_event_count(m) - 1));
	}
	out_json_summary(f, m);
	fclose(f);
	/* each line ends with what is not implied (lines 1-9: the events) */
	static const char *const tail[9] = {
		"\"result\":20496}",
		"\"result\":20560,\"block_size\":96}",             /* bigger than asked */
		"\"result\":24592}",
		"\"ptr\":20560,\"block\":20480,\"old_block\":20544}", /* merged */
		"\"ptr\":24592}",                                  /* its realloc's size */
		"\"result\":28928,\"block\":0,\"block_size\":0}",
		"\"ptr\":28928,\"block_size\":48}",
		"\"result\":32784,\"flags\":17}",
		"\"result\":36864,\"flags\":0}",
	};
	for (int i = 0; i < 9; i++) {
		l = line_of(buf, i + 1);
		ck_assert_msg(strlen(l) > strlen(tail[i]) && strcmp(l + strlen(l) - strlen(tail[i]), tail[i]) == 0,
			      "line %d: %s", i + 1, l);
		free(l);
	}
	/* read back: every event has its own flags and facts again */
	back = read_text(buf, "t.jsonl");
	ck_assert_uint_eq(model_event_count(back), 9);
	for (size_t i = 0; i < 9; i++) {
		ck_assert_uint_eq(model_event(back, i)->flags, x[i].flags);
		ck_assert_uint_eq(model_event(back, i)->block, x[i].block);
		ck_assert_uint_eq(model_event(back, i)->block_size, x[i].block_size);
		ck_assert_uint_eq(model_event(back, i)->old_block, x[i].old_block);
	}
	/* version 2: an absent one is 0, whatever the layout implies */
	const char *v2 = "{\"type\":\"start\",\"version\":2,\"options\":{\"alloc\":\"teach\"}}\n"
			 "{\"type\":\"malloc\",\"seq\":1,\"size\":8,\"result\":4112}\n";
	struct model *old = read_text(v2, "v2.jsonl");
	ck_assert_uint_eq(model_event(old, 0)->flags, 0);
	ck_assert_uint_eq(model_event(old, 0)->block, 0);
	ck_assert_uint_eq(model_event(old, 0)->block_size, 0);
	model_free(old);
	/* version 3, a libc trace: an absent flags is 0 */
	const char *lc = "{\"type\":\"start\",\"version\":3,\"options\":{\"alloc\":\"libc\"}}\n"
			 "{\"type\":\"malloc\",\"seq\":1,\"size\":8,\"result\":4112}\n";
	old = read_text(lc, "libc.jsonl");
	ck_assert_uint_eq(model_event(old, 0)->flags, 0);
	ck_assert_uint_eq(model_event(old, 0)->block, 0);
	model_free(old);
	free(buf);
	model_free(m);
	model_free(back);
}
END_TEST

/* Writes the same trace (start, many events with long and short sites,
 * summary) to `f`; lines cross the writer's 1 MiB buffers many times. */
static void write_many(FILE *f)
{
	struct model *m = mk(false);
	struct out_start st = { .program = "p", .alloc = "libc", .mode = "run" };
	char longname[6000];

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	struct model_site s1 = { .addr = 0x401136, .func = "push", .file = "list.c", .line = 17 };
	struct model_site s2 = { .addr = 0x401200, .func = longname }; /* a 6 KB line */
	uint32_t i1 = model_site_intern(m, &s1), i2 = model_site_intern(m, &s2);

	out_json_start(f, &st);
	for (uint64_t i = 0; i < 40000; i++) {
		struct model_event x = ev(i % 2 ? MEV_FREE : MEV_MALLOC, i % 2 ? 0x10000 + 16 * (i - 1) : i,
					  0, i % 2 ? 0 : 0x10000 + 16 * i);
		x.seq = i;
		x.site = i % 997 == 0 ? i2 : i1;
		x.sp = 0x7fffffffe000 - 16 * (i % 3);
		apply(m, x);
		out_json_event(f, m, model_event(m, model_event_count(m) - 1));
	}
	out_json_summary(f, m);
	model_free(m);
}

/* trace -o's stream (a writer thread, O_DIRECT where it works, lines
 * formatted in its buffers) holds exactly the bytes a plain stream gets,
 * and a failed write is reported by fclose, not lost. */
START_TEST(trace_file_stream_writes_the_same_bytes_and_reports_errors)
{
	char path[] = "/tmp/memlens-check-afile-XXXXXX";
	char *want = NULL, *got;
	size_t len;
	struct err e = { 0 };
	FILE *ms = open_memstream(&want, &len), *f;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	write_many(ms);
	fclose(ms);
	ck_assert_uint_gt(len, 3u << 20);
	f = out_file_open(path, &e);
	ck_assert_msg(f != NULL, "%s", e.msg);
	write_many(f);
	ck_assert_int_eq(fclose(f), 0);
	got = tu_slurp(path);
	ck_assert_uint_eq(strlen(got), len);
	ck_assert_msg(memcmp(got, want, len) == 0, "the file differs from the memstream");
	free(got);
	free(want);
	unlink(path);
	/* a path that cannot be opened, and a device that is always full */
	ck_assert_ptr_null(out_file_open("/nonexistent-dir/x.jsonl", &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent-dir/x.jsonl: No such file"));
	ck_assert_int_eq(e.status, ERR_INPUT);
	f = out_file_open("/dev/full", &e);
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 20000; i++)
		fputs("{\"type\":\"free\",\"seq\":1,\"ptr\":0}\n", f);
	errno = 0;
	ck_assert_int_eq(fclose(f), EOF);
	ck_assert_int_eq(errno, ENOSPC);
}
END_TEST

/* free(NULL) is in calls.free and in free_null; a realloc is one call; the
 * peak and the leaks count requested sizes. */
START_TEST(summary_counting_rules)
{
	struct model *m = mk(false);
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	apply(m, ev(MEV_MALLOC, 10, 0, 0x1000));
	apply(m, ev(MEV_FREE, 0, 0, 0));
	apply(m, ev(MEV_REALLOC, 0x1000, 30, 0x2000));
	apply(m, ev(MEV_MALLOC, 5, 0, 0x3000));
	apply(m, ev(MEV_FREE, 0x3000, 0, 0));
	out_json_summary(f, m);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "\"calls\":{\"malloc\":2,\"calloc\":0,\"realloc\":1,\"reallocarray\":0,"
				       "\"free\":2,\"posix_memalign\":0,"));
	ck_assert_ptr_nonnull(strstr(buf, "\"free_null\":1,\"allocations\":3,\"deallocations\":2,"
				       "\"peak_heap_bytes\":35,\"leaked_bytes\":30,\"leaked_blocks\":1,"
				       "\"leaks\":[{\"site\":{\"addr\":0},\"blocks\":1,\"bytes\":30}],"
				       "\"max_stack_depth\":0,\"exit\":null"));
	free(buf);
	model_free(m);
}
END_TEST

static char *text_of(struct model *m, const struct model_event *e)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	out_text_event(f, m, e, model_event_count(m) - 1);
	fclose(f);
	return buf;
}

START_TEST(text_lines_name_call_site_and_state)
{
	struct model *m = mk(false);
	struct model_site s = { .addr = 0x401136, .func = "push", .file = "list.c", .line = 17 };
	struct model_site s2 = { .addr = 0x401136, .func = "push", .func_off = 0x1c };
	struct model_event e = ev(MEV_MALLOC, 40, 0, 0x5555555592a0);
	char *t;

	e.site = model_site_intern(m, &s);
	e.brk = 0x555555559000;
	apply(m, e);
	e = ev(MEV_MALLOC, 4000, 0, 0x5555555593a0);
	e.site = model_site_intern(m, &s);
	e.brk = 0x55555555b000;
	e.stack_depth = 312;
	apply(m, e);
	t = text_of(m, &e);
	ck_assert_str_eq(t, "#2  malloc(4000) = 0x5555555593a0  in push (list.c:17)  heap 3.9 KiB in use, "
			    "break +8.0 KiB, stack 312 B\n");
	free(t);
	e = ev(MEV_FREE, 0, 0, 0);
	e.site = model_site_intern(m, &s2);
	apply(m, e);
	t = text_of(m, &e);
	ck_assert_ptr_nonnull(strstr(t, "#3  free(NULL)  in push+0x1c  heap"));
	free(t);
	e = ev(MEV_EXIT, 0, 0, 0);
	e.code = 1;
	e.error = 6;
	apply(m, e);
	t = text_of(m, &e);
	ck_assert_ptr_nonnull(strstr(t, "#4  exit: killed by SIGABRT"));
	free(t);
	model_free(m);
}
END_TEST

static void expect_bad(const char *text, const char *want)
{
	struct err e = { 0 };
	char *r = rewrite(text, &e, false);

	ck_assert_msg(r == NULL, "accepted: %s", text);
	ck_assert_msg(strstr(e.msg, want) != NULL, "for %s: got \"%s\", want \"%s\"", text, e.msg, want);
	ck_assert_int_eq(e.status, ERR_INPUT);
}

#define START "{\"type\":\"start\",\"version\":1}\n"

START_TEST(malformed_traces_give_the_line_and_the_reason)
{
	expect_bad("", "t.jsonl: empty file");
	expect_bad("\n\n", "empty file");
	expect_bad("{\"type\":\"malloc\",\"seq\":1,\"size\":1,\"result\":0}\n", "t.jsonl:1: not a memlens trace");
	expect_bad("hello\n", "t.jsonl:1: malformed JSON at byte 1");
	expect_bad("[1,2]\n", "t.jsonl:1: each line must be a JSON object");
	expect_bad("{\"type\":\"start\",\"version\":4}\n", "t.jsonl:1: trace format version 4 (this memlens reads 1 to 3)");
	expect_bad("{\"type\":\"start\",\"version\":0}\n", "t.jsonl:1: trace format version 0");
	expect_bad("{\"type\":\"start\"}\n", "missing \"version\"");
	expect_bad(START "{\"type\":\"malloc\",\"seq\":1,\"size\":1,\"result\":", "t.jsonl:2: malformed JSON");
	expect_bad(START "{\"type\":\"malloc\",\"seq\":1,\"size\":1.5,\"result\":0}\n", "t.jsonl:2: malformed JSON at byte 34: numbers must be integers");
	expect_bad(START "{\"type\":\"malloc\",\"seq\":1,\"result\":0}\n", "t.jsonl:2: missing \"size\"");
	expect_bad(START "{\"type\":\"malloc\",\"seq\":1,\"size\":-1,\"result\":0}\n", "\"size\" is out of range");
	expect_bad(START "{\"type\":\"malloc\",\"seq\":1,\"size\":\"1\",\"result\":0}\n", "\"size\" must be an integer");
	expect_bad(START "{\"type\":\"malloc\",\"seq\":1,\"size\":18446744073709551616,\"result\":0}\n", "number too large");
	expect_bad(START "{\"type\":\"mallocx\",\"seq\":1}\n", "t.jsonl:2: unknown event type \"mallocx\"");
	expect_bad(START "{\"seq\":1}\n", "missing \"type\"");
	expect_bad(START "{\"type\":\"free\",\"seq\":1,\"ptr\":0,\"tid\":99999999999}\n", "\"tid\" is out of range");
	expect_bad(START "{\"type\":\"regions\",\"seq\":1,\"regions\":{}}\n", "needs a \"regions\" array");
	expect_bad(START "{\"type\":\"regions\",\"seq\":1,\"regions\":[{\"start\":1}]}\n", "missing \"end\"");
	expect_bad(START "{\"type\":\"signal\",\"seq\":1,\"signal\":\"SIGFOO\"}\n", "unknown signal \"SIGFOO\"");
	expect_bad(START "{\"type\":\"exit\",\"seq\":1,\"status\":256}\n", "\"status\" is out of range");
	expect_bad(START "{\"type\":\"error\",\"seq\":1,\"kind\":\"oops\"}\n", "unknown error kind \"oops\"");
	expect_bad(START "{\"type\":\"summary\"}\n{\"type\":\"free\",\"seq\":1,\"ptr\":0}\n", "t.jsonl:3: text after the summary line");
	expect_bad(START "{\"type\":\"free\",\"seq\":1,\"ptr\":0,\"x\":\"\\u0000\"}\n", "\\u0000");
	expect_bad(START "{\"type\":\"free\",\"seq\":1,\"ptr\":0,\"x\":\"\\ud800\"}\n", "surrogate");
	expect_bad(START "{\"type\":\"free\",\"seq\":1,\"ptr\":0} x\n", "text after the value");
	expect_bad(START "{\"type\":\"free\",\"seq\":1,\"ptr\":0,}\n", "expected a member name");
	expect_bad(START "{\"type\":\"start\",\"version\":1}\n", "unknown event type \"start\"");
	/* nesting deeper than the parser allows */
	char deep[200] = START "{\"type\":\"free\",\"seq\":1,\"ptr\":0,\"x\":";
	size_t n = strlen(deep);
	for (int i = 0; i < 40; i++)
		deep[n++] = '[';
	deep[n++] = '\n';
	deep[n] = '\0';
	expect_bad(deep, "nested too deeply");
}
END_TEST

START_TEST(parser_decodes_escapes_and_keeps_spans)
{
	struct jdoc d = { 0 };
	const char *t = " {\"a\" : \"x\\u00e9\\ud83d\\ude00\\n\", \"b\":[1,-2,true,null], \"c\":{\"d\":{}} } ";
	uint32_t root = jdoc_parse(&d, t, strlen(t)), a, b, c;

	ck_assert_uint_ne(root, JNONE);
	a = jobj_get(&d, root, "a");
	ck_assert_str_eq(jstr(&d, a), "x\xc3\xa9\xf0\x9f\x98\x80\n");
	b = jobj_get(&d, root, "b");
	ck_assert_uint_eq(d.v[b].u, 4);
	ck_assert_int_eq(d.v[d.v[d.v[b].first].next].neg, 1);
	c = jobj_get(&d, root, "c");
	ck_assert_int_eq((int)d.v[c].len, (int)strlen("{\"d\":{}}"));
	ck_assert(memcmp(t + d.v[c].off, "{\"d\":{}}", d.v[c].len) == 0);
	ck_assert_uint_eq(jobj_get(&d, root, "zz"), JNONE);
	jdoc_free(&d);
}
END_TEST

START_TEST(replay_text_of_the_fixture_prints_the_expected_log)
{
	struct run r = tu_sh(20, "%s replay --text tests/data/list.jsonl", tu_memlens());
	char *want = tu_slurp("tests/data/list.txt");

	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.err, "");
	ck_assert_str_eq(r.out, want);
	/* the facts the fixture was written to show */
	ck_assert_ptr_nonnull(strstr(r.out, "#2  malloc(40) = 0x55555555e6a0  in push (list.c:17)  heap 40 B in use, break +0 B, stack 312 B\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "#5  realloc(0x55555555e720, 16) = 0x55555555e720  in libfoo.so+0x1234  heap 96 B in use"));
	ck_assert_ptr_nonnull(strstr(r.out, "#7  free(NULL)  in 0x55555555526c"));
	ck_assert_ptr_nonnull(strstr(r.out, "#9  error: double free: free(0x55555555e6e0)  in pop (list.c:30)"));
	ck_assert_ptr_nonnull(strstr(r.out, "#10  malloc(1099511627776) = NULL (ENOMEM)"));
	ck_assert_ptr_nonnull(strstr(r.out, "signal SIGSEGV at 0x55555555e6e8: freed block #2 (40 bytes) allocated at push (list.c:17) and freed at pop (list.c:30)"));
	ck_assert_ptr_nonnull(strstr(r.out, "calls:        malloc 3, calloc 1, realloc 2, free 2 (free(NULL) 1 of the frees)\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "allocations:  4, frees 2\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "exit:         killed by SIGSEGV (signal 11)\n"));
	tu_run_free(&r);
	r = tu_sh(20, "%s replay --text -q tests/data/list.jsonl", tu_memlens());
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_null(strstr(r.out, "#1 "));
	ck_assert_ptr_nonnull(strstr(r.out, "== memlens summary (12 events) =="));
	tu_run_free(&r);
	free(want);
}
END_TEST

START_TEST(replay_text_of_the_teach_fixture_prints_the_expected_log)
{
	struct run r = tu_sh(20, "%s replay --text tests/data/teach.jsonl", tu_memlens());
	char *want = tu_slurp("tests/data/teach.txt");

	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, want);
	ck_assert_ptr_nonnull(strstr(r.out, "#4  malloc(16) = 0x555555555010  in main (heap.c:11)  heap 116 B in use"));
	ck_assert_ptr_nonnull(strstr(r.out, "allocator:    break moved +0 B, mmap'd blocks 200 KiB at most\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "exit:         status 0\n"));
	tu_run_free(&r);
	free(want);
}
END_TEST

START_TEST(replay_json_twice_is_identical)
{
	struct run a = tu_sh(20, "%s replay --json tests/data/list.jsonl > /tmp/memlens-check-out-$$.jsonl && "
			     "%s replay --json /tmp/memlens-check-out-$$.jsonl; rc=$?; rm -f /tmp/memlens-check-out-$$.jsonl; exit $rc",
			     tu_memlens(), tu_memlens());
	struct run b = tu_sh(20, "%s replay --json tests/data/list.jsonl", tu_memlens());

	ck_assert_int_eq(a.status, 0);
	ck_assert_int_eq(b.status, 0);
	ck_assert_str_eq(a.out, b.out);
	ck_assert_ptr_nonnull(strstr(b.out, "\"layout\":{\"file\":\"samples/list\",\"type\":\"DYN\"}"));
	tu_run_free(&a);
	tu_run_free(&b);
}
END_TEST

/* An exit whose SIGKILL came from memlens ("by":"memlens") reads back as
 * such: the summary does not blame the program, and --json keeps the field. */
START_TEST(replay_keeps_an_exit_killed_by_memlens)
{
	struct run r = tu_sh(20, "f=/tmp/memlens-check-by-$$.jsonl; printf '%%s\\n' '{\"type\":\"start\",\"version\":1}' "
			     "'{\"type\":\"malloc\",\"seq\":0,\"size\":8,\"result\":4096}' "
			     "'{\"type\":\"exit\",\"seq\":1,\"signal\":\"SIGKILL\",\"signo\":9,\"by\":\"memlens\"}' > $f; "
			     "%s replay --text -q $f && %s replay --json $f; rc=$?; rm -f $f; exit $rc",
			     tu_memlens(), tu_memlens());

	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(strstr(r.err, "exit:         none of its own: memlens killed it (SIGKILL) before it ended") ||
		      strstr(r.out, "exit:         none of its own: memlens killed it (SIGKILL) before it ended"),
		      "%s%s", r.out, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "\"signo\":9,\"by\":\"memlens\"}"));
	tu_run_free(&r);
}
END_TEST

START_TEST(replay_of_a_malformed_file_exits_1_with_the_line)
{
	struct run r = tu_sh(20, "f=/tmp/memlens-check-bad-$$.jsonl; printf '%%s\\n' '{\"type\":\"start\",\"version\":1}' "
			     "'{\"type\":\"malloc\",\"seq\":1,\"size\":1}' > $f; %s replay --text $f; rc=$?; rm -f $f; exit $rc",
			     tu_memlens());

	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "memlens: /tmp/memlens-check-bad-"));
	ck_assert_ptr_nonnull(strstr(r.err, ".jsonl:2: missing \"result\""));
	tu_run_free(&r);
	r = tu_sh(20, "%s replay --json tests", tu_memlens());
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "memlens: tests: is a directory"));
	tu_run_free(&r);
	r = tu_sh(20, "%s replay --text /nonexistent.jsonl", tu_memlens());
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "No such file"));
	tu_run_free(&r);
	r = tu_sh(20, "%s replay tests/data/list.jsonl", tu_memlens());
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "use 'memlens replay --text FILE'"));
	tu_run_free(&r);
	r = tu_sh(20, "%s replay --bogus x", tu_memlens());
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "replay: unrecognized option '--bogus'"));
	tu_run_free(&r);
}
END_TEST

/* Every prefix of the fixtures, and copies with one byte changed, must be
 * read to the end or refused with a message: never a crash (the asan
 * build checks memory too; tests/fuzz/fuzz_trace.c goes further). */
/* A regions event with no regions at all, first thing in a file: the
 * model's snapshot of it is empty (found by the trace-reader fuzzer as
 * pointer arithmetic on a NULL array; make asan runs this). */
START_TEST(an_empty_regions_event_reads_and_writes_back)
{
	const char *text = "{\"type\":\"start\",\"version\":2}\n"
			   "{\"type\":\"regions\",\"seq\":0,\"regions\":[]}\n"
			   "{\"type\":\"malloc\",\"seq\":1,\"size\":8,\"result\":4096}\n";
	struct err e = { 0 };

	for (int hist = 0; hist < 2; hist++) {
		char *r = rewrite(text, &e, hist);
		ck_assert_msg(r != NULL, "%s", e.msg);
		ck_assert_ptr_nonnull(strstr(r, "\"regions\":[]"));
		free(r);
	}
}
END_TEST

START_TEST(damaged_fixtures_never_crash_the_reader)
{
	const char *files[] = { "tests/data/list.jsonl", "tests/data/teach.jsonl" };
	int refused = 0, read = 0;

	for (size_t fi = 0; fi < 2; fi++) {
		char *text = tu_slurp(files[fi]);
		size_t len = strlen(text);
		for (size_t cut = 0; cut <= len; cut += 7) {
			char *t = strndup(text, cut);
			struct err e = { 0 };
			char *r = rewrite(t, &e, cut % 2 == 0);
			if (r) {
				read++;
			} else {
				refused++;
				if (strncmp(e.msg, "t.jsonl:", 8) != 0)
					ck_abort_msg("message without file:line: %s", e.msg);
			}
			free(r);
			free(t);
		}
		for (size_t at = 0; at < len; at += 13) {
			static const char subst[] = "\"{}[],:0-9x\\\n";
			char *t = strdup(text);
			struct err e = { 0 };
			t[at] = subst[at % (sizeof(subst) - 1)];
			free(rewrite(t, &e, true));
			free(t);
		}
		free(text);
	}
	ck_assert_int_gt(refused, 10);
	ck_assert_int_gt(read, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("out");
	TCase *t = tcase_create("out");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, write_read_write_gives_identical_json);
	tcase_add_test(t, stack_fields_are_written_when_they_change_and_read_back_carried);
	tcase_add_test(t, teach_facts_the_layout_implies_are_left_out_and_read_back);
	tcase_add_test(t, trace_file_stream_writes_the_same_bytes_and_reports_errors);
	tcase_add_test(t, summary_counting_rules);
	tcase_add_test(t, text_lines_name_call_site_and_state);
	tcase_add_test(t, malformed_traces_give_the_line_and_the_reason);
	tcase_add_test(t, parser_decodes_escapes_and_keeps_spans);
	tcase_add_test(t, replay_text_of_the_fixture_prints_the_expected_log);
	tcase_add_test(t, replay_json_twice_is_identical);
	tcase_add_test(t, replay_keeps_an_exit_killed_by_memlens);
	tcase_add_test(t, replay_text_of_the_teach_fixture_prints_the_expected_log);
	tcase_add_test(t, replay_of_a_malformed_file_exits_1_with_the_line);
	tcase_add_test(t, damaged_fixtures_never_crash_the_reader);
	tcase_add_test(t, an_empty_regions_event_reads_and_writes_back);
	suite_add_tcase(s, t);
	return tu_main(s);
}
