/* frames: the stack of a stopped thread for --frames and the screen
 * (dbg_stack, pointers labelled against the model), and what a crash
 * says about where it happened: the function, and for a stack overflow
 * how deep the recursion went. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dbg/dbg.h"
#include "dbg/label.h"
#include "trace/trace_int.h"
#include "trace/trace_step.h"
#include "util/fmt.h"

static int read_cb(void *ctx, uint64_t addr, void *buf, size_t n)
{
	return trace_mem_read(ctx, addr, buf, n);
}

static int static_cb(void *ctx, uint64_t addr, struct dbg_static *out)
{
	return dbg_static_lookup(ctx, addr, out);
}

static bool is_shim(const char *object)
{
	return object && strstr(object, "memlens-shim") != NULL;
}

/* Notes once per trace what the debug info cannot give. */
static void note_once(struct trace *t, const char *what)
{
	for (size_t i = 0; i < t->nnotes; i++)
		if (strstr(t->notes[i], what))
			return;
	trace_note(t, "%s: %s", t->exe[0] ? t->exe : t->path, what);
}

int trace_frames(struct trace *t, pid_t tid, unsigned flags, size_t max_frames,
		 struct dbg_stack *st, struct err *e)
{
	struct user_regs_struct regs;
	struct dbg_label_ctx c;
	struct dbg *d;
	size_t drop = 0;

	memset(st, 0, sizeof(*st));
	tid = tid ? tid : t->pid;
	if (trace_regs(t, tid, &regs) != 0)
		return err_set(e, ERR_INPUT, "thread %d is not stopped: no frames to read", (int)tid);
	if (!(d = trace_dbg(t)))
		return err_set(e, ERR_INPUT, "the program's debug information cannot be opened");
	if (dbg_stack(d, tid, &regs, flags, max_frames, st, e) != 0)
		return -1;
	/* the shim's trap inside malloc is ours, not the program's */
	while (drop + 1 < st->n && is_shim(st->frames[drop].object))
		free(st->frames[drop++].locals);
	if (drop) {
		memmove(st->frames, st->frames + drop, (st->n - drop) * sizeof(*st->frames));
		st->n -= drop;
	}
	if (!dbg_has_debuginfo(d))
		note_once(t, "no debug info: locals unavailable");
	/* an optimised build's note (frames with DWARF; crt's _start has none) */
	for (size_t i = 0; i < st->n; i++)
		if (st->frames[i].own && st->frames[i].file && st->frames[i].note) {
			note_once(t, st->frames[i].note);
			break;
		}
	memset(&c, 0, sizeof(c));
	dbg_label_use_model(&c, t->m);
	c.stack = st;
	c.lookup = static_cb;
	c.lookup_ctx = d;
	c.read = read_cb;
	c.read_ctx = t;
	dbg_label_stack(&c, st);
	return 0;
}

/* True when the fault looks like running off the end of a stack: close to
 * the stack pointer and not in writable memory (the guard, or nothing). */
static bool overflow(const struct trace *t, uint64_t fault, uint64_t sp)
{
	uint64_t dist = fault > sp ? fault - sp : sp - fault;

	if (dist > 65536)
		return false;
	for (size_t i = 0; i < t->nregs; i++)
		if (fault >= t->regs[i].start && fault < t->regs[i].end)
			return t->regs[i].perms[1] != 'w';
	return true;
}

void trace_crash_note(struct trace *t, pid_t tid, const struct user_regs_struct *regs,
		      struct model_event *ev)
{
	struct dbg *d = trace_dbg(t);
	struct dbg_stack st;
	struct err ee = { 0 };
	const struct dbg_func *f = d ? dbg_func_at(d, regs->rip) : NULL;
	char sz[FMT_SIZE_LEN];
	size_t own = 0;

	if (f) {
		/* the faulting instruction itself (no return-address -1) */
		struct model_site s;
		memset(&s, 0, sizeof(s));
		if (dbg_symbolize_pc(d, regs->rip, &s) == 0)
			ev->site = model_site_intern(t->m, &s);
	} else {
		ev->site = trace_site_of(t, regs->rip + 1);
	}
	if (!d || !overflow(t, ev->aux, regs->rsp))
		return;
	/* a stack overflow: how deep, and in what */
	if (dbg_stack(d, tid, regs, 0, (size_t)1 << 20, &st, &ee) != 0)
		return;
	for (size_t i = 0; i < st.n; i++)
		own += st.frames[i].own;
	const char *fn = f ? f->name : (st.n && st.frames[0].func ? st.frames[0].func : "?");
	trace_note(t, "stack overflow in %s() at a depth of %zu frames (%zu of the program's own), "
		   "%s of stack: a recursion that does not end, or locals too big for the stack",
		   fn, st.n, own, fmt_size(sz, trace_stack_depth(t, tid, regs->rsp)));
	dbg_stack_free(&st);
}
