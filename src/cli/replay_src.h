/* replay_src: the interactive replay's source: a trace file read into a
 * model that keeps its history, with the block contents the trace recorded
 * (trace --bytes) in a side table by block, handed to the screen's block
 * details through ui_source.recorded.  No program runs. */
#ifndef MEMLENS_CLI_REPLAY_SRC_H
#define MEMLENS_CLI_REPLAY_SRC_H

#include "model/model.h"
#include "out/out.h"
#include "ui/ui.h"
#include "util/err.h"

/* The "frames" text a trace recorded (trace --frames) for one event. */
struct replay_frames_at {
	size_t event;           /* index in the model's history */
	size_t off, len;        /* in replay_src.ftext */
};

struct replay_src {
	struct model *m;        /* owned */
	struct out_bytes *tbl;  /* owned */
	struct ui_source src;   /* ctx = this struct */
	/* recorded frames, by event (ascending), their JSON text in ftext */
	struct replay_frames_at *fat;
	size_t nfat, capfat;
	char *ftext;
	size_t nftext, capftext;
	bool fr_oom;            /* some frames were lost to memory */
};

/* Reads `path` (messages name it) into r->m and r->tbl and fills r->src;
 * when the trace recorded frames (trace --frames), r->src.frames gives
 * them at any event that has them (src.frames_recorded).
 * 0, or -1 with `e` filled; replay_src_close in either case. */
int replay_src_open(struct replay_src *r, const char *path, struct err *e);
void replay_src_close(struct replay_src *r);

#endif
