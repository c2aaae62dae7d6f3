/* trace_step: stepping by call and by line (--step=call|line), "finish",
 * and the frames of a stopped thread, on top of trace.h.  Breakpoints go
 * at the addresses the debug info gives for the program's own code only
 * (dbg_funcs, dbg_lines); library code runs at full speed and nothing is
 * ever single-stepped but the one instruction under a breakpoint.
 *
 * Events the breakpoints produce (applied to the model like the others):
 *   MEV_CALL    entry to an own function: args[0] = depth (own frames on
 *               this thread's stack, this one included), args[1] = entry
 *               pc, site = the function (its first line), sp/stack_depth
 *               at the entry;
 *   MEV_RETURN  its return: args[0] = the depth it had, args[1] = the
 *               return address, result = rax, site = the function; one per
 *               call (frames left by longjmp return together);
 *   MEV_LINE    a new source line: args[0] = depth when known (call
 *               tracking active), else 0, args[1] = pc, site = the line. */
#ifndef MEMLENS_TRACE_TRACE_STEP_H
#define MEMLENS_TRACE_TRACE_STEP_H

#include "dbg/dbg.h"
#include "trace/trace.h"

enum trace_gran {
	TRACE_GRAN_ALLOC = 0, /* a stop per allocator event (the default) */
	TRACE_GRAN_CALL,      /* also at each own function's entry and return */
	TRACE_GRAN_LINE,      /* also at each own source line */
	TRACE_GRAN_MAX
};

/* "alloc", "call", "line"; trace_gran_parse gives -1 when unknown. */
const char *trace_gran_name(enum trace_gran g);
int trace_gran_parse(const char *s);

/* Sets the granularity; callable right after trace_start and at any stop
 * (the screen cycles it).  Places or removes the breakpoints; switching to
 * call at a stop learns the frames already on the held threads' stacks, so
 * their returns are seen and depths are right.  Without debug info for the
 * program the granularity stays alloc and a note says so ("no debug info:
 * locals unavailable"); that is not an error.  Returns 0, -1 with `e`. */
int trace_set_gran(struct trace *t, enum trace_gran g, struct err *e);
enum trace_gran trace_gran(const struct trace *t);

/* Step mode: runs thread `tid` (0: the main thread, which must be held)
 * to the return of the innermost function of the program's own code it
 * is in, applying every event on the way (on_event is called for each, as
 * trace_step does).  The last event, the MEV_RETURN, is copied to *ev.
 * Returns 1, 0 when the program ended first, -1 on failure. */
int trace_finish(struct trace *t, pid_t tid, struct model_event *ev, struct err *e);

/* Own frames on thread `tid`'s stack as call tracking counts them (0 when
 * not tracking calls). */
unsigned trace_call_depth(const struct trace *t, pid_t tid);

/* The stack of held thread `tid` (0: main), innermost first, with
 * DBG_LOCALS when asked and every pointer labelled against the model
 * (dbg_label_stack).  The tracer's own frames (the shim's trap inside
 * malloc) are left out: frame 0 is where the program is.  At most
 * `max_frames` (0: 1024).  Free with dbg_stack_free.  Returns 0, or -1 with
 * `e` (not held, no debug info handle). */
int trace_frames(struct trace *t, pid_t tid, unsigned flags, size_t max_frames,
		 struct dbg_stack *st, struct err *e);

#endif
