/* elfmap_dwarf: what the symbol table cannot say, read from DWARF (libdw):
 * that `count.0` is `count` inside `tally()`, and which functions and
 * objects the program's own source defines (so a static binary's own
 * objects stand apart from the C library's, which has no debug info). */
#include "elf/elfmap_int.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdlib.h>
#include <string.h>

struct drec {
	uint64_t addr;
	const char *name;  /* owned by libdw until dwarf_end */
	const char *scope; /* enclosing function, or NULL */
	bool tls;          /* an offset in the TLS template, not an address */
};

struct dwalk {
	struct elfmap *m;
	struct drec *v;
	size_t n, cap;
	size_t budget;     /* DIEs left to visit: a fuzzed file must end */
};

static void add(struct dwalk *w, uint64_t addr, const char *name, const char *scope, bool tls)
{
	if (!name)
		return;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		struct drec *v = realloc(w->v, cap * sizeof(*v));
		if (!v)
			return;
		w->v = v, w->cap = cap;
	}
	w->v[w->n++] = (struct drec){ addr, name, scope, tls };
}

/* The static address of a variable: DW_OP_addr A, or a TLS offset
 * (DW_OP_const*u X; DW_OP_form_tls_address) placed in the TLS template. */
static bool var_addr(struct dwalk *w, Dwarf_Die *die, uint64_t *addr, bool *tls)
{
	Dwarf_Attribute at;
	Dwarf_Op *ops;
	size_t nops;

	if (!dwarf_attr(die, DW_AT_location, &at) || dwarf_getlocation(&at, &ops, &nops) != 0 || nops == 0)
		return false;
	*tls = false;
	if (nops == 1 && ops[0].atom == DW_OP_addr) {
		*addr = ops[0].number;
		return true;
	}
	if (nops == 2 && (ops[1].atom == DW_OP_form_tls_address || ops[1].atom == DW_OP_GNU_push_tls_address) &&
	    (ops[0].atom == DW_OP_const8u || ops[0].atom == DW_OP_const4u || ops[0].atom == DW_OP_constu)) {
		*addr = w->m->facts.tls_addr + ops[0].number;
		*tls = true;
		return true;
	}
	return false;
}

static void walk(struct dwalk *w, Dwarf_Die *die, const char *scope, int depth)
{
	Dwarf_Die child;
	int rc;

	if (depth > 32 || dwarf_child(die, &child) != 0)
		return;
	do {
		int tag = dwarf_tag(&child);
		uint64_t addr;
		Dwarf_Addr pc;
		Dwarf_Attribute at;
		const char *name;
		bool tls;

		if (w->budget == 0)
			return;
		w->budget--;
		switch (tag) {
		case DW_TAG_variable:
			name = dwarf_formstring(dwarf_attr_integrate(&child, DW_AT_name, &at));
			if (var_addr(w, &child, &addr, &tls))
				add(w, addr, name, scope, tls);
			break;
		case DW_TAG_subprogram:
			name = dwarf_diename(&child);
			if (!name)
				name = dwarf_formstring(dwarf_attr_integrate(&child, DW_AT_name, &at));
			if (dwarf_lowpc(&child, &pc) == 0)
				add(w, pc, name, NULL, false);
			walk(w, &child, name, depth + 1);
			break;
		case DW_TAG_lexical_block:
		case DW_TAG_namespace:
		case DW_TAG_structure_type:
		case DW_TAG_class_type:
			walk(w, &child, tag == DW_TAG_lexical_block ? scope : NULL, depth + 1);
			break;
		}
	} while ((rc = dwarf_siblingof(&child, &child)) == 0);
}

static int cmp_drec(const void *a, const void *b)
{
	const struct drec *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static const struct drec *lookup(const struct dwalk *w, uint64_t addr)
{
	size_t lo = 0, hi = w->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->v[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < w->n && w->v[lo].addr == addr ? &w->v[lo] : NULL;
}

bool elfmap_read_dwarf(struct elfmap *m)
{
	struct dwalk w = { .m = m, .budget = 4u << 20 };
	Dwarf *dw = dwarf_begin_elf(m->elf, DWARF_C_READ, NULL);
	Dwarf_Off off = 0, next;
	size_t hsize;

	if (!dw)
		return false;
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;
		if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_tag(&cu) == DW_TAG_compile_unit)
			walk(&w, &cu, NULL, 0);
		if (next <= off)
			break;
		off = next;
	}
	qsort(w.v, w.n, sizeof(*w.v), cmp_drec);
	for (size_t i = 0; i < m->nsyms && w.n; i++) {
		struct elfmap_symbol *s = &m->syms[i];
		const struct drec *r;
		if (s->section < 0 || !(r = lookup(&w, s->addr)))
			continue;
		/* the same address and kind, under the same name or as a renamed
		 * static local; TLS offsets only match TLS symbols */
		const struct drec *hit = NULL;
		for (const struct drec *q = r; q < w.v + w.n && q->addr == s->addr && !hit; q++) {
			if (q->tls != (s->type == ELFMAP_SYM_TLS))
				continue;
			if (strcmp(q->name, s->source_name) == 0 || strcmp(q->name, s->name) == 0 ||
			    (s->type != ELFMAP_SYM_FUNC && s->bind == ELFMAP_BIND_LOCAL && s->size))
				hit = q;
		}
		if (!hit)
			continue;
		r = hit;
		s->own = !strchr(s->name, '@');
		if (s->type != ELFMAP_SYM_FUNC && strcmp(r->name, s->source_name) != 0) {
			const char *k = elfmap_keep(m, r->name, strlen(r->name));
			if (k)
				s->source_name = k;
		}
		if (s->type != ELFMAP_SYM_FUNC && r->scope && s->bind == ELFMAP_BIND_LOCAL) {
			const char *k = elfmap_keep(m, r->scope, strlen(r->scope));
			if (k)
				s->scope = k;
		}
	}
	free(w.v);
	dwarf_end(dw);
	return true;
}
