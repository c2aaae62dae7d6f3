/* stepbp: --step=call|line and "finish" (trace_step.h).  Roles on the
 * tracer's breakpoint table (bkpt.c): CALL at own function entries, LINE at
 * own line starts, a return role at return addresses counted per frame
 * waiting on it.  A shadow stack per thread matches a return by address
 * and stack pointer, so recursion and other threads' returns through the
 * same address are told apart. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include "dbg/dbg.h"
#include "trace/trace_int.h"
#include "trace/trace_step.h"

#define ROLE_CALL 1
#define ROLE_LINE 2
#define ROLE_EXIT 4 /* a function's one `ret` (see exit_of) */

struct sframe {
	uint64_t ret;   /* return address (the return breakpoint) */
	uint64_t sp;    /* stack pointer after the return: the frame's CFA */
	uint32_t site;  /* the function */
	bool retbp;     /* a return breakpoint at `ret` counts this frame */
};

struct sthread {
	pid_t tid;
	struct sframe *f;
	size_t n, cap;
};

struct trace_stepper {
	enum trace_gran gran;
	struct sthread *th;
	size_t nth, capth;
	uint32_t *fsite;   /* site per dbg_funcs() index, 0 = not interned yet */
	size_t nfsite;
	struct fpts {
		uint64_t call; /* the call breakpoint: entry, or after `push %rbp` */
		uint64_t exit; /* its one `ret`, or 0 */
	} *fp;             /* per dbg_funcs() index */
	size_t nfp;
	uint32_t *lsite;   /* site per dbg_lines() index */
	size_t nlsite;
	/* finish: the one return trace_finish waits for */
	bool fin, fin_done;
	pid_t fin_tid;
	uint64_t fin_ret, fin_sp;
	uint32_t fin_site;
	unsigned fin_depth;
	bool noted;
	bool lifted;       /* int3s out of the text while a vfork child runs */
};

static const char *const gran_names[TRACE_GRAN_MAX] = { "alloc", "call", "line" };

const char *trace_gran_name(enum trace_gran g)
{
	return g < TRACE_GRAN_MAX ? gran_names[g] : "?";
}

int trace_gran_parse(const char *s)
{
	for (int i = 0; i < TRACE_GRAN_MAX; i++)
		if (strcmp(s, gran_names[i]) == 0)
			return i;
	return -1;
}

static struct trace_stepper *stp_get(struct trace *t)
{
	if (!t->stp)
		t->stp = calloc(1, sizeof(*t->stp));
	return t->stp;
}

static struct sthread *sthread_get(struct trace_stepper *s, pid_t tid, bool add)
{
	for (size_t i = 0; i < s->nth; i++)
		if (s->th[i].tid == tid)
			return &s->th[i];
	if (!add)
		return NULL;
	if (s->nth == s->capth) {
		size_t nc = s->capth ? 2 * s->capth : 8;
		struct sthread *n = realloc(s->th, nc * sizeof(*n));
		if (!n)
			return NULL;
		s->th = n;
		s->capth = nc;
	}
	memset(&s->th[s->nth], 0, sizeof(s->th[0]));
	s->th[s->nth].tid = tid;
	return &s->th[s->nth++];
}

static int push(struct sthread *st, const struct sframe *f)
{
	if (st->n == st->cap) {
		size_t nc = st->cap ? 2 * st->cap : 64;
		struct sframe *n = realloc(st->f, nc * sizeof(*n));
		if (!n)
			return -1;
		st->f = n;
		st->cap = nc;
	}
	st->f[st->n++] = *f;
	return 0;
}

/* ---- roles ----------------------------------------------------------- */

static void maybe_del(struct trace *t, struct trace_bp *b)
{
	if (!b->step && !b->sret && !b->kind && !b->refs)
		trace_bp_del(t, b);
}

static int role_add(struct trace *t, uint64_t a, uint8_t role)
{
	struct trace_bp *b = trace_bp_at(t, a);

	if (!b && !(b = trace_bp_add(t, a, 0)))
		return -1;
	b->step |= role;
	return 0;
}

static void role_drop(struct trace *t, uint64_t a, uint8_t role)
{
	struct trace_bp *b = trace_bp_at(t, a);

	if (b) {
		b->step &= (uint8_t)~role;
		maybe_del(t, b);
	}
}

static void ret_add(struct trace *t, uint64_t a)
{
	struct trace_bp *b = trace_bp_at(t, a);

	if (a && (b || (b = trace_bp_add(t, a, 0))))
		b->sret++;
}

static void ret_drop(struct trace *t, uint64_t a)
{
	struct trace_bp *b = trace_bp_at(t, a);

	if (b && b->sret > 0) {
		b->sret--;
		maybe_del(t, b);
	}
}

/* ---- sites and events ------------------------------------------------ */

static uint32_t site_pc(struct trace *t, struct dbg *d, uint64_t pc)
{
	struct model_site s;

	memset(&s, 0, sizeof(s));
	if (!d || dbg_symbolize_pc(d, pc, &s) != 0) {
		memset(&s, 0, sizeof(s));
		s.addr = pc;
	}
	return model_site_intern(t->m, &s);
}

/* The site of the own function holding pc (its entry), cached. */
static uint32_t func_site(struct trace *t, struct dbg *d, uint64_t pc)
{
	struct trace_stepper *s = t->stp;
	const struct dbg_func *f = d ? dbg_func_at(d, pc) : NULL;
	size_t n, i;
	const struct dbg_func *all;

	if (!f)
		return site_pc(t, d, pc);
	all = dbg_funcs(d, &n);
	i = (size_t)(f - all);
	if (s->nfsite != n) {
		free(s->fsite);
		s->fsite = calloc(n, sizeof(*s->fsite));
		s->nfsite = s->fsite ? n : 0;
	}
	if (i < s->nfsite && !s->fsite[i])
		s->fsite[i] = site_pc(t, d, f->entry);
	return i < s->nfsite ? s->fsite[i] : site_pc(t, d, f->entry);
}

static uint32_t line_site(struct trace *t, struct dbg *d, uint64_t pc)
{
	struct trace_stepper *s = t->stp;
	size_t n, lo = 0, hi;
	const struct dbg_line *l = dbg_lines(d, &n);

	hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (l[mid].addr < pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= n || l[lo].addr != pc)
		return site_pc(t, d, pc);
	if (s->nlsite != n) {
		free(s->lsite);
		s->lsite = calloc(n, sizeof(*s->lsite));
		s->nlsite = s->lsite ? n : 0;
	}
	if (lo < s->nlsite && !s->lsite[lo])
		s->lsite[lo] = site_pc(t, d, pc);
	return lo < s->nlsite ? s->lsite[lo] : site_pc(t, d, pc);
}

static int emit(struct trace *t, pid_t tid, uint16_t type, uint64_t depth, uint64_t pc,
		uint64_t result, uint32_t site, uint64_t sp, struct err *e)
{
	struct model_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.tid = tid;
	ev.seq = t->ring ? ring_next_seq(t->ring) : t->static_seq++;
	ev.args[0] = depth;
	ev.args[1] = pc;
	ev.result = result;
	ev.site = site;
	ev.sp = sp;
	ev.stack_depth = trace_stack_depth(t, tid, sp);
	if (ev.stack_depth > t->stack_sampled_max)
		t->stack_sampled_max = ev.stack_depth;
	return trace_emit(t, &ev, e);
}

/* Pops frame by frame down to and including index `to`, a return event
 * each (innermost first); the last one returned `rax`. */
static int pop_to(struct trace *t, struct sthread *st, size_t to, uint64_t rax, int *nemit,
		  struct err *e)
{
	while (st->n > to) {
		struct sframe f = st->f[--st->n];
		if (f.retbp)
			ret_drop(t, f.ret);
		if (emit(t, st->tid, MEV_RETURN, st->n + 1, f.ret, st->n == to ? rax : 0, f.site,
			 f.sp, e) != 0)
			return -1;
		(*nemit)++;
	}
	return 0;
}

static int on_return(struct trace *t, pid_t tid, uint64_t a, const struct user_regs_struct *r,
		     int *nemit, struct err *e)
{
	struct trace_stepper *s = t->stp;
	struct sthread *st = sthread_get(s, tid, false);
	bool matched = false;

	for (size_t k = st ? st->n : 0; k-- > 0;)
		if (st->f[k].ret == a && st->f[k].sp == r->rsp) {
			if (pop_to(t, st, k, r->rax, nemit, e) != 0)
				return -1;
			matched = true;
			break;
		}
	if (s->fin && s->fin_tid == tid && s->fin_ret == a && s->fin_sp == r->rsp) {
		s->fin = false;
		s->fin_done = true;
		ret_drop(t, a);
		if (!matched) {
			if (emit(t, tid, MEV_RETURN, s->fin_depth, a, r->rax, s->fin_site, r->rsp, e) != 0)
				return -1;
			(*nemit)++;
		}
	}
	return 0;
}

/* The address of the one `ret` of the own function holding pc, or 0.
 * gcc and clang at -O0 give a function one epilogue, `leave; ret` or
 * `pop %rbp; ret`, as its last bytes; optimised code may return from
 * several places (and tail-call), so it keeps return-address breakpoints. */
static uint64_t exit_of(struct trace *t, struct dbg *d, uint64_t pc)
{
	struct trace_stepper *s = t->stp;
	size_t n;
	const struct dbg_func *all = d ? dbg_funcs(d, &n) : NULL;
	const struct dbg_func *f = d ? dbg_func_at(d, pc) : NULL;
	size_t i = f ? (size_t)(f - all) : 0;

	return f && i < s->nfp ? s->fp[i].exit : 0;
}

#define EMU_MOV_RSP_RBP 1

/* Where each own function's breakpoints go, read from its code before any
 * int3 of ours hides the bytes.  The call breakpoint sits after
 * `[endbr64] push %rbp` when `mov %rsp,%rbp` follows (a register move
 * emulated without touching memory), else at the entry.  The exit is the
 * function's one `ret` when its last bytes are `leave; ret` or
 * `pop %rbp; ret` (gcc and clang at -O0 give a function one epilogue). */
static void find_points(struct trace *t, struct dbg *d)
{
	struct trace_stepper *s = t->stp;
	size_t n;
	const struct dbg_func *f = dbg_funcs(d, &n);

	free(s->fp);
	s->nfp = 0;
	if (!(s->fp = calloc(n ? n : 1, sizeof(*s->fp))))
		return;
	s->nfp = n;
	for (size_t i = 0; i < n; i++) {
		uint8_t b[9];
		size_t p = 0;
		s->fp[i].call = f[i].entry;
		if (f[i].end - f[i].entry < 12 || trace_mem_read(t, f[i].entry, b, 9) != 0)
			continue;
		if (b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa)
			p = 4;
		if (b[p] == 0x55 && b[p + 1] == 0x48 && b[p + 2] == 0x89 && b[p + 3] == 0xe5)
			s->fp[i].call = f[i].entry + p + 1;
		if (trace_mem_read(t, f[i].end - 2, b, 2) == 0 && b[1] == 0xc3 &&
		    (b[0] == 0xc9 || b[0] == 0x5d))
			s->fp[i].exit = f[i].end - 1;
	}
}

/* At a function's `ret`: the frame whose CFA is rsp + 8 returns. */
static int on_exit_insn(struct trace *t, pid_t tid, const struct user_regs_struct *r,
			int *nemit, struct err *e)
{
	struct trace_stepper *s = t->stp;
	struct sthread *st = sthread_get(s, tid, false);
	uint64_t ret = 0;

	if (trace_mem_read(t, r->rsp, &ret, 8) != 0)
		ret = 0;
	for (size_t k = st ? st->n : 0; k-- > 0;)
		if (st->f[k].sp == r->rsp + 8) {
			if (!st->f[k].retbp)
				st->f[k].ret = ret;
			if (pop_to(t, st, k, r->rax, nemit, e) != 0)
				return -1;
			break;
		}
	if (s->fin && s->fin_tid == tid && s->fin_sp == r->rsp + 8) {
		/* the frame finish waits for: this is its return */
		s->fin = false;
		s->fin_done = true;
		ret_drop(t, s->fin_ret);
	}
	return 0;
}

static int on_call(struct trace *t, struct dbg *d, pid_t tid, uint64_t bpa,
		   const struct user_regs_struct *regs, int *nemit, struct err *e)
{
	/* at the entry [rsp] is the return address; after `push %rbp` 8 lower */
	const struct dbg_func *fn = d ? dbg_func_at(d, bpa) : NULL;
	uint64_t a = fn ? fn->entry : bpa;
	uint64_t rsp = regs->rsp + (a != bpa ? 8 : 0);
	struct sthread *st = sthread_get(t->stp, tid, true);
	struct sframe f;
	size_t keep;

	if (!st)
		return err_errno(e, ERR_INTERNAL, ENOMEM, "step");
	/* frames left without a return (longjmp, exit paths): a live frame's
	 * CFA lies above the entry stack pointer of anything it calls */
	for (keep = st->n; keep > 0 && st->f[keep - 1].sp <= rsp; keep--)
		;
	if (keep < st->n && pop_to(t, st, keep, 0, nemit, e) != 0)
		return -1;
	/* a function with its one `ret` known returns there (no return
	 * breakpoint to single-step over); else at the return address */
	f.retbp = !exit_of(t, d, a);
	f.ret = 0;
	if (f.retbp && trace_mem_read(t, rsp, &f.ret, 8) != 0)
		f.ret = 0;
	f.sp = rsp + 8;
	f.site = func_site(t, d, a);
	if (push(st, &f) != 0)
		return err_errno(e, ERR_INTERNAL, ENOMEM, "step");
	if (f.retbp)
		ret_add(t, f.ret);
	(*nemit)++;
	return emit(t, tid, MEV_CALL, st->n, a, 0, f.site, rsp, e);
}

/* ---- leaving the breakpoint ------------------------------------------ */

static uint64_t reg_no(const struct user_regs_struct *r, unsigned no)
{
	switch (no) {
	case 0: return r->rax;
	case 1: return r->rcx;
	case 2: return r->rdx;
	case 3: return r->rbx;
	case 4: return r->rsp;
	case 5: return r->rbp;
	case 6: return r->rsi;
	case 7: return r->rdi;
	case 8: return r->r8;
	case 9: return r->r9;
	case 10: return r->r10;
	case 11: return r->r11;
	case 12: return r->r12;
	case 13: return r->r13;
	case 14: return r->r14;
	default: return r->r15;
	}
}

/* Executes the instruction under the breakpoint by hand when it is one a
 * function starts with (push reg, endbr64, nop): no single-step stop.
 * Sets the registers; false when the instruction is another one. */
static bool emulate(struct trace *t, pid_t tid, struct user_regs_struct *r, uint64_t a,
		    uint8_t orig, uint8_t emu)
{
	uint8_t c[4] = { orig, 0, 0, 0 };
	uint64_t v, rip;
	bool push_it = true;

	if (emu == EMU_MOV_RSP_RBP) {
		r->rbp = r->rsp; /* mov %rsp,%rbp */
		r->rip = a + 3;
		return ptrace(PTRACE_SETREGS, tid, 0, r) == 0;
	}
	if ((orig == 0x41 || orig == 0xf3) && trace_mem_read(t, a + 1, c + 1, 3) != 0)
		return false;
	if (orig >= 0x50 && orig <= 0x57) {
		v = reg_no(r, orig - 0x50u);
		rip = a + 1;
	} else if (orig == 0x41 && c[1] >= 0x50 && c[1] <= 0x57) {
		v = reg_no(r, 8u + c[1] - 0x50u);
		rip = a + 2;
	} else if (orig == 0xf3 && c[1] == 0x0f && c[2] == 0x1e && c[3] == 0xfa) {
		v = 0;
		rip = a + 4; /* endbr64 */
		push_it = false;
	} else if (orig == 0xc3) {
		/* ret */
		if (trace_mem_read(t, r->rsp, &rip, 8) != 0)
			return false;
		r->rsp += 8;
		r->rip = rip;
		return ptrace(PTRACE_SETREGS, tid, 0, r) == 0;
	} else if (orig == 0x90) {
		v = 0;
		rip = a + 1;
		push_it = false;
	} else {
		return false;
	}
	if (push_it && trace_mem_write(t, r->rsp - 8, &v, 8) != 0)
		return false;
	if (push_it)
		r->rsp -= 8;
	r->rip = rip;
	return ptrace(PTRACE_SETREGS, tid, 0, r) == 0;
}

static void hold_or_cont(struct trace *t, pid_t tid, int sig, bool hold)
{
	struct trace_thread *th = trace_thread_get(t, tid, true);

	if ((hold || sig) && th) {
		th->held = true;
		th->resume_sig = sig;
	} else {
		ptrace(PTRACE_CONT, tid, 0, sig);
	}
}

int trace_stepbp_hit(struct trace *t, pid_t tid, struct user_regs_struct *regs,
		     bool *emitted, struct err *e)
{
	struct trace_stepper *s = t->stp;
	uint64_t a = regs->rip - 1;
	struct trace_bp *b = trace_bp_at(t, a);
	/* the main program's functions and lines only: no need to refresh the
	 * module list (a new library costs a re-read) at every stop */
	struct dbg *d = t->dbg ? t->dbg : trace_dbg(t);
	int nemit = 0, sig = 0;
	uint8_t roles;
	bool ret_role;

	if (!s || !b)
		return 0;
	roles = b->step;
	ret_role = b->sret > 0;
	/* the ring's records of this thread came before this stop */
	trace_drain(t);
	if (ret_role && on_return(t, tid, a, regs, &nemit, e) != 0)
		return -1;
	if ((roles & ROLE_EXIT) && s->gran == TRACE_GRAN_CALL &&
	    on_exit_insn(t, tid, regs, &nemit, e) != 0)
		return -1;
	if ((roles & ROLE_CALL) && s->gran == TRACE_GRAN_CALL &&
	    on_call(t, d, tid, a, regs, &nemit, e) != 0)
		return -1;
	if ((roles & ROLE_LINE) && s->gran == TRACE_GRAN_LINE) {
		struct sthread *st = sthread_get(s, tid, false);
		if (emit(t, tid, MEV_LINE, st ? st->n : 0, a, 0, line_site(t, d, a), regs->rsp, e) != 0)
			return -1;
		nemit++;
	}
	*emitted = nemit > 0;
	b = trace_bp_at(t, a);
	if (b && (b->kind || b->refs))
		return 0; /* also an allocator breakpoint: bkpt.c goes on */
	if (!b) {
		/* no role left: the byte is back, run the instruction itself */
		regs->rip = a;
		ptrace(PTRACE_SETREGS, tid, 0, regs);
	} else if (!emulate(t, tid, regs, a, b->orig, b->emu)) {
		sig = trace_bp_step_over(t, tid, regs, a, b->orig, true);
	}
	hold_or_cont(t, tid, sig, nemit > 0);
	return 1;
}

int trace_stepbp_fast(struct trace *t, pid_t tid, struct user_regs_struct *regs,
		      struct err *e)
{
	struct trace_bp *b = trace_bp_at(t, regs->rip - 1);
	bool emitted = false;

	if (!b || !(b->step || b->sret) || b->kind || b->refs)
		return 0; /* not ours alone: the full path decides */
	return trace_stepbp_hit(t, tid, regs, &emitted, e);
}

/* ---- arming ------------------------------------------------------------ */

static void drop_frames(struct trace *t, struct trace_stepper *s)
{
	for (size_t i = 0; i < s->nth; i++) {
		for (size_t k = 0; k < s->th[i].n; k++)
			ret_drop(t, s->th[i].f[k].ret);
		s->th[i].n = 0;
	}
}

/* Learns the own frames already on a held thread's stack (outermost
 * first), so their returns are seen and depths count them. */
static void seed(struct trace *t, struct dbg *d, pid_t tid)
{
	struct sthread *th = sthread_get(t->stp, tid, true);
	struct user_regs_struct regs;
	struct dbg_stack st;
	struct err ee = { 0 };

	if (!th || trace_regs(t, tid, &regs) != 0 ||
	    dbg_stack(d, tid, &regs, 0, 0, &st, &ee) != 0)
		return;
	for (size_t k = st.n; k-- > 0;) {
		const struct dbg_frame *f = &st.frames[k];
		struct sframe sf;
		if (!f->own || !f->cfa || k + 1 >= st.n)
			continue;
		sf.ret = st.frames[k + 1].pc;
		sf.sp = f->cfa;
		sf.site = func_site(t, d, k ? f->pc - 1 : f->pc);
		sf.retbp = true;
		if (push(th, &sf) == 0)
			ret_add(t, sf.ret);
	}
	dbg_stack_free(&st);
}

static void pin_together(struct trace *t, bool together)
{
	cpu_set_t set;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (ncpu < 2 || t->o.step)
		return; /* step mode has them on one CPU already */
	CPU_ZERO(&set);
	for (long c = 0; c < ncpu && c < CPU_SETSIZE; c++)
		if (together ? c == 0 : c != 0)
			CPU_SET(c, &set);
	/* breakpoint stops hand over between tracer and program: one CPU */
	sched_setaffinity(t->pid, sizeof(set), &set);
}

int trace_set_gran(struct trace *t, enum trace_gran g, struct err *e)
{
	struct trace_stepper *s;
	struct dbg *d;
	size_t n;

	if (g == TRACE_GRAN_ALLOC && !t->stp)
		return 0; /* nothing armed: nothing to take out */
	if (!(s = stp_get(t)))
		return err_errno(e, ERR_INTERNAL, ENOMEM, "step");
	if (g >= TRACE_GRAN_MAX)
		return err_set(e, ERR_INPUT, "unknown step granularity %d", (int)g);
	if (g == s->gran)
		return 0;
	d = trace_dbg(t);
	if (s->gran != TRACE_GRAN_ALLOC && d) {
		/* take the old roles out */
		const struct dbg_func *f = dbg_funcs(d, &n);
		for (size_t i = 0; s->gran == TRACE_GRAN_CALL && i < n; i++) {
			role_drop(t, i < s->nfp ? s->fp[i].call : f[i].entry, ROLE_CALL);
			if (i < s->nfp && s->fp[i].exit)
				role_drop(t, s->fp[i].exit, ROLE_EXIT);
		}
		const struct dbg_line *l = dbg_lines(d, &n);
		for (size_t i = 0; s->gran == TRACE_GRAN_LINE && i < n; i++)
			role_drop(t, l[i].addr, ROLE_LINE);
		drop_frames(t, s);
	}
	s->gran = TRACE_GRAN_ALLOC;
	if (g == TRACE_GRAN_ALLOC) {
		pin_together(t, false);
		return 0;
	}
	if (!d || !dbg_has_debuginfo(d)) {
		if (!s->noted)
			trace_note(t, "%s has no debug info: locals unavailable, and --step=%s "
				   "needs it (build with -g); stepping by allocation instead",
				   t->exe[0] ? t->exe : t->path, trace_gran_name(g));
		s->noted = true;
		return 0;
	}
	s->gran = g;
	if (g == TRACE_GRAN_CALL) {
		const struct dbg_func *f = dbg_funcs(d, &n);
		find_points(t, d);
		for (size_t i = 0; i < n; i++) {
			uint64_t c = i < s->nfp ? s->fp[i].call : f[i].entry;
			if (role_add(t, c, ROLE_CALL) != 0 ||
			    (i < s->nfp && s->fp[i].exit && role_add(t, s->fp[i].exit, ROLE_EXIT) != 0))
				return err_errno(e, ERR_INTERNAL, errno, "cannot set a breakpoint on %s",
						 f[i].name);
			if (c != f[i].entry)
				trace_bp_at(t, c)->emu = EMU_MOV_RSP_RBP;
		}
		for (size_t i = 0; i < t->nthr; i++)
			if (t->thr[i].held)
				seed(t, d, t->thr[i].tid);
	} else {
		const struct dbg_line *l = dbg_lines(d, &n);
		for (size_t i = 0; i < n; i++) {
			const struct dbg_func *f = dbg_func_at(d, l[i].addr);
			if (f && f->entry == l[i].addr && f->body != f->entry)
				continue; /* the prologue: gdb stops after it, so do we */
			if (role_add(t, l[i].addr, ROLE_LINE) != 0)
				return err_errno(e, ERR_INTERNAL, errno,
						 "cannot set a breakpoint at %s:%d", l[i].file, l[i].line);
		}
	}
	/* a forked child must not inherit our int3s: see it to clean it */
	for (size_t i = 0; i < t->nthr; i++)
		ptrace(PTRACE_SETOPTIONS, t->thr[i].tid, 0,
		       PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC | PTRACE_O_TRACECLONE |
		       PTRACE_O_TRACEEXIT | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
		       PTRACE_O_TRACEVFORKDONE);
	pin_together(t, true);
	return 0;
}

enum trace_gran trace_gran(const struct trace *t)
{
	return t->stp ? t->stp->gran : TRACE_GRAN_ALLOC;
}

unsigned trace_call_depth(const struct trace *t, pid_t tid)
{
	struct sthread *st;

	if (!t->stp || t->stp->gran != TRACE_GRAN_CALL)
		return 0;
	st = sthread_get(t->stp, tid ? tid : t->pid, false);
	return st ? (unsigned)st->n : 0;
}

bool trace_stepbp_depth_exact(const struct trace *t, uint64_t low)
{
	uint64_t deep;

	if (!t->stp || t->stp->gran != TRACE_GRAN_CALL || !t->stack_sampled_max ||
	    t->stack_sampled_max > t->stack_top)
		return false;
	deep = (t->stack_top - t->stack_sampled_max) & ~UINT64_C(4095);
	return low + 4096 >= deep;
}

int trace_stepbp_exec(struct trace *t, struct err *e)
{
	struct trace_stepper *s = t->stp;
	enum trace_gran g;

	if (!s)
		return 0;
	/* a new address space: the breakpoint table is already empty */
	for (size_t i = 0; i < s->nth; i++)
		free(s->th[i].f);
	s->nth = 0;
	s->fin = s->fin_done = false;
	free(s->fsite);
	free(s->lsite);
	free(s->fp);
	s->fp = NULL;
	s->nfp = 0;
	s->fsite = s->lsite = NULL;
	s->nfsite = s->nlsite = 0;
	g = s->gran;
	s->gran = TRACE_GRAN_ALLOC;
	s->noted = false;
	return trace_set_gran(t, g, e);
}

void trace_stepbp_vfork(struct trace *t, bool done)
{
	static const uint8_t cc = 0xcc;
	struct trace_stepper *s = t->stp;

	if (!s || s->gran == TRACE_GRAN_ALLOC || done != s->lifted)
		return;
	for (size_t i = 0; i < t->nbp; i++) {
		struct trace_bp *b = &t->bp[i];
		if ((b->step || b->sret) && !b->kind && !b->refs)
			trace_mem_write(t, b->addr, done ? &cc : &b->orig, 1);
	}
	s->lifted = !done;
}

void trace_stepbp_free(struct trace *t)
{
	struct trace_stepper *s = t->stp;

	if (!s)
		return;
	for (size_t i = 0; i < s->nth; i++)
		free(s->th[i].f);
	free(s->th);
	free(s->fp);
	free(s->fsite);
	free(s->lsite);
	free(s);
	t->stp = NULL;
}

/* ---- finish ------------------------------------------------------------ */

int trace_finish(struct trace *t, pid_t tid, struct model_event *ev, struct err *e)
{
	struct trace_stepper *s = stp_get(t);
	struct user_regs_struct regs;
	struct dbg_stack st;
	struct dbg *d;
	size_t k;
	unsigned own = 0;
	int r;

	tid = tid ? tid : t->pid;
	if (!s)
		return err_errno(e, ERR_INTERNAL, ENOMEM, "finish");
	if (trace_regs(t, tid, &regs) != 0)
		return err_set(e, ERR_INPUT, "finish: thread %d is not stopped", (int)tid);
	if (!(d = trace_dbg(t)))
		return err_set(e, ERR_INPUT, "finish: no debug information to find the function's end");
	if (dbg_stack(d, tid, &regs, 0, 0, &st, e) != 0)
		return -1;
	for (k = 0; k < st.n && !st.frames[k].own; k++)
		;
	if (k + 1 >= st.n || !st.frames[k].cfa) {
		dbg_stack_free(&st);
		return err_set(e, ERR_INPUT, "finish: not inside a function of the program's own code");
	}
	for (size_t i = k; i < st.n; i++)
		own += st.frames[i].own;
	s->fin = true;
	s->fin_done = false;
	s->fin_tid = tid;
	s->fin_ret = st.frames[k + 1].pc;
	s->fin_sp = st.frames[k].cfa;
	s->fin_site = func_site(t, d, k ? st.frames[k].pc - 1 : st.frames[k].pc);
	s->fin_depth = trace_call_depth(t, tid) ? trace_call_depth(t, tid) : own;
	dbg_stack_free(&st);
	ret_add(t, s->fin_ret);
	for (;;) {
		r = trace_step(t, ev, e);
		if (r != 1) {
			if (s->fin && !t->ended)
				ret_drop(t, s->fin_ret);
			s->fin = s->fin_done = false;
			return r;
		}
		if (s->fin_done && t->qlen == 0) {
			s->fin_done = false;
			return 1;
		}
	}
}
