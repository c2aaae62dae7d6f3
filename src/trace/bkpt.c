/* bkpt: allocator events of static binaries, where LD_PRELOAD does not
 * apply.  An int3 at each malloc-family entry (from .symtab, shared
 * addresses once) gives the arguments; a return breakpoint on the caller's
 * return address, matched by thread and stack pointer, gives the result.
 * Stepping over: restore the byte, rewind rip, single-step, re-insert. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf/elfmap.h"
#include "trace/emul.h"
#include "trace/trace_int.h"

#ifndef __WALL
#define __WALL 0x40000000
#endif

static const struct { const char *name; uint16_t kind; } family[] = {
	{ "malloc", RING_MALLOC }, { "free", RING_FREE }, { "calloc", RING_CALLOC },
	{ "realloc", RING_REALLOC }, { "reallocarray", RING_REALLOCARRAY },
	{ "posix_memalign", RING_POSIX_MEMALIGN }, { "aligned_alloc", RING_ALIGNED_ALLOC },
	{ "memalign", RING_MEMALIGN }, { "valloc", RING_VALLOC }, { "pvalloc", RING_PVALLOC },
};

static struct trace_bp *bp_at(struct trace *t, uint64_t a)
{
	for (size_t i = 0; i < t->nbp; i++)
		if (t->bp[i].addr == a)
			return &t->bp[i];
	return NULL;
}

static struct trace_bp *bp_add(struct trace *t, uint64_t a, uint16_t kind)
{
	static const uint8_t cc = 0xcc;
	struct trace_bp *b;

	if (t->nbp == t->capbp) {
		size_t nc = t->capbp ? t->capbp * 2 : 16;
		b = realloc(t->bp, nc * sizeof(*b));
		if (!b)
			return NULL;
		t->bp = b;
		t->capbp = nc;
	}
	b = &t->bp[t->nbp];
	memset(b, 0, sizeof(*b));
	b->addr = a;
	b->kind = kind;
	if (trace_mem_read(t, a, &b->orig, 1) != 0 || trace_mem_write(t, a, &cc, 1) != 0)
		return NULL;
	t->nbp++;
	return b;
}

static void bp_del(struct trace *t, struct trace_bp *b)
{
	trace_mem_write(t, b->addr, &b->orig, 1);
	*b = t->bp[--t->nbp];
}

void trace_bp_reset(struct trace *t)
{
	t->nbp = 0;
	t->ret_trap = 0;
	for (size_t i = 0; i < t->nthr; i++)
		t->thr[i].in_call = false;
}

int trace_bp_insert_entry(struct trace *t, uint64_t entry)
{
	if (!entry || bp_at(t, entry) || !bp_add(t, entry, TRACE_BP_ENTRY))
		return -1;
	t->entry_pending = true;
	return 0;
}

/* The return trap: one int3 in the slack after the end of the executable
 * segment (its last page is mapped executable, but no code lies there).
 * An allocator call's return address is pointed at it, so the return is
 * seen without a breakpoint in the caller's code: such a breakpoint had to
 * be lifted to step over it, and another thread returning through the
 * same call site meanwhile went unseen (and its next calls counted as
 * nested).  0 when the segment ends on a page boundary. */
static uint64_t place_ret_trap(struct trace *t)
{
	static const uint8_t cc = 0xcc;
	size_t n = 0;
	const struct elfmap_segment *sg = elfmap_segments(t->elf, &n);

	for (size_t i = 0; i < n; i++) {
		uint64_t end = sg[i].vaddr + sg[i].memsz + t->bias;
		if (!(sg[i].flags & PF_X) || sg[i].memsz != sg[i].filesz || (end & 4095) == 0)
			continue;
		if (trace_mem_write(t, end, &cc, 1) == 0)
			return end;
	}
	return 0;
}

int trace_bp_insert_all(struct trace *t, struct err *e)
{
	size_t placed = 0;

	t->ret_trap = place_ret_trap(t);

	for (size_t i = 0; i < sizeof(family) / sizeof(family[0]); i++) {
		uint64_t addrs[8];
		size_t n = elfmap_find_func(t->elf, family[i].name, addrs, 8);
		for (size_t k = 0; k < n && k < 8; k++) {
			uint64_t a = addrs[k] + t->bias;
			if (bp_at(t, a))
				continue; /* an alias of a name already placed */
			if (!bp_add(t, a, family[i].kind))
				return err_errno(e, ERR_INTERNAL, errno,
						 "cannot set a breakpoint on %s", family[i].name);
			placed++;
		}
	}
	if (!placed)
		trace_note(t, "no malloc-family functions found in the static binary: "
			   "its allocations cannot be seen");
	return 0;
}

/* Executes the original instruction at b for thread tid, then puts the
 * int3 back (unless `keep` is false).  Returns a signal that arrived
 * meanwhile (to deliver later), or 0. */
static int emul_mem(void *ctx, uint64_t addr, void *buf, size_t n, int write)
{
	return write ? trace_mem_write(ctx, addr, buf, n) : trace_mem_read(ctx, addr, buf, n);
}

/* Moves tid past the instruction at a without lifting the int3, when emul
 * knows the instruction; 0 when it did. */
static int emulate(struct trace *t, pid_t tid, struct user_regs_struct *regs, uint64_t a, uint8_t orig)
{
	struct user_regs_struct r = *regs;
	uint8_t code[16];
	size_t n = sizeof(code);

	while (n >= 4 && trace_mem_read(t, a, code, n) != 0)
		n /= 2; /* near the end of the mapping */
	if (n < 4)
		return -1;
	code[0] = orig;
	r.rip = a;
	if (emul_step(&r, code, n, emul_mem, t) != 0 || ptrace(PTRACE_SETREGS, tid, 0, &r) != 0)
		return -1;
	*regs = r;
	return 0;
}

static int step_over(struct trace *t, pid_t tid, struct user_regs_struct *regs,
		     uint64_t a, uint8_t orig, bool keep)
{
	static const uint8_t cc = 0xcc;
	int st, pending = 0;

	if (keep && emulate(t, tid, regs, a, orig) == 0)
		return 0;

	trace_mem_write(t, a, &orig, 1);
	regs->rip = a;
	ptrace(PTRACE_SETREGS, tid, 0, regs);
	if (!keep)
		return 0;
	ptrace(PTRACE_SINGLESTEP, tid, 0, 0);
	for (;;) {
		if (waitpid(tid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!WIFSTOPPED(st))
			break; /* gone */
		if (WSTOPSIG(st) == SIGTRAP && (st >> 16) == 0)
			break;
		if ((st >> 16) == 0)
			pending = WSTOPSIG(st); /* deliver it after the step */
		ptrace(PTRACE_SINGLESTEP, tid, 0, 0);
	}
	trace_mem_write(t, a, &cc, 1);
	return pending;
}

static int emit_call(struct trace *t, pid_t tid, struct trace_thread *th, uint64_t result,
		     struct err *e)
{
	struct model_event ev = { 0 };
	uint64_t caller = 0;

	ev.type = th->call_kind;
	ev.tid = tid;
	ev.seq = t->static_seq++;
	memcpy(ev.args, th->call_args, sizeof(ev.args));
	ev.result = result;
	caller = th->call_ret;
	ev.site = trace_site_of(t, caller);
	ev.sp = th->call_sp;
	ev.stack_depth = trace_stack_depth(t, tid, ev.sp);
	if (ev.stack_depth > t->stack_sampled_max)
		t->stack_sampled_max = ev.stack_depth;
	if (result && !trace_addr_known(t, result))
		t->regions_dirty = true;
	return trace_emit(t, &ev, e);
}

static void hold_thread(struct trace *t, pid_t tid, int sig)
{
	struct trace_thread *th = trace_thread_get(t, tid, true);

	if (th) {
		th->held = true;
		th->resume_sig = sig;
	}
}

int trace_bp_hit(struct trace *t, pid_t tid, struct err *e)
{
	struct user_regs_struct regs;
	struct trace_thread *th = trace_thread_get(t, tid, true);
	struct trace_bp *b;
	uint64_t a, ret = 0;
	bool emitted = false;
	int sig;

	if (!th || ptrace(PTRACE_GETREGS, tid, 0, &regs) != 0)
		return 0;
	a = regs.rip - 1;
	if (t->ret_trap && a == t->ret_trap) {
		/* an allocator call returning to the trap: back to its caller */
		uint64_t result = regs.rax;
		if (!th->in_call)
			return err_set(e, ERR_INTERNAL, "thread %d returned to memlens's trap "
				       "outside an allocator call", (int)tid);
		if (th->call_kind == RING_POSIX_MEMALIGN) {
			uint64_t p = 0;
			result = (regs.rax == 0 && trace_mem_read(t, th->call_caller_sp, &p, 8) == 0) ? p : 0;
		}
		th->in_call = false;
		regs.rip = th->call_ret;
		if (ptrace(PTRACE_SETREGS, tid, 0, &regs) != 0)
			return 0; /* gone */
		if (emit_call(t, tid, th, result, e) != 0)
			return -1;
		hold_thread(t, tid, 0);
		return 1;
	}
	b = bp_at(t, a);
	if (!b)
		return 0;
	if (b->step || b->sret) {
		/* a --step breakpoint (maybe also an allocator one): stepbp.c */
		int r = trace_stepbp_hit(t, tid, &regs, &emitted, e);
		if (r != 0)
			return r;
		if (!(b = bp_at(t, a)))
			return 1;
	}

	if (b->kind == TRACE_BP_ENTRY) {
		/* at the entry point: what the loader touched is the baseline */
		trace_stack_baseline(t);
		t->entry_pending = false;
		uint8_t orig = b->orig;
		bp_del(t, b);
		step_over(t, tid, &regs, a, orig, false);
		ptrace(PTRACE_CONT, tid, 0, 0);
		return 1;
	}
	/* a return we wait for: this thread, this frame */
	if (th->in_call && th->call_ret == a && regs.rsp == th->call_sp) {
		uint64_t result = regs.rax;
		if (th->call_kind == RING_POSIX_MEMALIGN) {
			uint64_t p = 0;
			result = (regs.rax == 0 && trace_mem_read(t, th->call_caller_sp, &p, 8) == 0) ? p : 0;
		}
		th->in_call = false;
		if (emit_call(t, tid, th, result, e) != 0)
			return -1;
		uint8_t orig = b->orig;
		bool still = b->kind != 0 || --b->refs > 0 || b->step || b->sret;
		if (!still)
			bp_del(t, b);
		sig = step_over(t, tid, &regs, a, orig, still);
		hold_thread(t, tid, sig);
		return 1;
	}
	if (b->kind && !th->in_call) {
		/* a call into the allocator from outside it */
		if (trace_mem_read(t, regs.rsp, &ret, 8) != 0)
			ret = 0;
		th->call_kind = b->kind;
		th->call_ret = ret;
		th->call_sp = regs.rsp + 8;
		memset(th->call_args, 0, sizeof(th->call_args));
		switch (b->kind) {
		case RING_MALLOC: case RING_FREE: case RING_VALLOC: case RING_PVALLOC:
			th->call_args[0] = regs.rdi;
			break;
		case RING_POSIX_MEMALIGN:
			th->call_args[0] = regs.rsi;
			th->call_args[1] = regs.rdx;
			th->call_caller_sp = regs.rdi; /* where the pointer goes */
			break;
		default:
			th->call_args[0] = regs.rdi;
			th->call_args[1] = regs.rsi;
			th->call_args[2] = regs.rdx;
		}
		if (b->kind == RING_FREE) {
			/* nothing to wait for: the event is complete */
			if (emit_call(t, tid, th, 0, e) != 0)
				return -1;
			sig = step_over(t, tid, &regs, a, b->orig, true);
			hold_thread(t, tid, sig);
			return 1;
		}
		th->in_call = true;
		uint8_t orig = b->orig;
		struct trace_bp *r = NULL;
		if (ret && t->ret_trap && trace_mem_write(t, regs.rsp, &t->ret_trap, 8) == 0)
			ret = 0; /* it returns to the trap */
		r = ret ? bp_at(t, ret) : NULL;
		if (ret && !r)
			r = bp_add(t, ret, 0);
		if (r)
			r->refs++;
		sig = step_over(t, tid, &regs, a, orig, true);
		if (sig || emitted)
			hold_thread(t, tid, sig);
		else
			ptrace(PTRACE_CONT, tid, 0, 0);
		return 1;
	}
	/* nested inside the allocator, or another frame's return: pass over */
	sig = step_over(t, tid, &regs, a, b->orig, true);
	if (sig || emitted)
		hold_thread(t, tid, sig);
	else
		ptrace(PTRACE_CONT, tid, 0, 0);
	return 1;
}

void trace_bp_clean_child(struct trace *t, pid_t child, bool shared)
{
	char p[64];
	int st, fd;

	while (waitpid(child, &st, __WALL) < 0 && errno == EINTR)
		;
	if (!shared) {
		snprintf(p, sizeof(p), "/proc/%d/mem", (int)child);
		fd = open(p, O_RDWR | O_CLOEXEC);
		for (size_t i = 0; fd >= 0 && i < t->nbp; i++)
			if (pwrite(fd, &t->bp[i].orig, 1, (off_t)t->bp[i].addr) != 1)
				break;
		if (fd >= 0)
			close(fd);
	}
	ptrace(PTRACE_DETACH, child, 0, 0);
}

/* ---- for stepbp.c ---------------------------------------------------- */

struct trace_bp *trace_bp_at(struct trace *t, uint64_t a)
{
	return bp_at(t, a);
}

struct trace_bp *trace_bp_add(struct trace *t, uint64_t a, uint16_t kind)
{
	return bp_add(t, a, kind);
}

void trace_bp_del(struct trace *t, struct trace_bp *b)
{
	bp_del(t, b);
}

int trace_bp_step_over(struct trace *t, pid_t tid, struct user_regs_struct *regs,
		       uint64_t a, uint8_t orig, bool keep)
{
	return step_over(t, tid, regs, a, orig, keep);
}
