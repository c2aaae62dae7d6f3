/* draw_heap: the heap to scale as a strip of cells (# in use, H header,
 * . free chunk), #id labels where a block is wide enough, the block the
 * current event touched lit, then the blocks in address order with mmap'd
 * blocks marked apart, and a fragmentation figure.  One pass over the
 * blocks per frame, so 100k live blocks still draw in well under 16 ms. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/heapgeo.h"
#include "util/fmt.h"

enum cell { C_EMPTY, C_FREE, C_HDR, C_LIVE, C_SEL };

static void paint_cells(unsigned char *cells, size_t ncells, const struct heap_geo *g,
			uint64_t s, uint64_t e, unsigned char what)
{
	uint64_t c0, c1;

	if (e <= g->lo || s >= g->hi || e <= s)
		return;
	if (s < g->lo)
		s = g->lo;
	if (e > g->hi)
		e = g->hi;
	c0 = (s - g->lo) / g->cell_bytes;
	c1 = (e - 1 - g->lo) / g->cell_bytes;
	for (uint64_t c = c0; c <= c1 && c < ncells; c++)
		if (cells[c] < what)
			cells[c] = what;
}

static void draw_strip(struct ui *u, const struct heap_geo *g, const struct model_block *b, size_t n)
{
	size_t ncells = (size_t)g->strip.h * (size_t)g->strip.w;
	unsigned char *cells = calloc(ncells, 1);
	static const char glyph[] = { ' ', '.', 'H', '#', '#' };
	enum draw_role role[] = { DR_NORMAL, DR_FREE, DR_HEADER, DR_LIVE, DR_SELECT };

	if (!cells)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct model_block *k = &b[i];
		uint64_t end = k->addr + (k->usable ? k->usable : k->size);
		if (k->mmapped)
			continue;
		if (k->size == 0 && k->state != MB_FREE_CHUNK)
			end = k->addr + 1;
		if (k->state == MB_FREE_CHUNK) {
			paint_cells(cells, ncells, g, k->addr, k->addr + k->size, C_FREE);
			continue;
		}
		if (k->hdr && k->hdr < k->addr)
			paint_cells(cells, ncells, g, k->hdr, k->addr, C_HDR);
		paint_cells(cells, ncells, g, k->addr, end, k->addr == u->v.sel_addr ? C_SEL : C_LIVE);
	}
	for (int row = 0; row < g->strip.h; row++) {
		move(g->strip.y + row, g->strip.x);
		for (int col = 0; col < g->strip.w; col++) {
			unsigned char c = cells[(size_t)row * (size_t)g->strip.w + (size_t)col];
			addch((chtype)glyph[c] | draw_attr(u, role[c]));
		}
	}
	/* #id labels inside blocks that are wide enough on one row; most blocks
	 * are narrower than a label, and are skipped before any formatting */
	for (size_t i = 0; i < n; i++) {
		const struct model_block *k = &b[i];
		int r0, c0, r1, c1, len;
		char lab[16];
		uint64_t end = k->addr + (k->usable ? k->usable : k->size);
		if (k->mmapped || k->state == MB_FREE_CHUNK || end <= k->addr ||
		    (end - k->addr) / g->cell_bytes < 3)
			continue;
		if (heap_geo_cell(g, k->addr, &r0, &c0) < 0 || heap_geo_cell(g, end - 1, &r1, &c1) < 0)
			continue;
		if (r1 != r0)
			c1 = g->strip.w - 1;
		len = snprintf(lab, sizeof(lab), "#%u", k->id);
		/* the first and last cells stay block glyphs so neighbours stay apart */
		if (c1 - c0 - 1 >= len)
			draw_text(g->strip.y + r0, g->strip.x + c0 + 1, len,
				  draw_attr(u, k->addr == u->v.sel_addr ? DR_SELECT : DR_LIVE) | A_BOLD, lab, false);
	}
	free(cells);
}

void draw_heap(struct ui *u, struct view_rect r)
{
	struct heap_geo g;
	size_t n, live = 0, nmmap = 0;
	const struct model_block *b = model_blocks(u->m, &n);
	const struct model_stats *st = model_stats(u->m);
	const struct model_event *ev = view_current_event(&u->v, u->m);
	uint64_t touched = view_event_addr(ev), payload = 0, mmap_bytes = 0;
	char s1[FMT_SIZE_LEN], s2[FMT_SIZE_LEN], t[64];
	int y;

	heap_geo_compute(&g, &u->v, u->m, r);
	for (size_t i = 0; i < n; i++) {
		if (b[i].state == MB_FREE_CHUNK) {
			continue;
		} else if (b[i].mmapped) {
			nmmap++;
			mmap_bytes += b[i].size;
		} else {
			live++;
			payload += b[i].size;
		}
	}
	snprintf(t, sizeof(t), "Heap: %zu block%s", live + nmmap, live + nmmap == 1 ? "" : "s");
	draw_box(u, r, t, u->v.focus == VP_HEAP);
	if (!g.inner.h)
		return;
	if (g.heap_hi > g.lo) {
		uint64_t span = g.heap_hi - g.lo;
		/* the fragmentation figure: payload bytes over heap bytes */
		draw_textf(g.inner.y, g.inner.x, g.inner.w, A_NORMAL,
			   "%s heap at %#" PRIx64 ": %d%% payload (%s)", fmt_size(s1, span), g.lo,
			   (int)(payload * 100 / span), fmt_size(s2, payload));
	} else {
		draw_text(g.inner.y, g.inner.x, g.inner.w, draw_attr(u, DR_DIM),
			  "no heap yet: the first malloc makes it", false);
	}
	if (g.strip.h) {
		draw_strip(u, &g, b, n);
		char tail[64] = "";
		if (g.heap_hi > g.hi)
			snprintf(tail, sizeof(tail), ", +%s free", fmt_size(s2, g.heap_hi - g.hi));
		draw_textf(g.strip.y + g.strip.h, g.inner.x, g.inner.w, draw_attr(u, DR_DIM),
			   "#=used H=header .=free, %s/cell%s%s", fmt_size(s1, g.cell_bytes), tail,
			   nmmap ? "; mmap'd blocks listed" : "");
	}
	(void)st;
	y = g.list.y;
	for (size_t i = g.first; i < n && y < g.list.y + g.list.h; i++, y++) {
		const struct model_block *k = &b[i];
		attr_t a = k->addr == u->v.sel_addr ? draw_attr(u, DR_SELECT) : A_NORMAL;
		char line[160];

		if (k->state == MB_FREE_CHUNK)
			snprintf(line, sizeof(line), "      %9s  %012" PRIx64 "  free chunk",
				 fmt_size(s1, k->size), k->addr);
		else
			snprintf(line, sizeof(line), "%c#%-4u %9s  %012" PRIx64 "  %s",
				 k->addr == touched ? '>' : ' ', k->id, fmt_size(s1, k->size), k->addr,
				 k->mmapped ? "mmap'd" : "in use");
		if (a == A_NORMAL && k->state == MB_FREE_CHUNK)
			a = draw_attr(u, DR_FREE);
		else if (a == A_NORMAL && k->mmapped)
			a = draw_attr(u, DR_MMAP);
		draw_text(y, g.list.x, g.list.w, a, line, true);
	}
	if (n == 0 && g.list.h > 0)
		draw_text(g.list.y, g.list.x, g.list.w, draw_attr(u, DR_DIM), "(no blocks)", false);
	(void)mmap_bytes;
}
