/* replay_src: a trace file as the screen's source, with the recorded
 * block contents (see replay_src.h). */
#include "cli/replay_src.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/uiframe.h"

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

/* Keeps an event's "frames" text; on no memory the event has none. */
static void keep_frames(struct replay_src *r, size_t event, const char *text, size_t len)
{
	if (r->nfat == r->capfat) {
		size_t nc = r->capfat ? r->capfat * 2 : 256;
		struct replay_frames_at *p = realloc(r->fat, nc * sizeof(*p));
		if (!p) {
			r->fr_oom = true;
			return;
		}
		r->fat = p;
		r->capfat = nc;
	}
	if (r->nftext + len > r->capftext) {
		size_t nc = r->capftext ? r->capftext : 1 << 16;
		char *p;
		while (nc < r->nftext + len)
			nc *= 2;
		if (!(p = realloc(r->ftext, nc))) {
			r->fr_oom = true;
			return;
		}
		r->ftext = p;
		r->capftext = nc;
	}
	memcpy(r->ftext + r->nftext, text, len);
	r->fat[r->nfat++] = (struct replay_frames_at){ event, r->nftext, len };
	r->nftext += len;
}

/* ui_source.frames: the frames recorded at `event`, if any. */
static int recorded_frames(void *ctx, struct ui_frame *f, int max, size_t event)
{
	struct replay_src *r = ctx;
	size_t lo = 0, hi = r->nfat;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->fat[mid].event < event)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == r->nfat || r->fat[lo].event != event)
		return 0;
	return uiframe_from_json(r->ftext + r->fat[lo].off, r->fat[lo].len, f, max);
}

static void on_line(void *arg, const struct out_line_extra *x)
{
	struct replay_src *r = arg;
	struct err e = { 0 };

	if (x->frames && x->nframes)
		keep_frames(r, model_event_count(r->m) - 1, x->frames, x->nframes);

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
	if (r->nfat) {
		r->src.frames = recorded_frames;
		r->src.frames_recorded = true;
	}
	return rc;
}

void replay_src_close(struct replay_src *r)
{
	out_bytes_free(r->tbl);
	model_free(r->m);
	free(r->fat);
	free(r->ftext);
	r->fat = NULL;
	r->ftext = NULL;
	r->tbl = NULL;
	r->m = NULL;
}
