/* mapgeo: which line of the memory map shows what, in plain C. */
#include "ui/mapgeo.h"

/* Extra rows for a region: 0 below 64 KiB, 1 below 16 MiB, 2 above. */
static int extra_rows(uint64_t size)
{
	return size < (64u << 10) ? 0 : size < (16u << 20) ? 1 : 2;
}

int map_lines(const struct model *m, const struct view *v, struct map_line *out, int *sel_line)
{
	const struct model_stats *st = model_stats(m);
	uint64_t sp = st->sp; /* the last known: a regions event has none */
	int n, nl = 0;
	bool heap_known = st->brk_start == 0;

	*sel_line = -1;
	view_region(m, 0, &n);
	/* the allocator's heap when the snapshot predates it: placed by address */
	for (int i = 0; i < n && !heap_known; i++) {
		const struct model_region *reg = view_region(m, i, &n);
		heap_known = reg->kind == MR_HEAP ||
			     (st->brk_start >= reg->start && st->brk_start < reg->end);
	}
	for (int i = 0; i < n && nl < MAP_MAX_LINES - 8; i++) {
		const struct model_region *reg = view_region(m, i, &n);
		if (!heap_known && reg->end <= st->brk_start) {
			out[nl++] = (struct map_line){ ML_HEAPV, i, st->brk_start, NULL };
			if (st->brk)
				out[nl++] = (struct map_line){ ML_MARK, i, st->brk, "brk" };
			heap_known = true;
		}
		if (i > 0) {
			const struct model_region *prev = view_region(m, i - 1, &n);
			if (prev->start > reg->end)
				out[nl++] = (struct map_line){ ML_GAP, i, prev->start - reg->end, NULL };
		}
		if (reg->kind == MR_STACK && sp >= reg->start && sp < reg->end)
			out[nl++] = (struct map_line){ ML_MARK, i, sp, "sp " };
		if (i == v->sel_region)
			*sel_line = nl;
		out[nl++] = (struct map_line){ ML_REGION, i, 0, NULL };
		for (int k = extra_rows(reg->end - reg->start); k > 0; k--)
			out[nl++] = (struct map_line){ ML_EXTRA, i, 0, NULL };
		if (reg->kind == MR_HEAP && st->brk)
			out[nl++] = (struct map_line){ ML_MARK, i, st->brk, "brk" };
	}
	return nl;
}

int map_first(const struct view *v, int nl, int sel_line, int rows)
{
	int first = v->scroll[VP_MAP];

	if (sel_line >= 0) {
		if (sel_line < first)
			first = sel_line;
		else if (sel_line >= first + rows - 1)
			first = sel_line - rows + 2;
	}
	if (first > nl - (rows - 1))
		first = nl - (rows - 1);
	return first < 0 ? 0 : first;
}

int map_rows(struct view_rect pane)
{
	return pane.h - 3;
}

int map_region_at(const struct model *m, const struct view *v, struct view_rect pane, int y)
{
	static struct map_line lines[MAP_MAX_LINES];
	int sel, nl = map_lines(m, v, lines, &sel);
	int first = map_first(v, nl, sel, map_rows(pane)), li = first + (y - (pane.y + 2));

	if (y < pane.y + 2 || y >= pane.y + pane.h - 1 || li < 0 || li >= nl)
		return -1;
	return lines[li].kind == ML_REGION || lines[li].kind == ML_EXTRA ? lines[li].reg : -1;
}
