/* run_live: the screen's side of a live run: the program's stdio on a pty
 * of ours, the worker thread started and stopped, each event the worker
 * copied applied to the screen's model (run_worker.c is the other side). */
#include "cli/run_live_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

/* Screen side: applies the worker's answer to the screen's model. */
static int take_res(struct run_live *r, struct result *res, struct model *m, struct err *e)
{
	struct model_event ev = res->ev;
	int rc;

	if (res->rc < 0) {
		*e = res->e;
		return -1;
	}
	if (res->rc == 0) {
		r->ended = true;
		return 0;
	}
	r->last_tid = ev.tid > 0 ? ev.tid : 0;
	ev.site = res->has_site ? model_site_intern(m, &res->site.s) : 0;
	if (ev.type == MEV_REGIONS)
		ev.aux = model_regions_add(m, res->regs, res->nregs);
	free(res->regs);
	res->regs = NULL;
	rc = model_apply(m, &ev, e);
	if (ev.type == MEV_EXIT)
		r->ended = true;
	return rc < 0 ? -1 : 1;
}

static int take(struct run_live *r, struct model *m, struct err *e)
{
	return take_res(r, &r->res, m, e);
}

/* Applies up to `max` queued results, oldest first, ending the batch after
 * a signal or the exit when `stop_at_end`.  Called and returns with qlock
 * held; on -1 (an error applying) the lock is released.  `*got` counts
 * what was applied. */
static int drain_queue(struct run_live *r, struct model *m, bool stop_at_end, int max, int *got,
		       struct err *e)
{
	struct result res;

	while (r->qcount && *got < max) {
		res = r->q[r->qhead];
		r->qhead = (r->qhead + 1) % QMAX;
		r->qcount--;
		pthread_cond_signal(&r->qroom);
		pthread_mutex_unlock(&r->qlock);
		res.rc = 1;
		if (take_res(r, &res, m, e) < 0)
			return -1;
		(*got)++;
		pthread_mutex_lock(&r->qlock);
		if (stop_at_end && (res.ev.type == MEV_SIGNAL || res.ev.type == MEV_EXIT))
			break;
	}
	return 0;
}

/* Screen side in run mode: the queued events, as many a call as the
 * screen's batch (one per step once a continue was stopped), ending a
 * batch after a signal so the screen can stop there. */
static int run_next(struct run_live *r, struct model *m, struct err *e)
{
	int got = 0;
	char c;

	while (read(r->done[0], &c, 1) == 1)
		; /* wake-ups only */
	pthread_mutex_lock(&r->qlock);
	if (drain_queue(r, m, true, r->src && r->src->batch > 1 ? (int)r->src->batch : 1, &got, e) < 0)
		return -1;
	if (got) {
		pthread_mutex_unlock(&r->qlock);
		return 1;
	}
	if (r->run_done) {
		pthread_mutex_unlock(&r->qlock);
		if (r->run_rc < 0) {
			*e = r->run_err;
			return -1;
		}
		r->ended = true;
		return 0;
	}
	pthread_mutex_unlock(&r->qlock);
	return 2;
}

/* Screen side during an f: applies what the worker queued; ends when
 * the worker says trace_finish returned and the queue is empty. */
static int finish_next(struct run_live *r, struct model *m, struct err *e)
{
	int got = 0;
	bool done;
	char c;

	while (read(r->done[0], &c, 1) == 1)
		; /* wake-ups only */
	pthread_mutex_lock(&r->qlock);
	done = r->finish_done; /* read first: every event is queued by then */
	if (drain_queue(r, m, false, 4096, &got, e) < 0)
		return -1;
	if (done && r->qcount == 0) {
		r->finishing = false;
		r->finish_done = false;
		pthread_mutex_unlock(&r->qlock);
		/* a refused f (not in the program's own code, no debug info) is
		 * a note for the status line, not an error of the run */
		if (r->finish_rc < 0)
			snprintf(r->finish_msg, sizeof(r->finish_msg), "%.159s", r->finish_err.msg);
		if (r->finish_rc == 0)
			r->ended = true;
		return r->finish_rc == 0 && !got ? 0 : 1;
	}
	pthread_mutex_unlock(&r->qlock);
	return got ? 1 : 2;
}

static int live_next(void *ctx, struct model *m, struct err *e)
{
	struct run_live *r = ctx;
	char c;

	if (r->finishing)
		return finish_next(r, m, e);

	if (r->run_mode && !r->pending)
		return r->ended ? 0 : run_next(r, m, e);

	if (r->ended && !r->pending)
		return 0;
	if (!r->pending) {
		if (write(r->cmd[1], "s", 1) != 1)
			return err_errno(e, ERR_INTERNAL, errno, "tracer thread");
		r->pending = true;
	}
	while (r->swallow > 0 && read(r->done[0], &c, 1) == 1)
		r->swallow--;
	if (r->swallow > 0 || read(r->done[0], &c, 1) != 1)
		return 2;
	r->pending = false;
	return take(r, m, e);
}

/* Screen side: 'c' lets the program run on at full speed (run mode);
 * only when no step is in progress. */
static void live_run(void *ctx)
{
	struct run_live *r = ctx;

	if (r->ended || r->pending || r->run_mode || r->finishing)
		return;
	r->run_mode = true;
	if (write(r->cmd[1], "C", 1) != 1)
		r->run_mode = false;
}

/* Screen side: f runs to the return of the current function (only
 * when no step is in progress). */
static int live_finish(void *ctx, char *msg, size_t len)
{
	struct run_live *r = ctx;

	if (r->ended || r->pending || r->run_mode || r->finishing) {
		snprintf(msg, len, "the program is not stopped at an event");
		return -1;
	}
	r->finishing = true;
	r->finish_done = false;
	r->finish_msg[0] = '\0';
	if (write(r->cmd[1], "f", 1) != 1) {
		r->finishing = false;
		snprintf(msg, len, "the tracer thread is gone");
		return -1;
	}
	return 0;
}

static bool live_finishing(void *ctx, char *msg, size_t len)
{
	struct run_live *r = ctx;

	if (!r->finishing && r->finish_msg[0]) {
		snprintf(msg, len, "%s", r->finish_msg);
		r->finish_msg[0] = '\0';
	}
	return r->finishing;
}

/* Screen side: the stepping granularity, set on the idle worker (the
 * answer within 2 s, as for frames). */
static int live_set_gran(void *ctx, int g, char *msg, size_t len)
{
	struct run_live *r = ctx;
	struct pollfd p = { .fd = r->done[0], .events = POLLIN };
	char c = (char)('0' + g);

	if (g < 0 || g > 2 || r->ended || r->pending || r->run_mode || r->finishing || r->swallow) {
		snprintf(msg, len, "the program is not stopped at an event");
		return -1;
	}
	if (write(r->cmd[1], &c, 1) != 1) {
		snprintf(msg, len, "the tracer thread is gone");
		return -1;
	}
	if (poll(&p, 1, 2000) != 1 || read(r->done[0], &c, 1) != 1) {
		r->swallow++;
		snprintf(msg, len, "the tracer did not answer");
		return -1;
	}
	if (r->gran_msg[0])
		snprintf(msg, len, "%s", r->gran_msg);
	return r->gran_rc;
}

/* Blocked in read(0, ...): /proc/PID/syscall starts with "0 0x0 ". */
static bool live_waits_input(void *ctx)
{
	struct run_live *r = ctx;
	char path[64], buf[64] = "";
	FILE *f;

	if (r->ended || r->pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)r->pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strncmp(buf, "0 0x0 ", 6) == 0;
}

/* process_vm_readv is no ptrace request: any thread of the tracer may read. */
static long live_read_mem(void *ctx, uint64_t addr, void *buf, size_t n)
{
	struct run_live *r = ctx;
	struct iovec local = { buf, n }, remote = { (void *)(uintptr_t)addr, n };

	if (r->ended || r->pid <= 0)
		return -1;
	return (long)process_vm_readv(r->pid, &local, 1, &remote, 1, 0);
}

/* Screen side: asks the idle worker to unwind (once per event), waits up
 * to 2 s for it; a step in progress means no frames for now. */
static int live_frames(void *ctx, struct ui_frame *f, int max, size_t event)
{
	struct run_live *r = ctx;
	struct pollfd p = { .fd = -1, .events = POLLIN };
	char c;

	if (r->ended || r->pending || r->frames_broken || r->swallow || r->run_mode || r->finishing)
		return 0;
	if (r->frames_at != event + 1) {
		r->nframes = 0;
		if (write(r->cmd[1], "F", 1) != 1)
			return 0;
		p.fd = r->done[0];
		if (poll(&p, 1, 2000) != 1 || read(r->done[0], &c, 1) != 1) {
			r->swallow++;
			r->frames_broken = true; /* unwinding hangs here: stop asking */
			return 0;
		}
		r->frames_at = event + 1;
	}
	if (max > r->nframes)
		max = r->nframes;
	memcpy(f, r->frames, (size_t)max * sizeof(*f));
	return max;
}

static void live_kill(void *ctx)
{
	struct run_live *r = ctx;

	if (r->pid > 0 && !r->ended)
		kill(r->pid, SIGKILL);
}

static int open_pty(int *master, int *slave, struct err *e)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	char *name;

	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0 || grantpt(*master) != 0 || unlockpt(*master) != 0 ||
	    !(name = ptsname(*master)))
		return err_errno(e, ERR_INTERNAL, errno, "pty");
	*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0)
		return err_errno(e, ERR_INTERNAL, errno, "%s", name);
	ioctl(*slave, TIOCSWINSZ, &ws);
	fcntl(*master, F_SETFL, fcntl(*master, F_GETFL) | O_NONBLOCK);
	return 0;
}

struct run_live *run_live_start(const struct trace_opts *o, struct model *m,
				struct ui_source *src, struct err *e)
{
	struct model_opts mo = { .keep_history = false, .teach = o->alloc == TRACE_ALLOC_TEACH };
	struct run_live *r = calloc(1, sizeof(*r));
	int slave = -1, saved[3] = { -1, -1, -1 };
	sigset_t all, old;
	char c;

	if (!r) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	r->o = *o;
	r->o.step = true;
	r->o.on_event = run_on_event;
	r->o.ctx = r;
	pthread_mutex_init(&r->qlock, NULL);
	pthread_cond_init(&r->qroom, NULL);
	r->q = calloc(QMAX, sizeof(*r->q));
	r->cmd[0] = r->cmd[1] = r->done[0] = r->done[1] = r->master = -1;
	r->status = -1;
	r->shadow = model_new(&mo);
	if (!r->shadow || !r->q || pipe2(r->cmd, O_CLOEXEC) != 0 || pipe2(r->done, O_CLOEXEC) != 0) {
		err_errno(e, ERR_INTERNAL, errno, "starting the tracer thread");
		goto fail;
	}
	fcntl(r->done[0], F_SETFL, O_NONBLOCK);
	if (open_pty(&r->master, &slave, e) < 0)
		goto fail;
	/* The program inherits fds 0-2 when the tracer forks it: make them the
	 * pty's slave for that moment only. */
	fflush(NULL);
	for (int i = 0; i < 3; i++)
		saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 10);
	for (int i = 0; i < 3; i++)
		dup2(slave, i);
	/* the worker takes no signals: the screen's thread handles them */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r->th_started = pthread_create(&r->th, NULL, run_worker, r) == 0;
	/* SIGCHLD is the tracer's (run mode waits for it): only the worker,
	 * which unblocks it, takes it */
	sigdelset(&old, SIGCHLD);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	sigemptyset(&all);
	sigaddset(&all, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (r->th_started) {
		fcntl(r->done[0], F_SETFL, 0);
		while (read(r->done[0], &c, 1) < 0 && errno == EINTR)
			;
		fcntl(r->done[0], F_SETFL, O_NONBLOCK);
	}
	for (int i = 0; i < 3; i++) {
		if (saved[i] >= 0) {
			dup2(saved[i], i);
			close(saved[i]);
		}
	}
	close(slave);
	slave = -1;
	if (!r->th_started) {
		err_set(e, ERR_INTERNAL, "cannot start the tracer thread");
		goto fail;
	}
	if (r->res.rc < 0) {
		*e = r->res.e;
		goto fail;
	}
	if (r->res.rc == 1 && take(r, m, e) < 0)
		goto fail;
	memset(src, 0, sizeof(*src));
	src->ctx = r;
	src->live = true;
	src->next = live_next;
	src->poll_fd = r->done[0];
	src->out_fd = r->master;
	src->waits_input = live_waits_input;
	src->read_mem = live_read_mem;
	src->frames = live_frames;
	src->run = live_run;
	src->set_gran = live_set_gran;
	src->finish = live_finish;
	src->finishing = live_finishing;
	src->kill = live_kill;
	r->src = src;
	return r;
fail:
	if (slave >= 0)
		close(slave);
	run_live_free(r);
	return NULL;
}

pid_t run_live_pid(const struct run_live *r)
{
	return r->pid;
}

int run_live_status(const struct run_live *r)
{
	return r->ended ? r->status : -1;
}

void run_live_free(struct run_live *r)
{
	if (!r)
		return;
	if (r->th_started) {
		pthread_mutex_lock(&r->qlock);
		r->quitting = true;
		pthread_cond_broadcast(&r->qroom);
		pthread_mutex_unlock(&r->qlock);
		live_kill(r);
		if (write(r->cmd[1], "q", 1) < 0) {
			/* the worker reads EOF once cmd[1] closes below */
		}
		close(r->cmd[1]);
		r->cmd[1] = -1;
		pthread_join(r->th, NULL);
	}
	free(r->res.regs);
	for (size_t i = 0; r->q && i < r->qcount; i++)
		free(r->q[(r->qhead + i) % QMAX].regs);
	free(r->q);
	pthread_mutex_destroy(&r->qlock);
	pthread_cond_destroy(&r->qroom);
	for (int i = 0; i < 2; i++) {
		if (r->cmd[i] >= 0)
			close(r->cmd[i]);
		if (r->done[i] >= 0)
			close(r->done[i]);
	}
	if (r->master >= 0)
		close(r->master);
	model_free(r->shadow);
	free(r);
}
