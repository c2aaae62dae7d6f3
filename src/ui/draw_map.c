/* draw_map: the address space from high to low addresses, one line per
 * region (big regions get extra rows, so the picture is readable but not
 * to scale), gaps elided with their size written, the program break and
 * the stack pointer marked, the region the current step changed lit. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ring/ring_format.h"
#include "ui/draw.h"
#include "ui/mapgeo.h"
#include "util/fmt.h"

static const char *region_label(const struct model_region *r)
{
	switch (r->kind) {
	case MR_TEXT: case MR_RODATA: case MR_DATA: case MR_BSS: case MR_HEAP:
	case MR_STACK: case MR_MMAP:
		return model_region_kind_name(r->kind);
	}
	return r->name[0] ? r->name : model_region_kind_name(r->kind);
}

/* The address whose region the current event changed, or 0. */
static uint64_t changed_addr(const struct model *m, const struct model_event *ev)
{
	const struct model_stats *st = model_stats(m);

	if (!ev)
		return 0;
	if ((ev->flags & RING_F_GREW_HEAP) && st->brk)
		return st->brk - 1;
	if (model_ev_is_alloc_call(ev->type) || ev->type == MEV_SIGNAL)
		return ev->type == MEV_FREE ? ev->args[0] : ev->type == MEV_SIGNAL ? ev->aux : ev->result;
	return 0;
}

/* A MEV_REGIONS step changed the regions that are not in the snapshot
 * before it with the same bounds and permissions (new, grown, moved,
 * re-protected).  Snapshots are numbered in the order they were added. */
static bool region_is_new(const struct model *m, const struct model_event *ev,
			  const struct model_region *reg)
{
	const struct model_region *prev;
	size_t n;

	if (!ev || ev->type != MEV_REGIONS || ev->aux == 0)
		return false;
	prev = model_regions_snapshot(m, (uint32_t)ev->aux - 1, &n);
	if (!prev)
		return false;
	for (size_t i = 0; i < n; i++)
		if (prev[i].start == reg->start && prev[i].end == reg->end &&
		    memcmp(prev[i].perms, reg->perms, 4) == 0)
			return false;
	return true;
}

void draw_map(struct ui *u, struct view_rect r)
{
	static struct map_line lines[MAP_MAX_LINES];
	const struct model_stats *st = model_stats(u->m);
	const struct model_event *ev = view_current_event(&u->v, u->m);
	struct view *v = &u->v;
	uint64_t chg = changed_addr(u->m, ev);
	int n, nl, first, inner_h = map_rows(r), sel_line = -1, y;
	int w = r.w - 2, x = r.x + 1;
	char sz[FMT_SIZE_LEN];

	draw_box(u, r, "Memory map, high to low", v->focus == VP_MAP);
	draw_text(r.y + 1, x, w, draw_attr(u, DR_DIM), "not to scale; gaps elided", false);
	view_region(u->m, 0, &n);
	if (n == 0) {
		draw_text(r.y + 2, x, w, A_NORMAL, "(no memory map yet)", false);
		return;
	}
	nl = map_lines(u->m, v, lines, &sel_line);
	first = map_first(v, nl, sel_line, inner_h);
	v->scroll[VP_MAP] = first;
	y = r.y + 2;
	for (int li = first; li < nl && y < r.y + r.h - 1; li++, y++) {
		const struct map_line *l = &lines[li];
		const struct model_region *reg = view_region(u->m, l->reg, &n);
		bool changed = (chg && chg >= reg->start && chg < reg->end) ||
			       ((l->kind == ML_REGION || l->kind == ML_EXTRA) && region_is_new(u->m, ev, reg));
		attr_t a = A_NORMAL;

		if (y == r.y + r.h - 2 && li + 1 < nl) {
			draw_textf(y, x, w, draw_attr(u, DR_DIM), "%s %d more lines (Tab here, arrows)",
				   draw_glyph(u, "\xe2\x86\x93", "v"), nl - li);
			break;
		}
		if (l->reg == v->sel_region && (l->kind == ML_REGION || l->kind == ML_EXTRA))
			a = draw_attr(u, DR_SELECT);
		else if (changed && (l->kind == ML_REGION || l->kind == ML_EXTRA))
			a = draw_attr(u, DR_CHANGED);
		switch (l->kind) {
		case ML_GAP:
			draw_textf(y, x, w, draw_attr(u, DR_DIM), "  ~~ %s unmapped ~~", fmt_size(sz, l->val));
			break;
		case ML_MARK:
			draw_textf(y, x, w, draw_attr(u, DR_FOCUS), " %s %s %012" PRIx64, l->label,
				   draw_glyph(u, "\xe2\x86\x92", "->"), l->val);
			break;
		case ML_REGION:
			draw_text(y, x, w, a, "", true);
			draw_textf(y, x, w, a, "%c%012" PRIx64 " %7s %.4s %s", changed ? '*' : ' ',
				   reg->start, fmt_size(sz, reg->end - reg->start), reg->perms,
				   region_label(reg));
			break;
		case ML_HEAPV:
			draw_textf(y, x, w, draw_attr(u, DR_CHANGED), " %012" PRIx64 " %7s rw-p heap (new)",
				   l->val, fmt_size(sz, st->brk > l->val ? st->brk - l->val : 0));
			break;
		case ML_EXTRA:
			draw_text(y, x, w, a, "", true);
			draw_text(y, x, w, a, " |", false);
			break;
		}
	}
	if (y < r.y + r.h - 1 && first + (y - r.y - 2) >= nl)
		draw_text(y, x, w, draw_attr(u, DR_DIM), "low addresses", false);
}
