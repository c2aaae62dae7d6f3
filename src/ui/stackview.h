/* stackview: what the stack and source panes show, in plain C (no
 * curses): the lines of the stack pane (frames, their locals, notes), a
 * pointer local's label ("-> heap #3 +0") and its sentence for the
 * explanation line, which frame the source pane follows, and a small
 * cache of one source file split into lines. */
#ifndef MEMLENS_UI_STACKVIEW_H
#define MEMLENS_UI_STACKVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "ui/ui.h"

enum stack_line_kind {
	SL_FRAME,   /* "#0 main  linked_list.c:14  96 B" */
	SL_LOCAL,   /* "  head  struct node * = 0x4052a0  -> heap #3 +0" */
	SL_LABEL,   /* the label of the local above, when the line is narrow */
	SL_NOTE,    /* the frame's note ("no debug info: locals unavailable") */
	SL_MORE,    /* "(N more locals)" */
};

struct stack_line {
	enum stack_line_kind kind;
	int frame;
	int local;  /* index among all locals (view's numbering), -1 none */
	bool label_inline; /* SL_LOCAL: its label fits on its line */
};

/* Lays out the stack pane's list for frames `f` at `width` columns: a
 * pointer's label goes on its local's line when the line fits, else on a
 * line of its own below.  Writes at most `max` lines; returns the count. */
int stackview_lines(const struct ui_frame *f, int nf, int width,
		    struct stack_line *out, int max);

/* Text of a local's line, without the label: as C declares it
 * ("  struct node *head = 0x4052a0") when that fits in `width`, else the
 * value first ("  head = 0x4052a0  struct node *"). */
void stackview_local_text(const struct ui_local *l, int width, char *buf, size_t len);

/* A pointer's label: "-> heap #3 +0", "-> freed #2 (dangling)",
 * "-> \"hello\" in .rodata", "-> NULL", "-> local x in main (frame #1)";
 * "" for a non-pointer.  `arrow` is the glyph to use ("→" or "->"). */
void stackview_label(const struct ui_local *l, const char *arrow, char *buf, size_t len);

/* The explanation line's sentence for local `l` of function `func`:
 * "p is on the stack in main; it points to block #3 on the heap". */
void stackview_sentence(const struct ui_local *l, const char *func, char *buf, size_t len);

/* Local number `i` (all frames' locals counted from the innermost frame):
 * its frame index, or -1; *local gets the index inside the frame. */
int stackview_local_frame(const struct ui_frame *f, int nf, int i, int *local);

/* The frame the source pane shows: the frame of the selected local
 * (sel >= 0), else the innermost frame with a source path; -1 none. */
int stackview_source_frame(const struct ui_frame *f, int nf, int sel);

/* One source file split into lines, loaded once per path. */
struct srcfile {
	char path[192];
	bool tried;
	int err;            /* errno of the failed open, 0 when loaded */
	char *text;
	size_t *start;      /* start offset of each line */
	int nlines;
};

/* Loads `path` unless it is already the loaded one.  0, or -1 (s->err
 * says why; the pane writes "source file not found: PATH"). */
int srcfile_load(struct srcfile *s, const char *path);
/* Line `n` (1-based) without its newline, or NULL past the end;
 * *len gets its length. */
const char *srcfile_line(const struct srcfile *s, int n, size_t *len);
void srcfile_free(struct srcfile *s);

#endif
