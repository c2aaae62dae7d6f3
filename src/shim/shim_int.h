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

/* Reserves the n slots of a record: the position of the first, or
 * SHIM_NO_SEQ with no ring.  Always a locked add, even with one thread: a
 * plain load and store (or an xadd without the lock prefix) measured the
 * same (2M malloc/free pairs through a drained ring, 15 alternating runs:
 * 137.0, 141.4 and 137.5 ms of program CPU), and the locked add stays
 * right when a signal handler allocates in the middle. */
static inline uint64_t shim_reserve(unsigned n)
{
	struct ring_header *r = atomic_load_explicit(&shim_ring, memory_order_acquire);

	return r ? ring_produce_reserve(r, n) : SHIM_NO_SEQ;
}

/* Write the record(s) of a call: teach mode (from teach_info), libc mode.
 * libc mode reserves shim_libc_slots(c, result, nbytes) slots right after
 * the glibc call (it reads errno only for a failed call) and passes the
 * same nbytes. */
void shim_report_teach(const struct call *c, void *result, const struct teach_info *ti);
static inline unsigned shim_libc_slots(const struct call *c, void *result, unsigned nbytes)
{
	return 1u + (!result && c->kind != RING_FREE && errno != 0) + (nbytes != 0);
}
void shim_put_libc(const struct call *c, void *result, uint64_t seq,
		   const unsigned char *bytes, unsigned nbytes);
static inline void shim_report_libc(const struct call *c, void *result, uint64_t seq,
				    const unsigned char *bytes, unsigned nbytes)
{
	/* no ring: kept early (before it is mapped) or nowhere (silent) */
	if (seq == SHIM_NO_SEQ && atomic_load_explicit(&shim_state, memory_order_relaxed) == ST_SILENT)
		return;
	shim_put_libc(c, result, seq, bytes, nbytes);
}
/* Copies the first min(usable, RING_CONTENT_MAX) bytes of p; returns the count. */
unsigned shim_copy_block(unsigned char *buf, void *p, size_t usable);

#endif
