/* draw_bottom: the explanation line, the status line (keys, prompts,
 * notes), the block details overlay and the help overlay. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ui/draw.h"
#include "util/fmt.h"

/* Writes `s` over `h` rows of width `w`, breaking at spaces; what does
 * not fit ends the last row in the cut marker. */
static void draw_wrapped(int y, int x, int h, int w, attr_t a, const char *s)
{
	for (int row = 0; row < h && *s; row++) {
		int n = (int)strlen(s), cut = n;
		if (row == h - 1) {
			draw_text(y + row, x, w, a, s, false);
			return;
		}
		if (n > w) {
			cut = w;
			while (cut > 0 && s[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = w;
		}
		char line[512];
		snprintf(line, sizeof(line), "%.*s", cut, s);
		draw_text(y + row, x, w, a, line, false);
		s += cut;
		while (*s == ' ')
			s++;
	}
}

static void block_sentence(struct ui *u, const struct model_block *b, char *buf, size_t len)
{
	char site[128], sz[FMT_SIZE_LEN];

	if (b->state == MB_FREE_CHUNK) {
		snprintf(buf, len, "A free chunk of %s at %#" PRIx64 ": heap memory the allocator "
			 "keeps for the next malloc.", fmt_size(sz, b->size), b->addr);
		return;
	}
	explain_site(u->m, b->alloc_site, site, sizeof(site));
	snprintf(buf, len, "Block #%u: %s asked for in %s at event %u, at %#" PRIx64 "%s; "
		 "Enter shows its bytes.", b->id, fmt_size(sz, b->size), site, b->alloc_ev + 1,
		 b->addr, b->mmapped ? ", in a mapping of its own" : ", in the heap");
}

void draw_bottom(struct ui *u)
{
	struct view *v = &u->v;
	struct view_rect ex = u->lay.explain, st = u->lay.status;
	char s[600];
	const struct model_block *b;
	attr_t a = A_NORMAL;

	if (v->focus == VP_MAP && v->sel_region >= 0) {
		int n;
		const struct model_region *r = view_region(u->m, v->sel_region, &n);
		if (r)
			explain_region(r, s, sizeof(s));
		else
			s[0] = '\0';
	} else if (v->focus == VP_STACK && v->sel_local >= 0 &&
		   stackview_local_frame(u->fr, u->nfr, v->sel_local, NULL) >= 0) {
		int j, f = stackview_local_frame(u->fr, u->nfr, v->sel_local, &j);
		stackview_sentence(&u->fr[f].locals[j], u->fr[f].func, s, sizeof(s));
	} else if (v->focus == VP_HEAP && !v->sel_follows &&
		   (b = view_selected_block(v, u->m)) != NULL) {
		block_sentence(u, b, s, sizeof(s));
	} else {
		const struct model_event *ev = view_current_event(v, u->m);
		char who[64];
		int k = ev ? view_thread_words(v, ev->tid, who, sizeof(who)) : 0;
		/* an event of a thread that is not the main one says whose */
		if (k > 0) {
			who[0] = (char)(who[0] - 'a' + 'A');
			k = snprintf(s, sizeof(s), "%s: ", who);
		}
		explain_sentence(u->m, ev, u->src ? u->src->describe_fault : NULL,
				 u->src ? u->src->ctx : NULL, s + k, sizeof(s) - (size_t)k);
		if (ev && (ev->type == MEV_SIGNAL || ev->type == MEV_ERROR))
			a = draw_attr(u, DR_WARN);
	}
	draw_wrapped(ex.y, ex.x + 1, ex.h, ex.w - 2, a, s);

	a = draw_attr(u, DR_TITLE);
	switch (v->mode) {
	case VM_GOTO:
		snprintf(s, sizeof(s), " Go to event (0-%zu): %s_   Enter: go  Esc: cancel",
			 model_event_count(u->m), v->input);
		break;
	case VM_SEARCH:
		snprintf(s, sizeof(s), " Search events (function, call or 0xADDRESS): %s_   Enter: find next  Esc: cancel",
			 v->input);
		break;
	case VM_CONFIRM_QUIT:
		snprintf(s, sizeof(s), " The program is still running. Quit and kill it? (y/n)");
		a = draw_attr(u, DR_WARN);
		break;
	case VM_INPUT:
		snprintf(s, sizeof(s), " Input for the program: %s_   Enter: send the line  Esc: back to memlens keys",
			 v->input);
		break;
	default:
		if (v->message[0])
			snprintf(s, sizeof(s), " %s", v->message);
		else if (v->wants_input)
			snprintf(s, sizeof(s), " The program waits for input: press i to type a line for it | ? help  q quit");
		else if (v->running)
			snprintf(s, sizeof(s), " Running... any key stops");
		else
			view_status_keys(v, st.w, s, sizeof(s));
	}
	draw_text(st.y, st.x, st.w, a, s, true);
}

/* " by t2 (tid 4243)": the thread event `i` came from, in a program that
 * has had more than one (t1 is the main thread); "" otherwise. */
static const char *thread_of(const struct ui *u, uint32_t i, char *buf, size_t len)
{
	const struct model_event *ev = model_event(u->m, i);
	int k = view_thread_num(&u->v, ev ? ev->tid : 0);

	if (!ev || u->v.nthreads < 2)
		return "";
	if (k)
		snprintf(buf, len, " by t%d (tid %d)", k, (int)ev->tid);
	else
		snprintf(buf, len, " by tid %d", (int)ev->tid);
	return buf;
}

static struct view_rect centered(const struct ui *u, int h, int w)
{
	struct view_rect r;

	if (w > u->lay.cols - 2)
		w = u->lay.cols - 2;
	if (h > u->lay.rows - 2)
		h = u->lay.rows - 2;
	r.h = h;
	r.w = w;
	r.y = (u->lay.rows - h) / 2;
	r.x = (u->lay.cols - w) / 2;
	return r;
}

static void clear_rect(struct view_rect r)
{
	for (int y = r.y; y < r.y + r.h; y++)
		draw_text(y, r.x, r.w, A_NORMAL, "", true);
}

/* Rows of 16 bytes in hex and ASCII from `addr`, at most `rows` rows. */
static void draw_hex(int y, int x, int w, int rows, uint64_t addr, const unsigned char *b, size_t n)
{
	for (size_t off = 0; off < n && rows > 0; off += 16, rows--) {
		char hex[64] = "", asc[20] = "";
		int hn = 0;
		for (size_t i = 0; i < 16 && off + i < n; i++) {
			unsigned char c = b[off + i];
			hn += snprintf(hex + hn, sizeof(hex) - (size_t)hn, "%02x%s", c, i == 7 ? "  " : " ");
			asc[i] = isprint(c) ? (char)c : '.';
			asc[i + 1] = '\0';
		}
		/* the whole address where it fits (82 cells), else the offset */
		if (w >= 82)
			draw_textf(y++, x, w, A_NORMAL, "%012" PRIx64 "  %-50s|%s|", addr + off, hex, asc);
		else
			draw_textf(y++, x, w, A_NORMAL, "+%03zx  %-50s|%s|", off, hex, asc);
	}
}

/* Replay: the bytes the trace recorded (trace --bytes), saying where they
 * come from and when; rows y .. bottom-1. */
static void draw_recorded(struct ui *u, const struct model_block *b, int y, int x, int w, int bottom)
{
	struct ui_bytes rb;
	char sz[FMT_SIZE_LEN];
	attr_t dim = draw_attr(u, DR_DIM);
	int k = u->src && u->src->recorded ? u->src->recorded(u->src->ctx, b, &rb) : -1;
	const struct model_event *ev;
	bool later;

	if (k < 0) {
		draw_text(y, x, w, dim, "bytes: not recorded; record with memlens trace --bytes --json -o FILE",
			  false);
		return;
	}
	if (k == 0 || rb.n == 0) {
		draw_text(y, x, w, dim, b->state == MB_FREE_CHUNK
			  ? "bytes: a trace records none for free chunks"
			  : "bytes: the trace recorded none for this block", false);
		return;
	}
	if (rb.n > sizeof(rb.b))
		rb.n = sizeof(rb.b);
	later = rb.event + 1 > u->v.cur;
	if (rb.when == UI_BYTES_RELEASE) {
		ev = model_event(u->m, rb.event);
		draw_textf(y++, x, w, A_BOLD, "bytes as the program left them before %s at event %zu (recorded):",
			   ev ? model_ev_name(ev->type) : "free", rb.event + 1);
		draw_textf(y++, x, w, dim, "the first %zu of %s%s", rb.n, fmt_size(sz, b->size),
			   later ? "; that call comes later than this event" : "");
	} else {
		draw_textf(y++, x, w, A_BOLD, "bytes at the program's exit, event %zu (recorded):", rb.event + 1);
		draw_textf(y++, x, w, dim, "the first %zu of %s%s", rb.n, fmt_size(sz, b->size),
			   later ? "; read when it ended, they may differ now" : "");
	}
	draw_hex(y, x, w, bottom - y, b->addr, rb.b, rb.n);
}

void draw_details(struct ui *u)
{
	const struct model_block *b = view_selected_block(&u->v, u->m);
	struct view_rect r = centered(u, 20, 86);
	char site[128], t[160], sz[FMT_SIZE_LEN], sz2[FMT_SIZE_LEN];
	unsigned char bytes[256];
	long got = -1;
	int y, x, w;
	uint64_t show;

	clear_rect(r);
	if (!b) {
		draw_box(u, r, "Block", true);
		draw_text(r.y + 1, r.x + 2, r.w - 4, A_NORMAL, "No block here.", false);
		return;
	}
	if (b->state == MB_FREE_CHUNK)
		snprintf(t, sizeof(t), "Free chunk at %#" PRIx64, b->addr);
	else
		snprintf(t, sizeof(t), "Block #%u", b->id);
	draw_box(u, r, t, true);
	y = r.y + 1;
	x = r.x + 2;
	w = r.w - 4;
	draw_textf(y++, x, w, A_NORMAL, "address    %#" PRIx64 "%s", b->addr,
		   b->mmapped ? "  (its own mapping, outside the heap)" : "");
	if (b->hdr && b->hdr != b->addr)
		draw_textf(y++, x, w, A_NORMAL, "header     %#" PRIx64 " (%" PRIu64 " bytes before the block)",
			   b->hdr, b->addr - b->hdr);
	draw_textf(y++, x, w, A_NORMAL, "requested  %s   usable %s", fmt_size(sz, b->size),
		   b->usable ? fmt_size(sz2, b->usable) : "unknown");
	if (b->state != MB_FREE_CHUNK) {
		explain_site(u->m, b->alloc_site, site, sizeof(site));
		draw_textf(y++, x, w, A_NORMAL, "allocated  at event %u%s, in %s", b->alloc_ev + 1,
			   thread_of(u, b->alloc_ev, t, sizeof(t)), site);
		if (b->free_ev != UINT32_MAX) {
			explain_site(u->m, b->free_site, site, sizeof(site));
			draw_textf(y++, x, w, A_NORMAL, "freed      at event %u%s, in %s", b->free_ev + 1,
				   thread_of(u, b->free_ev, t, sizeof(t)), site);
		} else {
			draw_text(y++, x, w, A_NORMAL, "freed      not (yet)", false);
		}
	}
	show = b->size < sizeof(bytes) ? b->size : sizeof(bytes);
	if (u->src && u->src->read_mem && show)
		got = u->src->read_mem(u->src->ctx, b->addr, bytes, (size_t)show);
	y++;
	if (got >= 0) {
		draw_textf(y++, x, w, A_BOLD, "bytes now (%ld of %s, from the live program):", got,
			   fmt_size(sz, b->size));
		draw_hex(y, x, w, r.y + r.h - 2 - y, b->addr, bytes, (size_t)got);
	} else if (u->src && u->src->live) {
		draw_text(y++, x, w, draw_attr(u, DR_DIM),
			  "bytes: the program's memory cannot be read here", false);
	} else {
		draw_recorded(u, b, y, x, w, r.y + r.h - 2);
	}
	draw_text(r.y + r.h - 2, x, w, draw_attr(u, DR_DIM),
		  "Esc or Enter: close   up/down: previous/next block", false);
}

void draw_help(struct ui *u)
{
	static const char *const lines[] = {
		"space, n, Right   next event (a live program runs to it)",
		"b, p, Left        previous event (from the history, no re-run)",
		"c                 continue to the end (any key stops)",
		"g                 go to an event number",
		"/                 search events by function, call or 0xADDRESS",
		"Enter             a block's details and bytes (at a free: the block freed)",
		"Tab, 1-6          focus another pane (small screens: show it)",
		"Up/Down           select a block (heap), a region (map), a local (stack)",
		"s                 live: step by alloc, call or line (cycles)",
		"f                 live: run to the end of the current function",
		"PgUp/PgDn         a page at a time;  Home/End: first/last",
		"z                 zoom the focused pane (Esc: back)",
		"i                 type a line for the program's input",
		"mouse click       select the block or the pane under the pointer",
		"Threads: events are tagged t1 (the main thread), t2, t3...",
		"q                 quit (asks first while the program runs)",
		"Heap strip: # in use, H header, . free chunk; one cell is N bytes.",
		"Memory map: high addresses on top, not to scale, gaps elided.",
		"A line that ends in ~ (or the ellipsis) is cut: z shows the pane whole.",
		"Any key closes this help.",
	};
	int n = (int)(sizeof(lines) / sizeof(lines[0]));
	struct view_rect r = centered(u, n + 2, 74);

	clear_rect(r);
	draw_box(u, r, "Keys", true);
	for (int i = 0; i < n && i < r.h - 2; i++)
		draw_text(r.y + 1 + i, r.x + 2, r.w - 4, A_NORMAL, lines[i], false);
}
