/* draw_map: the address space from high to low addresses, one line per
 * region (big regions get extra rows, so the picture is readable but not
 * to scale), gaps elided with their size written, the program break and
 * the stack pointer marked, the region the current step changed lit. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ring/ring_format.h"
#include "ui/draw.h"
#include "util/fmt.h"

enum { ML_REGION, ML_EXTRA, ML_GAP, ML_MARK, ML_HEAPV };

struct mline {
	int kind;
	int reg;          /* region index, high to low */
	uint64_t val;     /* gap size or marked address */
	const char *label;
};

#define MAX_LINES 1024

/* Extra rows for a region: 0 below 64 KiB, 1 below 16 MiB, 2 above. */
static int extra_rows(uint64_t size)
{
	return size < (64u << 10) ? 0 : size < (16u << 20) ? 1 : 2;
}

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

void draw_map(struct ui *u, struct view_rect r)
{
	static struct mline lines[MAX_LINES];
	const struct model_stats *st = model_stats(u->m);
	const struct model_event *ev = view_current_event(&u->v, u->m);
	struct view *v = &u->v;
	uint64_t chg = changed_addr(u->m, ev), sp = ev ? ev->sp : 0;
	int n, nl = 0, first, inner_h = r.h - 3, sel_line = -1, y;
	int w = r.w - 2, x = r.x + 1;
	char sz[FMT_SIZE_LEN];

	draw_box(u, r, "Memory map, high to low", v->focus == VP_MAP);
	draw_text(r.y + 1, x, w, draw_attr(u, DR_DIM), "not to scale; gaps elided", false);
	view_region(u->m, 0, &n);
	if (n == 0) {
		draw_text(r.y + 2, x, w, A_NORMAL, "(no memory map yet)", false);
		return;
	}
	/* the allocator's heap when the snapshot predates it: placed by address */
	bool heap_known = st->brk_start == 0;
	for (int i = 0; i < n && !heap_known; i++) {
		const struct model_region *reg = view_region(u->m, i, &n);
		heap_known = reg->kind == MR_HEAP || (st->brk_start >= reg->start && st->brk_start < reg->end);
	}
	for (int i = 0; i < n && nl < MAX_LINES - 8; i++) {
		const struct model_region *reg = view_region(u->m, i, &n);
		if (!heap_known && reg->end <= st->brk_start) {
			lines[nl++] = (struct mline){ ML_HEAPV, i, st->brk_start, NULL };
			if (st->brk)
				lines[nl++] = (struct mline){ ML_MARK, i, st->brk, "brk" };
			heap_known = true;
		}
		if (i > 0) {
			const struct model_region *prev = view_region(u->m, i - 1, &n);
			if (prev->start > reg->end)
				lines[nl++] = (struct mline){ ML_GAP, i, prev->start - reg->end, NULL };
		}
		if (reg->kind == MR_STACK && sp >= reg->start && sp < reg->end)
			lines[nl++] = (struct mline){ ML_MARK, i, sp, "sp " };
		if (i == v->sel_region)
			sel_line = nl;
		lines[nl++] = (struct mline){ ML_REGION, i, 0, NULL };
		for (int k = extra_rows(reg->end - reg->start); k > 0; k--)
			lines[nl++] = (struct mline){ ML_EXTRA, i, 0, NULL };
		if (reg->kind == MR_HEAP && st->brk)
			lines[nl++] = (struct mline){ ML_MARK, i, st->brk, "brk" };
	}
	/* keep the selected region in sight */
	first = v->scroll[VP_MAP];
	if (sel_line >= 0) {
		if (sel_line < first)
			first = sel_line;
		else if (sel_line >= first + inner_h - 1)
			first = sel_line - inner_h + 2;
	}
	if (first > nl - (inner_h - 1))
		first = nl - (inner_h - 1);
	if (first < 0)
		first = 0;
	v->scroll[VP_MAP] = first;
	y = r.y + 2;
	for (int li = first; li < nl && y < r.y + r.h - 1; li++, y++) {
		const struct mline *l = &lines[li];
		const struct model_region *reg = view_region(u->m, l->reg, &n);
		bool changed = chg && chg >= reg->start && chg < reg->end;
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
