/* ui: the interactive screen (ncurses).  The only module that calls curses.
 * It shows a model (filled from a trace file, or growing as a live program
 * runs) through a view (view.h) and asks its source for more: the next
 * live event, the target's memory, its stack frames, its output.
 *
 * The terminal is restored on every way out: q, the program's end, Ctrl-C,
 * SIGTERM, SIGHUP, SIGQUIT, and a crash of memlens itself (the handlers only
 * set a flag and write to a self-pipe, or restore and re-raise). */
#ifndef MEMLENS_UI_UI_H
#define MEMLENS_UI_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/model.h"
#include "ui/explain.h"
#include "util/err.h"

enum ui_color { UI_COLOR_AUTO, UI_COLOR_ALWAYS, UI_COLOR_NEVER };

/* Parses "auto", "always", "never"; -1 otherwise. */
int ui_color_parse(const char *s);

struct ui_opts {
	enum ui_color color;
	bool ascii;            /* ASCII drawing even in a UTF-8 locale */
	const char *title;     /* program or trace file name for the header */
};

/* One stack frame for the stack pane (live runs). `detail` is free text the
 * debug-info module may fill (locals), "" when none. */
struct ui_frame {
	uint64_t pc, cfa, size;
	char func[64];
	char detail[96];
};

/* Where the events come from.  Every callback may be NULL. */
struct ui_source {
	void *ctx;
	bool live;             /* a program runs: events arrive with next() */
	/* Asks for the next event: the producer runs the program on to its
	 * next event and applies it to the model.  Called from the screen's
	 * thread; must not block for long (see ui_poll_fd): returns 1 when an
	 * event was applied, 0 when the program has ended, 2 when the program
	 * is still running towards the event (call again when poll_fd is
	 * readable), -1 on failure with `e` filled. */
	int (*next)(void *ctx, struct model *m, struct err *e);
	int poll_fd;           /* readable when next() has news; -1 none */
	/* Program output: a pty master (read for output, written for input),
	 * or -1. */
	int out_fd;
	/* True while the program is blocked reading its input. */
	bool (*waits_input)(void *ctx);
	/* Reads the target's memory; returns bytes read or -1. */
	long (*read_mem)(void *ctx, uint64_t addr, void *buf, size_t n);
	/* Stack frames at the current stop (the newest event, index `event`),
	 * innermost first; returns the count. */
	int (*frames)(void *ctx, struct ui_frame *f, int max, size_t event);
	/* Words about a fault address (crash explanation). */
	explain_fault_fn describe_fault;
	/* Continue: lets the program run on at full speed; next() then hands
	 * out the events it made, one per call (may be NULL: next() steps). */
	void (*run)(void *ctx);
	/* Kills the program (q, Ctrl-C, signals). */
	void (*kill)(void *ctx);
};

/* Runs the screen on the controlling terminal until the user quits.
 * Returns 0, or 128+signal when a signal ended it (the caller exits with
 * that status), or -1 with `e` filled (the terminal is restored before the
 * caller prints). */
int ui_run(const struct ui_opts *o, struct model *m, struct ui_source *src, struct err *e);

#endif
