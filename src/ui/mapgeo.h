/* mapgeo: the lines of the memory map pane in plain C, shared by the
 * painter (draw_map.c) and the mouse (view_click): regions from high to
 * low, extra rows for big ones, gap lines, the sp and brk marks, and the
 * allocator's heap when the region snapshot predates it. */
#ifndef MEMLENS_UI_MAPGEO_H
#define MEMLENS_UI_MAPGEO_H

#include <stdint.h>

#include "model/model.h"
#include "ui/view.h"

enum map_line_kind { ML_REGION, ML_EXTRA, ML_GAP, ML_MARK, ML_HEAPV };

struct map_line {
	int kind;          /* enum map_line_kind */
	int reg;           /* region index, high to low (view_region) */
	uint64_t val;      /* gap size, marked address, heap start */
	const char *label; /* ML_MARK: "sp ", "brk" */
};

#define MAP_MAX_LINES 1024

/* Fills `out` (MAP_MAX_LINES) and returns the number of lines; *sel_line
 * is the line of the selected region or -1. */
int map_lines(const struct model *m, const struct view *v, struct map_line *out, int *sel_line);

/* The first line shown in `rows` rows: v->scroll[VP_MAP], moved so the
 * selected line stays in sight. */
int map_first(const struct view *v, int nl, int sel_line, int rows);

/* Rows of lines in a map pane rectangle (below the border and the note,
 * above the border). */
int map_rows(struct view_rect pane);

/* The region drawn at screen row y of the map pane, or -1. */
int map_region_at(const struct model *m, const struct view *v, struct view_rect pane, int y);

#endif
