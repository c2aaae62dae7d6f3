/* check_ring: the shared-memory event ring between two processes: order,
 * wrap-around, a full ring that makes writers wait, no loss, and the
 * refusal of a wrong magic or version.  Version 3: events of one to three
 * 64-byte slots (aux and content extensions) come back whole, also when
 * their slots wrap past the ring's end and threads interleave.  Version 4:
 * packed teach records give back exactly the facts they were written with. */
#include "testutil.h"

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>

#include "ring/ring.h"

/* A writer in another process maps the memfd itself, as the shim does. */
static struct ring_header *map_fd(int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);
	void *m = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return m == MAP_FAILED ? NULL : m;
}

static void put(struct ring_header *h, uint64_t a0, uint64_t a1)
{
	struct ring_record rec = { 0 };
	uint64_t seq = ring_produce_reserve(h, 1);

	rec.kind = RING_MALLOC;
	rec.args[0] = a0;
	rec.args[1] = a1;
	rec.result = seq * 7 + 1;
	while (!ring_produce_room(h, seq, 1))
		sched_yield();
	ring_produce_commit(h, seq, &rec);
}

/* Record i of writer `id` in the extension tests: its shape (i % 5: one
 * slot, + aux, + content, + both, one slot: 9 slots a round, so on a ring
 * of 8 every shape starts at every offset and wraps the end) and every
 * field follow from (id, i), so the reader can check each one. */
static void ext_record(uint64_t id, uint64_t i, struct ring_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->kind = RING_FREE;
	rec->tid = (int32_t)(1000 + id);
	rec->args[0] = id;
	rec->args[1] = i;
	rec->args[2] = i ^ 0x5a5a;
	rec->result = i * 3;
	rec->caller = 0x401000 + i;
	rec->sp = 0x7ffff000 - i;
	if (i % 5 == 1 || i % 5 == 3) {
		rec->flags = RING_F_TEACH | RING_F_COALESCED;
		rec->block = 0x555555559000 + i * 16;
		rec->block_size = 48 + i % 7 * 16;
		rec->brk = 0x55555557a000 + id;
		rec->old_block = rec->block;
		rec->error = (uint32_t)(i % 5);
		rec->err_no = (int32_t)(i % 13);
	}
	if (i % 5 == 2 || i % 5 == 3) {
		rec->nbytes = 1 + (uint32_t)((i + id) % RING_CONTENT_MAX);
		for (uint32_t j = 0; j < rec->nbytes; j++)
			rec->bytes[j] = (unsigned char)(i * 7 + j + id);
	}
}

static void put_ext(struct ring_header *h, uint64_t id, uint64_t i)
{
	struct ring_record rec;
	unsigned n;
	uint64_t seq;

	ext_record(id, i, &rec);
	n = ring_record_slots(&rec);
	seq = ring_produce_reserve(h, n);
	while (!ring_produce_room(h, seq, n))
		sched_yield();
	ring_produce_commit(h, seq, &rec);
}

struct writer_arg {
	struct ring_header *h;
	uint64_t id, n;
	int ext;
};

static void *writer_thread(void *p)
{
	struct writer_arg *w = p;

	for (uint64_t i = 0; i < w->n; i++) {
		if (w->ext)
			put_ext(w->h, w->id, i);
		else
			put(w->h, w->id, i);
	}
	return NULL;
}

/* Forks a child that writes n records from `threads` threads (ext: the
 * mixed shapes of ext_record). */
static pid_t spawn_writer_ext(struct ring *r, int threads, uint64_t n, int ext)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct ring_header *h = map_fd(ring_fd(r));
		pthread_t t[16];
		struct writer_arg a[16];

		if (!h)
			_exit(3);
		for (int i = 0; i < threads; i++) {
			a[i] = (struct writer_arg){ h, (uint64_t)i, n / (uint64_t)threads, ext };
			pthread_create(&t[i], NULL, writer_thread, &a[i]);
		}
		for (int i = 0; i < threads; i++)
			pthread_join(t[i], NULL);
		_exit(0);
	}
	return pid;
}

static pid_t spawn_writer(struct ring *r, int threads, uint64_t n)
{
	return spawn_writer_ext(r, threads, n, 0);
}

struct order {
	uint64_t next_seq;
	uint64_t per_thread[16];
	int bad;
};

static int check_order(const struct ring_record *rec, void *arg)
{
	struct order *o = arg;

	if (rec->seq != o->next_seq || rec->result != rec->seq * 7 + 1 ||
	    rec->args[0] >= 16 || rec->args[1] != o->per_thread[rec->args[0]])
		o->bad++;
	o->per_thread[rec->args[0] & 15]++;
	o->next_seq++;
	return 0;
}

static void drain_until(struct ring *r, struct order *o, uint64_t n, pid_t child)
{
	time_t t0 = time(NULL);
	int st;

	while (o->next_seq < n && time(NULL) - t0 < 60)
		if (!ring_drain(r, 0, check_order, o))
			sched_yield();
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* The reader's side of ext_record: every field as written. */
static int check_ext(const struct ring_record *rec, void *arg)
{
	struct order *o = arg;
	struct ring_record want;
	uint64_t id = rec->args[0] & 15;

	ext_record(id, o->per_thread[id], &want);
	if (rec->seq != o->next_seq || rec->args[0] >= 16 || rec->kind != want.kind ||
	    rec->flags != want.flags || rec->tid != want.tid || rec->args[1] != want.args[1] ||
	    rec->args[2] != want.args[2] || rec->result != want.result ||
	    rec->caller != want.caller || rec->sp != want.sp || rec->block != want.block ||
	    rec->block_size != want.block_size || rec->brk != want.brk ||
	    rec->old_block != want.old_block || rec->error != want.error ||
	    rec->err_no != want.err_no || rec->nbytes != want.nbytes ||
	    memcmp(rec->bytes, want.bytes, want.nbytes) != 0)
		o->bad++;
	o->per_thread[id]++;
	o->next_seq++;
	return 0;
}

/* The in-place view of the same event, checked the same way. */
static int check_ext_view(const struct ring_view *v, void *arg)
{
	struct ring_record rec = {
		.seq = v->seq, .kind = v->ev->kind, .flags = v->ev->flags & (uint16_t)~RING_F_AUX,
		.tid = v->ev->tid, .args = { v->ev->args[0], v->ev->args[1], v->ev->args[2] },
		.result = v->ev->result, .caller = v->ev->caller, .sp = v->ev->sp,
		.nbytes = v->bytes ? v->ev->nbytes : 0,
	};

	if (v->aux) {
		rec.block = v->aux->block;
		rec.block_size = v->aux->block_size;
		rec.brk = v->aux->brk;
		rec.old_block = v->aux->old_block;
		rec.error = v->aux->error;
		rec.err_no = v->aux->err_no;
	}
	if (v->bytes)
		memcpy(rec.bytes, v->bytes, rec.nbytes);
	return check_ext(&rec, arg);
}

/* Drains with ring_drain (copies) or ring_drain_view (in place). */
static void drain_ext_until(struct ring *r, struct order *o, uint64_t n, pid_t child, int view)
{
	time_t t0 = time(NULL);
	int st;

	while (o->next_seq < n && time(NULL) - t0 < 60)
		if (!(view ? ring_drain_view(r, 0, check_ext_view, o) : ring_drain(r, 0, check_ext, o)))
			sched_yield();
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* An 8-slot ring and events of 1, 2, 2, 3, 1 slots in turn: the aux and
 * content slots land on every offset, past the ring's end too, and the
 * writer waits for room for the whole event. */
START_TEST(events_with_extension_slots_wrap_the_ring_end_whole)
{
	struct err e = { 0 };
	struct ring *r = ring_create(8, &e);
	struct order o = { 0 };
	const uint64_t n = 200000;

	ck_assert_msg(r, "%s", e.msg);
	pid_t child = spawn_writer_ext(r, 1, n, 1);
	drain_ext_until(r, &o, n, child, 0);
	ck_assert_uint_eq(o.next_seq, n);
	ck_assert_int_eq(o.bad, 0);
	ck_assert_uint_eq(ring_pending(r), 0);
	ck_assert_uint_eq(ring_next_seq(r), n); /* events, not slots */
	ring_free(r);
}
END_TEST

/* Four threads writing events of mixed sizes into a small ring, read in
 * place as the tracer does: each event's slots stay together, in one
 * global order, and are not overwritten while the reader looks. */
START_TEST(interleaved_threads_with_extension_slots_keep_events_whole)
{
	struct err e = { 0 };
	struct ring *r = ring_create(64, &e);
	struct order o = { 0 };
	const uint64_t n = 400000;

	ck_assert_msg(r, "%s", e.msg);
	pid_t child = spawn_writer_ext(r, 4, n, 1);
	drain_ext_until(r, &o, n, child, 1); /* as the tracer reads them */
	ck_assert_uint_eq(o.next_seq, n);
	ck_assert_int_eq(o.bad, 0);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(o.per_thread[i], n / 4);
	ring_free(r);
}
END_TEST

/* ---- packed teach records (version 4) ---------------------------------- */

#define HB UINT64_C(0x555555559000)    /* a heap block */
#define BRK UINT64_C(0x55555557a000)   /* the break */
#define MB UINT64_C(0x7ffff7f00000)    /* an mmap'd block */

/* One teach record and whether version 4 must pack it, given the records
 * before it in the table (the previous teach brk). */
struct pack_case {
	const char *what;
	struct ring_record rec;
	int packed;
};

#define TEACH(k, a0, a1, res, blk, bsz, b, ob) \
	{ .kind = (k), .flags = RING_F_TEACH, .tid = 77, .args = { (a0), (a1), 0 }, .result = (res), \
	  .caller = 0x401234, .sp = 0x7fffffffe000, .block = (blk), .block_size = (bsz), .brk = (b), \
	  .old_block = (ob) }

static const struct pack_case pack_cases[] = {
	{ "first record: no previous teach brk", TEACH(RING_MALLOC, 40, 0, HB + 16, HB, 64, BRK, 0), 0 },
	{ "malloc, same brk", TEACH(RING_MALLOC, 24, 0, HB + 80, HB + 64, 48, BRK, 0), 1 },
	{ "calloc", TEACH(RING_CALLOC, 3, 100, HB + 144, HB + 128, 320, BRK, 0), 1 },
	{ "malloc that grew the heap: brk changed",
	  { .kind = RING_MALLOC, .flags = RING_F_TEACH | RING_F_GREW_HEAP | RING_F_SPLIT, .tid = 77,
	    .args = { 70000 }, .result = HB + 464, .block = HB + 448, .block_size = 70016,
	    .brk = BRK + 0x10000 }, 0 },
	{ "next record packs against the new brk", TEACH(RING_MALLOC, 8, 0, HB + 96, HB + 80, 32, BRK + 0x10000, 0), 1 },
	{ "free: old_block is block", TEACH(RING_FREE, HB + 96, 0, 0, HB + 80, 32, BRK + 0x10000, HB + 80), 1 },
	{ "free(NULL)", TEACH(RING_FREE, 0, 0, 0, 0, 0, BRK + 0x10000, 0), 1 },
	{ "free with old_block 0: not what the rule rebuilds",
	  TEACH(RING_FREE, HB + 16, 0, 0, HB, 64, BRK + 0x10000, 0), 0 },
	{ "realloc in place", TEACH(RING_REALLOC, HB + 16, 30, HB + 16, HB, 64, BRK + 0x10000, 0), 1 },
	{ "realloc that moved a heap block", TEACH(RING_REALLOC, HB + 16, 900, HB + 1040, HB + 1024, 928, BRK + 0x10000, HB), 1 },
	{ "realloc that moved an mmap'd block",
	  { .kind = RING_REALLOC, .flags = RING_F_TEACH | RING_F_MMAP, .args = { MB + 48, 100 },
	    .result = HB + 2064, .block = HB + 2048, .block_size = 128, .brk = BRK + 0x10000,
	    .old_block = MB }, 1 },
	{ "realloc that moved, old block 2^16 bytes before the pointer",
	  TEACH(RING_REALLOC, MB + 0x10000, 100, HB + 2064, HB + 2048, 128, BRK + 0x10000, MB), 0 },
	{ "realloc to 0: freed, result NULL", TEACH(RING_REALLOC, HB + 1040, 0, 0, HB + 1024, 928, BRK + 0x10000, HB + 1024), 0 },
	{ "realloc that failed: err_no",
	  { .kind = RING_REALLOC, .flags = RING_F_TEACH, .args = { HB + 16, UINT64_C(1) << 40 },
	    .brk = BRK + 0x10000, .err_no = 12 }, 0 },
	{ "reallocarray: args[2] is taken",
	  { .kind = RING_REALLOCARRAY, .flags = RING_F_TEACH, .args = { 0, 10, 8 }, .result = HB + 16,
	    .block = HB, .block_size = 96, .brk = BRK + 0x10000 }, 0 },
	{ "memalign in the heap", TEACH(RING_MEMALIGN, 256, 100, HB + 4096, HB + 4080, 128, BRK + 0x10000, 0), 1 },
	{ "aligned_alloc", TEACH(RING_ALIGNED_ALLOC, 64, 64, HB + 4224, HB + 4208, 80, BRK + 0x10000, 0), 1 },
	{ "posix_memalign", TEACH(RING_POSIX_MEMALIGN, 32, 10, HB + 4320, HB + 4304, 32, BRK + 0x10000, 0), 1 },
	{ "valloc: an mmap'd block 4096 bytes after its base",
	  { .kind = RING_VALLOC, .flags = RING_F_TEACH | RING_F_MMAP, .args = { 200000 }, .result = MB + 4096,
	    .block = MB, .block_size = 208896, .brk = BRK + 0x10000 }, 1 },
	{ "pvalloc", TEACH(RING_PVALLOC, 10, 0, HB + 8192, HB + 8176, 4112, BRK + 0x10000, 0), 1 },
	{ "memalign 2^16 bytes after the block's base: too far",
	  { .kind = RING_MEMALIGN, .flags = RING_F_TEACH | RING_F_MMAP, .args = { 65536, 200000 },
	    .result = MB + 65536, .block = MB, .block_size = 270336, .brk = BRK + 0x10000 }, 0 },
	{ "block of 4 GiB: size too big",
	  { .kind = RING_MALLOC, .flags = RING_F_TEACH | RING_F_MMAP, .args = { UINT64_C(1) << 32 },
	    .result = MB + 48, .block = MB, .block_size = (UINT64_C(1) << 32) + 4096, .brk = BRK + 0x10000 }, 0 },
	{ "malloc that failed: ENOMEM", { .kind = RING_MALLOC, .flags = RING_F_TEACH,
	  .args = { UINT64_C(1) << 40 }, .brk = BRK + 0x10000, .err_no = 12 }, 0 },
	{ "error record: never packed, its brk counts",
	  { .kind = RING_ERROR, .flags = RING_F_TEACH, .args = { RING_FREE, HB + 16 }, .brk = BRK + 0x20000,
	    .error = RING_ERR_DOUBLE_FREE }, 0 },
	{ "after an error record, its brk", TEACH(RING_MALLOC, 40, 0, HB + 16, HB, 64, BRK + 0x20000, 0), 1 },
	{ "a libc-mode record in between", { .kind = RING_MALLOC, .args = { 10 }, .result = 0x4052a0 }, 0 },
	{ "does not move the previous teach brk", TEACH(RING_MALLOC, 40, 0, HB + 96, HB + 80, 64, BRK + 0x20000, 0), 1 },
	{ "a libc-mode record with errno (aux, brk 0)", { .kind = RING_MALLOC, .args = { 10 }, .err_no = 12 }, 0 },
	{ "still does not", TEACH(RING_CALLOC, 1, 40, HB + 176, HB + 160, 64, BRK + 0x20000, 0), 1 },
	{ "free with contents: packed, and a content slot",
	  { .kind = RING_FREE, .flags = RING_F_TEACH | RING_F_COALESCED, .args = { HB + 176 }, .block = HB + 160,
	    .block_size = 64, .brk = BRK + 0x20000, .old_block = HB + 160, .nbytes = 5,
	    .bytes = { 'h', 'e', 'l', 'l', 'o' } }, 1 },
	{ "a teach record with brk 0 (reallocarray's overflow)",
	  { .kind = RING_REALLOCARRAY, .flags = RING_F_TEACH, .args = { 0, 1ull << 40, 1ull << 40 }, .err_no = 12 }, 0 },
	{ "after brk 0 nothing packs", TEACH(RING_MALLOC, 40, 0, HB + 16, HB, 64, BRK + 0x20000, 0), 0 },
	{ "an early record flushed at attach", { .kind = RING_MALLOC, .flags = RING_F_TEACH | RING_F_EARLY,
	  .args = { 40 }, .result = HB + 16, .block = HB, .block_size = 64, .brk = BRK + 0x20000 }, 1 },
	{ "error + nonzero err_no on a teach call",
	  { .kind = RING_FREE, .flags = RING_F_TEACH, .args = { HB + 16 }, .block = HB, .block_size = 64,
	    .brk = BRK + 0x20000, .old_block = HB, .error = RING_ERR_CORRUPT_HEADER }, 0 },
};
#define NPACK (sizeof(pack_cases) / sizeof(pack_cases[0]))

/* Every field of two records but seq, with the case named on a mismatch. */
static void assert_same_record(const struct ring_record *a, const struct ring_record *b, const char *what)
{
	ck_assert_msg(a->kind == b->kind && a->flags == b->flags && a->tid == b->tid &&
		      a->args[0] == b->args[0] && a->args[1] == b->args[1] && a->args[2] == b->args[2] &&
		      a->result == b->result && a->caller == b->caller && a->sp == b->sp &&
		      a->block == b->block && a->block_size == b->block_size && a->brk == b->brk &&
		      a->old_block == b->old_block && a->error == b->error && a->err_no == b->err_no &&
		      a->nbytes == b->nbytes && memcmp(a->bytes, b->bytes, a->nbytes) == 0,
		      "%s: the record read back differs (block %llx/%llx size %llu/%llu brk %llx/%llx old %llx/%llx args[2] %llx/%llx flags %x/%x)",
		      what, (unsigned long long)a->block, (unsigned long long)b->block,
		      (unsigned long long)a->block_size, (unsigned long long)b->block_size,
		      (unsigned long long)a->brk, (unsigned long long)b->brk,
		      (unsigned long long)a->old_block, (unsigned long long)b->old_block,
		      (unsigned long long)a->args[2], (unsigned long long)b->args[2], a->flags, b->flags);
}

/* A ring_view as a ring_record (what ring_drain hands out). */
static void view_record(const struct ring_view *v, struct ring_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->seq = v->seq;
	rec->kind = v->ev->kind;
	rec->flags = v->ev->flags & (uint16_t)~RING_F_AUX;
	rec->tid = v->ev->tid;
	memcpy(rec->args, v->ev->args, sizeof(rec->args));
	rec->result = v->ev->result;
	rec->caller = v->ev->caller;
	rec->sp = v->ev->sp;
	rec->nbytes = v->bytes ? v->ev->nbytes : 0;
	if (v->aux) {
		rec->block = v->aux->block;
		rec->block_size = v->aux->block_size;
		rec->brk = v->aux->brk;
		rec->old_block = v->aux->old_block;
		rec->error = v->aux->error;
		rec->err_no = v->aux->err_no;
	}
	if (v->bytes)
		memcpy(rec->bytes, v->bytes, rec->nbytes);
}

struct collect {
	struct ring_record rec[NPACK * 2];
	size_t n;
};

static int collect_rec(const struct ring_record *rec, void *arg)
{
	struct collect *c = arg;

	c->rec[c->n++] = *rec;
	return 0;
}

static int collect_view(const struct ring_view *v, void *arg)
{
	struct collect *c = arg;

	ck_assert(!(v->ev->flags & RING_F_PACKED)); /* shown as if unpacked */
	view_record(v, &c->rec[c->n++]);
	return 0;
}

/* Writes the table into a fresh ring, packed where ring_record_pack
 * allows (prev: the producer's previous teach brk) or never (prev NULL);
 * checks each record took the slots its form needs, then reads it back. */
static void write_table(struct ring *r, struct ring_header *h, int pack, int view, struct collect *c)
{
	uint64_t prev = 0;

	for (size_t i = 0; i < NPACK; i++) {
		const struct pack_case *pc = &pack_cases[i];
		unsigned n = pack ? ring_record_slots_after(&pc->rec, prev) : ring_record_slots(&pc->rec);
		uint64_t seq = ring_produce_reserve(h, n);

		ck_assert(ring_produce_room(h, seq, n));
		ring_produce_commit_after(h, seq, &pc->rec, pack ? &prev : NULL);
		ck_assert_msg(!(ring_slot_at(h, seq)->ev.flags & RING_F_PACKED) == !(pack && pc->packed),
			      "%s: %s packed", pc->what, pack && pc->packed ? "should be" : "should not be");
		ck_assert_uint_eq(n, 1u + (!(pack && pc->packed) && ring_record_has_aux(&pc->rec)) +
					     (pc->rec.nbytes != 0));
	}
	memset(c, 0, sizeof(*c));
	if (view)
		ring_drain_view(r, 0, collect_view, c);
	else
		ring_drain(r, 0, collect_rec, c);
	ck_assert_uint_eq(c->n, NPACK);
}

/* Every kind and edge in one ring, in order (the previous teach brk runs
 * through the table): each record read back, by ring_drain and by
 * ring_drain_view, equals the record written, field for field, whether it
 * went packed (one slot, facts in args[2]) or with its aux slot; and the
 * records that can be rebuilt exactly are the ones packed. */
START_TEST(packed_records_rebuild_exactly_the_facts_they_were_written_with)
{
	for (int view = 0; view < 2; view++)
		for (int pack = 0; pack < 2; pack++) {
			struct err e = { 0 };
			struct ring *r = ring_create(256, &e);
			struct ring_header *h;
			static struct collect c;

			ck_assert_msg(r, "%s", e.msg);
			h = map_fd(ring_fd(r));
			ck_assert_ptr_nonnull(h);
			write_table(r, h, pack, view, &c);
			for (size_t i = 0; i < NPACK; i++) {
				ck_assert_uint_eq(c.rec[i].seq, i);
				assert_same_record(&c.rec[i], &pack_cases[i].rec, pack_cases[i].what);
			}
			munmap(h, RING_BYTES(h->capacity));
			ring_free(r);
		}
}
END_TEST

/* The rule itself, on its bounds: what fits packs, one more does not. */
START_TEST(pack_rule_bounds_are_exact)
{
	uint64_t a2 = 0;
	struct ring_primary p = { .kind = RING_MALLOC, .result = HB + 0xffff };
	struct ring_aux x;

	/* anchor - block: 0 .. 2^16 - 1 */
	ck_assert(ring_pack(RING_MALLOC, 1, 0, HB + 0xffff, HB, 64, 0, BRK, BRK, 0, 0, &a2));
	p.args[2] = a2;
	ring_unpack(&p, BRK, &x);
	ck_assert_uint_eq(x.block, HB);
	ck_assert_uint_eq(x.block_size, 64);
	ck_assert_uint_eq(x.brk, BRK);
	ck_assert_uint_eq(x.old_block, 0);
	ck_assert(!ring_pack(RING_MALLOC, 1, 0, HB + 0x10000, HB, 64, 0, BRK, BRK, 0, 0, &a2));
	ck_assert(!ring_pack(RING_MALLOC, 1, 0, HB - 16, HB, 64, 0, BRK, BRK, 0, 0, &a2)); /* below */
	/* block_size: < 2^32 */
	ck_assert(ring_pack(RING_MALLOC, 1, 0, HB + 16, HB, UINT32_MAX, 0, BRK, BRK, 0, 0, &a2));
	ck_assert_uint_eq(a2 & UINT32_MAX, UINT32_MAX);
	ck_assert(!ring_pack(RING_MALLOC, 1, 0, HB + 16, HB, UINT64_C(1) << 32, 0, BRK, BRK, 0, 0, &a2));
	/* a moved realloc's old block: 1 .. 2^16 - 1 bytes before args[0] */
	ck_assert(ring_pack(RING_REALLOC, HB + 0xffff, 0, MB + 16, MB, 64, HB, BRK, BRK, 0, 0, &a2));
	p = (struct ring_primary){ .kind = RING_REALLOC, .args = { HB + 0xffff, 9, a2 }, .result = MB + 16 };
	ring_unpack(&p, BRK, &x);
	ck_assert_uint_eq(x.old_block, HB);
	ck_assert_uint_eq(x.block, MB);
	ck_assert(!ring_pack(RING_REALLOC, HB + 0x10000, 0, MB + 16, MB, 64, HB, BRK, BRK, 0, 0, &a2));
	ck_assert(!ring_pack(RING_REALLOC, HB, 0, MB + 16, MB, 64, HB, BRK, BRK, 0, 0, &a2)); /* 0 before */
	/* brk: the previous one, and not 0 */
	ck_assert(!ring_pack(RING_MALLOC, 1, 0, HB + 16, HB, 64, 0, BRK, BRK + 16, 0, 0, &a2));
	ck_assert(!ring_pack(RING_MALLOC, 1, 0, HB + 16, HB, 64, 0, 0, 0, 0, 0, &a2));
	/* a call with a third argument, an error or an errno */
	ck_assert(!ring_pack(RING_MALLOC, 1, 5, HB + 16, HB, 64, 0, BRK, BRK, 0, 0, &a2));
	ck_assert(!ring_pack(RING_MALLOC, 1, 0, HB + 16, HB, 64, 0, BRK, BRK, 1, 0, &a2));
	ck_assert(!ring_pack(RING_MALLOC, 1, 0, HB + 16, HB, 64, 0, BRK, BRK, 0, 12, &a2));
	/* kinds: every call but reallocarray; never an error record */
	for (unsigned k = RING_MALLOC; k < RING_KIND_MAX; k++) {
		uint64_t a0 = k == RING_FREE ? HB + 16 : 1;
		uint64_t res = k == RING_FREE ? 0 : HB + 16;
		int ok = ring_pack(k, a0, 0, res, HB, 64, k == RING_FREE ? HB : 0, BRK, BRK, 0, 0, &a2);
		ck_assert_msg(ok == (k != RING_REALLOCARRAY && k != RING_ERROR), "kind %u", k);
	}
	ck_assert(!ring_pack(RING_KIND_MAX, 1, 0, HB + 16, HB, 64, 0, BRK, BRK, 0, 0, &a2));
	ck_assert(!ring_pack(0, 1, 0, HB + 16, HB, 64, 0, BRK, BRK, 0, 0, &a2));
}
END_TEST

/* Record i of writer `id` in the packed stress test: teach mallocs and
 * frees whose brk moves every 50 records, some with contents, so that
 * packed and unpacked forms, one to three slots, interleave across
 * threads. */
static void pack_record(uint64_t id, uint64_t i, struct ring_record *rec)
{
	uint64_t blk = HB + (id << 24) + i * 64;

	memset(rec, 0, sizeof(*rec));
	rec->kind = i % 3 == 2 ? RING_FREE : RING_MALLOC;
	rec->flags = RING_F_TEACH | (i % 4 ? RING_F_SPLIT : 0);
	rec->tid = (int32_t)(1000 + id);
	rec->args[0] = rec->kind == RING_FREE ? blk + 16 : id;
	rec->args[1] = i;
	rec->result = rec->kind == RING_FREE ? 0 : blk + 16;
	rec->caller = 0x401000 + i;
	rec->sp = 0x7ffff000 - i;
	rec->block = blk;
	rec->block_size = 48 + i % 7 * 16;
	rec->brk = BRK + (i / 50) * 0x10000;
	rec->old_block = rec->kind == RING_FREE ? blk : 0;
	if (i % 11 == 5) {
		rec->nbytes = 1 + (uint32_t)((i + id) % RING_CONTENT_MAX);
		for (uint32_t j = 0; j < rec->nbytes; j++)
			rec->bytes[j] = (unsigned char)(i * 7 + j + id);
	}
}

/* The writers of the packed stress test order their reservations with one
 * lock, as the shim does under the teach allocator's, and keep the
 * previous teach brk under it. */
static pthread_mutex_t pack_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t pack_prev;

static void *pack_writer(void *p)
{
	struct writer_arg *w = p;
	struct ring_record rec;

	for (uint64_t i = 0; i < w->n; i++) {
		pack_record(w->id, i, &rec);
		pthread_mutex_lock(&pack_lock);
		unsigned n = ring_record_slots_after(&rec, pack_prev);
		uint64_t seq = ring_produce_reserve(w->h, n);
		while (!ring_produce_room(w->h, seq, n))
			sched_yield();
		ring_produce_commit_after(w->h, seq, &rec, &pack_prev);
		pthread_mutex_unlock(&pack_lock);
	}
	return NULL;
}

struct pack_check {
	uint64_t next_seq, per_thread[16];
	long bad;
};

static int pack_check_rec(const struct ring_record *rec, void *arg)
{
	struct pack_check *o = arg;
	struct ring_record want;
	uint64_t id = (uint64_t)(rec->tid - 1000) & 15;

	pack_record(id, o->per_thread[id]++, &want);
	if (rec->seq != o->next_seq++ || rec->kind != want.kind || rec->flags != want.flags ||
	    rec->args[0] != want.args[0] || rec->args[1] != want.args[1] || rec->args[2] != 0 ||
	    rec->result != want.result || rec->caller != want.caller || rec->sp != want.sp ||
	    rec->block != want.block || rec->block_size != want.block_size || rec->brk != want.brk ||
	    rec->old_block != want.old_block || rec->error || rec->err_no ||
	    rec->nbytes != want.nbytes || memcmp(rec->bytes, want.bytes, want.nbytes) != 0)
		o->bad++;
	return 0;
}

static int pack_check_view(const struct ring_view *v, void *arg)
{
	struct ring_record rec;

	view_record(v, &rec);
	return pack_check_rec(&rec, arg);
}

/* Four threads write packed and unpacked teach records into a 16-slot
 * ring, each thread's brk its own, so whether a record packs depends on
 * which thread wrote just before it: the reader's previous teach brk
 * follows ring order exactly, every record comes back whole (copied and in
 * place), and most records took one slot. */
START_TEST(packed_records_from_interleaved_threads_rebuild_in_ring_order)
{
	for (int view = 0; view < 2; view++) {
		struct err e = { 0 };
		struct ring *r = ring_create(16, &e);
		struct pack_check o = { 0 };
		const uint64_t n = 200000;
		time_t t0 = time(NULL);
		int st;

		ck_assert_msg(r, "%s", e.msg);
		pid_t pid = fork();
		if (pid == 0) {
			struct ring_header *h = map_fd(ring_fd(r));
			pthread_t t[4];
			struct writer_arg a[4];
			if (!h)
				_exit(3);
			for (int i = 0; i < 4; i++) {
				a[i] = (struct writer_arg){ h, (uint64_t)i, n / 4, 0 };
				pthread_create(&t[i], NULL, pack_writer, &a[i]);
			}
			for (int i = 0; i < 4; i++)
				pthread_join(t[i], NULL);
			_exit(0);
		}
		while (o.next_seq < n && time(NULL) - t0 < 60)
			if (!(view ? ring_drain_view(r, 0, pack_check_view, &o) : ring_drain(r, 0, pack_check_rec, &o)))
				sched_yield();
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		ck_assert_uint_eq(o.next_seq, n);
		ck_assert_int_eq(o.bad, 0);
		struct ring_header *h = map_fd(ring_fd(r));
		ck_assert_ptr_nonnull(h);
		uint64_t slots = atomic_load(&h->head);
		/* unpacked, every record would take 2 slots, 3 with contents */
		ck_assert_uint_lt(slots, n * 2 - n / 2);
		ck_assert_uint_gt(slots, n);
		munmap(h, RING_BYTES(h->capacity));
		ring_free(r);
	}
}
END_TEST

/* A slot layout that a shim of another version could not read is refused:
 * the header says 64-byte slots and a ring smaller than one full event is
 * not made. */
START_TEST(slot_size_and_smallest_ring_are_checked)
{
	struct err e = { 0 };
	struct ring *r = ring_create(2, &e); /* rounded up to the smallest ring */
	struct ring_header *h;

	ck_assert_msg(r, "%s", e.msg);
	h = map_fd(ring_fd(r));
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(h->record_size, RING_SLOT_SIZE);
	ck_assert_uint_ge(h->capacity, RING_RECORD_SLOTS_MAX + 1);
	h->record_size = 128; /* a version-2 record */
	ck_assert_int_eq(ring_attach_check(h, RING_BYTES(h->capacity), &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "slots of 128 bytes"));
	munmap(h, RING_BYTES(h->capacity));
	ring_free(r);
}
END_TEST

START_TEST(ten_million_records_across_processes_no_loss_no_reorder)
{
	struct err e = { 0 };
	struct ring *r = ring_create(1024, &e); /* small: it wraps ~10k times */
	struct order o = { 0 };
	const uint64_t n = 10000000;

	ck_assert_msg(r, "%s", e.msg);
	pid_t child = spawn_writer(r, 1, n);
	drain_until(r, &o, n, child);
	ck_assert_uint_eq(o.next_seq, n);
	ck_assert_int_eq(o.bad, 0);
	ck_assert_uint_eq(ring_pending(r), 0);
	ring_free(r);
}
END_TEST

START_TEST(four_writer_threads_keep_one_global_order)
{
	struct err e = { 0 };
	struct ring *r = ring_create(256, &e);
	struct order o = { 0 };
	const uint64_t n = 2000000;

	ck_assert_msg(r, "%s", e.msg);
	pid_t child = spawn_writer(r, 4, n);
	drain_until(r, &o, n, child);
	ck_assert_uint_eq(o.next_seq, n);
	ck_assert_int_eq(o.bad, 0);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(o.per_thread[i], n / 4);
	ring_free(r);
}
END_TEST

START_TEST(full_ring_makes_the_writer_wait_and_drops_nothing)
{
	struct err e = { 0 };
	struct ring *r = ring_create(64, &e);
	struct order o = { 0 };

	ck_assert_msg(r, "%s", e.msg);
	pid_t child = spawn_writer(r, 1, 200);
	/* Nobody drains: the writer fills 64 slots, then must wait. */
	for (int i = 0; i < 200 && ring_pending(r) < 64; i++)
		usleep(1000);
	usleep(50000);
	ck_assert_int_eq(waitpid(child, NULL, WNOHANG), 0); /* still waiting */
	ck_assert_uint_ge(ring_pending(r), 64);
	struct ring_record buf[64];
	ck_assert_uint_eq(ring_read(r, buf, 64), 64);
	for (uint64_t i = 0; i < 64; i++)
		ck_assert_uint_eq(buf[i].seq, i);
	o.next_seq = 64;
	o.per_thread[0] = 64;
	drain_until(r, &o, 200, child);
	ck_assert_uint_eq(o.next_seq, 200);
	ck_assert_int_eq(o.bad, 0);
	ring_free(r);
}
END_TEST

START_TEST(records_survive_the_writer_exit)
{
	struct err e = { 0 };
	struct ring *r = ring_create(0, &e);
	struct ring_record buf[128];
	int st;

	ck_assert_msg(r, "%s", e.msg);
	pid_t child = spawn_writer(r, 1, 100);
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert_uint_eq(ring_next_seq(r), 0);
	ck_assert_uint_eq(ring_read(r, buf, 128), 100);
	ck_assert_uint_eq(buf[99].seq, 99);
	ck_assert_uint_eq(ring_next_seq(r), 100);
	ck_assert_uint_eq(ring_read(r, buf, 128), 0);
	ring_free(r);
}
END_TEST

START_TEST(header_is_filled_and_fd_survives_exec)
{
	struct err e = { 0 };
	struct ring *r = ring_create(1000, &e);
	char env[64];

	ck_assert_msg(r, "%s", e.msg);
	ck_assert_int_ge(ring_fd(r), 0);
	ck_assert_int_eq(fcntl(ring_fd(r), F_GETFD) & FD_CLOEXEC, 0);
	ring_env(r, env, sizeof(env));
	ck_assert_ptr_nonnull(strstr(env, RING_ENV_FD "="));
	ring_set_pid(r, 1234);
	ring_set_step(r, true);
	ck_assert(!ring_attached(r, NULL));
	ck_assert_uint_eq(ring_trap_addr(r), 0);
	struct ring *r2 = ring_open_fd(ring_fd(r), &e); /* a second reader view */
	ck_assert_msg(r2, "%s", e.msg);
	ring_free(r2);
	ring_free(r);
}
END_TEST

START_TEST(wrong_magic_or_version_is_refused_clearly)
{
	struct err e = { 0 };
	struct ring *r = ring_create(16, &e);
	struct ring_header *h;

	ck_assert_msg(r, "%s", e.msg);
	h = map_fd(ring_fd(r));
	ck_assert_ptr_nonnull(h);
	size_t len = RING_BYTES(16);
	ck_assert_int_eq(ring_attach_check(h, len, &e), 0);

	h->version = RING_VERSION + 1;
	ck_assert_int_eq(ring_attach_check(h, len, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "version"));
	ck_assert_ptr_null(ring_open_fd(ring_fd(r), &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "do not match"));
	h->version = RING_VERSION;

	h->magic ^= 1;
	ck_assert_int_eq(ring_attach_check(h, len, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "not a memlens ring"));
	h->magic ^= 1;

	h->capacity = 1u << 20; /* does not fit the memfd */
	ck_assert_int_eq(ring_attach_check(h, len, &e), -1);
	ck_assert_int_eq(ring_attach_check(h, 100, &e), -1);
	munmap(h, len);
	ring_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("ring");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, header_is_filled_and_fd_survives_exec);
	tcase_add_test(tc, wrong_magic_or_version_is_refused_clearly);
	tcase_add_test(tc, records_survive_the_writer_exit);
	tcase_add_test(tc, full_ring_makes_the_writer_wait_and_drops_nothing);
	tcase_add_test(tc, four_writer_threads_keep_one_global_order);
	tcase_add_test(tc, ten_million_records_across_processes_no_loss_no_reorder);
	tcase_add_test(tc, events_with_extension_slots_wrap_the_ring_end_whole);
	tcase_add_test(tc, interleaved_threads_with_extension_slots_keep_events_whole);
	tcase_add_test(tc, slot_size_and_smallest_ring_are_checked);
	tcase_add_test(tc, packed_records_rebuild_exactly_the_facts_they_were_written_with);
	tcase_add_test(tc, pack_rule_bounds_are_exact);
	tcase_add_test(tc, packed_records_from_interleaved_threads_rebuild_in_ring_order);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
