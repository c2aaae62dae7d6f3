/* vscreen: reading a curses virtual screen (newterm on /dev/null) back as
 * text, for the screen tests. */
#ifndef MEMLENS_TESTS_VSCREEN_H
#define MEMLENS_TESTS_VSCREEN_H

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies stdscr into `buf` (at least rows*(cols+1)+1 bytes), one line per
 * row; with MEMLENS_UI_DUMP set, also prints it (labelled with event
 * `cur`) on stderr.  Returns `buf`. */
static inline const char *vs_read(char *buf, size_t cur)
{
	int rows, cols;
	char *p = buf;

	getmaxyx(stdscr, rows, cols);
	for (int y = 0; y < rows; y++) {
		mvinnstr(y, 0, p, cols);
		p += strlen(p);
		*p++ = '\n';
	}
	*p = '\0';
	if (getenv("MEMLENS_UI_DUMP"))
		fprintf(stderr, "---- event %zu (%dx%d)\n%s", cur, cols, rows, buf);
	return buf;
}

#endif
