/* draw_stack: the stack pane (sp, depth, deepest, then each frame with its
 * locals and the pointer labels, the selected local highlighted) and the
 * source pane (the current line with a few lines around it). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ui/draw.h"
#include "util/fmt.h"

#define MAX_LINES 2048

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static attr_t label_attr(const struct ui *u, const struct ui_local *l)
{
	switch (l->kind) {
	case UI_PT_HEAP: return draw_attr(u, DR_LIVE);
	case UI_PT_FREED: case UI_PT_UNMAPPED: return draw_attr(u, DR_WARN);
	default: return draw_attr(u, DR_HEADER);
	}
}

static const struct ui_local *local_at(const struct ui *u, int k)
{
	int j, f = stackview_local_frame(u->fr, u->nfr, k, &j);
	return f < 0 ? NULL : &u->fr[f].locals[j];
}

static void draw_line(struct ui *u, const struct stack_line *sl, int y, int x, int w)
{
	const struct ui_frame *f = &u->fr[sl->frame];
	const struct ui_local *l = sl->local >= 0 ? local_at(u, sl->local) : NULL;
	bool sel = sl->local >= 0 && sl->local == u->v.sel_local;
	const char *arrow = draw_glyph(u, "\xe2\x86\x92", "->");
	char a[400], b[200], s1[FMT_SIZE_LEN];
	int len;

	switch (sl->kind) {
	case SL_FRAME:
		if (f->path[0] && f->line > 0)
			snprintf(a, sizeof(a), "#%d %s  %s:%d  %s", sl->frame, f->func[0] ? f->func : "??",
				 base_name(f->path), f->line, fmt_size(s1, f->size));
		else
			snprintf(a, sizeof(a), "#%d %s  %s", sl->frame, f->func[0] ? f->func : "??",
				 fmt_size(s1, f->size));
		draw_text(y, x, w, sl->frame == 0 ? draw_attr(u, DR_CURRENT) : A_BOLD, a, false);
		break;
	case SL_NOTE:
		draw_textf(y, x, w, draw_attr(u, DR_DIM), "  %s", f->detail);
		break;
	case SL_MORE:
		draw_textf(y, x, w, draw_attr(u, DR_DIM), "  (%d more locals)", f->more);
		break;
	case SL_LOCAL:
		if (!l)
			break;
		stackview_local_text(l, w, a, sizeof(a));
		draw_text(y, x, w, sel && u->v.sel_local >= 0 ? draw_attr(u, DR_SELECT) : A_NORMAL, a, false);
		len = (int)strlen(a) + 1;
		if (sl->label_inline && len < w) {
			stackview_label(l, arrow, b, sizeof(b));
			draw_text(y, x + len, w - len, label_attr(u, l), b, false);
		}
		break;
	case SL_LABEL:
		if (!l)
			break;
		stackview_label(l, arrow, b, sizeof(b));
		draw_textf(y, x, w, label_attr(u, l), "    %s", b);
		break;
	}
}

/* The frames with their locals, scrolled so the selected local shows;
 * the last row says how many lines are left below. */
static void draw_frames(struct ui *u, int y, int x, int w, int bottom)
{
	struct stack_line lines[MAX_LINES];
	int n = stackview_lines(u->fr, u->nfr, w, lines, MAX_LINES);
	int rows = bottom - y, top = u->v.scroll[VP_STACK], sel = -1;

	if (rows <= 0)
		return;
	for (int i = 0; i < n && u->v.sel_local >= 0; i++)
		if (lines[i].kind == SL_LOCAL && lines[i].local == u->v.sel_local) {
			sel = i;
			break;
		}
	if (sel >= 0) {
		/* keep the selected local and its frame's line in sight */
		if (sel >= top + rows - 1)
			top = sel - rows + 2;
		if (sel < top)
			top = sel;
	}
	if (top > n - 1)
		top = n - 1;
	if (top < 0)
		top = 0;
	for (int i = top; i < n && y < bottom; i++) {
		if (y == bottom - 1 && i < n - 1) {
			draw_textf(y, x, w, draw_attr(u, DR_DIM), "... %d more lines (up/down)", n - i);
			break;
		}
		draw_line(u, &lines[i], y++, x, w);
	}
}

void draw_stack(struct ui *u, struct view_rect r)
{
	const struct model_stats *st = model_stats(u->m);
	const struct model_event *ev = view_current_event(&u->v, u->m);
	int x = r.x + 1, w = r.w - 2, y = r.y + 1, bottom = r.y + r.h - 1;
	char s1[FMT_SIZE_LEN], s2[FMT_SIZE_LEN], site[128];

	draw_box(u, r, "Stack", u->v.focus == VP_STACK);
	if (w < 4 || y >= bottom)
		return;
	draw_textf(y++, x, w, A_NORMAL, "sp       %#" PRIx64, st->sp);
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
	if (u->nfr > 0) {
		if (y < bottom)
			draw_text(y++, x, w, A_BOLD, !u->v.nlocals ? "frames, innermost first:"
				  : w >= 42 ? "frames, innermost first (up/down: a local):"
				  : "frames, innermost first (up/down)", false);
		draw_frames(u, y, x, w, bottom);
		return;
	}
	if (y < bottom)
		y++;
	if (ev && ev->site && y < bottom) {
		explain_site(u->m, ev->site, site, sizeof(site));
		draw_text(y++, x, w, A_BOLD, "called from:", false);
		if (y < bottom)
			draw_textf(y++, x, w, draw_attr(u, DR_CURRENT), "%s", site);
	}
	if (y + 1 < bottom && u->src && u->src->frames_recorded)
		draw_text(y + 1, x, w, draw_attr(u, DR_DIM), "no frames recorded at this event", false);
	else if (y + 1 < bottom && u->src && u->src->frames)
		draw_text(y + 1, x, w, draw_attr(u, DR_DIM),
			  u->v.running ? "frames: when the program stops" : "frames and locals: at the newest event", false);
	else if (y + 1 < bottom && !u->v.live)
		draw_text(y + 1, x, w, draw_attr(u, DR_DIM),
			  w >= 38 ? "no frames recorded (trace --frames)" : "no frames recorded", false);
}

/* Where the source pane looks: the followed frame's file and line, else
 * the current event's call site.  Returns false with a reason in `why`. */
static bool source_place(struct ui *u, const char **path, int *line, const char **func,
			 char *why, size_t len)
{
	int k = stackview_source_frame(u->fr, u->nfr, u->v.sel_local);
	const struct model_event *ev = view_current_event(&u->v, u->m);
	const struct model_site *s = ev && ev->site ? model_site(u->m, ev->site) : NULL;

	if (k >= 0) {
		*path = u->fr[k].path;
		*line = u->fr[k].line;
		*func = u->fr[k].func;
		return true;
	}
	if (s && s->file && s->line > 0 && !s->object) {
		*path = s->file;
		*line = s->line;
		*func = s->func;
		return true;
	}
	if (!ev)
		snprintf(why, len, "no source yet: nothing has happened");
	else
		snprintf(why, len, "no source: built without -g");
	return false;
}

void draw_source(struct ui *u, struct view_rect r)
{
	int x = r.x + 1, w = r.w - 2, rows = r.h - 2, first, numw;
	const char *path = NULL, *func = NULL;
	int line = 0;
	char why[256], title[320];

	if (!source_place(u, &path, &line, &func, why, sizeof(why))) {
		draw_box(u, r, "Source", u->v.focus == VP_SOURCE);
		if (rows > 0)
			draw_text(r.y + 1, x, w, draw_attr(u, DR_DIM), why, false);
		return;
	}
	snprintf(title, sizeof(title), "Source: %s:%d in %s", base_name(path), line, func ? func : "??");
	if ((int)strlen(title) + 4 > r.w)
		snprintf(title, sizeof(title), "Source: %s:%d", base_name(path), line);
	draw_box(u, r, title, u->v.focus == VP_SOURCE);
	if (rows <= 0)
		return;
	if (srcfile_load(&u->srcf, path) < 0) {
		int y = r.y + 1;
		/* the path on a line of its own when the pane is narrow */
		if ((int)(strlen("source file not found: ") + strlen(path)) <= w) {
			draw_textf(y++, x, w, draw_attr(u, DR_WARN), "source file not found: %s", path);
		} else {
			draw_text(y++, x, w, draw_attr(u, DR_WARN), "source file not found:", false);
			size_t pl = strlen(path);
			/* a long path keeps its end: the file's name */
			if (y < r.y + r.h - 1 && (int)pl > w && w > 4)
				draw_textf(y++, x, w, draw_attr(u, DR_WARN), "...%s", path + pl - (size_t)(w - 3));
			else if (y < r.y + r.h - 1)
				draw_text(y++, x, w, draw_attr(u, DR_WARN), path, false);
		}
		if (y < r.y + r.h - 1 && u->srcf.err != ENOENT)
			draw_textf(y, x, w, draw_attr(u, DR_DIM), "(%s)", strerror(u->srcf.err));
		return;
	}
	/* line numbers as wide as the file's last one: the code gets the room */
	numw = snprintf(NULL, 0, "%d", u->srcf.nlines);
	if (numw < 3)
		numw = 3;
	/* the current line a third of the way down, plus the scroll */
	first = line - rows / 3 + u->v.scroll[VP_SOURCE];
	if (first > u->srcf.nlines - rows + 1)
		first = u->srcf.nlines - rows + 1;
	if (first < 1)
		first = 1;
	for (int i = 0; i < rows; i++) {
		size_t len;
		const char *t = srcfile_line(&u->srcf, first + i, &len);
		char buf[300];
		int k = 0;
		if (!t)
			break;
		/* tabs as four spaces; control bytes as '?' */
		for (size_t j = 0; j < len && k < (int)sizeof(buf) - 5; j++) {
			if (t[j] == '\t') {
				for (int s = 0; s < 4; s++)
					buf[k++] = ' ';
			} else {
				buf[k++] = (unsigned char)t[j] < 0x20 ? '?' : t[j];
			}
		}
		buf[k] = '\0';
		draw_textf(r.y + 1 + i, x, w, first + i == line ? draw_attr(u, DR_CURRENT) : A_NORMAL,
			   "%s%*d %s", first + i == line ? ">" : " ", numw, first + i, buf);
	}
}
