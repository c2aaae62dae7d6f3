/* trace_print: what `memlens trace` writes: the start record, one line per
 * event and the summary, as text or JSON Lines, from the model.  The glue
 * between the tracer's on_event callback and the output format. */
#ifndef MEMLENS_CLI_TRACE_PRINT_H
#define MEMLENS_CLI_TRACE_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include "model/model.h"
#include "trace/trace.h"

struct trace_print {
	FILE *f;
	bool json, quiet, aslr;
	bool frames;            /* --frames: each event's stack (trace_frames) */
	bool stepping;          /* step mode: the program waits at each event */
	bool bytes;             /* --bytes: block contents at frees and at exit */
	enum trace_alloc alloc;
	char *const *argv;
	struct trace *trace;
};

/* The first record: the program, the options, the layout (JSON only). */
void trace_print_start(struct trace_print *p, struct model *m);
/* A trace_event_fn: one line per event (nothing with quiet). */
void trace_print_event(void *ctx, struct model *m, const struct model_event *ev);
struct dbg_stack;
/* --bytes --json (trace_bytes.c): writes event `ev` with the block
 * contents the tracer recorded for it (and its frames when `st`); false,
 * writing nothing, when the event has none. */
bool trace_print_json_bytes(struct trace_print *p, struct model *m, const struct model_event *ev,
			    const struct dbg_stack *st);
/* Notes, then the summary. */
void trace_print_summary(struct trace_print *p, struct model *m);

#endif
