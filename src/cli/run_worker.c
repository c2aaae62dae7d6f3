/* run_worker: the tracer's thread of a live run.  Every ptrace request
 * comes from here (the thread that attached); events are copied out of
 * the worker's own model for the screen's thread to apply. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/run_live_int.h"
#include "cli/uiframe.h"
#include "dbg/dbg.h"
#include "trace/trace_step.h"

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

void run_notify(struct run_live *r)
{
	while (write(r->done[1], "d", 1) < 0 && errno == EINTR)
		;
}

/* Worker side, inside trace_run: queues a copy of each event; waits
 * while the queue is full (the program waits with it: nothing is lost). */
void run_on_event(void *ctx, struct model *m, const struct model_event *ev)
{
	struct run_live *r = ctx;
	bool wake;

	(void)m;
	if (!r->run_mode && !r->finishing)
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
		run_notify(r);
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
	run_notify(r);
}

/* Worker side: the stack of the stopped thread with its locals, pointers
 * labelled against the worker's model (the same block numbers as the
 * screen's), copied into r->frames (innermost first). */
static void unwind(struct run_live *r)
{
	struct dbg_stack st = { 0 };
	struct err e = { 0 };
	struct dbg *h = trace_dbg(r->t);

	r->nframes = 0;
	if (!h || trace_frames(r->t, r->last_tid, DBG_LOCALS, LIVE_FRAMES, &st, &e) != 0)
		return;
	for (size_t i = 0; i < st.n && r->nframes < LIVE_FRAMES; i++) {
		const struct dbg_frame *f = &st.frames[i];
		struct ui_frame *u;
		const char *path;
		/* memlens's own allocator is not the program's stack */
		if (f->object && strstr(f->object, "memlens-shim"))
			continue;
		u = &r->frames[r->nframes++];
		memset(u, 0, sizeof(*u));
		u->pc = f->pc;
		u->cfa = f->cfa;
		u->size = f->size;
		u->own = f->own;
		u->line = f->line;
		snprintf(u->func, sizeof(u->func), "%s", f->func ? f->func : "??");
		snprintf(u->detail, sizeof(u->detail), "%s", f->note ? f->note : "");
		/* outer frames hold return addresses: the call is just before */
		path = f->own ? dbg_source_path(h, f->pc) : NULL;
		if (!path && f->own && f->pc)
			path = dbg_source_path(h, f->pc - 1);
		snprintf(u->path, sizeof(u->path), "%s", path ? path : f->own && f->file ? f->file : "");
		for (size_t k = 0; k < f->nlocals; k++) {
			if (u->nlocals == UI_LOCALS_MAX) {
				u->more++;
				continue;
			}
			uiframe_local_from_dbg(&u->locals[u->nlocals++], &f->locals[k]);
		}
	}
	dbg_stack_free(&st);
}

/* Worker side: f, run to the return of the current function; the events
 * on the way are queued as in run mode. */
static void finish(struct run_live *r)
{
	struct model_event ev;
	struct err e = { 0 };
	int rc = trace_finish(r->t, r->last_tid, &ev, &e);

	pthread_mutex_lock(&r->qlock);
	r->finish_rc = rc;
	r->finish_err = e;
	if (rc == 0)
		r->status = trace_exit_status(r->t);
	r->finish_done = true;
	pthread_mutex_unlock(&r->qlock);
	run_notify(r);
}

/* Worker side: s, the stepping granularity; says why when it stays. */
static void set_gran(struct run_live *r, int g)
{
	struct err e = { 0 };
	size_t nn = 0;
	const char *const *notes;

	r->gran_msg[0] = '\0';
	r->gran_rc = trace_set_gran(r->t, (enum trace_gran)g, &e);
	if (r->gran_rc < 0) {
		snprintf(r->gran_msg, sizeof(r->gran_msg), "%.159s", e.msg);
		return;
	}
	if ((int)trace_gran(r->t) != g) {
		notes = trace_notes(r->t, &nn);
		snprintf(r->gran_msg, sizeof(r->gran_msg), "%s",
			 nn ? notes[nn - 1] : "no debug info: stepping stays by allocation");
		r->gran_rc = -1;
	}
}

void *run_worker(void *arg)
{
	struct run_live *r = arg;
	size_t n;
	char c;

	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_UNBLOCK, &chld, NULL);
	r->t = trace_start(&r->o, r->shadow, &r->res.e);
	if (!r->t) {
		r->res.rc = -1;
		run_notify(r);
		return NULL;
	}
	r->pid = trace_pid(r->t);
	n = model_event_count(r->shadow);
	r->res.rc = n ? 1 : 0;
	if (n)
		capture(r, model_event(r->shadow, n - 1));
	run_notify(r);
	for (;;) {
		struct model_event ev;
		ssize_t k = read(r->cmd[0], &c, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || c == 'q')
			break;
		if (c == 'F') {
			unwind(r);
			run_notify(r);
			continue;
		}
		if (c == 'C') {
			run_to_end(r);
			continue;
		}
		if (c == 'f') {
			finish(r);
			continue;
		}
		if (c >= '0' && c <= '2') {
			set_gran(r, c - '0');
			run_notify(r);
			continue;
		}
		memset(&r->res.e, 0, sizeof(r->res.e));
		r->res.rc = trace_step(r->t, &ev, &r->res.e);
		if (r->res.rc == 1)
			capture(r, &ev);
		else if (r->res.rc == 0)
			r->status = trace_exit_status(r->t);
		run_notify(r);
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
