/* teach: the teaching allocator's core, with no ring and no symbol
 * interposition, so the shim wraps it and the tests link it directly.
 * Every block has a 16-byte header (size, state, check value); small
 * blocks come from the brk heap, requests at the mmap threshold and above
 * get an mmap of their own (the threshold starts at TEACH_MMAP_MIN and, as
 * glibc's, rises to the size of a freed mapping, up to TEACH_MMAP_MAX);
 * free blocks sit on segregated first-fit lists, split on
 * allocation and coalesce on free.  Misuse is reported in teach_info.error
 * (enum ring_error) and the call is otherwise ignored.  Thread-safe (one
 * lock); call the teach_atfork_* functions around fork. */
#ifndef MEMLENS_SHIM_TEACH_H
#define MEMLENS_SHIM_TEACH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define TEACH_ALIGN     16u
#define TEACH_HDR       16u                 /* header bytes before each block */
#define TEACH_MMAP_MIN  (128u * 1024u)      /* the mmap threshold at start */
#define TEACH_MMAP_MAX  (UINT64_C(32) << 20) /* ... and the most it rises to */
#define TEACH_MAX       (UINT64_C(4) << 30) /* larger requests fail with ENOMEM */
#define TEACH_KEEP_MAX  56u                 /* bytes kept of a block given back */

/* What the allocator did, filled by every call (zeroed first). */
struct teach_info {
	uint64_t seq;        /* from the order hook, taken under the lock */
	uint64_t block;      /* header address of the block handed out / freed */
	uint64_t block_size; /* its size including the header */
	uint64_t old_block;  /* realloc: the block given back when it moved */
	uint64_t brk;        /* the program break after the call */
	/* RING_F_* (split, coalesced, grew heap, mmap); the order hook may
	 * add bits of its own (the shim: RING_F_PACKED) */
	uint32_t flags;
	uint32_t error;      /* RING_ERR_*: misuse or damage found by this call */
	uint32_t ignored;    /* 1: the call itself was misuse and did nothing */
	/* teach_set_keep on: a free, or a realloc that moved, copies the
	 * first bytes of the block it gives back into kept, just before (only
	 * for a block found in use: a bad pointer is never read).  Not
	 * cleared beyond nkept. */
	uint32_t nkept;
	uint64_t err_seq;    /* error && !ignored: the error's own number, before seq */
	unsigned char kept[TEACH_KEEP_MAX];
};

/* Turns the copy into teach_info.kept on or off (off at start). */
void teach_set_keep(int on);

/* Called with the lock held at the end of every call, so the numbers it
 * hands out follow the true order of the heap changes: once for the
 * error record (error_record 1) when there is one that is not the call's
 * own, then for the call, with every fact above filled but seq, and the
 * pointer the call returns.  `ti` is the pointer the caller passed to
 * teach_*: a caller may embed it first in a struct of its own and the
 * hook reach that (the shim does).  NULL: seq = 0. */
void teach_set_order_hook(uint64_t (*hook)(struct teach_info *ti, const void *result, int error_record));
/* Numbers a call refused before it reached the heap (reallocarray's
 * overflow), under the lock like every call: *ti must be cleared; only
 * seq is set (no facts, not even the break). */
void teach_number_refused(struct teach_info *ti);

void *teach_malloc(size_t n, struct teach_info *ti);
void *teach_calloc(size_t n, size_t size, struct teach_info *ti);
void *teach_realloc(void *p, size_t n, struct teach_info *ti);
void teach_free(void *p, struct teach_info *ti);
/* align: a power of two (any, >= 16 used); returns NULL + EINVAL otherwise. */
void *teach_memalign(size_t align, size_t n, struct teach_info *ti);
/* Nonzero if p lies in memory this allocator handed out (for the shim's
 * libc mode, which may meet blocks made before it knew).  Takes the lock
 * unless the allocator never held any memory: teach_may_own says so
 * without a call. */
int teach_owns(const void *p);
extern _Atomic int teach_has_memory; /* set once, under the lock, never cleared */
static inline int teach_may_own(const void *p)
{
	return p && atomic_load_explicit(&teach_has_memory, memory_order_relaxed);
}
/* Usable bytes of a live block; 0 for NULL or a pointer not ours. */
size_t teach_usable_size(void *p);

/* Walks the whole heap and checks it: every header's check value, sizes
 * and back links agree, no two free blocks side by side, every free block
 * on the right list.  Returns 0 when sound, else -1.  Counts go to *st. */
struct teach_stats {
	size_t heap_bytes, used_blocks, free_blocks, free_bytes, mmap_blocks;
};
int teach_check(struct teach_stats *st);

void teach_atfork_prepare(void);
void teach_atfork_parent(void);
void teach_atfork_child(void);

#endif
