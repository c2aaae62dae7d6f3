/* stepctl: arming --step=call|line (where each function's breakpoints go,
 * learning the frames already on a stack), switching granularity at a
 * stop, exec and vfork, and "finish" (trace_step.h). */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include "trace/step_int.h"

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

/* ---- arming ------------------------------------------------------------ */

static void drop_frames(struct trace *t, struct trace_stepper *s)
{
	for (size_t i = 0; i < s->nth; i++) {
		for (size_t k = 0; k < s->th[i].n; k++)
			trace_sb_ret_drop(t, s->th[i].f[k].ret);
		s->th[i].n = 0;
	}
}

/* Learns the own frames already on a held thread's stack (outermost
 * first), so their returns are seen and depths count them. */
static void seed(struct trace *t, struct dbg *d, pid_t tid)
{
	struct sthread *th = trace_sb_thread(t->stp, tid, true);
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
		sf.site = trace_sb_func_site(t, d, k ? f->pc - 1 : f->pc);
		sf.retbp = true;
		if (trace_sb_push(th, &sf) == 0)
			trace_sb_ret_add(t, sf.ret);
	}
	dbg_stack_free(&st);
}

/* Run mode with breakpoint stops: the program joins the tracer's CPU (the
 * stops hand over between them), and goes back to the others after. */
static void pin_together(struct trace *t, bool together)
{
	cpu_set_t set;

	if (t->o.step || t->tracer_cpu < 0)
		return; /* step mode has them on one CPU already; not split */
	if (together) {
		CPU_ZERO(&set);
		CPU_SET(t->tracer_cpu, &set);
	} else {
		set = t->affinity;
		CPU_CLR(t->tracer_cpu, &set);
	}
	sched_setaffinity(t->pid, sizeof(set), &set);
}

int trace_set_gran(struct trace *t, enum trace_gran g, struct err *e)
{
	struct trace_stepper *s;
	struct dbg *d;
	size_t n;

	if (g == TRACE_GRAN_ALLOC && !t->stp)
		return 0; /* nothing armed: nothing to take out */
	if (!(s = trace_sb_get(t)))
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
			trace_sb_role_drop(t, i < s->nfp ? s->fp[i].call : f[i].entry, ROLE_CALL);
			if (i < s->nfp && s->fp[i].exit)
				trace_sb_role_drop(t, s->fp[i].exit, ROLE_EXIT);
		}
		const struct dbg_line *l = dbg_lines(d, &n);
		for (size_t i = 0; s->gran == TRACE_GRAN_LINE && i < n; i++)
			trace_sb_role_drop(t, l[i].addr, ROLE_LINE);
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
			if (trace_sb_role_add(t, c, ROLE_CALL) != 0 ||
			    (i < s->nfp && s->fp[i].exit && trace_sb_role_add(t, s->fp[i].exit, ROLE_EXIT) != 0))
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
			if (trace_sb_role_add(t, l[i].addr, ROLE_LINE) != 0)
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
	st = trace_sb_thread(t->stp, tid ? tid : t->pid, false);
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
	struct trace_stepper *s = trace_sb_get(t);
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
	s->fin_site = trace_sb_func_site(t, d, k ? st.frames[k].pc - 1 : st.frames[k].pc);
	s->fin_depth = trace_call_depth(t, tid) ? trace_call_depth(t, tid) : own;
	dbg_stack_free(&st);
	trace_sb_ret_add(t, s->fin_ret);
	for (;;) {
		r = trace_step(t, ev, e);
		if (r != 1) {
			if (s->fin && !t->ended)
				trace_sb_ret_drop(t, s->fin_ret);
			s->fin = s->fin_done = false;
			return r;
		}
		if (s->fin_done && t->qlen == 0) {
			s->fin_done = false;
			return 1;
		}
	}
}
