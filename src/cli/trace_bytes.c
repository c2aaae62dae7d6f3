/* trace_bytes: `trace --bytes --json`: an event line with the block
 * contents the tracer recorded: "bytes" on a free or realloc that released
 * a block (the shim's copy, taken just before the call), "contents" on the
 * exit line (the live blocks, read at the exit stop). */
#include <stdlib.h>
#include <string.h>

#include "cli/trace_print.h"
#include "dbg/dbg.h"
#include "out/out.h"

struct bytes_line {
	const struct dbg_stack *st;   /* --frames, or NULL */
	const unsigned char *b;
	size_t nb;
	const struct out_content *c;
	size_t nc, more;
	bool exit;
};

static void bytes_cb(struct json *j, void *arg)
{
	const struct bytes_line *x = arg;

	if (x->st)
		dbg_json_frames(j, x->st);
	out_json_bytes(j, x->b, x->nb);
	if (x->exit)
		out_json_contents(j, x->c, x->nc, x->more);
}

bool trace_print_json_bytes(struct trace_print *p, struct model *m, const struct model_event *ev,
			    const struct dbg_stack *st)
{
	struct bytes_line x = { .st = st };
	struct out_content *c = NULL;
	const struct trace_content *tc;

	if (ev->type == MEV_FREE || ev->type == MEV_REALLOC || ev->type == MEV_REALLOCARRAY) {
		x.nb = trace_event_bytes(p->trace, &x.b);
		if (!x.nb)
			return false;
	} else if (ev->type == MEV_EXIT) {
		tc = trace_exit_contents(p->trace, &x.nc, &x.more);
		if (!tc)
			return false; /* not read: the program was killed first */
		x.exit = true;
		if (x.nc && !(c = malloc(x.nc * sizeof(*c)))) {
			x.more += x.nc; /* out of memory: said as blocks left out */
			x.nc = 0;
		}
		for (size_t i = 0; i < x.nc; i++) {
			c[i].addr = tc[i].addr;
			c[i].n = tc[i].n < OUT_BYTES_MAX ? tc[i].n : OUT_BYTES_MAX;
			memcpy(c[i].b, tc[i].b, c[i].n);
		}
		x.c = c;
	} else {
		return false;
	}
	out_json_event_extra(p->f, m, ev, bytes_cb, &x);
	free(c);
	return true;
}
