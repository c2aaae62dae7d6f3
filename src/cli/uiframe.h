/* uiframe: the screen's frames and locals (ui_frame, ui_local) from the
 * tracer's (dbg_frame, dbg_local) on a live run, and from the "frames" a
 * trace file recorded (trace --frames) on a replay. */
#ifndef MEMLENS_CLI_UIFRAME_H
#define MEMLENS_CLI_UIFRAME_H

#include <stddef.h>
#include <stdint.h>

#include "dbg/dbg.h"
#include "ui/ui.h"

/* The screen's kind of pointer target for a dbg_pt_kind. */
enum ui_pt uiframe_pt_kind(uint8_t dbg_kind);

/* Copies one local (strings cut to the screen's fields). */
void uiframe_local_from_dbg(struct ui_local *u, const struct dbg_local *l);

/* Fills f[0..max) from the JSON text of a "frames" array as
 * dbg_json_frames writes it; returns the number of frames, or -1 when the
 * text is not such an array.  Locals past UI_LOCALS_MAX are counted in
 * `more`. */
int uiframe_from_json(const char *text, size_t len, struct ui_frame *f, int max);

#endif
