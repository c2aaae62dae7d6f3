/* trace_print: the glue between the tracer's on_event callback and the
 * out/ printers: the text log and summary, or JSON Lines (schema in
 * memlens(1)); the tracer's notes go to stderr before the summary. */
#include "cli/trace_print.h"

#include <stdlib.h>

#include "elf/elfmap.h"
#include "out/out.h"

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
	s.alloc = p->alloc == TRACE_ALLOC_LIBC ? "libc" : "teach";
	s.aslr = p->aslr;
	s.mode = "run";
	if (trace_elf(p->trace)) {
		s.layout = layout_cb;
		s.layout_arg = trace_elf(p->trace);
	}
	out_json_start(p->f, &s);
}

void trace_print_event(void *ctx, struct model *m, const struct model_event *ev)
{
	struct trace_print *p = ctx;

	if (p->quiet)
		return;
	if (p->json)
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
