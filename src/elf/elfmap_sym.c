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
static bool own_by_name(const struct elfmap *m, const struct elfmap_symbol *s, const char *file)
{
	if (strchr(s->name, '@'))
		return false; /* a versioned copy of a library's object */
	if (s->bind == ELFMAP_BIND_LOCAL)
		return source_file(file);
	if (m->facts.type == ELFMAP_STATIC || m->facts.type == ELFMAP_STATIC_PIE)
		return false; /* cannot tell the program's globals from libc's */
	return s->name[0] != '_' && strcmp(s->name, "data_start") != 0;
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

/* Stable LSD radix sort of symbols by address, 16 bits a pass, skipping
 * passes where every key has the same digit. */
static int sort_syms(struct elfmap *m)
{
	size_t n = m->nsyms;
	struct key { uint64_t k; uint32_t i; } *a, *b, *t;
	struct elfmap_symbol *out;
	uint32_t *cnt;

	if (n < 2)
		return 0;
	a = malloc(n * sizeof(*a));
	b = malloc(n * sizeof(*b));
	out = malloc(n * sizeof(*out));
	cnt = malloc(65536 * sizeof(*cnt));
	if (!a || !b || !out || !cnt) {
		free(a), free(b), free(out), free(cnt);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		a[i].k = m->syms[i].addr, a[i].i = (uint32_t)i;
	for (int shift = 0; shift < 64; shift += 16) {
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
	for (size_t i = 0; i < n; i++)
		out[i] = m->syms[a[i].i];
	free(m->syms);
	m->syms = out;
	free(cnt);
	free(a);
	free(b);
	return 0;
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

void elfmap_read_symbols(struct elfmap *m)
{
	GElf_Shdr sh, strsh;
	Elf_Scn *scn = find_symtab(m, &sh), *strscn;
	Elf_Data *data, *xdata;
	size_t ent, count, n = 0;
	const char *file = NULL;
	bool badname = false;

	if (!scn)
		return;
	ent = gelf_fsize(m->elf, ELF_T_SYM, 1, EV_CURRENT);
	if (sh.sh_entsize != ent) {
		elfmap_note(m, true, "symbol table entry size %llu is wrong: symbols not shown",
			    (unsigned long long)sh.sh_entsize);
		return;
	}
	strscn = sh.sh_link < m->nfilesecs ? elf_getscn(m->elf, sh.sh_link) : NULL;
	if (!strscn || !gelf_getshdr(strscn, &strsh) || strsh.sh_type != SHT_STRTAB) {
		elfmap_note(m, true, "symbol table has no string table: symbols not shown");
		return;
	}
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf)
		return;
	xdata = find_xindex(m, elf_ndxscn(scn));
	count = data->d_size / ent;
	m->syms = malloc((count ? count : 1) * sizeof(*m->syms));
	if (!m->syms)
		return;
	for (size_t i = 1; i < count; i++) {
		GElf_Sym sym;
		Elf32_Word xndx = 0;
		struct elfmap_symbol *s = &m->syms[n];
		unsigned type, bind;
		size_t shndx;
		const char *name;

		if (!gelf_getsymshndx(data, xdata, (int)i, &sym, &xndx))
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		bind = GELF_ST_BIND(sym.st_info);
		if (type == STT_FILE) {
			file = sym.st_name < strsh.sh_size ?
				elf_strptr(m->elf, sh.sh_link, sym.st_name) : NULL;
			continue;
		}
		if (type != STT_FUNC && type != STT_OBJECT && type != STT_TLS && type != STT_COMMON)
			continue;
		shndx = sym.st_shndx == SHN_XINDEX ? xndx : sym.st_shndx;
		if (shndx == SHN_UNDEF || shndx == SHN_COMMON)
			continue;
		name = sym.st_name < strsh.sh_size ? elf_strptr(m->elf, sh.sh_link, sym.st_name) : NULL;
		if (!name) {
			badname = true;
			continue;
		}
		s->name = s->source_name = name;
		s->scope = NULL;
		s->size = sym.st_size;
		s->type = type == STT_FUNC ? ELFMAP_SYM_FUNC :
			  type == STT_TLS ? ELFMAP_SYM_TLS : ELFMAP_SYM_OBJECT;
		s->bind = bind == STB_LOCAL ? ELFMAP_BIND_LOCAL : bind == STB_GLOBAL ? ELFMAP_BIND_GLOBAL :
			  bind == STB_WEAK ? ELFMAP_BIND_WEAK : ELFMAP_BIND_OTHER;
		s->section = -1;
		s->region = ELFMAP_R_NONE;
		if (shndx < m->nfilesecs && shndx != SHN_ABS) {
			if (m->secidx[shndx] < 0)
				continue; /* in a section that is not loaded */
			s->section = m->secidx[shndx];
			s->region = m->secs[s->section].region;
		}
		s->addr = sym.st_value;
		if (s->type == ELFMAP_SYM_TLS && m->facts.type != ELFMAP_RELOC)
			s->addr += m->facts.tls_addr; /* st_value is an offset into the template */
		s->own = own_by_name(m, s, file);
		if (s->bind == ELFMAP_BIND_LOCAL && s->type != ELFMAP_SYM_FUNC)
			s->source_name = strip_local_suffix(m, name);
		n++;
	}
	if (badname)
		elfmap_note(m, true, "some symbol names lie outside the string table");
	m->nsyms = n;
	if (sort_syms(m) < 0)
		elfmap_note(m, false, "out of memory sorting symbols");
}

size_t elfmap_find_func(const struct elfmap *m, const char *name, uint64_t *addrs, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nsyms; i++) {
		const struct elfmap_symbol *s = &m->syms[i];
		bool dup = false;
		if (s->type != ELFMAP_SYM_FUNC || strcmp(s->name, name) != 0)
			continue;
		for (size_t k = 0; k < n && k < max; k++)
			dup |= addrs[k] == s->addr;
		/* sorted by address, so an address beyond `max` repeats its predecessor */
		if (n > 0 && n >= max && m->syms[i].addr == m->syms[i - 1].addr)
			dup = true;
		if (dup)
			continue;
		if (n < max)
			addrs[n] = s->addr;
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
