/* elfmap_sym: the symbol table.  Reads .symtab (else .dynsym) once, keeps
 * functions, objects and TLS with a section, sorts them by address with a
 * radix sort (the cost on files with 300k symbols is the sort), and answers
 * "which function is malloc" and "what is at this address". */
#include "elf/elfmap_int.h"

#include <stdlib.h>
#include <string.h>

/* Startup files the linker adds around every program. */
static bool crt_file(const char *f)
{
	static const char *crt[] = { "crtstuff.c", "crt1.o", "Scrt1.o", "crti.o", "crtn.o",
				     "start.S", "abi-note.c", "abi-note.S", "init.c",
				     "static-reloc.c", "crtbegin.o", "crtend.o", NULL };
	for (int i = 0; crt[i]; i++)
		if (strcmp(f, crt[i]) == 0)
			return true;
	return false;
}

/* A FILE symbol naming a source file (glibc's archive members in static
 * binaries are named "assert.o", the program's own "prog.c"). */
static bool source_file(const char *f)
{
	const char *dot = f ? strrchr(f, '.') : NULL;

	if (!dot || crt_file(f))
		return false;
	return strcmp(dot, ".c") == 0 || strcmp(dot, ".cc") == 0 || strcmp(dot, ".cpp") == 0 ||
	       strcmp(dot, ".cxx") == 0 || strcmp(dot, ".C") == 0 || strcmp(dot, ".s") == 0 ||
	       strcmp(dot, ".S") == 0;
}

/* The name heuristic used where debug info does not say. */
static bool own_by_name(const struct elfmap *m, const struct elfmap_symbol *s, bool file_src)
{
	if (s->bind == ELFMAP_BIND_LOCAL)
		return file_src;
	if (strchr(s->name, '@'))
		return false; /* a versioned copy of a library's object */
	if (m->facts.type == ELFMAP_STATIC || m->facts.type == ELFMAP_STATIC_PIE)
		return false; /* cannot tell the program's globals from libc's */
	/* reserved names, crt's data_start, the C++ runtime's DW.ref.* */
	return s->name[0] != '_' && strcmp(s->name, "data_start") != 0 &&
	       strncmp(s->name, "DW.ref.", 7) != 0;
}

/* "count.0" -> "count": gcc's name for a function's static local. */
static const char *strip_local_suffix(struct elfmap *m, const char *name)
{
	const char *dot = strrchr(name, '.');
	const char *p;

	if (!dot || dot == name || !dot[1])
		return name;
	for (p = dot + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return name;
	p = elfmap_keep(m, name, (size_t)(dot - name));
	return p ? p : name;
}

/* A symbol to keep: its address (the sort key) and where it is in the
 * table, with bit 31 telling whether the FILE symbol before it names a
 * source file of the program. */
struct key {
	uint64_t k;
	uint32_t i;
};
#define KEY_SRC 0x80000000u

/* Stable LSD radix sort by address, 16 bits a pass, skipping passes where
 * every key has the same digit.  Returns the sorted array (a or b). */
static struct key *radix_sort(struct key *a, struct key *b, size_t n, uint32_t *cnt)
{
	struct key *t;

	for (int shift = 0; n > 1 && shift < 64; shift += 16) {
		uint32_t sum = 0;
		memset(cnt, 0, 65536 * sizeof(*cnt));
		for (size_t i = 0; i < n; i++)
			cnt[(a[i].k >> shift) & 0xffff]++;
		if (cnt[(a[0].k >> shift) & 0xffff] == n)
			continue;
		for (size_t d = 0; d < 65536; d++) {
			uint32_t c = cnt[d];
			cnt[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			b[cnt[(a[i].k >> shift) & 0xffff]++] = a[i];
		t = a, a = b, b = t;
	}
	return a;
}

static Elf_Scn *find_symtab(struct elfmap *m, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL, *dyn = NULL;
	GElf_Shdr d;

	while ((scn = elf_nextscn(m->elf, scn)) != NULL) {
		if (!gelf_getshdr(scn, sh))
			continue;
		if (sh->sh_type == SHT_SYMTAB)
			return scn;
		if (sh->sh_type == SHT_DYNSYM && !dyn)
			dyn = scn, d = *sh;
	}
	if (dyn)
		*sh = d;
	return dyn;
}

static Elf_Data *find_xindex(struct elfmap *m, size_t symidx)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(m->elf, scn)) != NULL)
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB_SHNDX && sh.sh_link == symidx)
			return elf_getdata(scn, NULL);
	return NULL;
}

/* The symbol table as the loader walks it. */
struct symtab {
	Elf_Data *data, *xdata;
	const char *strtab;
	size_t strsz, count;
	bool terminated, is64, badname;
};

static void get_sym(const struct symtab *t, size_t i, GElf_Sym *sym, size_t *shndx)
{
	/* libelf hands back the table in memory form: read it directly */
	if (t->is64) {
		*sym = ((const Elf64_Sym *)t->data->d_buf)[i];
	} else {
		const Elf32_Sym *p = (const Elf32_Sym *)t->data->d_buf + i;
		sym->st_name = p->st_name;
		sym->st_info = p->st_info;
		sym->st_other = p->st_other;
		sym->st_shndx = p->st_shndx;
		sym->st_value = p->st_value;
		sym->st_size = p->st_size;
	}
	*shndx = sym->st_shndx;
	if (sym->st_shndx == SHN_XINDEX)
		*shndx = t->xdata && i < t->xdata->d_size / sizeof(Elf32_Word) ?
			((const Elf32_Word *)t->xdata->d_buf)[i] : SHN_UNDEF;
}

static const char *sym_name(const struct symtab *t, const GElf_Sym *sym)
{
	if (sym->st_name < t->strsz &&
	    (t->terminated || memchr(t->strtab + sym->st_name, 0, t->strsz - sym->st_name)))
		return t->strtab + sym->st_name;
	return NULL;
}

/* Is symbol i one we keep (a defined function, object or TLS in a loaded
 * section or absolute)?  FILE symbols update *file_src. */
static bool keep(struct elfmap *m, struct symtab *t, size_t i, bool *file_src, uint64_t *addr)
{
	GElf_Sym sym;
	size_t shndx;
	unsigned type;

	get_sym(t, i, &sym, &shndx);
	type = GELF_ST_TYPE(sym.st_info);
	if (type == STT_FILE) {
		*file_src = source_file(sym_name(t, &sym));
		return false;
	}
	if (type != STT_FUNC && type != STT_OBJECT && type != STT_TLS && type != STT_COMMON)
		return false;
	if (shndx == SHN_UNDEF || shndx == SHN_COMMON)
		return false;
	if (shndx < m->nfilesecs && shndx != SHN_ABS && m->secidx[shndx] < 0)
		return false; /* in a section that is not loaded */
	if (!sym_name(t, &sym)) {
		t->badname = true;
		return false;
	}
	*addr = sym.st_value;
	if (type == STT_TLS && m->facts.type != ELFMAP_RELOC)
		*addr += m->facts.tls_addr; /* st_value is an offset into the template */
	return true;
}

static void fill(struct elfmap *m, const struct symtab *t, const struct key *k, struct elfmap_symbol *s)
{
	GElf_Sym sym;
	size_t shndx;
	unsigned type, bind;

	get_sym(t, k->i & ~KEY_SRC, &sym, &shndx);
	type = GELF_ST_TYPE(sym.st_info);
	bind = GELF_ST_BIND(sym.st_info);
	s->name = s->source_name = sym_name(t, &sym);
	s->scope = NULL;
	s->addr = k->k;
	s->size = sym.st_size;
	s->type = type == STT_FUNC ? ELFMAP_SYM_FUNC : type == STT_TLS ? ELFMAP_SYM_TLS : ELFMAP_SYM_OBJECT;
	s->bind = bind == STB_LOCAL ? ELFMAP_BIND_LOCAL : bind == STB_GLOBAL ? ELFMAP_BIND_GLOBAL :
		  bind == STB_WEAK ? ELFMAP_BIND_WEAK : ELFMAP_BIND_OTHER;
	s->section = -1;
	s->region = ELFMAP_R_NONE;
	if (shndx < m->nfilesecs && shndx != SHN_ABS) {
		s->section = m->secidx[shndx];
		s->region = m->secs[s->section].region;
	}
	s->own = own_by_name(m, s, (k->i & KEY_SRC) != 0);
	if (s->bind == ELFMAP_BIND_LOCAL && s->type != ELFMAP_SYM_FUNC)
		s->source_name = strip_local_suffix(m, s->name);
}

/* Two passes: pick the symbols and their addresses, sort those keys, then
 * build the symbols already in order (no second copy of 300k records). */
void elfmap_read_symbols(struct elfmap *m)
{
	GElf_Shdr sh, strsh;
	Elf_Scn *scn = find_symtab(m, &sh), *strscn;
	Elf_Data *strdata;
	struct symtab t = { .is64 = gelf_getclass(m->elf) == ELFCLASS64 };
	struct key *a = NULL, *b = NULL, *sorted;
	uint32_t *cnt = NULL;
	size_t n = 0;
	bool file_src = false;

	if (!scn)
		return;
	if (sh.sh_entsize != gelf_fsize(m->elf, ELF_T_SYM, 1, EV_CURRENT)) {
		elfmap_note(m, true, "symbol table entry size %llu is wrong: symbols not shown",
			    (unsigned long long)sh.sh_entsize);
		return;
	}
	strscn = sh.sh_link < m->nfilesecs ? elf_getscn(m->elf, sh.sh_link) : NULL;
	if (!strscn || !gelf_getshdr(strscn, &strsh) || strsh.sh_type != SHT_STRTAB) {
		elfmap_note(m, true, "symbol table has no string table: symbols not shown");
		return;
	}
	t.data = elf_getdata(scn, NULL);
	strdata = elf_getdata(strscn, NULL);
	if (!t.data || !t.data->d_buf || !strdata || !strdata->d_buf || strdata->d_size == 0)
		return;
	t.strtab = strdata->d_buf;
	t.strsz = strdata->d_size;
	/* a string table ending in NUL terminates every name inside it */
	t.terminated = t.strtab[t.strsz - 1] == '\0';
	t.xdata = find_xindex(m, elf_ndxscn(scn));
	t.count = t.data->d_size / sh.sh_entsize;
	if (t.count >= KEY_SRC)
		t.count = KEY_SRC - 1;
	a = malloc((t.count + 1) * sizeof(*a));
	b = malloc((t.count + 1) * sizeof(*b));
	cnt = malloc(65536 * sizeof(*cnt));
	if (!a || !b || !cnt)
		goto out;
	for (size_t i = 1; i < t.count; i++) {
		uint64_t addr;
		if (keep(m, &t, i, &file_src, &addr))
			a[n].k = addr, a[n++].i = (uint32_t)i | (file_src ? KEY_SRC : 0);
	}
	if (t.badname)
		elfmap_note(m, true, "some symbol names lie outside the string table");
	sorted = radix_sort(a, b, n, cnt);
	m->syms = malloc((n ? n : 1) * sizeof(*m->syms));
	if (!m->syms)
		goto out;
	for (size_t i = 0; i < n; i++)
		fill(m, &t, &sorted[i], &m->syms[i]);
	m->nsyms = n;
out:
	if (!m->syms)
		elfmap_note(m, false, "out of memory reading symbols");
	free(a);
	free(b);
	free(cnt);
}

size_t elfmap_find_func(const struct elfmap *m, const char *name, uint64_t *addrs, size_t max)
{
	size_t n = 0;
	uint64_t last = 0;

	/* symbols are sorted by address, so repeats of one address are
	 * consecutive among the matches */
	for (size_t i = 0; i < m->nsyms; i++) {
		const struct elfmap_symbol *s = &m->syms[i];
		if (s->type != ELFMAP_SYM_FUNC || strcmp(s->name, name) != 0)
			continue;
		if (n > 0 && s->addr == last)
			continue;
		if (n < max)
			addrs[n] = s->addr;
		last = s->addr;
		n++;
	}
	return n;
}

static int rank(const struct elfmap_symbol *s)
{
	return (s->type == ELFMAP_SYM_FUNC || s->type == ELFMAP_SYM_OBJECT) * 2 +
	       (s->bind != ELFMAP_BIND_LOCAL);
}

const struct elfmap_symbol *elfmap_symbol_at(const struct elfmap *m, uint64_t addr)
{
	const struct elfmap_symbol *best = NULL;
	size_t lo = 0, hi = m->nsyms;

	while (lo < hi) { /* first symbol above addr */
		size_t mid = lo + (hi - lo) / 2;
		if (m->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Look back a little: aliases share addresses, and a big symbol can
	 * start before smaller ones that end earlier. */
	for (size_t i = lo; i-- > 0 && lo - i <= 64;) {
		const struct elfmap_symbol *s = &m->syms[i];
		bool holds = s->size ? addr - s->addr < s->size : addr == s->addr;
		if (s->type == ELFMAP_SYM_TLS || !holds)
			continue;
		if (!best || rank(s) > rank(best))
			best = s;
	}
	return best;
}

size_t elfmap_count_strings(const struct elfmap *m)
{
	size_t count = 0, k = 0;

	for (size_t i = 0; i < m->nsecs; i++) {
		const struct elfmap_section *sec = &m->secs[i];
		const unsigned char *p;
		size_t run = 0;
		bool bad = false;

		if (sec->region != ELFMAP_R_RODATA || sec->type == SHT_NOBITS ||
		    strncmp(sec->name, ".rodata", 7) != 0 || strncmp(sec->name, ".rodata.cst", 11) == 0)
			continue;
		if (sec->offset > m->size || sec->size > m->size - sec->offset)
			continue;
		p = m->image + sec->offset;
		while (k < m->nsyms && m->syms[k].addr < sec->addr)
			k++;
		for (uint64_t off = 0; off < sec->size; off++) {
			uint64_t a = sec->addr + off;
			unsigned char c = p[off];
			/* skip bytes that belong to a named object such as `answer` */
			while (k < m->nsyms && m->syms[k].addr + m->syms[k].size <= a &&
			       m->syms[k].addr <= a)
				k++;
			if (k < m->nsyms && m->syms[k].addr <= a && m->syms[k].size &&
			    m->syms[k].type == ELFMAP_SYM_OBJECT) {
				run = 0, bad = false;
				continue;
			}
			if (c == 0) {
				count += run > 0 && !bad;
				run = 0, bad = false;
			} else if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t' || c >= 0x80) {
				run++;
			} else {
				bad = true; /* not text */
			}
		}
	}
	return count;
}
