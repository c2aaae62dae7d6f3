/* view_keys: keys and mouse clicks as pure functions of (view, model,
 * layout): each changes the view and says what the caller must do (seek
 * the model, fetch a live event, send input, quit). */
#include "ui/view.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/heapgeo.h"
#include "ui/mapgeo.h"

static int page_rows(const struct view_layout *lay, enum view_pane p)
{
	int h = lay ? lay->pane[p].h - 4 : 0;
	return h > 1 ? h : 1;
}

static enum view_action step_forward(struct view *v, const struct model *m)
{
	if (v->cur < model_event_count(m)) {
		v->cur++;
		return VA_SEEK;
	}
	if (v->live && !v->program_done)
		return VA_FETCH;
	snprintf(v->message, sizeof(v->message), "this is the last event: the program has ended");
	return VA_REDRAW;
}

static enum view_action scroll_key(struct view *v, const struct model *m,
				   const struct view_layout *lay, int key)
{
	int page = page_rows(lay, v->focus);
	size_t n;
	int nr, d = 0;

	switch (key) {
	case VK_UP: d = -1; break;
	case VK_DOWN: d = 1; break;
	case VK_PGUP: d = -page; break;
	case VK_PGDN: d = page; break;
	case VK_HOME: d = -1000000000; break;
	case VK_END: d = 1000000000; break;
	}
	/* the stack pane's up/down select a local (and what it points to) */
	if (v->focus == VP_STACK && v->nlocals > 0) {
		long i = v->sel_local < 0 ? (d > 0 ? -1 : v->nlocals) : v->sel_local;
		i += d;
		if (i < 0)
			i = 0;
		if (i >= v->nlocals)
			i = v->nlocals - 1;
		view_select_local(v, m, (int)i);
		return VA_REDRAW;
	}
	switch (v->focus) {
	case VP_HEAP: {
		long i;
		model_blocks(m, &n);
		if (n == 0)
			return VA_NONE;
		i = v->sel_addr ? (long)view_block_index(m, v->sel_addr) : (d > 0 ? -1 : (long)n);
		i += d;
		if (i < 0)
			i = 0;
		if (i >= (long)n)
			i = (long)n - 1;
		view_select_index(v, m, (size_t)i);
		v->sel_follows = false;
		if (lay) {
			struct heap_geo g;
			heap_geo_compute(&g, v, m, lay->pane[VP_HEAP]);
			v->scroll[VP_HEAP] = (int)g.first;
		}
		return VA_REDRAW;
	}
	case VP_MAP:
		view_region(m, 0, &nr);
		if (nr == 0)
			return VA_NONE;
		{
			long r = (long)v->sel_region + d;
			if (v->sel_region < 0 && d > 0)
				r = d - 1;
			if (r < 0)
				r = 0;
			if (r >= nr)
				r = nr - 1;
			v->sel_region = (int)r;
		}
		return VA_REDRAW;
	case VP_EVENTS: {
		long s = (long)v->scroll[VP_EVENTS] + d;
		long lo = -(long)v->cur, hi = (long)model_event_count(m) - (long)v->cur;
		if (s < lo)
			s = lo;
		if (s > hi)
			s = hi;
		v->scroll[VP_EVENTS] = (int)s;
		return VA_REDRAW;
	}
	case VP_OUTPUT: {
		/* output scrolls back from its end: up shows older lines */
		long s = (long)v->scroll[VP_OUTPUT] - d;
		if (s < 0)
			s = 0;
		if (s > 1000000)
			s = 1000000;
		v->scroll[VP_OUTPUT] = (int)s;
		return VA_REDRAW;
	}
	default: {
		long s = (long)v->scroll[v->focus] + d;
		if (s < 0)
			s = 0;
		if (s > 100000)
			s = 100000;
		v->scroll[v->focus] = (int)s;
		return VA_REDRAW;
	}
	}
}

static enum view_action prompt_key(struct view *v, const struct model *m, int key)
{
	if (key == VK_ESC || key == VK_CTRL_C) {
		v->mode = VM_NORMAL;
		return VA_REDRAW;
	}
	if (key == VK_BACKSPACE) {
		if (v->input_len)
			v->input[--v->input_len] = '\0';
		return VA_REDRAW;
	}
	if (key == VK_ENTER) {
		enum view_mode mode = v->mode;
		v->mode = VM_NORMAL;
		if (mode == VM_GOTO) {
			char *end;
			unsigned long long k = strtoull(v->input, &end, 10);
			size_t n = model_event_count(m);
			if (v->input_len == 0 || *end) {
				snprintf(v->message, sizeof(v->message), "go to: type an event number");
				return VA_REDRAW;
			}
			if (k > n) {
				k = n;
				snprintf(v->message, sizeof(v->message), "only %zu event%s so far", n, n == 1 ? "" : "s");
			}
			v->cur = (size_t)k;
			v->sel_follows = true;
			return VA_SEEK;
		}
		if (v->input_len)
			memcpy(v->query, v->input, v->input_len + 1);
		if (v->query[0]) {
			long i = view_search(m, v->query, v->cur);
			if (i < 0) {
				snprintf(v->message, sizeof(v->message), "no event matches '%.100s'", v->query);
				return VA_REDRAW;
			}
			v->cur = (size_t)i + 1;
			v->sel_follows = true;
			snprintf(v->message, sizeof(v->message), "'%.100s' found at event %ld", v->query, i + 1);
			return VA_SEEK;
		}
		return VA_REDRAW;
	}
	if (key >= 0x20 && key < 0x7f && v->input_len + 1 < sizeof(v->input)) {
		if (v->mode == VM_GOTO && !isdigit(key))
			return VA_NONE;
		v->input[v->input_len++] = (char)key;
		v->input[v->input_len] = '\0';
		return VA_REDRAW;
	}
	return VA_NONE;
}

static enum view_action input_key(struct view *v, int key)
{
	if (key == VK_ESC) {
		v->mode = VM_NORMAL;
		return VA_REDRAW;
	}
	if (key == VK_CTRL_C)
		return VA_QUIT;
	if (key == VK_BACKSPACE) {
		if (v->input_len)
			v->input[--v->input_len] = '\0';
		return VA_REDRAW;
	}
	if (key == VK_ENTER)
		return VA_SEND;
	if (key >= 0x20 && key < 0x100 && v->input_len + 1 < sizeof(v->input)) {
		v->input[v->input_len++] = (char)key;
		v->input[v->input_len] = '\0';
		return VA_REDRAW;
	}
	return VA_NONE;
}

static void open_prompt(struct view *v, enum view_mode mode)
{
	v->mode = mode;
	v->input_len = 0;
	v->input[0] = '\0';
}

/* Details of the block the current event released (a free, or a realloc
 * that moved it), when there is one; true when opened. */
static bool open_released(struct view *v, const struct model *m)
{
	const struct model_event *ev = view_current_event(v, m);
	const struct model_block *b;
	uint64_t keep = v->sel_addr;

	if (!ev || !ev->args[0] || (ev->type != MEV_FREE && ev->type != MEV_REALLOC &&
				    ev->type != MEV_REALLOCARRAY))
		return false;
	v->sel_addr = ev->args[0];
	b = view_selected_block(v, m);
	if (!b || b->state != MB_FREED || b->addr != ev->args[0]) {
		v->sel_addr = keep;
		return false;
	}
	v->sel_id = b->id;
	v->mode = VM_DETAILS;
	return true;
}

enum view_action view_key(struct view *v, const struct model *m,
			  const struct view_layout *lay, int key)
{
	v->message[0] = '\0';
	if (key == VK_CTRL_C)
		return VA_QUIT;
	/* typing for the program does not stop a continue */
	if (v->running && v->mode != VM_INPUT) {
		v->running = false;
		v->finishing = false;
		if (key != 'q')
			return VA_STOP; /* q stops and asks to quit, below */
	}
	switch (v->mode) {
	case VM_GOTO:
	case VM_SEARCH:
		return prompt_key(v, m, key);
	case VM_INPUT:
		return input_key(v, key);
	case VM_HELP:
		v->mode = VM_NORMAL;
		return VA_REDRAW;
	case VM_CONFIRM_QUIT:
		v->mode = VM_NORMAL;
		return (key == 'y' || key == 'Y') ? VA_QUIT : VA_REDRAW;
	case VM_DETAILS:
		if (key == VK_UP || key == VK_DOWN) {
			enum view_pane f = v->focus;
			v->focus = VP_HEAP;
			scroll_key(v, m, lay, key);
			v->focus = f;
			return VA_REDRAW;
		}
		if (key == VK_ESC || key == VK_ENTER || key == 'q' || key == 'x') {
			v->mode = VM_NORMAL;
			return VA_REDRAW;
		}
		return VA_NONE;
	case VM_NORMAL:
		break;
	}
	switch (key) {
	case ' ': case 'n': case VK_RIGHT:
		v->sel_follows = true;
		return step_forward(v, m);
	case 'b': case 'p': case VK_LEFT:
		v->sel_follows = true;
		if (v->cur == 0) {
			snprintf(v->message, sizeof(v->message), "this is the start: nothing has happened yet");
			return VA_REDRAW;
		}
		v->cur--;
		return VA_SEEK;
	case 'c':
		v->sel_follows = true;
		if (v->live && !v->program_done) {
			v->running = true;
			return VA_CONTINUE;
		}
		v->cur = model_event_count(m);
		return VA_SEEK;
	case 'g':
		open_prompt(v, VM_GOTO);
		return VA_REDRAW;
	case '/':
		open_prompt(v, VM_SEARCH);
		return VA_REDRAW;
	case 'i':
		if (!v->live || v->program_done) {
			snprintf(v->message, sizeof(v->message), "no running program to type to");
			return VA_REDRAW;
		}
		open_prompt(v, VM_INPUT);
		return VA_REDRAW;
	case '?': case 'h':
		v->mode = VM_HELP;
		return VA_REDRAW;
	case 'q':
		if (v->live && !v->program_done) {
			v->mode = VM_CONFIRM_QUIT;
			return VA_REDRAW;
		}
		return VA_QUIT;
	case VK_TAB:
		v->focus = (enum view_pane)((v->focus + 1) % VP_COUNT);
		return VA_REDRAW;
	case VK_BTAB:
		v->focus = (enum view_pane)((v->focus + VP_COUNT - 1) % VP_COUNT);
		return VA_REDRAW;
	case 's':
		if (!v->live || v->program_done) {
			snprintf(v->message, sizeof(v->message),
				 "stepping by call or by line needs a running program (replay shows what was recorded)");
			return VA_REDRAW;
		}
		v->gran = (v->gran + 1) % VG_COUNT;
		snprintf(v->message, sizeof(v->message), "n now steps by %s%s", view_gran_name(v->gran),
			 v->gran == VG_ALLOC ? " (each allocator call)"
			 : v->gran == VG_CALL ? " (each call and return of the program's functions)"
			 : " (each source line of the program)");
		return VA_GRAN;
	case 'f':
		if (!v->live || v->program_done) {
			snprintf(v->message, sizeof(v->message), "no running program to finish a function in");
			return VA_REDRAW;
		}
		v->sel_follows = true;
		v->running = true;
		v->finishing = true;
		return VA_FINISH;
	case '1': case '2': case '3': case '4': case '5': case '6':
		v->focus = (enum view_pane)(key - '1');
		return VA_REDRAW;
	case 'z':
		v->zoom = !v->zoom;
		return VA_REDRAW;
	case VK_ENTER:
		if (v->focus == VP_HEAP || v->focus == VP_MAP || v->focus == VP_EVENTS) {
			/* at a free (or a realloc that moved), while the selection
			 * follows the steps, Enter opens the block it released:
			 * the one the step was about */
			if ((v->sel_follows || !v->sel_addr) && open_released(v, m))
				return VA_REDRAW;
			if (!v->sel_addr) {
				snprintf(v->message, sizeof(v->message), "no block selected: the heap is empty here");
				return VA_REDRAW;
			}
			v->mode = VM_DETAILS;
			return VA_REDRAW;
		}
		return VA_NONE;
	case VK_ESC:
		if (v->zoom) {
			v->zoom = 0;
			return VA_REDRAW;
		}
		return VA_NONE;
	case VK_UP: case VK_DOWN: case VK_PGUP: case VK_PGDN: case VK_HOME: case VK_END:
		return scroll_key(v, m, lay, key);
	}
	return VA_NONE;
}

enum view_action view_click(struct view *v, const struct model *m,
			    const struct view_layout *lay, int y, int x)
{
	int p = view_pane_at(lay, y, x);
	struct heap_geo g;
	uint64_t a;

	if (p < 0 || v->mode != VM_NORMAL)
		return VA_NONE;
	v->focus = (enum view_pane)p;
	if (p == VP_MAP) {
		int reg = map_region_at(m, v, lay->pane[VP_MAP], y);
		if (reg >= 0)
			v->sel_region = reg;
		return VA_REDRAW;
	}
	if (p != VP_HEAP)
		return VA_REDRAW;
	heap_geo_compute(&g, v, m, lay->pane[VP_HEAP]);
	a = heap_geo_addr_at(&g, y, x);
	if (a) {
		const struct model_block *blk = model_block_at(m, a);
		size_t n, i;
		const struct model_block *b = model_blocks(m, &n);
		if (!blk) {
			/* a header or padding cell: the block it belongs to */
			i = view_block_index(m, a);
			if (i < n && b[i].addr - a < g.cell_bytes + 64)
				blk = &b[i];
		}
		if (blk && blk->state != MB_FREED) {
			v->sel_addr = blk->addr;
			v->sel_id = blk->id;
			v->sel_follows = false;
		}
		return VA_REDRAW;
	}
	if (y >= g.list.y && y < g.list.y + g.list.h && x >= g.list.x) {
		size_t i = g.first + (size_t)(y - g.list.y);
		if (i < g.nblocks) {
			view_select_index(v, m, i);
			v->sel_follows = false;
		}
	}
	return VA_REDRAW;
}
