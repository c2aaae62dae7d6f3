/* model: the address-space model, in plain C (no ptrace, no curses, no
 * libelf).  Producers (the tracer, the trace-file reader) feed it events;
 * consumers (the text printer, the JSON writer, the screen) read its state.
 * It keeps the whole history, so the state after any event can be rebuilt
 * (checkpoints plus replay) for stepping back, live or from a file.
 *
 * Ownership: the model copies everything it is given; pointers it returns
 * stay valid until the next call that changes the model (apply, seek,
 * free) unless a function says otherwise. */
#ifndef MEMLENS_MODEL_MODEL_H
#define MEMLENS_MODEL_MODEL_H

/* How events change the blocks (the rules the producers rely on):
 *  - an allocation call with result != 0 makes a new block of the requested
 *    size (calloc: nmemb*size; aligned ones: args[1]; reallocarray: n*size);
 *  - free(p) frees the live block at p; free(NULL) only counts (free_null);
 *  - realloc(NULL, n) is an allocation; realloc(p, 0) returning NULL frees
 *    p; realloc returning p keeps the block (same id, new size); returning
 *    another pointer frees p and makes a new block; returning NULL with
 *    n > 0 changes nothing (the call failed);
 *  - MEV_EXEC drops every block (a new image; not counted as frees);
 *  - teach mode (flags & RING_F_TEACH): `block`/`block_size` are the block
 *    handed out, header included; the free chunks are the heap between
 *    brk_start and brk not covered by blocks: the break moving up adds free
 *    space, an allocation takes its block out, a free puts its block back
 *    (merged with touching chunks when RING_F_COALESCED is set);
 *  - any event with stack_depth != 0 sets the stack depth (and the max),
 *    any with sp != 0 the stack pointer;
 *    any event with brk != 0 sets the break.
 * MEV_EXIT: result = exit status, or code = 1 and error = signo when killed
 * (code = 2: killed by memlens itself, after an interrupt or a failure). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* ---- Events ---------------------------------------------------------- */

enum model_ev_type {
	MEV_MALLOC = 1,      /* the allocation kinds share ring_format.h's order */
	MEV_CALLOC,
	MEV_REALLOC,
	MEV_REALLOCARRAY,
	MEV_FREE,
	MEV_POSIX_MEMALIGN,
	MEV_ALIGNED_ALLOC,
	MEV_MEMALIGN,
	MEV_VALLOC,
	MEV_PVALLOC,
	MEV_ERROR,           /* misuse caught by the allocator */
	MEV_REGIONS,         /* the memory map changed: a new region snapshot */
	MEV_SIGNAL,          /* a signal reached the program (crash or not) */
	MEV_EXEC,            /* the program exec'd: a new image */
	MEV_EXIT,            /* the program ended */
	MEV_CALL,            /* --step=call: entry to a function of the program */
	MEV_RETURN,          /* --step=call: return from it */
	MEV_LINE,            /* --step=line: a new source line */
	MEV_TYPE_MAX
};

/* Name used in the text log and in JSON "type" ("malloc", "regions", ...). */
const char *model_ev_name(enum model_ev_type t);
/* Inverse of model_ev_name; 0 when unknown. */
enum model_ev_type model_ev_parse(const char *name);
/* True for the allocator calls (MEV_MALLOC .. MEV_PVALLOC). */
bool model_ev_is_alloc_call(enum model_ev_type t);
/* True for the signals that mean the program crashed (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL, SIGABRT); SIGCHLD, SIGALRM, ... are ordinary deliveries. */
bool model_signal_is_crash(uint32_t signo);
/* True for the crashes that carry a faulting address (not SIGABRT). */
bool model_signal_has_addr(uint32_t signo);

struct model_event;
/* The size an allocator call asked for (calloc: nmemb*size, saturating). */
uint64_t model_ev_request(const struct model_event *ev);

/* A call site, interned in the model's site table; events refer to it by
 * index.  Index 0 is "unknown". */
struct model_site {
	uint64_t addr;       /* return address in the caller */
	const char *func;    /* function name, or NULL */
	uint64_t func_off;   /* addr - function start, when func is known;
	                        else addr - object base, when object is known */
	const char *file;    /* source file from debug info, or NULL */
	int line;            /* source line, or 0 */
	const char *object;  /* "libc.so.6" when outside the program, or NULL */
};

/* One event.  Fixed size, copied into the history. */
struct model_event {
	uint16_t type;       /* enum model_ev_type */
	uint16_t flags;      /* ring_format.h's enum ring_flags (teach facts) */
	int32_t tid;
	uint64_t seq;        /* producer's sequence number (true order) */
	uint64_t args[3];    /* as ring_format.h documents per call */
	uint64_t result;     /* returned pointer; MEV_EXIT: exit status */
	uint32_t site;       /* index into the site table (0 = unknown) */
	uint32_t error;      /* MEV_ERROR: enum ring_error; MEV_SIGNAL: signo */
	uint64_t sp;         /* stack pointer at the stop */
	uint64_t aux;        /* MEV_SIGNAL: fault address; MEV_ERROR: pointer;
	                        MEV_REGIONS: region snapshot index */
	/* teach mode (flags & RING_F_TEACH): */
	uint64_t block;      /* block address including header */
	uint64_t block_size; /* including header */
	uint64_t brk;        /* program break after the event (0 = unknown) */
	uint64_t old_block;  /* realloc/free: the block given back */
	int32_t err_no;      /* errno the call left (ENOMEM) */
	int32_t code;        /* MEV_SIGNAL: si_code; MEV_EXIT: 1 killed by a signal, 2 by memlens */
	uint64_t stack_depth; /* bytes from the stack top to sp at this stop */
};

/* ---- Regions --------------------------------------------------------- */

enum model_region_kind {
	MR_TEXT = 1, MR_RODATA, MR_DATA, MR_BSS, MR_HEAP, MR_MMAP, MR_STACK,
	MR_THREAD_STACK, MR_LIB, MR_VDSO, MR_OTHER, MR_KIND_MAX
};

const char *model_region_kind_name(enum model_region_kind k); /* "text", ... */

struct model_region {
	uint64_t start, end; /* [start, end) */
	uint8_t kind;        /* enum model_region_kind */
	char perms[5];       /* "rwxp" as in /proc/PID/maps */
	char name[64];       /* file basename, "[heap]", library name, ... */
};

/* ---- Heap blocks ----------------------------------------------------- */

enum model_block_state { MB_LIVE = 1, MB_FREED, MB_FREE_CHUNK /* teach: free list */ };

/* A block is one allocation, from the call that made it to the call that
 * freed it (a realloc that moves makes a new block).  Kept small: the model
 * promises at most 64 bytes per live block. */
struct model_block {
	uint64_t addr;       /* pointer handed to the program */
	uint64_t size;       /* requested size */
	uint64_t usable;     /* usable size (teach: block_size - header), 0 unknown */
	uint64_t hdr;        /* teach: header address (block start), else 0 */
	uint32_t id;         /* #id: 1, 2, 3 ... in allocation order */
	uint32_t alloc_ev;   /* index of the event that allocated it */
	uint32_t free_ev;    /* index of the event that freed it, or UINT32_MAX
	                        (also UINT32_MAX when freed after the cursor) */
	uint32_t alloc_site; /* site of the allocating call (0 unknown) */
	uint32_t free_site;  /* site of the freeing call, when freed */
	uint8_t state;       /* enum model_block_state, as seen at the cursor */
	uint8_t mmapped;     /* served by its own mmap */
	uint16_t vflags;     /* internal bookkeeping of the history; ignore */
};
/* Free chunks (MB_FREE_CHUNK, teach mode) have id 0, addr = hdr = the chunk
 * start and size = usable = its length. */

/* The end of block b's memory: its usable size when known, else its
 * requested size. */
static inline uint64_t model_block_end(const struct model_block *b)
{
	return b->addr + (b->usable ? b->usable : b->size);
}

/* ---- Counters -------------------------------------------------------- */

struct model_stats {
	uint64_t events;          /* events applied up to the cursor */
	uint64_t calls[MEV_TYPE_MAX]; /* per event type */
	uint64_t free_null;       /* free(NULL) calls */
	uint64_t allocations;     /* successful allocations (realloc moves count) */
	uint64_t deallocations;   /* blocks released */
	uint64_t live_blocks;
	uint64_t heap_in_use;     /* sum of requested sizes of live blocks */
	uint64_t heap_peak;       /* maximum of heap_in_use so far */
	uint64_t brk_start;       /* first program break seen (0 unknown) */
	uint64_t brk;             /* current program break */
	uint64_t mmap_bytes;      /* bytes in mmap'd blocks now */
	uint64_t errors;          /* MEV_ERROR events */
	uint64_t stack_depth;     /* at the cursor */
	uint64_t stack_max;       /* deepest so far */
	/* Appended (keep the fields above in place): */
	uint64_t free_chunks;     /* teach: free chunks now */
	uint64_t free_chunk_bytes;
	uint64_t exit_ev;         /* 1 + index of the MEV_EXIT event, 0 none */
	uint64_t signal_ev;       /* 1 + index of the last MEV_SIGNAL, 0 none */
	uint64_t regions;         /* 1 + region snapshot index in force, 0 none */
	uint64_t brk_max;         /* highest program break so far */
	uint64_t mmap_peak;       /* most bytes in mmap'd blocks at once */
	uint64_t sp;              /* the last stack pointer an event had, 0 none
	                           * (a regions or exit event has none) */
};

/* ---- Words for students ---------------------------------------------- */

struct model;

/* Writes a site as "push (list.c:17)", else "push+0x1c", else
 * "libc.so.6+0x1234", else "0x401136", else "?"; returns buf. */
char *model_site_format(const struct model *m, uint32_t site, char *buf, size_t n);
/* Says what lies at `addr` at the cursor, for a fault: "the NULL page",
 * "inside block #3 (40 bytes, allocated at push (list.c:17))", "freed
 * block #3 allocated at SITE and freed at SITE", "8 bytes past the end of
 * block #3 ...", "the stack guard (stack overflow)", "nothing mapped",
 * or "REGION-KIND NAME".  Returns buf. */
char *model_explain_addr(const struct model *m, uint64_t addr, char *buf, size_t n);

/* ---- The model ------------------------------------------------------- */

struct model;

struct model_opts {
	bool keep_history;   /* false: apply and forget (trace -q, 10M events) */
	bool teach;          /* blocks carry headers and free chunks */
	/* teach: do not index the free chunks.  Only the screen shows them;
	 * `trace` prints none, and the index was about a third of its
	 * tracer's work an event.  Their counts in model_stats stay 0. */
	bool no_free_chunks;
};

struct model *model_new(const struct model_opts *opts);
void model_free(struct model *m);

/* Interns a call site (strings copied); equal sites share one index. */
uint32_t model_site_intern(struct model *m, const struct model_site *s);
const struct model_site *model_site(const struct model *m, uint32_t idx);
/* Number of site indices in use (index 0 included). */
uint32_t model_site_count(const struct model *m);
/* A number no other model of this process had (sites never change once
 * interned, so (model_id, site index) can key a cache of their text). */
uint64_t model_id(const struct model *m);

/* Stores a region snapshot (copied) and returns its index, for a
 * MEV_REGIONS event's `aux`. */
uint32_t model_regions_add(struct model *m, const struct model_region *r, size_t n);
/* Snapshot `idx` (sorted by start), or NULL (without history only the last
 * one added is kept). */
const struct model_region *model_regions_snapshot(const struct model *m, uint32_t idx, size_t *n);

/* Appends an event to the history and applies it; the cursor moves to the
 * end.  Fails (-1, `e` filled) only when memory runs out. */
int model_apply(struct model *m, const struct model_event *ev, struct err *e);

/* Number of events applied (the history's length; without history, the
 * number of events seen). */
size_t model_event_count(const struct model *m);
/* Event i (0-based) of the history; NULL when out of range.  Without
 * history only the last event applied is kept. */
const struct model_event *model_event(const struct model *m, size_t i);
/* The stack pointer, stack depth and program break of the event applied
 * before the last one (0 before the second event), in both modes: a
 * trace file leaves out the `sp`, `stack_depth` and `brk` that repeat the
 * previous line's. */
void model_prev_marks(const struct model *m, uint64_t *sp, uint64_t *depth, uint64_t *brk);
/* A teach block's size from its header to its end (the `block_size` its
 * allocation reported, or its last in-place realloc), 0 when there is
 * none or its header is not known: of the block live at `addr` after the
 * newest event (model_block_span; with history it moves the cursor
 * there, as model_apply would), or of the block the last event applied
 * freed with free() (model_freed_span).  A trace file leaves out a
 * free's `block_size` when it is this (out_int.h's out_teach_implied):
 * the writer asks after the free, the reader before. */
uint64_t model_block_span(struct model *m, uint64_t addr);
uint64_t model_freed_span(const struct model *m);
/* The MEV_EXIT / last MEV_SIGNAL event at the cursor, or NULL (works with
 * and without history). */
const struct model_event *model_exit_event(const struct model *m);
const struct model_event *model_signal_event(const struct model *m);
/* Bytes the model holds now, split into the part that grows with the live
 * blocks and the history (events, block records, checkpoints). */
void model_mem(const struct model *m, size_t *live_bytes, size_t *history_bytes);
/* live_bytes: the address hash, the live set, the free chunks, the cached
 * block view (and without history the block records).  history_bytes: the
 * events, block records, checkpoints, sites and region snapshots. */

/* Moves the cursor so the state is that after `k` events (0 = before the
 * first).  Fast in both directions (checkpoints).  Without history only
 * k == model_event_count() is allowed (-1 otherwise). */
int model_seek(struct model *m, size_t k, struct err *e);
size_t model_cursor(const struct model *m);

/* State at the cursor. */
const struct model_stats *model_stats(const struct model *m);
/* Live blocks (and, in teach mode, free chunks) in address order. */
const struct model_block *model_blocks(const struct model *m, size_t *n);
/* Every block ever made up to the cursor, by id (freed ones included):
 * the block with id N, or NULL. */
const struct model_block *model_block_by_id(const struct model *m, uint32_t id);
/* The id of the block that event `idx` released: freed, or moved away by a
 * realloc (not an in-place realloc, not an exec), or 0.  Works only with
 * history (0 without); independent of the cursor.  For side tables kept
 * by block, such as the bytes a trace recorded at a free. */
uint32_t model_event_released(const struct model *m, size_t idx);
/* The live or freed block whose [addr, addr+size) holds `addr` (a live one
 * preferred; among freed ones the last freed), or NULL.  A zero-size block
 * holds its own address.  Without history, freed blocks are remembered for
 * the last MODEL_FREED_KEEP frees.  Free chunks are not returned.
 * model_block_at and model_block_by_id may return a copy that their next
 * call overwrites (a freed block, or any block with history). */
#define MODEL_FREED_KEEP 4096
/* The live block with the greatest address <= addr (for "N bytes past the
 * end of block #N"), or NULL. */
const struct model_block *model_block_before(const struct model *m, uint64_t addr);
const struct model_block *model_block_at(const struct model *m, uint64_t addr);
/* The current region snapshot, high to low addresses not guaranteed:
 * sorted by start address ascending. */
const struct model_region *model_regions(const struct model *m, size_t *n);
/* The region holding `addr`, or NULL. */
const struct model_region *model_region_at(const struct model *m, uint64_t addr);

/* Leaks at the cursor grouped by allocation site, largest first. */
struct model_leak {
	uint32_t site;
	uint64_t blocks;
	uint64_t bytes;
};
size_t model_leaks(const struct model *m, struct model_leak **out); /* caller frees *out */

#endif
