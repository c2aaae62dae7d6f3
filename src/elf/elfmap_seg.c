/* elfmap_seg: the allocated sections (classified as size(1) counts them)
 * and the loadable segments with the sections each holds, plus the
 * program-header facts: interpreter, GNU_STACK, GNU_RELRO, TLS. */
#include "elf/elfmap_int.h"

#include <stdlib.h>
#include <string.h>

/* Classifies an allocated section the way size(1) adds it up. */
static enum elfmap_region classify(const GElf_Shdr *sh)
{
	bool nobits = sh->sh_type == SHT_NOBITS;

	if (!(sh->sh_flags & SHF_ALLOC))
		return ELFMAP_R_NONE;
	if (sh->sh_flags & SHF_TLS)
		return nobits ? ELFMAP_R_TBSS : ELFMAP_R_TDATA;
	if (sh->sh_flags & SHF_EXECINSTR)
		return ELFMAP_R_TEXT;
	if (!(sh->sh_flags & SHF_WRITE))
		return ELFMAP_R_RODATA;
	return nobits ? ELFMAP_R_BSS : ELFMAP_R_DATA;
}

static int cmp_sec(const void *a, const void *b)
{
	const struct elfmap_section *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

int elfmap_read_sections(struct elfmap *m)
{
	size_t n = 0, shn;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t strsz = 0, badname = 0;

	if (elf_getshdrnum(m->elf, &shn) != 0 || shn == 0)
		return 0;
	if (elf_getshdrstrndx(m->elf, &m->shstrndx) != 0)
		m->shstrndx = 0;
	if (m->shstrndx) {
		Elf_Scn *ss = elf_getscn(m->elf, m->shstrndx);
		if (ss && gelf_getshdr(ss, &sh) && sh.sh_type == SHT_STRTAB)
			strsz = sh.sh_size;
		else
			elfmap_note(m, true, "section name table (index %zu) is not a string table", m->shstrndx);
	}
	m->secs = calloc(shn, sizeof(*m->secs));
	m->secidx = malloc(shn * sizeof(*m->secidx));
	if (!m->secs || !m->secidx)
		return -1;
	m->nfilesecs = shn;
	for (size_t i = 0; i < shn; i++)
		m->secidx[i] = -1;
	while ((scn = elf_nextscn(m->elf, scn)) != NULL) {
		size_t idx = elf_ndxscn(scn);
		const char *name = NULL;
		struct elfmap_section *s;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (strsz && sh.sh_name < strsz)
			name = elf_strptr(m->elf, m->shstrndx, sh.sh_name);
		if (!name) {
			if (strsz && !badname++)
				elfmap_note(m, true, "section %zu: name outside the section name table", idx);
			name = "?";
		}
		if (strcmp(name, ".debug_info") == 0 || strcmp(name, ".zdebug_info") == 0)
			m->facts.debug_info = true;
		if (sh.sh_type == SHT_SYMTAB)
			m->facts.stripped = false;
		if (sh.sh_type != SHT_NOBITS &&
		    (sh.sh_offset > m->size || sh.sh_size > m->size - sh.sh_offset))
			elfmap_note(m, true, "section %zu (%s) extends past the end of the file", idx, name);
		if (!(sh.sh_flags & SHF_ALLOC) || n >= shn)
			continue;
		s = &m->secs[n++];
		s->name = name;
		s->addr = sh.sh_addr;
		s->size = sh.sh_size;
		s->offset = sh.sh_offset;
		s->type = sh.sh_type;
		s->flags = sh.sh_flags;
		s->region = classify(&sh);
		s->index = (uint32_t)idx;
	}
	m->nsecs = n;
	qsort(m->secs, n, sizeof(*m->secs), cmp_sec);
	for (size_t i = 0; i < n; i++)
		if (m->secs[i].index < shn)
			m->secidx[m->secs[i].index] = (int32_t)i;
	return 0;
}

/* Does section s lie in segment g?  (Empty sections at an edge count.) */
static bool sec_in_seg(const struct elfmap_section *s, const struct elfmap_segment *g)
{
	uint64_t end = g->vaddr + g->memsz;

	if (s->flags & SHF_TLS && s->type == SHT_NOBITS)
		return false; /* .tbss takes no room in the load segment */
	return s->addr >= g->vaddr && s->addr < end && s->size <= end - s->addr &&
	       !(s->size == 0 && s->addr == end);
}

#define MAX_SEGSECS (1u << 20)

/* The first section at or above addr (sections are sorted by address). */
static size_t first_sec_at(const struct elfmap *m, uint64_t addr)
{
	size_t lo = 0, hi = m->nsecs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->secs[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct span {
	uint64_t lo, hi;
	size_t idx;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Notes every segment that starts inside one before it: one sort, one
 * walk (a core file can have thousands of segments). */
static int note_overlaps(struct elfmap *m)
{
	struct span *v = malloc((m->nsegs ? m->nsegs : 1) * sizeof(*v));
	size_t k = 0, far = 0;

	if (!v)
		return -1;
	for (size_t i = 0; i < m->nsegs; i++)
		if (m->segs[i].memsz)
			v[k++] = (struct span){ m->segs[i].vaddr, m->segs[i].vaddr + m->segs[i].memsz, i };
	qsort(v, k, sizeof(*v), cmp_span);
	for (size_t i = 1; i < k; i++) {
		size_t a = v[far].idx, b = v[i].idx;
		if (v[i].lo < v[far].hi)
			elfmap_note(m, false, "loadable segments %zu and %zu overlap", a < b ? a : b, a < b ? b : a);
		if (v[i].hi > v[far].hi)
			far = i;
	}
	free(v);
	return 0;
}

int elfmap_read_segments(struct elfmap *m)
{
	size_t phn, n = 0, total = 0;
	GElf_Phdr ph;

	if (elf_getphdrnum(m->elf, &phn) != 0 || phn == 0)
		return 0;
	m->segs = calloc(phn, sizeof(*m->segs));
	if (!m->segs)
		return -1;
	for (size_t i = 0; i < phn; i++) {
		if (!gelf_getphdr(m->elf, (int)i, &ph))
			continue;
		switch (ph.p_type) {
		case PT_INTERP:
			if (ph.p_offset < m->size && ph.p_filesz <= m->size - ph.p_offset &&
			    ph.p_filesz > 0) {
				const char *s = (const char *)m->image + ph.p_offset;
				m->facts.interp = elfmap_keep(m, s, strnlen(s, ph.p_filesz));
			} else {
				elfmap_note(m, true, "PT_INTERP extends past the end of the file");
			}
			break;
		case PT_GNU_STACK:
			m->facts.has_gnu_stack = true;
			m->facts.exec_stack = (ph.p_flags & PF_X) != 0;
			break;
		case PT_GNU_RELRO:
			m->facts.has_relro = true;
			m->facts.relro_addr = ph.p_vaddr;
			m->facts.relro_size = ph.p_memsz;
			break;
		case PT_TLS:
			m->facts.has_tls = true;
			m->facts.tls_addr = ph.p_vaddr;
			m->facts.tls_memsz = ph.p_memsz;
			m->facts.tls_filesz = ph.p_filesz;
			break;
		case PT_LOAD: {
			struct elfmap_segment *g = &m->segs[n];
			g->vaddr = ph.p_vaddr;
			g->memsz = ph.p_memsz;
			g->filesz = ph.p_filesz;
			g->offset = ph.p_offset;
			g->align = ph.p_align;
			g->flags = ph.p_flags & (PF_R | PF_W | PF_X);
			if (g->vaddr + g->memsz < g->vaddr) {
				elfmap_note(m, true, "segment %zu wraps around the address space", i);
				g->memsz = UINT64_MAX - g->vaddr;
			}
			if (m->facts.type != ELFMAP_CORE &&
			    (ph.p_offset > m->size || ph.p_filesz > m->size - ph.p_offset))
				elfmap_note(m, true, "segment %zu extends past the end of the file", i);
			if (ph.p_filesz > ph.p_memsz)
				elfmap_note(m, true, "segment %zu has a file size above its memory size", i);
			n++;
			break;
		}
		}
	}
	m->nsegs = n;
	if (note_overlaps(m) < 0)
		return -1;
	/* sections are sorted by address: each segment takes a run of them */
	for (int pass = 0; pass < 2; pass++) {
		total = 0;
		for (size_t i = 0; i < n; i++) {
			size_t start = total;
			for (size_t s = first_sec_at(m, m->segs[i].vaddr);
			     s < m->nsecs && m->secs[s].addr < m->segs[i].vaddr + m->segs[i].memsz &&
			     total < MAX_SEGSECS; s++) {
				if (!sec_in_seg(&m->secs[s], &m->segs[i]))
					continue;
				if (pass)
					m->segsecs[total] = (uint32_t)s;
				total++;
			}
			if (pass) {
				m->segs[i].secs = m->segsecs + start;
				m->segs[i].nsecs = total - start;
			}
		}
		if (!pass && !(m->segsecs = malloc((total ? total : 1) * sizeof(*m->segsecs))))
			return -1;
	}
	if (total >= MAX_SEGSECS)
		elfmap_note(m, true, "too many sections in overlapping segments: lists cut short");
	return 0;
}

