/* draw_panes: the stack pane (sp, depth, deepest, frames from the source),
 * the events pane (the events around the current one with call sites and
 * the counters) and the program output pane. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ui/draw.h"
#include "util/fmt.h"

#define MAX_FRAMES 64

void draw_stack(struct ui *u, struct view_rect r)
{
	const struct model_stats *st = model_stats(u->m);
	const struct model_event *ev = view_current_event(&u->v, u->m);
	struct ui_frame fr[MAX_FRAMES];
	int nf = 0, x = r.x + 1, w = r.w - 2, y = r.y + 1, bottom = r.y + r.h - 1;
	char s1[FMT_SIZE_LEN], s2[FMT_SIZE_LEN], site[128];

	draw_box(u, r, "Stack", u->v.focus == VP_STACK);
	if (w < 4 || y >= bottom)
		return;
	draw_textf(y++, x, w, A_NORMAL, "sp       %#" PRIx64, ev ? ev->sp : (uint64_t)0);
	if (y < bottom)
		draw_textf(y++, x, w, A_NORMAL, "depth    %s", fmt_size(s1, st->stack_depth));
	if (y < bottom)
		draw_textf(y++, x, w, A_NORMAL, "deepest  %s", fmt_size(s2, st->stack_max));
	if (y < bottom && st->stack_max) {
		int bw = w - 2, fill = (int)((double)bw * (double)st->stack_depth / (double)st->stack_max);
		move(y, x);
		addch('[');
		for (int i = 0; i < bw; i++)
			addch(i < fill ? ('#' | draw_attr(u, DR_LIVE)) : ' ');
		addch(']');
		y++;
	}
	if (y < bottom)
		y++;
	/* live frames only at the newest event: older ones are history */
	if (u->src && u->src->frames && ev && u->v.cur == model_event_count(u->m))
		nf = u->src->frames(u->src->ctx, fr, MAX_FRAMES, u->v.cur - 1);
	if (nf > 0) {
		int skip = u->v.scroll[VP_STACK] < nf ? u->v.scroll[VP_STACK] : nf - 1;
		if (y < bottom)
			draw_text(y++, x, w, A_BOLD, "frames, innermost first:", false);
		for (int i = skip; i < nf && y < bottom; i++) {
			draw_textf(y++, x, w, i == 0 ? draw_attr(u, DR_CURRENT) : A_NORMAL, "%-20s %s",
				   fr[i].func[0] ? fr[i].func : "??", fmt_size(s1, fr[i].size));
			if (fr[i].detail[0] && y < bottom)
				draw_textf(y++, x, w, draw_attr(u, DR_DIM), "  %s", fr[i].detail);
		}
		return;
	}
	if (ev && ev->site && y < bottom) {
		explain_site(u->m, ev->site, site, sizeof(site));
		draw_text(y++, x, w, A_BOLD, "called from:", false);
		if (y < bottom)
			draw_textf(y++, x, w, draw_attr(u, DR_CURRENT), "%s", site);
	}
	if (y + 1 < bottom && u->src && u->src->frames)
		draw_text(y + 1, x, w, draw_attr(u, DR_DIM), "frames: at the newest event", false);
	else if (y + 1 < bottom && !u->v.live)
		draw_text(y + 1, x, w, draw_attr(u, DR_DIM), "a trace records no frames", false);
}

void draw_events(struct ui *u, struct view_rect r)
{
	const struct model_stats *st = model_stats(u->m);
	size_t n = model_event_count(u->m);
	int x = r.x + 1, w = r.w - 2, rows = r.h - 3;
	long cur = (long)u->v.cur - 1, top;
	/* the call gets what the call site leaves, between 24 and 44 columns */
	int whatw = w - 9 - 26 < 24 ? 24 : w - 9 - 26 > 44 ? 44 : w - 9 - 26;
	char title[64], s1[FMT_SIZE_LEN], s2[FMT_SIZE_LEN], s3[FMT_SIZE_LEN], s4[FMT_SIZE_LEN];

	snprintf(title, sizeof(title), "Events: %zu of %zu%s", u->v.cur, n,
		 u->v.live && !u->v.program_done ? " so far" : "");
	draw_box(u, r, title, u->v.focus == VP_EVENTS);
	if (r.h < 3)
		return;
	draw_textf(r.y + 1, x, w, A_NORMAL, "heap %s in use, peak %s; stack %s, deepest %s",
		   fmt_size(s1, st->heap_in_use), fmt_size(s2, st->heap_peak),
		   fmt_size(s3, st->stack_depth), fmt_size(s4, st->stack_max));
	if (rows <= 0)
		return;
	/* the current event sits a third of the way down, plus the scroll */
	top = cur - rows / 3 + u->v.scroll[VP_EVENTS];
	if (top > (long)n - rows)
		top = (long)n - rows;
	if (top < 0)
		top = 0;
	for (int i = 0; i < rows; i++) {
		long k = top + i;
		const struct model_event *ev;
		char what[128], site[128], line[300];
		attr_t a;

		if (k >= (long)n)
			break;
		ev = model_event(u->m, (size_t)k);
		if (!ev)
			continue;
		explain_event(ev, what, sizeof(what));
		explain_site(u->m, ev->site, site, sizeof(site));
		snprintf(line, sizeof(line), "%s%7ld  %-*s %s", k == cur ? ">" : " ", k + 1, whatw,
			 what, ev->site ? site : "");
		a = k == cur ? draw_attr(u, DR_CURRENT)
		    : (ev->type == MEV_SIGNAL || ev->type == MEV_ERROR) ? draw_attr(u, DR_WARN)
		    : k > cur ? draw_attr(u, DR_DIM) : A_NORMAL;
		draw_text(r.y + 2 + i, x, w, a, line, true);
	}
}

void draw_output(struct ui *u, struct view_rect r)
{
	size_t n = outbuf_count(u->out);
	int x = r.x + 1, w = r.w - 2, rows = r.h - 2;
	long last, first;

	draw_box(u, r, u->v.wants_input ? "Program output (waits for input: i)" : "Program output",
		 u->v.focus == VP_OUTPUT);
	if (rows <= 0)
		return;
	if (n == 0) {
		draw_text(r.y + 1, x, w, draw_attr(u, DR_DIM),
			  u->src && u->src->out_fd >= 0 ? "(nothing yet)" : "(not recorded)", false);
		return;
	}
	/* the last line may be empty (output ended with a newline): skip it */
	last = (long)n - 1;
	if (last > 0 && outbuf_line(u->out, (size_t)last)[0] == '\0')
		last--;
	last -= u->v.scroll[VP_OUTPUT];
	if (last < 0)
		last = 0;
	first = last - rows + 1;
	if (first < 0)
		first = 0;
	for (long i = first; i <= last; i++)
		draw_text(r.y + 1 + (int)(i - first), x, w, A_NORMAL, outbuf_line(u->out, (size_t)i), false);
}
