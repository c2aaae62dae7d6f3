/* outbuf: the program's output as the screen shows it, in plain C: bytes
 * read from the program's pty are split into lines (CR LF, CR, backspace
 * and ANSI escape sequences handled so they cannot garble the screen), and
 * the last OUTBUF_LINES lines are kept. */
#ifndef MEMLENS_UI_OUTBUF_H
#define MEMLENS_UI_OUTBUF_H

#include <stddef.h>

#define OUTBUF_LINES 2000
#define OUTBUF_WIDTH 240

struct outbuf {
	char line[OUTBUF_LINES][OUTBUF_WIDTH + 1];
	size_t first;     /* oldest line kept (ring index) */
	size_t count;     /* lines kept, the last one being written */
	size_t total;     /* lines ever started */
	int esc;          /* inside an escape sequence: 1 after ESC, 2 in CSI */
};

void outbuf_init(struct outbuf *o);
/* Appends program output. */
void outbuf_add(struct outbuf *o, const char *buf, size_t n);
/* Line i counted from the oldest kept (0 .. outbuf_count-1). */
const char *outbuf_line(const struct outbuf *o, size_t i);
/* Lines kept; the last one may be partial (no newline yet). */
size_t outbuf_count(const struct outbuf *o);

#endif
