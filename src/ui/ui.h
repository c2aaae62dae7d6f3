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

/* What a pointer local points to (the debug-info module's label, as the
 * screen needs it: the ui module does not link libdw). */
enum ui_pt {
	UI_PT_NONE = 0, UI_PT_HEAP, UI_PT_FREED, UI_PT_STACK, UI_PT_DATA, UI_PT_BSS,
	UI_PT_RODATA, UI_PT_LITERAL, UI_PT_NULL, UI_PT_UNMAPPED, UI_PT_TEXT, UI_PT_OTHER,
};

/* One parameter or local of a frame. */
struct ui_local {
	char name[32];
	char type[40];         /* "int", "struct node *" */
	char value[112];       /* short form: "42", "0x4052a0", "{1, 2, 3}" */
	bool param, is_ptr, available;
	uint8_t kind;          /* enum ui_pt, for pointers */
	uint32_t block;        /* HEAP/FREED: block #N */
	uint64_t ptr;          /* the pointer's value */
	uint64_t offset;       /* from the block or the symbol */
	char sym[64];          /* STACK: "x in main (frame #1)"; DATA/BSS/RODATA/
	                          TEXT: the symbol; LITERAL: the text */
};

#define UI_LOCALS_MAX 16

/* One stack frame for the stack pane (live runs). `detail` is free text
 * (a note such as "no debug info: locals unavailable"), "" when none;
 * `path` is the source file to show (empty: no line information). */
struct ui_frame {
	uint64_t pc, cfa, size;
	char func[64];
	char detail[96];
	char path[192];
	int line;
	bool own;              /* the program's own code */
	int nlocals;           /* shown; `more` were left out */
	int more;
	struct ui_local locals[UI_LOCALS_MAX];
};

/* Bytes a trace file recorded for a block (trace --bytes), for replay. */
enum ui_bytes_when {
	UI_BYTES_RELEASE = 1,  /* just before the free/realloc at `event` */
	UI_BYTES_EXIT,         /* at the program's exit (`event`: the exit event) */
};
#define UI_BYTES_MAX 64
struct ui_bytes {
	enum ui_bytes_when when;
	size_t event;          /* 0-based event index */
	size_t n;
	unsigned char b[UI_BYTES_MAX];
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
	/* Set by the screen before each next(): how many events that call may
	 * apply at once (1 while stepping, a batch during a continue); 0 is 1.
	 * After a continue is stopped the program may have run ahead: each
	 * step must still show exactly one more event. */
	unsigned batch;
	int poll_fd;           /* readable when next() has news; -1 none */
	/* Program output: a pty master (read for output, written for input),
	 * or -1. */
	int out_fd;
	/* True while the program is blocked reading its input. */
	bool (*waits_input)(void *ctx);
	/* Reads the target's memory; returns bytes read or -1. */
	long (*read_mem)(void *ctx, uint64_t addr, void *buf, size_t n);
	/* Replay: the bytes the trace recorded for block `b`: 1 with *r
	 * filled, 0 when the trace recorded bytes but none for this block,
	 * -1 when it recorded none at all (NULL: none either). */
	int (*recorded)(void *ctx, const struct model_block *b, struct ui_bytes *r);
	/* Stack frames at the current stop (the newest event, index `event`),
	 * innermost first; returns the count. */
	int (*frames)(void *ctx, struct ui_frame *f, int max, size_t event);
	/* frames() answers for any event of the history (a trace recorded
	 * with --frames), not only at the newest one (a live program) */
	bool frames_recorded;
	/* Words about a fault address (crash explanation). */
	explain_fault_fn describe_fault;
	/* Continue: lets the program run on at full speed; next() then hands
	 * out the events it made, one per call (may be NULL: next() steps). */
	void (*run)(void *ctx);
	/* Stepping granularity (0 alloc, 1 call, 2 line): sets it for the next
	 * steps; 0, or -1 with `msg` saying why not (no debug info, no
	 * support).  `msg` may also carry a note on success. */
	int (*set_gran)(void *ctx, int gran, char *msg, size_t len);
	/* Runs to the return of the current function: next() then hands out
	 * the events on the way; finishing() is true until the return was
	 * reached (or the finish failed: then `msg` says why, e.g. "not inside
	 * a function of the program's own code").  0, or -1 with `msg` saying
	 * why not. */
	int (*finish)(void *ctx, char *msg, size_t len);
	bool (*finishing)(void *ctx, char *msg, size_t len);
	/* Kills the program (q, Ctrl-C, signals). */
	void (*kill)(void *ctx);
};

/* Runs the screen on the controlling terminal until the user quits.
 * Returns 0, or 128+signal when a signal ended it (the caller exits with
 * that status), or -1 with `e` filled (the terminal is restored before the
 * caller prints). */
int ui_run(const struct ui_opts *o, struct model *m, struct ui_source *src, struct err *e);

#endif
