/* view: the screen's state in plain C: what is current and selected, and
 * the questions the painters and the keys ask of the model (view_keys.c
 * turns keys and clicks into changes of this state). */
#include "ui/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void view_init(struct view *v, bool live)
{
	memset(v, 0, sizeof(*v));
	v->focus = VP_HEAP;
	v->sel_region = -1;
	v->sel_local = -1;
	v->sel_follows = true;
	v->live = live;
}

const struct model_event *view_current_event(const struct view *v, const struct model *m)
{
	return v->cur ? model_event(m, v->cur - 1) : NULL;
}

uint64_t view_event_addr(const struct model_event *ev)
{
	if (!ev)
		return 0;
	if (ev->type == MEV_FREE)
		return ev->args[0];
	if (ev->type == MEV_REALLOC || ev->type == MEV_REALLOCARRAY)
		return ev->result ? ev->result : ev->args[0];
	if (model_ev_is_alloc_call(ev->type))
		return ev->result;
	if (ev->type == MEV_ERROR || ev->type == MEV_SIGNAL)
		return ev->aux;
	return 0;
}

size_t view_block_index(const struct model *m, uint64_t addr)
{
	size_t n, lo = 0, hi;
	const struct model_block *b = model_blocks(m, &n);

	hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (b[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct model_block *view_selected_block(const struct view *v, const struct model *m)
{
	size_t n, i;
	const struct model_block *b = model_blocks(m, &n);

	if (!v->sel_addr)
		return NULL;
	i = view_block_index(m, v->sel_addr);
	if (i < n && b[i].addr == v->sel_addr)
		return &b[i];
	return model_block_at(m, v->sel_addr);
}

/* The block in use nearest to index i (free chunks skipped when possible). */
static size_t nearest_live(const struct model *m, size_t i)
{
	size_t n;
	const struct model_block *b = model_blocks(m, &n);

	if (i >= n)
		i = n - 1;
	for (size_t d = 0; d < n; d++) {
		if (i >= d && b[i - d].state != MB_FREE_CHUNK)
			return i - d;
		if (i + d < n && b[i + d].state != MB_FREE_CHUNK)
			return i + d;
		if (i < d && i + d >= n)
			break;
	}
	return i;
}

const struct model_region *view_region(const struct model *m, int i, int *n)
{
	size_t nr;
	const struct model_region *r = model_regions(m, &nr);

	*n = (int)nr;
	if (i < 0 || (size_t)i >= nr)
		return NULL;
	return &r[nr - 1 - (size_t)i];
}

static int parse_hex(const char *q, uint64_t *out)
{
	char *end;

	if (strncmp(q, "0x", 2) != 0 && strncmp(q, "0X", 2) != 0)
		return -1;
	*out = strtoull(q + 2, &end, 16);
	return (*end == '\0' && end != q + 2) ? 0 : -1;
}

static bool event_matches(const struct model *m, const struct model_event *ev,
			  const char *q, bool is_addr, uint64_t a)
{
	const struct model_site *s;

	if (is_addr)
		return ev->args[0] == a || ev->result == a || ev->aux == a;
	if (strstr(model_ev_name(ev->type), q))
		return true;
	s = model_site(m, ev->site);
	return s && s->func && strstr(s->func, q);
}

long view_search(const struct model *m, const char *q, size_t from)
{
	size_t n = model_event_count(m);
	uint64_t a = 0;
	bool is_addr = parse_hex(q, &a) == 0;

	if (!*q || n == 0)
		return -1;
	for (size_t k = 0; k < n; k++) {
		size_t i = (from + k) % n;
		const struct model_event *ev = model_event(m, i);
		if (ev && event_matches(m, ev, q, is_addr, a))
			return (long)i;
	}
	return -1;
}

void view_select_index(struct view *v, const struct model *m, size_t i)
{
	size_t n;
	const struct model_block *b = model_blocks(m, &n);

	if (n == 0) {
		v->sel_addr = 0;
		v->sel_id = 0;
		return;
	}
	if (i >= n)
		i = n - 1;
	v->sel_addr = b[i].addr;
	v->sel_id = b[i].id;
}

void view_stepped(struct view *v, const struct model *m)
{
	const struct model_event *ev = view_current_event(v, m);
	uint64_t a = view_event_addr(ev);
	const struct model_block *b;
	size_t n;
	int nr;

	v->scroll[VP_EVENTS] = 0;
	/* a step shows the new event: the selected local (its frame may be
	 * gone) gives way, as the heap selection follows the touched block */
	if (v->sel_follows)
		v->sel_local = -1;
	/* the touched block in use, by binary search in the address-ordered
	 * blocks (a freed one is never selected) */
	b = NULL;
	if (a) {
		const struct model_block *all = model_blocks(m, &n);
		size_t i = view_block_index(m, a);
		if (i < n && all[i].addr == a && all[i].state == MB_LIVE)
			b = &all[i];
	}
	if (v->sel_follows && b) {
		v->sel_addr = b->addr;
		v->sel_id = b->id;
	} else if (v->sel_addr) {
		size_t i = view_block_index(m, v->sel_addr);
		const struct model_block *all = model_blocks(m, &n);
		if (i < n && all[i].addr == v->sel_addr)
			v->sel_id = all[i].id;
		else if (n)
			view_select_index(v, m, nearest_live(m, i));
		else
			v->sel_addr = 0, v->sel_id = 0;
	}
	view_region(m, 0, &nr);
	if (v->sel_region >= nr)
		v->sel_region = nr - 1;
}

const char *view_gran_name(int g)
{
	static const char *const names[VG_COUNT] = { "alloc", "call", "line" };
	return g >= 0 && g < VG_COUNT ? names[g] : "?";
}

void view_select_local(struct view *v, const struct model *m, int i)
{
	const struct model_block *b;
	int nr;

	if (i < 0 || i >= v->nlocals) {
		v->sel_local = -1;
		return;
	}
	v->sel_local = i;
	if (!v->local_is_ptr[i] || !v->local_ptr[i])
		return;
	b = model_block_at(m, v->local_ptr[i]);
	if (b) {
		v->sel_addr = b->addr;
		v->sel_id = b->id;
		v->sel_follows = false;
	}
	view_region(m, 0, &nr);
	for (int k = 0; k < nr; k++) {
		const struct model_region *r = view_region(m, k, &nr);
		if (v->local_ptr[i] >= r->start && v->local_ptr[i] < r->end) {
			v->sel_region = k;
			break;
		}
	}
}

void view_set_locals(struct view *v, const struct model *m, const uint64_t *ptr,
		     const bool *is_ptr, int n)
{
	if (n < 0)
		n = 0;
	if (n > VIEW_LOCALS_MAX)
		n = VIEW_LOCALS_MAX;
	for (int i = 0; i < n; i++) {
		v->local_ptr[i] = ptr ? ptr[i] : 0;
		v->local_is_ptr[i] = is_ptr ? is_ptr[i] : false;
	}
	v->nlocals = n;
	if (v->sel_local >= n)
		v->sel_local = -1;
	if (v->sel_local >= 0)
		view_select_local(v, m, v->sel_local);
}
