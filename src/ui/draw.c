/* draw: the frame (header, panes, explanation and status lines), colours and
 * small painting helpers.  Painters only write into stdscr. */
#include "ui/draw.h"

#include <langinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/textfit.h"
#include "util/fmt.h"

/* UTF-8 text may reach the screen (arrows, the program's output) only in
 * UTF-8 mode; elsewhere every byte that is not printable ASCII shows as ?. */
static bool text_utf8;

int ui_color_parse(const char *s)
{
	if (strcmp(s, "auto") == 0)
		return UI_COLOR_AUTO;
	if (strcmp(s, "always") == 0)
		return UI_COLOR_ALWAYS;
	if (strcmp(s, "never") == 0)
		return UI_COLOR_NEVER;
	return -1;
}

int ui_init(struct ui *u, const struct ui_opts *o, struct model *m,
	    struct ui_source *src, struct err *e)
{
	const char *cs = nl_langinfo(CODESET);
	const char *nc = getenv("NO_COLOR");

	memset(u, 0, sizeof(*u));
	u->m = m;
	u->src = src;
	u->out = malloc(sizeof(*u->out));
	u->fr = calloc(UI_FRAMES_MAX, sizeof(*u->fr));
	if (!u->out || !u->fr) {
		free(u->out);
		free(u->fr);
		u->out = NULL;
		u->fr = NULL;
		return err_set(e, ERR_INTERNAL, "out of memory");
	}
	outbuf_init(u->out);
	view_init(&u->v, src && src->live);
	u->ascii = o->ascii || !cs || strcmp(cs, "UTF-8") != 0;
	text_utf8 = !u->ascii;
	/* NO_COLOR turns colour off; an explicit --color=always wins over it */
	u->color = o->color == UI_COLOR_ALWAYS ||
		   (o->color == UI_COLOR_AUTO && !(nc && *nc));
	snprintf(u->title, sizeof(u->title), "%s", o->title ? o->title : "");
	return 0;
}

void ui_fini(struct ui *u)
{
	free(u->out);
	u->out = NULL;
	free(u->fr);
	u->fr = NULL;
	srcfile_free(&u->srcf);
}

void ui_frames_refresh(struct ui *u)
{
	uint64_t ptr[VIEW_LOCALS_MAX];
	bool is_ptr[VIEW_LOCALS_MAX];
	int n = 0;

	if (u->fr_at == u->v.cur + 1)
		return;
	u->nfr = 0;
	/* live frames only at the newest event: older ones are history */
	if (u->src && u->src->frames && u->v.cur && !u->v.running &&
	    (u->v.cur == model_event_count(u->m) || u->src->frames_recorded)) {
		u->nfr = u->src->frames(u->src->ctx, u->fr, UI_FRAMES_MAX, u->v.cur - 1);
		if (u->nfr < 0)
			u->nfr = 0;
	}
	/* no frames (a step in progress, a continue) is asked again next time */
	u->fr_at = u->nfr > 0 ? u->v.cur + 1 : 0;
	for (int i = 0; i < u->nfr; i++)
		for (int j = 0; j < u->fr[i].nlocals && n < VIEW_LOCALS_MAX; j++, n++) {
			ptr[n] = u->fr[i].locals[j].ptr;
			is_ptr[n] = u->fr[i].locals[j].is_ptr && u->fr[i].locals[j].available;
		}
	view_set_locals(&u->v, u->m, ptr, is_ptr, n);
}

static short pair_of[DR_ROLE_MAX];

void ui_colors_start(struct ui *u)
{
	static const short fg[DR_ROLE_MAX][2] = {
		[DR_TITLE] = { COLOR_CYAN, -1 }, [DR_FOCUS] = { COLOR_YELLOW, -1 },
		[DR_CURRENT] = { COLOR_BLACK, COLOR_YELLOW }, [DR_SELECT] = { COLOR_BLACK, COLOR_CYAN },
		[DR_LIVE] = { COLOR_GREEN, -1 }, [DR_FREE] = { COLOR_BLUE, -1 },
		[DR_HEADER] = { COLOR_MAGENTA, -1 }, [DR_CHANGED] = { COLOR_BLACK, COLOR_GREEN },
		[DR_DIM] = { COLOR_BLUE, -1 }, [DR_WARN] = { COLOR_WHITE, COLOR_RED },
		[DR_MMAP] = { COLOR_YELLOW, -1 },
	};

	if (!u->color || !has_colors()) {
		u->color = false;
		return;
	}
	start_color();
	use_default_colors();
	for (int r = 1; r < DR_ROLE_MAX; r++) {
		init_pair((short)r, fg[r][0], fg[r][1]);
		pair_of[r] = (short)r;
	}
}

attr_t draw_attr(const struct ui *u, enum draw_role r)
{
	static const attr_t mono[DR_ROLE_MAX] = {
		[DR_TITLE] = A_BOLD, [DR_FOCUS] = A_BOLD, [DR_CURRENT] = A_REVERSE,
		[DR_SELECT] = A_REVERSE, [DR_LIVE] = A_BOLD, [DR_HEADER] = A_UNDERLINE,
		[DR_CHANGED] = A_STANDOUT | A_BOLD, [DR_DIM] = A_DIM, [DR_WARN] = A_REVERSE | A_BOLD,
	};

	if (r == DR_NORMAL)
		return A_NORMAL;
	if (u->color)
		return COLOR_PAIR(pair_of[r]) | (r == DR_TITLE || r == DR_FOCUS ? A_BOLD : 0);
	return mono[r];
}

const char *draw_glyph(const struct ui *u, const char *utf8, const char *ascii)
{
	return u->ascii ? ascii : utf8;
}

void draw_text(int y, int x, int w, attr_t a, const char *s, bool pad)
{
	const unsigned char *p = (const unsigned char *)s, *end;
	int cols = 0;
	bool cut;

	if (w <= 0)
		return;
	/* a line too long for its cells ends in a marker, never silently */
	end = p + textfit_cut(s, w, text_utf8, &cut);
	attrset(a);
	move(y, x);
	while (p < end) {
		size_t len = *p >= 0x80 && text_utf8 ? textfit_seq((const char *)p) : 0;
		if (len) {
			addnstr((const char *)p, (int)len);
			p += len;
		} else {
			addch(*p >= 0x20 && *p < 0x7f ? *p : '?');
			p++;
		}
		cols++;
	}
	if (cut) {
		addstr(textfit_marker(text_utf8));
		cols++;
	}
	for (; pad && cols < w; cols++)
		addch(' ');
	attrset(A_NORMAL);
}

void draw_textf(int y, int x, int w, attr_t a, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	draw_text(y, x, w, a, buf, false);
}

void draw_box(const struct ui *u, struct view_rect r, const char *title, bool focus)
{
	attr_t a = focus ? draw_attr(u, DR_FOCUS) : A_NORMAL;

	if (r.h < 2 || r.w < 2)
		return;
	attrset(a);
	if (u->ascii) {
		mvhline(r.y, r.x + 1, '-', r.w - 2);
		mvhline(r.y + r.h - 1, r.x + 1, '-', r.w - 2);
		mvvline(r.y + 1, r.x, '|', r.h - 2);
		mvvline(r.y + 1, r.x + r.w - 1, '|', r.h - 2);
		mvaddch(r.y, r.x, '+');
		mvaddch(r.y, r.x + r.w - 1, '+');
		mvaddch(r.y + r.h - 1, r.x, '+');
		mvaddch(r.y + r.h - 1, r.x + r.w - 1, '+');
	} else {
		mvhline(r.y, r.x + 1, ACS_HLINE, r.w - 2);
		mvhline(r.y + r.h - 1, r.x + 1, ACS_HLINE, r.w - 2);
		mvvline(r.y + 1, r.x, ACS_VLINE, r.h - 2);
		mvvline(r.y + 1, r.x + r.w - 1, ACS_VLINE, r.h - 2);
		mvaddch(r.y, r.x, ACS_ULCORNER);
		mvaddch(r.y, r.x + r.w - 1, ACS_URCORNER);
		mvaddch(r.y + r.h - 1, r.x, ACS_LLCORNER);
		mvaddch(r.y + r.h - 1, r.x + r.w - 1, ACS_LRCORNER);
	}
	attrset(A_NORMAL);
	if (title && r.w > 6)
		draw_textf(r.y, r.x + 2, r.w - 4, a | A_BOLD, " %s%s ", focus ? "*" : "", title);
}

void draw_header(struct ui *u)
{
	const struct model_stats *st = model_stats(u->m);
	struct view_rect r = u->lay.header;
	char in[FMT_SIZE_LEN], pk[FMT_SIZE_LEN], d[FMT_SIZE_LEN], dm[FMT_SIZE_LEN];
	const char *state;
	char stopped[40];
	size_t n = model_event_count(u->m);

	if (u->v.running)
		state = u->v.finishing ? "running to the return" : "running";
	else if (u->v.live && !u->v.program_done) {
		snprintf(stopped, sizeof(stopped), "stopped, step by %s", view_gran_name(u->v.gran));
		state = stopped;
	}
	else if (u->v.live)
		state = "ended";
	else
		state = "replay";
	draw_text(r.y, r.x, r.w, draw_attr(u, DR_TITLE), "", true);
	{
		/* the longest wording that fits: full, short, then without the stack */
		char h[3][320];
		int k = 0;
		size_t cur = u->v.cur;
		const char *more = u->v.live && !u->v.program_done ? "+" : "";
		fmt_size(in, st->heap_in_use);
		fmt_size(pk, st->heap_peak);
		fmt_size(d, st->stack_depth);
		fmt_size(dm, st->stack_max);
		snprintf(h[0], sizeof(h[0]), " memlens %s | event %zu of %zu%s | heap %s (peak %s) | stack %s (deepest %s) | %s",
			 u->title, cur, n, more, in, pk, d, dm, state);
		snprintf(h[1], sizeof(h[1]), " %s | event %zu/%zu%s | heap %s (peak %s) | stack %s (max %s) | %s",
			 u->title, cur, n, more, in, pk, d, dm, state);
		snprintf(h[2], sizeof(h[2]), " %s | event %zu/%zu%s | heap %s (peak %s) | %s",
			 u->title, cur, n, more, in, pk, state);
		while (k < 2 && (int)strlen(h[k]) > r.w)
			k++;
		draw_text(r.y, r.x, r.w, draw_attr(u, DR_TITLE), h[k], false);
	}
	if (u->lay.tabs.h) {
		static const char *const shortname[VP_COUNT] = { "Map", "Heap", "Stack", "Events", "Output", "Source" };
		int x = 0;
		draw_text(u->lay.tabs.y, 0, u->lay.cols, A_NORMAL, "", true);
		for (int p = 0; p < VP_COUNT; p++) {
			char t[32];
			bool on = (int)u->v.focus == p;
			snprintf(t, sizeof(t), on ? "[%d %s]" : " %d %s ", p + 1, shortname[p]);
			draw_text(u->lay.tabs.y, x, u->lay.cols - x, on ? draw_attr(u, DR_SELECT) : A_NORMAL, t, false);
			x += (int)strlen(t) + 1;
		}
		draw_text(u->lay.tabs.y, x, u->lay.cols - x, draw_attr(u, DR_DIM),
			  u->lay.cols - x >= 23 ? "Tab or 1-6: other panes" : "Tab, 1-6", false);
	}
}

static void draw_too_small(struct ui *u)
{
	erase();
	draw_textf(0, 0, u->lay.cols, A_BOLD, "Terminal too small (%dx%d).", u->lay.cols, u->lay.rows);
	draw_text(1, 0, u->lay.cols, A_NORMAL, "memlens needs at least 40x10.", false);
	draw_text(2, 0, u->lay.cols, A_NORMAL, "Enlarge the window, or press q.", false);
}

void ui_draw(struct ui *u)
{
	int rows, cols;

	getmaxyx(stdscr, rows, cols);
	view_layout(&u->v, rows, cols, &u->lay);
	if (u->lay.too_small) {
		draw_too_small(u);
		return;
	}
	ui_frames_refresh(u);
	view_threads_update(&u->v, u->m);
	erase();
	draw_header(u);
	if (u->lay.pane[VP_MAP].h)
		draw_map(u, u->lay.pane[VP_MAP]);
	if (u->lay.pane[VP_HEAP].h)
		draw_heap(u, u->lay.pane[VP_HEAP]);
	if (u->lay.pane[VP_STACK].h)
		draw_stack(u, u->lay.pane[VP_STACK]);
	if (u->lay.pane[VP_EVENTS].h)
		draw_events(u, u->lay.pane[VP_EVENTS]);
	if (u->lay.pane[VP_OUTPUT].h)
		draw_output(u, u->lay.pane[VP_OUTPUT]);
	if (u->lay.pane[VP_SOURCE].h)
		draw_source(u, u->lay.pane[VP_SOURCE]);
	draw_bottom(u);
	if (u->v.mode == VM_DETAILS)
		draw_details(u);
	else if (u->v.mode == VM_HELP)
		draw_help(u);
}
