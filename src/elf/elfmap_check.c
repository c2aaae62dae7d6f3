/* elfmap_check: the ELF header read by hand and checked before libelf sees
 * it.  Counts and offsets are compared with the file size by subtraction
 * and division, so nothing can overflow; a broken section or program header
 * table is cut out of the map's private copy of the header, with a note,
 * so the sound half can still be shown. */
#include "elf/elfmap_int.h"

#include <stdio.h>
#include <string.h>

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

static int read_header(struct elfmap *m, struct elfmap_rawhdr *h, struct err *e)
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
static int check_tables(struct elfmap *m, struct elfmap_rawhdr *h, struct err *e)
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

int elfmap_check_header(struct elfmap *m, struct elfmap_rawhdr *h, struct err *e)
{
	if (read_header(m, h, e) < 0 || check_tables(m, h, e) < 0)
		return -1;
	return 0;
}
