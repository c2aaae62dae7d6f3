/* fuzz_trace: libFuzzer target for the trace-file reader.  Any input must
 * end in success or a clear error, never a crash, a leak or a hang; what
 * is read is also written again and walked back through the history, and
 * recorded block contents (trace --bytes) go into replay's side table. */
#include <stdint.h>
#include <stdio.h>

#include "model/model.h"
#include "out/out.h"

struct ctx {
	FILE *out;
	struct model *m;
	struct out_bytes *tbl;
	const struct out_line_extra *x;
};

static void extra(struct json *j, void *arg)
{
	const struct out_line_extra *x = arg;

	out_json_bytes(j, x->bytes, x->nbytes);
	if (x->has_contents)
		out_json_contents(j, x->contents, x->ncontents, x->contents_more);
}

static void on_line(void *arg, const struct out_line_extra *x)
{
	struct ctx *c = arg;
	struct err e = { 0 };

	c->x = x;
	out_bytes_add_line(c->tbl, c->m, model_event_count(c->m) - 1, x, &e);
}

static int on_event(void *arg, const struct model *m, const struct model_event *ev, size_t idx,
		    struct err *e)
{
	struct ctx *c = arg;
	struct out_bytes_rec r;

	(void)e;
	out_json_event_extra(c->out, m, ev, extra, (void *)c->x);
	out_text_event(c->out, m, ev, idx);
	out_bytes_find(c->tbl, model_event_released(m, idx), &r);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model_opts o = { .keep_history = true, .teach = true };
	struct model *m = model_new(&o);
	FILE *in = fmemopen((void *)data, size, "r"), *out = fopen("/dev/null", "w");
	struct ctx c = { out, m, out_bytes_new(), NULL };
	struct out_reader_cb cb = { NULL, on_event, &c };
	struct err e = { 0 };

	if (m && in && out && c.tbl && out_trace_read_extra(in, "fuzz", m, &cb, on_line, &e) == 0) {
		size_t n = model_event_count(m), nb;
		model_seek(m, n / 2, &e);
		model_blocks(m, &nb);
		model_seek(m, 0, &e);
		model_seek(m, n, &e);
		out_text_summary(out, m);
		out_json_summary(out, m);
	}
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	out_bytes_free(c.tbl);
	model_free(m);
	return 0;
}
