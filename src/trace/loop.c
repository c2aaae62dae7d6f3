/* loop: the typed stops of a traced program and what to do at each (the
 * shim's trap, a breakpoint, exec, clone, exit, a signal), holding and
 * resuming threads, and the two drivers: run mode and step mode. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trace/trace_int.h"

#ifndef __WALL
#define __WALL 0x40000000
#endif

/* What a stop is (as strace's trace_event.h names them). */
enum stop_type {
	STOP_EXITED,      /* a thread (or the process) is gone */
	STOP_EXEC,        /* PTRACE_EVENT_EXEC */
	STOP_CLONE,       /* PTRACE_EVENT_CLONE: a new thread */
	STOP_FORK,        /* PTRACE_EVENT_FORK/VFORK (static binaries only) */
	STOP_EXIT,        /* PTRACE_EVENT_EXIT: about to exit, memory still there */
	STOP_GROUP,       /* PTRACE_EVENT_STOP: group-stop or a new thread's first stop */
	STOP_TRAP,        /* SIGTRAP: the shim's trap, a breakpoint, or the program's */
	STOP_SIGNAL,      /* any other signal on its way to the program */
};

static enum stop_type classify(int st)
{
	int ev = st >> 16;

	if (WIFEXITED(st) || WIFSIGNALED(st))
		return STOP_EXITED;
	switch (ev) {
	case PTRACE_EVENT_EXEC: return STOP_EXEC;
	case PTRACE_EVENT_CLONE: return STOP_CLONE;
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_VFORK_DONE: return STOP_FORK;
	case PTRACE_EVENT_EXIT: return STOP_EXIT;
	case PTRACE_EVENT_STOP: return STOP_GROUP;
	default: break;
	}
	return WSTOPSIG(st) == SIGTRAP ? STOP_TRAP : STOP_SIGNAL;
}

/* Applies the queued events to the model, oldest first. */
static int flush(struct trace *t, size_t max, struct model_event *last, struct err *e)
{
	size_t done = 0;

	while (t->qlen && (!max || done < max)) {
		struct model_event ev = t->q[t->qhead];
		const struct trace_qbytes *qb = t->qb ? &t->qb[t->qhead] : NULL;
		t->qhead = (t->qhead + 1) % t->qcap;
		t->qlen--;
		if (model_apply(t->m, &ev, e) != 0)
			return -1;
		if (t->o.on_event) {
			/* the slot stays put until the next trace_emit */
			t->ev_bytes = qb ? qb->b : NULL;
			t->ev_nbytes = qb ? qb->n : 0;
			t->o.on_event(t->o.ctx, t->m, &ev);
			t->ev_nbytes = 0;
		}
		if (last)
			*last = ev;
		done++;
	}
	return 0;
}

/* ---- stops ----------------------------------------------------------- */

static void hold(struct trace *t, pid_t tid, int sig)
{
	struct trace_thread *th = trace_thread_get(t, tid, true);

	if (th) {
		th->held = true;
		th->resume_sig = sig;
	} else {
		ptrace(PTRACE_CONT, tid, 0, sig);
	}
}

static void resume_held(struct trace *t)
{
	for (size_t i = 0; i < t->nthr; i++)
		if (t->thr[i].held) {
			t->thr[i].held = false;
			ptrace(PTRACE_CONT, t->thr[i].tid, 0, t->thr[i].resume_sig);
		}
}

static int on_signal(struct trace *t, pid_t tid, int sig, struct err *e)
{
	struct model_event ev = { 0 };
	struct user_regs_struct regs;
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (ptrace(PTRACE_GETSIGINFO, tid, 0, &si) != 0)
		si.si_code = 0;
	trace_drain(t);
	ev.type = MEV_SIGNAL;
	ev.tid = tid;
	ev.seq = t->ring ? ring_next_seq(t->ring) : t->static_seq;
	ev.error = (uint32_t)sig;
	ev.code = si.si_code;
	if (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL) {
		ev.aux = (uint64_t)(uintptr_t)si.si_addr;
		/* a crash: take the regions as they are now */
		if (trace_regions_read(t, e) != 0)
			return -1;
	}
	if (ptrace(PTRACE_GETREGS, tid, 0, &regs) == 0) {
		ev.sp = regs.rsp;
		ev.stack_depth = trace_stack_depth(t, tid, regs.rsp);
		if (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL)
			trace_crash_note(t, tid, &regs, &ev);
	}
	if (trace_emit(t, &ev, e) != 0)
		return -1;
	hold(t, tid, sig);
	return 0;
}

static int on_trap(struct trace *t, pid_t tid, struct err *e)
{
	struct user_regs_struct regs;
	siginfo_t si;
	int r;

	if (t->ring && t->o.step && !t->entry_pending) {
		/* fast path: a record of this thread just arrived, so this is the
		 * shim's trap after it (no registers to read) */
		struct trace_thread *th;
		trace_drain(t);
		th = trace_thread_get(t, tid, false);
		if (th && th->untrapped) {
			th->untrapped--;
			hold(t, tid, 0);
			return 0;
		}
	}
	if (t->stp && ptrace(PTRACE_GETREGS, tid, 0, &regs) == 0 && regs.rip > 1 &&
	    (r = trace_stepbp_fast(t, tid, &regs, e)) != 0)
		return r < 0 ? -1 : 0; /* a --step breakpoint (stepbp.c) */
	memset(&si, 0, sizeof(si));
	if (ptrace(PTRACE_GETSIGINFO, tid, 0, &si) == 0 && si.si_code == SI_KERNEL &&
	    ptrace(PTRACE_GETREGS, tid, 0, &regs) == 0) {
		if (t->ring && regs.rip - 1 == ring_trap_addr(t->ring) && regs.rip > 1) {
			struct trace_thread *th;
			trace_drain(t); /* the shim's trap: the event is in the ring */
			th = trace_thread_get(t, tid, false);
			if (th && th->untrapped)
				th->untrapped--;
			hold(t, tid, 0);
			return 0;
		}
		r = trace_bp_hit(t, tid, e);
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	/* the program's own SIGTRAP (int3, raise, kill): it gets it unchanged */
	return on_signal(t, tid, SIGTRAP, e);
}

/* Whether thread `tid`, at its exit stop, is the program's last: every
 * other thread we know is past its own exit stop (a thread we never saw
 * cannot hold the end back). */
static bool last_thread_exits(const struct trace *t, pid_t tid)
{
	for (size_t i = 0; i < t->nthr; i++)
		if (t->thr[i].tid != tid && !t->thr[i].exiting)
			return false;
	return true;
}

/* Handles one wait status of thread `tid`.  The thread ends up running,
 * gone, or held (resumed by resume_held). */
static int handle(struct trace *t, pid_t tid, int st, struct err *e)
{
	struct trace_thread *th = trace_thread_get(t, tid, false);
	unsigned long msg = 0;

	switch (classify(st)) {
	case STOP_EXITED:
		if (tid == t->pid)
			return trace_at_end(t, st, e);
		trace_thread_del(t, tid);
		return 0;
	case STOP_EXEC:
		/* exec from another thread: the kernel reports it as the leader */
		if (trace_handle_exec(t, tid, e) != 0)
			return -1;
		hold(t, t->pid, 0);
		return 0;
	case STOP_CLONE:
		/* unless its first stop came first, the new thread's is still due */
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) == 0 &&
		    !trace_thread_get(t, (pid_t)msg, false)) {
			struct trace_thread *n = trace_thread_get(t, (pid_t)msg, true);
			if (n)
				n->new_thread = true;
		}
		ptrace(PTRACE_CONT, tid, 0, 0);
		return 0;
	case STOP_FORK:
		/* static binaries (and --step): the child must not inherit our
		 * int3s; a vfork child shares the text, so --step's are lifted
		 * until the parent resumes (stepbp.c) */
		if ((st >> 16) == PTRACE_EVENT_VFORK_DONE) {
			trace_stepbp_vfork(t, true);
			ptrace(PTRACE_CONT, tid, 0, 0);
			return 0;
		}
		if ((st >> 16) == PTRACE_EVENT_VFORK)
			trace_stepbp_vfork(t, false);
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) == 0)
			trace_bp_clean_child(t, (pid_t)msg, (st >> 16) == PTRACE_EVENT_VFORK);
		ptrace(PTRACE_CONT, tid, 0, 0);
		return 0;
	case STOP_EXIT:
		/* The program's end is the exit stop of its last thread: the
		 * leader's, unless it left with pthread_exit while others ran
		 * on (they may still allocate and write); in an exit_group
		 * every thread stops here, and the last of them takes it. */
		if (th)
			th->exiting = true;
		if (last_thread_exits(t, tid) && trace_at_exit_stop(t, e) != 0)
			return -1;
		ptrace(PTRACE_CONT, tid, 0, 0);
		return 0;
	case STOP_GROUP:
		if (!th || th->new_thread) {
			/* a new thread's first stop: swallow it */
			th = trace_thread_get(t, tid, true);
			if (th)
				th->new_thread = false;
			ptrace(PTRACE_CONT, tid, 0, 0);
			return 0;
		}
		switch (WSTOPSIG(st)) {
		case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
			/* a real group-stop: the program stays stopped until SIGCONT */
			ptrace(PTRACE_LISTEN, tid, 0, 0);
			return 0;
		default:
			ptrace(PTRACE_CONT, tid, 0, 0);
			return 0;
		}
	case STOP_TRAP:
		if (!th)
			th = trace_thread_get(t, tid, true);
		return on_trap(t, tid, e);
	case STOP_SIGNAL:
		if (!th || th->new_thread) {
			/* a thread we have not seen yet: its SIGSTOP is the attach */
			bool first = !th || th->new_thread;
			th = trace_thread_get(t, tid, true);
			if (th && first && WSTOPSIG(st) == SIGSTOP) {
				th->new_thread = false;
				ptrace(PTRACE_CONT, tid, 0, 0);
				return 0;
			}
			if (th)
				th->new_thread = false;
		}
		return on_signal(t, tid, WSTOPSIG(st), e);
	}
	return 0;
}

static void kill_all(struct trace *t)
{
	int st;

	t->killed = true;
	kill(t->pid, SIGKILL);
	for (;;) {
		pid_t w = waitpid(-1, &st, __WALL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		if (WIFSTOPPED(st)) {
			/* a killed tracee still stops at PTRACE_EVENT_EXIT */
			ptrace(PTRACE_CONT, w, 0, 0);
			continue;
		}
		if (w == t->pid && (WIFEXITED(st) || WIFSIGNALED(st)) && !t->ended) {
			struct err e = { 0 };
			trace_at_end(t, st, &e);
		}
	}
	t->ended = true;
}

/* Between drains.  With a ring the tracer sleeps on it and the shim wakes
 * it every RING_WAKE_EVERY records (or when the ring is full): records
 * are drained in batches, and neither side spins or yields while the
 * other works (yielding and 1 ms sleeps made a busy program wait on a
 * full ring: 5.8x native in wall time for 2.7x in CPU on a loaded
 * machine).  A program waiting for input costs a wake-up per millisecond
 * at most; SIGCHLD ends any sleep when a stop comes. */
static void backoff(struct trace *t, unsigned idle)
{
	long ns = idle < 256 ? 200000 : 1000000;

	if (t->ring) {
		ring_wait(t->ring, ns);
	} else {
		struct timespec ts = { 0, idle < 32 ? 20000 : ns };
		nanosleep(&ts, NULL);
	}
}

/* SIGCHLD tells run mode that a stop is waiting, so the drain loop calls
 * waitpid only then (and now and then, in case a signal was merged). */
static volatile sig_atomic_t g_chld;

static void on_chld(int sig)
{
	(void)sig;
	g_chld = 1;
}

int trace_run(struct trace *t, struct err *e)
{
	struct sigaction sa, old;
	unsigned idle = 0, since_wait = 0;
	int st, rc = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_chld; /* no SA_RESTART: it also ends a backoff sleep */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, &old);
	t->direct = true;
	g_chld = 1;
	if (flush(t, 0, NULL, e) != 0)
		return -1;
	resume_held(t);
	while (!t->ended) {
		size_t n;
		bool stopped = false;

		if (trace_interrupted()) {
			kill_all(t);
			break;
		}
		n = trace_drain(t);
		if (g_chld || ++since_wait >= 256) {
			pid_t w;
			g_chld = 0;
			since_wait = 0;
			while (!t->ended && (w = waitpid(-1, &st, __WALL | WNOHANG)) != 0) {
				if (w < 0) {
					if (errno == EINTR)
						continue;
					t->ended = true; /* gone without a word: report what we have */
					break;
				}
				stopped = true;
				if (handle(t, w, st, e) != 0) {
					kill_all(t);
					rc = -1;
					goto out;
				}
			}
			resume_held(t);
		}
		if ((t->regions_dirty && trace_regions_read(t, e) != 0) ||
		    flush(t, 0, NULL, e) != 0) {
			kill_all(t);
			rc = -1;
			goto out;
		}
		idle = (n || stopped) ? 0 : idle + 1;
		if (!stopped && n < RING_WAKE_EVERY / 4)
			backoff(t, idle);
	}
out:
	/* the ring's last records, and anything else still queued */
	trace_drain(t);
	if (flush(t, 0, NULL, rc ? NULL : e) != 0)
		rc = -1;
	sigaction(SIGCHLD, &old, NULL);
	return rc;
}

int trace_step(struct trace *t, struct model_event *ev, struct err *e)
{
	int st;

	for (;;) {
		if (t->qlen) {
			if (flush(t, 1, ev, e) != 0)
				return -1;
			return 1;
		}
		if (t->ended)
			return 0;
		if (trace_interrupted()) {
			kill_all(t);
			continue;
		}
		resume_held(t);
		pid_t w = waitpid(-1, &st, __WALL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			t->ended = true;
			continue;
		}
		if (handle(t, w, st, e) != 0) {
			kill_all(t);
			return -1;
		}
		if (t->regions_dirty && trace_regions_read(t, e) != 0)
			return -1;
	}
}
