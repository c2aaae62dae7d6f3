/* model_int: the inside of struct model, shared by the model's files only.
 *
 * Design: every block (and every teach-mode free chunk) is an "entity" with
 * a slot in `ent`; it is born at one event and dies at one.  An in-place
 * realloc ends one version of a block and starts the next (same id).  When
 * an event is applied it is first *resolved* against the state at the end
 * of the history (an address hash and the free-chunk set), which yields the
 * list of entities it creates and ends ("changes").  The cursor state (live
 * entity set + counters) is then advanced by *stepping* through changes;
 * seeking restores the nearest checkpoint of the live set and steps on. */
#ifndef MEMLENS_MODEL_MODEL_INT_H
#define MEMLENS_MODEL_MODEL_INT_H

#include "model/model.h"
#include "model/model_fs.h"

#define NONE32 UINT32_MAX

/* vflags of an entity. */
enum {
	VF_CONT = 1,     /* born by an in-place realloc: not an allocation */
	VF_REPLACED = 2, /* ended by an in-place realloc: not a free */
	VF_GONE = 4,     /* ended by exec: not a free */
	VF_CHUNK = 8,    /* a teach-mode free chunk */

	VF_HDR = 16,     /* the header address is known (hdr = addr - hdr_off) */
};

/* An entity as stored: struct model_block packed into 48 bytes (the
 * model's per-live-block cost).  usable = size + slack - 1 (slack 0:
 * unknown); callers see struct model_block through ment_get(). */
struct ment {
	uint64_t addr;
	uint64_t size;
	uint32_t hdr_off;    /* addr - header address, when VF_HDR */
	uint32_t slack;
	uint32_t id, alloc_ev, free_ev, alloc_site, free_site;
	uint8_t state, mmapped;
	uint16_t vflags;
};
_Static_assert(sizeof(struct ment) == 48, "an entity is 48 bytes");

static inline struct model_block ment_get(const struct ment *e)
{
	struct model_block b = {
		.addr = e->addr, .size = e->size,
		.usable = e->slack ? e->size + e->slack - 1 : 0,
		.hdr = (e->vflags & VF_HDR) ? e->addr - e->hdr_off : 0,
		.id = e->id, .alloc_ev = e->alloc_ev, .free_ev = e->free_ev,
		.alloc_site = e->alloc_site, .free_site = e->free_site,
		.state = e->state, .mmapped = e->mmapped,
		.vflags = (uint16_t)(e->vflags & ~VF_HDR),
	};
	return b;
}

/* Packs the usable size and the header address into e (whose addr and
 * size are set): what ment_put does, for the model's hot paths that
 * build a struct ment directly. */
static inline void ment_extent(struct ment *e, uint64_t usable, uint64_t hdr)
{
	e->slack = 0;
	e->hdr_off = 0;
	if (usable >= e->size && usable - e->size < UINT32_MAX - 1)
		e->slack = (uint32_t)(usable - e->size) + 1;
	if (hdr && hdr <= e->addr && e->addr - hdr <= UINT32_MAX) {
		e->hdr_off = (uint32_t)(e->addr - hdr);
		e->vflags |= VF_HDR;
	}
}

static inline struct ment ment_put(const struct model_block *b)
{
	struct ment e = {
		.addr = b->addr, .size = b->size, .id = b->id, .alloc_ev = b->alloc_ev,
		.free_ev = b->free_ev, .alloc_site = b->alloc_site, .free_site = b->free_site,
		.state = b->state, .mmapped = b->mmapped, .vflags = b->vflags,
	};
	ment_extent(&e, b->usable, b->hdr);
	return e;
}

/* The usable size of e (0: unknown) and its header address (0: none). */
static inline uint64_t ment_usable(const struct ment *e)
{
	return e->slack ? e->size + e->slack - 1 : 0;
}

static inline uint64_t ment_hdr(const struct ment *e)
{
	return (e->vflags & VF_HDR) ? e->addr - e->hdr_off : 0;
}

/* A change: slot << 1 | 1 when born, slot << 1 when it dies. */
#define CHG(slot, born) ((uint32_t)(slot) << 1 | ((born) ? 1u : 0u))

struct ckpt {                /* the cursor state after `at` events */
	size_t at;
	struct model_stats st;
	uint32_t *live;
	uint32_t nlive;
};

struct snap {
	size_t off, n;
};

struct model {
	struct model_opts o;
	uint64_t id;                 /* model_id */
	bool broken;                 /* ran out of memory: refuse further work */

	/* sites (index 0 = unknown) and their interned strings */
	struct model_site *sites;
	uint32_t nsites, capsites;
	uint32_t *site_ht, site_hcap; /* site index + 1, 0 empty */
	char **strs;
	uint32_t nstrs, capstrs;
	uint32_t *str_ht, str_hcap;

	/* region snapshots; without history only the last is stored */
	struct model_region *regs;
	size_t nregs, capregs;
	struct snap *snaps;
	uint32_t nsnaps, capsnaps;   /* with history */
	uint32_t snap_count;         /* snapshots ever added */

	/* history */
	struct model_event *ev;
	size_t nev, capev;           /* nev: events applied (either mode) */
	uint32_t *chg_off;           /* nev + 1 offsets into chg */
	uint32_t *chg;
	size_t nchg, capchg;
	struct model_event last, exit_copy, signal_copy;
	uint64_t prev_sp, prev_depth, prev_brk; /* of the event before `last` */
	uint64_t freed_span;         /* model_freed_span: of the last event */

	/* entities */
	struct ment *ent;
	uint32_t nent, capent;
	uint32_t *pos;               /* history: slot -> index in live */
	uint32_t *idslot;            /* history: id - 1 -> first slot */
	size_t capid;
	uint32_t freehead;           /* no history: 1 + first recycled slot (the
	                                chain runs through the dead slots' id) */
	uint32_t *vnext_ht, vnext_hcap, vnext_n; /* pairs old slot+1, new slot */
	uint32_t next_id;

	/* end state */
	uint32_t *eh, ehcap, ehn;    /* live block address -> slot + 1 */
	uint32_t eh_hint;            /* where eh_find found the last address */
	struct fsindex fs;           /* teach: the free chunks (model_fs.h) */
	uint64_t ebrk;

	/* cursor state */
	size_t cur;
	struct model_stats st;
	uint32_t *live, nlive, caplive; /* history: live entity slots */
	struct ckpt *ck;
	size_t nck, capck;

	/* scratch */
	uint32_t *tchg;
	size_t ntchg, captchg;
	struct model_block *view;
	size_t nview, capview;
	bool view_ok;
	struct model_block scratch;
	struct ment *freed;          /* no history: ring of the last frees
	                                (state MB_FREED; read through scratch) */
	uint32_t nfreed, freed_head;
};

/* Grows *p (elements of `sz` bytes, capacity *cap) to hold `need`. */
int model_grow(void *pp, size_t *cap, size_t need, size_t sz);
int model_grow32(void *pp, uint32_t *cap, size_t need, size_t sz);

/* A block's size from its header to its end (its teach `block_size`), 0
 * when the header or the usable size is not known. */
static inline uint64_t ment_span(const struct ment *e)
{
	uint64_t usable = ment_usable(e);

	return (e->vflags & VF_HDR) && usable ? e->hdr_off + usable : 0;
}

/* Bytes an mmap'd block holds (header included when known). */
static inline uint64_t ment_bytes(const struct ment *e)
{
	uint64_t span = ment_span(e), usable = ment_usable(e);

	return span ? span : usable ? usable : e->size;
}

/* Moves the counters for entity *b being born or ending (its vflags say
 * how it ends).  With history model_step calls it for each change as the
 * cursor moves; without history model_apply calls it as the change is
 * made (nobody steps through changes later), so a chunk rewritten in
 * place afterwards only moves the byte count by its difference. */
static inline void model_count_change(struct model *m, const struct ment *b, bool born)
{
	struct model_stats *st = &m->st;

	if (b->vflags & VF_CHUNK) {
		st->free_chunks += born ? 1 : (uint64_t)-1;
		st->free_chunk_bytes += born ? b->size : -b->size;
	} else if (born) {
		st->live_blocks++;
		st->heap_in_use += b->size;
		st->allocations += !(b->vflags & VF_CONT);
		if (b->mmapped)
			st->mmap_bytes += ment_bytes(b);
	} else {
		st->live_blocks--;
		st->heap_in_use -= b->size;
		st->deallocations += !(b->vflags & (VF_REPLACED | VF_GONE));
		if (b->mmapped)
			st->mmap_bytes -= ment_bytes(b);
	}
}

/* model_hist.c: the cursor state.  model_step (with history) counts the
 * changes chg[0..n) of event k and moves the live set, then counts the
 * event itself; model_step_rare counts what the rarer events (MEV_ERROR
 * and after) set. */
void model_step(struct model *m, size_t k, const struct model_event *ev,
		const uint32_t *chg, size_t n);
void model_step_rare(struct model *m, size_t k, const struct model_event *ev);

/* The counters of the event itself, once its changes are counted (inline:
 * once per event, model_apply without history, model_step with). */
static inline void model_step_event(struct model *m, size_t k, const struct model_event *ev)
{
	struct model_stats *st = &m->st;

	st->events = k + 1;
	if (ev->type < MEV_TYPE_MAX)
		st->calls[ev->type]++;
	if (ev->type == MEV_FREE && !ev->args[0])
		st->free_null++;
	if (st->heap_in_use > st->heap_peak)
		st->heap_peak = st->heap_in_use;
	if (st->mmap_bytes > st->mmap_peak)
		st->mmap_peak = st->mmap_bytes;
	if (ev->type >= MEV_ERROR) /* none of these reads what follows */
		model_step_rare(m, k, ev);
	if (ev->brk) {
		if (!st->brk_start)
			st->brk_start = ev->brk;
		st->brk = ev->brk;
		if (ev->brk > st->brk_max)
			st->brk_max = ev->brk;
	}
	if (ev->sp)
		st->sp = ev->sp;
	if (ev->stack_depth) {
		st->stack_depth = ev->stack_depth;
		if (ev->stack_depth > st->stack_max)
			st->stack_max = ev->stack_depth;
	}
}

int model_checkpoint(struct model *m);
void model_vnext_put(struct model *m, uint32_t old, uint32_t new_);
void model_ckpt_free_all(struct model *m);

/* model_site.c */
void model_sites_free(struct model *m);

#endif
