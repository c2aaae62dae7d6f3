/* shim_ring: the ring writer inside libmemlens-shim.so: finding and
 * mapping the tracer's ring (only in the traced process), the early buffer,
 * the order lock of libc mode, writing records in place, fork handlers and
 * the trap site that step mode stops at.  Links only libc; no dlsym. */
#include <errno.h>
#include <linux/futex.h>
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
#include "shim/shim_int.h"

#define EARLY_MAX 2048

extern char **environ;

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
int shim_use_libc;
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
int shim_order_lock(void)
{
	if (fork_holder || atomic_load_explicit(&state, memory_order_relaxed) == ST_SILENT)
		return 0;
	spin_lock(&order_word);
	return 1;
}
void shim_order_unlock(int held)
{
	if (held)
		spin_unlock(&order_word);
}

uint64_t shim_reserve(void)
{
	struct ring_header *r = atomic_load_explicit(&ring, memory_order_acquire);

	if (r)
		return ring_produce_reserve(r);
	return SHIM_NO_SEQ;
}

static __thread uint64_t seen_tail __attribute__((tls_model("initial-exec")));
static __thread int32_t my_tid __attribute__((tls_model("initial-exec")));

/* Wakes a reader sleeping on the ring (a system call, so only when the
 * ring is full or every RING_WAKE_EVERY records). */
static void wake_reader(struct ring_header *r)
{
	if (atomic_load_explicit(&r->reader_sleeps, memory_order_relaxed)) {
		atomic_store_explicit(&r->reader_sleeps, 0, memory_order_relaxed);
		syscall(SYS_futex, &r->reader_sleeps, FUTEX_WAKE, 1, NULL, NULL, 0);
	}
}

/* Waits until slot `seq` is free.  The tail only grows, so the last one
 * this thread saw is a safe answer while seq is within a lap of it.
 * A short spin, then short sleeps; no sched_yield: on a loaded machine each
 * yield hands a whole time slice to some busy process, and a full ring then
 * moved 40 times slower (a wakeup from a sleep is scheduled at once). */
static void wait_room(struct ring_header *r, uint64_t seq)
{
	if (seq - seen_tail < r->capacity)
		return;
	for (unsigned i = 0;; i++) {
		wake_reader(r);
		seen_tail = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (seq - seen_tail < r->capacity)
			return;
		if (atomic_load_explicit(&r->mode, memory_order_relaxed) & RING_MODE_OFF)
			return;
		if (i < 2048)
			__builtin_ia32_pause();
		else
			nanosleep(&(struct timespec){ 0, 20000 }, NULL);
	}
}

/* Where record `seq` is to be written: in place in its ring slot (after
 * waiting for room), in `tmp` while the ring is not mapped yet (kept for
 * the flush), or nowhere (NULL) in a silent process. */
static struct ring_record *rec_begin(uint64_t seq, struct ring_record *tmp, struct ring_header **rp)
{
	struct ring_header *r;

	*rp = NULL;
	if (seq == SHIM_NO_SEQ)
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
	if (!((seq + 1) & (RING_WAKE_EVERY - 1)))
		wake_reader(r);
	if (atomic_load_explicit(&r->mode, memory_order_relaxed) & RING_MODE_STEP)
		memlens_shim_trap();
}

static void fork_prepare(void)
{
	if (shim_use_libc) {
		spin_lock(&order_word);
		fork_holder = 1;
	} else {
		teach_atfork_prepare();
	}
}
static void fork_parent(void)
{
	if (shim_use_libc) {
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
	if (shim_use_libc) {
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
void shim_init(void)
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
	shim_use_libc = a && strcmp(a, "libc") == 0;
	teach_set_order_hook(shim_reserve);
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	h = attach();
	if (!h) {
		atomic_store(&state, ST_SILENT);
		return;
	}
	h->alloc = (uint32_t)shim_use_libc;
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

void shim_report_teach(const struct call *c, void *result, const struct teach_info *ti)
{
	struct ring_record tmp, *r;
	struct ring_header *h;
	int e = errno;

	if (ti->seq == SHIM_NO_SEQ && atomic_load(&state) == ST_SILENT)
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

void shim_report_libc(const struct call *c, void *result, uint64_t seq)
{
	struct ring_record tmp, *r;
	struct ring_header *h;
	int e = errno;

	if (seq == SHIM_NO_SEQ && atomic_load(&state) == ST_SILENT)
		return;
	if ((r = rec_begin(seq, &tmp, &h))) {
		fill(r, c, result, e);
		rec_end(h, seq, r);
	}
	errno = e;
}
