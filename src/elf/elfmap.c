/* elfmap: opening an ELF file (refusing what is not a regular file before
 * opening it), the order of reading, file facts and type, totals, and the
 * accessors of elfmap.h.  The checks live in elfmap_check.c, sections and
 * segments in elfmap_seg.c, symbols in elfmap_sym.c. */
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

static void file_type(struct elfmap *m, const struct elfmap_rawhdr *h)
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
	struct elfmap_rawhdr h = { 0 };
	char mname[24];

	if (elfmap_check_header(m, &h, e) < 0)
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
	if (elfmap_read_sections(m) < 0 || elfmap_read_segments(m) < 0) {
		err_set(e, ERR_INTERNAL, "%s: out of memory", m->path);
		goto fail;
	}
	file_type(m, &h);
	if (m->facts.type == ELFMAP_CORE)
		elfmap_note(m, false, "a core file: the memory of a process that died, not a program");
	elfmap_read_symbols(m);
	/* an object file's DWARF addresses wait for relocation: no match */
	if (m->facts.debug_info && m->facts.type != ELFMAP_RELOC)
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
