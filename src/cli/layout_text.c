/* layout_text: the text report of `memlens layout`.  Facts first, then the
 * picture, the loadable segments, each region with its sections and the
 * program's own functions and objects (the library's collapsed into one
 * line), and the totals exactly as size(1) prints them. */
#include "cli/layout_text.h"

#include <elf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/fmt.h"

#define OWN_CAP 40  /* own objects listed per section; the rest counted */
#define FUNC_CAP 12 /* own functions listed per section, if no more than this */

static const char *region_what(enum elfmap_region r)
{
	switch (r) {
	case ELFMAP_R_TEXT: return "machine code: read-only, executable";
	case ELFMAP_R_RODATA: return "read-only data: constants, literals, loader tables";
	case ELFMAP_R_DATA: return "initialised globals and statics: read-write";
	case ELFMAP_R_BSS: return "zero-filled globals and statics: not in the file";
	case ELFMAP_R_TDATA: return "thread-local, initialised: copied per thread";
	case ELFMAP_R_TBSS: return "thread-local, zero-filled: copied per thread";
	default: return "";
	}
}

/* "4168 B = 4.1 KiB", or "494 B" below a KiB. */
static char *both_sizes(char *buf, size_t n, uint64_t v)
{
	char h[FMT_SIZE_LEN];

	if (v < 1024)
		snprintf(buf, n, "%" PRIu64 " B", v);
	else
		snprintf(buf, n, "%" PRIu64 " B = %s", v, fmt_size(h, v));
	return buf;
}

static int hex_width(const struct elfmap *m)
{
	size_t ns, ng;
	const struct elfmap_section *s = elfmap_sections(m, &ns);
	const struct elfmap_segment *g = elfmap_segments(m, &ng);
	uint64_t max = elfmap_facts(m)->entry;
	int w = 4;

	for (size_t i = 0; i < ns; i++)
		if (s[i].addr + s[i].size > max)
			max = s[i].addr + s[i].size;
	for (size_t i = 0; i < ng; i++)
		if (g[i].vaddr + g[i].memsz > max)
			max = g[i].vaddr + g[i].memsz;
	while (w < 16 && (max >> (4 * w)) != 0)
		w++;
	return w;
}

static void print_facts(FILE *f, const struct elfmap *m)
{
	const struct elfmap_facts *fa = elfmap_facts(m);
	const struct elfmap_symbol *at = elfmap_symbol_at(m, fa->entry);
	char sz[FMT_SIZE_LEN];
	size_t nsym;

	fprintf(f, "%s: ELF %d-bit, %s-endian, %s\n", fa->path, fa->elfclass,
		fa->big_endian ? "big" : "little", fa->machine_name);
	fprintf(f, "  type          %s\n", elfmap_type_name(fa->type));
	if (fa->interp && fa->type != ELFMAP_CORE)
		fprintf(f, "  interpreter   %s (loads the shared libraries)\n", fa->interp);
	else if (fa->type == ELFMAP_STATIC || fa->type == ELFMAP_STATIC_PIE)
		fprintf(f, "  interpreter   none: the C library is linked into the file\n");
	if (fa->type != ELFMAP_RELOC && fa->type != ELFMAP_CORE)
		fprintf(f, "  entry point   0x%" PRIx64 "%s%s%s\n", fa->entry, at ? " (" : "",
			at ? at->name : "", at ? ")" : "");
	if (fa->type == ELFMAP_CORE)
		return; /* a core file has neither symbols nor debug info of its own */
	elfmap_symbols(m, &nsym);
	fprintf(f, "  symbols       %s\n", !fa->stripped ? "present (not stripped)" :
		nsym ? "stripped (only the dynamic symbols remain)" : "stripped (none left)");
	fprintf(f, "  debug info    %s\n", fa->debug_info ? "yes (DWARF)" : "no");
	if (fa->has_gnu_stack)
		fprintf(f, "  stack         %s (PT_GNU_STACK)\n",
			fa->exec_stack ? "executable" : "not executable");
	if (fa->has_relro)
		fprintf(f, "  relro         0x%" PRIx64 "-0x%" PRIx64 " (%s) made read-only after start-up\n",
			fa->relro_addr, fa->relro_addr + fa->relro_size, fmt_size(sz, fa->relro_size));
	if (fa->has_tls)
		fprintf(f, "  thread-local  %s template at 0x%" PRIx64 ", copied for every thread\n",
			fmt_size(sz, fa->tls_memsz), fa->tls_addr);
}

static void print_notes(FILE *f, const struct elfmap *m)
{
	size_t n;
	const char *const *notes = elfmap_notes(m, &n);

	for (size_t i = 0; i < n; i++)
		fprintf(f, "  note: %s\n", notes[i]);
}

/* Words after column `col`, wrapped to `width` and indented to `col`. */
static void wrap_names(FILE *f, const struct elfmap *m, const struct elfmap_segment *g,
		       int col, int width)
{
	size_t ns;
	const struct elfmap_section *s = elfmap_sections(m, &ns);
	int at = col;

	for (size_t k = 0; k < g->nsecs; k++) {
		int len = (int)strlen(s[g->secs[k]].name);
		if (at > col && at + 1 + len > width) {
			fprintf(f, "\n%*s", col, "");
			at = col;
		}
		fprintf(f, "%s%s", at > col ? " " : "", s[g->secs[k]].name);
		at += len + (at > col);
	}
	fputc('\n', f);
}

static void print_segments(FILE *f, const struct elfmap *m, int hw, int width)
{
	size_t n;
	const struct elfmap_segment *g = elfmap_segments(m, &n);
	char a[FMT_SIZE_LEN], b[FMT_SIZE_LEN];
	int col = 2 + 2 + hw + 2 + 9 + 2 + 9 + 2 + 3 + 2;

	if (n == 0)
		return;
	fprintf(f, "\nLoadable segments (PT_LOAD): what the loader maps into memory\n");
	fprintf(f, "  %-*s  %9s  %9s  %-3s  %s\n", hw + 2, "address", "mem size", "file size", "rwx",
		"sections");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "  0x%0*" PRIx64 "  %9s  %9s  %c%c%c  ", hw, g[i].vaddr, fmt_size(a, g[i].memsz),
			fmt_size(b, g[i].filesz), g[i].flags & PF_R ? 'r' : '-',
			g[i].flags & PF_W ? 'w' : '-', g[i].flags & PF_X ? 'x' : '-');
		if (g[i].nsecs == 0)
			fputc('\n', f);
		else
			wrap_names(f, m, &g[i], col, width);
	}
}

static const char *sym_kind(const struct elfmap_symbol *s, char *buf, size_t n)
{
	bool tls = s->type == ELFMAP_SYM_TLS;

	if (s->type == ELFMAP_SYM_FUNC)
		return s->bind == ELFMAP_BIND_LOCAL ? "static function" : "function";
	if (s->scope)
		snprintf(buf, n, "%sstatic in %s()", tls ? "thread-local " : "", s->scope);
	else if (s->bind == ELFMAP_BIND_LOCAL)
		snprintf(buf, n, "%s", tls ? "thread-local static" : "static in this file");
	else
		snprintf(buf, n, "%sglobal%s", tls ? "thread-local " : "",
			 s->bind == ELFMAP_BIND_WEAK ? " (weak)" : "");
	return buf;
}

/* Per section: the own symbols to list, and what is not the program's. */
struct secinfo {
	uint32_t own[OWN_CAP + FUNC_CAP];
	size_t nown, more, nfuncs;
	size_t others;
	uint64_t other_bytes;
};

static void print_regions(FILE *f, const struct elfmap *m, const struct layout_style *st, int hw,
			  int width)
{
	size_t ns, nsym;
	const struct elfmap_section *s = elfmap_sections(m, &ns);
	const struct elfmap_symbol *sym = elfmap_symbols(m, &nsym);
	const struct elfmap_facts *fa = elfmap_facts(m);
	struct elfmap_totals t;
	struct secinfo *si = calloc(ns ? ns : 1, sizeof(*si));
	bool is_static = fa->type == ELFMAP_STATIC || fa->type == ELFMAP_STATIC_PIE;
	char a[FMT_SIZE_LEN], kind[96], big[48];

	if (!si || ns == 0) {
		free(si);
		return;
	}
	elfmap_totals(m, &t);
	for (size_t i = 0; i < nsym; i++) {
		struct secinfo *x;
		if (sym[i].section < 0)
			continue;
		x = &si[sym[i].section];
		if (sym[i].own && sym[i].type == ELFMAP_SYM_FUNC) {
			if (x->nfuncs++ < FUNC_CAP)
				x->own[x->nown++] = (uint32_t)i;
		} else if (sym[i].own) {
			if (x->nown < OWN_CAP + FUNC_CAP && x->nown - (x->nfuncs < FUNC_CAP ? x->nfuncs : FUNC_CAP) < OWN_CAP)
				x->own[x->nown++] = (uint32_t)i;
			else
				x->more++;
		} else if (sym[i].type != ELFMAP_SYM_FUNC) {
			x->others++;
			x->other_bytes += sym[i].size;
		}
	}
	fprintf(f, "\nRegions: the allocated sections grouped as size(1) counts them\n");
	for (int r = ELFMAP_R_TEXT; r < ELFMAP_R_COUNT; r++) {
		size_t others = 0;
		uint64_t other_bytes = 0;

		if (t.region[r] == 0)
			continue;
		fprintf(f, "%s%-7s%s %-50s %21s\n", layout_color((enum elfmap_region)r, st),
			elfmap_region_name((enum elfmap_region)r), layout_reset(st),
			region_what((enum elfmap_region)r), both_sizes(big, sizeof(big), t.region[r]));
		for (size_t i = 0; i < ns; i++) {
			if ((int)s[i].region != r)
				continue;
			fprintf(f, "  0x%0*" PRIx64 "  %-22s %10" PRIu64 " B", hw, s[i].addr, s[i].name,
				s[i].size);
			if (s[i].size >= 1024)
				fprintf(f, "  %8s", fmt_size(a, s[i].size));
			fputc('\n', f);
			for (size_t k = 0; k < si[i].nown; k++) {
				const struct elfmap_symbol *y = &sym[si[i].own[k]];
				if (y->type == ELFMAP_SYM_FUNC && si[i].nfuncs > FUNC_CAP)
					continue;
				/* 80 columns: the name and the kind give way to long addresses */
				int namew = hw > 8 ? 20 : 24, room = width - (23 + hw + namew);
				fprintf(f, "      0x%0*" PRIx64 "  %-*.*s %8" PRIu64 " B  %.*s\n", hw, y->addr,
					namew, namew, y->source_name, y->size, room > 0 ? room : 0,
					sym_kind(y, kind, sizeof(kind)));
			}
			if (strcmp(s[i].name, ".rodata") == 0 && t.strings)
				fprintf(f, "      and %zu string literal%s\n", t.strings, t.strings == 1 ? "" : "s");
			if (si[i].nfuncs > FUNC_CAP)
				fprintf(f, "      %zu functions of the program's own\n", si[i].nfuncs);
			if (si[i].more)
				fprintf(f, "      ... and %zu more of the program's own (see --json)\n", si[i].more);
			others += si[i].others;
			other_bytes += si[i].other_bytes;
		}
		if (others)
			fprintf(f, "  + %zu object%s of the %s (%s)\n", others, others == 1 ? "" : "s",
				is_static ? "C library and start-up code" : "start-up code and linker",
				fmt_size(a, other_bytes));
	}
	free(si);
}

static void print_totals(FILE *f, const struct elfmap *m)
{
	struct elfmap_totals t;
	uint64_t dec;

	elfmap_totals(m, &t);
	dec = t.text + t.data + t.bss;
	fprintf(f, "\nTotals as size(1) prints them (text = code + read-only data)\n");
	fprintf(f, "  %10s %10s %10s %10s %10s\n", "text", "data", "bss", "dec", "hex");
	fprintf(f, "  %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIx64 "\n",
		t.text, t.data, t.bss, dec, dec);
}

void layout_print_text(FILE *f, const struct elfmap *m, const struct layout_style *st)
{
	int hw = hex_width(m);
	int width = st->width > 0 ? st->width : 80;

	print_facts(f, m);
	print_notes(f, m);
	if (elfmap_facts(m)->type == ELFMAP_RELOC) {
		fprintf(f, "\nAn object file has no addresses yet: the linker assigns them.\n");
	} else {
		fputc('\n', f);
		layout_print_picture(f, m, st);
	}
	print_segments(f, m, hw, width);
	print_regions(f, m, st, hw, width);
	print_totals(f, m);
}
