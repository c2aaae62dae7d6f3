/* loop: the typed stops of a traced program and what to do at each (the
 * shim's trap, a breakpoint, exec, clone, exit, a signal), the drain of
 * the ring into events, and the two drivers: run mode and step mode. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "elf/elfmap.h"
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
	case PTRACE_EVENT_VFORK: return STOP_FORK;
	case PTRACE_EVENT_EXIT: return STOP_EXIT;
	case PTRACE_EVENT_STOP: return STOP_GROUP;
	default: break;
	}
	return WSTOPSIG(st) == SIGTRAP ? STOP_TRAP : STOP_SIGNAL;
}

/* ---- ring records into events ---------------------------------------- */

bool trace_addr_known(const struct trace *t, uint64_t a)
{
	size_t lo = 0, hi = t->nregs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (a < t->regs[mid].start)
			hi = mid;
		else if (a >= t->regs[mid].end)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* glibc serves requests of 128 KiB and more with mmap and unmaps them on
 * free: the regions change then.  The tracer keeps those few blocks. */
#define BIG_BLOCK (128 * 1024)

static uint64_t alloc_size(const struct ring_record *r)
{
	switch (r->kind) {
	case RING_MALLOC: case RING_VALLOC: case RING_PVALLOC: return r->args[0];
	case RING_CALLOC: return r->args[0] * r->args[1];
	case RING_REALLOCARRAY: return r->args[1] * r->args[2];
	default: return r->args[1];
	}
}

static void big_note(struct trace *t, uint64_t a)
{
	if (t->nbig == t->capbig) {
		size_t nc = t->capbig ? t->capbig * 2 : 16;
		uint64_t *n = realloc(t->big, nc * sizeof(*n));
		if (!n)
			return;
		t->big = n;
		t->capbig = nc;
	}
	t->big[t->nbig++] = a;
}

static void big_forget(struct trace *t, uint64_t a)
{
	for (size_t i = t->nbig; i > 0; i--)
		if (t->big[i - 1] == a) {
			t->big[i - 1] = t->big[--t->nbig];
			t->regions_dirty = true;
			return;
		}
}

static int on_record(const struct ring_record *r, void *arg)
{
	struct trace *t = arg;
	struct model_event ev;
	struct err e = { 0 };

	memset(&ev, 0, sizeof(ev));
	ev.type = r->kind;
	ev.flags = r->flags;
	ev.tid = r->tid;
	ev.seq = r->seq;
	memcpy(ev.args, r->args, sizeof(ev.args));
	ev.result = r->result;
	ev.site = trace_site_of(t, r->caller);
	ev.error = r->error;
	ev.sp = r->sp;
	ev.block = r->block;
	ev.block_size = r->block_size;
	ev.brk = r->brk;
	ev.old_block = r->old_block;
	ev.err_no = r->err_no;
	if (r->kind == RING_ERROR)
		ev.aux = r->args[1];
	ev.stack_depth = trace_stack_depth(t, r->tid, r->sp);
	if (ev.stack_depth > t->stack_sampled_max)
		t->stack_sampled_max = ev.stack_depth;
	/* may a region have changed?  the break moved, an mmap'd block, or a
	 * pointer outside every region we know */
	if (r->brk && r->brk != t->last_brk) {
		t->last_brk = r->brk;
		t->regions_dirty = true;
	}
	if (r->flags & RING_F_MMAP)
		t->regions_dirty = true;
	else if (r->result && !trace_addr_known(t, r->result))
		t->regions_dirty = true;
	if (t->o.step && !(r->flags & RING_F_EARLY)) {
		/* the shim traps once after each record it publishes */
		struct trace_thread *th = trace_thread_get(t, r->tid, false);
		if (th)
			th->untrapped++;
	}
	if (t->nbig && (r->kind == RING_FREE || r->kind == RING_REALLOC) && r->args[0])
		big_forget(t, r->args[0]);
	if (r->result && r->kind != RING_FREE && alloc_size(r) >= BIG_BLOCK)
		big_note(t, r->result);
	trace_emit(t, &ev, &e);
	return 0;
}

static size_t drain(struct trace *t)
{
	size_t n;

	if (!t->ring)
		return 0;
	n = ring_drain(t->ring, 0, on_record, t);
	if (!t->shim_noted && ring_attached(t->ring, NULL))
		t->shim_noted = true;
	return n;
}

/* Applies the queued events to the model, oldest first. */
static int flush(struct trace *t, size_t max, struct model_event *last, struct err *e)
{
	size_t done = 0;

	while (t->qlen && (!max || done < max)) {
		struct model_event ev = t->q[t->qhead];
		t->qhead = (t->qhead + 1) % t->qcap;
		t->qlen--;
		if (model_apply(t->m, &ev, e) != 0)
			return -1;
		if (t->o.on_event)
			t->o.on_event(t->o.ctx, t->m, &ev);
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

int trace_handle_exec(struct trace *t, pid_t tid, struct err *e)
{
	struct user_regs_struct regs;
	struct err ee = { 0 };
	char p[64];
	ssize_t n;

	(void)tid;
	/* the thread that exec'd is now the leader; all others are gone */
	t->nthr = 0;
	trace_thread_get(t, t->pid, true);
	snprintf(p, sizeof(p), "/proc/%d/exe", (int)t->pid);
	n = readlink(p, t->exe, sizeof(t->exe) - 1);
	t->exe[n > 0 ? n : 0] = '\0';
	if (t->started) {
		struct model_event ev = { 0 };
		drain(t);
		ev.type = MEV_EXEC;
		ev.tid = t->pid;
		ev.seq = t->ring ? ring_next_seq(t->ring) : t->static_seq;
		if (trace_emit(t, &ev, e) != 0)
			return -1;
		trace_note(t, "the program exec'd %s: memlens followed it into the new image",
			   t->exe);
	}
	t->started = true;
	elfmap_close(t->elf);
	t->elf = elfmap_open(t->exe, &ee);
	t->bias = 0;
	if (t->elf) {
		uint64_t entry = trace_auxv_entry(t->pid);
		if (entry)
			t->bias = entry - elfmap_facts(t->elf)->entry;
	}
	if (ptrace(PTRACE_GETREGS, t->pid, 0, &regs) == 0)
		t->stack_top = regs.rsp;
	t->start_brk = trace_start_brk(t->pid);
	t->last_brk = 0;
	free(t->regs);
	t->regs = NULL;
	t->nregs = 0;
	t->stack_sampled_max = 0;
	if (t->memfd >= 0) {
		close(t->memfd); /* a new address space */
		t->memfd = -1;
	}
	trace_sites_reset(t);
	trace_libs_reset(t);
	trace_dbg_close(t);
	trace_bp_reset(t);
	if (t->elf && !elfmap_facts(t->elf)->interp &&
	    !elfmap_facts(t->elf)->stripped && elfmap_facts(t->elf)->elfclass == 64) {
		t->is_static = true;
		if (trace_bp_insert_all(t, e) != 0)
			return -1;
	}
	return trace_regions_read(t, e);
}

/* The program is about to end (its leader's PTRACE_EVENT_EXIT): its memory
 * is still there, so take the last regions and the deepest stack page. */
static int at_exit_stop(struct trace *t, struct err *e)
{
	uint64_t low;

	drain(t);
	if (trace_regions_read(t, e) != 0)
		return -1;
	low = trace_stack_lowest_touched(t);
	if (low && t->stack_top > low) {
		uint64_t bound = t->stack_top - low;
		/* pages are 4 KiB: the sampled depth is exact within a page */
		if (bound > ((t->stack_sampled_max + 4095) & ~UINT64_C(4095)))
			t->stack_sampled_max = bound;
	}
	return 0;
}

static int at_end(struct trace *t, int st, struct err *e)
{
	struct model_event ev = { 0 };

	drain(t);
	t->ended = true;
	t->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	ev.type = MEV_EXIT;
	ev.tid = t->pid;
	ev.seq = t->ring ? ring_next_seq(t->ring) : t->static_seq;
	ev.result = WIFEXITED(st) ? (uint64_t)WEXITSTATUS(st) : (uint64_t)WTERMSIG(st);
	ev.code = WIFSIGNALED(st) ? 1 : 0;
	ev.error = WIFSIGNALED(st) ? (uint32_t)WTERMSIG(st) : 0;
	ev.stack_depth = t->stack_sampled_max;
	t->exit_emitted = true;
	return trace_emit(t, &ev, e);
}

static int on_signal(struct trace *t, pid_t tid, int sig, struct err *e)
{
	struct model_event ev = { 0 };
	struct user_regs_struct regs;
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (ptrace(PTRACE_GETSIGINFO, tid, 0, &si) != 0)
		si.si_code = 0;
	drain(t);
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

	if (t->ring && t->o.step) {
		/* fast path: a record of this thread just arrived, so this is the
		 * shim's trap after it (no registers to read) */
		struct trace_thread *th;
		drain(t);
		th = trace_thread_get(t, tid, false);
		if (th && th->untrapped) {
			th->untrapped--;
			hold(t, tid, 0);
			return 0;
		}
	}
	memset(&si, 0, sizeof(si));
	if (ptrace(PTRACE_GETSIGINFO, tid, 0, &si) == 0 && si.si_code == SI_KERNEL &&
	    ptrace(PTRACE_GETREGS, tid, 0, &regs) == 0) {
		if (t->ring && regs.rip - 1 == ring_trap_addr(t->ring) && regs.rip > 1) {
			struct trace_thread *th;
			drain(t); /* the shim's trap: the event is in the ring */
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

/* Handles one wait status of thread `tid`.  The thread ends up running,
 * gone, or held (resumed by resume_held). */
static int handle(struct trace *t, pid_t tid, int st, struct err *e)
{
	struct trace_thread *th = trace_thread_get(t, tid, false);
	unsigned long msg = 0;

	switch (classify(st)) {
	case STOP_EXITED:
		if (tid == t->pid)
			return at_end(t, st, e);
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
		/* static binaries only: the child must not inherit our int3s */
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) == 0)
			trace_bp_clean_child(t, (pid_t)msg, (st >> 16) == PTRACE_EVENT_VFORK);
		ptrace(PTRACE_CONT, tid, 0, 0);
		return 0;
	case STOP_EXIT:
		if (tid == t->pid && at_exit_stop(t, e) != 0)
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
			th = trace_thread_get(t, tid, true);
			if (th && th->new_thread && WSTOPSIG(st) == SIGSTOP) {
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
			at_end(t, st, &e);
		}
	}
	t->ended = true;
}

static void backoff(unsigned idle)
{
	struct timespec ts = { 0, 0 };

	if (idle < 32) {
		sched_yield();
		return;
	}
	ts.tv_nsec = idle < 256 ? 20000 : 200000;
	nanosleep(&ts, NULL);
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
		n = drain(t);
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
		if (idle)
			backoff(idle);
	}
out:
	/* the ring's last records, and anything else still queued */
	drain(t);
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
