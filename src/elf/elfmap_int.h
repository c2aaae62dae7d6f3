/* elfmap_int: the inside of struct elfmap, shared by the loader's files
 * (elfmap.c reads headers and sections, elfmap_sym.c symbols, elfmap_dwarf.c
 * static-local names, elfmap_json.c the JSON object).  Not for other modules. */
#ifndef MEMLENS_ELF_ELFMAP_INT_H
#define MEMLENS_ELF_ELFMAP_INT_H

#include <gelf.h>
#include <libelf.h>

#include "elf/elfmap.h"

struct elfmap {
	struct elfmap_facts facts;
	char *path;
	unsigned char *image;   /* the file, private copy-on-write mapping or heap */
	size_t size;
	bool mapped;
	Elf *elf;

	struct elfmap_segment *segs;
	size_t nsegs;
	uint32_t *segsecs;      /* storage for every segment's `secs` */

	struct elfmap_section *secs;
	size_t nsecs;
	int32_t *secidx;        /* file section index -> index in secs, or -1 */
	size_t nfilesecs;
	size_t shstrndx;

	struct elfmap_symbol *syms;
	size_t nsyms;

	char **notes;
	size_t nnotes;
	char *damage;           /* first damage note, or NULL */

	struct elfmap_totals totals;
	void *pool;             /* chunks of strings made up by the loader */
};

/* Raw header fields, read by hand so a damaged table cannot mislead. */
struct elfmap_rawhdr {
	bool is64, be;
	uint16_t type, machine, phentsize, shentsize;
	uint64_t entry, phoff, shoff;
	uint64_t phnum, shnum, shstrndx;
};

/* Reads and checks the ELF header and both header tables (elfmap_check.c);
 * cuts out a broken table with a damage note; -1 with `e` when nothing can
 * be trusted. */
int elfmap_check_header(struct elfmap *m, struct elfmap_rawhdr *h, struct err *e);
/* Reads the allocated sections, then the segments (elfmap_seg.c); -1 when
 * out of memory. */
int elfmap_read_sections(struct elfmap *m);
int elfmap_read_segments(struct elfmap *m);

/* Adds a note; `damage` marks it as something not trusted. */
void elfmap_note(struct elfmap *m, bool damage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reads the symbol table (.symtab, else .dynsym) into m->syms, sorted. */
void elfmap_read_symbols(struct elfmap *m);
/* Names static locals and marks own objects from DWARF when present;
 * returns false when there is no usable debug info. */
bool elfmap_read_dwarf(struct elfmap *m);
/* Counts string literals in the rodata sections. */
size_t elfmap_count_strings(const struct elfmap *m);
/* Keeps a copy of `s` (n bytes) in the map's pool; NULL when out of memory. */
const char *elfmap_keep(struct elfmap *m, const char *s, size_t n);

#endif
