/* layout: where the panes go for a terminal size (plain C).  Large screens
 * (100x30 and up) show every pane at once: map | heap | stack on top,
 * events | source | program output below (at 120 columns the stack and
 * the source get room for a C line; see view_layout).  Smaller screens get a tab bar and one
 * pane at a time, so no pane is ever cut off without a word. */
#include "ui/view.h"

#include <string.h>

static const char *const pane_names[VP_COUNT] = {
	[VP_MAP] = "Memory map", [VP_HEAP] = "Heap", [VP_STACK] = "Stack",
	[VP_EVENTS] = "Events", [VP_OUTPUT] = "Program output", [VP_SOURCE] = "Source",
};

const char *view_pane_name(enum view_pane p)
{
	return (unsigned)p < VP_COUNT ? pane_names[p] : "?";
}

#define LARGE_COLS 100
#define LARGE_ROWS 30

void view_layout(const struct view *v, int rows, int cols, struct view_layout *out)
{
	struct view_rect body;
	int toph, mapw, stackw, evw, srcw, eh;

	memset(out, 0, sizeof(*out));
	out->rows = rows;
	out->cols = cols;
	if (rows < 10 || cols < 40) {
		out->too_small = true;
		out->compact = true;
		return;
	}
	out->compact = cols < LARGE_COLS || rows < LARGE_ROWS;
	out->header = (struct view_rect){ 0, 0, 1, cols };
	out->status = (struct view_rect){ rows - 1, 0, 1, cols };
	/* the sentence gets three rows on narrow screens, where it wraps more */
	eh = cols < LARGE_COLS ? 3 : 2;
	out->explain = (struct view_rect){ rows - 1 - eh, 0, eh, cols };
	if (out->compact) {
		out->tabs = (struct view_rect){ 1, 0, 1, cols };
		body = (struct view_rect){ 2, 0, rows - 3 - eh, cols };
	} else {
		body = (struct view_rect){ 1, 0, rows - 2 - eh, cols };
	}
	if (out->compact || v->zoom) {
		out->pane[v->focus] = body;
		return;
	}
	/* map | heap | stack over events | source | output.  The stack (its
	 * locals) and the source need the width of a C line most; the heap
	 * strip adapts to any width, and the map's region names need about
	 * 50 columns in all.  Wider terminals give the rest to the heap, the
	 * events and the output; what still does not fit ends in a marker
	 * and z zooms the pane. */
	toph = body.h * 2 / 3;
	mapw = cols * 35 / 100 < 52 ? cols * 35 / 100 : 52;
	stackw = cols / 3 < 60 ? cols / 3 : 60;
	evw = cols * 41 / 100 < 70 ? cols * 41 / 100 : 70;
	srcw = cols * 36 / 100 < 90 ? cols * 36 / 100 : 90;
	out->pane[VP_MAP] = (struct view_rect){ body.y, 0, toph, mapw };
	out->pane[VP_HEAP] = (struct view_rect){ body.y, mapw, toph, cols - mapw - stackw };
	out->pane[VP_STACK] = (struct view_rect){ body.y, cols - stackw, toph, stackw };
	out->pane[VP_EVENTS] = (struct view_rect){ body.y + toph, 0, body.h - toph, evw };
	out->pane[VP_SOURCE] = (struct view_rect){ body.y + toph, evw, body.h - toph, srcw };
	out->pane[VP_OUTPUT] = (struct view_rect){ body.y + toph, evw + srcw, body.h - toph,
						   cols - evw - srcw };
}

int view_pane_at(const struct view_layout *lay, int y, int x)
{
	for (int p = 0; p < VP_COUNT; p++) {
		const struct view_rect *r = &lay->pane[p];
		if (r->h > 0 && y >= r->y && y < r->y + r->h && x >= r->x && x < r->x + r->w)
			return p;
	}
	return -1;
}
