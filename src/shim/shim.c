/* shim: the malloc family of libmemlens-shim.so, preloaded into the target.
 * Each call is served by the teach allocator (teach.c) or by glibc
 * (__libc_malloc & co) and becomes one record in the tracer's ring
 * (ring_format.h).  With no ring, or in any process but the traced one, it
 * allocates correctly and stays silent.  Links only libc; no dlsym. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ring/ring_format.h"
#include "shim/teach.h"

#define API __attribute__((visibility("default")))
#define NO_SEQ UINT64_MAX
#define EARLY_MAX 2048

extern char **environ;
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void __libc_free(void *);
void *__libc_memalign(size_t, size_t);
void *__libc_valloc(size_t);
void *__libc_pvalloc(size_t);

/* The trap site: the tracer recognises a SIGTRAP at rip - 1 == this. */
void memlens_shim_trap(void);
__asm__(".text\n"
	".globl memlens_shim_trap\n"
	".hidden memlens_shim_trap\n"
	".type memlens_shim_trap, @function\n"
	"memlens_shim_trap:\n"
	".cfi_startproc\n"
	"\tint3\n"
	"\tret\n"
	".cfi_endproc\n"
	".size memlens_shim_trap, .-memlens_shim_trap\n");

enum { ST_NONE, ST_INIT, ST_ACTIVE, ST_SILENT };
static _Atomic int state;
static struct ring_header *_Atomic ring;
static int use_libc;
static atomic_int early_lock;
static struct ring_record early[EARLY_MAX];
static unsigned nearly;

/* libc mode: one lock orders each call with its sequence number, so a
 * freed address reused by another thread never shows out of order. */
static atomic_int order_word;
static __thread int fork_holder __attribute__((tls_model("initial-exec")));

static void spin_lock(atomic_int *w)
{
	for (unsigned i = 0;; i++) {
		if (!atomic_load_explicit(w, memory_order_relaxed) &&
		    !atomic_exchange_explicit(w, 1, memory_order_acquire))
			return;
		if (i > 100)
			sched_yield();
	}
}
static void spin_unlock(atomic_int *w) { atomic_store_explicit(w, 0, memory_order_release); }

/* Silent processes record nothing, so they need no order. */
static int order_lock(void)
{
	if (fork_holder || atomic_load_explicit(&state, memory_order_relaxed) == ST_SILENT)
		return 0;
	spin_lock(&order_word);
	return 1;
}
static void order_unlock(int held)
{
	if (held)
		spin_unlock(&order_word);
}

static uint64_t reserve(void)
{
	struct ring_header *r = atomic_load_explicit(&ring, memory_order_acquire);

	if (r)
		return ring_produce_reserve(r);
	return NO_SEQ;
}

static __thread uint64_t seen_tail __attribute__((tls_model("initial-exec")));
static __thread int32_t my_tid __attribute__((tls_model("initial-exec")));

/* Waits until slot `seq` is free.  The tail only grows, so the last one
 * this thread saw is a safe answer while seq is within a lap of it. */
static void wait_room(struct ring_header *r, uint64_t seq)
{
	if (seq - seen_tail < r->capacity)
		return;
	for (unsigned i = 0;; i++) {
		seen_tail = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (seq - seen_tail < r->capacity)
			return;
		if (atomic_load_explicit(&r->mode, memory_order_relaxed) & RING_MODE_OFF)
			return;
		if (i < 64)
			__builtin_ia32_pause();
		else if (i < 1000)
			sched_yield();
		else
			nanosleep(&(struct timespec){ 0, 50000 }, NULL);
	}
}

/* Where record `seq` is to be written: in place in its ring slot (after
 * waiting for room), in `tmp` while the ring is not mapped yet (kept for
 * the flush), or nowhere (NULL) in a silent process. */
static struct ring_record *rec_begin(uint64_t seq, struct ring_record *tmp, struct ring_header **rp)
{
	struct ring_header *r;

	*rp = NULL;
	if (seq == NO_SEQ)
		return atomic_load(&state) == ST_SILENT ? NULL : tmp;
	r = atomic_load_explicit(&ring, memory_order_acquire);
	if (!r || (atomic_load_explicit(&r->mode, memory_order_relaxed) & RING_MODE_OFF))
		return NULL;
	wait_room(r, seq);
	if (atomic_load_explicit(&r->mode, memory_order_relaxed) & RING_MODE_OFF)
		return NULL;
	*rp = r;
	return ring_slot_at(r, seq);
}

/* Publishes the record (or keeps an early one), then traps if the tracer
 * asked for step mode. */
static void rec_end(struct ring_header *r, uint64_t seq, struct ring_record *rec)
{
	if (!r) {
		spin_lock(&early_lock);
		if (!atomic_load(&ring) && nearly < EARLY_MAX) {
			early[nearly] = *rec;
			early[nearly++].flags |= RING_F_EARLY;
		}
		spin_unlock(&early_lock);
		return;
	}
	ring_slot_publish(rec, seq);
	if (atomic_load_explicit(&r->mode, memory_order_relaxed) & RING_MODE_STEP)
		memlens_shim_trap();
}

static void fork_prepare(void)
{
	if (use_libc) {
		spin_lock(&order_word);
		fork_holder = 1;
	} else {
		teach_atfork_prepare();
	}
}
static void fork_parent(void)
{
	if (use_libc) {
		fork_holder = 0;
		spin_unlock(&order_word);
	} else {
		teach_atfork_parent();
	}
}
static void fork_child(void)
{
	/* A child is never traced through this ring: silent from now on. */
	atomic_store(&state, ST_SILENT);
	atomic_store(&ring, NULL);
	my_tid = 0;
	if (use_libc) {
		fork_holder = 0;
		atomic_store(&order_word, 0);
	} else {
		teach_atfork_child();
	}
}

static int parse_fd(const char *s)
{
	int fd = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || fd > 100000)
			return -1;
		fd = fd * 10 + (*s - '0');
	}
	return fd;
}

/* Maps the ring named by the environment if it belongs to this process. */
static struct ring_header *attach(void)
{
	int fd = parse_fd(getenv(RING_ENV_FD));
	struct ring_header *h;
	struct stat st;
	uint64_t len;

	/* The number may name anything in a process that inherited the
	 * variable: only a file big enough is mapped (a short one would fault). */
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)RING_HEADER_SIZE)
		return NULL;
	h = mmap(NULL, RING_HEADER_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		return NULL;
	int ok = h->magic == RING_MAGIC && h->version == RING_VERSION &&
		 h->record_size == sizeof(struct ring_record) && h->capacity >= 2 &&
		 !(h->capacity & (h->capacity - 1)) && h->pid == (int32_t)syscall(SYS_getpid);
	len = RING_BYTES(h->capacity);
	munmap(h, RING_HEADER_SIZE);
	if (!ok || (uint64_t)st.st_size < len)
		return NULL;
	h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	return h == MAP_FAILED ? NULL : h;
}

/* Lazy, idempotent; safe from every entry point, even re-entered (the
 * calls made while it runs go to the early buffer). */
static void shim_init(void)
{
	struct ring_header *h;
	int expect = ST_NONE;

	if (atomic_load_explicit(&state, memory_order_acquire) != ST_NONE)
		return;
	if (!environ)
		return; /* too early to read the environment: try again later */
	if (!atomic_compare_exchange_strong(&state, &expect, ST_INIT))
		return;
	const char *a = getenv(RING_ENV_ALLOC);
	use_libc = a && strcmp(a, "libc") == 0;
	teach_set_order_hook(reserve);
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	h = attach();
	if (!h) {
		atomic_store(&state, ST_SILENT);
		return;
	}
	h->alloc = (uint32_t)use_libc;
	atomic_store(&h->trap_addr, (uint64_t)(uintptr_t)memlens_shim_trap);
	spin_lock(&early_lock);
	for (unsigned i = 0; i < nearly; i++) {
		uint64_t seq = ring_produce_reserve(h);
		wait_room(h, seq);
		ring_produce_commit(h, seq, &early[i]);
	}
	nearly = 0;
	atomic_store(&ring, h);
	spin_unlock(&early_lock);
	atomic_store(&h->attached, 1);
	atomic_store(&state, ST_ACTIVE);
}

/* ---- building records ---------------------------------------------------- */

struct call {
	uint16_t kind;
	uint64_t a0, a1, a2;
	uint64_t caller, sp;
};

#define CALL(k, x0, x1, x2) \
	((struct call){ (k), (uint64_t)(x0), (uint64_t)(x1), (uint64_t)(x2), \
			(uint64_t)(uintptr_t)__builtin_return_address(0), \
			(uint64_t)(uintptr_t)__builtin_dwarf_cfa() })

/* Fills everything but `ready` (the slot's publication word). */
static void fill(struct ring_record *r, const struct call *c, void *result, int err_no)
{
	memset(r, 0, offsetof(struct ring_record, ready));
	r->kind = c->kind;
	if (!my_tid)
		my_tid = (int32_t)syscall(SYS_gettid);
	r->tid = my_tid;
	r->args[0] = c->a0;
	r->args[1] = c->a1;
	r->args[2] = c->a2;
	r->result = (uint64_t)(uintptr_t)result;
	r->caller = c->caller;
	r->sp = c->sp;
	r->err_no = result || c->kind == RING_FREE ? 0 : err_no;
}

static void report_teach(const struct call *c, void *result, const struct teach_info *ti)
{
	struct ring_record tmp, *r;
	struct ring_header *h;
	int e = errno;

	if (ti->seq == NO_SEQ && atomic_load(&state) == ST_SILENT)
		return;
	if (ti->error) {
		uint64_t seq = ti->ignored ? ti->seq : ti->err_seq;
		if ((r = rec_begin(seq, &tmp, &h))) {
			fill(r, c, NULL, 0);
			r->kind = RING_ERROR;
			r->args[0] = c->kind;
			r->args[1] = c->kind == RING_REALLOC || c->kind == RING_REALLOCARRAY ||
				     c->kind == RING_FREE ? c->a0 : 0;
			r->args[2] = 0;
			r->error = ti->error;
			r->block = ti->block;
			r->flags = RING_F_TEACH;
			r->brk = ti->brk;
			rec_end(h, seq, r);
		}
		if (ti->ignored) {
			errno = e;
			return;
		}
	}
	if ((r = rec_begin(ti->seq, &tmp, &h))) {
		fill(r, c, result, e);
		r->flags = (uint16_t)(ti->flags | RING_F_TEACH);
		r->block = ti->block;
		r->block_size = ti->block_size;
		r->brk = ti->brk;
		r->old_block = ti->old_block;
		rec_end(h, ti->seq, r);
	}
	errno = e;
}

static void report_libc(const struct call *c, void *result, uint64_t seq)
{
	struct ring_record tmp, *r;
	struct ring_header *h;
	int e = errno;

	if (seq == NO_SEQ && atomic_load(&state) == ST_SILENT)
		return;
	if ((r = rec_begin(seq, &tmp, &h))) {
		fill(r, c, result, e);
		rec_end(h, seq, r);
	}
	errno = e;
}

static int pow2(size_t a) { return a && !(a & (a - 1)); }

/* ---- the family ------------------------------------------------------------ */

static void *do_malloc(struct call c, size_t n)
{
	struct teach_info ti;
	void *p;

	shim_init();
	if (use_libc) {
		int held = order_lock();
		p = __libc_malloc(n);
		uint64_t seq = reserve();
		order_unlock(held);
		report_libc(&c, p, seq);
		return p;
	}
	p = teach_malloc(n, &ti);
	report_teach(&c, p, &ti);
	return p;
}

/* memalign-like calls; align already checked.  `size` is what to allocate. */
static void *do_memalign(struct call c, size_t align, size_t size, int valloc_kind)
{
	struct teach_info ti;
	void *p;

	shim_init();
	if (use_libc) {
		int held = order_lock();
		p = valloc_kind == RING_VALLOC ? __libc_valloc(size) :
		    valloc_kind == RING_PVALLOC ? __libc_pvalloc(size) : __libc_memalign(align, size);
		uint64_t seq = reserve();
		order_unlock(held);
		report_libc(&c, p, seq);
		return p;
	}
	p = teach_memalign(align, size, &ti);
	report_teach(&c, p, &ti);
	return p;
}

API void *malloc(size_t n)
{
	return do_malloc(CALL(RING_MALLOC, n, 0, 0), n);
}

API void *calloc(size_t n, size_t size)
{
	struct call c = CALL(RING_CALLOC, n, size, 0);
	struct teach_info ti;
	void *p;

	shim_init();
	if (use_libc) {
		int held = order_lock();
		p = __libc_calloc(n, size);
		uint64_t seq = reserve();
		order_unlock(held);
		report_libc(&c, p, seq);
		return p;
	}
	p = teach_calloc(n, size, &ti);
	report_teach(&c, p, &ti);
	return p;
}

static void *do_realloc(struct call c, void *old, size_t n)
{
	struct teach_info ti;
	void *p;

	shim_init();
	if (use_libc && !teach_owns(old)) {
		int held = order_lock();
		p = __libc_realloc(old, n);
		uint64_t seq = reserve();
		order_unlock(held);
		report_libc(&c, p, seq);
		return p;
	}
	if (old && n == 0) { /* glibc: frees the block and returns NULL */
		teach_free(old, &ti);
		report_teach(&c, NULL, &ti);
		return NULL;
	}
	p = teach_realloc(old, n, &ti);
	report_teach(&c, p, &ti);
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
		struct teach_info ti = { .seq = 0 };
		if (use_libc) {
			int held = order_lock();
			ti.seq = reserve();
			order_unlock(held);
			report_libc(&c, NULL, ti.seq);
		} else {
			int held = order_lock();
			ti.seq = reserve();
			order_unlock(held);
			report_teach(&c, NULL, &ti);
		}
		return NULL;
	}
	return do_realloc(c, old, total);
}

API void free(void *p)
{
	struct call c = CALL(RING_FREE, p, 0, 0);
	struct teach_info ti;

	shim_init();
	/* A block made by teach before the shim could read MEMLENS_ALLOC goes
	 * back to teach. */
	if (use_libc && !teach_owns(p)) {
		int held = order_lock();
		uint64_t seq = reserve(); /* before the real free: see the order lock */
		__libc_free(p);
		order_unlock(held);
		report_libc(&c, NULL, seq);
		return;
	}
	teach_free(p, &ti);
	report_teach(&c, NULL, &ti);
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
	if (use_libc && !teach_owns(p)) {
		/* glibc's chunk size word sits just before the block; bit 1 marks
		 * an mmap'd chunk, which has no neighbour to borrow 8 bytes from. */
		size_t sz;
		if (!p)
			return 0;
		sz = ((size_t *)p)[-1];
		return (sz & ~(size_t)7) - ((sz & 2) ? 16 : 8);
	}
	return teach_usable_size(p);
}

/* Maps the ring as soon as the program starts, even if it never allocates. */
__attribute__((constructor)) static void shim_ctor(void)
{
	shim_init();
}
