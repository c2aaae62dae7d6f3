/* records: the ring's records turned into model events (call sites,
 * stack depth), and the few facts that say the regions may have changed
 * (the break moved, an mmap'd block, an unknown address, a big free). */
#include <stdlib.h>
#include <string.h>

#include "trace/trace_int.h"

/* ---- ring records into events ---------------------------------------- */

/* The region of the last snapshot holding `a`, or NULL. */
static const struct model_region *region_at(const struct trace *t, uint64_t a)
{
	size_t lo = 0, hi = t->nregs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (a < t->regs[mid].start)
			hi = mid;
		else if (a >= t->regs[mid].end)
			lo = mid + 1;
		else
			return &t->regs[mid];
	}
	return NULL;
}

bool trace_addr_known(const struct trace *t, uint64_t a)
{
	return region_at(t, a) != NULL;
}

/* region_at, trying the region of the last hit first: nearly every
 * result lies in [heap], and the binary search's branches were a third of
 * on_record's time. */
static const struct model_region *region_at_hint(struct trace *t, uint64_t a)
{
	const struct model_region *g;

	if (t->reg_hint < t->nregs) {
		g = &t->regs[t->reg_hint];
		if (a >= g->start && a < g->end)
			return g;
	}
	g = region_at(t, a);
	if (g)
		t->reg_hint = (size_t)(g - t->regs);
	return g;
}

/* glibc serves requests of 128 KiB and more with mmap and unmaps them on
 * free: the regions change then.  The tracer keeps those few blocks, but
 * not those glibc placed in [heap] (its mmap threshold grows once such a
 * block was freed, up to 32 MiB): freeing them changes no mapping, and
 * re-reading the maps for them found nothing new 4 times out of 5 on the
 * bench workload (about 570 reads of 50 us for 2M events). */
#define BIG_BLOCK (128 * 1024)

static uint64_t alloc_size(const struct ring_primary *r)
{
	switch (r->kind) {
	case RING_MALLOC: case RING_VALLOC: case RING_PVALLOC: return r->args[0];
	case RING_CALLOC: return r->args[0] * r->args[1];
	case RING_REALLOCARRAY: return r->args[1] * r->args[2];
	default: return r->args[1];
	}
}

/* Whether the n bytes at a (in region g, NULL: none) lie in the snapshot,
 * the last byte too: glibc extends [heap] for a block that starts below
 * the old break and ends above it, and only the maps tell (libc records
 * carry no break), so checking the start alone left the break stale. */
static bool block_known(const struct trace *t, const struct model_region *g, uint64_t a, uint64_t n)
{
	return g && (n == 0 || a + n - 1 < g->end || region_at(t, a + n - 1) != NULL);
}

static void big_note(struct trace *t, uint64_t a)
{
	if (t->nbig == t->capbig) {
		size_t nc = t->capbig ? t->capbig * 2 : 16;
		uint64_t *n = realloc(t->big, nc * sizeof(*n));
		if (!n)
			return;
		t->big = n;
		t->capbig = nc;
	}
	if (!t->nbig || a < t->big_lo)
		t->big_lo = a;
	t->big[t->nbig++] = a;
}

static void big_forget(struct trace *t, uint64_t a)
{
	for (size_t i = t->nbig; i > 0; i--)
		if (t->big[i - 1] == a) {
			t->big[i - 1] = t->big[--t->nbig];
			t->regions_dirty = true;
			return;
		}
}

/* One event, read in place in the ring (ring_drain_view). */
static int on_record(const struct ring_view *v, void *arg)
{
	struct trace *t = arg;
	const struct ring_primary *r = v->ev;
	const struct ring_aux *x = v->aux;
	uint16_t flags = r->flags & (uint16_t)~RING_F_AUX;
	/* every field named: the compiler stores them, no memset call */
	struct model_event ev = {
		.type = r->kind, .flags = flags, .tid = r->tid, .seq = v->seq,
		.args = { r->args[0], r->args[1], r->args[2] }, .result = r->result,
		.site = trace_site_of(t, r->caller), .error = x ? x->error : 0, .sp = r->sp,
		.aux = r->kind == RING_ERROR ? r->args[1] : 0,
		.block = x ? x->block : 0, .block_size = x ? x->block_size : 0,
		.brk = x ? x->brk : 0, .old_block = x ? x->old_block : 0,
		.err_no = x ? x->err_no : 0, .code = 0,
		.stack_depth = trace_stack_depth(t, r->tid, r->sp),
	};
	if (ev.stack_depth > t->stack_sampled_max)
		t->stack_sampled_max = ev.stack_depth;
	/* may a region have changed?  the break moved, an mmap'd block, or a
	 * block outside every region we know */
	const struct model_region *g = NULL;
	uint64_t n = 0; /* bytes allocated at the result */
	if (r->result) {
		g = region_at_hint(t, r->result);
		if (r->kind != RING_FREE && r->kind != RING_ERROR)
			n = alloc_size(r);
	}
	if (ev.brk && ev.brk != t->last_brk) {
		t->last_brk = ev.brk;
		t->regions_dirty = true;
	}
	if (flags & RING_F_MMAP)
		t->regions_dirty = true;
	else if (r->result && !t->regions_dirty && !block_known(t, g, r->result, n))
		/* (once dirty, the lookup could only say so again: the maps
		 * are re-read between drains, and a drain can last the whole
		 * run, every block past the snapshot's end of [heap] a miss) */
		t->regions_dirty = true;
	if (t->o.step && !(flags & RING_F_EARLY)) {
		/* the shim traps once after each record it publishes */
		struct trace_thread *th = trace_thread_get(t, r->tid, false);
		if (th)
			th->untrapped++;
	}
	if (t->nbig && r->args[0] >= t->big_lo && (r->kind == RING_FREE || r->kind == RING_REALLOC))
		big_forget(t, r->args[0]);
	if (n >= BIG_BLOCK && (!g || g->kind != MR_HEAP))
		big_note(t, r->result);
	t->pend_bytes = v->bytes;
	t->pend_nbytes = v->bytes ? r->nbytes : 0;
	/* the model's own error, kept in the trace: a 512-byte struct err in
	 * this frame (called per event) was most of its 656 bytes */
	trace_emit(t, &ev, &t->rec_err);
	t->pend_nbytes = 0;
	return 0;
}

size_t trace_drain(struct trace *t)
{
	size_t n;

	if (!t->ring)
		return 0;
	n = ring_drain_view(t->ring, 0, on_record, t);
	if (!t->shim_noted && ring_attached(t->ring, NULL))
		t->shim_noted = true;
	return n;
}
