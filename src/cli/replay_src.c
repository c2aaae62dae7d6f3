/* replay_src: a trace file as the screen's source, with the recorded
 * block contents (see replay_src.h). */
#include "cli/replay_src.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int recorded_bytes(void *ctx, const struct model_block *b, struct ui_bytes *out)
{
	struct replay_src *r = ctx;
	struct out_bytes_rec rec;

	if (!out_bytes_recorded(r->tbl))
		return -1;
	if (!out_bytes_find(r->tbl, b->id, &rec))
		return 0;
	out->when = rec.when == OUT_BYTES_EXIT ? UI_BYTES_EXIT : UI_BYTES_RELEASE;
	out->event = rec.event;
	out->n = rec.n < sizeof(out->b) ? rec.n : sizeof(out->b);
	memcpy(out->b, rec.b, out->n);
	return 1;
}

static int on_start(void *arg, const struct out_trace_start *s, struct err *e)
{
	struct replay_src *r = arg;

	(void)e;
	out_bytes_set_recorded(r->tbl, s->bytes);
	return 0;
}

static void on_line(void *arg, const struct out_line_extra *x)
{
	struct replay_src *r = arg;
	struct err e = { 0 };

	/* out of memory here only loses bytes, which the details then call
	 * not recorded */
	if (x->nbytes || x->ncontents)
		out_bytes_add_line(r->tbl, r->m, model_event_count(r->m) - 1, x, &e);
}

int replay_src_open(struct replay_src *r, const char *path, struct err *e)
{
	struct model_opts mo = { .keep_history = true, .teach = true };
	struct out_reader_cb cb = { on_start, NULL, r };
	FILE *f;
	int rc;

	memset(r, 0, sizeof(*r));
	r->src = (struct ui_source){ .ctx = r, .poll_fd = -1, .out_fd = -1, .recorded = recorded_bytes };
	r->m = model_new(&mo);
	r->tbl = out_bytes_new();
	if (!r->m || !r->tbl)
		return err_set(e, ERR_INTERNAL, "out of memory");
	if (!(f = fopen(path, "r")))
		return err_errno(e, ERR_INPUT, errno, "%s", path);
	rc = out_trace_read_extra(f, path, r->m, &cb, on_line, e);
	fclose(f);
	return rc;
}

void replay_src_close(struct replay_src *r)
{
	out_bytes_free(r->tbl);
	model_free(r->m);
	r->tbl = NULL;
	r->m = NULL;
}
