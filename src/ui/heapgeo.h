/* heapgeo: the geometry of the heap pane in plain C, shared by the drawing
 * (draw_heap.c) and the mouse (view_click) so a click lands on the block
 * that was drawn there.  The pane's inner area holds: one summary line, a
 * strip of cells drawing the heap to scale (each cell = cell_bytes bytes
 * from the heap start), one legend line, then the block list.  The strip
 * ends after the last block in use (a power of two bytes a cell, the
 * smallest that fits); the free rest up to the break is elided. */
#ifndef MEMLENS_UI_HEAPGEO_H
#define MEMLENS_UI_HEAPGEO_H

#include <stdint.h>

#include "model/model.h"
#include "ui/view.h"

struct heap_geo {
	struct view_rect inner;  /* the pane without its border */
	struct view_rect strip;  /* the to-scale strip (h may be 0) */
	struct view_rect list;   /* the block list (without the note row) */
	int note_y;              /* the row under the list that says how many
	                            blocks are above and below it; -1 none */
	uint64_t lo, hi;         /* heap bytes drawn in the strip [lo, hi) */
	uint64_t heap_hi;        /* the heap's true end (the break); the free
	                            tail [hi, heap_hi) is elided and said */
	uint64_t cell_bytes;     /* bytes per strip cell (>= 1) */
	size_t first;            /* block index shown on the list's first row */
	size_t nblocks;
};

/* The heap range: from the first program break to the current one when the
 * allocator reported them, else the [heap] region, else the span of the
 * non-mmap'd blocks; the first two reach at least to the end of a block
 * that starts in them (a break not yet re-read).  Returns 0 when there is
 * no heap yet. */
int heap_range(const struct model *m, uint64_t *lo, uint64_t *hi);

/* Fills `g` for the heap pane rectangle `pane` (with border), the view's
 * selection and scroll. */
void heap_geo_compute(struct heap_geo *g, const struct view *v,
		      const struct model *m, struct view_rect pane);

/* Strip cell of an address: (row, col) relative to the strip; -1 outside. */
int heap_geo_cell(const struct heap_geo *g, uint64_t addr, int *row, int *col);

/* Heap address drawn at screen cell (y, x), or 0 when it is not in the
 * strip. */
uint64_t heap_geo_addr_at(const struct heap_geo *g, int y, int x);

/* First block index to show so that block `sel` is visible in `rows` rows,
 * starting from the hint `scroll`. */
size_t heap_geo_first(size_t scroll, size_t sel, size_t n, int rows);

#endif
