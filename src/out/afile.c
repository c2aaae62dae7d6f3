/* afile: the output file of `trace -o FILE` as a stdio stream whose bytes
 * a thread of memlens's own writes, 2 MiB per write(2), so the kernel's
 * page-cache work for a trace file of hundreds of megabytes runs beside
 * the tracer instead of inside it.  The stream is unbuffered: each fwrite
 * lands in our buffers directly (one copy), full buffers go to the thread. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "out/out.h"
#include "out/out_int.h"

#define AF_BUF (2u << 20) /* one write(2), one huge page */
#define AF_NBUF 4         /* the tracer waits when all four are queued */
#define AF_ALIGN 4096     /* O_DIRECT: buffer address and length */
#define AF_QUEUE 8192     /* lines queued for the formatter thread */

struct afile {
	int fd;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t work, room;
	char *buf[AF_NBUF];   /* in one mapping: */
	void *map;
	size_t map_len;
	size_t len[AF_NBUF];
	unsigned wr, nfull;   /* the thread writes buf[wr]; nfull queued from there */
	unsigned cur;         /* the buffer being filled (the producer's own) */
	size_t fill;          /* bytes in it */
	bool closing;
	bool thread;          /* the writer thread runs (else: write in place) */
	bool direct;          /* fd has O_DIRECT: whole aligned pages only */
	int err;              /* first write error (errno), 0 none */
	/* the formatter thread (jqueue.c), or NULL: while lines are queued,
	 * the producer's side (cur, fill, submit) is the formatter's; every
	 * other write drains the queue first */
	struct out_jq *jq;
};

/* Leaves direct I/O for the rest of the file (a tail that is not whole
 * pages, or a file system that refused). */
static void no_direct(struct afile *a)
{
	int fl = fcntl(a->fd, F_GETFL);

	if (a->direct && fl >= 0)
		fcntl(a->fd, F_SETFL, fl & ~O_DIRECT);
	a->direct = false;
}

static int write_all(struct afile *a, const char *p, size_t n)
{
	while (n) {
		ssize_t k;
		if (a->direct && (n % AF_ALIGN || (uintptr_t)p % AF_ALIGN))
			no_direct(a);
		k = write(a->fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EINVAL && a->direct) {
			no_direct(a);
			continue;
		}
		if (k <= 0)
			return k < 0 ? errno : EIO;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void *writer(void *arg)
{
	struct afile *a = arg;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		unsigned i;
		int err;
		while (!a->nfull && !a->closing)
			pthread_cond_wait(&a->work, &a->mu);
		if (!a->nfull)
			break;
		i = a->wr;
		pthread_mutex_unlock(&a->mu);
		err = a->err ? 0 : write_all(a, a->buf[i], a->len[i]);
		pthread_mutex_lock(&a->mu);
		if (err && !a->err)
			a->err = err;
		a->wr = (a->wr + 1) % AF_NBUF;
		a->nfull--;
		pthread_cond_signal(&a->room);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* Queues the buffer being filled and waits until the next one is free
 * (the queue holds buf[wr] .. buf[cur], in ring order). */
static void submit(struct afile *a)
{
	if (!a->thread) {
		int err = a->err ? 0 : write_all(a, a->buf[a->cur], a->fill);
		if (err)
			a->err = err;
		a->fill = 0;
		return;
	}
	pthread_mutex_lock(&a->mu);
	a->len[a->cur] = a->fill;
	a->nfull++;
	pthread_cond_signal(&a->work);
	while (a->nfull == AF_NBUF)
		pthread_cond_wait(&a->room, &a->mu);
	a->cur = (a->cur + 1) % AF_NBUF;
	a->fill = 0;
	pthread_mutex_unlock(&a->mu);
}

void out_afile_put(struct afile *a, const char *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		char *b = a->buf[a->cur];
		size_t k = n - done < AF_BUF - a->fill ? n - done : AF_BUF - a->fill;
		memcpy(b + a->fill, p + done, k);
		a->fill += k;
		done += k;
		if (a->fill == AF_BUF)
			submit(a);
	}
}

static ssize_t af_write(void *cookie, const char *p, size_t n)
{
	struct afile *a = cookie;

	if (a->jq)
		out_jq_drain(a->jq);
	out_afile_put(a, p, n);
	return (ssize_t)n;
}

/* The stream out_file_open made last, for out_file_put's short cut. */
static FILE *af_file;
static struct afile *af_cookie;

void out_file_put(FILE *f, const char *p, size_t n)
{
	if (f == af_file)
		af_write(af_cookie, p, n); /* unbuffered: nothing waits in stdio */
	else
		fwrite(p, 1, n, f);
}

struct out_jq *out_file_queue(FILE *f)
{
	return f == af_file ? af_cookie->jq : NULL;
}

bool out_afile_room(struct afile *a, size_t min, char **p, size_t *room)
{
	if (AF_BUF - a->fill < min)
		return false;
	*p = a->buf[a->cur] + a->fill;
	*room = AF_BUF - a->fill;
	return true;
}

bool out_file_room(FILE *f, size_t min, char **p, size_t *room)
{
	if (f != af_file)
		return false;
	if (af_cookie->jq)
		out_jq_drain(af_cookie->jq);
	return out_afile_room(af_cookie, min, p, room);
}

void out_afile_commit(struct afile *a, size_t n)
{
	a->fill += n;
	if (a->fill == AF_BUF)
		submit(a);
}

void out_file_commit(FILE *f, size_t n)
{
	if (f == af_file)
		out_afile_commit(af_cookie, n);
}

static void af_release(struct afile *a)
{
	if (a->map)
		munmap(a->map, a->map_len);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->work);
	pthread_cond_destroy(&a->room);
	free(a);
}

static int af_close(void *cookie)
{
	struct afile *a = cookie;
	int err;

	out_jq_free(a->jq); /* its lines first */
	a->jq = NULL;
	if (af_cookie == a)
		af_file = NULL, af_cookie = NULL;
	if (a->fill)
		submit(a);
	if (a->thread) {
		pthread_mutex_lock(&a->mu);
		a->closing = true;
		pthread_cond_signal(&a->work);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->th, NULL);
	}
	err = a->err;
	if (close(a->fd) != 0 && !err)
		err = errno;
	af_release(a);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* The buffers, in one mapping aligned to 2 MiB and asked to be huge
 * pages (MADV_HUGEPAGE; without them, small pages do): O_DIRECT then pins
 * one page a write, not 512, and the disk gets one segment.  Measured on
 * the development VMs: 320 MB in 2 MiB writes took 136-168 ms from huge
 * pages against 174-213 ms from small ones, with a third of the system
 * time. */
static int buffers(struct afile *a)
{
	size_t len = (size_t)AF_NBUF * AF_BUF + AF_BUF;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *b;

	if (p == MAP_FAILED)
		return -1;
	a->map = p;
	a->map_len = len;
	b = (char *)(((uintptr_t)p + AF_BUF - 1) & ~(uintptr_t)(AF_BUF - 1));
	madvise(b, (size_t)AF_NBUF * AF_BUF, MADV_HUGEPAGE);
	for (int i = 0; i < AF_NBUF; i++)
		a->buf[i] = b + (size_t)i * AF_BUF;
	return 0;
}

FILE *out_file_open(const char *path, struct err *e)
{
	return out_file_open_q(path, AF_QUEUE, e);
}

FILE *out_file_open_q(const char *path, unsigned slots, struct err *e)
{
	struct afile *a = calloc(1, sizeof(*a));
	sigset_t all, old;
	struct stat st;
	FILE *f = NULL;
	int rc, fl;

	if (!a) {
		err_errno(e, ERR_INTERNAL, ENOMEM, "%s", path);
		return NULL;
	}
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->work, NULL);
	pthread_cond_init(&a->room, NULL);
	a->fd = -1;
	if (buffers(a) != 0) {
		err_errno(e, ERR_INTERNAL, ENOMEM, "%s", path);
		goto fail;
	}
	a->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (a->fd < 0) {
		err_errno(e, ERR_INPUT, errno, "%s", path);
		goto fail;
	}
	/* direct I/O for regular files only (on a pipe O_DIRECT means
	 * packets); a file system without it refuses the flag */
	if (fstat(a->fd, &st) == 0 && S_ISREG(st.st_mode) && (fl = fcntl(a->fd, F_GETFL)) >= 0)
		a->direct = fcntl(a->fd, F_SETFL, fl | O_DIRECT) == 0;
	f = fopencookie(a, "w", (cookie_io_functions_t){ .write = af_write, .close = af_close });
	if (!f) {
		err_errno(e, ERR_INTERNAL, errno, "%s", path);
		goto fail;
	}
	setvbuf(f, NULL, _IONBF, 0);
	/* the thread takes no signal: SIGINT and SIGCHLD must reach the
	 * tracer's thread (its waitpid returns EINTR) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&a->th, NULL, writer, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	a->thread = rc == 0; /* else the same bytes, written in place */
	if (a->thread)
		pthread_setname_np(a->th, "memlens-writer");
	/* the event lines' formatter: only beside the writer thread */
	if (a->thread && slots)
		a->jq = out_jq_new(a, slots);
	af_file = f;
	af_cookie = a;
	return f;
fail:
	if (a->fd >= 0)
		close(a->fd);
	af_release(a);
	return NULL;
}
