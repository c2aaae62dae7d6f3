/* check_jqueue: trace -o's formatter thread (out/jqueue.c).  The file it
 * writes holds the synchronous path's bytes in the synchronous order for a
 * long mix of queued lines and lines the tracer writes itself (other
 * events, extra members, raw text, sites the site memo evicts), with a
 * queue of two lines that keeps filling up as well as the default one, and
 * with the queue stepping aside after close drains; a stream closed with
 * lines still queued writes them all; a write error still comes back from
 * fclose. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>

#include "testutil.h"
#include "model/model.h"
#include "out/out.h"
#include "out/out_int.h"
#include "ring/ring_format.h"

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* `"frames":[7]`, as trace --frames adds its member. */
static void extra_cb(struct json *j, void *arg)
{
	(void)arg;
	json_key(j, "frames");
	json_arr_begin(j);
	json_uint(j, 7);
	json_arr_end(j);
}

static char *tmp_path(void)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/memlens-check-jqueue-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	return path;
}

struct mix {
	struct model *m;
	uint32_t site[1200];          /* more than the site memo's 512 */
	uint32_t nsite;
	uint64_t x;                   /* the random state */
	uint64_t seq;
	uint64_t recent[8];           /* the last results: frees of live blocks */
};

static void mix_init(struct mix *mx, bool teach)
{
	static char longf[4000];
	struct model_opts o = { .keep_history = false, .teach = teach };

	memset(longf, 'L', sizeof(longf) - 1);
	mx->m = model_new(&o);
	mx->x = 88172645463325252ull;
	mx->seq = 0;
	for (uint32_t i = 0; i < 1199; i++) {
		char func[32];
		struct model_site s = { .addr = 0x555555555000 + i, .func = func,
					.file = i % 3 ? "a.c" : NULL, .line = (int)(i % 3),
					.object = i % 5 ? NULL : "libx.so" };
		snprintf(func, sizeof(func), "f%u", (unsigned)i);
		mx->site[i] = model_site_intern(mx->m, &s);
	}
	/* too long for a queued line: written the synchronous way */
	mx->site[1199] = model_site_intern(mx->m, &(struct model_site){ .addr = 9, .func = longf });
	mx->nsite = 1200;
}

/* The next event of the mix, applied to the model; *extra when its line
 * gets an extra member, *raw when a raw text line goes instead. */
static const struct model_event *mix_next(struct mix *mx, bool *extra, bool *raw)
{
	struct model_event e = { 0 };
	struct err er = { 0 };
	uint64_t r = rnd(&mx->x), k = r % 100;

	*extra = *raw = false;
	e.seq = mx->seq++;
	e.tid = 100 + (int32_t)(r >> 60);
	e.sp = 0x7fffffffe000 - 16 * ((r >> 20) % 3);
	e.stack_depth = 64 + 16 * ((r >> 20) % 3);
	e.brk = 0x555555560000 + 4096 * ((r >> 24) % 2);
	if (k < 4) {
		*raw = true;
		return NULL;
	} else if (k < 8) {
		struct model_region rg[2] = {
			{ .start = 0x555555554000, .end = 0x555555556000, .kind = MR_TEXT,
			  .perms = "r-xp", .name = "prog" },
			{ .start = 0x555555560000, .end = 0x555555580000 + 4096 * (r % 7),
			  .kind = MR_HEAP, .perms = "rw-p", .name = "[heap]" },
		};
		e.type = MEV_REGIONS;
		e.aux = model_regions_add(mx->m, rg, 2);
	} else if (k < 10) {
		e.type = MEV_SIGNAL;
		e.error = SIGSEGV;
		e.aux = r % 4096;
		e.code = 1;
	} else if (k < 12) {
		e.type = MEV_ERROR;
		e.error = 1 + (uint32_t)(r % 5);
		e.args[0] = MEV_FREE;
		e.args[1] = 0x555555560010;
	} else {
		e.type = (uint16_t)(MEV_MALLOC + (r >> 8) % (MEV_PVALLOC - MEV_MALLOC + 1));
		e.args[0] = (r >> 16) % 5000;
		e.args[1] = (r >> 32) % 100000;
		e.args[2] = r >> 40;
		e.result = 0x555555560010 + 16 * ((r >> 12) % 65536);
		e.site = (r >> 28) % 10 ? mx->site[(r >> 33) % mx->nsite] : 0;
		if (e.type == MEV_FREE && (r & 2)) /* a live block, when still */
			e.args[0] = mx->recent[(r >> 4) % 8];
		if (r & 1) { /* teach */
			e.flags = RING_F_TEACH;
			e.block = e.result - 16;
			e.block_size = 32 + (r >> 50) % 512;
			if (e.type == MEV_FREE) { /* its own size (left out), mostly */
				e.block = e.args[0] - 16;
				e.block_size = r & 4 ? model_block_span(mx->m, e.args[0]) : e.block_size;
			}
		}
		if (e.type != MEV_FREE)
			mx->recent[(r >> 4) % 8] = e.result;
		*extra = k < 17;
	}
	ck_assert_msg(model_apply(mx->m, &e, &er) == 0, "apply: %s", er.msg);
	return model_event(mx->m, model_event_count(mx->m) - 1);
}

static void write_both(FILE *f, FILE *ms, const struct model *m, const struct model_event *ev,
		       bool extra, bool raw)
{
	if (raw) {
		fputs("{\"type\":\"note\"}\n", f);
		fputs("{\"type\":\"note\"}\n", ms);
	} else if (extra) {
		out_json_event_extra(f, m, ev, extra_cb, NULL);
		out_json_event_extra(ms, m, ev, extra_cb, NULL);
	} else {
		out_json_event(f, m, ev);
		out_json_event(ms, m, ev);
	}
}

static void assert_file_is(const char *path, const char *want, size_t nwant)
{
	char *got = tu_slurp(path);

	ck_assert_uint_eq(strlen(got), nwant);
	ck_assert_msg(memcmp(got, want, nwant) == 0, "the file differs from the synchronous bytes");
	free(got);
}

static const unsigned sizes[] = { 2, 4096 };

/* _i: the queue's size (bit 0), teach (bit 1), and from 4 on the queue
 * steps aside after drains close together, as in step mode. */
START_TEST(queued_lines_are_the_synchronous_bytes_in_order)
{
	unsigned slots = sizes[_i % 2];
	bool bypass = _i >= 4;
	struct mix mx;
	char *path = tmp_path(), *want = NULL;
	size_t nwant = 0;
	struct err er = { 0 };
	FILE *ms = open_memstream(&want, &nwant), *f = out_file_open_q(path, slots, &er);
	struct out_jq *q;
	unsigned long holds = 0;

	ck_assert_msg(f != NULL, "%s", er.msg);
	q = out_file_queue(f);
	ck_assert_ptr_nonnull(q);
	if (!bypass)
		out_jq_no_bypass(q);
	mix_init(&mx, (_i / 2) % 2);
	/* a teach trace's lines leave out the flags of teach facts alone */
	struct out_start st = { .program = "p", .alloc = (_i / 2) % 2 ? "teach" : "libc" };
	out_json_start(f, &st);
	out_json_start(ms, &st);
	for (int i = 0; i < 60000; i++) {
		bool extra, raw;
		const struct model_event *ev = mix_next(&mx, &extra, &raw);
		write_both(f, ms, mx.m, ev, extra, raw);
		if (i % 500 == 0) {
			/* held, three queued lines fill a queue of two: the third waits */
			out_jq_hold(q);
			holds++;
			for (int k = 0; k < 3; k++) {
				struct model_event e = { .type = MEV_MALLOC, .seq = mx.seq++, .tid = 7,
							 .args = { 24 }, .result = 0x555555561000,
							 .site = mx.site[k] };
				ck_assert(model_apply(mx.m, &e, &er) == 0);
				ev = model_event(mx.m, model_event_count(mx.m) - 1);
				write_both(f, ms, mx.m, ev, false, false);
			}
		}
	}
	out_json_summary(f, mx.m);
	out_json_summary(ms, mx.m);
	if (slots == 2 && !bypass)
		ck_assert_uint_ge(out_jq_full_waits(q), holds);
	ck_assert_int_eq(fclose(f), 0);
	fclose(ms);
	ck_assert_uint_gt(nwant, 8u << 20); /* many of the stream's 1 MiB buffers */
	assert_file_is(path, want, nwant);
	free(want);
	unlink(path);
	model_free(mx.m);
}
END_TEST

START_TEST(closing_with_lines_queued_writes_them_all)
{
	struct mix mx;
	char *path = tmp_path(), *want = NULL;
	size_t nwant = 0, queued = 0;
	struct err er = { 0 };
	FILE *ms = open_memstream(&want, &nwant), *f = out_file_open(path, &er);
	struct out_jq *q;

	ck_assert_msg(f != NULL, "%s", er.msg);
	q = out_file_queue(f);
	ck_assert_ptr_nonnull(q);
	out_jq_no_bypass(q);
	mix_init(&mx, true);
	fputs("{\"type\":\"start\"}\n", f);
	fputs("{\"type\":\"start\"}\n", ms);
	out_jq_hold(q); /* the formatter takes nothing until the close */
	while (queued < 3000) {
		bool extra, raw;
		const struct model_event *ev = mix_next(&mx, &extra, &raw);
		if (raw || extra || ev->type < MEV_MALLOC || ev->type > MEV_PVALLOC ||
		    ev->site == mx.site[1199])
			continue; /* only lines that queue: anything else drains */
		write_both(f, ms, mx.m, ev, false, false);
		queued++;
	}
	ck_assert_uint_eq(out_jq_queued(q), 3000);
	ck_assert_int_eq(fclose(f), 0);
	fclose(ms);
	assert_file_is(path, want, nwant);
	free(want);
	unlink(path);
	model_free(mx.m);
}
END_TEST

/* /dev/full: every write(2) fails with ENOSPC; fclose says so whether
 * the lines were formatted long before or were still queued. */
START_TEST(a_write_error_still_surfaces)
{
	struct mix mx;
	struct err er = { 0 };
	FILE *f = out_file_open("/dev/full", &er);
	size_t n = 0;

	ck_assert_msg(f != NULL, "%s", er.msg);
	ck_assert_ptr_nonnull(out_file_queue(f));
	out_jq_no_bypass(out_file_queue(f));
	mix_init(&mx, _i == 1);
	while (n < 40000) { /* about 5 MB, the last 1000 lines held */
		if (_i == 1 && n == 39000)
			out_jq_hold(out_file_queue(f));
		bool extra, raw;
		const struct model_event *ev = mix_next(&mx, &extra, &raw);
		if (raw || extra || ev->type < MEV_MALLOC || ev->type > MEV_PVALLOC ||
		    ev->site == mx.site[1199])
			continue;
		out_json_event(f, mx.m, ev);
		n++;
	}
	if (_i == 1) /* and what was queued before the hold */
		ck_assert_uint_ge(out_jq_queued(out_file_queue(f)), 1000);
	errno = 0;
	ck_assert_int_eq(fclose(f), EOF);
	ck_assert_int_eq(errno, ENOSPC);
	model_free(mx.m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jqueue");
	TCase *t = tcase_create("jqueue");

	tcase_set_timeout(t, 120);
	tcase_add_loop_test(t, queued_lines_are_the_synchronous_bytes_in_order, 0, 6);
	tcase_add_test(t, closing_with_lines_queued_writes_them_all);
	tcase_add_loop_test(t, a_write_error_still_surfaces, 0, 2);
	suite_add_tcase(s, t);
	return tu_main(s);
}
