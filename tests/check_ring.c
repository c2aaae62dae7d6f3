/* check_ring: the shared-memory event ring between two processes: order,
 * wrap-around, a full ring that makes writers wait, no loss, and the
 * refusal of a wrong magic or version.  Version 3: events of one to three
 * 64-byte slots (aux and content extensions) come back whole, also when
 * their slots wrap past the ring's end and threads interleave. */
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
	suite_add_tcase(s, tc);
	return tu_main(s);
}
