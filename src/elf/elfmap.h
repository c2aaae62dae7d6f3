/* elfmap: the static map of an ELF file, read with libelf (and libdw for
 * the names of static locals when debug info is present): file facts,
 * loadable segments, allocated sections by region, and symbols.
 * Everything is copied out of the file at open time; the map owns it all. */
#ifndef MEMLENS_ELF_ELFMAP_H
#define MEMLENS_ELF_ELFMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct json;
struct elfmap; /* opaque */

/* What kind of file it is, as a student would name it. */
enum elfmap_type {
	ELFMAP_EXEC,       /* ET_EXEC with an interpreter: dynamic, fixed address */
	ELFMAP_PIE,        /* ET_DYN with an interpreter and DF_1_PIE */
	ELFMAP_SHARED,     /* ET_DYN library */
	ELFMAP_STATIC,     /* ET_EXEC without an interpreter */
	ELFMAP_STATIC_PIE, /* ET_DYN without an interpreter, DF_1_PIE */
	ELFMAP_CORE,       /* ET_CORE: a memory dump, not a program */
	ELFMAP_RELOC,      /* ET_REL: an object file (.o) */
	ELFMAP_OTHER,
};

/* Where an allocated section lives.  size(1)'s Berkeley totals are
 * text = TEXT + RODATA, data = DATA + TDATA, bss = BSS + TBSS. */
enum elfmap_region {
	ELFMAP_R_NONE,   /* not allocated, or no section (SHN_ABS) */
	ELFMAP_R_TEXT,   /* executable code */
	ELFMAP_R_RODATA, /* read-only, not executable */
	ELFMAP_R_DATA,   /* writable, with contents in the file */
	ELFMAP_R_BSS,    /* SHT_NOBITS: zero-filled, no room in the file */
	ELFMAP_R_TDATA,  /* thread-local template with contents */
	ELFMAP_R_TBSS,   /* thread-local, zero-filled */
	ELFMAP_R_COUNT,
};

enum elfmap_symtype {
	ELFMAP_SYM_FUNC,
	ELFMAP_SYM_OBJECT,
	ELFMAP_SYM_TLS,
	ELFMAP_SYM_OTHER, /* reserved; the loader keeps only the three above */
};

enum elfmap_bind {
	ELFMAP_BIND_LOCAL,
	ELFMAP_BIND_GLOBAL,
	ELFMAP_BIND_WEAK,
	ELFMAP_BIND_OTHER,
};

struct elfmap_facts {
	const char *path;        /* as given to elfmap_open (owned by the map) */
	int elfclass;            /* 32 or 64 */
	bool big_endian;
	unsigned machine;        /* EM_* */
	const char *machine_name;/* "x86-64", "AArch64", ... or "EM_<n>" */
	enum elfmap_type type;
	const char *interp;      /* PT_INTERP path, or NULL */
	uint64_t entry;          /* e_entry */
	bool stripped;           /* no .symtab */
	bool debug_info;         /* a .debug_info section is present */
	bool has_gnu_stack;      /* PT_GNU_STACK present */
	bool exec_stack;         /* ... and it asks for an executable stack */
	bool has_relro;          /* PT_GNU_RELRO present */
	uint64_t relro_addr, relro_size;
	bool has_tls;            /* PT_TLS present */
	uint64_t tls_addr, tls_memsz, tls_filesz;
};

struct elfmap_segment {
	uint64_t vaddr, memsz, filesz, offset, align;
	uint32_t flags;          /* PF_R | PF_W | PF_X */
	const uint32_t *secs;    /* indexes into elfmap_sections() it holds */
	size_t nsecs;
};

struct elfmap_section {
	const char *name;
	uint64_t addr, size, offset;
	uint32_t type;           /* SHT_* */
	uint64_t flags;          /* SHF_* */
	enum elfmap_region region;
	uint32_t index;          /* the section's index in the file */
};

struct elfmap_symbol {
	const char *name;        /* as in the symbol table: "count.0" */
	const char *source_name; /* as in the source: "count" (== name if same) */
	const char *scope;       /* function of a static local ("tally"), or NULL */
	uint64_t addr;           /* virtual address (TLS: inside the PT_TLS template) */
	uint64_t size;
	enum elfmap_symtype type;
	enum elfmap_bind bind;
	int section;             /* index into elfmap_sections(), or -1 */
	enum elfmap_region region;
	bool own;                /* the program's own, not the C library's or crt's */
};

/* Berkeley totals, equal to `size PROGRAM`. */
struct elfmap_totals {
	uint64_t text, data, bss;
	uint64_t region[ELFMAP_R_COUNT]; /* per region */
	size_t strings;          /* string literals counted in rodata */
};

/* Opens and reads PATH.  Refuses anything that is not a regular file before
 * opening it.  Returns NULL with `e` filled ("PATH: reason", ERR_INPUT) when
 * nothing can be trusted.  When part of the file is damaged but something is
 * sound, returns a map and lists what was not trusted in elfmap_notes()
 * with elfmap_damaged() true. */
struct elfmap *elfmap_open(const char *path, struct err *e);

/* The same from a buffer (the fuzzer's entry); `name` stands for the path
 * in messages.  The buffer is copied; the caller keeps it. */
struct elfmap *elfmap_open_mem(const char *name, const void *buf, size_t len,
			       struct err *e);

void elfmap_close(struct elfmap *m); /* NULL is fine */

const struct elfmap_facts *elfmap_facts(const struct elfmap *m);
/* PT_LOAD segments in file order. */
const struct elfmap_segment *elfmap_segments(const struct elfmap *m, size_t *n);
/* SHF_ALLOC sections, by address. */
const struct elfmap_section *elfmap_sections(const struct elfmap *m, size_t *n);
/* Defined functions, objects and TLS variables in a loaded section or
 * absolute, sorted by address (symbol-table order among equal addresses).
 * Undefined, FILE, SECTION, NOTYPE and IFUNC symbols are left out. */
const struct elfmap_symbol *elfmap_symbols(const struct elfmap *m, size_t *n);
void elfmap_totals(const struct elfmap *m, struct elfmap_totals *t);

/* Notes about the file ("overlapping segments 2 and 3", "section table past
 * the end of the file: sections not shown").  The strings are owned by the
 * map.  elfmap_damaged() tells whether any note is about damage (the
 * command then exits 1 after showing what it could). */
const char *const *elfmap_notes(const struct elfmap *m, size_t *n);
bool elfmap_damaged(const struct elfmap *m);
/* The first damage note as one line, or NULL. */
const char *elfmap_damage(const struct elfmap *m);

/* Every distinct address of a function named NAME (exact match, .symtab or
 * .dynsym), for breakpoints in static binaries where several names share an
 * address.  Writes up to `max` addresses, returns how many exist. */
size_t elfmap_find_func(const struct elfmap *m, const char *name,
			uint64_t *addrs, size_t max);

/* The symbol whose [addr, addr+size) holds ADDR (a zero-size symbol holds
 * its own address only), preferring functions and objects; NULL if none. */
const struct elfmap_symbol *elfmap_symbol_at(const struct elfmap *m, uint64_t addr);

/* The section holding ADDR, or NULL. */
const struct elfmap_section *elfmap_section_at(const struct elfmap *m, uint64_t addr);

const char *elfmap_type_name(enum elfmap_type t);     /* "PIE executable" */
const char *elfmap_type_key(enum elfmap_type t);      /* "pie" (JSON) */
const char *elfmap_region_name(enum elfmap_region r); /* "text", "rodata", ... */
const char *elfmap_symtype_name(enum elfmap_symtype t);/* "func", "object", "tls" */
const char *elfmap_bind_name(enum elfmap_bind b);     /* "local", "global", "weak" */

/* Writes the layout object (the schema in memlens(1) OUTPUT: file,
 * segments, sections, symbols, totals, notes) as one JSON value at the
 * writer's current position; trace files embed it under "layout". */
void elfmap_write_json(struct json *j, const struct elfmap *m);

#endif
