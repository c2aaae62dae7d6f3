/* shim: the malloc family of libmemlens-shim.so, preloaded into the target.
 * Each call is served by the teach allocator (teach.c) or by glibc
 * (__libc_malloc & co) and becomes one record in the tracer's ring
 * (shim_ring.c).  With no ring, or in any process but the traced one, it
 * allocates correctly and stays silent. */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "ring/ring_format.h"
#include "shim/shim_int.h"

#define API __attribute__((visibility("default")))

void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void __libc_free(void *);
void *__libc_memalign(size_t, size_t);
void *__libc_valloc(size_t);
void *__libc_pvalloc(size_t);

static int pow2(size_t a) { return a && !(a & (a - 1)); }

/* glibc's usable size of a live block: its chunk size word sits just
 * before it; bit 1 marks an mmap'd chunk, which has no neighbour to borrow
 * 8 bytes from. */
static size_t libc_usable(const void *p)
{
	size_t sz = ((const size_t *)p)[-1];

	return (sz & ~(size_t)7) - ((sz & 2) ? 16 : 8);
}

/* --bytes, libc mode: the first bytes of a block about to be freed into
 * buf.  A pointer glibc would refuse (misaligned, or a size word no chunk
 * has) is not read: glibc then aborts with its own message, as without
 * memlens. */
static unsigned libc_keep(unsigned char *buf, void *p)
{
	size_t sz;

	if ((uintptr_t)p & 15)
		return 0;
	sz = ((const size_t *)p)[-1] & ~(size_t)7;
	if (sz < 32 || (sz & 15))
		return 0;
	return shim_copy_block(buf, p, libc_usable(p));
}

/* ---- the family ------------------------------------------------------------ */

static void *do_malloc(struct call c, size_t n)
{
	struct shim_teach st;
	void *p;

	shim_init();
	if (shim_use_libc) {
		int held = shim_order_lock();
		p = __libc_malloc(n);
		uint64_t seq = shim_reserve(shim_libc_slots(&c, p, 0));
		shim_order_unlock(held);
		shim_report_libc(&c, p, seq, NULL, 0);
		return p;
	}
	shim_teach_start(&st, &c);
	p = teach_malloc(n, &st.ti);
	shim_report_teach(&st, p);
	return p;
}

/* memalign-like calls; align already checked.  `size` is what to allocate. */
static void *do_memalign(struct call c, size_t align, size_t size, int valloc_kind)
{
	struct shim_teach st;
	void *p;

	shim_init();
	if (shim_use_libc) {
		int held = shim_order_lock();
		p = valloc_kind == RING_VALLOC ? __libc_valloc(size) :
		    valloc_kind == RING_PVALLOC ? __libc_pvalloc(size) : __libc_memalign(align, size);
		uint64_t seq = shim_reserve(shim_libc_slots(&c, p, 0));
		shim_order_unlock(held);
		shim_report_libc(&c, p, seq, NULL, 0);
		return p;
	}
	shim_teach_start(&st, &c);
	p = teach_memalign(align, size, &st.ti);
	shim_report_teach(&st, p);
	return p;
}

API void *malloc(size_t n)
{
	return do_malloc(CALL(RING_MALLOC, n, 0, 0), n);
}

API void *calloc(size_t n, size_t size)
{
	struct call c = CALL(RING_CALLOC, n, size, 0);
	struct shim_teach st;
	void *p;

	shim_init();
	if (shim_use_libc) {
		int held = shim_order_lock();
		p = __libc_calloc(n, size);
		uint64_t seq = shim_reserve(shim_libc_slots(&c, p, 0));
		shim_order_unlock(held);
		shim_report_libc(&c, p, seq, NULL, 0);
		return p;
	}
	shim_teach_start(&st, &c);
	p = teach_calloc(n, size, &st.ti);
	shim_report_teach(&st, p);
	return p;
}

static void *do_realloc(struct call c, void *old, size_t n)
{
	struct shim_teach st;
	void *p;

	shim_init();
	if (shim_use_libc && !(teach_may_own(old) && teach_owns(old))) {
		unsigned char buf[RING_CONTENT_MAX];
		unsigned nb = 0;
		/* --bytes: the block as it is before the call, kept if the call
		 * frees or moves it (glibc would abort on a bad pointer anyway) */
		if (shim_keep_bytes && old)
			nb = libc_keep(buf, old);
		int held = shim_order_lock();
		p = __libc_realloc(old, n);
		if (p == old || (!p && n))
			nb = 0; /* resized in place, or failed: the block is still there */
		uint64_t seq = shim_reserve(shim_libc_slots(&c, p, nb));
		shim_order_unlock(held);
		shim_report_libc(&c, p, seq, buf, nb);
		return p;
	}
	shim_teach_start(&st, &c);
	if (old && n == 0) { /* glibc: frees the block and returns NULL */
		teach_free(old, &st.ti);
		p = NULL;
	} else {
		p = teach_realloc(old, n, &st.ti);
	}
	shim_report_teach(&st, p); /* one inline copy: a second one grew the frame */
	return p;
}

API void *realloc(void *old, size_t n)
{
	return do_realloc(CALL(RING_REALLOC, old, n, 0), old, n);
}

API void *reallocarray(void *old, size_t n, size_t size)
{
	struct call c = CALL(RING_REALLOCARRAY, old, n, size);
	size_t total;

	if (__builtin_mul_overflow(n, size, &total)) {
		shim_init();
		errno = ENOMEM;
		if (shim_use_libc) {
			int held = shim_order_lock();
			uint64_t seq = shim_reserve(shim_libc_slots(&c, NULL, 0));
			shim_order_unlock(held);
			shim_report_libc(&c, NULL, seq, NULL, 0);
		} else {
			/* numbered under the allocator's lock like every teach
			 * record (the packed records' previous brk follows it) */
			struct shim_teach st = { .c = &c }; /* ti cleared: no facts */
			teach_number_refused(&st.ti);
			errno = ENOMEM; /* the lock may have slept in a futex call */
			shim_report_teach(&st, NULL);
		}
		return NULL;
	}
	return do_realloc(c, old, total);
}

API void free(void *p)
{
	struct call c = CALL(RING_FREE, p, 0, 0);
	struct shim_teach st;

	shim_init();
	/* A block made by teach before the shim could read MEMLENS_ALLOC goes
	 * back to teach. */
	if (shim_use_libc && !(teach_may_own(p) && teach_owns(p))) {
		unsigned char buf[RING_CONTENT_MAX];
		unsigned nb = 0;
		if (shim_keep_bytes && p) /* p is live, or glibc aborts below */
			nb = libc_keep(buf, p);
		int held = shim_order_lock();
		uint64_t seq = shim_reserve(1u + (nb != 0)); /* before the real free: see the order lock */
		__libc_free(p);
		shim_order_unlock(held);
		shim_report_libc(&c, NULL, seq, buf, nb);
		return;
	}
	shim_teach_start(&st, &c);
	teach_free(p, &st.ti);
	shim_report_teach(&st, NULL);
}

API int posix_memalign(void **out, size_t align, size_t size)
{
	struct call c = CALL(RING_POSIX_MEMALIGN, align, size, 0);
	int e = errno;
	void *p;

	if (!pow2(align) || align % sizeof(void *))
		return EINVAL;
	p = do_memalign(c, align, size, 0);
	if (!p) {
		int r = errno;
		errno = e;
		return r ? r : ENOMEM;
	}
	*out = p;
	errno = e;
	return 0;
}

/* glibc 2.36 rounds an alignment that is not a power of two up to one
 * (memalign and aligned_alloc alike); 0 when there is none. */
static size_t round_align(size_t align)
{
	size_t a = 16;

	while (a < align && a)
		a <<= 1;
	if (!a)
		errno = EINVAL;
	return a;
}

API void *aligned_alloc(size_t align, size_t size)
{
	struct call c = CALL(RING_ALIGNED_ALLOC, align, size, 0);
	size_t a = round_align(align);

	return a ? do_memalign(c, a, size, 0) : NULL;
}

API void *memalign(size_t align, size_t size)
{
	struct call c = CALL(RING_MEMALIGN, align, size, 0);
	size_t a = round_align(align);

	return a ? do_memalign(c, a, size, 0) : NULL;
}

API void *valloc(size_t size)
{
	return do_memalign(CALL(RING_VALLOC, size, 0, 0), (size_t)sysconf(_SC_PAGESIZE), size, RING_VALLOC);
}

API void *pvalloc(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), r;

	if (__builtin_add_overflow(size, page - 1, &r)) {
		errno = ENOMEM;
		return NULL;
	}
	r &= ~(page - 1);
	return do_memalign(CALL(RING_PVALLOC, size, 0, 0), page, r ? r : page, RING_PVALLOC);
}

API size_t malloc_usable_size(void *p)
{
	shim_init();
	if (shim_use_libc && !(teach_may_own(p) && teach_owns(p)))
		return p ? libc_usable(p) : 0;
	return teach_usable_size(p);
}

/* Maps the ring as soon as the program starts, even if it never allocates. */
__attribute__((constructor)) static void shim_ctor(void)
{
	shim_init();
}
