/* fuzz_trace: libFuzzer target for the trace-file reader.  Any input must
 * end in success or a clear error, never a crash, a leak or a hang; what
 * is read is also written again and walked back through the history. */
#include <stdint.h>
#include <stdio.h>

#include "model/model.h"
#include "out/out.h"

static int on_event(void *arg, const struct model *m, const struct model_event *ev, size_t idx,
		    struct err *e)
{
	(void)idx;
	(void)e;
	out_json_event(arg, m, ev);
	out_text_event(arg, m, ev, idx);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model_opts o = { .keep_history = true, .teach = true };
	struct model *m = model_new(&o);
	FILE *in = fmemopen((void *)data, size, "r"), *out = fopen("/dev/null", "w");
	struct out_reader_cb cb = { NULL, on_event, out };
	struct err e = { 0 };

	if (m && in && out && out_trace_read(in, "fuzz", m, &cb, &e) == 0) {
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
	model_free(m);
	return 0;
}
