/* dbg_int: the inside of the dbg handle, shared by the files of src/dbg/
 * and by nothing else.  Only this folder includes libdw. */
#ifndef MEMLENS_DBG_DBG_INT_H
#define MEMLENS_DBG_DBG_INT_H

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include "dbg/dbg.h"

/* A cached call site, keyed by address and adjustment. */
struct dbg_site_slot {
	uint64_t key;          /* addr << 1 | adjust; 0 = empty */
	struct model_site site;
	int rc;
};

/* One variable of a scope, resolved once per pc. */
struct dbg_var {
	const char *name, *type;
	uint64_t size;
	Dwarf_Die type_die;    /* with typedefs/qualifiers kept (value.c strips) */
	bool has_type;
	bool param;
	Dwarf_Op *expr;        /* location at this pc, NULL = optimized out */
	size_t nexpr;
};

/* The variables visible at one pc (module-relative lookups done). */
struct dbg_pcvars {
	uint64_t pc;           /* absolute lookup pc; 0 = empty slot */
	struct dbg_var *vars;
	size_t n;
	Dwarf_Op *fb;          /* frame base expression, or NULL */
	size_t nfb;
	uint64_t bias;
	const char *note;
};

struct dbg_strtab;

/* Target pages read during one dbg_stack call: the thread is stopped, so
 * the stack cannot change under us, and one read per page replaces one
 * per word (unwinding) or per variable. */
#define DBG_PAGE 4096
#define DBG_NPAGES 32
struct dbg_page {
	uint64_t base;         /* page address + 1; 0 = empty */
	unsigned char data[DBG_PAGE];
};

struct dbg {
	Dwfl *dwfl;
	pid_t pid;             /* 0 for a file handle */
	Dwfl_Module *main_mod;
	uint64_t mod_hash;     /* of the module list (names, starts) */
	char *exe;             /* path of the main program */
	dbg_read_fn read;
	void *rctx;
	bool attached;         /* dwfl_attach_state done */
	pid_t cur_tid;
	const struct user_regs_struct *cur_regs;

	struct dbg_page *pages;    /* DBG_NPAGES, direct-mapped; NULL = off */
	bool pages_on;

	struct dbg_strtab *strs;
	struct dbg_site_slot *sites;
	size_t nsites_cap, nsites;
	struct dbg_pcvars *pcv;
	size_t npcv_cap, npcv;

	struct dbg_func *funcs;
	size_t nfuncs;
	bool funcs_done;
	struct dbg_line *lines;
	size_t nlines;
	bool lines_done;
};

/* Interns a string in the handle (NULL stays NULL). */
const char *dbg_intern(struct dbg *h, const char *s);
/* Reads target memory through the caller's reader or process_vm_readv. */
int dbg_read(struct dbg *h, uint64_t addr, void *buf, size_t n);
/* Turns the page cache on (emptied) for the length of one stop, or off. */
void dbg_pages(struct dbg *h, bool on);
/* "libc.so.6" from "/usr/lib/x86_64-linux-gnu/libc.so.6". */
const char *dbg_base_name(const char *path);
/* A symbol name as a student reads it: version suffix dropped, C++
 * demangled (interned). */
const char *dbg_plain_name(struct dbg *h, const char *name);
/* True for a source file of the system (/usr/...): not the program's own
 * code even when compiled into it (C++ templates, inline headers). */
bool dbg_system_file(const char *file);
/* Drops every cache (sites, per-pc variables, address sets). */
void dbg_cache_clear(struct dbg *h);

/* value.c: type names and gdb-like short values. */
const char *dbg_type_name(struct dbg *h, Dwarf_Die *type);
/* Formats `n` bytes at addr of `type` into buf; returns false when the
 * memory could not be read. */
bool dbg_format_value(struct dbg *h, Dwarf_Die *type, uint64_t addr,
		      char *buf, size_t len);
/* Same, for a value held in `data` (a register, an implicit value). */
void dbg_format_bytes(struct dbg *h, Dwarf_Die *type, const void *data, size_t n,
		      char *buf, size_t len);
/* The type with typedefs and qualifiers removed. */
bool dbg_strip_type(Dwarf_Die *type, Dwarf_Die *out);

#endif
