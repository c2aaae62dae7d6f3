/* teach: the teaching allocator's calls (see teach.h for the contract),
 * built on the heap primitives of teach_heap.c.  Every call takes the one
 * lock, does its work, and ends in teach_finish, which numbers it. */
#include "shim/teach_int.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "ring/ring_format.h"

static int keep_bytes;

void teach_set_keep(int on) { keep_bytes = on; }

/* Everything but the kept bytes, which nkept = 0 makes void. */
static void ti_clear(struct teach_info *ti)
{
	memset(ti, 0, offsetof(struct teach_info, kept));
}

/* The first bytes of live block h, about to be given back. */
static void keep(struct teach_info *ti, struct hdr *h)
{
	uint64_t n = hsize(h) - TEACH_HDR;

	if (!keep_bytes)
		return;
	ti->nkept = (uint32_t)(n < TEACH_KEEP_MAX ? n : TEACH_KEEP_MAX);
	memcpy(ti->kept, payload(h), ti->nkept);
}

/* ---- the calls ---------------------------------------------------------- */

static uint64_t block_need(size_t n)
{
	uint64_t need = ((uint64_t)n + TEACH_HDR + 15) & ~(uint64_t)15;

	return need < MINBLOCK ? MINBLOCK : need;
}

/* The mmap threshold, under the lock.  As glibc's (mallopt(3)): it starts
 * at 128 KiB, and free of a mapping bigger than it, up to 32 MiB, raises
 * it to that mapping's size, so a program that keeps allocating and
 * freeing blocks of one big size gets them from the heap after the first
 * (and stops paying an mmap and a munmap each time). */
static uint64_t mmap_at = TEACH_MMAP_MIN;

static void *alloc_locked(size_t n, size_t align, struct teach_info *ti)
{
	struct hdr *h;
	uint64_t need, extra;

	if (n > TEACH_MAX || align > TEACH_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	if (n >= mmap_at) {
		void *p = teach_map_alloc(n, align, ti);
		if (!p)
			errno = ENOMEM;
		return p;
	}
	need = block_need(n);
	extra = align > 16 ? align + MINBLOCK : 0; /* room to slide to alignment */
	h = teach_take_free(need + extra, ti);
	if (!h)
		h = teach_grow(need + extra, ti);
	if (!h) { /* no heap segment left (the program moved the break too often) */
		void *p = teach_map_alloc(n, align, ti);
		if (!p)
			errno = ENOMEM;
		return p;
	}
	if (extra) {
		uintptr_t u = ((uintptr_t)payload(h) + align - 1) & ~((uintptr_t)align - 1);
		uint64_t lead = u - TEACH_HDR - (uintptr_t)h;
		if (lead && lead < MINBLOCK)
			lead += align;
		if (lead) { /* the part before the aligned block becomes free */
			struct hdr *a = (struct hdr *)((char *)h + lead);
			a->size = (hsize(h) - lead) | INUSE; /* not free: teach_release(h) must not merge it */
			a->prev16 = (uint32_t)(lead / 16);
			seal(a);
			teach_relink_next(a);
			h->size = lead;
			seal(h);
			teach_release(h, ti);
			ti->flags &= ~(uint32_t)RING_F_COALESCED;
			ti->flags |= RING_F_SPLIT;
			h = a;
		}
	}
	teach_place(h, need, ti);
	return payload(h);
}

void *teach_malloc(size_t n, struct teach_info *ti)
{
	void *p;

	ti_clear(ti);
	teach_lock();
	p = alloc_locked(n, 16, ti);
	teach_finish(ti, p);
	return p;
}

void *teach_memalign(size_t align, size_t n, struct teach_info *ti)
{
	void *p;

	ti_clear(ti);
	if (!align || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	teach_lock();
	p = alloc_locked(n, align < 16 ? 16 : align, ti);
	teach_finish(ti, p);
	return p;
}

void *teach_calloc(size_t n, size_t size, struct teach_info *ti)
{
	size_t total;
	void *p;

	ti_clear(ti);
	if (__builtin_mul_overflow(n, size, &total)) {
		teach_lock();
		teach_finish(ti, NULL);
		errno = ENOMEM;
		return NULL;
	}
	teach_lock();
	p = alloc_locked(total, 16, ti);
	if (p && !(ti->flags & RING_F_MMAP))
		memset(p, 0, total); /* fresh mmap pages are zero already */
	teach_finish(ti, p);
	return p;
}

void teach_free(void *p, struct teach_info *ti)
{
	struct hdr *h = NULL;

	ti_clear(ti);
	teach_lock();
	if (p && !(h = teach_lookup(p, RING_ERR_DOUBLE_FREE, ti)))
		ti->ignored = 1;
	if (p && h) {
		keep(ti, h);
		if (h->size & MMAPD) {
			teach_map_free(h, ti);
			if (ti->block_size > mmap_at && ti->block_size <= TEACH_MMAP_MAX)
				mmap_at = ti->block_size; /* free only, as glibc */
		} else {
			ti->block = (uint64_t)(uintptr_t)h;
			ti->block_size = hsize(h);
			h->size = hsize(h);
			seal(h);
			teach_release(h, ti);
		}
		ti->old_block = ti->block;
	}
	teach_finish(ti, NULL);
}

void *teach_realloc(void *p, size_t n, struct teach_info *ti)
{
	struct hdr *h;
	void *q = NULL;

	if (!p)
		return teach_malloc(n, ti);
	ti_clear(ti);
	teach_lock();
	h = teach_lookup(p, RING_ERR_REALLOC_FREED, ti);
	if (!h) {
		ti->ignored = 1;
		errno = EINVAL;
		goto out;
	}
	if (n > TEACH_MAX) {
		errno = ENOMEM;
		goto out;
	}
	uint64_t need = block_need(n), s = hsize(h);
	uint64_t usable = s - TEACH_HDR;
	if (h->size & MMAPD) {
		if (n <= usable && n >= usable / 2 && n >= TEACH_MMAP_MIN) {
			struct tmap *m = (struct tmap *)h - 1;
			ti->flags |= RING_F_MMAP;
			ti->block = (uint64_t)(uintptr_t)m->base;
			ti->block_size = m->len;
			q = p;
			goto out;
		}
	} else if (n < mmap_at) {
		struct hdr *nx = next_of(h);
		if (need > s && hok(nx) && !(nx->size & INUSE) && hsize(nx) &&
		    s + hsize(nx) >= need && teach_bin_unlink(nx) == 0) {
			h->size = (s + hsize(nx)) | INUSE; /* grow in place into the free neighbour */
			s = hsize(h);
			seal(h);
			teach_relink_next(h);
			ti->flags |= RING_F_COALESCED;
		}
		if (need <= s) {
			if (s - need >= MINBLOCK) { /* shrink: the tail goes back */
				struct hdr *r = (struct hdr *)((char *)h + need);
				r->size = s - need;
				r->prev16 = (uint32_t)(need / 16);
				seal(r);
				h->size = need | INUSE;
				seal(h);
				teach_relink_next(r);
				teach_release(r, ti);
				ti->flags |= RING_F_SPLIT;
			}
			ti->block = (uint64_t)(uintptr_t)h;
			ti->block_size = hsize(h);
			q = p;
			goto out;
		}
	}
	/* Move: a new block, copy, give the old one back. */
	q = alloc_locked(n, 16, ti);
	if (q) {
		struct teach_info old = { 0 };
		memcpy(q, p, n < usable ? n : usable);
		keep(ti, h);
		if (h->size & MMAPD) {
			teach_map_free(h, &old);
		} else {
			old.block = (uint64_t)(uintptr_t)h;
			h->size = hsize(h);
			seal(h);
			teach_release(h, &old);
		}
		ti->old_block = old.block;
		ti->flags |= old.flags & (RING_F_COALESCED | RING_F_MMAP);
	}
out:
	teach_finish(ti, q);
	return q;
}

size_t teach_usable_size(void *p)
{
	struct teach_info ti = { 0 };
	struct hdr *h;
	size_t n = 0;

	if (!p)
		return 0;
	teach_lock();
	h = teach_lookup(p, RING_ERR_DOUBLE_FREE, &ti);
	if (h)
		n = hsize(h) - TEACH_HDR;
	teach_unlock();
	return n;
}

