/* ring: creating, checking and draining the memfd event ring (tracer side).
 * The producer side lives in ring_format.h (shared with the shim). */
#include "ring/ring.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct ring {
	struct ring_header *h;
	size_t len;
	int fd;
	uint64_t events; /* events handed out: the next one's number */
	uint64_t woke_at; /* the tail when producers were last woken */
	/* The brk of the last RING_F_TEACH record read (0 before the
	 * first): a packed record's brk (ring_format.h). */
	uint64_t teach_brk;
	/* ring_drain_view's packed record, as it would have come unpacked:
	 * its primary with args[2] = 0 and its rebuilt aux slot. */
	struct ring_primary view_ev;
	struct ring_aux view_aux;
};

static size_t round_pow2(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static struct ring *ring_map(int fd, size_t len, struct err *e)
{
	struct ring *r = calloc(1, sizeof(*r));
	void *m;

	if (!r) {
		err_errno(e, ERR_INTERNAL, ENOMEM, "event ring");
		return NULL;
	}
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (m == MAP_FAILED) {
		err_errno(e, ERR_INTERNAL, errno, "event ring: mmap of %zu bytes", len);
		free(r);
		return NULL;
	}
	r->h = m;
	r->len = len;
	r->fd = fd;
	return r;
}

struct ring *ring_create(size_t capacity, struct err *e)
{
	struct ring *r;
	size_t len;
	int fd;

	capacity = round_pow2(capacity ? capacity : RING_DEFAULT_CAPACITY);
	if (capacity < RING_RECORD_SLOTS_MAX + 1) /* room for the largest event */
		capacity = round_pow2(RING_RECORD_SLOTS_MAX + 1);
	if (capacity > (1u << 24)) {
		err_set(e, ERR_INPUT, "event ring: %zu slots is out of range", capacity);
		return NULL;
	}
	len = RING_BYTES(capacity);
	fd = memfd_create("memlens-ring", 0); /* no MFD_CLOEXEC: the target inherits it */
	if (fd < 0) {
		err_errno(e, ERR_INTERNAL, errno, "event ring: memfd_create");
		return NULL;
	}
	if (ftruncate(fd, (off_t)len) != 0) {
		err_errno(e, ERR_INTERNAL, errno, "event ring: ftruncate to %zu bytes", len);
		close(fd);
		return NULL;
	}
	r = ring_map(fd, len, e);
	if (!r) {
		close(fd);
		return NULL;
	}
	r->h->magic = RING_MAGIC;
	r->h->version = RING_VERSION;
	r->h->record_size = RING_SLOT_SIZE;
	r->h->capacity = capacity;
	r->h->pid = 0;
	return r;
}

int ring_attach_check(const void *map, size_t len, struct err *e)
{
	const struct ring_header *h = map;

	if (len < RING_HEADER_SIZE)
		return err_set(e, ERR_INPUT, "event ring: %zu bytes is too small for its header", len);
	if (h->magic != RING_MAGIC)
		return err_set(e, ERR_INPUT,
			       "event ring: bad magic 0x%016llx (expected 0x%016llx): not a memlens ring",
			       (unsigned long long)h->magic, (unsigned long long)RING_MAGIC);
	if (h->version != RING_VERSION)
		return err_set(e, ERR_INPUT,
			       "event ring: version %u, this memlens reads version %u (shim and memlens do not match)",
			       h->version, RING_VERSION);
	if (h->record_size != RING_SLOT_SIZE)
		return err_set(e, ERR_INPUT, "event ring: slots of %u bytes, expected %u",
			       h->record_size, RING_SLOT_SIZE);
	if (h->capacity < RING_RECORD_SLOTS_MAX + 1 || (h->capacity & (h->capacity - 1)) ||
	    h->capacity > (len - RING_HEADER_SIZE) / RING_SLOT_SIZE)
		return err_set(e, ERR_INPUT, "event ring: capacity %llu does not fit %zu bytes",
			       (unsigned long long)h->capacity, len);
	return 0;
}

struct ring *ring_open_fd(int fd, struct err *e)
{
	struct ring *r;
	off_t size = lseek(fd, 0, SEEK_END);
	int nfd;

	if (size < (off_t)RING_HEADER_SIZE) {
		err_set(e, ERR_INPUT, "event ring: fd %d is not a ring (%lld bytes)", fd, (long long)size);
		return NULL;
	}
	nfd = dup(fd);
	if (nfd < 0) {
		err_errno(e, ERR_INTERNAL, errno, "event ring: dup of fd %d", fd);
		return NULL;
	}
	r = ring_map(nfd, (size_t)size, e);
	if (!r) {
		close(nfd);
		return NULL;
	}
	if (ring_attach_check(r->h, r->len, e) != 0) {
		munmap(r->h, r->len);
		close(nfd);
		free(r);
		return NULL;
	}
	return r;
}

int ring_fd(const struct ring *r)
{
	return r->fd;
}

char *ring_env(const struct ring *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s=%d", RING_ENV_FD, r->fd);
	return buf;
}

void ring_close_fd(struct ring *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

void ring_set_pid(struct ring *r, pid_t pid)
{
	r->h->pid = (int32_t)pid;
	atomic_thread_fence(memory_order_seq_cst);
}

void ring_set_step(struct ring *r, bool on)
{
	if (on)
		atomic_fetch_or(&r->h->mode, RING_MODE_STEP);
	else
		atomic_fetch_and(&r->h->mode, ~(uint32_t)RING_MODE_STEP);
}

void ring_set_bytes(struct ring *r, bool on)
{
	if (on)
		atomic_fetch_or(&r->h->mode, RING_MODE_BYTES);
	else
		atomic_fetch_and(&r->h->mode, ~(uint32_t)RING_MODE_BYTES);
}

void ring_set_unpacked(struct ring *r, bool on)
{
	if (on)
		atomic_fetch_or(&r->h->mode, RING_MODE_UNPACKED);
	else
		atomic_fetch_and(&r->h->mode, ~(uint32_t)RING_MODE_UNPACKED);
}

uint64_t ring_trap_addr(const struct ring *r)
{
	return atomic_load(&r->h->trap_addr);
}

bool ring_attached(const struct ring *r, unsigned *alloc)
{
	bool a = atomic_load(&r->h->attached) != 0;

	if (alloc)
		*alloc = a ? r->h->alloc : 0;
	return a;
}

uint64_t ring_pending(const struct ring *r)
{
	return atomic_load(&r->h->head) - atomic_load(&r->h->tail);
}

uint64_t ring_next_seq(const struct ring *r)
{
	return r->events;
}

/* Reassembles the event whose primary slot is at `t` into *rec (a packed
 * one rebuilt, and the previous teach brk moved on); returns its slot
 * count, or 0 when a part is not published yet. */
static unsigned take(struct ring *r, uint64_t t, struct ring_record *rec)
{
	struct ring_header *h = r->h;
	const union ring_slot *s = ring_slot_at(h, t);
	const struct ring_primary *p = &s->ev;
	unsigned n;

	if (!ring_slot_ready(s, t))
		return 0;
	n = ring_primary_slots(p);
	rec->kind = p->kind;
	rec->flags = p->flags & (uint16_t)~(RING_F_AUX | RING_F_PACKED);
	rec->tid = p->tid;
	rec->args[0] = p->args[0];
	rec->args[1] = p->args[1];
	rec->args[2] = p->args[2];
	rec->result = p->result;
	rec->caller = p->caller;
	rec->sp = p->sp;
	rec->nbytes = p->nbytes > RING_CONTENT_MAX ? RING_CONTENT_MAX : p->nbytes;
	uint64_t pos = t + 1;
	if (p->flags & RING_F_AUX) {
		const union ring_slot *a = ring_slot_at(h, pos);
		if (!ring_slot_ready(a, pos))
			return 0;
		rec->block = a->aux.block;
		rec->block_size = a->aux.block_size;
		rec->brk = a->aux.brk;
		rec->old_block = a->aux.old_block;
		rec->error = a->aux.error;
		rec->err_no = a->aux.err_no;
		pos++;
	} else if (p->flags & RING_F_PACKED) {
		struct ring_aux a;
		ring_unpack(p, r->teach_brk, &a);
		rec->args[2] = 0;
		rec->block = a.block;
		rec->block_size = a.block_size;
		rec->brk = a.brk;
		rec->old_block = a.old_block;
		rec->error = 0;
		rec->err_no = 0;
	} else {
		rec->block = rec->block_size = rec->brk = rec->old_block = 0;
		rec->error = 0;
		rec->err_no = 0;
	}
	if (rec->nbytes) {
		const union ring_slot *c = ring_slot_at(h, pos);
		if (!ring_slot_ready(c, pos))
			return 0;
		memcpy(rec->bytes, c->content.bytes, rec->nbytes);
	}
	if (rec->flags & RING_F_TEACH)
		r->teach_brk = rec->brk;
	return n;
}

/* Releases the slots before `t` to the producers, waking those that sleep
 * for room (writers_wait: the store and the load are both sequentially
 * consistent, against the producer's store of the flag and load of the
 * tail).  Within a drain (`final` false) only once a quarter of the ring
 * is free again: a wake-up per 64-slot batch cost the tracer, the
 * bottleneck whenever producers wait, 5% of a teach-mode --json run in
 * futex calls; the end of each drain always wakes them. */
static void publish_tail(struct ring *r, uint64_t t, bool final)
{
	struct ring_header *h = r->h;

	atomic_store(&h->tail, t);
	if ((final || t - r->woke_at >= h->capacity / 4) && atomic_load(&h->writers_wait)) {
		atomic_store_explicit(&h->writers_wait, 0, memory_order_relaxed);
		syscall(SYS_futex, &h->writers_wait, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
		r->woke_at = t;
	}
}

size_t ring_drain(struct ring *r, size_t max, ring_cb cb, void *arg)
{
	struct ring_header *h = r->h;
	uint64_t t = atomic_load_explicit(&h->tail, memory_order_relaxed);
	uint64_t published = t;
	size_t n = 0;
	struct ring_record rec; /* bytes[] is copied only when nbytes says so */

	while (!max || n < max) {
		unsigned k = take(r, t, &rec);
		int stop;

		if (!k)
			break;
		rec.seq = r->events++;
		t += k;
		n++;
		/* Release, in batches: the producers of the next lap may write
		 * these slots once they see the new tail. */
		if (t - published >= 64) {
			publish_tail(r, t, false);
			published = t;
		}
		stop = cb(&rec, arg);
		if (stop)
			break;
	}
	publish_tail(r, t, true);
	return n;
}

size_t ring_drain_view(struct ring *r, size_t max, ring_view_cb cb, void *arg)
{
	struct ring_header *h = r->h;
	uint64_t t = atomic_load_explicit(&h->tail, memory_order_relaxed);
	uint64_t published = t;
	size_t n = 0;

	while (!max || n < max) {
		const union ring_slot *s = ring_slot_at(h, t);
		struct ring_view v;
		unsigned k;
		uint64_t pos = t + 1;

		if (!ring_slot_ready(s, t))
			break;
		k = ring_primary_slots(&s->ev);
		v.ev = &s->ev;
		v.aux = NULL;
		v.bytes = NULL;
		if (s->ev.flags & RING_F_AUX) {
			const union ring_slot *a = ring_slot_at(h, pos);
			if (!ring_slot_ready(a, pos))
				break;
			v.aux = &a->aux;
			pos++;
		}
		if (s->ev.nbytes) {
			const union ring_slot *c = ring_slot_at(h, pos);
			if (!ring_slot_ready(c, pos) || s->ev.nbytes > RING_CONTENT_MAX)
				break;
			v.bytes = c->content.bytes;
		}
		if (s->ev.flags & RING_F_PACKED) {
			/* shown as it would have come unpacked: a copy of the
			 * primary with args[2] = 0 and the rebuilt aux */
			r->view_ev = s->ev;
			r->view_ev.flags = (uint16_t)((s->ev.flags & ~RING_F_PACKED) | RING_F_AUX);
			r->view_ev.args[2] = 0;
			ring_unpack(&s->ev, r->teach_brk, &r->view_aux);
			v.ev = &r->view_ev;
			v.aux = &r->view_aux;
		}
		if (s->ev.flags & RING_F_TEACH)
			r->teach_brk = v.aux ? v.aux->brk : 0;
		/* Release the slots before this event, in batches; its own
		 * stay reserved while cb reads them in place. */
		if (t - published >= 64) {
			publish_tail(r, t, false);
			published = t;
		}
		v.seq = r->events++;
		t += k;
		n++;
		if (cb(&v, arg))
			break;
	}
	publish_tail(r, t, true);
	return n;
}

void ring_wait(struct ring *r, long ns)
{
	struct ring_header *h = r->h;
	uint64_t t = atomic_load_explicit(&h->tail, memory_order_relaxed);
	struct timespec ts = { ns / 1000000000L, ns % 1000000000L };

	atomic_store(&h->reader_sleeps, 1);
	/* a record published before the flag was seen would not wake us */
	if (!ring_slot_ready(ring_slot_at(h, t), t))
		syscall(SYS_futex, &h->reader_sleeps, FUTEX_WAIT, 1, &ts, NULL, 0);
	atomic_store_explicit(&h->reader_sleeps, 0, memory_order_relaxed);
}

struct read_ctx {
	struct ring_record *buf;
	size_t n;
};

static int read_one(const struct ring_record *rec, void *arg)
{
	struct read_ctx *c = arg;

	c->buf[c->n++] = *rec;
	return 0;
}

size_t ring_read(struct ring *r, struct ring_record *buf, size_t max)
{
	struct read_ctx c = { buf, 0 };

	if (!max)
		return 0;
	return ring_drain(r, max, read_one, &c);
}

void ring_free(struct ring *r)
{
	if (!r)
		return;
	atomic_fetch_or(&r->h->mode, RING_MODE_OFF);
	munmap(r->h, r->len);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}
