/* model: creating the model and applying events.  An event is resolved
 * against the state at the end of the history (which live block is at an
 * address, which free chunks exist) into a list of entities born and ended;
 * with history model_hist.c then steps the cursor state through that list,
 * without history the counters move as each change is made. */
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "ring/ring_format.h"

struct model *model_new(const struct model_opts *opts)
{
	static _Atomic uint64_t serial;
	struct model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->id = ++serial;
	if (opts)
		m->o = *opts;
	if (m->o.keep_history) {
		m->chg_off = calloc(16, sizeof(*m->chg_off));
		m->capev = 0;
		if (!m->chg_off || model_checkpoint(m) < 0) {
			model_free(m);
			return NULL;
		}
	} else {
		m->freed = calloc(MODEL_FREED_KEEP, sizeof(*m->freed));
		if (!m->freed) {
			model_free(m);
			return NULL;
		}
	}
	return m;
}

void model_free(struct model *m)
{
	if (!m)
		return;
	model_sites_free(m);
	model_ckpt_free_all(m);
	free(m->ev);
	free(m->chg_off);
	free(m->chg);
	free(m->ent);
	free(m->pos);
	free(m->idslot);
	free(m->vnext_ht);
	free(m->eh);
	model_fs_free(m);
	free(m->live);
	free(m->tchg);
	free(m->view);
	free(m->freed);
	free(m);
}

/* ---- the end state's address hash: live block address -> slot ---------- */

/* The table holds slot + 1 (0 empty), linear probing, any capacity: the
 * home index is a multiply-shift of the address scaled to the capacity, so
 * the table can grow by a quarter (it is part of the per-live-block cost,
 * which the model keeps under 64 bytes). */
#define EH_MAX_LOAD_NUM 5   /* grow above a load of 5/10: at 7/10 a delete's */
#define EH_MAX_LOAD_DEN 10  /* backward shift walked clusters twice as long */

static uint32_t ahash(uint64_t a, uint32_t cap)
{
	uint32_t h = (uint32_t)((a * 0x9e3779b97f4a7c15ULL) >> 32);
	return (uint32_t)(((uint64_t)h * cap) >> 32);
}

static uint32_t eh_next(uint32_t j, uint32_t cap)
{
	return j + 1 == cap ? 0 : j + 1;
}

/* Remembers where it found the address: a free deletes what it just
 * found, and eh_del starts there instead of probing again. */
static inline uint32_t eh_find(struct model *m, uint64_t addr)
{
	if (!m->ehcap)
		return NONE32;
	for (uint32_t j = ahash(addr, m->ehcap); m->eh[j]; j = eh_next(j, m->ehcap))
		if (m->ent[m->eh[j] - 1].addr == addr) {
			m->eh_hint = j;
			return m->eh[j] - 1;
		}
	return NONE32;
}

static int eh_resize(struct model *m, uint32_t nc)
{
	uint32_t *t = calloc(nc, sizeof(*t));

	if (!t)
		return -1;
	for (uint32_t i = 0; i < m->ehcap; i++) {
		uint32_t v = m->eh[i], j;
		if (!v)
			continue;
		for (j = ahash(m->ent[v - 1].addr, nc); t[j]; j = eh_next(j, nc))
			;
		t[j] = v;
	}
	free(m->eh);
	m->eh = t;
	m->ehcap = nc;
	return 0;
}

/* Maps addr (= ent[slot].addr) to slot; returns the slot it replaced, or
 * NONE32 (and sets m->broken when out of memory). */
static inline uint32_t eh_put(struct model *m, uint32_t slot)
{
	uint64_t addr = m->ent[slot].addr;
	uint32_t j;

	if ((uint64_t)(m->ehn + 1) * EH_MAX_LOAD_DEN > (uint64_t)m->ehcap * EH_MAX_LOAD_NUM) {
		uint64_t nc = (uint64_t)m->ehcap + m->ehcap / 4 + 64;
		if (nc > UINT32_MAX || eh_resize(m, (uint32_t)nc) < 0) {
			m->broken = true;
			return NONE32;
		}
	}
	for (j = ahash(addr, m->ehcap); m->eh[j]; j = eh_next(j, m->ehcap))
		if (m->ent[m->eh[j] - 1].addr == addr) {
			uint32_t old = m->eh[j] - 1;
			m->eh[j] = slot + 1;
			return old;
		}
	m->eh[j] = slot + 1;
	m->ehn++;
	return NONE32;
}

/* Points the entry of ent[old].addr at `new_` (the same address: an
 * in-place realloc), where eh_find just found it; returns `old`. */
static uint32_t eh_replace(struct model *m, uint32_t old, uint32_t new_)
{
	uint32_t j = m->eh_hint;

	if (j < m->ehcap && m->eh[j] == old + 1) {
		m->eh[j] = new_ + 1;
		return old;
	}
	return eh_put(m, new_); /* (not reached: nothing moved it since) */
}

/* Backward-shift deletion (no tombstones). */
static void eh_del(struct model *m, uint64_t addr)
{
	uint32_t j, k, cap = m->ehcap;

	if (!cap)
		return;
	j = m->eh_hint;
	if (j >= cap || !m->eh[j] || m->ent[m->eh[j] - 1].addr != addr)
		for (j = ahash(addr, cap); m->eh[j]; j = eh_next(j, cap))
			if (m->ent[m->eh[j] - 1].addr == addr)
				break;
	if (!m->eh[j])
		return;
	m->eh[j] = 0;
	m->ehn--;
	for (k = eh_next(j, cap); m->eh[k]; k = eh_next(k, cap)) {
		uint32_t h = ahash(m->ent[m->eh[k] - 1].addr, cap);
		/* move eh[k] into the hole at j unless its home lies in (j, k]
		 * (distances around the ring without a division) */
		uint32_t dh = k >= h ? k - h : k + cap - h, dj = k >= j ? k - j : k + cap - j;
		if (dh >= dj) {
			m->eh[j] = m->eh[k];
			m->eh[k] = 0;
			j = k;
		}
	}
}

/* ---- entities and changes ----------------------------------------------- */

static void chg_push(struct model *m, uint32_t slot, bool born)
{
	/* the list is reused event after event: it grows only a few times */
	if (m->ntchg >= m->captchg &&
	    model_grow(&m->tchg, &m->captchg, m->ntchg + 1, sizeof(*m->tchg)) < 0) {
		m->broken = true;
		return;
	}
	m->tchg[m->ntchg++] = CHG(slot, born);
}

/* A never used slot at the end of the slab (grown when full); NONE32 and
 * m->broken when out of memory. */
static uint32_t ent_fresh(struct model *m)
{
	uint32_t oldcap = m->capent;

	if (m->nent >= (UINT32_MAX >> 1) - 1)
		goto oom;
	if (m->nent == m->capent) {
		/* grow by an eighth: without history the slab is the
		 * live blocks' memory, so keep its slack small */
		size_t nc = (size_t)m->capent + m->capent / (m->o.keep_history ? 2 : 8) + 64;
		struct ment *p = realloc(m->ent, nc * sizeof(*p));
		if (!p || nc > (UINT32_MAX >> 1))
			goto oom;
		m->ent = p;
		m->capent = (uint32_t)nc;
	}
	if (m->o.keep_history && m->capent != oldcap) {
		uint32_t *p = realloc(m->pos, (size_t)m->capent * sizeof(*p));
		if (!p)
			goto oom;
		m->pos = p;
	}
	return m->nent++;
oom:
	m->broken = true;
	return NONE32;
}

/* A new entity slot holding *e (a recycled one first); NONE32 (and
 * m->broken) when out of memory.  The hot paths build the packed record
 * themselves: going through struct model_block cost a copy and an
 * unpacking per block. */
static inline uint32_t ent_new(struct model *m, const struct ment *e)
{
	uint32_t s;

	if (m->freehead) {
		s = m->freehead - 1;
		m->freehead = m->ent[s].id;
	} else if ((s = ent_fresh(m)) == NONE32) {
		return NONE32;
	}
	m->ent[s] = *e;
	if (m->o.keep_history)
		chg_push(m, s, true);
	else
		model_count_change(m, &m->ent[s], true);
	return s;
}

static inline void ent_end(struct model *m, uint32_t s, size_t k, uint16_t vf, uint32_t site)
{
	m->ent[s].free_ev = (uint32_t)k;
	m->ent[s].vflags |= vf;
	if (!(vf & (VF_REPLACED | VF_GONE)))
		m->ent[s].free_site = site;
	if (!m->o.keep_history) /* counted now; the slot is recycled after the event */
		model_count_change(m, &m->ent[s], false);
	chg_push(m, s, false);
}

/* ---- teach mode: the free chunks at the end state ------------------------ */

/* The record of a free chunk [a, b) made at event k (id 0, addr = hdr,
 * size = usable). */
static struct ment chunk_ment(uint64_t a, uint64_t b, size_t k)
{
	struct ment c = { .addr = a, .size = b - a, .alloc_ev = (uint32_t)k, .free_ev = NONE32,
			  .state = MB_FREE_CHUNK, .vflags = VF_CHUNK };

	ment_extent(&c, b - a, a);
	return c;
}

/* The entity of a new free chunk [a, b) (NONE32 and m->broken when out
 * of memory); the caller puts it in the set. */
static uint32_t fs_chunk_ent(struct model *m, uint64_t a, uint64_t b, size_t k)
{
	struct ment c = chunk_ment(a, b, k);

	return ent_new(m, &c);
}

/* Without history a chunk that changes keeps its entity, rewritten in
 * place as the new chunk would be (nobody can go back to the old one):
 * no entity ends or begins, only the byte count moves (the chunk was
 * counted as it was when made, model_count_change). */
static void fs_chunk_move(struct model *m, uint32_t s, uint64_t a, uint64_t b, size_t k)
{
	m->st.free_chunk_bytes += (b - a) - m->ent[s].size;
	m->ent[s] = chunk_ment(a, b, k);
}

static void fs_insert(struct model *m, uint64_t a, uint64_t b, size_t k)
{
	uint32_t s;

	if ((s = fs_chunk_ent(m, a, b, k)) == NONE32)
		return;
	if (model_fs_put(m, a, b, s) < 0)
		m->broken = true;
}

/* Fast paths and the invariant they rest on.  While m->fs.dirty is false
 * every live teach block was carved from memory the model held as free
 * chunks, and the break never went down, so the free chunks and the live
 * teach blocks are disjoint and lie below the break.  Then:
 *  - a free (or the break going up) puts back memory no chunk overlaps,
 *    so the ordered "take out whatever overlaps" step is skipped;
 *  - an allocation that starts at a chunk's start (a chain of touching
 *    chunks, for a realloc growing in place) or ends at a chunk's end is
 *    resolved by the exact lookups alone (any other chunk overlapping it
 *    would overlap one of those).
 * Anything else (an allocation inside a chunk, as memalign's) asks for
 * order; an allocation not covered by free chunks, or the break going
 * down, sets dirty and every later event takes the ordered path (the same
 * rules, answered by the treap) until an exec clears the set.  Either way
 * the chunks are those the model's rules say (model.h). */

/* Takes chunk c out ([ca, cb) holds the whole overlap with [a, b)):
 * what is left on either side becomes a new chunk, keeping c's record
 * (its key moves within its own range, so the order holds). */
static void fs_cut(struct model *m, struct fchunk *c, uint64_t a, uint64_t b, size_t k)
{
	uint64_t ca = c->a, cb = c->b;
	uint32_t slo = NONE32, shi = NONE32;

	if (!m->o.keep_history && (cb > b || ca < a)) {
		if (cb > b && ca < a) {
			if ((shi = fs_chunk_ent(m, b, cb, k)) == NONE32)
				return;
			fs_chunk_move(m, c->slot, ca, a, k);
			model_fs_set_b(m, c, a);
			if (model_fs_put(m, b, cb, shi) < 0)
				m->broken = true;
		} else if (cb > b) {
			fs_chunk_move(m, c->slot, b, cb, k);
			model_fs_set_a(m, c, b);
		} else {
			fs_chunk_move(m, c->slot, ca, a, k);
			model_fs_set_b(m, c, a);
		}
		return;
	}
	ent_end(m, c->slot, k, 0, 0);
	if (cb > b)
		shi = fs_chunk_ent(m, b, cb, k);
	if (ca < a)
		slo = fs_chunk_ent(m, ca, a, k);
	if (m->broken)
		return;
	if (shi != NONE32 && slo != NONE32) {
		model_fs_set_b(m, c, a);
		c->slot = slo;
		if (model_fs_put(m, b, cb, shi) < 0)
			m->broken = true;
	} else if (shi != NONE32) {
		model_fs_set_a(m, c, b);
		c->slot = shi;
	} else if (slo != NONE32) {
		model_fs_set_b(m, c, a);
		c->slot = slo;
	} else {
		model_fs_del_chunk(m, c);
	}
}

/* The first chunk overlapping [a, b) found by exact lookups, when it
 * starts at a and a chain of touching chunks covers [a, b), or it ends at
 * b and starts at or below a; else NULL. */
static struct fchunk *fs_exact(struct model *m, uint64_t a, uint64_t b)
{
	struct fchunk *c = model_fs_at(m, a), *x;

	if (!c) {
		c = model_fs_ending_at(m, b);
		return c && c->a <= a ? c : NULL;
	}
	for (x = c; x && x->b < b; x = model_fs_at(m, x->b))
		;
	return x ? c : NULL;
}

/* Takes [a, b) out of the free chunks (an allocation, the break going
 * down).  True when free chunks covered all of [a, b). */
static bool fs_sub(struct model *m, uint64_t a, uint64_t b, size_t k)
{
	struct fchunk lo = { 0 }, hi = { 0 }, *c = NULL;
	bool exact = false, covered;
	uint64_t cov = a;

	if (a >= b || !m->fs.count)
		return false;
	if (!m->fs.dirty && (c = fs_exact(m, a, b)))
		exact = true;
	else
		c = model_fs_after(m, a);
	if (c && c->a < b && c->b >= b) {
		/* one chunk holds all of the overlap (an allocation carved
		 * from it) */
		covered = c->a <= a;
		fs_cut(m, c, a, b, k);
		return covered;
	}
	covered = c && c->a <= a;
	for (; c && c->a < b; c = exact ? model_fs_at(m, cov) : model_fs_after(m, a)) {
		uint64_t ca = c->a;
		if (ca > cov)
			covered = false;
		cov = c->b;
		if (c->a < a)
			lo = (struct fchunk){ .a = c->a, .b = a };
		if (c->b > b)
			hi = (struct fchunk){ .a = b, .b = c->b };
		ent_end(m, c->slot, k, 0, 0);
		model_fs_del_chunk(m, c);
	}
	if (hi.b)
		fs_insert(m, hi.a, hi.b, k);
	if (lo.b)
		fs_insert(m, lo.a, lo.b, k);
	return covered && cov >= b;
}

/* Puts [a, b) back (a free, the break going up), merging with touching
 * chunks when `merge`. */
static void fs_add(struct model *m, uint64_t a, uint64_t b, bool merge, size_t k)
{
	struct fchunk *prev, *next;
	uint32_t s;

	if (a >= b)
		return;
	if (m->fs.dirty) /* else nothing overlaps [a, b): see above */
		fs_sub(m, a, b, k);
	prev = merge ? model_fs_ending_at(m, a) : NULL;
	next = merge ? model_fs_at(m, b) : NULL;
	if (!m->o.keep_history && (prev || next)) {
		if (prev && next) {
			uint64_t nb = next->b;
			ent_end(m, next->slot, k, 0, 0);
			model_fs_del_chunk(m, next);
			fs_chunk_move(m, prev->slot, prev->a, nb, k);
			model_fs_set_b(m, prev, nb);
		} else if (prev) {
			fs_chunk_move(m, prev->slot, prev->a, b, k);
			model_fs_set_b(m, prev, b);
		} else {
			fs_chunk_move(m, next->slot, a, next->b, k);
			model_fs_set_a(m, next, a);
		}
		return;
	}
	/* the neighbours end and the merged chunk begins; in the set the
	 * merged chunk takes a neighbour's record (keys keep their order:
	 * nothing lies between them and [a, b)) */
	if (prev)
		ent_end(m, prev->slot, k, 0, 0);
	if (next)
		ent_end(m, next->slot, k, 0, 0);
	if ((s = fs_chunk_ent(m, prev ? prev->a : a, next ? next->b : b, k)) == NONE32)
		return;
	if (prev && next) {
		uint64_t nb = next->b;
		model_fs_del_chunk(m, next);
		model_fs_set_b(m, prev, nb);
		prev->slot = s;
	} else if (prev) {
		model_fs_set_b(m, prev, b);
		prev->slot = s;
	} else if (next) {
		model_fs_set_a(m, next, a);
		next->slot = s;
	} else if (model_fs_put(m, a, b, s) < 0) {
		m->broken = true;
	}
}

static void brk_moves_teach(struct model *m, const struct model_event *ev, size_t k)
{
	if (!m->ebrk && ev->block && ev->block < ev->brk && !(ev->flags & RING_F_MMAP))
		/* the first break seen: the heap up to it is the allocator's,
		 * from the block it hands out now (about to be taken) */
		fs_add(m, ev->block, ev->brk, true, k);
	else if (m->ebrk && ev->brk > m->ebrk)
		fs_add(m, m->ebrk, ev->brk, true, k);
	else if (m->ebrk && ev->brk < m->ebrk) {
		fs_sub(m, ev->brk, m->ebrk, k);
		m->fs.dirty = true; /* blocks may lie above the break now */
	}
	m->ebrk = ev->brk;
}

/* The teach allocator's break moving changes the free chunks (inline: a
 * test on every event, work only when the break moved, teach mode). */
static inline void brk_moves(struct model *m, const struct model_event *ev, size_t k)
{
	if ((ev->flags & RING_F_TEACH) && ev->brk && ev->brk != m->ebrk && !m->o.no_free_chunks)
		brk_moves_teach(m, ev, k);
}


/* ---- resolving one event ------------------------------------------------- */

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* The size the program asked for. */
uint64_t model_ev_request(const struct model_event *ev)
{
	switch (ev->type) {
	case MEV_MALLOC: case MEV_VALLOC: case MEV_PVALLOC: return ev->args[0];
	case MEV_CALLOC: return mul_sat(ev->args[0], ev->args[1]);
	case MEV_REALLOC: case MEV_POSIX_MEMALIGN: case MEV_ALIGNED_ALLOC:
	case MEV_MEMALIGN: return ev->args[1];
	case MEV_REALLOCARRAY: return mul_sat(ev->args[1], ev->args[2]);
	default: return 0;
	}
}

/* A teach block (header known, not mmap'd) goes back to the free
 * chunks when it ends, when the model keeps them. */
static bool teach_ment(const struct model *m, const struct ment *e)
{
	return (e->vflags & VF_HDR) && !e->mmapped && !m->o.no_free_chunks;
}

static void block_free(struct model *m, uint32_t s, const struct model_event *ev, size_t k)
{
	const struct ment *e = &m->ent[s];
	uint64_t addr = e->addr;

	eh_del(m, addr);
	ent_end(m, s, k, 0, ev->site);
	if (teach_ment(m, e)) /* (e stays valid: nothing above grows the slab) */
		fs_add(m, ment_hdr(e), addr + ment_usable(e), (ev->flags & RING_F_COALESCED) != 0, k);
}

/* The version of a block an in-place realloc ends: the next one keeps its
 * id, allocation and address-hash entry. */
struct vprev {
	uint32_t slot, id, alloc_ev, alloc_site;
};

static uint32_t block_new(struct model *m, const struct model_event *ev, size_t k,
			  uint64_t size, const struct vprev *prev)
{
	struct ment b = { .addr = ev->result, .size = size, .alloc_ev = (uint32_t)k,
			  .free_ev = NONE32, .alloc_site = ev->site, .state = MB_LIVE,
			  .mmapped = (ev->flags & RING_F_MMAP) != 0 };
	uint64_t usable = 0, hdr = 0;
	uint32_t old, s;

	if ((ev->flags & RING_F_TEACH) && ev->block && ev->block <= ev->result &&
	    ev->block_size >= ev->result - ev->block) {
		hdr = ev->block;
		usable = ev->block_size - (ev->result - ev->block);
	}
	if (prev) { /* next version of the same block */
		b.id = prev->id;
		b.alloc_ev = prev->alloc_ev;
		b.alloc_site = prev->alloc_site;
		b.vflags = VF_CONT;
	} else {
		b.id = ++m->next_id;
	}
	ment_extent(&b, usable, hdr);
	if ((s = ent_new(m, &b)) == NONE32)
		return NONE32;
	old = prev ? eh_replace(m, prev->slot, s) : eh_put(m, s);
	if (m->broken)
		return NONE32;
	if (old != NONE32 && !prev) /* a block we missed the free of: it ends here */
		ent_end(m, old, k, 0, 0);
	if (m->o.keep_history && !prev) {
		if (model_grow(&m->idslot, &m->capid, m->next_id, sizeof(*m->idslot)) < 0) {
			m->broken = true;
			return NONE32;
		}
		m->idslot[m->next_id - 1] = s;
	}
	if (hdr && !b.mmapped && !m->o.no_free_chunks && !fs_sub(m, hdr, b.addr + usable, k))
		m->fs.dirty = true; /* not carved from free chunks */
	return s;
}

static void resolve_realloc(struct model *m, const struct model_event *ev, size_t k)
{
	uint64_t p = ev->args[0], size = model_ev_request(ev);
	uint32_t s = p ? eh_find(m, p) : NONE32, ns;

	if (s != NONE32 && ev->result == p) { /* in place: end this version, start the next */
		const struct ment *e = &m->ent[s];
		struct vprev prev = { s, e->id, e->alloc_ev, e->alloc_site };
		ent_end(m, s, k, VF_REPLACED, 0);
		if (teach_ment(m, e))
			fs_add(m, ment_hdr(e), e->addr + ment_usable(e), false, k);
		brk_moves(m, ev, k);
		ns = block_new(m, ev, k, size, &prev);
		if (m->o.keep_history && ns != NONE32)
			model_vnext_put(m, s, ns);
		return;
	}
	/* a move, or realloc(p, 0) returning NULL, gives the old block back */
	if (s != NONE32 && (ev->result || size == 0))
		block_free(m, s, ev, k);
	brk_moves(m, ev, k);
	if (ev->result)
		block_new(m, ev, k, size, NULL);
}

uint64_t model_block_span(struct model *m, uint64_t addr)
{
	struct err e;
	uint32_t s;

	/* the newest state, the one the next model_apply changes */
	if (m->o.keep_history && m->cur != m->nev && model_seek(m, m->nev, &e) < 0)
		return 0;
	s = addr ? eh_find(m, addr) : NONE32;
	return s == NONE32 ? 0 : ment_span(&m->ent[s]);
}

uint64_t model_freed_span(const struct model *m)
{
	return m->freed_span;
}

static void resolve(struct model *m, const struct model_event *ev, size_t k)
{
	switch (ev->type) {
	case MEV_MALLOC: case MEV_CALLOC: case MEV_POSIX_MEMALIGN: case MEV_ALIGNED_ALLOC:
	case MEV_MEMALIGN: case MEV_VALLOC: case MEV_PVALLOC:
		brk_moves(m, ev, k);
		if (ev->result)
			block_new(m, ev, k, model_ev_request(ev), NULL);
		break;
	case MEV_REALLOC: case MEV_REALLOCARRAY:
		resolve_realloc(m, ev, k);
		break;
	case MEV_FREE:
		if (ev->args[0]) {
			uint32_t s = eh_find(m, ev->args[0]);
			if (s != NONE32) {
				m->freed_span = ment_span(&m->ent[s]);
				block_free(m, s, ev, k);
			}
		}
		brk_moves(m, ev, k);
		break;
	case MEV_EXEC:
		if (m->o.keep_history) {
			for (uint32_t i = 0; i < m->nlive; i++)
				ent_end(m, m->live[i], k, VF_GONE, 0);
		} else {
			for (uint32_t s = 0; s < m->nent; s++)
				if (m->ent[s].state)
					ent_end(m, s, k, VF_GONE, 0);
		}
		free(m->eh);
		m->eh = NULL;
		m->ehcap = m->ehn = 0;
		model_fs_clear(m);
		m->ebrk = 0;
		break;
	default:
		break;
	}
}

/* Without history a dead slot is recycled; a freed block is remembered in
 * a ring for "dangling pointer" questions. */
static void slot_release(struct model *m, uint32_t s)
{
	struct ment *b = &m->ent[s];

	if (!(b->vflags & (VF_CHUNK | VF_REPLACED))) {
		/* kept packed (a copy, not an unpacking per free) */
		struct ment *f = &m->freed[m->freed_head];
		*f = *b;
		f->state = MB_FREED;
		m->freed_head = (m->freed_head + 1) % MODEL_FREED_KEEP;
		if (m->nfreed < MODEL_FREED_KEEP)
			m->nfreed++;
	}
	b->state = 0;
	b->id = m->freehead;
	m->freehead = s + 1;
}

/* Without history the changes are counted as they are made: after the
 * event the slots of the entities that ended (dead[0..n), CHG-encoded)
 * are recycled, then the event itself is counted. */
static void step_nohist(struct model *m, size_t k, const struct model_event *ev,
			const uint32_t *dead, size_t n)
{
	for (size_t i = 0; i < n; i++)
		slot_release(m, dead[i] >> 1);
	model_step_event(m, k, ev);
}

int model_apply(struct model *m, const struct model_event *ev, struct err *e)
{
	size_t k = m->nev;

	if (m->broken)
		return err_set(e, ERR_INTERNAL, "model: out of memory");
	if (m->o.keep_history && m->cur != m->nev && model_seek(m, m->nev, e) < 0)
		return -1;
	if (k >= UINT32_MAX - 1)
		return err_set(e, ERR_INTERNAL, "model: more than 4 billion events");
	m->ntchg = 0;
	m->freed_span = 0;
	if (m->o.keep_history && k + 1 > m->capev) {
		uint32_t *p;
		if (model_grow(&m->ev, &m->capev, k + 1, sizeof(*m->ev)) < 0 ||
		    !(p = realloc(m->chg_off, (m->capev + 1) * sizeof(*m->chg_off)))) {
			m->broken = true;
			return err_set(e, ERR_INTERNAL, "model: out of memory");
		}
		m->chg_off = p;
	}
	resolve(m, ev, k);
	if (m->o.keep_history) {
		if (model_grow(&m->chg, &m->capchg, m->nchg + m->ntchg, sizeof(*m->chg)) < 0)
			m->broken = true;
		if (m->broken)
			return err_set(e, ERR_INTERNAL, "model: out of memory");
		if (m->ntchg)
			memcpy(m->chg + m->nchg, m->tchg, m->ntchg * sizeof(*m->chg));
		m->nchg += m->ntchg;
		m->ev[k] = *ev;
		m->chg_off[k + 1] = (uint32_t)m->nchg;
	} else if (m->broken) {
		return err_set(e, ERR_INTERNAL, "model: out of memory");
	}
	m->prev_sp = m->last.sp;
	m->prev_depth = m->last.stack_depth;
	m->prev_brk = m->last.brk;
	m->last = *ev;
	m->nev = k + 1;
	if (m->o.keep_history)
		model_step(m, k, ev, m->tchg, m->ntchg);
	else /* (tchg holds only the entities that ended) */
		step_nohist(m, k, ev, m->tchg, m->ntchg);
	m->cur = m->nev;
	m->view_ok = false;
	if (m->o.keep_history && model_checkpoint(m) < 0) {
		m->broken = true;
		return err_set(e, ERR_INTERNAL, "model: out of memory");
	}
	return 0;
}
