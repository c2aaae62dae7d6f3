/* teach_heap: the teaching allocator's heap: headers and their check
 * values, the lock, the segregated free lists, growing the brk heap, own
 * mmaps, finding what a pointer is, and the whole-heap check.  The calls
 * built on these are in teach.c. */
#include "shim/teach_int.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ring/ring_format.h"

static atomic_int lock_word;
static __thread int fork_holder __attribute__((tls_model("initial-exec")));
static uint64_t (*order_hook)(struct teach_info *ti, const void *result, int error_record);
static struct fnode *bins[NBINS];
static uint64_t binmap[NBINS / 64];
static struct { char *lo, *hi; int mapped; } seg[NSEG]; /* hi: the fence */
static int nseg;
_Atomic int teach_has_memory;
static struct tmap *maps;
static uintptr_t recent_unmapped[NRECENT];
static unsigned recent_i;

/* lock_word: 0 free, 1 held, 2 held with waiters asleep on the futex.
 * Spin briefly, then sleep in the kernel: a spin with sched_yield gave a
 * whole time slice to any busy process on a loaded machine, so contended
 * calls (and fork, which takes the lock) slowed down fifty-fold. */
static void futex_op(atomic_int *w, int op, int val)
{
	syscall(SYS_futex, w, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
}

void teach_lock(void)
{
	int c = 0;

	if (fork_holder)
		return; /* the forking thread already holds it (atfork handlers) */
	for (unsigned spins = 0; spins < 100; spins++) {
		c = 0;
		if (atomic_compare_exchange_weak_explicit(&lock_word, &c, 1, memory_order_acquire,
							  memory_order_relaxed))
			return;
		__builtin_ia32_pause();
	}
	if (c != 2)
		c = atomic_exchange_explicit(&lock_word, 2, memory_order_acquire);
	while (c != 0) {
		futex_op(&lock_word, FUTEX_WAIT, 2);
		c = atomic_exchange_explicit(&lock_word, 2, memory_order_acquire);
	}
}
void teach_unlock(void)
{
	if (!fork_holder && atomic_exchange_explicit(&lock_word, 0, memory_order_release) == 2)
		futex_op(&lock_word, FUTEX_WAKE, 1);
}

void teach_set_order_hook(uint64_t (*hook)(struct teach_info *, const void *, int)) { order_hook = hook; }

/* Ends every call: the sequence number and the break, under the lock. */
void teach_finish(struct teach_info *ti, const void *result)
{
	ti->brk = (uint64_t)(uintptr_t)sbrk(0);
	if (order_hook) {
		if (ti->error && !ti->ignored)
			ti->err_seq = order_hook(ti, result, 1);
		ti->seq = order_hook(ti, result, 0);
	}
	teach_unlock();
}

void teach_number_refused(struct teach_info *ti)
{
	teach_lock();
	if (order_hook)
		ti->seq = order_hook(ti, NULL, 0);
	teach_unlock();
}

int teach_seg_of(const void *p)
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

	return ((uintptr_t)f & 15) == 0 && teach_seg_of(h) >= 0 && hok(h) && !(h->size & INUSE);
}

/* Unlinks h from its list; -1 (and the list dropped) when the links were
 * overwritten (a write after free). */
int teach_bin_unlink(struct hdr *h)
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

struct hdr *teach_take_free(uint64_t need, struct teach_info *ti)
{
	unsigned b = bin_of(need), scanned = 0;

	/* The bound also stops a loop that a write after free could make. */
	for (struct fnode *f = bins[b]; f && scanned < 4096; f = f->next, scanned++) {
		struct hdr *h = hdr_of(f);
		/* Cheap test while scanning; bin_unlink checks the one taken. */
		if (((uintptr_t)f & 15) || teach_seg_of(h) < 0) {
			bin_reset(b);
			ti->error = RING_ERR_CORRUPT_HEADER;
			break;
		}
		if (hsize(h) >= need)
			return teach_bin_unlink(h) == 0 ? h : NULL;
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
		if (teach_bin_unlink(h) == 0)
			return h;
	}
	return NULL;
}

/* Sets the back link of the block after h, if that header is sound. */
void teach_relink_next(struct hdr *h)
{
	struct hdr *n = next_of(h);

	if (hok(n)) {
		n->prev16 = (uint32_t)(hsize(h) / 16);
		seal(n);
	}
}

/* Marks free block h (off any list) used for `need` bytes, splitting off
 * the rest when it can hold a block of its own. */
void teach_place(struct hdr *h, uint64_t need, struct teach_info *ti)
{
	uint64_t s = hsize(h);

	if (s - need >= MINBLOCK) {
		struct hdr *r = (struct hdr *)((char *)h + need);
		r->size = s - need;
		r->prev16 = (uint32_t)(need / 16);
		seal(r);
		teach_relink_next(r);
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
void teach_release(struct hdr *h, struct teach_info *ti)
{
	uint64_t s = hsize(h);
	struct hdr *n = next_of(h);

	if (hok(n) && !(n->size & INUSE) && hsize(n) && teach_bin_unlink(n) == 0) {
		s += hsize(n);
		ti->flags |= RING_F_COALESCED;
	}
	if (h->prev16) {
		struct hdr *p = (struct hdr *)((char *)h - (uint64_t)h->prev16 * 16);
		if (hok(p) && !(p->size & INUSE) && hsize(p) == (uint64_t)h->prev16 * 16 &&
		    teach_bin_unlink(p) == 0) {
			s += hsize(p);
			h->size = hsize(h); /* the absorbed header stays, marked free */
			seal(h);
			h = p;
			ti->flags |= RING_F_COALESCED;
		}
	}
	h->size = s;
	seal(h);
	teach_relink_next(h);
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
struct hdr *teach_grow(uint64_t need, struct teach_info *ti)
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
			if (hok(p) && !(p->size & INUSE) && teach_bin_unlink(p) == 0) {
				p->size = hsize(p) + want;
				seal(p);
				teach_relink_next(p);
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
	atomic_store_explicit(&teach_has_memory, 1, memory_order_relaxed);
	h = (struct hdr *)lo;
	h->size = want;
	h->prev16 = 0;
	seal(h);
	set_fence(lo + want, want);
	return h;
}

void *teach_map_alloc(size_t n, size_t align, struct teach_info *ti)
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
	atomic_store_explicit(&teach_has_memory, 1, memory_order_relaxed);
	h->size = (uint64_t)(base + len - (char *)h) | INUSE | MMAPD;
	h->prev16 = 0;
	seal(h);
	ti->flags |= RING_F_MMAP;
	ti->block = (uint64_t)(uintptr_t)base;
	ti->block_size = len;
	return user;
}

void teach_map_free(struct hdr *h, struct teach_info *ti)
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

struct tmap *teach_map_find(const void *p)
{
	for (struct tmap *m = maps; m; m = m->next)
		if (payload((struct hdr *)(m + 1)) == p)
			return m;
	return NULL;
}

/* Finds the live block of pointer p, or sets ti->error and returns NULL.
 * `freed_err` is the error for a block already free. */
struct hdr *teach_lookup(void *p, uint32_t freed_err, struct teach_info *ti)
{
	struct hdr *h = hdr_of(p);
	int i;

	if ((uintptr_t)p & 15) {
		ti->error = RING_ERR_INVALID_FREE;
		return NULL;
	}
	i = teach_seg_of(p);
	if (i < 0) {
		if (teach_map_find(p))
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

int teach_owns(const void *p)
{
	if (!p || (!nseg && !maps))
		return 0;
	teach_lock();
	int own = teach_seg_of(p) >= 0 || teach_map_find(p) != NULL;
	teach_unlock();
	return own;
}

/* ---- checking the whole heap -------------------------------------------- */

int teach_check(struct teach_stats *st)
{
	size_t listed = 0;
	int bad = 0;

	memset(st, 0, sizeof(*st));
	teach_lock();
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
	teach_unlock();
	return bad ? -1 : 0;
}

void teach_atfork_prepare(void)
{
	teach_lock();
	fork_holder = 1;
}

void teach_atfork_parent(void)
{
	fork_holder = 0;
	teach_unlock();
}

void teach_atfork_child(void)
{
	fork_holder = 0;
	atomic_store(&lock_word, 0);
}

