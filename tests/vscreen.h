/* vscreen: a curses virtual screen (newterm on /dev/null) for the screen
 * tests: opening and closing one, and reading it back as text. */
#ifndef MEMLENS_TESTS_VSCREEN_H
#define MEMLENS_TESTS_VSCREEN_H

#include <check.h>
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A terminal of `rows` x `cols` that writes to /dev/null (an xterm). */
struct vs_term {
	SCREEN *scr;
	FILE *out, *in;
};

static inline void vs_open(struct vs_term *t, int rows, int cols)
{
	t->out = fopen("/dev/null", "w");
	t->in = fopen("/dev/null", "r");
	ck_assert(t->out && t->in);
	t->scr = newterm("xterm", t->out, t->in);
	ck_assert_ptr_nonnull(t->scr);
	resizeterm(rows, cols);
}

static inline void vs_close(struct vs_term *t)
{
	endwin();
	delscreen(t->scr);
	fclose(t->out);
	fclose(t->in);
}

/* Fails the test, printing the screen, when `s` lacks `needle`. */
#define VS_HAS(s, needle)                                                  \
	do {                                                               \
		if (!strstr((s), (needle))) {                              \
			fprintf(stderr, "%s", (s));                        \
			ck_abort_msg("screen lacks '%s'", (needle));       \
		}                                                          \
	} while (0)

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
