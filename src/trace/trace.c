/* trace: the trace's life (trace_start, trace_free), the event queue
 * between the stop handlers and the model, the thread table, notes, the
 * interruption flag, and the getters callers use. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf/elfmap.h"
#include "trace/trace_int.h"

void trace_note(struct trace *t, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (t->nnotes >= sizeof(t->notes) / sizeof(t->notes[0]))
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s)
		t->notes[t->nnotes++] = s;
}

const char *const *trace_notes(const struct trace *t, size_t *n)
{
	*n = t->nnotes;
	return (const char *const *)t->notes;
}

/* Queues a copy of ev (and its block contents), growing the queue. */
static __attribute__((noinline)) int trace_queue(struct trace *t, const struct model_event *ev,
						  struct err *e)
{
	size_t at;

	if (t->qlen == t->qcap) {
		size_t nc = t->qcap ? t->qcap * 2 : 1024;
		struct model_event *nq = malloc(nc * sizeof(*nq));
		struct trace_qbytes *nb = t->o.bytes ? malloc(nc * sizeof(*nb)) : NULL;
		if (!nq || (t->o.bytes && !nb)) {
			free(nq);
			return err_errno(e, ERR_INTERNAL, ENOMEM, "event queue");
		}
		for (size_t i = 0; i < t->qlen; i++) {
			nq[i] = t->q[(t->qhead + i) % (t->qcap ? t->qcap : 1)];
			if (nb)
				nb[i] = t->qb[(t->qhead + i) % (t->qcap ? t->qcap : 1)];
		}
		free(t->q);
		free(t->qb);
		t->q = nq;
		t->qb = nb;
		t->qhead = 0;
		t->qcap = nc;
	}
	at = (t->qhead + t->qlen) % t->qcap;
	t->q[at] = *ev;
	if (t->qb) {
		t->qb[at].n = (uint8_t)t->pend_nbytes;
		if (t->pend_nbytes)
			memcpy(t->qb[at].b, t->pend_bytes, t->pend_nbytes);
	}
	t->qlen++;
	return 0;
}

/* Queues an event; the loops apply queued events to the model in order.
 * The block contents of a ring record (t->pend_bytes, set by records.c for
 * the one event it emits) travel with it.  In run mode (`direct`, nothing
 * queued) the event goes straight into the model: the path of nearly
 * every event, kept apart from the queue's so it needs no stack frame. */
int trace_emit(struct trace *t, const struct model_event *ev, struct err *e)
{
	if (!t->direct || t->qlen)
		return trace_queue(t, ev, e);
	if (model_apply(t->m, ev, e) != 0)
		return -1;
	if (t->o.on_event) {
		t->ev_bytes = t->pend_bytes;
		t->ev_nbytes = t->pend_nbytes;
		t->o.on_event(t->o.ctx, t->m, ev);
		t->ev_nbytes = 0;
	}
	return 0;
}

size_t trace_event_bytes(const struct trace *t, const unsigned char **bytes)
{
	*bytes = t->ev_nbytes ? t->ev_bytes : NULL;
	return t->ev_nbytes;
}

struct trace_thread *trace_thread_get(struct trace *t, pid_t tid, bool add)
{
	for (size_t i = 0; i < t->nthr; i++)
		if (t->thr[i].tid == tid)
			return &t->thr[i];
	if (!add)
		return NULL;
	if (t->nthr == t->capthr) {
		size_t nc = t->capthr ? t->capthr * 2 : 16;
		struct trace_thread *n = realloc(t->thr, nc * sizeof(*n));
		if (!n)
			return NULL;
		t->thr = n;
		t->capthr = nc;
	}
	memset(&t->thr[t->nthr], 0, sizeof(t->thr[0]));
	t->thr[t->nthr].tid = tid;
	return &t->thr[t->nthr++];
}

void trace_thread_del(struct trace *t, pid_t tid)
{
	for (size_t i = 0; i < t->nthr; i++)
		if (t->thr[i].tid == tid) {
			t->thr[i] = t->thr[--t->nthr];
			return;
		}
}

/* ---- interruption ---------------------------------------------------- */

static volatile sig_atomic_t g_sig;

static void on_signal(int sig)
{
	g_sig = sig;
}

void trace_install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: waitpid returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int trace_interrupted(void)
{
	return g_sig;
}

struct trace *trace_start(const struct trace_opts *o, struct model *m, struct err *e)
{
	struct trace *t = calloc(1, sizeof(*t));
	char shim[PATH_MAX] = "";
	size_t argc = 0;

	if (!t) {
		err_errno(e, ERR_INTERNAL, ENOMEM, "trace");
		return NULL;
	}
	t->o = *o;
	t->m = m;
	t->memfd = -1;
	t->tracer_cpu = -1;
	while (o->argv[argc])
		argc++;
	t->argv = calloc(argc + 1, sizeof(char *));
	if (!t->argv)
		goto nomem;
	for (size_t i = 0; i < argc; i++)
		if (!(t->argv[i] = strdup(o->argv[i])))
			goto nomem;
	if (argc == 0 || trace_find_program(o->argv[0], t->path, sizeof(t->path)) != 0) {
		err_set(e, ERR_INPUT, "%s: no such program", argc ? o->argv[0] : "(none)");
		goto fail;
	}
	{
		/* A directory or a FIFO would only fail later, inside exec, with
		 * a less helpful word ("Permission denied"). */
		struct stat st;
		if (stat(t->path, &st) == 0 && S_ISDIR(st.st_mode)) {
			err_set(e, ERR_INPUT, "%s: is a directory, not a program", o->argv[0]);
			goto fail;
		}
		if (stat(t->path, &st) == 0 && !S_ISREG(st.st_mode)) {
			err_set(e, ERR_INPUT, "%s: not a regular file", o->argv[0]);
			goto fail;
		}
		if (access(t->path, X_OK) != 0) {
			err_set(e, ERR_INPUT, "%s: not executable (chmod +x?)", o->argv[0]);
			goto fail;
		}
	}
	trace_plan(t);
	if (t->shim_wanted) {
		if (o->shim)
			snprintf(shim, sizeof(shim), "%s", o->shim);
		else if (trace_find_shim(shim, sizeof(shim)) != 0) {
			err_set(e, ERR_INTERNAL, "cannot find libmemlens-shim.so beside memlens "
				"or in %s; set MEMLENS_SHIM to its path", MEMLENS_LIBDIR);
			goto fail;
		}
		if (!(t->shim = strdup(shim)))
			goto nomem;
		t->ring = ring_create(0, e);
		if (!t->ring)
			goto fail;
		ring_set_step(t->ring, o->step);
		ring_set_bytes(t->ring, o->bytes);
	}
	if (trace_start_child(t, shim, e) != 0)
		goto fail;
	if (t->ring)
		ring_close_fd(t->ring); /* the child has its copy */
	if (trace_handle_exec(t, t->pid, e) != 0)
		goto fail;
	t->thr[0].held = true; /* stopped at exec until the first run or step */
	return t;
nomem:
	err_errno(e, ERR_INTERNAL, ENOMEM, "trace");
fail:
	trace_free(t);
	return NULL;
}

void trace_set_step(struct trace *t, bool on)
{
	t->o.step = on;
	if (t->ring)
		ring_set_step(t->ring, on);
}

bool trace_ended(const struct trace *t)
{
	return t->ended;
}

bool trace_shim_loaded(const struct trace *t)
{
	return t->shim_wanted;
}

int trace_regs(struct trace *t, pid_t tid, struct user_regs_struct *regs)
{
	struct trace_thread *th = trace_thread_get(t, tid ? tid : t->pid, false);

	if (!th || !th->held)
		return -1; /* only a thread we hold stopped has registers to read */
	return ptrace(PTRACE_GETREGS, th->tid, 0, regs) == 0 ? 0 : -1;
}

int trace_exit_status(const struct trace *t)
{
	return t->status;
}

pid_t trace_pid(const struct trace *t)
{
	return t->pid;
}

const struct elfmap *trace_elf(const struct trace *t)
{
	return t->elf;
}

void trace_free(struct trace *t)
{
	if (!t)
		return;
	if (t->pid > 0 && !t->ended)
		trace_kill_and_reap(t->pid);
	if (t->memfd >= 0)
		close(t->memfd);
	if (t->pinned) /* give the caller its CPUs back */
		sched_setaffinity(0, sizeof(t->affinity), &t->affinity);
	trace_stepbp_free(t);
	trace_dbg_close(t);
	trace_libs_reset(t);
	ring_free(t->ring);
	free(t->shim);
	elfmap_close(t->elf);
	for (size_t i = 0; t->argv && t->argv[i]; i++)
		free(t->argv[i]);
	free(t->argv);
	for (size_t i = 0; i < t->nnotes; i++)
		free(t->notes[i]);
	free(t->thr);
	free(t->bp);
	free(t->q);
	free(t->qb);
	free(t->regs);
	free(t->big);
	free(t->site_key);
	free(t->site_val);
	trace_contents_free(t);
	free(t);
}
