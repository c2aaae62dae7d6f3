/* teach_int: what the two halves of the teaching allocator share: the
 * block header, the list and mmap links, and the heap primitives of
 * teach_heap.c that the calls in teach.c are built from.  Callers of the
 * primitives hold the lock (teach_lock) unless a comment says otherwise. */
#ifndef MEMLENS_SHIM_TEACH_INT_H
#define MEMLENS_SHIM_TEACH_INT_H

#include <stdint.h>

#include "shim/teach.h"

#define INUSE    1u
#define MMAPD    2u
#define FLAGMASK 15u
#define MINBLOCK 32u
#define GROW     (64u * 1024u)
#define NBINS    192
#define NSEG     64
#define NRECENT  64

struct hdr {
	uint64_t size;    /* block bytes including this header | INUSE | MMAPD */
	uint32_t prev16;  /* previous block's size / 16 (0: first of its segment) */
	uint32_t check;   /* hash of address and the fields above */
};
struct fnode {            /* in the payload of a free heap block */
	struct fnode *next, *prev;
};
struct tmap {             /* just before the header of an mmap'd block */
	struct tmap *next, *prev;
	char *base;
	uint64_t len;
};
_Static_assert(sizeof(struct hdr) == TEACH_HDR, "header is 16 bytes");


static inline uint64_t hsize(const struct hdr *h) { return h->size & ~(uint64_t)FLAGMASK; }
static inline struct hdr *hdr_of(void *p) { return (struct hdr *)p - 1; }
static inline void *payload(struct hdr *h) { return h + 1; }
static inline struct hdr *next_of(struct hdr *h) { return (struct hdr *)((char *)h + hsize(h)); }

static inline uint32_t mkcheck(const struct hdr *h)
{
	uint64_t x = (uint64_t)(uintptr_t)h * UINT64_C(0x9E3779B97F4A7C15);

	x ^= h->size + ((uint64_t)h->prev16 << 40) + UINT64_C(0x6d656d6c656e73);
	x ^= x >> 31;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 29;
	return (uint32_t)x;
}
static inline void seal(struct hdr *h) { h->check = mkcheck(h); }
static inline int hok(const struct hdr *h) { return h->check == mkcheck(h); }


void teach_lock(void);
void teach_unlock(void);
/* Ends a call that returns `result`: the break and the sequence number,
 * then unlocks. */
void teach_finish(struct teach_info *ti, const void *result);
/* Index of the heap segment holding p, or -1. */
int teach_seg_of(const void *p);
/* The mmap'd block whose user pointer is p, or NULL. */
struct tmap *teach_map_find(const void *p);
/* A free block of at least `need` bytes taken off its list (first fit). */
struct hdr *teach_take_free(uint64_t need, struct teach_info *ti);
/* New heap space of at least `need` bytes as one free block (off the lists). */
struct hdr *teach_grow(uint64_t need, struct teach_info *ti);
void *teach_map_alloc(size_t n, size_t align, struct teach_info *ti);
void teach_map_free(struct hdr *h, struct teach_info *ti);
/* Marks free block h used for `need` bytes, splitting off the rest. */
void teach_place(struct hdr *h, uint64_t need, struct teach_info *ti);
/* Puts free block h on its list, merged with free neighbours. */
void teach_release(struct hdr *h, struct teach_info *ti);
void teach_relink_next(struct hdr *h);
int teach_bin_unlink(struct hdr *h);
/* The live block of p, or NULL with ti->error set (freed_err for a block
 * already free). */
struct hdr *teach_lookup(void *p, uint32_t freed_err, struct teach_info *ti);

#endif
