/* check_model_apply: model_apply's two paths agree.  With history the
 * counters move as the cursor steps through each event's changes; without
 * history (trace, replay --json) they move as each change is made, an
 * in-place realloc points the address hash's entry at the next version,
 * and freed blocks are kept packed in a ring.  The same random events go
 * into both models, and after every event their answers must be equal. */
#include <stdint.h>

#include "testutil.h"
#include "model/model.h"
#include "ring/ring_format.h"

static void apply2(struct model *a, struct model *b, const struct model_event *e, int step)
{
	struct err ea = { 0 }, eb = { 0 };

	if (model_apply(a, e, &ea) != 0 || model_apply(b, e, &eb) != 0)
		ck_abort_msg("step %d: apply: %s%s", step, ea.msg, eb.msg);
}

static void same_stats(struct model *h, struct model *n, int step)
{
	const struct model_stats *x = model_stats(h), *y = model_stats(n);

	/* (compared whole: every counter, peaks and marks included) */
	if (memcmp(x, y, sizeof(*x)) != 0)
		ck_abort_msg("step %d: counters differ: live %llu/%llu in use %llu/%llu allocs %llu/%llu "
			     "frees %llu/%llu chunks %llu/%llu chunk bytes %llu/%llu mmap %llu/%llu",
			     step, (unsigned long long)x->live_blocks, (unsigned long long)y->live_blocks,
			     (unsigned long long)x->heap_in_use, (unsigned long long)y->heap_in_use,
			     (unsigned long long)x->allocations, (unsigned long long)y->allocations,
			     (unsigned long long)x->deallocations, (unsigned long long)y->deallocations,
			     (unsigned long long)x->free_chunks, (unsigned long long)y->free_chunks,
			     (unsigned long long)x->free_chunk_bytes, (unsigned long long)y->free_chunk_bytes,
			     (unsigned long long)x->mmap_bytes, (unsigned long long)y->mmap_bytes);
}

/* Every live block and free chunk, field by field (the ids too: an
 * in-place realloc keeps its block's id). */
static void same_blocks(struct model *h, struct model *n, int step)
{
	size_t nh = 0, nn = 0;
	const struct model_block *bh = model_blocks(h, &nh), *bn = model_blocks(n, &nn);

	if (nh != nn)
		ck_abort_msg("step %d: %zu blocks with history, %zu without", step, nh, nn);
	for (size_t i = 0; i < nh; i++)
		if (bh[i].addr != bn[i].addr || bh[i].size != bn[i].size || bh[i].usable != bn[i].usable ||
		    bh[i].hdr != bn[i].hdr || bh[i].id != bn[i].id || bh[i].state != bn[i].state ||
		    bh[i].alloc_ev != bn[i].alloc_ev || bh[i].alloc_site != bn[i].alloc_site ||
		    bh[i].mmapped != bn[i].mmapped)
			ck_abort_msg("step %d: block %zu differs: %#llx+%llu #%u / %#llx+%llu #%u", step, i,
				     (unsigned long long)bh[i].addr, (unsigned long long)bh[i].size, bh[i].id,
				     (unsigned long long)bn[i].addr, (unsigned long long)bn[i].size, bn[i].id);
}

/* What both models say lies at addr (live, or the last freed there; the
 * blocks here overlap, so only addresses whose answer is within the last
 * MODEL_FREED_KEEP frees are asked about). */
static void same_at(struct model *h, struct model *n, uint64_t addr, int step)
{
	const struct model_block *x = model_block_at(h, addr);
	struct model_block cx;
	const struct model_block *y;

	if (x)
		cx = *x; /* (the next call may reuse the copy) */
	y = model_block_at(n, addr);
	if (!x != !y || (x && (cx.id != y->id || cx.state != y->state || cx.size != y->size ||
			       cx.free_ev != y->free_ev || cx.free_site != y->free_site)))
		ck_abort_msg("step %d: at %#llx: #%u state %d / #%u state %d", step, (unsigned long long)addr,
			     x ? cx.id : 0, x ? cx.state : 0, y ? y->id : 0, y ? y->state : 0);
}

#define NSLOT 3000

/* Libc-like events over a live set large enough to grow the address hash
 * many times (and cluster it): mallocs, callocs, frees (some of pointers
 * never allocated, some NULL), reallocs in place, moving, to 0, failing;
 * now and then an mmap'd block and an exec. */
START_TEST(without_history_the_counters_and_blocks_are_the_historys_libc)
{
	struct model_opts oh = { .keep_history = true }, on = { .keep_history = false };
	struct model *h = model_new(&oh), *n = model_new(&on);
	static uint64_t addr[NSLOT];
	uint64_t rng = 0x2545f4914f6cdd1dULL, next = 0x555555560000ULL, last_freed = 0;

	memset(addr, 0, sizeof(addr));
	for (int step = 0; step < 60000; step++) {
		struct model_event e = { .tid = 1, .seq = (uint64_t)step, .site = (uint32_t)(step % 7) };
		size_t i;
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		i = (size_t)(rng >> 20) % NSLOT;
		e.stack_depth = 100 + rng % 64;
		if (step == 40000) { /* an exec: every block goes, not freed */
			e.type = MEV_EXEC;
			memset(addr, 0, sizeof(addr));
		} else if (rng % 97 == 0) {
			e.type = MEV_FREE; /* a pointer never handed out, or NULL */
			e.args[0] = rng % 2 ? 0 : 0x10;
		} else if (!addr[i]) {
			e.type = rng % 3 ? MEV_MALLOC : MEV_CALLOC;
			e.args[0] = e.type == MEV_CALLOC ? 1 : 16 + rng % 500;
			e.args[1] = e.type == MEV_CALLOC ? 16 + rng % 500 : 0;
			e.result = addr[i] = (next += 16 * (1 + rng % 40));
			if (rng % 211 == 0)
				e.flags = RING_F_MMAP;
		} else if (rng % 4 == 0) {
			e.type = MEV_REALLOC;
			e.args[0] = addr[i];
			e.args[1] = (rng >> 8) % 7 == 0 ? 0 : 16 + (rng >> 8) % 700;
			switch ((rng >> 16) % 4) {
			case 0: case 1: e.result = addr[i]; break;                  /* in place */
			case 2: e.result = addr[i] = (next += 16 * (1 + rng % 40)); break; /* moved */
			default: e.result = 0; break;                                /* failed, or freed (size 0) */
			}
			if (!e.result && !e.args[1]) {
				last_freed = addr[i];
				addr[i] = 0;
			}
		} else {
			e.type = MEV_FREE;
			e.args[0] = last_freed = addr[i];
			addr[i] = 0;
		}
		apply2(h, n, &e, step);
		same_stats(h, n, step);
		if (step % 500 == 0 || step > 59900) {
			same_blocks(h, n, step);
			for (size_t j = 0; j < NSLOT; j += 7)
				if (addr[j])
					same_at(h, n, addr[j], step);
		}
		if (last_freed && step % 16 == 0) /* (with history a scan of every block) */
			same_at(h, n, last_freed, step);
	}
	ck_assert_uint_gt(model_stats(n)->live_blocks, 1000);
	ck_assert_uint_gt(model_stats(n)->mmap_peak, 0);
	model_free(h);
	model_free(n);
}
END_TEST

/* Teach events from a first-fit heap with headers: blocks carved from the
 * start of free chunks (or the break grown for them), frees that coalesce
 * or not, reallocs that shrink or grow in place: the free chunks are
 * rewritten in place without history, and must be counted the same. */
START_TEST(without_history_the_counters_and_blocks_are_the_historys_teach)
{
	struct model_opts oh = { .keep_history = true, .teach = true }, on = { .keep_history = false, .teach = true };
	struct model *h = model_new(&oh), *n = model_new(&on);
	static uint64_t hdr[NSLOT], sz[NSLOT];
	uint64_t rng = 0x9e3779b97f4a7c15ULL, brk = 0x555555560000ULL, top = brk;

	memset(hdr, 0, sizeof(hdr));
	for (int step = 0; step < 40000; step++) {
		struct model_event e = { .tid = 1, .seq = (uint64_t)step, .flags = RING_F_TEACH };
		size_t i;
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		i = (size_t)(rng >> 20) % NSLOT;
		if (!hdr[i]) { /* from the top: the break grows by 64 KiB steps */
			uint64_t s = 32 + 16 * (rng % 64);
			if (top + s > brk)
				brk += 0x10000;
			e.type = MEV_MALLOC;
			e.args[0] = s - 16;
			e.block = hdr[i] = top;
			e.block_size = sz[i] = s;
			e.result = top + 16;
			top += s;
		} else if (rng % 3 == 0 && hdr[i] + sz[i] != top) { /* shrink in place */
			uint64_t s = sz[i] > 48 ? sz[i] - 16 : sz[i];
			e.type = MEV_REALLOC;
			e.args[0] = hdr[i] + 16;
			e.args[1] = s - 16;
			e.result = hdr[i] + 16;
			e.block = hdr[i];
			e.block_size = sz[i] = s;
		} else {
			e.type = MEV_FREE;
			e.args[0] = hdr[i] + 16;
			e.old_block = hdr[i];
			if (rng % 2)
				e.flags |= RING_F_COALESCED;
			hdr[i] = 0;
		}
		e.brk = brk;
		apply2(h, n, &e, step);
		same_stats(h, n, step);
		if (step % 400 == 0)
			same_blocks(h, n, step);
	}
	ck_assert_uint_gt(model_stats(n)->free_chunks, 100);
	model_free(h);
	model_free(n);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("model_apply");
	TCase *t = tcase_create("paths");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, without_history_the_counters_and_blocks_are_the_historys_libc);
	tcase_add_test(t, without_history_the_counters_and_blocks_are_the_historys_teach);
	suite_add_tcase(s, t);
	return tu_main(s);
}
