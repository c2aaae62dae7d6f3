/* stepbp: a stop at a --step breakpoint into call, return and line events
 * (trace_step.h).  Roles on the tracer's breakpoint table (bkpt.c): CALL
 * at own function entries, EXIT at a function's one `ret`, LINE at own
 * line starts, a return role at return addresses counted per frame waiting
 * on it.  A shadow stack per thread matches a return by stack pointer, so
 * recursion and other threads' returns through the same address are told
 * apart.  The instruction under the breakpoint is emulated when it is one
 * of the few a function starts or ends with, else stepped over. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>

#include "trace/step_int.h"

struct trace_stepper *trace_sb_get(struct trace *t)
{
	if (!t->stp)
		t->stp = calloc(1, sizeof(*t->stp));
	return t->stp;
}

struct sthread *trace_sb_thread(struct trace_stepper *s, pid_t tid, bool add)
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

int trace_sb_push(struct sthread *st, const struct sframe *f)
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

int trace_sb_role_add(struct trace *t, uint64_t a, uint8_t role)
{
	struct trace_bp *b = trace_bp_at(t, a);

	if (!b && !(b = trace_bp_add(t, a, 0)))
		return -1;
	b->step |= role;
	return 0;
}

void trace_sb_role_drop(struct trace *t, uint64_t a, uint8_t role)
{
	struct trace_bp *b = trace_bp_at(t, a);

	if (b) {
		b->step &= (uint8_t)~role;
		maybe_del(t, b);
	}
}

void trace_sb_ret_add(struct trace *t, uint64_t a)
{
	struct trace_bp *b = trace_bp_at(t, a);

	if (a && (b || (b = trace_bp_add(t, a, 0))))
		b->sret++;
}

void trace_sb_ret_drop(struct trace *t, uint64_t a)
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
uint32_t trace_sb_func_site(struct trace *t, struct dbg *d, uint64_t pc)
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
			trace_sb_ret_drop(t, f.ret);
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
	struct sthread *st = trace_sb_thread(s, tid, false);
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
		trace_sb_ret_drop(t, a);
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

/* At a function's `ret`: the frame whose CFA is rsp + 8 returns. */
static int on_exit_insn(struct trace *t, pid_t tid, const struct user_regs_struct *r,
			uint64_t *retp, int *nemit, struct err *e)
{
	struct trace_stepper *s = t->stp;
	struct sthread *st = trace_sb_thread(s, tid, false);
	uint64_t ret = 0;

	if (trace_mem_read(t, r->rsp, &ret, 8) != 0)
		ret = 0;
	*retp = ret; /* the `ret` about to run goes there */
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
		trace_sb_ret_drop(t, s->fin_ret);
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
	struct sthread *st = trace_sb_thread(t->stp, tid, true);
	struct sframe f;
	size_t keep;

	if (!st)
		return err_errno(e, ERR_INTERNAL, ENOMEM, "step");
	/* frames left without a return (longjmp): a live caller's CFA lies
	 * above the new frame's (rsp + 8); one at or below it is dead */
	for (keep = st->n; keep > 0 && st->f[keep - 1].sp <= rsp + 8; keep--)
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
	f.site = trace_sb_func_site(t, d, a);
	if (trace_sb_push(st, &f) != 0)
		return err_errno(e, ERR_INTERNAL, ENOMEM, "step");
	if (f.retbp)
		trace_sb_ret_add(t, f.ret);
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
		    uint8_t orig, uint8_t emu, uint64_t known_ret)
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
		/* ret (to known_ret when the caller read [rsp] already) */
		if (!(rip = known_ret) && trace_mem_read(t, r->rsp, &rip, 8) != 0)
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
	uint64_t known_ret = 0;
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
	    on_exit_insn(t, tid, regs, &known_ret, &nemit, e) != 0)
		return -1;
	if ((roles & ROLE_CALL) && s->gran == TRACE_GRAN_CALL &&
	    on_call(t, d, tid, a, regs, &nemit, e) != 0)
		return -1;
	if ((roles & ROLE_LINE) && s->gran == TRACE_GRAN_LINE) {
		struct sthread *st = trace_sb_thread(s, tid, false);
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
	} else if (!emulate(t, tid, regs, a, b->orig, b->emu, known_ret)) {
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

