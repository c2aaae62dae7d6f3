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

#define NONE32 UINT32_MAX

/* vflags of an entity. */
enum {
	VF_CONT = 1,     /* born by an in-place realloc: not an allocation */
	VF_REPLACED = 2, /* ended by an in-place realloc: not a free */
	VF_GONE = 4,     /* ended by exec: not a free */
	VF_CHUNK = 8,    /* a teach-mode free chunk */
};

/* A change: slot << 1 | 1 when born, slot << 1 when it dies. */
#define CHG(slot, born) ((uint32_t)(slot) << 1 | ((born) ? 1u : 0u))

struct fchunk {              /* end state: a free chunk [a, b) */
	uint64_t a, b;
	uint32_t slot;
};

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

	/* entities */
	struct model_block *ent;
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
	struct fchunk *fs;
	size_t nfs, capfs;
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
	struct model_block *freed;   /* no history: ring of the last frees */
	uint32_t nfreed, freed_head;
};

/* Grows *p (elements of `sz` bytes, capacity *cap) to hold `need`. */
int model_grow(void *pp, size_t *cap, size_t need, size_t sz);
int model_grow32(void *pp, uint32_t *cap, size_t need, size_t sz);

/* model_hist.c: the cursor state */
void model_step(struct model *m, size_t k, const struct model_event *ev,
		const uint32_t *chg, size_t n);
int model_checkpoint(struct model *m);
void model_vnext_put(struct model *m, uint32_t old, uint32_t new_);
void model_ckpt_free_all(struct model *m);

/* model_site.c */
void model_sites_free(struct model *m);

#endif
