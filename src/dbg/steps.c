/* steps: the address sets for --step=call and --step=line, from the main
 * program's DWARF only (library code runs at full speed): its functions
 * (entry, after-prologue, end) and its line-table rows that begin a line. */
#include "dbg/dbg_int.h"

#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

static int cmp_func(const void *a, const void *b)
{
	const struct dbg_func *x = a, *y = b;
	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

static int cmp_line(const void *a, const void *b)
{
	const struct dbg_line *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->line - y->line;
}

bool dbg_system_file(const char *file)
{
	return file && strncmp(file, "/usr/", 5) == 0;
}

static void add_func(struct dbg *h, Dwarf_Die *d, uint64_t bias, size_t *cap)
{
	Dwarf_Addr lo, hi, *bp = NULL;
	Dwarf_Attribute a;
	struct dbg_func *f;
	const char *name;
	int line = 0, nbp;

	if (dwarf_lowpc(d, &lo) != 0 || dwarf_highpc(d, &hi) != 0 || hi <= lo ||
	    dbg_system_file(dwarf_decl_file(d)))
		return;
	if (h->nfuncs == *cap) {
		size_t nc = *cap ? 2 * *cap : 64;
		struct dbg_func *n = realloc(h->funcs, nc * sizeof(*n));
		if (!n)
			return;
		h->funcs = n;
		*cap = nc;
	}
	f = &h->funcs[h->nfuncs++];
	/* C++: the linkage name (through DW_AT_specification) demangled. */
	name = dwarf_formstring(dwarf_attr_integrate(d, DW_AT_linkage_name, &a));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(d, DW_AT_name, &a));
	f->name = name ? dbg_plain_name(h, name) : dbg_intern(h, "?");
	f->entry = lo + bias;
	f->end = hi + bias;
	f->body = f->entry;
	nbp = dwarf_entry_breakpoints(d, &bp);
	if (nbp > 0 && bp[0] >= lo && bp[0] < hi)
		f->body = bp[0] + bias;
	free(bp);
	f->file = dbg_intern(h, dwarf_decl_file(d));
	dwarf_decl_line(d, &line);
	f->line = line;
}

static void load_funcs(struct dbg *h)
{
	Dwarf_Die *cu = NULL;
	Dwarf_Addr bias;
	size_t cap = 0;

	h->funcs_done = true;
	if (!h->main_mod)
		return;
	while ((cu = dwfl_module_nextcu(h->main_mod, cu, &bias))) {
		Dwarf_Die c;
		if (dwarf_child(cu, &c) != 0)
			continue;
		do {
			if (dwarf_tag(&c) == DW_TAG_subprogram &&
			    !dwarf_hasattr(&c, DW_AT_declaration))
				add_func(h, &c, bias, &cap);
		} while (dwarf_siblingof(&c, &c) == 0);
	}
	if (h->nfuncs)
		qsort(h->funcs, h->nfuncs, sizeof(*h->funcs), cmp_func);
}

const struct dbg_func *dbg_funcs(struct dbg *h, size_t *n)
{
	if (!h->funcs_done)
		load_funcs(h);
	*n = h->nfuncs;
	return h->funcs;
}

const struct dbg_func *dbg_func_at(struct dbg *h, uint64_t pc)
{
	size_t n, lo = 0, hi;
	const struct dbg_func *f = dbg_funcs(h, &n);

	hi = n;
	while (lo < hi) { /* first entry > pc */
		size_t mid = (lo + hi) / 2;
		if (f[mid].entry <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && pc < f[lo - 1].end)
		return &f[lo - 1];
	return NULL;
}

static void load_lines(struct dbg *h)
{
	Dwarf_Die *cu = NULL;
	Dwarf_Addr bias;
	size_t cap = 0;

	h->lines_done = true;
	if (!h->main_mod)
		return;
	while ((cu = dwfl_module_nextcu(h->main_mod, cu, &bias))) {
		Dwarf_Lines *lines;
		size_t nl;
		int prev = -1;
		const char *prevf = NULL;

		if (dwarf_getsrclines(cu, &lines, &nl) != 0)
			continue;
		for (size_t i = 0; i < nl; i++) {
			Dwarf_Line *l = dwarf_onesrcline(lines, i);
			bool stmt = false, end = false;
			Dwarf_Addr a;
			int no = 0;
			const char *file;

			if (!l || dwarf_lineendsequence(l, &end) != 0 || end) {
				prev = -1;
				continue;
			}
			dwarf_linebeginstatement(l, &stmt);
			dwarf_lineaddr(l, &a);
			dwarf_lineno(l, &no);
			file = dwarf_linesrc(l, NULL, NULL);
			if (!stmt || no <= 0 || (no == prev && file == prevf) ||
			    dbg_system_file(file))
				continue;
			prev = no;
			prevf = file;
			if (h->nlines == cap) {
				size_t nc = cap ? 2 * cap : 256;
				struct dbg_line *n = realloc(h->lines, nc * sizeof(*n));
				if (!n)
					return;
				h->lines = n;
				cap = nc;
			}
			h->lines[h->nlines++] = (struct dbg_line){
				a + bias, dbg_intern(h, file), no };
		}
	}
	if (!h->nlines)
		return;
	qsort(h->lines, h->nlines, sizeof(*h->lines), cmp_line);
	size_t k = 1; /* one row per address */
	for (size_t i = 1; i < h->nlines; i++)
		if (h->lines[i].addr != h->lines[k - 1].addr)
			h->lines[k++] = h->lines[i];
	h->nlines = k;
}

const struct dbg_line *dbg_lines(struct dbg *h, size_t *n)
{
	if (!h->lines_done)
		load_lines(h);
	*n = h->nlines;
	return h->lines;
}

uint64_t dbg_line_addr(struct dbg *h, const char *file, int line)
{
	size_t n, fl = strlen(file);
	const struct dbg_line *l = dbg_lines(h, &n);

	for (size_t i = 0; i < n; i++) { /* sorted by address: the first wins */
		size_t ll;
		if (l[i].line != line || !l[i].file)
			continue;
		ll = strlen(l[i].file);
		if (ll >= fl && strcmp(l[i].file + ll - fl, file) == 0 &&
		    (ll == fl || l[i].file[ll - fl - 1] == '/'))
			return l[i].addr;
	}
	return 0;
}
