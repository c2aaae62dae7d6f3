/* shim_int: what the preloaded family (shim.c) and the ring writer
 * (shim_ring.c) share inside libmemlens-shim.so. */
#ifndef MEMLENS_SHIM_SHIM_INT_H
#define MEMLENS_SHIM_SHIM_INT_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/single_threaded.h>

#include "ring/ring_format.h"
#include "shim/teach.h"

#define SHIM_NO_SEQ UINT64_MAX /* no ring (yet): the record is kept early or dropped */

/* One call as the program made it. */
struct call {
	uint16_t kind;
	uint64_t a0, a1, a2;
	uint64_t caller, sp;
};

#define CALL(k, x0, x1, x2) \
	((struct call){ (k), (uint64_t)(x0), (uint64_t)(x1), (uint64_t)(x2), \
			(uint64_t)(uintptr_t)__builtin_return_address(0), \
			(uint64_t)(uintptr_t)__builtin_dwarf_cfa() })

/* 1 once MEMLENS_ALLOC=libc was read: glibc serves the calls. */
extern int shim_use_libc;
/* 1 when the tracer asked for block contents (RING_MODE_BYTES). */
extern int shim_keep_bytes;

/* Where the shim is: before shim_init, initialising, recording into a
 * ring, silent (no ring, another process, a forked child). */
enum { ST_NONE, ST_INIT, ST_ACTIVE, ST_SILENT };
extern _Atomic int shim_state;

/* Lazy, idempotent: reads the environment and maps the ring.  Inline so
 * that every call of the family pays one load once it is done. */
void shim_init_slow(void);
static inline void shim_init(void)
{
	if (atomic_load_explicit(&shim_state, memory_order_acquire) == ST_NONE)
		shim_init_slow();
}
/* The hot path of every call is inline here (the family in shim.c calls
 * it many times): the calls through to shim_ring.c cost more than the
 * work on the bench workload (perf: push/pop and call overhead was most of
 * the shim's time with no ring). */
extern struct ring_header *_Atomic shim_ring; /* NULL until mapped, and when silent */

/* libc mode: orders a glibc call with its slots; returns whether it
 * locked.  Silent processes need no order, nor does a process with one
 * thread (glibc clears __libc_single_threaded in pthread_create before
 * the new thread exists, and the creating thread is then not inside a
 * call of ours). */
int shim_order_lock_slow(void);
void shim_order_unlock_slow(void);
static inline int shim_order_lock(void)
{
	return __libc_single_threaded ? 0 : shim_order_lock_slow();
}
static inline void shim_order_unlock(int held)
{
	if (held)
		shim_order_unlock_slow();
}

/* The ring writer's per-thread cache (shim_ring.c): the tail this thread
 * last read (it only grows, so it is a safe answer within a lap) and the
 * thread's id (0 until its first record, and in a forked child). */
extern __thread uint64_t shim_seen_tail __attribute__((tls_model("initial-exec")));
extern __thread int32_t shim_tid __attribute__((tls_model("initial-exec")));
/* 1 when the CPU has PREFETCHW (set by shim_init_slow). */
extern int shim_prfchw;

/* Reserves the n slots of a record: the position of the first, or
 * SHIM_NO_SEQ with no ring.  With one thread the add carries no lock
 * prefix: one instruction is still whole against a signal handler that
 * allocates in the middle, and a locked add waits until every store before
 * it has left the store buffer, among them the last record's, which wait
 * for the ring's line to come back from the tracer's CPU. */
static inline uint64_t shim_reserve(unsigned n)
{
	struct ring_header *r = atomic_load_explicit(&shim_ring, memory_order_acquire);
	uint64_t seq = n;

	if (!r)
		return SHIM_NO_SEQ;
	if (!__libc_single_threaded)
		return ring_produce_reserve(r, n);
	__asm__ volatile("xaddq %0, %1" : "+r"(seq), "+m"(r->head) : : "memory");
	return seq;
}

/* Asks for the line at p for writing, ahead of the stores.  A read
 * prefetch (__builtin_prefetch(p, 1) without -mprfchw) fetched it shared
 * with the tracer's CPU, and the store then still waited to own it. */
static inline void shim_prefetch_write(const void *p)
{
	if (shim_prfchw)
		__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
	else
		__builtin_prefetch(p, 1, 3);
}

/* How far ahead of the record being written the shim asks for a slot's
 * line: a line comes from the other CPU in about the time of one call, and
 * one slot ahead left the stores waiting. */
#ifndef SHIM_PREFETCH_AHEAD
#define SHIM_PREFETCH_AHEAD 4u
#endif

/* Fills a primary slot in place (not its `ready` word: the caller
 * publishes it after its extension slots). */
static inline __attribute__((always_inline)) void
shim_fill_primary(struct ring_primary *p, const struct call *c, uint16_t kind, unsigned nbytes,
		  uint16_t flags, int32_t tid, uint64_t a2, uint64_t result)
{
	p->kind = (uint8_t)kind;
	p->nbytes = (uint8_t)nbytes;
	p->flags = flags;
	p->tid = tid;
	p->args[0] = c->a0;
	p->args[1] = c->a1;
	p->args[2] = a2;
	p->result = result;
	p->caller = c->caller;
	p->sp = c->sp;
}

/* The slow half of the ring's common record (shim_ring.c). */
void shim_wake_reader(struct ring_header *r);

/* The common record, inline: a call that needs one primary slot (no
 * errno to report, no bytes kept; libc mode, or a packed teach record),
 * the ring mapped with room by the tail this thread last saw, neither step
 * nor off mode, the thread's id known.  Writes `flags` and `a2` as the
 * slot's flags and args[2].  Returns 0 when it wrote and published the
 * slot at `seq`, -1 when the caller must take the general path
 * (shim_put_libc, shim_report_teach_slow), which handles every case. */
static inline __attribute__((always_inline)) int shim_put_one(const struct call *c, uint16_t flags, uint64_t a2,
								  uint64_t result, uint64_t seq)
{
	struct ring_header *r = atomic_load_explicit(&shim_ring, memory_order_relaxed);
	int32_t tid = shim_tid;

	if (__builtin_expect(!r || !tid || seq == SHIM_NO_SEQ, 0) ||
	    __builtin_expect(atomic_load_explicit(&r->mode, memory_order_relaxed) &
			     (RING_MODE_STEP | RING_MODE_OFF), 0) ||
	    __builtin_expect(seq + 1 - shim_seen_tail > r->capacity, 0))
		return -1;
	union ring_slot *s = ring_slot_at(r, seq);
	shim_fill_primary(&s->ev, c, c->kind, 0, flags, tid, a2, result);
	ring_slot_publish(s, seq);
	shim_prefetch_write(ring_slot_at(r, seq + 1 + SHIM_PREFETCH_AHEAD));
	if (__builtin_expect(((seq + 1) & (RING_WAKE_EVERY - 1)) == 0, 0))
		shim_wake_reader(r);
	return 0;
}

/* libc mode's common record: shim_put_one as the call came. */
static inline __attribute__((always_inline)) int shim_put_fast(const struct call *c, uint64_t result, uint64_t seq)
{
	return shim_put_one(c, 0, c->a2, result, seq);
}

/* A teach-mode call: the allocator's facts (first: the order hook is
 * handed &ti and reaches the call through it).  The hook marks a record
 * it reserved packed (one slot, + content) with RING_F_PACKED in
 * ti.flags; teach_* clears ti first, so a call that never reaches the
 * hook is not packed.  No bigger than version 3's teach_info: every call
 * of the family keeps its stack frame, so the program's stack (and a
 * trace's stack depths) stay as they were. */
struct shim_teach {
	struct teach_info ti;
	const struct call *c;
};
_Static_assert(sizeof(struct shim_teach) <= 128, "the family's frames do not grow");

/* Before the teach_* call. */
static inline void shim_teach_start(struct shim_teach *st, const struct call *c)
{
	st->c = c;
}

/* Write the record(s) of a call: teach mode (from st, after the teach_*
 * call returned `result`), libc mode.  libc mode reserves
 * shim_libc_slots(c, result, nbytes) slots right after the glibc call (it
 * reads errno only for a failed call) and passes the same nbytes.  Teach
 * mode's common case, a packed record with no bytes kept, is written
 * inline (no errno access: it makes no system call but the reader's
 * wake-up, which keeps errno). */
void shim_report_teach_slow(const struct shim_teach *st, void *result);
static inline __attribute__((always_inline)) void shim_report_teach(const struct shim_teach *st, void *result)
{
	const struct teach_info *ti = &st->ti;
	const struct call *c = st->c;

	if ((ti->flags & RING_F_PACKED) && !ti->nkept &&
	    shim_put_one(c, (uint16_t)(ti->flags | RING_F_TEACH),
			 ring_pack_a2(c->kind, c->a0, (uint64_t)(uintptr_t)result, ti->block,
				      ti->block_size, ti->old_block),
			 (uint64_t)(uintptr_t)result, ti->seq) == 0)
		return;
	shim_report_teach_slow(st, result);
}
static inline unsigned shim_libc_slots(const struct call *c, void *result, unsigned nbytes)
{
	return 1u + (!result && c->kind != RING_FREE && errno != 0) + (nbytes != 0);
}
void shim_put_libc(const struct call *c, void *result, uint64_t seq,
		   const unsigned char *bytes, unsigned nbytes);
static inline __attribute__((always_inline)) void shim_report_libc(const struct call *c, void *result, uint64_t seq,
								       const unsigned char *bytes, unsigned nbytes)
{
	/* no ring: kept early (before it is mapped) or nowhere (silent) */
	if (seq == SHIM_NO_SEQ && atomic_load_explicit(&shim_state, memory_order_relaxed) == ST_SILENT)
		return;
	if (!nbytes && (result || c->kind == RING_FREE || !errno) &&
	    shim_put_fast(c, (uint64_t)(uintptr_t)result, seq) == 0)
		return;
	shim_put_libc(c, result, seq, bytes, nbytes);
}
/* Copies the first min(usable, RING_CONTENT_MAX) bytes of p; returns the count. */
unsigned shim_copy_block(unsigned char *buf, void *p, size_t usable);

#endif
