/* dbg: debug information (libdw) for a live, stopped process or for an ELF
 * file at a load bias: call sites, the stack's frames with their locals,
 * what a static address is, and the address sets for --step=call|line.
 * Callers see an opaque handle and plain structs; libdw stays in here.
 *
 * Threads and ptrace: dbg never calls ptrace.  The tracer hands in the
 * registers of a stopped thread and, preferably, a memory-read callback
 * (its one door into the tracee); without one dbg reads with
 * process_vm_readv.  Strings returned (function, file, object names) are
 * owned by the handle and stay valid until dbg_close.  One thread uses a
 * handle at a time.
 *
 * Typical use by the tracer:
 *   h = dbg_open_pid(pid, &e);  dbg_set_reader(h, my_read, t);
 *   on each MEV_REGIONS (new library mapped, exec): dbg_refresh(h, &e);
 *   per event: dbg_symbolize(h, return_address, &site);
 *              ev.site = model_site_intern(m, &site);
 *   at a stop with --frames or on the screen:
 *              dbg_stack(h, tid, &regs, DBG_LOCALS, 0, &st, &e);
 *              dbg_label_stack(&ctx, &st);      (dbg/label.h)
 *              dbg_json_frames(&json, &st);  dbg_stack_free(&st);
 *   --step=call: a breakpoint at each dbg_funcs()[i].entry; at the stop
 *              [rsp] is the return address: a one-shot breakpoint there
 *              (matched on rsp == entry rsp + 8) is the return;
 *   --step=line: a breakpoint at each dbg_lines()[i].addr;
 *              dbg_symbolize_pc(h, rip, &site) names the line.
 *   a crash: dbg_stack(..., 1 << 20, ...) gives the depth of an overflow. */
#ifndef MEMLENS_DBG_DBG_H
#define MEMLENS_DBG_DBG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "model/model.h"
#include "util/err.h"

struct dbg; /* opaque */

/* Reads n bytes of the target at addr into buf; 0 on success, -1 when
 * (part of) the range cannot be read. */
typedef int (*dbg_read_fn)(void *ctx, uint64_t addr, void *buf, size_t n);

/* ---- Handles ---------------------------------------------------------- */

/* Debug info for a live process: its modules from /proc/PID/maps.  The
 * process need not be stopped to open; it must be stopped (by the caller,
 * who holds the ptrace stop) for dbg_stack. */
struct dbg *dbg_open_pid(pid_t pid, struct err *e);
/* Debug info for one ELF file loaded at `bias` (0 for a fixed-address
 * executable); no process: symbolize, lookups and address sets only. */
struct dbg *dbg_open_file(const char *path, uint64_t bias, struct err *e);
void dbg_close(struct dbg *h);

/* Sets the memory reader for a pid handle (NULL: process_vm_readv). */
void dbg_set_reader(struct dbg *h, dbg_read_fn fn, void *ctx);
/* Re-reads the module list after the map changed (dlopen, mmap of a
 * library, exec); the caches are dropped only when the list of modules
 * changed (an anonymous mmap keeps them).  Costs a read of
 * /proc/PID/maps: call it on MEV_REGIONS, not per event. */
int dbg_refresh(struct dbg *h, struct err *e);
/* True when the main program has DWARF (locals and lines available). */
bool dbg_has_debuginfo(const struct dbg *h);

/* ---- Call sites ------------------------------------------------------- */

/* Fills `site` for a return address (or any code address): function,
 * offset, file:line from DWARF; else function+offset from the symbol
 * table; else object (library basename) with func_off = addr - load base.
 * `addr` is used as given: pass a return address and dbg looks up
 * addr - 1 for the line (the call instruction), as gdb does.  Results are
 * cached per address.  Returns 0, or -1 when nothing at all is known
 * (site->addr set, the rest NULL/0). */
int dbg_symbolize(struct dbg *h, uint64_t addr, struct model_site *site);
/* Same, for an exact pc (no -1 adjustment): the current instruction. */
int dbg_symbolize_pc(struct dbg *h, uint64_t pc, struct model_site *site);

/* The path to open to read the source of the line at `pc` (for a source
 * pane): the file of the line table, joined to the compilation directory
 * when relative.  NULL without line information.  Whether the file still
 * exists is the caller's question. */
const char *dbg_source_path(struct dbg *h, uint64_t pc);

/* ---- Static addresses ------------------------------------------------- */

enum dbg_sec {
	DBG_SEC_NONE = 0, /* in no module's allocated section */
	DBG_SEC_TEXT, DBG_SEC_RODATA, DBG_SEC_DATA, DBG_SEC_BSS,
};

struct dbg_static {
	enum dbg_sec sec;
	const char *symbol;  /* covering object/function symbol, or NULL */
	uint64_t offset;     /* addr - symbol start */
	const char *object;  /* module basename */
};

/* What a static address is: the section kind of the module that holds it
 * and the covering symbol.  Returns 0, or -1 when no module holds it. */
int dbg_static_lookup(struct dbg *h, uint64_t addr, struct dbg_static *out);

/* The address of a global function or object symbol `name` in any module
 * (the main program first), or 0.  For breakpoints on malloc & co in
 * static programs, and for tests. */
uint64_t dbg_symbol_addr(struct dbg *h, const char *name);

/* ---- Frames and locals ------------------------------------------------ */

enum dbg_pt_kind {
	DBG_PT_NONE = 0, /* not a pointer, or not labelled */
	DBG_PT_HEAP, DBG_PT_FREED, DBG_PT_STACK, DBG_PT_DATA, DBG_PT_BSS,
	DBG_PT_RODATA, DBG_PT_LITERAL, DBG_PT_NULL, DBG_PT_UNMAPPED,
	DBG_PT_TEXT,     /* a function pointer: code of the program or a library */
	DBG_PT_OTHER,    /* mapped, but none of the above (mmap, library data) */
	DBG_PT_KIND_MAX
};

/* JSON / text name of a kind: "heap", "freed", ... ; "" for NONE. */
const char *dbg_pt_kind_name(enum dbg_pt_kind k);

/* What a pointer points to (see dbg/label.h). */
struct dbg_label {
	uint8_t kind;        /* enum dbg_pt_kind */
	uint32_t block;      /* HEAP/FREED: block id #N */
	uint64_t offset;     /* from the block, the variable or the symbol */
	char symbol[64];     /* STACK: "var in func (frame #k)"; DATA/BSS/RODATA/
	                        TEXT: symbol; LITERAL: the text (shortened) */
};

struct dbg_local {
	const char *name;
	const char *type;    /* "int", "struct node *", "char[16]" */
	uint64_t addr;       /* 0 when it has no address (register, optimized out) */
	uint64_t size;       /* bytes, from the type */
	char value[112];     /* gdb-like short form: "42", "0x5555...", "{1, 2, 3}" */
	bool param;          /* a formal parameter */
	bool is_ptr;         /* a pointer: `ptr` is its value, `label` says where */
	bool available;      /* false: optimized out / unreadable (value says) */
	uint64_t ptr;
	struct dbg_label label; /* filled by dbg_label_stack() */
};

struct dbg_frame {
	uint64_t pc;         /* as unwound (a return address above frame 0) */
	uint64_t sp;         /* the frame's lowest address: the stack pointer, or lower
	                        when a leaf keeps locals in the red zone */
	uint64_t cfa;        /* canonical frame address: the frame is [sp, cfa) */
	uint64_t size;       /* cfa - sp, 0 when the CFA is unknown */
	const char *func, *file, *object;
	int line;
	bool own;            /* the main program's own code (not a library, not a
	                        system header's inline or template code) */
	const char *note;    /* e.g. "no debug info: locals unavailable" */
	struct dbg_local *locals;
	size_t nlocals;
};

/* The stack of one stopped thread, innermost frame first.  Owned by the
 * caller; free with dbg_stack_free.  Strings point into the handle. */
struct dbg_stack {
	struct dbg_frame *frames;
	size_t n;
	bool truncated;      /* stopped at max_frames */
};

enum {
	DBG_LOCALS = 1,      /* decode parameters and locals (own code with -g) */
};

/* Unwinds thread `tid` from its registers (as PTRACE_GETREGS gives them)
 * and fills `out`; with DBG_LOCALS also the locals of frames of the
 * program's own code.  The thread must be stopped.  At most `max_frames`
 * frames (0: 1024).  Returns 0 (a partial stack is still 0), -1 on error. */
int dbg_stack(struct dbg *h, pid_t tid, const struct user_regs_struct *regs,
	      unsigned flags, size_t max_frames, struct dbg_stack *out,
	      struct err *e);
void dbg_stack_free(struct dbg_stack *st);

/* ---- Address sets for stepping ---------------------------------------- */

struct dbg_func {
	const char *name;
	uint64_t entry;      /* first instruction (where [rsp] is the return address) */
	uint64_t body;       /* after the prologue (DWARF), or entry */
	uint64_t end;        /* one past the last instruction */
	const char *file;
	int line;
};

struct dbg_line {
	uint64_t addr;       /* an is_stmt row that starts a new line */
	const char *file;
	int line;
};

/* Functions of the program's own code (the main module's DWARF
 * subprograms with code), sorted by entry.  Array owned by the handle. */
const struct dbg_func *dbg_funcs(struct dbg *h, size_t *n);
/* The own function holding pc, or NULL. */
const struct dbg_func *dbg_func_at(struct dbg *h, uint64_t pc);
/* Line-table addresses of the program's own CUs where a new source line
 * begins (is_stmt, line changes), sorted by address, deduplicated.
 * Array owned by the handle. */
const struct dbg_line *dbg_lines(struct dbg *h, size_t *n);
/* The first address of `line` in a file whose name ends with `file`
 * (e.g. "recursion.c"), or 0. */
uint64_t dbg_line_addr(struct dbg *h, const char *file, int line);

/* ---- JSON ------------------------------------------------------------- */

struct json;
/* Writes `"frames":[{"func","file","line","cfa","size","locals":[{"name",
 * "type","addr","size","value","points_to":{"kind","block","offset",
 * "symbol"}}]}]` into the object being written (key included).  Unknowns
 * are null; "points_to" only for pointers that dbg_label_stack labelled;
 * a frame with a note carries "note". */
void dbg_json_frames(struct json *j, const struct dbg_stack *st);

#endif
