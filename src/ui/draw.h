/* draw: the screen's internals shared by ui.c, the draw_*.c painters and the
 * virtual-screen tests.  Painters read the model and the view and write
 * into stdscr; they never refresh and never change the model. */
#ifndef MEMLENS_UI_DRAW_H
#define MEMLENS_UI_DRAW_H

#include <curses.h>

#include "ui/outbuf.h"
#include "ui/stackview.h"
#include "ui/ui.h"
#include "ui/view.h"

/* What a cell is about; mapped to a colour pair or a mono attribute. */
enum draw_role {
	DR_NORMAL, DR_TITLE, DR_FOCUS, DR_CURRENT, DR_SELECT, DR_LIVE, DR_FREE,
	DR_HEADER, DR_CHANGED, DR_DIM, DR_WARN, DR_MMAP, DR_ROLE_MAX
};

struct ui {
	struct model *m;
	struct view v;
	struct view_layout lay;
	struct ui_source *src;     /* may be NULL (tests, replay) */
	struct outbuf *out;        /* program output */
	bool ascii, color;
	char title[96];
	/* the live stack at the newest event (ui_frames_refresh) */
	struct ui_frame *fr;       /* UI_FRAMES_MAX, allocated by ui_init */
	int nfr;
	size_t fr_at;              /* 1 + v.cur they belong to; 0 none */
	struct srcfile srcf;       /* the source pane's file */
};

#define UI_FRAMES_MAX 64

/* Asks the source for the frames of the current stop when the view moved
 * (live runs, at the newest event only: older stops are history) and
 * tells the view their locals.  Painters then read u->fr. */
void ui_frames_refresh(struct ui *u);

/* Sets up a ui on a model (no terminal needed); frees with ui_fini. */
int ui_init(struct ui *u, const struct ui_opts *o, struct model *m,
	    struct ui_source *src, struct err *e);
void ui_fini(struct ui *u);

/* Starts colours (when u->color) after initscr/newterm. */
void ui_colors_start(struct ui *u);

/* Lays out for the current terminal size and paints the whole frame into
 * stdscr (no refresh). */
void ui_draw(struct ui *u);

/* Helpers for painters. */
attr_t draw_attr(const struct ui *u, enum draw_role r);
void draw_box(const struct ui *u, struct view_rect r, const char *title, bool focus);
/* Writes `s` at (y, x) clipped to `w` cells, padding with spaces to `w`
 * when pad is true. */
void draw_text(int y, int x, int w, attr_t a, const char *s, bool pad);
void draw_textf(int y, int x, int w, attr_t a, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* A glyph that differs in UTF-8 and ASCII mode (arrows, blocks). */
const char *draw_glyph(const struct ui *u, const char *utf8, const char *ascii);

void draw_header(struct ui *u);
void draw_map(struct ui *u, struct view_rect r);
void draw_heap(struct ui *u, struct view_rect r);
void draw_stack(struct ui *u, struct view_rect r);
void draw_events(struct ui *u, struct view_rect r);
void draw_output(struct ui *u, struct view_rect r);
void draw_source(struct ui *u, struct view_rect r);
void draw_details(struct ui *u);
void draw_help(struct ui *u);
void draw_bottom(struct ui *u);   /* explanation and status lines */

#endif
