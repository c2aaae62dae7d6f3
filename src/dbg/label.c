/* label: pointer labels from the model, the decoded stack and a static
 * lookup; see label.h.  Plain C: no libdw, no ptrace. */
#include "dbg/label.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[DBG_PT_KIND_MAX] = {
	[DBG_PT_NONE] = "", [DBG_PT_HEAP] = "heap", [DBG_PT_FREED] = "freed",
	[DBG_PT_STACK] = "stack", [DBG_PT_DATA] = "data", [DBG_PT_BSS] = "bss",
	[DBG_PT_RODATA] = "rodata", [DBG_PT_LITERAL] = "literal",
	[DBG_PT_NULL] = "null", [DBG_PT_UNMAPPED] = "unmapped",
	[DBG_PT_TEXT] = "text", [DBG_PT_OTHER] = "other",
};

const char *dbg_pt_kind_name(enum dbg_pt_kind k)
{
	return (unsigned)k < DBG_PT_KIND_MAX ? kind_names[k] : "";
}

/* A string literal: printable text ending in NUL within 64 bytes. */
static bool read_literal(const struct dbg_label_ctx *c, uint64_t p, char *out, size_t len)
{
	char s[64];
	size_t n = 0;

	if (!c->read)
		return false;
	for (size_t chunk = sizeof(s); chunk >= 8 && !n; chunk /= 2)
		if (c->read(c->read_ctx, p, s, chunk) == 0)
			n = chunk;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == 0) {
			if (i == 0)
				return false;
			snprintf(out, len, "%.*s", (int)i, s);
			return true;
		}
		if ((ch < 32 && ch != '\n' && ch != '\t') || ch == 127)
			return false;
	}
	if (n < sizeof(s))
		return false;
	snprintf(out, len, "%.*s...", (int)(len > 4 ? len - 4 : 0), s);
	return true;
}

static bool label_stack(const struct dbg_stack *st, uint64_t p, struct dbg_label *out)
{
	for (size_t i = 0; st && i < st->n; i++) {
		const struct dbg_frame *f = &st->frames[i];
		if (!f->cfa || p < f->sp || p >= f->cfa)
			continue;
		out->kind = DBG_PT_STACK;
		for (size_t k = 0; k < f->nlocals; k++) {
			const struct dbg_local *l = &f->locals[k];
			if (l->addr && p >= l->addr && p < l->addr + (l->size ? l->size : 1)) {
				out->offset = p - l->addr;
				snprintf(out->symbol, sizeof(out->symbol), "%s in %s (frame #%zu)",
					 l->name, f->func ? f->func : "?", i);
				return true;
			}
		}
		out->offset = p - f->sp;
		snprintf(out->symbol, sizeof(out->symbol), "%s (frame #%zu)",
			 f->func ? f->func : "?", i);
		return true;
	}
	return false;
}

void dbg_label_ptr(const struct dbg_label_ctx *c, uint64_t p, struct dbg_label *out)
{
	const struct model_block *b;
	const struct model_region *r = NULL;
	struct dbg_static s;

	memset(out, 0, sizeof(*out));
	if (p == 0) {
		out->kind = DBG_PT_NULL;
		return;
	}
	if (c->model && c->block_at && (b = c->block_at(c->model, p))) {
		out->kind = b->state == MB_LIVE ? DBG_PT_HEAP : DBG_PT_FREED;
		out->block = b->id;
		out->offset = p - b->addr;
		return;
	}
	if (label_stack(c->stack, p, out))
		return;
	if (c->lookup && c->lookup(c->lookup_ctx, p, &s) == 0 && s.sec != DBG_SEC_NONE) {
		static const uint8_t map[] = { [DBG_SEC_TEXT] = DBG_PT_TEXT,
			[DBG_SEC_RODATA] = DBG_PT_RODATA, [DBG_SEC_DATA] = DBG_PT_DATA,
			[DBG_SEC_BSS] = DBG_PT_BSS };
		out->kind = map[s.sec];
		out->offset = s.offset;
		if (s.symbol)
			snprintf(out->symbol, sizeof(out->symbol), "%s", s.symbol);
		else if (s.sec == DBG_SEC_RODATA &&
			 read_literal(c, p, out->symbol, sizeof(out->symbol)))
			out->kind = DBG_PT_LITERAL;
		return;
	}
	if (c->model && c->region_at)
		r = c->region_at(c->model, p);
	if (r) {
		out->kind = r->kind == MR_STACK || r->kind == MR_THREAD_STACK ? DBG_PT_STACK
			  : r->kind == MR_HEAP ? DBG_PT_HEAP : DBG_PT_OTHER;
		snprintf(out->symbol, sizeof(out->symbol), "%s", r->name);
		out->offset = p - r->start;
		return;
	}
	if (c->read) { /* in no region we know of: ask the memory */
		unsigned char byte;
		out->kind = c->read(c->read_ctx, p, &byte, 1) == 0 ? DBG_PT_OTHER
								     : DBG_PT_UNMAPPED;
		return;
	}
	out->kind = DBG_PT_UNMAPPED;
}

void dbg_label_stack(const struct dbg_label_ctx *c, struct dbg_stack *st)
{
	struct dbg_label_ctx cc = *c;

	if (!cc.stack)
		cc.stack = st;
	for (size_t i = 0; i < st->n; i++)
		for (size_t k = 0; k < st->frames[i].nlocals; k++) {
			struct dbg_local *l = &st->frames[i].locals[k];
			if (l->is_ptr)
				dbg_label_ptr(&cc, l->ptr, &l->label);
		}
}

void dbg_label_str(const struct dbg_label *l, char *buf, size_t len)
{
	const char *k = dbg_pt_kind_name(l->kind);

	switch (l->kind) {
	case DBG_PT_HEAP:
	case DBG_PT_FREED:
		if (!l->block) {
			snprintf(buf, len, "%s", k);
			break;
		}
		if (l->offset)
			snprintf(buf, len, "%s #%" PRIu32 "+%" PRIu64, k, l->block, l->offset);
		else
			snprintf(buf, len, "%s #%" PRIu32, k, l->block);
		break;
	case DBG_PT_NULL:
		snprintf(buf, len, "NULL");
		break;
	case DBG_PT_LITERAL:
		snprintf(buf, len, "literal \"%s\"", l->symbol);
		break;
	case DBG_PT_NONE:
		buf[0] = '\0';
		break;
	default:
		if (l->symbol[0] && l->offset && l->kind != DBG_PT_STACK)
			snprintf(buf, len, "%s: %s+%" PRIu64, k, l->symbol, l->offset);
		else if (l->symbol[0])
			snprintf(buf, len, "%s: %s", k, l->symbol);
		else
			snprintf(buf, len, "%s", k);
	}
}
