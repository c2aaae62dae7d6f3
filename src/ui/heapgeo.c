/* heapgeo: heap pane geometry (to-scale strip, block list) in plain C. */
#include "ui/heapgeo.h"

#include <string.h>

/* A break or [heap] end known from the maps can lag behind a block glibc
 * placed across it (libc records carry no break; the maps are read after
 * the event): the heap reaches at least to the end of the last block that
 * starts inside it. */
static void cover_blocks(const struct model *m, uint64_t lo, uint64_t *hi)
{
	const struct model_block *b = model_block_before(m, *hi - 1);

	if (b && !b->mmapped && b->addr >= lo && model_block_end(b) > *hi)
		*hi = model_block_end(b);
}

int heap_range(const struct model *m, uint64_t *lo, uint64_t *hi)
{
	const struct model_stats *st = model_stats(m);
	const struct model_block *b;
	size_t n, nr;
	const struct model_region *r = model_regions(m, &nr);

	if (st->brk_start && st->brk > st->brk_start) {
		*lo = st->brk_start;
		*hi = st->brk;
		cover_blocks(m, *lo, hi);
		return 1;
	}
	for (size_t i = 0; i < nr; i++) {
		if (r[i].kind == MR_HEAP) {
			*lo = r[i].start;
			*hi = r[i].end;
			cover_blocks(m, *lo, hi);
			return 1;
		}
	}
	b = model_blocks(m, &n);
	*lo = UINT64_MAX;
	*hi = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t s, e;
		if (b[i].mmapped)
			continue;
		s = b[i].hdr ? b[i].hdr : b[i].addr;
		e = model_block_end(&b[i]);
		if (s < *lo)
			*lo = s;
		if (e > *hi)
			*hi = e;
	}
	if (*hi <= *lo) {
		*lo = *hi = 0;
		return 0;
	}
	return 1;
}

size_t heap_geo_first(size_t scroll, size_t sel, size_t n, int rows)
{
	size_t r = rows > 0 ? (size_t)rows : 1;

	if (sel < n) {
		if (sel < scroll)
			scroll = sel;
		else if (sel >= scroll + r)
			scroll = sel - r + 1;
	}
	if (n <= r)
		return 0;
	if (scroll > n - r)
		scroll = n - r;
	return scroll;
}

void heap_geo_compute(struct heap_geo *g, const struct view *v,
		      const struct model *m, struct view_rect pane)
{
	int srows;
	uint64_t cells;
	size_t sel;

	memset(g, 0, sizeof(*g));
	g->note_y = -1;
	g->inner = (struct view_rect){ pane.y + 1, pane.x + 1, pane.h - 2, pane.w - 2 };
	if (g->inner.h < 1 || g->inner.w < 1) {
		g->inner.h = g->inner.w = 0;
		return;
	}
	model_blocks(m, &g->nblocks);
	/* summary line, strip (a third of the pane, 1..6 rows), legend, list */
	srows = g->inner.h / 3;
	if (srows > 6)
		srows = 6;
	if (g->inner.h < 5)
		srows = 0;
	else if (srows < 1)
		srows = 1;
	g->strip = (struct view_rect){ g->inner.y + 1, g->inner.x, srows, g->inner.w };
	g->list.y = g->inner.y + 1 + srows + (srows ? 1 : 0);
	g->list.x = g->inner.x;
	g->list.w = g->inner.w;
	g->list.h = g->inner.y + g->inner.h - g->list.y;
	if (g->list.h < 0)
		g->list.h = 0;
	/* more blocks than rows: the last row says how many are not shown */
	g->note_y = -1;
	if (g->nblocks > (size_t)g->list.h && g->list.h >= 2) {
		g->list.h--;
		g->note_y = g->list.y + g->list.h;
	}
	if (!heap_range(m, &g->lo, &g->hi))
		srows = 0;
	g->heap_hi = g->hi;
	if (srows) {
		const struct model_block *b = model_blocks(m, &g->nblocks);
		uint64_t used = g->lo;
		for (size_t i = g->nblocks; i-- > 0;) {
			if (!b[i].mmapped && b[i].state != MB_FREE_CHUNK) {
				used = model_block_end(&b[i]);
				break;
			}
		}
		if (used < g->lo)
			used = g->lo;
		cells = (uint64_t)srows * (uint64_t)g->strip.w;
		/* a power of two bytes per cell, the smallest that fits the part in
		 * use: the scale changes seldom, and small blocks get room for a label */
		g->cell_bytes = 1;
		while (g->cell_bytes < (UINT64_C(1) << 40) && g->cell_bytes * cells < used - g->lo)
			g->cell_bytes <<= 1;
		if (g->lo + g->cell_bytes * cells < g->hi)
			g->hi = g->lo + g->cell_bytes * cells;
	} else {
		g->strip.h = 0;
	}
	sel = v->sel_addr ? view_block_index(m, v->sel_addr) : g->nblocks;
	g->first = heap_geo_first((size_t)(v->scroll[VP_HEAP] > 0 ? v->scroll[VP_HEAP] : 0),
				  sel, g->nblocks, g->list.h);
}

int heap_geo_cell(const struct heap_geo *g, uint64_t addr, int *row, int *col)
{
	uint64_t k;

	if (!g->strip.h || addr < g->lo || addr >= g->hi)
		return -1;
	k = (addr - g->lo) / g->cell_bytes;
	if (k >= (uint64_t)g->strip.h * (uint64_t)g->strip.w)
		return -1;
	*row = (int)(k / (uint64_t)g->strip.w);
	*col = (int)(k % (uint64_t)g->strip.w);
	return 0;
}

uint64_t heap_geo_addr_at(const struct heap_geo *g, int y, int x)
{
	uint64_t k, a;

	if (!g->strip.h || y < g->strip.y || y >= g->strip.y + g->strip.h ||
	    x < g->strip.x || x >= g->strip.x + g->strip.w)
		return 0;
	k = (uint64_t)(y - g->strip.y) * (uint64_t)g->strip.w + (uint64_t)(x - g->strip.x);
	a = g->lo + k * g->cell_bytes;
	return a < g->hi ? a : 0;
}
