/* uiframe: dbg frames and recorded JSON frames as the screen's frames
 * (see uiframe.h). */
#include "cli/uiframe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/jparse.h"

enum ui_pt uiframe_pt_kind(uint8_t k)
{
	switch (k) {
	case DBG_PT_HEAP: return UI_PT_HEAP;
	case DBG_PT_FREED: return UI_PT_FREED;
	case DBG_PT_STACK: return UI_PT_STACK;
	case DBG_PT_DATA: return UI_PT_DATA;
	case DBG_PT_BSS: return UI_PT_BSS;
	case DBG_PT_RODATA: return UI_PT_RODATA;
	case DBG_PT_LITERAL: return UI_PT_LITERAL;
	case DBG_PT_NULL: return UI_PT_NULL;
	case DBG_PT_UNMAPPED: return UI_PT_UNMAPPED;
	case DBG_PT_TEXT: return UI_PT_TEXT;
	case DBG_PT_OTHER: return UI_PT_OTHER;
	default: return UI_PT_NONE;
	}
}

void uiframe_local_from_dbg(struct ui_local *u, const struct dbg_local *l)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", l->name ? l->name : "?");
	snprintf(u->type, sizeof(u->type), "%s", l->type ? l->type : "");
	snprintf(u->value, sizeof(u->value), "%s", l->value);
	u->param = l->param;
	u->is_ptr = l->is_ptr;
	u->available = l->available;
	u->ptr = l->ptr;
	u->kind = (uint8_t)uiframe_pt_kind(l->label.kind);
	u->block = l->label.block;
	u->offset = l->label.offset;
	snprintf(u->sym, sizeof(u->sym), "%s", l->label.symbol);
}

/* ---- recorded frames ------------------------------------------------- */

static const char *str_of(const struct jdoc *d, uint32_t obj, const char *key)
{
	uint32_t v = jobj_get(d, obj, key);

	return v != JNONE && d->v[v].type == JT_STR ? jstr(d, v) : NULL;
}

static uint64_t uint_of(const struct jdoc *d, uint32_t obj, const char *key)
{
	uint32_t v = jobj_get(d, obj, key);

	return v != JNONE && d->v[v].type == JT_INT && !d->v[v].neg ? d->v[v].u : 0;
}

static void copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s ? s : "");
}

/* The dbg kind whose name dbg_json_frames wrote. */
static enum ui_pt kind_named(const char *name)
{
	for (int k = 1; name && k < DBG_PT_KIND_MAX; k++)
		if (strcmp(dbg_pt_kind_name((enum dbg_pt_kind)k), name) == 0)
			return uiframe_pt_kind((uint8_t)k);
	return UI_PT_NONE;
}

static void local_from_json(struct ui_local *u, const struct jdoc *d, uint32_t o)
{
	uint32_t pt = jobj_get(d, o, "points_to"), pv = jobj_get(d, o, "param");
	size_t tl;

	memset(u, 0, sizeof(*u));
	copy(u->name, sizeof(u->name), str_of(d, o, "name"));
	copy(u->type, sizeof(u->type), str_of(d, o, "type"));
	copy(u->value, sizeof(u->value), str_of(d, o, "value"));
	u->param = pv != JNONE && d->v[pv].type == JT_BOOL && d->v[pv].b;
	/* "<optimized out>", "<unreadable>": what dbg writes when it has no value */
	u->available = u->value[0] != '<';
	tl = strlen(u->type);
	u->is_ptr = (pt != JNONE && d->v[pt].type == JT_OBJ) || (tl && u->type[tl - 1] == '*');
	if (u->is_ptr && u->available)
		u->ptr = strtoull(u->value, NULL, 0);
	if (pt != JNONE && d->v[pt].type == JT_OBJ) {
		u->kind = (uint8_t)kind_named(str_of(d, pt, "kind"));
		u->block = (uint32_t)uint_of(d, pt, "block");
		u->offset = uint_of(d, pt, "offset");
		copy(u->sym, sizeof(u->sym), str_of(d, pt, "symbol"));
	}
}

int uiframe_from_json(const char *text, size_t len, struct ui_frame *f, int max)
{
	struct jdoc d = { 0 };
	uint32_t root = jdoc_parse(&d, text, len);
	int n = 0;

	if (root == JNONE || d.v[root].type != JT_ARR) {
		jdoc_free(&d);
		return -1;
	}
	for (uint32_t o = d.v[root].first; o != JNONE && n < max; o = d.v[o].next) {
		struct ui_frame *u = &f[n];
		uint32_t ls, lv;
		const char *file;
		if (d.v[o].type != JT_OBJ)
			continue;
		memset(u, 0, sizeof(*u));
		copy(u->func, sizeof(u->func), str_of(&d, o, "func") ? str_of(&d, o, "func") : "??");
		copy(u->detail, sizeof(u->detail), str_of(&d, o, "note"));
		file = str_of(&d, o, "file");
		copy(u->path, sizeof(u->path), file);
		lv = jobj_get(&d, o, "line");
		u->line = lv != JNONE && d.v[lv].type == JT_INT && !d.v[lv].neg && d.v[lv].u < 1u << 30
			  ? (int)d.v[lv].u : 0;
		u->pc = uint_of(&d, o, "pc");
		u->cfa = uint_of(&d, o, "cfa");
		u->size = uint_of(&d, o, "size");
		/* the program's own code: not in a shared object, with a source */
		u->own = !str_of(&d, o, "object") && file;
		ls = jobj_get(&d, o, "locals");
		for (uint32_t l = ls != JNONE && d.v[ls].type == JT_ARR ? d.v[ls].first : JNONE;
		     l != JNONE; l = d.v[l].next) {
			if (d.v[l].type != JT_OBJ)
				continue;
			if (u->nlocals == UI_LOCALS_MAX) {
				u->more++;
				continue;
			}
			local_from_json(&u->locals[u->nlocals++], &d, l);
		}
		n++;
	}
	jdoc_free(&d);
	return n;
}
