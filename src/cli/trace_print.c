/* trace_print: the glue between the tracer's on_event callback and the
 * out/ printers: the text log and summary, or JSON Lines (schema in
 * memlens(1)); the tracer's notes go to stderr before the summary. */
#include "cli/trace_print.h"

#include <stdlib.h>

#include "elf/elfmap.h"
#include "dbg/dbg.h"
#include "dbg/label.h"
#include "out/out.h"
#include "trace/trace_step.h"

static void layout_cb(struct json *j, const void *arg)
{
	elfmap_write_json(j, arg);
}

void trace_print_start(struct trace_print *p, struct model *m)
{
	struct out_start s = { 0 };
	int argc = 0;

	(void)m;
	if (!p->json || p->quiet)
		return;
	while (p->argv[argc])
		argc++;
	s.program = p->argv[0];
	s.argv = p->argv;
	s.argc = argc;
	/* the allocator that ran: a static binary's own is glibc's */
	s.alloc = p->alloc == TRACE_ALLOC_LIBC || !trace_shim_loaded(p->trace) ? "libc" : "teach";
	s.aslr = p->aslr;
	s.mode = p->stepping ? "step" : "run";
	s.bytes = p->bytes;
	if (trace_elf(p->trace)) {
		s.layout = layout_cb;
		s.layout_arg = trace_elf(p->trace);
	}
	out_json_start(p->f, &s);
}

/* The stack of the event's thread, when the program waits at the event
 * (n = 0 otherwise: the process ended, or another thread's event). */
static void event_stack(struct trace_print *p, const struct model_event *ev, struct dbg_stack *st)
{
	struct err e = { 0 };

	if (ev->type == MEV_EXIT || trace_ended(p->trace) ||
	    trace_frames(p->trace, ev->tid, DBG_LOCALS, 0, st, &e) != 0)
		st->n = 0;
}

static void frames_cb(struct json *j, void *arg)
{
	dbg_json_frames(j, arg);
}

/* Text: one line per frame, then its locals, pointers with their label. */
static void frames_text(FILE *f, const struct dbg_stack *st)
{
	char lab[128];

	for (size_t i = 0; i < st->n; i++) {
		const struct dbg_frame *fr = &st->frames[i];
		fprintf(f, "      frame #%zu %s", i, fr->func ? fr->func : "??");
		if (fr->file)
			fprintf(f, " (%s:%d)", fr->file, fr->line);
		else if (fr->object)
			fprintf(f, " (%s)", fr->object);
		fprintf(f, ", %llu bytes%s%s\n", (unsigned long long)fr->size,
			fr->note ? ": " : "", fr->note ? fr->note : "");
		for (size_t k = 0; k < fr->nlocals; k++) {
			const struct dbg_local *l = &fr->locals[k];
			fprintf(f, "        %s %s = %s", l->type ? l->type : "?", l->name, l->value);
			if (l->is_ptr && l->label.kind) {
				dbg_label_str(&l->label, lab, sizeof(lab));
				fprintf(f, "  -> %s", lab);
			}
			fputc('\n', f);
		}
	}
}

/* An event with --frames or --bytes: its stack, its block contents. */
static __attribute__((noinline)) void event_with_extras(struct trace_print *p, struct model *m,
							 const struct model_event *ev)
{
	struct dbg_stack st = { 0 };

	if (p->frames)
		event_stack(p, ev, &st);
	if (p->json && p->bytes && trace_print_json_bytes(p, m, ev, p->frames ? &st : NULL))
		; /* written with the block contents */
	else if (p->json && p->frames)
		out_json_event_extra(p->f, m, ev, frames_cb, &st);
	else if (p->json)
		out_json_event(p->f, m, ev);
	else
		out_text_event(p->f, m, ev, model_event_count(m) - 1);
	if (!p->json && p->frames)
		frames_text(p->f, &st);
	dbg_stack_free(&st);
}

void trace_print_event(void *ctx, struct model *m, const struct model_event *ev)
{
	struct trace_print *p = ctx;

	if (p->quiet)
		return;
	if (p->frames || p->bytes)
		event_with_extras(p, m, ev);
	else if (p->json) /* the hot path of run mode: nothing to unwind */
		out_json_event(p->f, m, ev);
	else
		out_text_event(p->f, m, ev, model_event_count(m) - 1);
}

void trace_print_summary(struct trace_print *p, struct model *m)
{
	size_t nn = 0;
	const char *const *notes = trace_notes(p->trace, &nn);

	fflush(p->f);
	for (size_t i = 0; i < nn; i++)
		fprintf(stderr, "memlens: note: %s\n", notes[i]);
	if (p->json)
		out_json_summary(p->f, m);
	else
		out_text_summary(p->f, m);
	fflush(p->f);
}
