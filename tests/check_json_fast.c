/* check_json_fast: the trace writer's fast ways: jw_digits (decimal by
 * words) writes what printf writes for every edge of every width, and the
 * allocator-call lines of json_fast.c are byte for byte the general
 * writer's, for every call type, with and without teach and carried
 * fields, extreme numbers, negative errno and code, odd sites, an extra
 * member, in memory and through trace -o's stream. */
#include <inttypes.h>
#include <stdint.h>

#include "testutil.h"
#include "model/model.h"
#include "out/jw.h"
#include "out/out.h"
#include "out/out_int.h"
#include "ring/ring_format.h"

/* 0, 9, 10, 11, 99, 100, ... 10^k-1, 10^k, 10^k+1 up to 10^19, the
 * powers of two around them, UINT64_MAX. */
static size_t edges(uint64_t *v, size_t max)
{
	size_t n = 0;
	uint64_t p = 1;

	v[n++] = 0;
	for (int k = 0; k < 20; k++, p *= 10) {
		v[n++] = p - 1;
		v[n++] = p;
		v[n++] = p + 1;
	}
	for (int k = 1; k < 64; k++) {
		v[n++] = (1ull << k) - 1;
		v[n++] = 1ull << k;
	}
	v[n++] = UINT64_MAX;
	v[n++] = UINT64_MAX - 1;
	ck_assert_uint_le(n, max);
	return n;
}

/* (Plain ifs, not ck_assert: Check records every assertion's place,
 * and this runs a million times.) */
static void digits_are_printfs(uint64_t v)
{
	char want[32], got[64];
	char *end;
	size_t n;

	memset(got, '#', sizeof(got));
	n = (size_t)snprintf(want, sizeof(want), "%" PRIu64, v);
	end = jw_digits(got + 8, v);
	if ((size_t)(end - (got + 8)) != n || memcmp(got + 8, want, n) != 0)
		ck_abort_msg("%s: wrote %.*s", want, (int)(end - (got + 8)), got + 8);
	/* nothing before p, nothing past the room it claims */
	for (size_t i = 0; i < sizeof(got); i++)
		if ((i < 8 || i >= 8 + JW_DIGITS_ROOM) && got[i] != '#')
			ck_abort_msg("%s: byte %zu changed", want, i);
}

START_TEST(digits_match_printf_at_every_edge_and_stay_in_their_room)
{
	uint64_t v[256], x = 88172645463325252ull;
	size_t n = edges(v, 256);

	for (size_t i = 0; i < n; i++)
		digits_are_printfs(v[i]);
	/* random values of every width (xorshift, shifted down) */
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		digits_are_printfs(x >> (i % 64));
	}
}
END_TEST

/* The word formatters under jw_digits, for every input they take. */
START_TEST(swar_words_hold_every_input_zero_padded)
{
	char s[8];

	for (uint32_t x = 0; x < 10000; x++) {
		uint32_t c = jw_swar4(x);
		char want[8];
		snprintf(want, sizeof(want), "%04u", (unsigned)x);
		memcpy(s, &c, 4);
		if (memcmp(s, want, 4) != 0)
			ck_abort_msg("%s: %.4s", want, s);
	}
	for (uint32_t x = 0; x < 100000000; x++) {
		uint64_t w = jw_swar8(x);
		uint32_t back = 0;
		/* eight digit bytes whose value is x: the zero-padded text */
		for (int i = 0; i < 8; i++) {
			unsigned d = (unsigned)((w >> (8 * i)) & 0xff) - '0';
			if (d > 9)
				ck_abort_msg("%u: byte %d is not a digit", (unsigned)x, i);
			back = back * 10 + d;
		}
		if (back != x)
			ck_abort_msg("%u: reads back as %u", (unsigned)x, (unsigned)back);
	}
}
END_TEST

/* `"frames":[1,2]`, as trace --frames adds its member. */
static void extra_cb(struct json *j, void *arg)
{
	(void)arg;
	json_key(j, "frames");
	json_arr_begin(j);
	json_uint(j, 1);
	json_uint(j, 2);
	json_arr_end(j);
}

struct lines {
	char *gen, *fast, *pub;
	size_t ngen, nfast, npub;
	FILE *fg, *ff, *fp;
};

/* Applies e and writes its line three ways: the general path, the fast
 * path alone (which must take it unless `declines`), and the public
 * out_json_event_extra; the three must agree. */
static void check_line(struct model *m, struct model_event e, bool extra, bool declines,
		       FILE *direct)
{
	struct err er = { 0 };
	struct lines l = { 0 };
	const struct model_event *ev;
	out_extra_fn fn = extra ? extra_cb : NULL;
	bool took;

	ck_assert_msg(model_apply(m, &e, &er) == 0, "apply: %s", er.msg);
	ev = model_event(m, model_event_count(m) - 1);
	l.fg = open_memstream(&l.gen, &l.ngen);
	l.ff = open_memstream(&l.fast, &l.nfast);
	l.fp = open_memstream(&l.pub, &l.npub);
	out_json_event_general(l.fg, m, ev, fn, NULL);
	took = out_json_alloc_line(l.ff, m, ev, fn, NULL);
	out_json_event_extra(l.fp, m, ev, fn, NULL);
	if (direct)
		out_json_event_extra(direct, m, ev, fn, NULL);
	fclose(l.fg);
	fclose(l.ff);
	fclose(l.fp);
	ck_assert_msg(took == !declines, "fast path %s seq %" PRIu64, took ? "took" : "declined",
		      e.seq);
	if (took)
		ck_assert_str_eq(l.fast, l.gen);
	else
		ck_assert_uint_eq(l.nfast, 0);
	ck_assert_str_eq(l.pub, l.gen);
	ck_assert_uint_eq(l.gen[l.ngen - 1], '\n');
	free(l.gen);
	free(l.fast);
	free(l.pub);
}

START_TEST(fast_lines_are_the_general_writers_bytes)
{
	struct model_opts o = { .keep_history = (_i % 2) == 1 };
	struct model *m = model_new(&o);
	uint64_t v[256];
	size_t nv = edges(v, 256);
	/* seq: increments with and without carries and across every digit
	 * count, jumps, and a wrap */
	static const uint64_t seqs[] = { 0, 1, 8, 9, 10, 11, 19, 20, 98, 99, 100, 109, 110,
		999, 1000, 1001, 1299, 1300, 39999999999ull, 40000000000ull,
		99999999, 100000000, 9999999999999999ull, 10000000000000000ull,
		UINT64_MAX - 1, UINT64_MAX, 0, 1, 2, 123456789, 7 };
	static const int32_t tids[] = { 0, 1, 1, 9, 10, -5, -5, INT32_MIN, INT32_MAX, 4242, 4242, 4242 };
	static const int32_t ints[] = { 0, 12, -1, INT32_MIN, INT32_MAX, -100000, 9, 10 };
	char longf[5000], nearf[3400];
	memset(longf, 'f', sizeof(longf) - 1);
	longf[sizeof(longf) - 1] = '\0';
	memset(nearf, 'n', sizeof(nearf) - 1);
	nearf[sizeof(nearf) - 1] = '\0';
	struct model_site sites[] = {
		{ .addr = 0x555555555a3f, .func = "main", .file = "bench/workload.c", .line = 68 },
		{ .addr = 0x7ffff7e4a123, .object = "libc.so.6", .func_off = 0x2a123 },
		{ .addr = 1, .func = "we\"ird\\ \n\x01", .file = "/", .line = -3 },
		{ .addr = UINT64_MAX, .func = nearf },
		{ .addr = 2, .func = longf },  /* too long for one buffer: general */
	};
	uint32_t si[6] = { 0 };
	char path[] = "/tmp/memlens-check-jsonfast-XXXXXX";
	char *want = NULL, *got;
	size_t nwant = 0, k = 0;
	FILE *ms = open_memstream(&want, &nwant), *df;
	struct err er = { 0 };
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	df = out_file_open(path, &er);
	ck_assert_msg(df != NULL, "%s", er.msg);
	/* _i / 2: a teach trace (its allocator lines leave out flags 16) */
	struct out_start st = { .program = "p", .alloc = _i / 2 ? "teach" : "libc" };
	out_json_start(df, &st);
	out_json_start(ms, &st);
	for (size_t i = 0; i < 5; i++)
		si[i + 1] = model_site_intern(m, &sites[i]);
	for (int t = MEV_MALLOC; t <= MEV_PVALLOC; t++) {
		for (size_t i = 0; i < nv; i++, k++) {
			struct model_event e = { .type = (uint16_t)t };
			size_t s = k % 6;

			e.seq = seqs[k % (sizeof(seqs) / sizeof(seqs[0]))];
			e.tid = tids[k % (sizeof(tids) / sizeof(tids[0]))];
			e.args[0] = v[i];
			e.args[1] = v[(i + 1) % nv];
			e.args[2] = v[(i + 7) % nv];
			e.result = v[(i + 3) % nv];
			e.site = si[s];
			e.aux = k % 5 == 0 ? v[(i + 11) % nv] : 0;
			if (k % 2) { /* teach */
				e.flags = (uint16_t)(RING_F_TEACH | (k % 4 == 1 ? 0 : k % 4 ? RING_F_SPLIT : 0xffef));
				e.block = v[(i + 5) % nv];
				e.block_size = v[(i + 9) % nv];
				e.old_block = k % 3 ? 0 : v[(i + 13) % nv];
				if (k % 8 == 1) { /* what the teach layout implies: left out */
					uint64_t span = t == MEV_FREE ? model_block_span(m, e.args[0]) : 0;
					struct out_teach_implied im = out_teach_implied(&e, 0, span);
					e.block = im.block;
					im = out_teach_implied(&e, e.block, span);
					e.block_size = im.block_size;
					e.old_block = im.old_block;
				} else if (k % 8 == 3) { /* 0 where it implies more: written */
					e.block = e.block_size = e.old_block = 0;
				}
			}
			/* carried: the same as the previous line's, or not */
			if (k % 3 != 1) {
				e.sp = v[(i / 2) % nv];
				e.stack_depth = v[(i / 3) % nv];
				e.brk = v[(i / 4) % nv];
			}
			e.err_no = ints[k % 8];
			e.code = ints[(k / 8) % 8];
			check_line(m, e, k % 7 == 3, s == 5, df);
			/* what the public call writes, for the direct stream */
			out_json_event_general(ms, m, model_event(m, model_event_count(m) - 1),
					       k % 7 == 3 ? extra_cb : NULL, NULL);
		}
	}
	fclose(ms);
	ck_assert_int_eq(fclose(df), 0);
	got = tu_slurp(path);
	ck_assert_uint_eq(strlen(got), nwant);
	ck_assert_msg(memcmp(got, want, nwant) == 0, "trace -o's stream differs");
	free(got);
	free(want);
	unlink(path);
	model_free(m);
}
END_TEST

/* The line with every field at its widest goes the fast way and fits
 * its buffer (make asan checks the stores). */
START_TEST(the_widest_line_fits)
{
	struct model *m = model_new(&(struct model_opts){ .keep_history = false });
	char nearf[3300];
	memset(nearf, 'w', sizeof(nearf) - 1);
	nearf[sizeof(nearf) - 1] = '\0';
	struct model_site s = { .addr = UINT64_MAX, .func = nearf, .func_off = UINT64_MAX,
				.object = "o" };
	uint32_t si = model_site_intern(m, &s);

	for (int t = MEV_MALLOC; t <= MEV_PVALLOC; t++) {
		struct model_event e = { .type = (uint16_t)t, .seq = UINT64_MAX, .tid = INT32_MIN,
					 .args = { UINT64_MAX, UINT64_MAX, UINT64_MAX },
					 .result = UINT64_MAX, .site = si, .flags = 0xffff,
					 .sp = UINT64_MAX - (uint64_t)t, .aux = UINT64_MAX,
					 .block = UINT64_MAX, .block_size = UINT64_MAX,
					 .brk = UINT64_MAX - (uint64_t)t, .old_block = UINT64_MAX,
					 .err_no = INT32_MIN, .code = INT32_MIN,
					 .stack_depth = UINT64_MAX - (uint64_t)t };
		check_line(m, e, false, false, NULL);
	}
	model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json_fast");
	TCase *t = tcase_create("json_fast");

	tcase_set_timeout(t, 120);
	tcase_add_test(t, digits_match_printf_at_every_edge_and_stay_in_their_room);
	tcase_add_test(t, swar_words_hold_every_input_zero_padded);
	tcase_add_loop_test(t, fast_lines_are_the_general_writers_bytes, 0, 4);
	tcase_add_test(t, the_widest_line_fits);
	suite_add_tcase(s, t);
	return tu_main(s);
}
