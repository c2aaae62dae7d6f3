/* run_live: the tracer on a worker thread, its events copied into the
 * screen's model, the program's stdio on a pty of ours. */
#include "cli/run_live.h"

#include <poll.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include "dbg/dbg.h"

struct site_copy {
	struct model_site s;
	char func[128], file[256], object[128];
};

/* One answer of the worker: what trace_step said, with copies of what
 * the event refers to in the worker's model. */
struct result {
	int rc;                    /* 1 event, 0 ended, -1 failed */
	struct err e;
	struct model_event ev;
	bool has_site;
	struct site_copy site;
	struct model_region *regs; /* MEV_REGIONS: the snapshot (malloc'd) */
	size_t nregs;
};

#define LIVE_FRAMES 64
#define QMAX 4096                  /* events run mode may run ahead */

struct run_live {
	struct trace_opts o;
	struct model *shadow;      /* the worker's model: no history */
	struct trace *t;
	pthread_t th;
	bool th_started;
	int cmd[2], done[2];       /* screen -> worker, worker -> screen */
	int master;
	pid_t pid;
	bool pending, ended;
	int status;
	struct result res;
	/* the stack at the newest event, unwound on the worker on request */
	struct ui_frame frames[LIVE_FRAMES];
	int nframes;
	size_t frames_at;          /* 1 + event index they belong to, 0 none */
	pid_t last_tid;
	int swallow;               /* late answers to drop (a timed-out request) */
	bool frames_broken;
	/* run mode (continue): the tracer drains the ring (trace_run) and its
	 * on_event callback queues copies; the screen takes one per next() */
	bool run_mode;             /* set by the screen before 'C' is sent */
	pthread_mutex_t qlock;
	pthread_cond_t qroom;
	struct result *q;          /* QMAX entries, a ring */
	size_t qhead, qcount;
	bool run_done, quitting;
	int run_rc;
	struct err run_err;
};

static void copy_str(char *dst, size_t n, const char *src, const char **out)
{
	if (!src) {
		*out = NULL;
		return;
	}
	snprintf(dst, n, "%s", src);
	*out = dst;
}

/* Worker side: copies an event and what it refers to out of the shadow. */
static void capture_into(struct run_live *r, struct result *res, const struct model_event *ev)
{
	const struct model_site *s = ev->site ? model_site(r->shadow, ev->site) : NULL;

	res->ev = *ev;
	res->has_site = s != NULL;
	if (s) {
		res->site.s = *s;
		copy_str(res->site.func, sizeof(res->site.func), s->func, &res->site.s.func);
		copy_str(res->site.file, sizeof(res->site.file), s->file, &res->site.s.file);
		copy_str(res->site.object, sizeof(res->site.object), s->object, &res->site.s.object);
	}
	res->regs = NULL;
	res->nregs = 0;
	if (ev->type == MEV_REGIONS) {
		size_t n;
		const struct model_region *regs = model_regions(r->shadow, &n);
		res->regs = n ? malloc(n * sizeof(*regs)) : NULL;
		if (res->regs) {
			memcpy(res->regs, regs, n * sizeof(*regs));
			res->nregs = n;
		}
	}
}

static void capture(struct run_live *r, const struct model_event *ev)
{
	capture_into(r, &r->res, ev);
}

static void notify(struct run_live *r)
{
	while (write(r->done[1], "d", 1) < 0 && errno == EINTR)
		;
}

/* Worker side, inside trace_run: queues a copy of each event; waits
 * while the queue is full (the program waits with it: nothing is lost). */
static void on_event(void *ctx, struct model *m, const struct model_event *ev)
{
	struct run_live *r = ctx;
	bool wake;

	(void)m;
	if (!r->run_mode)
		return;
	pthread_mutex_lock(&r->qlock);
	while (r->qcount == QMAX && !r->quitting)
		pthread_cond_wait(&r->qroom, &r->qlock);
	if (r->quitting) {
		pthread_mutex_unlock(&r->qlock);
		return;
	}
	capture_into(r, &r->q[(r->qhead + r->qcount) % QMAX], ev);
	wake = r->qcount++ == 0;
	pthread_mutex_unlock(&r->qlock);
	if (wake)
		notify(r);
}

/* Worker side: runs the program to its end in run mode. */
static void run_to_end(struct run_live *r)
{
	struct err e = { 0 };
	int rc;

	trace_set_step(r->t, false);
	rc = trace_run(r->t, &e);
	pthread_mutex_lock(&r->qlock);
	r->run_rc = rc;
	r->run_err = e;
	r->status = trace_exit_status(r->t);
	r->run_done = true;
	pthread_mutex_unlock(&r->qlock);
	notify(r);
}

/* Worker side: the stack of the stopped thread, from the debug-info
 * module, copied into r->frames (innermost first). */
static void unwind(struct run_live *r)
{
	struct user_regs_struct regs;
	struct dbg_stack st = { 0 };
	struct err e = { 0 };
	struct dbg *h = trace_dbg(r->t);

	r->nframes = 0;
	if (!h || trace_regs(r->t, r->last_tid, &regs) != 0 ||
	    dbg_stack(h, r->last_tid, &regs, DBG_LOCALS, LIVE_FRAMES, &st, &e) != 0)
		return;
	for (size_t i = 0; i < st.n && r->nframes < LIVE_FRAMES; i++) {
		const struct dbg_frame *f = &st.frames[i];
		struct ui_frame *u;
		size_t used = 0;
		/* memlens's own allocator is not the program's stack */
		if (f->object && strstr(f->object, "memlens-shim"))
			continue;
		u = &r->frames[r->nframes++];
		u->pc = f->pc;
		u->cfa = f->cfa;
		u->size = f->size;
		snprintf(u->func, sizeof(u->func), "%s", f->func ? f->func : "??");
		u->detail[0] = '\0';
		for (size_t k = 0; k < f->nlocals && used + 8 < sizeof(u->detail); k++) {
			const struct dbg_local *l = &f->locals[k];
			int w = snprintf(u->detail + used, sizeof(u->detail) - used, "%s%s=%s",
					 used ? " " : "", l->name ? l->name : "?",
					 l->available ? l->value : "?");
			if (w < 0)
				break;
			used += (size_t)w;
		}
		if (used >= sizeof(u->detail))
			u->detail[sizeof(u->detail) - 1] = '\0';
	}
	dbg_stack_free(&st);
}

static void *worker(void *arg)
{
	struct run_live *r = arg;
	size_t n;
	char c;

	r->t = trace_start(&r->o, r->shadow, &r->res.e);
	if (!r->t) {
		r->res.rc = -1;
		notify(r);
		return NULL;
	}
	r->pid = trace_pid(r->t);
	n = model_event_count(r->shadow);
	r->res.rc = n ? 1 : 0;
	if (n)
		capture(r, model_event(r->shadow, n - 1));
	notify(r);
	for (;;) {
		struct model_event ev;
		ssize_t k = read(r->cmd[0], &c, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || c == 'q')
			break;
		if (c == 'F') {
			unwind(r);
			notify(r);
			continue;
		}
		if (c == 'C') {
			run_to_end(r);
			continue;
		}
		memset(&r->res.e, 0, sizeof(r->res.e));
		r->res.rc = trace_step(r->t, &ev, &r->res.e);
		if (r->res.rc == 1)
			capture(r, &ev);
		else if (r->res.rc == 0)
			r->status = trace_exit_status(r->t);
		notify(r);
	}
	/* Quitting: kill the program and let the tracer see it through its
	 * exit (a SIGKILLed tracee still stops at PTRACE_EVENT_EXIT and must be
	 * continued), so trace_free finds it ended and never waits on a stop. */
	if (!trace_ended(r->t)) {
		struct model_event ev;
		struct err ee = { 0 };
		kill(r->pid, SIGKILL);
		for (int i = 0; i < 100000 && trace_step(r->t, &ev, &ee) == 1; i++)
			;
	}
	trace_free(r->t);
	r->t = NULL;
	return NULL;
}

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

/* Screen side in run mode: the queued events, up to 4096 a call, ending
 * a batch after a signal so the screen can stop there. */
static int run_next(struct run_live *r, struct model *m, struct err *e)
{
	struct result res;
	int got = 0;
	char c;

	while (read(r->done[0], &c, 1) == 1)
		; /* wake-ups only */
	pthread_mutex_lock(&r->qlock);
	while (r->qcount && got < 4096) {
		res = r->q[r->qhead];
		r->qhead = (r->qhead + 1) % QMAX;
		r->qcount--;
		pthread_cond_signal(&r->qroom);
		pthread_mutex_unlock(&r->qlock);
		res.rc = 1;
		if (take_res(r, &res, m, e) < 0)
			return -1;
		got++;
		pthread_mutex_lock(&r->qlock);
		if (res.ev.type == MEV_SIGNAL || res.ev.type == MEV_EXIT)
			break;
	}
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

static int live_next(void *ctx, struct model *m, struct err *e)
{
	struct run_live *r = ctx;
	char c;

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

	if (r->ended || r->pending || r->run_mode)
		return;
	r->run_mode = true;
	if (write(r->cmd[1], "C", 1) != 1)
		r->run_mode = false;
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

	if (r->ended || r->pending || r->frames_broken || r->swallow || r->run_mode)
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
	r->o.on_event = on_event;
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
	r->th_started = pthread_create(&r->th, NULL, worker, r) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
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
	src->kill = live_kill;
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
