/* teach: the teaching allocator's core (see teach.h for the contract).
 * Layout: each heap segment (from sbrk, or mmap when sbrk fails) is a run
 * of blocks ending in a 16-byte fence; each block starts with a header
 * {size|state bits, previous block's size / 16, check value}.  Free blocks
 * hold their list links in their payload. */
#include "shim/teach.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ring/ring_format.h"

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

static atomic_int lock_word;
static __thread int fork_holder __attribute__((tls_model("initial-exec")));
static uint64_t (*order_hook)(void);
static struct fnode *bins[NBINS];
static uint64_t binmap[NBINS / 64];
static struct { char *lo, *hi; int mapped; } seg[NSEG]; /* hi: the fence */
static int nseg;
static struct tmap *maps;
static uintptr_t recent_unmapped[NRECENT];
static unsigned recent_i;

static uint64_t hsize(const struct hdr *h) { return h->size & ~(uint64_t)FLAGMASK; }
static struct hdr *hdr_of(void *p) { return (struct hdr *)p - 1; }
static void *payload(struct hdr *h) { return h + 1; }
static struct hdr *next_of(struct hdr *h) { return (struct hdr *)((char *)h + hsize(h)); }

static uint32_t mkcheck(const struct hdr *h)
{
	uint64_t x = (uint64_t)(uintptr_t)h * UINT64_C(0x9E3779B97F4A7C15);

	x ^= h->size + ((uint64_t)h->prev16 << 40) + UINT64_C(0x6d656d6c656e73);
	x ^= x >> 31;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 29;
	return (uint32_t)x;
}
static void seal(struct hdr *h) { h->check = mkcheck(h); }
static int hok(const struct hdr *h) { return h->check == mkcheck(h); }

static void lock(void)
{
	if (fork_holder)
		return; /* the forking thread already holds it (atfork handlers) */
	for (unsigned spins = 0;; spins++) {
		if (!atomic_load_explicit(&lock_word, memory_order_relaxed) &&
		    !atomic_exchange_explicit(&lock_word, 1, memory_order_acquire))
			return;
		if (spins > 100)
			sched_yield();
		else
			__builtin_ia32_pause();
	}
}
static void unlock(void)
{
	if (!fork_holder)
		atomic_store_explicit(&lock_word, 0, memory_order_release);
}

void teach_set_order_hook(uint64_t (*hook)(void)) { order_hook = hook; }

/* Ends every call: the sequence number and the break, under the lock. */
static void finish(struct teach_info *ti)
{
	ti->brk = (uint64_t)(uintptr_t)sbrk(0);
	if (order_hook) {
		if (ti->error && !ti->ignored)
			ti->err_seq = order_hook();
		ti->seq = order_hook();
	}
	unlock();
}

static int seg_of(const void *p)
{
	for (int i = 0; i < nseg; i++)
		if ((const char *)p >= seg[i].lo && (const char *)p < seg[i].hi)
			return i;
	return -1;
}

/* ---- free lists: segregated, first fit ---------------------------------- */

static unsigned bin_of(uint64_t s)
{
	unsigned b;

	if (s <= 1024)
		return (unsigned)(s / 16 - 2);     /* exact lists, 32 .. 1024 */
	/* Above: four lists per power of two (1024-1279, 1280-1535, ...). */
	unsigned lg = (unsigned)(63 - __builtin_clzll(s));
	b = 63 + (lg - 10) * 4 + (unsigned)((s >> (lg - 2)) & 3);
	return b < NBINS ? b : NBINS - 1;
}

static void bin_push(struct hdr *h)
{
	struct fnode *f = payload(h);
	unsigned b = bin_of(hsize(h));

	f->prev = NULL;
	f->next = bins[b];
	if (f->next)
		f->next->prev = f;
	bins[b] = f;
	binmap[b / 64] |= UINT64_C(1) << (b % 64);
}

static void bin_reset(unsigned b)
{
	bins[b] = NULL;
	binmap[b / 64] &= ~(UINT64_C(1) << (b % 64));
}

/* A link is trusted only if it points at a sound free header in the heap. */
static int link_ok(const struct fnode *f)
{
	const struct hdr *h = (const struct hdr *)f - 1;

	return ((uintptr_t)f & 15) == 0 && seg_of(h) >= 0 && hok(h) && !(h->size & INUSE);
}

/* Unlinks h from its list; -1 (and the list dropped) when the links were
 * overwritten (a write after free). */
static int bin_unlink(struct hdr *h)
{
	struct fnode *f = payload(h);
	unsigned b = bin_of(hsize(h));

	if ((f->prev ? !link_ok(f->prev) || f->prev->next != f : bins[b] != f) ||
	    (f->next && (!link_ok(f->next) || f->next->prev != f))) {
		bin_reset(b);
		return -1;
	}
	if (f->prev)
		f->prev->next = f->next;
	else
		bins[b] = f->next;
	if (f->next)
		f->next->prev = f->prev;
	if (!bins[b])
		binmap[b / 64] &= ~(UINT64_C(1) << (b % 64));
	return 0;
}

static struct hdr *take_free(uint64_t need, struct teach_info *ti)
{
	unsigned b = bin_of(need);

	for (struct fnode *f = bins[b]; f; f = f->next) {
		struct hdr *h = hdr_of(f);
		/* Cheap test while scanning; bin_unlink checks the one taken. */
		if (((uintptr_t)f & 15) || seg_of(h) < 0) {
			bin_reset(b);
			ti->error = RING_ERR_CORRUPT_HEADER;
			break;
		}
		if (hsize(h) >= need)
			return bin_unlink(h) == 0 ? h : NULL;
	}
	for (unsigned i = b + 1; i < NBINS; i++) {
		uint64_t m = binmap[i / 64] >> (i % 64);
		if (!m) {
			i = (i / 64) * 64 + 63; /* skip the rest of this word */
			continue;
		}
		i += (unsigned)__builtin_ctzll(m);
		if (i >= NBINS)
			break;
		if (!link_ok(bins[i])) {
			bin_reset(i);
			ti->error = RING_ERR_CORRUPT_HEADER;
			continue;
		}
		struct hdr *h = hdr_of(bins[i]);
		if (bin_unlink(h) == 0)
			return h;
	}
	return NULL;
}

/* Sets the back link of the block after h, if that header is sound. */
static void relink_next(struct hdr *h)
{
	struct hdr *n = next_of(h);

	if (hok(n)) {
		n->prev16 = (uint32_t)(hsize(h) / 16);
		seal(n);
	}
}

/* Marks free block h (off any list) used for `need` bytes, splitting off
 * the rest when it can hold a block of its own. */
static void place(struct hdr *h, uint64_t need, struct teach_info *ti)
{
	uint64_t s = hsize(h);

	if (s - need >= MINBLOCK) {
		struct hdr *r = (struct hdr *)((char *)h + need);
		r->size = s - need;
		r->prev16 = (uint32_t)(need / 16);
		seal(r);
		relink_next(r);
		bin_push(r);
		s = need;
		ti->flags |= RING_F_SPLIT;
	}
	h->size = s | INUSE;
	seal(h);
	ti->block = (uint64_t)(uintptr_t)h;
	ti->block_size = s;
}

/* Returns free block h (off any list) to the lists, merged with free
 * neighbours. */
static void release(struct hdr *h, struct teach_info *ti)
{
	uint64_t s = hsize(h);
	struct hdr *n = next_of(h);

	if (hok(n) && !(n->size & INUSE) && hsize(n) && bin_unlink(n) == 0) {
		s += hsize(n);
		ti->flags |= RING_F_COALESCED;
	}
	if (h->prev16) {
		struct hdr *p = (struct hdr *)((char *)h - (uint64_t)h->prev16 * 16);
		if (hok(p) && !(p->size & INUSE) && hsize(p) == (uint64_t)h->prev16 * 16 &&
		    bin_unlink(p) == 0) {
			s += hsize(p);
			h->size = hsize(h); /* the absorbed header stays, marked free */
			seal(h);
			h = p;
			ti->flags |= RING_F_COALESCED;
		}
	}
	h->size = s;
	seal(h);
	relink_next(h);
	bin_push(h);
}

/* ---- getting memory from the system ------------------------------------ */

static void set_fence(char *at, uint64_t prev)
{
	struct hdr *f = (struct hdr *)at;

	f->size = INUSE; /* size 0: the end of the segment */
	f->prev16 = (uint32_t)(prev / 16);
	seal(f);
}

/* Grows the heap by at least `need` bytes; returns the new free block (off
 * the lists, merged with a free last block). */
static struct hdr *grow(uint64_t need, struct teach_info *ti)
{
	uint64_t want = (need + TEACH_HDR + GROW - 1) / GROW * GROW;
	char *cur = sbrk(0);
	struct hdr *h;

	if (nseg && !seg[nseg - 1].mapped && cur == seg[nseg - 1].hi + TEACH_HDR &&
	    sbrk((intptr_t)want) != (void *)-1) {
		h = (struct hdr *)seg[nseg - 1].hi; /* the old fence starts the block */
		h->size = want;
		seal(h);
		seg[nseg - 1].hi += want;
		set_fence(seg[nseg - 1].hi, want);
		ti->flags |= RING_F_GREW_HEAP;
		if (h->prev16) {
			struct hdr *p = (struct hdr *)((char *)h - (uint64_t)h->prev16 * 16);
			if (hok(p) && !(p->size & INUSE) && bin_unlink(p) == 0) {
				p->size = hsize(p) + want;
				seal(p);
				relink_next(p);
				h = p;
			}
		}
		return h;
	}
	if (nseg == NSEG)
		return NULL;
	/* A new segment: the break moved under us, or this is the first. */
	uint64_t pad = (16 - ((uintptr_t)cur & 15)) & 15;
	char *lo;
	int mapped = 0;
	if (cur != (void *)-1 && sbrk((intptr_t)(pad + want)) == cur) {
		lo = cur + pad;
		ti->flags |= RING_F_GREW_HEAP;
	} else {
		lo = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (lo == MAP_FAILED)
			return NULL;
		mapped = 1;
		ti->flags |= RING_F_MMAP;
	}
	want -= TEACH_HDR;
	seg[nseg].lo = lo;
	seg[nseg].hi = lo + want;
	seg[nseg].mapped = mapped;
	nseg++;
	h = (struct hdr *)lo;
	h->size = want;
	h->prev16 = 0;
	seal(h);
	set_fence(lo + want, want);
	return h;
}

static void *map_alloc(size_t n, size_t align, struct teach_info *ti)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t len = ((uint64_t)n + sizeof(struct tmap) + TEACH_HDR + (align > 16 ? align : 0) + page - 1) / page * page;
	char *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *user;
	struct tmap *m;
	struct hdr *h;

	if (base == MAP_FAILED)
		return NULL;
	user = base + sizeof(struct tmap) + TEACH_HDR;
	user = (char *)(((uintptr_t)user + align - 1) & ~((uintptr_t)align - 1));
	h = hdr_of(user);
	m = (struct tmap *)h - 1;
	m->base = base;
	m->len = len;
	m->prev = NULL;
	m->next = maps;
	if (maps)
		maps->prev = m;
	maps = m;
	h->size = (uint64_t)(base + len - (char *)h) | INUSE | MMAPD;
	h->prev16 = 0;
	seal(h);
	ti->flags |= RING_F_MMAP;
	ti->block = (uint64_t)(uintptr_t)base;
	ti->block_size = len;
	return user;
}

static void map_free(struct hdr *h, struct teach_info *ti)
{
	struct tmap *m = (struct tmap *)h - 1;

	if (m->prev)
		m->prev->next = m->next;
	else
		maps = m->next;
	if (m->next)
		m->next->prev = m->prev;
	ti->flags |= RING_F_MMAP;
	ti->block = (uint64_t)(uintptr_t)m->base;
	ti->block_size = m->len;
	recent_unmapped[recent_i++ % NRECENT] = (uintptr_t)payload(h);
	munmap(m->base, m->len);
}

/* ---- finding out what a pointer is -------------------------------------- */

/* 1 if h is where a block starts in segment i, 0 if it is inside a block,
 * -1 if the walk met a broken header first. */
static int block_start(int i, const struct hdr *h)
{
	const struct hdr *x = (const struct hdr *)seg[i].lo;

	while ((const char *)x < seg[i].hi) {
		if (x == h)
			return 1;
		if (!hok(x) || hsize(x) < MINBLOCK)
			return -1;
		if (x > h)
			return 0;
		x = (const struct hdr *)((const char *)x + hsize(x));
	}
	return 0;
}

static struct tmap *map_find(const void *p)
{
	for (struct tmap *m = maps; m; m = m->next)
		if (payload((struct hdr *)(m + 1)) == p)
			return m;
	return NULL;
}

/* Finds the live block of pointer p, or sets ti->error and returns NULL.
 * `freed_err` is the error for a block already free. */
static struct hdr *lookup(void *p, uint32_t freed_err, struct teach_info *ti)
{
	struct hdr *h = hdr_of(p);
	int i;

	if ((uintptr_t)p & 15) {
		ti->error = RING_ERR_INVALID_FREE;
		return NULL;
	}
	i = seg_of(p);
	if (i < 0) {
		if (map_find(p))
			return hok(h) ? h : (ti->error = RING_ERR_CORRUPT_HEADER, NULL);
		ti->error = RING_ERR_INVALID_FREE;
		for (unsigned k = 0; k < NRECENT; k++)
			if (recent_unmapped[k] == (uintptr_t)p)
				ti->error = freed_err;
		return NULL;
	}
	if ((char *)h < seg[i].lo) {
		ti->error = RING_ERR_INVALID_FREE;
		return NULL;
	}
	if (!hok(h) || (h->size & MMAPD)) {
		int r = block_start(i, h);
		ti->error = r == 0 ? RING_ERR_INVALID_FREE : RING_ERR_CORRUPT_HEADER;
		if (r != 0)
			ti->block = (uint64_t)(uintptr_t)h;
		return NULL;
	}
	if (!(h->size & INUSE)) {
		ti->error = freed_err;
		return NULL;
	}
	/* The neighbours: an overrun of this block shows in the next header. */
	struct hdr *n = next_of(h);
	if ((char *)n > seg[i].hi || !hok(n) || n->prev16 != hsize(h) / 16) {
		ti->error = RING_ERR_CORRUPT_HEADER;
		ti->block = (uint64_t)(uintptr_t)n;
		return NULL;
	}
	if (h->prev16) {
		struct hdr *pv = (struct hdr *)((char *)h - (uint64_t)h->prev16 * 16);
		if ((char *)pv < seg[i].lo || !hok(pv) || hsize(pv) != (uint64_t)h->prev16 * 16) {
			ti->error = RING_ERR_CORRUPT_HEADER;
			ti->block = (uint64_t)(uintptr_t)pv;
			return NULL;
		}
	}
	return h;
}

/* ---- the calls ---------------------------------------------------------- */

static uint64_t block_need(size_t n)
{
	uint64_t need = ((uint64_t)n + TEACH_HDR + 15) & ~(uint64_t)15;

	return need < MINBLOCK ? MINBLOCK : need;
}

static void *alloc_locked(size_t n, size_t align, struct teach_info *ti)
{
	struct hdr *h;
	uint64_t need, extra;

	if (n > TEACH_MAX || align > TEACH_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	if (n >= TEACH_MMAP_MIN) {
		void *p = map_alloc(n, align, ti);
		if (!p)
			errno = ENOMEM;
		return p;
	}
	need = block_need(n);
	extra = align > 16 ? align + MINBLOCK : 0; /* room to slide to alignment */
	h = take_free(need + extra, ti);
	if (!h)
		h = grow(need + extra, ti);
	if (!h) {
		errno = ENOMEM;
		return NULL;
	}
	if (extra) {
		uintptr_t u = ((uintptr_t)payload(h) + align - 1) & ~((uintptr_t)align - 1);
		uint64_t lead = u - TEACH_HDR - (uintptr_t)h;
		if (lead && lead < MINBLOCK)
			lead += align;
		if (lead) { /* the part before the aligned block becomes free */
			struct hdr *a = (struct hdr *)((char *)h + lead);
			a->size = (hsize(h) - lead) | INUSE; /* not free: release(h) must not merge it */
			a->prev16 = (uint32_t)(lead / 16);
			seal(a);
			relink_next(a);
			h->size = lead;
			seal(h);
			release(h, ti);
			ti->flags &= ~(uint32_t)RING_F_COALESCED;
			ti->flags |= RING_F_SPLIT;
			h = a;
		}
	}
	place(h, need, ti);
	return payload(h);
}

void *teach_malloc(size_t n, struct teach_info *ti)
{
	void *p;

	memset(ti, 0, sizeof(*ti));
	lock();
	p = alloc_locked(n, 16, ti);
	finish(ti);
	return p;
}

void *teach_memalign(size_t align, size_t n, struct teach_info *ti)
{
	void *p;

	memset(ti, 0, sizeof(*ti));
	if (!align || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	lock();
	p = alloc_locked(n, align < 16 ? 16 : align, ti);
	finish(ti);
	return p;
}

void *teach_calloc(size_t n, size_t size, struct teach_info *ti)
{
	size_t total;
	void *p;

	memset(ti, 0, sizeof(*ti));
	if (__builtin_mul_overflow(n, size, &total)) {
		lock();
		finish(ti);
		errno = ENOMEM;
		return NULL;
	}
	lock();
	p = alloc_locked(total, 16, ti);
	if (p && !(ti->flags & RING_F_MMAP))
		memset(p, 0, total); /* fresh mmap pages are zero already */
	finish(ti);
	return p;
}

void teach_free(void *p, struct teach_info *ti)
{
	struct hdr *h = NULL;

	memset(ti, 0, sizeof(*ti));
	lock();
	if (p && !(h = lookup(p, RING_ERR_DOUBLE_FREE, ti)))
		ti->ignored = 1;
	if (p && h) {
		if (h->size & MMAPD) {
			map_free(h, ti);
		} else {
			ti->block = (uint64_t)(uintptr_t)h;
			ti->block_size = hsize(h);
			h->size = hsize(h);
			seal(h);
			release(h, ti);
		}
		ti->old_block = ti->block;
	}
	finish(ti);
}

void *teach_realloc(void *p, size_t n, struct teach_info *ti)
{
	struct hdr *h;
	void *q = NULL;

	if (!p)
		return teach_malloc(n, ti);
	memset(ti, 0, sizeof(*ti));
	lock();
	h = lookup(p, RING_ERR_REALLOC_FREED, ti);
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
	} else if (n < TEACH_MMAP_MIN) {
		struct hdr *nx = next_of(h);
		if (need > s && hok(nx) && !(nx->size & INUSE) && hsize(nx) &&
		    s + hsize(nx) >= need && bin_unlink(nx) == 0) {
			h->size = (s + hsize(nx)) | INUSE; /* grow in place into the free neighbour */
			s = hsize(h);
			seal(h);
			relink_next(h);
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
				relink_next(r);
				release(r, ti);
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
		if (h->size & MMAPD) {
			map_free(h, &old);
		} else {
			old.block = (uint64_t)(uintptr_t)h;
			h->size = hsize(h);
			seal(h);
			release(h, &old);
		}
		ti->old_block = old.block;
		ti->flags |= old.flags & (RING_F_COALESCED | RING_F_MMAP);
	}
out:
	finish(ti);
	return q;
}

size_t teach_usable_size(void *p)
{
	struct teach_info ti = { 0 };
	struct hdr *h;
	size_t n = 0;

	if (!p)
		return 0;
	lock();
	h = lookup(p, RING_ERR_DOUBLE_FREE, &ti);
	if (h)
		n = hsize(h) - TEACH_HDR;
	unlock();
	return n;
}

/* ---- checking the whole heap -------------------------------------------- */

int teach_check(struct teach_stats *st)
{
	size_t listed = 0;
	int bad = 0;

	memset(st, 0, sizeof(*st));
	lock();
	for (int i = 0; i < nseg; i++) {
		struct hdr *x = (struct hdr *)seg[i].lo;
		uint64_t prev = 0;
		int prev_free = 0;
		st->heap_bytes += (size_t)(seg[i].hi - seg[i].lo) + TEACH_HDR;
		while ((char *)x < seg[i].hi) {
			if (!hok(x) || hsize(x) < MINBLOCK || (hsize(x) & 15) ||
			    x->prev16 != prev / 16 || (x->size & MMAPD))
				bad++;
			if (bad)
				goto out;
			int is_free = !(x->size & INUSE);
			if (is_free && prev_free)
				bad++;
			if (is_free) {
				st->free_blocks++;
				st->free_bytes += hsize(x);
			} else {
				st->used_blocks++;
			}
			prev_free = is_free;
			prev = hsize(x);
			x = next_of(x);
		}
		if ((char *)x != seg[i].hi || !hok(x) || hsize(x) != 0 || x->prev16 != prev / 16)
			bad++;
	}
	for (unsigned b = 0; b < NBINS && !bad; b++) {
		struct fnode *back = NULL;
		for (struct fnode *f = bins[b]; f; f = f->next) {
			if (!link_ok(f) || bin_of(hsize(hdr_of(f))) != b || f->prev != back ||
			    ++listed > st->free_blocks) {
				bad++;
				break;
			}
			back = f;
		}
		if (!!bins[b] != !!(binmap[b / 64] & (UINT64_C(1) << (b % 64))))
			bad++;
	}
	if (listed != st->free_blocks)
		bad++;
	for (struct tmap *m = maps; m; m = m->next) {
		st->mmap_blocks++;
		if (!hok((struct hdr *)(m + 1)))
			bad++;
	}
out:
	unlock();
	return bad ? -1 : 0;
}

void teach_atfork_prepare(void)
{
	lock();
	fork_holder = 1;
}

void teach_atfork_parent(void)
{
	fork_holder = 0;
	unlock();
}

void teach_atfork_child(void)
{
	fork_holder = 0;
	atomic_store(&lock_word, 0);
}
