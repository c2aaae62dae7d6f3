/* shim_ring: the ring writer inside libmemlens-shim.so: finding and
 * mapping the tracer's ring (only in the traced process), the early buffer,
 * the order lock of libc mode, writing records in place, fork handlers and
 * the trap site that step mode stops at.  Links only libc; no dlsym. */
#include <cpuid.h>
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
#include <sys/single_threaded.h>
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

_Atomic int shim_state;
struct ring_header *_Atomic shim_ring;
int shim_use_libc;
static atomic_int early_lock;
static struct ring_record early[EARLY_MAX];
static unsigned nearly;
int shim_keep_bytes;

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

/* The order lock's slow half (shim_order_lock in shim_int.h). */
int shim_order_lock_slow(void)
{
	if (fork_holder || atomic_load_explicit(&shim_state, memory_order_relaxed) == ST_SILENT)
		return 0;
	spin_lock(&order_word);
	return 1;
}
void shim_order_unlock_slow(void)
{
	spin_unlock(&order_word);
}

/* The brk of the last teach record reserved in the ring: the previous
 * teach brk of ring_format.h's packed records.  Read and written only by
 * teach_hook, under the allocator's lock, which orders the reservations.
 * 0 when the last reservation found no ring, so the first record after
 * the early buffer's flush (which bypasses the hook) is never packed;
 * libc-mode records carry no RING_F_TEACH and do not count. */
static uint64_t last_brk;
/* 0 when the tracer asked for unpacked records (RING_MODE_UNPACKED). */
static int shim_pack;

/* teach mode's order hook: a record is packed into its primary slot when
 * ring_pack allows (err_no must be 0: a call that returned NULL, but
 * free, is taken to have one), and marked so with RING_F_PACKED in
 * ti->flags; else it carries an aux slot.  A free or a moving realloc has
 * a content slot too when bytes were kept.  ti is the first member of the
 * shim's struct shim_teach (teach_set_order_hook). */
static uint64_t teach_hook(struct teach_info *ti, const void *result, int error_record)
{
	const struct call *c = ((const struct shim_teach *)ti)->c;
	uint64_t seq, a2, res = (uint64_t)(uintptr_t)result;
	int packed = shim_pack && !error_record && !ti->error &&
		     ring_pack(c->kind, c->a0, c->a2, res, ti->block, ti->block_size,
			       ti->old_block, ti->brk, last_brk, 0,
			       res || c->kind == RING_FREE ? 0 : 1, &a2);

	seq = shim_reserve(packed ? 1u + (ti->nkept != 0) : 2u + (!error_record && ti->nkept));
	last_brk = seq == SHIM_NO_SEQ ? 0 : ti->brk;
	if (packed && seq != SHIM_NO_SEQ)
		ti->flags |= RING_F_PACKED;
	return seq;
}

__thread uint64_t shim_seen_tail __attribute__((tls_model("initial-exec")));
__thread int32_t shim_tid __attribute__((tls_model("initial-exec")));
int shim_prfchw;

/* Wakes a reader sleeping on the ring (a system call, so only when the
 * ring is full or every RING_WAKE_EVERY records). */
static void wake_reader(struct ring_header *r)
{
	if (atomic_load_explicit(&r->reader_sleeps, memory_order_relaxed)) {
		int e = errno; /* the program's errno survives our system calls */
		atomic_store_explicit(&r->reader_sleeps, 0, memory_order_relaxed);
		syscall(SYS_futex, &r->reader_sleeps, FUTEX_WAKE, 1, NULL, NULL, 0);
		errno = e;
	}
}

void shim_wake_reader(struct ring_header *r)
{
	wake_reader(r);
}

/* Waits until slots seq .. seq + n - 1 are free.  The tail only grows, so
 * the last one this thread saw is a safe answer while seq is within a lap.
 * A short spin, then short sleeps; no sched_yield: on a loaded machine each
 * yield hands a whole time slice to some busy process, and a full ring then
 * moved 40 times slower (a wakeup from a sleep is scheduled at once). */
static void wait_room(struct ring_header *r, uint64_t seq, unsigned n)
{
	if (seq + n - shim_seen_tail <= r->capacity)
		return;
	int e = errno;
	for (unsigned i = 0;; i++) {
		wake_reader(r);
		shim_seen_tail = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (seq + n - shim_seen_tail <= r->capacity)
			break;
		if (atomic_load_explicit(&r->mode, memory_order_relaxed) & RING_MODE_OFF)
			break;
		if (i < 128) {
			__builtin_ia32_pause();
			continue;
		}
		/* then sleep until the reader frees slots (see writers_wait);
		 * the timeout only guards against a reader of another build */
		atomic_store(&r->writers_wait, 1);
		shim_seen_tail = atomic_load(&r->tail);
		if (seq + n - shim_seen_tail <= r->capacity)
			break;
		syscall(SYS_futex, &r->writers_wait, FUTEX_WAIT, 1,
			&(struct timespec){ 0, 2000000 }, NULL, 0);
	}
	errno = e;
}

/* The ring to write the n slots from `seq` into, after waiting for room;
 * NULL when there is none (no ring yet: SHIM_NO_SEQ; the reader is gone). */
static struct ring_header *room(uint64_t seq, unsigned n)
{
	struct ring_header *r;

	if (seq == SHIM_NO_SEQ)
		return NULL;
	r = atomic_load_explicit(&shim_ring, memory_order_acquire);
	if (!r || (atomic_load_explicit(&r->mode, memory_order_relaxed) & RING_MODE_OFF))
		return NULL;
	wait_room(r, seq, n);
	if (atomic_load_explicit(&r->mode, memory_order_relaxed) & RING_MODE_OFF)
		return NULL;
	return r;
}

/* Keeps a record made before the ring was mapped, for shim_init's flush. */
static void keep_early(const struct ring_record *rec)
{
	spin_lock(&early_lock);
	if (!atomic_load(&shim_ring) && nearly < EARLY_MAX) {
		early[nearly] = *rec;
		early[nearly++].flags |= RING_F_EARLY;
	}
	spin_unlock(&early_lock);
}

/* After publishing the n slots from seq: wake the reader when they cross
 * a multiple of RING_WAKE_EVERY, trap if the tracer asked for step mode. */
static void published(struct ring_header *r, uint64_t seq, unsigned n)
{
	if (((seq + n) & (RING_WAKE_EVERY - 1)) < n)
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
	atomic_store(&shim_state, ST_SILENT);
	atomic_store(&shim_ring, NULL);
	shim_keep_bytes = 0;
	teach_set_keep(0);
	shim_tid = 0;
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
		 h->record_size == RING_SLOT_SIZE && h->capacity > RING_RECORD_SLOTS_MAX &&
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
void shim_init_slow(void)
{
	struct ring_header *h;
	int expect = ST_NONE;

	if (!environ)
		return; /* too early to read the environment: try again later */
	if (!atomic_compare_exchange_strong(&shim_state, &expect, ST_INIT))
		return;
	unsigned ax, bx, cx, dx;
	shim_prfchw = __get_cpuid(0x80000001u, &ax, &bx, &cx, &dx) && (cx & (1u << 8));
	const char *a = getenv(RING_ENV_ALLOC);
	shim_use_libc = a && strcmp(a, "libc") == 0;
	teach_set_order_hook(teach_hook);
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	h = attach();
	if (!h) {
		atomic_store(&shim_state, ST_SILENT);
		return;
	}
	h->alloc = (uint32_t)shim_use_libc;
	/* set before the program started, never changed: read once */
	shim_keep_bytes = (atomic_load(&h->mode) & RING_MODE_BYTES) != 0;
	shim_pack = !(atomic_load(&h->mode) & RING_MODE_UNPACKED);
	teach_set_keep(shim_keep_bytes);
	atomic_store(&h->trap_addr, (uint64_t)(uintptr_t)memlens_shim_trap);
	spin_lock(&early_lock);
	for (unsigned i = 0; i < nearly; i++) {
		unsigned n = ring_record_slots(&early[i]);
		uint64_t seq = ring_produce_reserve(h, n);
		wait_room(h, seq, n);
		ring_produce_commit(h, seq, &early[i]);
	}
	nearly = 0;
	atomic_store(&shim_ring, h);
	spin_unlock(&early_lock);
	atomic_store(&h->attached, 1);
	atomic_store(&shim_state, ST_ACTIVE);
}

/* ---- writing records ------------------------------------------------------ */

static int32_t tid_of_caller(void)
{
	if (!shim_tid)
		shim_tid = (int32_t)syscall(SYS_gettid);
	return shim_tid;
}

/* The parts of a record beyond the call (struct ring_aux's fields). */
struct aux {
	uint64_t block, block_size, brk, old_block;
	uint32_t error;
	int32_t err_no;
};

/* Writes one record: its primary slot, an aux slot when `x` is not NULL
 * and a content slot when nb > 0, in place in the n slots reserved at
 * `seq` (n = 1 + !!x + !!nb: what the caller reserved), or into the early
 * buffer before the ring is mapped.  A packed record (`packed_a2` not
 * NULL: what teach_hook decided, with the facts in x all the same) has no
 * aux slot and *packed_a2 for args[2].  Extension slots first, the
 * primary last, so a ready primary means a whole record. */
static void put(uint64_t seq, const struct call *c, uint16_t kind, uint16_t flags,
		uint64_t result, const struct aux *x, const unsigned char *bytes, unsigned nb,
		const uint64_t *packed_a2)
{
	unsigned n = 1u + (x != NULL && !packed_a2) + (nb != 0);
	struct ring_header *r = room(seq, n);

	if (!r) {
		if (seq != SHIM_NO_SEQ || atomic_load(&shim_state) == ST_SILENT)
			return;
		struct ring_record rec = {
			.kind = kind, .flags = flags, .tid = tid_of_caller(),
			.args = { c->a0, c->a1, c->a2 }, .result = result,
			.caller = c->caller, .sp = c->sp, .nbytes = nb,
		};
		if (x) {
			rec.block = x->block;
			rec.block_size = x->block_size;
			rec.brk = x->brk;
			rec.old_block = x->old_block;
			rec.error = x->error;
			rec.err_no = x->err_no;
		}
		if (nb)
			memcpy(rec.bytes, bytes, nb);
		keep_early(&rec);
		return;
	}
	union ring_slot *s = ring_slot_at(r, seq);
	uint64_t pos = seq + 1, a2 = c->a2;
	if (packed_a2) {
		a2 = *packed_a2;
		flags |= RING_F_PACKED;
	} else if (x) {
		union ring_slot *a = ring_slot_at(r, pos);
		a->aux.block = x->block;
		a->aux.block_size = x->block_size;
		a->aux.brk = x->brk;
		a->aux.old_block = x->old_block;
		a->aux.error = x->error;
		a->aux.err_no = x->err_no;
		ring_slot_publish(a, pos++);
		flags |= RING_F_AUX;
	}
	if (nb) {
		union ring_slot *b = ring_slot_at(r, pos);
		memcpy(b->content.bytes, bytes, nb);
		ring_slot_publish(b, pos);
	}
	shim_fill_primary(&s->ev, c, kind, nb, flags, tid_of_caller(), a2, result);
	ring_slot_publish(s, seq);
	/* a coming record's slot: its line was last read by the tracer on
	 * the other CPU; asking for it now, for writing, hides that transfer */
	shim_prefetch_write(ring_slot_at(r, seq + n + SHIM_PREFETCH_AHEAD));
	published(r, seq, n);
}

/* Every teach record shim_report_teach does not write inline: error
 * records, kept bytes, no room yet, step mode, a thread's first record. */
void shim_report_teach_slow(const struct shim_teach *st, void *result)
{
	const struct teach_info *ti = &st->ti;
	const struct call *c = st->c;
	int e = errno;

	if (ti->seq == SHIM_NO_SEQ && atomic_load(&shim_state) == ST_SILENT)
		return;
	if (ti->error) {
		uint64_t seq = ti->ignored ? ti->seq : ti->err_seq;
		struct aux x = { .block = ti->block, .brk = ti->brk, .error = ti->error };
		struct call ec = *c;
		ec.a0 = c->kind;
		ec.a1 = c->kind == RING_REALLOC || c->kind == RING_REALLOCARRAY ||
			c->kind == RING_FREE ? c->a0 : 0;
		ec.a2 = 0;
		put(seq, &ec, RING_ERROR, RING_F_TEACH, 0, &x, NULL, 0, NULL);
		if (ti->ignored) {
			errno = e;
			return;
		}
	}
	struct aux x = {
		.block = ti->block, .block_size = ti->block_size, .brk = ti->brk,
		.old_block = ti->old_block, .err_no = result || c->kind == RING_FREE ? 0 : e,
	};
	uint64_t a2 = ring_pack_a2(c->kind, c->a0, (uint64_t)(uintptr_t)result, ti->block,
				   ti->block_size, ti->old_block);
	put(ti->seq, c, c->kind, (uint16_t)((ti->flags & ~(uint32_t)RING_F_PACKED) | RING_F_TEACH),
	    (uint64_t)(uintptr_t)result, &x, ti->kept, ti->nkept,
	    ti->flags & RING_F_PACKED ? &a2 : NULL);
	errno = e;
}

/* errno is read only for a failed call: put() keeps it (only its slow
 * paths make system calls, and they restore it), so the common call costs
 * no __errno_location calls. */
void shim_put_libc(const struct call *c, void *result, uint64_t seq,
		   const unsigned char *bytes, unsigned nbytes)
{
	if (!result && c->kind != RING_FREE && errno) {
		struct aux x = { .err_no = errno };
		put(seq, c, c->kind, 0, 0, &x, bytes, nbytes, NULL);
	} else {
		put(seq, c, c->kind, 0, (uint64_t)(uintptr_t)result, NULL, bytes, nbytes, NULL);
	}
}

unsigned shim_copy_block(unsigned char *buf, void *p, size_t usable)
{
	unsigned n = (unsigned)(usable < RING_CONTENT_MAX ? usable : RING_CONTENT_MAX);

	memcpy(buf, p, n);
	return n;
}
