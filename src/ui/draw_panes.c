/* draw_panes: the events pane (the events around the current one with call sites and
 * the counters) and the program output pane. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ui/draw.h"
#include "util/fmt.h"

void draw_events(struct ui *u, struct view_rect r)
{
	const struct model_stats *st = model_stats(u->m);
	size_t n = model_event_count(u->m);
	int x = r.x + 1, w = r.w - 2, rows = r.h - 3;
	long cur = (long)u->v.cur - 1, top;
	/* the event's number as wide as the last one, a thread tag when the
	 * program has had more than one thread; the call's column as wide as
	 * the longest call shown (24 to 44), the call site the rest */
	int numw = snprintf(NULL, 0, "%zu", n), tagw = u->v.nthreads > 1 ? 4 : 0 /* "t2  " */, whatw = 0;
	char title[64], s1[FMT_SIZE_LEN], s2[FMT_SIZE_LEN], s3[FMT_SIZE_LEN], s4[FMT_SIZE_LEN];

	snprintf(title, sizeof(title), "Events: %zu of %zu%s", u->v.cur, n,
		 u->v.live && !u->v.program_done ? " so far" : "");
	draw_box(u, r, title, u->v.focus == VP_EVENTS);
	if (r.h < 3)
		return;
	{
		char c[160];
		snprintf(c, sizeof(c), "heap %s in use, peak %s; stack %s, deepest %s",
			 fmt_size(s1, st->heap_in_use), fmt_size(s2, st->heap_peak),
			 fmt_size(s3, st->stack_depth), fmt_size(s4, st->stack_max));
		if ((int)strlen(c) > w)
			snprintf(c, sizeof(c), "heap %s, peak %s; stack %s, max %s", s1, s2, s3, s4);
		if ((int)strlen(c) > w)
			snprintf(c, sizeof(c), "heap %s; stack %s", s1, s3);
		draw_text(r.y + 1, x, w, A_NORMAL, c, false);
	}
	if (rows <= 0)
		return;
	/* the current event sits a third of the way down, plus the scroll */
	top = cur - rows / 3 + u->v.scroll[VP_EVENTS];
	if (top > (long)n - rows)
		top = (long)n - rows;
	if (top < 0)
		top = 0;
	for (int i = 0; i < rows && top + i < (long)n; i++) {
		const struct model_event *ev = model_event(u->m, (size_t)(top + i));
		char what[128];
		int len;
		if (!ev)
			continue;
		explain_event(ev, what, sizeof(what));
		len = (int)strlen(what);
		if (len > whatw)
			whatw = len;
	}
	whatw = whatw < 24 ? 24 : whatw > 44 ? 44 : whatw;
	if (numw < 3)
		numw = 3;
	for (int i = 0; i < rows; i++) {
		long k = top + i;
		const struct model_event *ev;
		char what[128], site[128], line[300], tag[16];
		attr_t a;
		int used;

		if (k >= (long)n)
			break;
		ev = model_event(u->m, (size_t)k);
		if (!ev)
			continue;
		explain_event(ev, what, sizeof(what));
		view_thread_tag(&u->v, ev->tid, tag, sizeof(tag));
		used = snprintf(line, sizeof(line), "%s%*ld %-*s%-*s ", k == cur ? ">" : " ", numw, k + 1,
				tagw, tag, whatw, what);
		if (!tagw)  /* no tag column: one space less */
			used = snprintf(line, sizeof(line), "%s%*ld  %-*s ", k == cur ? ">" : " ", numw, k + 1,
					whatw, what);
		if (ev->site) {
			/* the full site when it fits, else "main:18" */
			explain_site(u->m, ev->site, site, sizeof(site));
			if (used + (int)strlen(site) > w)
				explain_site_short(u->m, ev->site, site, sizeof(site));
			snprintf(line + used, sizeof(line) - (size_t)used, "%s", site);
		}
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
