/* jqueue: trace -o's formatter thread.  The tracer copies what an
 * allocator-call line needs into a fixed-size single-producer
 * single-consumer queue; a thread of memlens formats the lines, in order,
 * into the stream's buffers (afile.c).  Owns the queue, the thread and the
 * site texts the queued lines point to. */
#include <errno.h>
#include <immintrin.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "out/jw.h"
#include "out/out_int.h"

/* Everything the line of one event needs: no pointer into the model,
 * whose state has moved on by the time the line is formatted. */
struct jq_slot {
	struct model_event ev;
	struct out_marks k;    /* what the line needs besides (out_marks_get) */
	const char *site;      /* the site's text (the queue's own), or NULL */
	size_t slen;
};

/* A site's JSON text, copied once: the site memo of json_write.c may
 * evict an entry while a queued line still points to it. */
struct jq_site {
	char *json;
	size_t len;
};

#define SPIN 100               /* pauses before a wait sleeps (~5 us) */
#define WAKE_MAX 2048          /* a sleeping formatter is woken per batch */
#define ROOM_CHECK 16          /* the formatter looks for a waiting tracer */
/* A drain that must wait after fewer than DRAIN_NEAR queued lines (step
 * mode: a call or line event between two allocator calls) costs a
 * wake-up for little: the next BYPASS lines go the synchronous way. */
#define DRAIN_NEAR 64
#define BYPASS 4096

struct out_jq {
	/* the tracer's (producer's) side */
	_Alignas(64) _Atomic uint64_t head;  /* lines queued so far */
	uint64_t tail_seen;                  /* a recent `tail` */
	unsigned mask, batch;
	unsigned long full_waits;
	uint64_t drained_at;                 /* head at the last waiting drain */
	unsigned near;                       /* DRAIN_NEAR, 0: never bypass */
	unsigned bypass;                     /* lines left to write in place */
	struct jq_site *site;                /* by site index */
	uint32_t nsite;
	uint64_t model;                      /* model_id the sites belong to */
	struct jq_slot *slot;
	struct afile *a;
	pthread_t th;
	/* the formatter's (consumer's) side */
	_Alignas(64) _Atomic uint64_t tail;  /* lines in the buffers so far */
	struct out_jfast *memo;
	/* futex words: 1 while that side sleeps or is about to */
	_Alignas(64) _Atomic uint32_t cons_sleep;
	_Atomic uint32_t prod_sleep;
	_Atomic uint64_t prod_want;          /* the tail the tracer waits for */
	_Atomic bool stop, hold;
	char tmp[JW_BUF];                    /* a line that does not fit in place */
};

static void futex_wait(_Atomic uint32_t *w, uint32_t v)
{
	syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *w)
{
	syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* The producer's half of the Dekker handshake: head (or hold, stop) was
 * stored before; a formatter that went to sleep before seeing it is woken. */
static void wake_consumer(struct out_jq *q)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&q->cons_sleep, memory_order_relaxed)) {
		atomic_store(&q->cons_sleep, 0);
		futex_wake(&q->cons_sleep);
	}
}

/* The consumer's: wakes the tracer once the tail it waits for is reached. */
static void wake_producer(struct out_jq *q, uint64_t tail)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&q->prod_sleep, memory_order_acquire) &&
	    tail >= atomic_load_explicit(&q->prod_want, memory_order_relaxed)) {
		atomic_store(&q->prod_sleep, 0);
		futex_wake(&q->prod_sleep);
	}
}

/* The tracer waits until `want` lines are formatted (room in a full
 * queue, or all of them): a short spin, then the futex.  A hold ends. */
static void wait_tail(struct out_jq *q, uint64_t want)
{
	atomic_store(&q->hold, false);
	wake_consumer(q);
	for (int i = 0; i < SPIN; i++) {
		if (atomic_load_explicit(&q->tail, memory_order_acquire) >= want)
			goto done;
		_mm_pause();
	}
	atomic_store(&q->prod_want, want);
	for (;;) {
		atomic_store(&q->prod_sleep, 1);
		if (atomic_load(&q->tail) >= want)
			break;
		futex_wait(&q->prod_sleep, 1);
	}
	atomic_store(&q->prod_sleep, 0);
done:
	q->tail_seen = atomic_load_explicit(&q->tail, memory_order_acquire);
}

void out_jq_drain(struct out_jq *q)
{
	uint64_t h = atomic_load_explicit(&q->head, memory_order_relaxed);

	if (q->tail_seen == h)
		return;
	q->tail_seen = atomic_load_explicit(&q->tail, memory_order_acquire);
	if (q->tail_seen == h)
		return;
	if (h - q->drained_at < q->near)
		q->bypass = BYPASS;
	q->drained_at = h;
	wait_tail(q, h);
}

static void sites_clear(struct out_jq *q)
{
	for (uint32_t i = 0; i < q->nsite; i++)
		free(q->site[i].json);
	free(q->site);
	q->site = NULL;
	q->nsite = 0;
}

/* Site `idx`'s text, copied at its first line and kept to the end. */
static const char *site_text(struct out_jq *q, const struct model *m, uint32_t idx, size_t *len)
{
	uint64_t id = model_id(m);
	const char *s;

	if (id != q->model) { /* another model: its own sites */
		if (q->site) { /* no queued line may point to the old texts */
			out_jq_drain(q);
			sites_clear(q);
		}
		q->model = id;
	}
	if (idx >= q->nsite) {
		uint32_t n = q->nsite ? q->nsite : 64;
		struct jq_site *t;
		while (n <= idx)
			n *= 2;
		if (!(t = realloc(q->site, n * sizeof(*t))))
			return NULL;
		memset(t + q->nsite, 0, (n - q->nsite) * sizeof(*t));
		q->site = t;
		q->nsite = n;
	}
	if (!q->site[idx].json) {
		if (!(s = out_site_json(m, idx, len)) || !(q->site[idx].json = malloc(*len)))
			return NULL;
		memcpy(q->site[idx].json, s, *len);
		q->site[idx].len = *len;
	}
	*len = q->site[idx].len;
	return q->site[idx].json;
}

bool out_jq_put(struct out_jq *q, const struct model *m, const struct model_event *ev)
{
	const char *site = NULL;
	size_t slen = 0;
	uint64_t h;
	struct jq_slot *s;

	if (ev->type < MEV_MALLOC || ev->type > MEV_PVALLOC)
		return false;
	if (q->bypass) {
		q->bypass--;
		return false;
	}
	if (ev->site && !(site = site_text(q, m, ev->site, &slen)))
		return false;
	if (slen > JW_BUF - OUT_JFAST_ROOM) /* the formatter's tmp holds any line */
		return false;
	h = atomic_load_explicit(&q->head, memory_order_relaxed);
	if (h - q->tail_seen > q->mask) {
		q->tail_seen = atomic_load_explicit(&q->tail, memory_order_acquire);
		if (h - q->tail_seen > q->mask) {
			/* full: wait until a quarter is free (fewer wake-ups) */
			q->full_waits++;
			wait_tail(q, h - q->mask + (q->mask >> 2));
		}
	}
	s = &q->slot[h & q->mask];
	s->ev = *ev;
	out_marks_get(m, &s->k);
	s->site = site;
	s->slen = slen;
	atomic_store_explicit(&q->head, h + 1, memory_order_release);
	if (((h + 1) & (q->batch - 1)) == 0)
		wake_consumer(q);
	return true;
}

static void format(struct out_jq *q, const struct jq_slot *s)
{
	char *p, *e;
	size_t room;
	/* in place in the stream's buffer, else through tmp */
	bool in_place = out_afile_room(q->a, OUT_JFAST_ROOM + s->slen, &p, &room);

	if (!in_place)
		p = q->tmp;
	e = out_jfast_body(q->memo, p, &s->ev, s->site, s->slen, &s->k);
	e[0] = '}';
	e[1] = '\n';
	if (in_place)
		out_afile_commit(q->a, (size_t)(e + 2 - p));
	else
		out_afile_put(q->a, q->tmp, (size_t)(e + 2 - q->tmp));
}

/* Nothing to take: spin a little, then sleep until woken. */
static void idle(struct out_jq *q, uint64_t t)
{
	for (int i = 0; i < SPIN; i++) {
		if ((atomic_load_explicit(&q->head, memory_order_acquire) != t &&
		     !atomic_load_explicit(&q->hold, memory_order_relaxed)) ||
		    atomic_load_explicit(&q->stop, memory_order_relaxed))
			return;
		_mm_pause();
	}
	atomic_store(&q->cons_sleep, 1);
	if ((atomic_load(&q->head) == t || atomic_load(&q->hold)) && !atomic_load(&q->stop))
		futex_wait(&q->cons_sleep, 1);
	atomic_store(&q->cons_sleep, 0);
}

static void *formatter(void *arg)
{
	struct out_jq *q = arg;
	uint64_t t = 0;

	for (;;) {
		/* head first: a hold stored before a line is seen with it */
		uint64_t h = atomic_load_explicit(&q->head, memory_order_acquire);
		if (h == t || atomic_load_explicit(&q->hold, memory_order_relaxed)) {
			if (h == t && atomic_load(&q->stop))
				break;
			wake_producer(q, t);
			idle(q, t);
			continue;
		}
		while (t != h) {
			format(q, &q->slot[t & q->mask]);
			atomic_store_explicit(&q->tail, ++t, memory_order_release);
			if ((t & (ROOM_CHECK - 1)) == 0)
				wake_producer(q, t);
		}
	}
	return NULL;
}

static void jq_release(struct out_jq *q)
{
	sites_clear(q);
	free(q->slot);
	free(q->memo);
	free(q);
}

struct out_jq *out_jq_new(struct afile *a, unsigned slots)
{
	struct out_jq *q;
	sigset_t all, old;
	int rc;

	if (slots < 2 || (slots & (slots - 1)))
		return NULL;
	if (posix_memalign((void **)&q, 64, sizeof(*q)) != 0)
		return NULL;
	memset(q, 0, sizeof(*q));
	q->a = a;
	q->mask = slots - 1;
	q->near = DRAIN_NEAR;
	q->batch = slots / 4 > WAKE_MAX ? WAKE_MAX : slots / 4 ? slots / 4 : 1;
	q->slot = calloc(slots, sizeof(*q->slot));
	q->memo = out_jfast_new();
	if (!q->slot || !q->memo)
		goto fail;
	for (uint16_t t = MEV_MALLOC; t <= MEV_PVALLOC; t++)
		if (!out_jfast_ready(q->memo, t))
			goto fail;
	/* no signal for this thread: SIGINT and SIGCHLD go to the tracer */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&q->th, NULL, formatter, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		goto fail;
	pthread_setname_np(q->th, "memlens-format");
	return q;
fail:
	jq_release(q);
	return NULL;
}

void out_jq_free(struct out_jq *q)
{
	if (!q)
		return;
	out_jq_drain(q);
	atomic_store(&q->stop, true);
	wake_consumer(q);
	pthread_join(q->th, NULL);
	jq_release(q);
}

void out_jq_no_bypass(struct out_jq *q)
{
	q->near = 0;
	q->bypass = 0;
}

void out_jq_hold(struct out_jq *q)
{
	atomic_store(&q->hold, true);
}

size_t out_jq_queued(const struct out_jq *q)
{
	return (size_t)(atomic_load(&q->head) - atomic_load(&q->tail));
}

unsigned long out_jq_full_waits(const struct out_jq *q)
{
	return q->full_waits;
}
