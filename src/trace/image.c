/* image: what changes with a program image: exec (the ELF, the load
 * bias, the stack top, debug info, breakpoints, regions), the last look at
 * the process before it ends, and the exit event. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf/elfmap.h"
#include "ring/ring_format.h"
#include "trace/trace_int.h"

/* True when the new image's environment (at the exec stop, before its
 * loader ran) still preloads the shim and names the ring: a program that
 * called clearenv() or execve() with its own environment drops both. */
static bool environ_keeps_shim(pid_t pid, const char *shim)
{
	char p[64], *buf, *nb;
	size_t cap = 1 << 16, n = 0;
	bool preload = false, ring = false;
	ssize_t r;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/environ", (int)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true; /* cannot tell: say nothing */
	if (!(buf = malloc(cap))) {
		close(fd);
		return true;
	}
	while ((r = read(fd, buf + n, cap - n - 1)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n += (size_t)r;
		if (n + 1 == cap) {
			if (!(nb = realloc(buf, cap * 2)))
				break;
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i += strlen(buf + i) + 1) {
		if (strncmp(buf + i, "LD_PRELOAD=", 11) == 0 && strstr(buf + i, shim))
			preload = true;
		else if (strncmp(buf + i, RING_ENV_FD "=", sizeof(RING_ENV_FD)) == 0)
			ring = true;
	}
	free(buf);
	return preload && ring;
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
		trace_drain(t);
		ev.type = MEV_EXEC;
		ev.tid = t->pid;
		ev.seq = t->ring ? ring_next_seq(t->ring) : t->static_seq;
		if (trace_emit(t, &ev, e) != 0)
			return -1;
		trace_note(t, "the program exec'd %s: memlens followed it into the new image",
			   t->exe);
		if (t->ring && t->shim && !environ_keeps_shim(t->pid, t->shim))
			trace_note(t, "%s was started without memlens's LD_PRELOAD (the program cleared "
				   "or replaced its environment before the exec): its allocations cannot "
				   "be seen; its regions, stack and exit still are", t->exe);
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
	t->stack_baseline = 0;
	if (t->memfd >= 0) {
		close(t->memfd); /* a new address space */
		t->memfd = -1;
	}
	trace_sites_reset(t);
	trace_libs_reset(t);
	trace_dbg_close(t);
	trace_bp_reset(t);
	t->entry_pending = false;
	{
		uint64_t entry = trace_auxv_entry(t->pid);
		if (entry)
			trace_bp_insert_entry(t, entry); /* best effort */
	}
	t->is_static = t->elf && !elfmap_facts(t->elf)->interp &&
		       !elfmap_facts(t->elf)->stripped && elfmap_facts(t->elf)->elfclass == 64;
	/* fork events only while the image carries allocator breakpoints */
	ptrace(PTRACE_SETOPTIONS, t->pid, 0,
	       TRACE_PTRACE_OPTS | (t->is_static ? TRACE_PTRACE_FORK_OPTS : 0));
	if (t->is_static && trace_bp_insert_all(t, e) != 0)
		return -1;
	if (trace_regions_read(t, e) != 0)
		return -1;
	return trace_stepbp_exec(t, e); /* --step: the new image's breakpoints */
}

void trace_stack_baseline(struct trace *t)
{
	t->stack_baseline = trace_stack_lowest_touched(t);
	if (!t->stack_baseline)
		t->stack_baseline = 1; /* unknown: do not look again */
}

/* The program is about to end (its leader's PTRACE_EVENT_EXIT): its memory
 * is still there, so take the last regions and the deepest stack page. */
int trace_at_exit_stop(struct trace *t, struct err *e)
{
	uint64_t low;

	trace_drain(t);
	if (trace_regions_read(t, e) != 0)
		return -1;
	if (t->o.bytes)
		trace_contents_take(t);
	low = trace_stack_lowest_touched(t);
	/* pages below those the loader touched before the first event, and
	 * below the deepest sampled page: the program went deeper than any
	 * event saw (recursion that allocates nothing) */
	if (low && t->stack_top > low && (!t->stack_baseline || low < t->stack_baseline)) {
		uint64_t bound = t->stack_top - low;
		if (bound > ((t->stack_sampled_max + 4095) & ~UINT64_C(4095)) &&
		    !trace_stepbp_depth_exact(t, low))
			t->stack_sampled_max = bound;
	}
	return 0;
}

int trace_at_end(struct trace *t, int st, struct err *e)
{
	struct model_event ev = { 0 };

	trace_drain(t);
	t->ended = true;
	t->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	ev.type = MEV_EXIT;
	ev.tid = t->pid;
	ev.seq = t->ring ? ring_next_seq(t->ring) : t->static_seq;
	ev.result = WIFEXITED(st) ? (uint64_t)WEXITSTATUS(st) : (uint64_t)WTERMSIG(st);
	/* 2: the SIGKILL was memlens's own, so the summary does not blame
	 * the program */
	ev.code = !WIFSIGNALED(st) ? 0 : (t->killed && WTERMSIG(st) == SIGKILL) ? 2 : 1;
	ev.error = WIFSIGNALED(st) ? (uint32_t)WTERMSIG(st) : 0;
	ev.stack_depth = t->stack_sampled_max;
	t->exit_emitted = true;
	return trace_emit(t, &ev, e);
}
