/* textfit: fitting a line of text into a number of cells, in plain C.
 * Nothing on the screen is cut silently: a line too long for its cells
 * loses its end to a marker ("…" in UTF-8 mode, "~" in ASCII mode). */
#ifndef MEMLENS_UI_TEXTFIT_H
#define MEMLENS_UI_TEXTFIT_H

#include <stdbool.h>
#include <stddef.h>

/* Cells `s` takes: one per valid UTF-8 sequence when utf8, else one per
 * byte (a byte that is not printable ASCII shows as one '?'). */
int textfit_cols(const char *s, bool utf8);

/* How much of `s` to draw in `w` cells: returns the number of bytes to
 * draw; *cut is set when `s` does not fit, and then the bytes returned
 * take w-1 cells, leaving the last cell for the marker. */
size_t textfit_cut(const char *s, int w, bool utf8, bool *cut);

/* Length of the valid UTF-8 sequence of two or more bytes at s, or 0. */
size_t textfit_seq(const char *s);

/* The marker that ends a cut line: "…" (UTF-8) or "~" (ASCII). */
const char *textfit_marker(bool utf8);

/* Copies `s` into buf (len bytes) fitted into `w` cells, with the marker
 * when cut.  Returns the number of cells written. */
int textfit(const char *s, int w, bool utf8, char *buf, size_t len);

#endif
