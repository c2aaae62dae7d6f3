/* elfmap: opening an ELF file without trusting it.  The header fields are
 * checked by subtraction against the file size before libelf sees them; a
 * broken section or program header table is cut out of a private copy of
 * the header so the sound half can still be shown, with a note. */
#include "elf/elfmap_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Raw header fields, read by hand so a damaged table cannot mislead. */
struct rawhdr {
	bool is64, be;
	uint16_t type, machine, phentsize, shentsize;
	uint64_t entry, phoff, shoff;
	uint64_t phnum, shnum, shstrndx;
};

static uint64_t rd(const unsigned char *p, int n, bool be)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[be ? n - 1 - i : i] << (8 * i);
	return v;
}

static void wr(unsigned char *p, int n, bool be, uint64_t v)
{
	for (int i = 0; i < n; i++)
		p[be ? n - 1 - i : i] = (unsigned char)(v >> (8 * i));
}

void elfmap_note(struct elfmap *m, bool damage, const char *fmt, ...)
{
	char buf[256], **nn, *s;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (m->nnotes >= 64)
		return; /* a fuzzed file can be wrong in endless ways */
	nn = realloc(m->notes, (m->nnotes + 1) * sizeof(*nn));
	if (!nn)
		return;
	m->notes = nn;
	s = strdup(buf);
	if (!s)
		return;
	m->notes[m->nnotes++] = s;
	if (damage && !m->damage)
		m->damage = s;
}

/* Why the first bytes are not an ELF file, in words. */
static const char *not_elf_reason(const unsigned char *p, size_t n)
{
	size_t text = 0;

	if (n >= 2 && p[0] == '#' && p[1] == '!')
		return "not an ELF file (a script)";
	if (n >= 7 && memcmp(p, "!<arch>", 7) == 0)
		return "not an ELF file (an ar archive of object files)";
	for (size_t i = 0; i < n && i < 512; i++)
		text += (p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\n' || p[i] == '\t' || p[i] == '\r';
	if (text == (n < 512 ? n : 512))
		return "not an ELF file (text)";
	return "not an ELF file";
}

static int read_header(struct elfmap *m, struct rawhdr *h, struct err *e)
{
	const unsigned char *p = m->image;
	const char *path = m->path;

	if (m->size < EI_NIDENT || memcmp(p, ELFMAG, SELFMAG) != 0)
		return err_set(e, ERR_INPUT, "%s: %s", path, not_elf_reason(p, m->size));
	if (p[EI_CLASS] != ELFCLASS32 && p[EI_CLASS] != ELFCLASS64)
		return err_set(e, ERR_INPUT, "%s: unknown ELF class %u", path, p[EI_CLASS]);
	if (p[EI_DATA] != ELFDATA2LSB && p[EI_DATA] != ELFDATA2MSB)
		return err_set(e, ERR_INPUT, "%s: unknown ELF data encoding %u", path, p[EI_DATA]);
	h->is64 = p[EI_CLASS] == ELFCLASS64;
	h->be = p[EI_DATA] == ELFDATA2MSB;
	if (m->size < (h->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return err_set(e, ERR_INPUT, "%s: truncated inside the ELF header", path);
	h->type = (uint16_t)rd(p + 16, 2, h->be);
	h->machine = (uint16_t)rd(p + 18, 2, h->be);
	if (h->is64) {
		h->entry = rd(p + 24, 8, h->be);
		h->phoff = rd(p + 32, 8, h->be);
		h->shoff = rd(p + 40, 8, h->be);
		h->phentsize = (uint16_t)rd(p + 54, 2, h->be);
		h->phnum = rd(p + 56, 2, h->be);
		h->shentsize = (uint16_t)rd(p + 58, 2, h->be);
		h->shnum = rd(p + 60, 2, h->be);
		h->shstrndx = rd(p + 62, 2, h->be);
	} else {
		h->entry = rd(p + 24, 4, h->be);
		h->phoff = rd(p + 28, 4, h->be);
		h->shoff = rd(p + 32, 4, h->be);
		h->phentsize = (uint16_t)rd(p + 42, 2, h->be);
		h->phnum = rd(p + 44, 2, h->be);
		h->shentsize = (uint16_t)rd(p + 46, 2, h->be);
		h->shnum = rd(p + 48, 2, h->be);
		h->shstrndx = rd(p + 50, 2, h->be);
	}
	return 0;
}

/* Does a table of n entries of `ent` bytes at `off` fit in the file?
 * Checked by subtraction and division, so nothing can overflow. */
static const char *table_fits(const struct elfmap *m, uint64_t off, uint64_t n,
			      uint64_t ent, uint64_t want_ent)
{
	if (n == 0)
		return NULL;
	if (ent != want_ent)
		return "has the wrong entry size";
	if (off >= m->size)
		return "is past the end of the file";
	if (n > (m->size - off) / ent)
		return n > 65536 / 2 ? "has an absurd entry count" : "is cut short (truncated file)";
	return NULL;
}

/* Checks both header tables; cuts out whichever is broken (in the private
 * copy) and notes it.  Fails when neither can be trusted. */
static int check_tables(struct elfmap *m, struct rawhdr *h, struct err *e)
{
	unsigned char *p = m->image;
	uint64_t shent = h->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	uint64_t phent = h->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	const char *shbad = NULL, *phbad = NULL;
	char why[160] = "";

	/* Extended counts live in section 0 (ELF gABI). */
	if (h->shoff != 0 && (h->shnum == 0 || h->phnum == PN_XNUM || h->shstrndx == SHN_XINDEX)) {
		if (h->shoff >= m->size || m->size - h->shoff < shent || h->shentsize != shent) {
			shbad = "is past the end of the file";
		} else {
			const unsigned char *s0 = p + h->shoff;
			if (h->shnum == 0)
				h->shnum = rd(s0 + (h->is64 ? 32 : 20), h->is64 ? 8 : 4, h->be);
			if (h->shstrndx == SHN_XINDEX)
				h->shstrndx = rd(s0 + (h->is64 ? 40 : 24), 4, h->be);
			if (h->phnum == PN_XNUM)
				h->phnum = rd(s0 + (h->is64 ? 44 : 28), 4, h->be);
		}
	}
	if (!shbad)
		shbad = table_fits(m, h->shoff, h->shnum, h->shentsize, shent);
	if (!shbad && h->shnum > 0 && h->shstrndx >= h->shnum) {
		snprintf(why, sizeof(why), "e_shstrndx %llu is out of range (%llu sections)",
			 (unsigned long long)h->shstrndx, (unsigned long long)h->shnum);
	}
	phbad = table_fits(m, h->phoff, h->phnum, h->phentsize, phent);
	if (phbad && h->phnum == PN_XNUM)
		phbad = "has an unknown entry count";

	if ((shbad || why[0]) && (phbad || h->phnum == 0)) {
		if (phbad && shbad)
			return err_set(e, ERR_INPUT, "%s: truncated: the program and section header "
				       "tables lie past the end of the file (%zu bytes)", m->path, m->size);
		if (phbad)
			return err_set(e, ERR_INPUT, "%s: program header table %s", m->path, phbad);
		if (shbad)
			return err_set(e, ERR_INPUT, "%s: section header table %s", m->path, shbad);
		return err_set(e, ERR_INPUT, "%s: %s", m->path, why);
	}
	if (shbad || why[0]) {
		if (shbad)
			elfmap_note(m, true, "section header table %s: sections and symbols not shown", shbad);
		else
			elfmap_note(m, true, "%s: sections and symbols not shown", why);
		wr(p + (h->is64 ? 40 : 32), h->is64 ? 8 : 4, h->be, 0);
		wr(p + (h->is64 ? 60 : 48), 2, h->be, 0);
		wr(p + (h->is64 ? 62 : 50), 2, h->be, 0);
		if (h->phnum >= PN_XNUM) /* its count was in section 0 */
			return err_set(e, ERR_INPUT, "%s: section header table %s", m->path,
				       shbad ? shbad : "is unusable");
		h->shoff = h->shnum = h->shstrndx = 0;
	}
	if (phbad) {
		elfmap_note(m, true, "program header table %s: segments not shown", phbad);
		wr(p + (h->is64 ? 32 : 28), h->is64 ? 8 : 4, h->be, 0);
		wr(p + (h->is64 ? 56 : 44), 2, h->be, 0);
		h->phoff = h->phnum = 0;
	}
	return 0;
}

static const char *machine_name(unsigned em)
{
	switch (em) {
	case EM_X86_64: return "x86-64";
	case EM_386: return "Intel 80386";
	case EM_AARCH64: return "AArch64";
	case EM_ARM: return "ARM";
	case EM_RISCV: return "RISC-V";
	case EM_PPC: return "PowerPC";
	case EM_PPC64: return "PowerPC64";
	case EM_S390: return "IBM S/390";
	case EM_MIPS: return "MIPS";
	case EM_SPARC: return "SPARC";
	case EM_SPARCV9: return "SPARC v9";
	case EM_LOONGARCH: return "LoongArch";
	case EM_68K: return "Motorola 68000";
	case EM_SH: return "SuperH";
	case EM_IA_64: return "IA-64";
	case EM_ALPHA: return "Alpha";
	case EM_NONE: return "none";
	}
	return NULL;
}

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

static int read_sections(struct elfmap *m)
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

static int read_segments(struct elfmap *m)
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
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			struct elfmap_segment *a = &m->segs[i], *b = &m->segs[j];
			if (a->memsz && b->memsz && a->vaddr < b->vaddr + b->memsz &&
			    b->vaddr < a->vaddr + a->memsz)
				elfmap_note(m, false, "loadable segments %zu and %zu overlap", i, j);
		}
	for (size_t i = 0; i < n; i++)
		for (size_t s = 0; s < m->nsecs; s++)
			total += sec_in_seg(&m->secs[s], &m->segs[i]);
	m->segsecs = malloc((total ? total : 1) * sizeof(*m->segsecs));
	if (!m->segsecs)
		return -1;
	total = 0;
	for (size_t i = 0; i < n; i++) {
		size_t start = total;
		m->segs[i].secs = m->segsecs + start;
		for (size_t s = 0; s < m->nsecs; s++)
			if (sec_in_seg(&m->secs[s], &m->segs[i]))
				m->segsecs[total++] = (uint32_t)s;
		m->segs[i].nsecs = total - start;
	}
	return 0;
}

/* Is a DF_1_PIE flag in the dynamic section?  And a DT_SONAME? */
static void read_dynamic(struct elfmap *m, bool *pie, bool *soname)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Dyn d;

	*pie = *soname = false;
	while ((scn = elf_nextscn(m->elf, scn)) != NULL) {
		Elf_Data *data;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC)
			continue;
		data = elf_getdata(scn, NULL);
		for (int i = 0; data && (size_t)i < data->d_size / (sh.sh_entsize ? sh.sh_entsize : 1); i++) {
			if (!gelf_getdyn(data, i, &d) || d.d_tag == DT_NULL)
				break;
			if (d.d_tag == DT_FLAGS_1 && (d.d_un.d_val & DF_1_PIE))
				*pie = true;
			if (d.d_tag == DT_SONAME)
				*soname = true;
		}
		return;
	}
}

static void file_type(struct elfmap *m, const struct rawhdr *h)
{
	bool pie, soname;

	switch (h->type) {
	case ET_EXEC:
		m->facts.type = m->facts.interp ? ELFMAP_EXEC : ELFMAP_STATIC;
		break;
	case ET_DYN:
		read_dynamic(m, &pie, &soname);
		if (!pie && m->facts.interp && !soname && h->entry)
			pie = true; /* PIEs linked before DF_1_PIE existed */
		if (pie)
			m->facts.type = m->facts.interp ? ELFMAP_PIE : ELFMAP_STATIC_PIE;
		else
			m->facts.type = ELFMAP_SHARED;
		break;
	case ET_CORE: m->facts.type = ELFMAP_CORE; break;
	case ET_REL: m->facts.type = ELFMAP_RELOC; break;
	default: m->facts.type = ELFMAP_OTHER; break;
	}
}

static void compute_totals(struct elfmap *m)
{
	struct elfmap_totals *t = &m->totals;

	for (size_t i = 0; i < m->nsecs; i++)
		t->region[m->secs[i].region] += m->secs[i].size;
	t->text = t->region[ELFMAP_R_TEXT] + t->region[ELFMAP_R_RODATA];
	t->data = t->region[ELFMAP_R_DATA] + t->region[ELFMAP_R_TDATA];
	t->bss = t->region[ELFMAP_R_BSS] + t->region[ELFMAP_R_TBSS];
	t->strings = elfmap_count_strings(m);
}

/* Reads the map from m->image; the one path both entries share. */
static struct elfmap *load(struct elfmap *m, struct err *e)
{
	struct rawhdr h = { 0 };
	char mname[24];

	if (read_header(m, &h, e) < 0 || check_tables(m, &h, e) < 0)
		goto fail;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		err_set(e, ERR_INTERNAL, "%s: libelf is unusable", m->path);
		goto fail;
	}
	m->elf = elf_memory((char *)m->image, m->size);
	if (!m->elf || elf_kind(m->elf) != ELF_K_ELF) {
		err_set(e, ERR_INPUT, "%s: not a readable ELF file: %s", m->path, elf_errmsg(-1));
		goto fail;
	}
	m->facts.path = m->path;
	m->facts.elfclass = h.is64 ? 64 : 32;
	m->facts.big_endian = h.be;
	m->facts.machine = h.machine;
	m->facts.machine_name = machine_name(h.machine);
	if (!m->facts.machine_name) {
		snprintf(mname, sizeof(mname), "EM_%u", h.machine);
		m->facts.machine_name = elfmap_keep(m, mname, strlen(mname));
	}
	m->facts.entry = h.entry;
	m->facts.stripped = true;
	m->facts.type = h.type == ET_CORE ? ELFMAP_CORE : ELFMAP_OTHER;
	if (read_sections(m) < 0 || read_segments(m) < 0) {
		err_set(e, ERR_INTERNAL, "%s: out of memory", m->path);
		goto fail;
	}
	file_type(m, &h);
	if (m->facts.type == ELFMAP_CORE)
		elfmap_note(m, false, "a core file: the memory of a process that died, not a program");
	elfmap_read_symbols(m);
	if (m->facts.debug_info)
		elfmap_read_dwarf(m);
	compute_totals(m);
	return m;
fail:
	elfmap_close(m);
	return NULL;
}

static struct elfmap *new_map(const char *path)
{
	struct elfmap *m = calloc(1, sizeof(*m));

	if (m && !(m->path = strdup(path))) {
		free(m);
		m = NULL;
	}
	return m;
}

struct elfmap *elfmap_open(const char *path, struct err *e)
{
	struct elfmap *m;
	struct stat st;
	int fd;

	/* stat before open: opening a FIFO blocks, /dev/zero never ends. */
	if (stat(path, &st) != 0)
		return err_errno(e, ERR_INPUT, errno, "%s", path), NULL;
	if (S_ISDIR(st.st_mode))
		return err_set(e, ERR_INPUT, "%s: is a directory", path), NULL;
	if (!S_ISREG(st.st_mode))
		return err_set(e, ERR_INPUT, "%s: not a regular file", path), NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return err_errno(e, ERR_INPUT, errno, "%s", path), NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, ERR_INPUT, "%s: not a regular file", path), NULL;
	}
	if (st.st_size == 0) {
		close(fd);
		return err_set(e, ERR_INPUT, "%s: empty file, not an ELF file", path), NULL;
	}
	m = new_map(path);
	if (!m) {
		close(fd);
		return err_set(e, ERR_INTERNAL, "%s: out of memory", path), NULL;
	}
	m->size = (size_t)st.st_size;
	/* Private and writable: a broken header table is cut out in our copy. */
	m->image = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m->image == MAP_FAILED) {
		m->image = NULL;
		err_errno(e, ERR_INPUT, errno, "%s", path);
		elfmap_close(m);
		return NULL;
	}
	m->mapped = true;
	return load(m, e);
}

struct elfmap *elfmap_open_mem(const char *name, const void *buf, size_t len, struct err *e)
{
	struct elfmap *m;

	if (len == 0)
		return err_set(e, ERR_INPUT, "%s: empty file, not an ELF file", name), NULL;
	m = new_map(name);
	if (!m || !(m->image = malloc(len))) {
		elfmap_close(m);
		return err_set(e, ERR_INTERNAL, "%s: out of memory", name), NULL;
	}
	memcpy(m->image, buf, len);
	m->size = len;
	return load(m, e);
}

void elfmap_close(struct elfmap *m)
{
	if (!m)
		return;
	if (m->elf)
		elf_end(m->elf);
	if (m->image) {
		if (m->mapped)
			munmap(m->image, m->size);
		else
			free(m->image);
	}
	for (size_t i = 0; i < m->nnotes; i++)
		free(m->notes[i]);
	free(m->notes);
	while (m->pool) {
		void *next = *(void **)m->pool;
		free(m->pool);
		m->pool = next;
	}
	free(m->segs);
	free(m->segsecs);
	free(m->secs);
	free(m->secidx);
	free(m->syms);
	free(m->path);
	free(m);
}

const char *elfmap_keep(struct elfmap *m, const char *s, size_t n)
{
	/* Each string gets a chunk: [next pointer][bytes][NUL]. */
	char *c = malloc(sizeof(void *) + n + 1);

	if (!c)
		return NULL;
	*(void **)c = m->pool;
	m->pool = c;
	memcpy(c + sizeof(void *), s, n);
	c[sizeof(void *) + n] = '\0';
	return c + sizeof(void *);
}

const struct elfmap_facts *elfmap_facts(const struct elfmap *m) { return &m->facts; }

const struct elfmap_segment *elfmap_segments(const struct elfmap *m, size_t *n)
{
	*n = m->nsegs;
	return m->segs;
}

const struct elfmap_section *elfmap_sections(const struct elfmap *m, size_t *n)
{
	*n = m->nsecs;
	return m->secs;
}

const struct elfmap_symbol *elfmap_symbols(const struct elfmap *m, size_t *n)
{
	*n = m->nsyms;
	return m->syms;
}

void elfmap_totals(const struct elfmap *m, struct elfmap_totals *t) { *t = m->totals; }

const char *const *elfmap_notes(const struct elfmap *m, size_t *n)
{
	*n = m->nnotes;
	return (const char *const *)m->notes;
}

bool elfmap_damaged(const struct elfmap *m) { return m->damage != NULL; }
const char *elfmap_damage(const struct elfmap *m) { return m->damage; }

const struct elfmap_section *elfmap_section_at(const struct elfmap *m, uint64_t addr)
{
	size_t lo = 0, hi = m->nsecs;

	while (lo < hi) { /* last section starting at or below addr */
		size_t mid = lo + (hi - lo) / 2;
		if (m->secs[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0 && lo - i <= 8;) {
		const struct elfmap_section *s = &m->secs[i];
		if (addr - s->addr < s->size && !(s->flags & SHF_TLS && s->type == SHT_NOBITS))
			return s;
	}
	return NULL;
}

const char *elfmap_type_name(enum elfmap_type t)
{
	static const char *n[] = { "executable (dynamically linked)", "PIE executable (dynamically linked)",
				   "shared object", "static executable", "static PIE executable",
				   "core file", "relocatable object file", "other ELF file" };
	return (unsigned)t <= ELFMAP_OTHER ? n[t] : "?";
}

const char *elfmap_type_key(enum elfmap_type t)
{
	static const char *n[] = { "exec", "pie", "shared", "static", "static-pie", "core", "relocatable", "other" };
	return (unsigned)t <= ELFMAP_OTHER ? n[t] : "other";
}

const char *elfmap_region_name(enum elfmap_region r)
{
	static const char *n[] = { "none", "text", "rodata", "data", "bss", "tdata", "tbss" };
	return (unsigned)r < ELFMAP_R_COUNT ? n[r] : "none";
}

const char *elfmap_symtype_name(enum elfmap_symtype t)
{
	static const char *n[] = { "func", "object", "tls", "other" };
	return (unsigned)t <= ELFMAP_SYM_OTHER ? n[t] : "other";
}

const char *elfmap_bind_name(enum elfmap_bind b)
{
	static const char *n[] = { "local", "global", "weak", "other" };
	return (unsigned)b <= ELFMAP_BIND_OTHER ? n[b] : "other";
}
