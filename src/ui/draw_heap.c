/* draw_heap: the heap to scale as a strip of cells (# in use, H header,
 * . free chunk), #id labels where a block is wide enough, the block the
 * current event touched lit, then the blocks in address order with mmap'd
 * blocks marked apart, and a fragmentation figure.  The strip looks the
 * blocks up per cell (binary search), so 100k blocks cost no more than a
 * few hundred. */
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

static uint64_t blk_end(const struct model_block *k)
{
	uint64_t end = model_block_end(k);
	return end > k->addr ? end : k->addr + 1;
}

/* What a cell [s, e) holds, from the blocks b[i..j) that start in it, the
 * block before them (it may reach in) and the header of b[j].  Stops at
 * the first block in use: the strip costs O(cells x log blocks), not
 * O(blocks), which keeps a frame fast with 100k blocks. */
static unsigned char cell_state(const struct model_block *b, size_t n, size_t i, size_t j,
				uint64_t s, uint64_t e)
{
	unsigned char what = C_EMPTY;

	for (size_t k = i ? i - 1 : 0; k < j + 1 && k < n && what < C_LIVE; k++) {
		const struct model_block *x = &b[k];
		uint64_t h = x->hdr && x->hdr < x->addr ? x->hdr : x->addr;
		if (x->mmapped || h >= e)
			continue;
		if (x->state == MB_FREE_CHUNK) {
			if (x->addr + x->size > s && what < C_FREE)
				what = C_FREE;
		} else if (x->addr < e && blk_end(x) > s) {
			what = C_LIVE;
		} else if (h < e && x->addr > s && what < C_HDR) {
			what = C_HDR;
		}
	}
	return what;
}

static void draw_strip(struct ui *u, const struct heap_geo *g, const struct model_block *b, size_t n)
{
	size_t ncells = (size_t)g->strip.h * (size_t)g->strip.w;
	unsigned char *cells = calloc(ncells, 1);
	static const char glyph[] = { ' ', '.', 'H', '#', '#' };
	enum draw_role role[] = { DR_NORMAL, DR_FREE, DR_HEADER, DR_LIVE, DR_SELECT };
	const struct model_block *sel = view_selected_block(&u->v, u->m);
	size_t i = view_block_index(u->m, g->lo);

	if (!cells)
		return;
	for (size_t c = 0; c < ncells; c++) {
		uint64_t s = g->lo + c * g->cell_bytes, e = s + g->cell_bytes;
		size_t j;
		if (s >= g->hi)
			break;
		j = view_block_index(u->m, e);
		cells[c] = cell_state(b, n, i, j, s, e);
		/* #id label: the last block starting here, when it spans 3 cells */
		if (j > i) {
			const struct model_block *k = &b[j - 1];
			if (!k->mmapped && k->state != MB_FREE_CHUNK && k->id &&
			    (blk_end(k) - k->addr) / g->cell_bytes >= 3)
				cells[c] |= 0x80;
		}
		i = j;
	}
	if (sel && !sel->mmapped && sel->state != MB_FREE_CHUNK)
		paint_cells(cells, ncells, g, sel->addr, blk_end(sel), C_SEL);
	for (int row = 0; row < g->strip.h; row++) {
		move(g->strip.y + row, g->strip.x);
		for (int col = 0; col < g->strip.w; col++) {
			unsigned char c = cells[(size_t)row * (size_t)g->strip.w + (size_t)col] & 0x7f;
			addch((chtype)glyph[c] | draw_attr(u, role[c]));
		}
	}
	/* the labels, inside their blocks; the first and last cells stay block
	 * glyphs so neighbours stay apart */
	for (size_t c = 0; c < ncells; c++) {
		const struct model_block *k;
		uint64_t s = g->lo + c * g->cell_bytes;
		int r0, c0, r1, c1, len;
		char lab[16];
		size_t idx;
		if (!(cells[c] & 0x80))
			continue;
		idx = view_block_index(u->m, s + g->cell_bytes);
		k = &b[idx - 1];
		if (heap_geo_cell(g, k->addr, &r0, &c0) < 0)
			continue;
		if (heap_geo_cell(g, blk_end(k) - 1, &r1, &c1) < 0 || r1 != r0)
			c1 = g->strip.w - 1;
		len = snprintf(lab, sizeof(lab), "#%u", k->id);
		if (c1 - c0 - 1 >= len)
			draw_text(g->strip.y + r0, g->strip.x + c0 + 1, len,
				  draw_attr(u, k == sel ? DR_SELECT : DR_LIVE) | A_BOLD, lab, false);
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
	/* mmap'd blocks sit above the heap, at the end of the address order:
	 * count them from there; the rest comes from the model's counters */
	for (size_t i = n; i-- > 0 && (b[i].mmapped || b[i].addr >= g.heap_hi);) {
		if (b[i].mmapped) {
			nmmap++;
			mmap_bytes += b[i].size;
		}
	}
	live = st->live_blocks > nmmap ? st->live_blocks - nmmap : 0;
	payload = st->heap_in_use > mmap_bytes ? st->heap_in_use - mmap_bytes : 0;
	snprintf(t, sizeof(t), "Heap: %zu block%s", live + nmmap, live + nmmap == 1 ? "" : "s");
	draw_box(u, r, t, u->v.focus == VP_HEAP);
	if (!g.inner.h)
		return;
	if (g.heap_hi > g.lo) {
		uint64_t span = g.heap_hi - g.lo;
		char full[128];
		/* the fragmentation figure: payload bytes over heap bytes; the
		 * start address goes first when the line is narrow (the list
		 * shows the addresses) */
		snprintf(full, sizeof(full), "%s at %#" PRIx64 ", %d%% payload (%s)", fmt_size(s1, span),
			 g.lo, (int)(payload * 100 / span), fmt_size(s2, payload));
		if ((int)strlen(full) > g.inner.w)
			snprintf(full, sizeof(full), "%s heap, %d%% payload (%s)", fmt_size(s1, span),
				 (int)(payload * 100 / span), fmt_size(s2, payload));
		draw_text(g.inner.y, g.inner.x, g.inner.w, A_NORMAL, full, false);
	} else {
		draw_text(g.inner.y, g.inner.x, g.inner.w, draw_attr(u, DR_DIM),
			  "no heap yet: the first malloc makes it", false);
	}
	if (g.strip.h) {
		char tail[64] = "", leg[160];
		draw_strip(u, &g, b, n);
		if (g.heap_hi > g.hi)
			snprintf(tail, sizeof(tail), ", +%s free", fmt_size(s2, g.heap_hi - g.hi));
		/* the legend, shorter when narrow (? help explains the glyphs) */
		snprintf(leg, sizeof(leg), "#=used H=header .=free, %s/cell%s%s", fmt_size(s1, g.cell_bytes),
			 tail, nmmap ? "; mmap'd blocks listed" : "");
		if ((int)strlen(leg) > g.inner.w)
			snprintf(leg, sizeof(leg), "#used H hdr .free %s/cell%s", fmt_size(s1, g.cell_bytes), tail);
		if ((int)strlen(leg) > g.inner.w)
			snprintf(leg, sizeof(leg), "%s/cell%s", fmt_size(s1, g.cell_bytes), tail);
		draw_text(g.strip.y + g.strip.h, g.inner.x, g.inner.w, draw_attr(u, DR_DIM), leg, false);
	}
	y = g.list.y;
	for (size_t i = g.first; i < n && y < g.list.y + g.list.h; i++, y++) {
		const struct model_block *k = &b[i];
		attr_t a = k->addr == u->v.sel_addr ? draw_attr(u, DR_SELECT) : A_NORMAL;
		char line[160];

		if (k->state == MB_FREE_CHUNK)
			snprintf(line, sizeof(line), "       %8s %012" PRIx64 " %s", fmt_size(s1, k->size),
				 k->addr, g.list.w >= 39 ? "free chunk" : "free");
		else
			snprintf(line, sizeof(line), "%c#%-4u %8s %012" PRIx64 " %s",
				 k->addr == touched ? '>' : ' ', k->id, fmt_size(s1, k->size), k->addr,
				 k->mmapped ? "mmap'd" : "in use");
		if (a == A_NORMAL && k->state == MB_FREE_CHUNK)
			a = draw_attr(u, DR_FREE);
		else if (a == A_NORMAL && k->mmapped)
			a = draw_attr(u, DR_MMAP);
		draw_text(y, g.list.x, g.list.w, a, line, true);
	}
	if (g.note_y >= 0) {
		size_t below = n > g.first + (size_t)g.list.h ? n - g.first - (size_t)g.list.h : 0;
		draw_textf(g.note_y, g.list.x, g.list.w, draw_attr(u, DR_DIM), "%s %zu above, %s %zu below (arrows)",
			   draw_glyph(u, "\xe2\x86\x91", "^"), g.first,
			   draw_glyph(u, "\xe2\x86\x93", "v"), below);
	}
	if (n == 0 && g.list.h > 0)
		draw_text(g.list.y, g.list.x, g.list.w, draw_attr(u, DR_DIM), "(no blocks)", false);
}
