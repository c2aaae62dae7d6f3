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
#include "dbg/dbg.h"

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
