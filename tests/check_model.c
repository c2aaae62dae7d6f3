/* check_model: the address-space model without any process: every event
 * type, blocks and their ids, teach-mode free chunks, counters, regions,
 * leaks, site interning, seeking through the history, bounded memory. */
#include <stdint.h>

#include "testutil.h"
#include "model/model.h"
#include "ring/ring_format.h"

static struct model *hist(void)
{
	struct model_opts o = { .keep_history = true };
	return model_new(&o);
}

static struct model_event ev(int type, uint64_t a0, uint64_t a1, uint64_t res)
{
	struct model_event e = { .type = (uint16_t)type, .tid = 1, .result = res };
	e.args[0] = a0;
	e.args[1] = a1;
	return e;
}

static void apply(struct model *m, struct model_event e)
{
	struct err er = { 0 };
	static uint64_t seq;
	e.seq = seq++;
	/* (Check logs every assertion: assert only on failure in hot loops) */
	if (model_apply(m, &e, &er) != 0)
		ck_abort_msg("apply: %s", er.msg);
}

static void seek(struct model *m, size_t k)
{
	struct err er = { 0 };
	if (model_seek(m, k, &er) != 0)
		ck_abort_msg("seek %zu: %s", k, er.msg);
}

START_TEST(event_names_round_trip)
{
	for (int t = 1; t < MEV_TYPE_MAX; t++)
		ck_assert_int_eq(model_ev_parse(model_ev_name(t)), t);
	ck_assert_int_eq(model_ev_parse("nonsense"), 0);
	ck_assert_str_eq(model_ev_name(MEV_POSIX_MEMALIGN), "posix_memalign");
	ck_assert(model_ev_is_alloc_call(MEV_PVALLOC));
	ck_assert(!model_ev_is_alloc_call(MEV_ERROR));
}
END_TEST

START_TEST(malloc_and_free_make_blocks_in_allocation_order)
{
	struct model *m = hist();
	const struct model_stats *st;
	const struct model_block *b;
	size_t n;

	apply(m, ev(MEV_MALLOC, 40, 0, 0x1000));
	apply(m, ev(MEV_MALLOC, 10, 0, 0x2000));
	apply(m, ev(MEV_CALLOC, 3, 8, 0x3000));
	apply(m, ev(MEV_FREE, 0x2000, 0, 0));
	st = model_stats(m);
	ck_assert_uint_eq(st->allocations, 3);
	ck_assert_uint_eq(st->deallocations, 1);
	ck_assert_uint_eq(st->live_blocks, 2);
	ck_assert_uint_eq(st->heap_in_use, 40 + 24);
	ck_assert_uint_eq(st->heap_peak, 40 + 10 + 24);
	ck_assert_uint_eq(st->calls[MEV_MALLOC], 2);
	ck_assert_uint_eq(st->calls[MEV_CALLOC], 1);
	ck_assert_uint_eq(st->calls[MEV_FREE], 1);
	b = model_blocks(m, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(b[0].addr, 0x1000);
	ck_assert_uint_eq(b[0].id, 1);
	ck_assert_uint_eq(b[1].id, 3);
	ck_assert_uint_eq(b[1].size, 24);
	b = model_block_by_id(m, 2);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(b->state, MB_FREED);
	ck_assert_uint_eq(b->alloc_ev, 1);
	ck_assert_uint_eq(b->free_ev, 3);
	ck_assert_ptr_null(model_block_by_id(m, 4));
	model_free(m);
}
END_TEST

/* Robust to a lost free: a new block at a live block's address ends the
 * old one (counted as freed). */
START_TEST(allocation_at_a_live_address_ends_the_old_block)
{
	struct model *m = hist();

	apply(m, ev(MEV_MALLOC, 8, 0, 0x1000));
	apply(m, ev(MEV_MALLOC, 16, 0, 0x1000));
	ck_assert_uint_eq(model_stats(m)->live_blocks, 1);
	ck_assert_uint_eq(model_stats(m)->heap_in_use, 16);
	ck_assert_uint_eq(model_stats(m)->deallocations, 1);
	ck_assert_int_eq(model_block_by_id(m, 1)->state, MB_FREED);
	ck_assert_uint_eq(model_block_at(m, 0x1000)->id, 2);
	apply(m, ev(MEV_FREE, 0x1000, 0, 0));
	ck_assert_uint_eq(model_stats(m)->live_blocks, 0);
	model_free(m);
}
END_TEST

START_TEST(free_null_counts_as_a_free_call_and_in_free_null)
{
	struct model *m = hist();

	apply(m, ev(MEV_FREE, 0, 0, 0));
	apply(m, ev(MEV_MALLOC, 8, 0, 0x1000));
	apply(m, ev(MEV_FREE, 0x1000, 0, 0));
	ck_assert_uint_eq(model_stats(m)->calls[MEV_FREE], 2);
	ck_assert_uint_eq(model_stats(m)->free_null, 1);
	ck_assert_uint_eq(model_stats(m)->deallocations, 1);
	model_free(m);
}
END_TEST

START_TEST(realloc_moving_makes_a_new_block_in_place_keeps_it)
{
	struct model *m = hist();
	const struct model_block *b;

	apply(m, ev(MEV_MALLOC, 16, 0, 0x1000));          /* #1 */
	apply(m, ev(MEV_REALLOC, 0x1000, 32, 0x1000));    /* in place */
	b = model_block_at(m, 0x1000 + 20);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(b->id, 1);
	ck_assert_uint_eq(b->size, 32);
	ck_assert_uint_eq(b->alloc_ev, 0);
	ck_assert_uint_eq(model_stats(m)->heap_in_use, 32);
	apply(m, ev(MEV_REALLOC, 0x1000, 64, 0x5000));    /* moves: #2 */
	ck_assert_uint_eq(model_stats(m)->allocations, 2);
	ck_assert_uint_eq(model_stats(m)->deallocations, 1);
	ck_assert_uint_eq(model_stats(m)->calls[MEV_REALLOC], 2);
	ck_assert_uint_eq(model_stats(m)->heap_in_use, 64);
	ck_assert_uint_eq(model_stats(m)->heap_peak, 64);
	b = model_block_at(m, 0x1000);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(b->state, MB_FREED);
	ck_assert_uint_eq(b->id, 1);
	ck_assert_uint_eq(b->free_ev, 2);
	ck_assert_uint_eq(model_block_at(m, 0x5000)->id, 2);
	apply(m, ev(MEV_REALLOC, 0x5000, 1 << 20, 0));    /* fails: nothing changes */
	ck_assert_uint_eq(model_stats(m)->live_blocks, 1);
	apply(m, ev(MEV_REALLOC, 0, 8, 0x9000));          /* realloc(NULL): #3 */
	ck_assert_uint_eq(model_block_at(m, 0x9000)->id, 3);
	apply(m, ev(MEV_REALLOC, 0x9000, 0, 0));          /* realloc(p, 0) frees */
	ck_assert_uint_eq(model_stats(m)->live_blocks, 1);
	ck_assert_uint_eq(model_stats(m)->deallocations, 2);
	struct model_event ra = ev(MEV_REALLOCARRAY, 0x5000, 10, 0x7000);
	ra.args[2] = 12;
	apply(m, ra);
	ck_assert_uint_eq(model_stats(m)->heap_in_use, 120);
	/* going back before the in-place realloc shows the old size */
	seek(m, 1);
	ck_assert_uint_eq(model_block_by_id(m, 1)->size, 16);
	ck_assert_uint_eq(model_stats(m)->heap_in_use, 16);
	seek(m, 2);
	ck_assert_uint_eq(model_block_by_id(m, 1)->size, 32);
	ck_assert_int_eq(model_block_by_id(m, 1)->state, MB_LIVE);
	model_free(m);
}
END_TEST

START_TEST(aligned_calls_use_the_size_argument)
{
	struct model *m = hist();

	apply(m, ev(MEV_POSIX_MEMALIGN, 64, 100, 0x1040));
	apply(m, ev(MEV_ALIGNED_ALLOC, 64, 200, 0x2000));
	apply(m, ev(MEV_MEMALIGN, 32, 300, 0x3000));
	apply(m, ev(MEV_VALLOC, 400, 0, 0x4000));
	apply(m, ev(MEV_PVALLOC, 500, 0, 0x5000));
	apply(m, ev(MEV_MALLOC, 1ULL << 40, 0, 0));       /* fails */
	ck_assert_uint_eq(model_stats(m)->heap_in_use, 1500);
	ck_assert_uint_eq(model_stats(m)->allocations, 5);
	model_free(m);
}
END_TEST

/* Teach events: the first break seen (0x10000), then the break grows by
 * 4 KiB and a 32-byte block (16-byte header at 0x10000) is carved from
 * it. */
static void teach_grow_and_carve(struct model *m)
{
	struct model_event e = ev(MEV_MALLOC, 1, 0, 0);

	e.flags = RING_F_TEACH;
	e.brk = 0x10000;                          /* first break seen */
	apply(m, e);
	e = ev(MEV_MALLOC, 32, 0, 0x10010);
	e.flags = RING_F_TEACH | RING_F_GREW_HEAP | RING_F_SPLIT;
	e.block = 0x10000;
	e.block_size = 48;
	e.brk = 0x11000;
	apply(m, e);
}

/* Then that block freed, merging with its neighbours. */
static void teach_free_coalescing(struct model *m)
{
	struct model_event e = ev(MEV_FREE, 0x10010, 0, 0);

	e.flags = RING_F_TEACH | RING_F_COALESCED;
	e.old_block = 0x10000;
	e.brk = 0x11000;
	apply(m, e);
}

/* A teach block's size from its header to its end, as trace files use it
 * for a free's block_size: the live block's at the newest event (also
 * with the cursor moved back), the freed one's right after its free. */
START_TEST(block_span_is_the_newest_state_and_freed_span_the_last_free)
{
	struct model *m = hist();
	struct model_event e;

	teach_grow_and_carve(m);                         /* 48 bytes at 0x10000 */
	e = ev(MEV_MALLOC, 100, 0, 0x20000);             /* no header known */
	apply(m, e);
	ck_assert_uint_eq(model_block_span(m, 0x10010), 48);
	ck_assert_uint_eq(model_block_span(m, 0x20000), 0);
	ck_assert_uint_eq(model_block_span(m, 0x10020), 0); /* not a block */
	seek(m, 1);                                      /* before the block */
	ck_assert_uint_eq(model_block_span(m, 0x10010), 48);
	ck_assert_uint_eq(model_cursor(m), model_event_count(m));
	ck_assert_uint_eq(model_freed_span(m), 0);
	teach_free_coalescing(m);
	ck_assert_uint_eq(model_freed_span(m), 48);
	ck_assert_uint_eq(model_block_span(m, 0x10010), 0);
	apply(m, ev(MEV_FREE, 0x20000, 0, 0));
	ck_assert_uint_eq(model_freed_span(m), 0);       /* its header unknown */
	apply(m, ev(MEV_MALLOC, 8, 0, 0x30000));
	ck_assert_uint_eq(model_freed_span(m), 0);       /* not a free */
	model_free(m);
}
END_TEST

/* Teach mode: the break grows by 4 KiB, a 32-byte block (16-byte header)
 * is carved from it; the rest is one free chunk; freeing the block with
 * RING_F_COALESCED leaves one chunk again. */
START_TEST(teach_mode_tracks_headers_and_free_chunks)
{
	struct model_opts o = { .keep_history = true, .teach = true };
	struct model *m = model_new(&o);
	const struct model_block *b;
	size_t n;

	teach_grow_and_carve(m);
	b = model_blocks(m, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(b[0].state, MB_LIVE);
	ck_assert_uint_eq(b[0].hdr, 0x10000);
	ck_assert_uint_eq(b[0].usable, 32);
	ck_assert_int_eq(b[1].state, MB_FREE_CHUNK);
	ck_assert_uint_eq(b[1].addr, 0x10030);
	ck_assert_uint_eq(b[1].size, 0x1000 - 48);
	ck_assert_uint_eq(model_stats(m)->brk - model_stats(m)->brk_start, 0x1000);
	teach_free_coalescing(m);
	b = model_blocks(m, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(b[0].state, MB_FREE_CHUNK);
	ck_assert_uint_eq(b[0].addr, 0x10000);
	ck_assert_uint_eq(b[0].size, 0x1000);
	ck_assert_uint_eq(model_stats(m)->free_chunks, 1);
	ck_assert_uint_eq(model_stats(m)->free_chunk_bytes, 0x1000);
	ck_assert_int_eq(model_block_at(m, 0x10010)->state, MB_FREED);
	seek(m, 2);
	b = model_blocks(m, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(b[1].size, 0x1000 - 48);
	model_free(m);
}
END_TEST

/* no_free_chunks (what `trace` asks for): the same teach events keep the
 * blocks with their headers, the break and the counts, and no chunk. */
START_TEST(teach_mode_without_the_chunk_index_keeps_blocks_and_headers)
{
	struct model_opts o = { .keep_history = false, .teach = true, .no_free_chunks = true };
	struct model *m = model_new(&o);
	const struct model_block *b;
	size_t n;

	teach_grow_and_carve(m);
	b = model_blocks(m, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(b[0].state, MB_LIVE);
	ck_assert_uint_eq(b[0].hdr, 0x10000);
	ck_assert_uint_eq(b[0].usable, 32);
	ck_assert_uint_eq(model_stats(m)->brk - model_stats(m)->brk_start, 0x1000);
	ck_assert_uint_eq(model_stats(m)->live_blocks, 1);
	teach_free_coalescing(m);
	model_blocks(m, &n);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(model_stats(m)->free_chunks, 0);
	ck_assert_uint_eq(model_stats(m)->free_chunk_bytes, 0);
	ck_assert_uint_eq(model_stats(m)->live_blocks, 0);
	ck_assert_int_eq(model_block_at(m, 0x10010)->state, MB_FREED);
	model_free(m);
}
END_TEST

/* The first break seen with a block: the heap from that block up to the
 * break is the allocator's; a coalescing free merges with the top chunk. */
START_TEST(teach_mode_first_break_and_coalescing_with_the_top)
{
	struct model_opts o = { .keep_history = false, .teach = true };
	struct model *m = model_new(&o);
	struct model_event e = ev(MEV_MALLOC, 24, 0, 0x20010);
	const struct model_block *b;
	size_t n;

	e.flags = RING_F_TEACH | RING_F_GREW_HEAP;
	e.block = 0x20000;
	e.block_size = 48;
	e.brk = 0x40000;
	apply(m, e);
	e = ev(MEV_MALLOC, 100, 0, 0x20040);
	e.flags = RING_F_TEACH | RING_F_SPLIT;
	e.block = 0x20030;
	e.block_size = 128;
	e.brk = 0x40000;
	apply(m, e);
	b = model_blocks(m, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(b[2].state, MB_FREE_CHUNK);
	ck_assert_uint_eq(b[2].addr, 0x200b0);
	ck_assert_uint_eq(b[2].size, 0x40000 - 0x200b0);
	e = ev(MEV_FREE, 0x20040, 0, 0);
	e.flags = RING_F_TEACH | RING_F_COALESCED;
	e.brk = 0x40000;
	apply(m, e);
	b = model_blocks(m, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(b[1].addr, 0x20030);
	ck_assert_uint_eq(b[1].size, 0x40000 - 0x20030);
	ck_assert_uint_eq(model_stats(m)->free_chunk_bytes, 0x40000 - 0x20030);
	model_free(m);
}
END_TEST

START_TEST(counters_for_brk_mmap_errors_and_stack)
{
	struct model *m = hist();
	struct model_event e = ev(MEV_MALLOC, 200000, 0, 0x7f0000001010);

	e.flags = RING_F_MMAP;
	e.stack_depth = 312;
	e.brk = 0x555555559000;
	apply(m, e);
	e = ev(MEV_MALLOC, 10, 0, 0x555555559010);
	e.brk = 0x55555557a000;
	e.stack_depth = 900;
	apply(m, e);
	e = ev(MEV_ERROR, RING_FREE, 0x1234, 0);
	e.error = RING_ERR_INVALID_FREE;
	e.stack_depth = 100;
	apply(m, e);
	const struct model_stats *st = model_stats(m);
	ck_assert_uint_eq(st->mmap_bytes, 200000);
	ck_assert_uint_eq(st->brk_start, 0x555555559000);
	ck_assert_uint_eq(st->brk, 0x55555557a000);
	ck_assert_uint_eq(st->errors, 1);
	ck_assert_uint_eq(st->stack_depth, 100);
	ck_assert_uint_eq(st->stack_max, 900);
	apply(m, ev(MEV_FREE, 0x7f0000001010, 0, 0));
	ck_assert_uint_eq(model_stats(m)->mmap_bytes, 0);
	model_free(m);
}
END_TEST

/* The screen shows the stack pointer of the last event that had one: a
 * regions or exit event has none, and "sp 0" there was wrong. */
START_TEST(the_stack_pointer_carries_over_events_without_one_and_seeks)
{
	struct model *m = hist();
	struct model_event e = ev(MEV_MALLOC, 10, 0, 0x555555559010);

	e.sp = 0x7fffffffe570;
	apply(m, e);
	ck_assert_uint_eq(model_stats(m)->sp, 0x7fffffffe570);
	apply(m, ev(MEV_REGIONS, 0, 0, 0)); /* no sp */
	ck_assert_uint_eq(model_stats(m)->sp, 0x7fffffffe570);
	e = ev(MEV_FREE, 0x555555559010, 0, 0);
	e.sp = 0x7fffffffe400;
	apply(m, e);
	ck_assert_uint_eq(model_stats(m)->sp, 0x7fffffffe400);
	seek(m, 2);
	ck_assert_uint_eq(model_stats(m)->sp, 0x7fffffffe570);
	seek(m, 0);
	ck_assert_uint_eq(model_stats(m)->sp, 0);
	seek(m, 3);
	ck_assert_uint_eq(model_stats(m)->sp, 0x7fffffffe400);
	model_free(m);
}
END_TEST

START_TEST(regions_snapshots_and_lookup)
{
	struct model *m = hist();
	struct model_region r[3] = {
		{ .start = 0x7ffffffde000, .end = 0x7ffffffff000, .kind = MR_STACK, .name = "[stack]" },
		{ .start = 0x555555554000, .end = 0x555555555000, .kind = MR_TEXT, .name = "prog" },
		{ .start = 0x555555559000, .end = 0x55555557a000, .kind = MR_HEAP, .name = "[heap]" },
	};
	struct model_event e = ev(MEV_REGIONS, 0, 0, 0);
	size_t n;

	ck_assert_ptr_null(model_region_at(m, 0x555555554100));
	e.aux = model_regions_add(m, r, 2);
	apply(m, e);
	e.aux = model_regions_add(m, r, 3);
	apply(m, e);
	const struct model_region *all = model_regions(m, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(all[0].kind, MR_TEXT);  /* sorted by start */
	ck_assert_uint_eq(model_region_at(m, 0x555555560000)->kind, MR_HEAP);
	ck_assert_uint_eq(model_region_at(m, 0x555555554000)->kind, MR_TEXT);
	ck_assert_ptr_null(model_region_at(m, 0x555555555000));
	seek(m, 1);
	ck_assert_ptr_null(model_region_at(m, 0x555555560000));
	ck_assert_str_eq(model_region_kind_name(MR_THREAD_STACK), "thread-stack");
	model_free(m);
}
END_TEST

START_TEST(sites_are_interned_and_leaks_grouped_by_site)
{
	struct model *m = hist();
	char func[] = "push";
	struct model_site a = { .addr = 0x401100, .func = func, .func_off = 0x1c, .file = "list.c", .line = 17 };
	struct model_site b = { .addr = 0x401200, .func = "main", .object = NULL };
	uint32_t sa = model_site_intern(m, &a), sb = model_site_intern(m, &b);
	struct model_leak *lk;
	size_t n;

	func[0] = 'X'; /* the model keeps its own copy */
	ck_assert_uint_ne(sa, 0);
	ck_assert_uint_ne(sa, sb);
	a.func = "push";
	ck_assert_uint_eq(model_site_intern(m, &a), sa);
	ck_assert_str_eq(model_site(m, sa)->func, "push");
	ck_assert_str_eq(model_site(m, sa)->file, "list.c");
	ck_assert_int_eq(model_site(m, sa)->line, 17);
	ck_assert_ptr_null(model_site(m, 0)->func);
	ck_assert_uint_eq(model_site_count(m), 3);
	for (int i = 0; i < 3; i++) {
		struct model_event e = ev(MEV_MALLOC, 10, 0, 0x1000 + 0x100 * (uint64_t)i);
		e.site = sa;
		apply(m, e);
	}
	struct model_event e = ev(MEV_MALLOC, 100, 0, 0x9000);
	e.site = sb;
	apply(m, e);
	apply(m, ev(MEV_FREE, 0x1100, 0, 0));
	n = model_leaks(m, &lk);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(lk[0].site, sb);
	ck_assert_uint_eq(lk[0].bytes, 100);
	ck_assert_uint_eq(lk[1].site, sa);
	ck_assert_uint_eq(lk[1].blocks, 2);
	ck_assert_uint_eq(lk[1].bytes, 20);
	free(lk);
	model_free(m);
}
END_TEST

START_TEST(exec_drops_blocks_and_exit_and_signal_are_found)
{
	struct model *m = hist();
	struct model_event e;

	apply(m, ev(MEV_MALLOC, 10, 0, 0x1000));
	apply(m, ev(MEV_EXEC, 0, 0, 0));
	ck_assert_uint_eq(model_stats(m)->live_blocks, 0);
	ck_assert_uint_eq(model_stats(m)->deallocations, 0);
	e = ev(MEV_SIGNAL, 0, 0, 0);
	e.error = 11;
	e.aux = 0x10;
	apply(m, e);
	e = ev(MEV_EXIT, 0, 0, 139);
	e.code = 1;
	e.error = 11;
	apply(m, e);
	ck_assert_uint_eq(model_signal_event(m)->aux, 0x10);
	ck_assert_int_eq(model_exit_event(m)->code, 1);
	seek(m, 2);
	ck_assert_ptr_null(model_exit_event(m));
	ck_assert_ptr_null(model_signal_event(m));
	model_free(m);
}
END_TEST

/* A fingerprint of the state: counters and the block list. */
static uint64_t fingerprint(struct model *m)
{
	const struct model_stats *st = model_stats(m);
	uint64_t h = st->heap_in_use * 31 + st->heap_peak * 7 + st->live_blocks * 131 +
		     st->allocations * 3 + st->deallocations * 5 + st->events;
	size_t n;
	const struct model_block *b = model_blocks(m, &n);

	for (size_t i = 0; i < n; i++)
		h = h * 1000003 + b[i].addr * 17 + b[i].size * 13 + b[i].id + b[i].state;
	return h;
}

/* Random history with a bounded live set; the state at every event, seen
 * while applying, must equal the state rebuilt by seeking there in any
 * order. */
START_TEST(seek_rebuilds_the_state_at_any_event_in_both_directions)
{
	enum { N = 20000, LIVE = 300 };
	struct model *m = hist();
	uint64_t *fp = malloc((N + 1) * sizeof(*fp));
	uint64_t addrs[LIVE] = { 0 };
	uint64_t next = 0x100000;
	unsigned r = 12345;

	fp[0] = fingerprint(m);
	for (int i = 0; i < N; i++) {
		unsigned k;
		r = r * 1103515245 + 12345;
		k = (r >> 8) % LIVE;
		if (!addrs[k]) {
			addrs[k] = next;
			next += 0x100;
			apply(m, ev(MEV_MALLOC, (r >> 4) % 200, 0, addrs[k]));
		} else if ((r >> 20) % 3 == 0) {
			uint64_t na = (r >> 22) % 2 ? addrs[k] : (next += 0x100);
			apply(m, ev(MEV_REALLOC, addrs[k], (r >> 3) % 300, na));
			addrs[k] = na;
		} else {
			apply(m, ev(MEV_FREE, addrs[k], 0, 0));
			addrs[k] = 0;
		}
		if (i % 97 == 0)
			fp[i + 1] = fingerprint(m);
		else
			fp[i + 1] = 0;
	}
	for (int t = 0; t < 400; t++) {
		size_t k;
		r = r * 1103515245 + 12345;
		k = (r >> 4) % (N + 1);
		while (k > 0 && !fp[k] && k != (size_t)N)
			k--;
		if (k == 0)
			continue;
		seek(m, k);
		if (model_cursor(m) != k || (fp[k] && fingerprint(m) != fp[k]))
			ck_abort_msg("state at event %zu differs", k);
	}
	seek(m, 0);
	ck_assert_uint_eq(model_stats(m)->live_blocks, 0);
	ck_assert_ptr_null(model_block_by_id(m, 1));
	/* applying while the cursor is back in time appends at the end */
	apply(m, ev(MEV_FREE, 0, 0, 0));
	ck_assert_uint_eq(model_cursor(m), N + 1);
	ck_assert_uint_eq(model_event_count(m), N + 1);
	free(fp);
	model_free(m);
}
END_TEST

/* Found by fuzz_trace: a history whose events never touched a block. */
START_TEST(seek_through_a_history_without_blocks)
{
	struct model *m = hist();
	struct model_event e = ev(MEV_ERROR, RING_FREE, 0x10, 0);

	e.error = RING_ERR_INVALID_FREE;
	apply(m, e);
	apply(m, ev(MEV_FREE, 0, 0, 0));
	seek(m, 0);
	ck_assert_uint_eq(model_stats(m)->errors, 0);
	seek(m, 2);
	ck_assert_uint_eq(model_stats(m)->errors, 1);
	ck_assert_uint_eq(model_stats(m)->free_null, 1);
	model_free(m);
}
END_TEST

START_TEST(seek_past_the_end_fails_cleanly)
{
	struct model *m = hist();
	struct err e = { 0 };

	apply(m, ev(MEV_MALLOC, 1, 0, 0x10));
	ck_assert_int_eq(model_seek(m, 5, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "past the end"));
	ck_assert_ptr_null(model_event(m, 1));
	ck_assert_uint_eq(model_event(m, 0)->args[0], 1);
	model_free(m);
}
END_TEST

/* Without history 10 million events with a bounded live set keep the
 * model's memory bounded, and a freed block is still found. */
START_TEST(without_history_memory_stays_bounded)
{
	struct model_opts o = { .keep_history = false };
	struct model *m = model_new(&o);
	struct err e = { 0 };
	size_t live, hist_b, live_mid = 0;
	int rc = 0;

	for (uint64_t i = 0; i < 10000000; i++) {
		uint64_t a = 0x100000 + (i / 2 % 1000) * 64;
		struct model_event x = ev(i % 2 ? MEV_FREE : MEV_MALLOC, i % 2 ? a : 24, 0, i % 2 ? 0 : a);
		x.site = 0;
		rc |= model_apply(m, &x, &e);
		if (i == 1000000)
			model_mem(m, &live_mid, &hist_b);
	}
	model_mem(m, &live, &hist_b);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(live, live_mid);
	ck_assert_uint_lt(hist_b, 1 << 20);
	ck_assert_uint_eq(model_stats(m)->allocations, 5000000);
	ck_assert_uint_eq(model_event_count(m), 10000000);
	ck_assert_int_eq(model_seek(m, 3, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "no history"));
	ck_assert_int_eq(model_block_at(m, 0x100000 + 999 * 64)->state, MB_FREED);
	ck_assert_uint_eq(model_event(m, 9999999)->type, MEV_FREE);
	ck_assert_ptr_null(model_event(m, 0));
	model_free(m);
}
END_TEST

/* The budget: at most 64 bytes per live block (without history,
 * where nothing else is kept; with history the block records count as
 * history and the rest is small). */
START_TEST(at_most_64_bytes_per_live_block)
{
	for (int h = 0; h < 2; h++) {
		struct model_opts o = { .keep_history = h };
		struct model *m = model_new(&o);
		struct err e = { 0 };
		uint64_t s = 99, *addr = calloc(30000, sizeof(*addr)), next = 0x10000;
		size_t live, hb;
		int rc = 0;

		for (int i = 0; i < 300000; i++) {
			struct model_event x = { .tid = 1 };
			size_t k;
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			k = (s >> 33) % 30000;
			if (addr[k]) {
				x.type = MEV_FREE;
				x.args[0] = addr[k];
				addr[k] = 0;
			} else {
				x.type = MEV_MALLOC;
				x.args[0] = 32;
				x.result = addr[k] = (next += 48);
			}
			rc |= model_apply(m, &x, &e);
		}
		ck_assert_int_eq(rc, 0);
		model_mem(m, &live, &hb);
		ck_assert_uint_gt(model_stats(m)->live_blocks, 10000);
		ck_assert_msg(live <= 64 * model_stats(m)->live_blocks, "%s history: %.1f bytes per live block",
			      h ? "with" : "without", (double)live / (double)model_stats(m)->live_blocks);
		free(addr);
		model_free(m);
	}
}
END_TEST

START_TEST(block_before_finds_the_block_an_overrun_left)
{
	struct model *m = hist();
	const struct model_block *b;

	apply(m, ev(MEV_MALLOC, 16, 0, 0x1000));
	apply(m, ev(MEV_MALLOC, 16, 0, 0x2000));
	ck_assert_ptr_null(model_block_at(m, 0x1010));
	b = model_block_before(m, 0x1014);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(b->id, 1);
	ck_assert_ptr_null(model_block_before(m, 0xfff));
	model_free(m);
}
END_TEST

/* A teach-like heap simulated here: first fit over its own list of free
 * intervals, the break grown 64 KiB at a time, every free coalescing.  The
 * model's free chunks must be exactly the gaps between live blocks below
 * the break, after every event, with and without history. */
#define RH_MAX 4096
struct rheap {
	uint64_t fa[RH_MAX], fb[RH_MAX]; /* free intervals, sorted, disjoint */
	size_t nf;
	uint64_t brk;
};

static void rh_insert(struct rheap *h, uint64_t a, uint64_t b)
{
	size_t i = 0;

	while (i < h->nf && h->fa[i] < a)
		i++;
	memmove(h->fa + i + 1, h->fa + i, (h->nf - i) * sizeof(uint64_t));
	memmove(h->fb + i + 1, h->fb + i, (h->nf - i) * sizeof(uint64_t));
	h->fa[i] = a;
	h->fb[i] = b;
	h->nf++;
	if (i + 1 < h->nf && h->fb[i] == h->fa[i + 1]) { /* merge right */
		h->fb[i] = h->fb[i + 1];
		memmove(h->fa + i + 1, h->fa + i + 2, (h->nf - i - 2) * sizeof(uint64_t));
		memmove(h->fb + i + 1, h->fb + i + 2, (h->nf - i - 2) * sizeof(uint64_t));
		h->nf--;
	}
	if (i > 0 && h->fb[i - 1] == h->fa[i]) { /* merge left */
		h->fb[i - 1] = h->fb[i];
		memmove(h->fa + i, h->fa + i + 1, (h->nf - i - 1) * sizeof(uint64_t));
		memmove(h->fb + i, h->fb + i + 1, (h->nf - i - 1) * sizeof(uint64_t));
		h->nf--;
	}
}

static void rh_check(struct model *m, const struct rheap *h, int step)
{
	size_t n = 0, k = 0;
	const struct model_block *b = model_blocks(m, &n);
	uint64_t last = 0;

	for (size_t i = 0; i < n; i++) {
		if (b[i].state != MB_FREE_CHUNK)
			continue;
		if (k >= h->nf || b[i].addr != h->fa[k] || b[i].addr + b[i].size != h->fb[k] ||
		    b[i].addr < last)
			ck_abort_msg("step %d: model chunk %zu [%#llx, %#llx) against [%#llx, %#llx) of %zu",
				     step, k, (unsigned long long)b[i].addr,
				     (unsigned long long)(b[i].addr + b[i].size),
				     (unsigned long long)(k < h->nf ? h->fa[k] : 0),
				     (unsigned long long)(k < h->nf ? h->fb[k] : 0), h->nf);
		last = b[i].addr;
		k++;
	}
	if (k != h->nf)
		ck_abort_msg("step %d: %zu chunks in the model, %zu in the heap", step, k, h->nf);
}

START_TEST(free_chunks_are_the_gaps_between_live_blocks_through_a_random_run)
{
	for (int with_hist = 0; with_hist < 2; with_hist++) {
		struct model_opts o = { .keep_history = with_hist != 0 };
		struct model *m = model_new(&o);
		static struct rheap h;
		static uint64_t live[2000], lsize[2000];
		size_t nlive = 0;
		uint64_t rng = 0x12345678u + (uint64_t)with_hist;

		memset(&h, 0, sizeof(h));
		h.brk = 0x100000;
		for (int step = 0; step < 20000; step++) {
			struct model_event e;
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			if (nlive == 2000 || (nlive && rng % 5 < 2)) { /* free a random block */
				size_t i = (size_t)(rng >> 8) % nlive;
				e = ev(MEV_FREE, live[i] + 16, 0, 0);
				e.flags = RING_F_TEACH | RING_F_COALESCED;
				e.old_block = live[i];
				e.brk = h.brk;
				apply(m, e);
				rh_insert(&h, live[i], live[i] + lsize[i]);
				live[i] = live[--nlive];
				lsize[i] = lsize[nlive];
			} else { /* first fit; grow the break when nothing fits */
				uint64_t sz = 32 + 16 * ((rng >> 16) % 256), at = 0;
				size_t j;
				for (j = 0; j < h.nf && h.fb[j] - h.fa[j] < sz; j++)
					;
				if (j == h.nf) {
					uint64_t top = h.nf && h.fb[h.nf - 1] == h.brk ? h.fa[h.nf - 1] : h.brk;
					uint64_t nb = h.brk + 0x10000 * ((top + sz - h.brk + 0xffff) / 0x10000);
					rh_insert(&h, h.brk, nb);
					h.brk = nb;
					for (j = 0; h.fb[j] - h.fa[j] < sz; j++)
						;
				}
				at = h.fa[j];
				if (h.fb[j] - at == sz) {
					memmove(h.fa + j, h.fa + j + 1, (h.nf - j - 1) * sizeof(uint64_t));
					memmove(h.fb + j, h.fb + j + 1, (h.nf - j - 1) * sizeof(uint64_t));
					h.nf--;
				} else {
					h.fa[j] += sz;
				}
				e = ev(MEV_MALLOC, sz - 16, 0, at + 16);
				e.flags = RING_F_TEACH;
				e.block = at;
				e.block_size = sz;
				e.brk = h.brk;
				apply(m, e);
				live[nlive] = at;
				lsize[nlive++] = sz;
			}
			if (step % 97 == 0 || step > 19900)
				rh_check(m, &h, step);
		}
		ck_assert_uint_gt(h.nf, 10);
		model_free(m);
	}
}
END_TEST

/* The model's free-chunk rules (model.h) on a plain sorted list: the
 * reference the model's hash-and-treap index must agree with. */
#define RF_MAX 8192
struct rfree {
	uint64_t a[RF_MAX], b[RF_MAX];
	size_t n;
};

static void rf_sub(struct rfree *f, uint64_t a, uint64_t b)
{
	static uint64_t na[RF_MAX], nb[RF_MAX];
	size_t n = 0;

	for (size_t i = 0; i < f->n && a < b; i++) {
		if (f->b[i] <= a || f->a[i] >= b) {
			na[n] = f->a[i], nb[n++] = f->b[i];
			continue;
		}
		if (f->a[i] < a)
			na[n] = f->a[i], nb[n++] = a;
		if (f->b[i] > b)
			na[n] = b, nb[n++] = f->b[i];
	}
	memcpy(f->a, na, n * sizeof(*na));
	memcpy(f->b, nb, n * sizeof(*nb));
	f->n = n;
}

static void rf_add(struct rfree *f, uint64_t a, uint64_t b, bool merge)
{
	size_t i = 0;

	if (a >= b)
		return;
	rf_sub(f, a, b);
	while (i < f->n && f->a[i] < a)
		i++;
	if (merge && i < f->n && f->a[i] == b) { /* take the next one in */
		b = f->b[i];
		memmove(f->a + i, f->a + i + 1, (f->n - i - 1) * sizeof(uint64_t));
		memmove(f->b + i, f->b + i + 1, (f->n - i - 1) * sizeof(uint64_t));
		f->n--;
	}
	if (merge && i > 0 && f->b[i - 1] == a) {
		f->b[i - 1] = b;
		return;
	}
	memmove(f->a + i + 1, f->a + i, (f->n - i) * sizeof(uint64_t));
	memmove(f->b + i + 1, f->b + i, (f->n - i) * sizeof(uint64_t));
	f->a[i] = a;
	f->b[i] = b;
	f->n++;
}

/* The break after an event (the model's brk_moves). */
static void rf_brk(struct rfree *f, uint64_t *ebrk, uint64_t block, uint64_t brk)
{
	if (!*ebrk && block && block < brk)
		rf_add(f, block, brk, true);
	else if (*ebrk && brk > *ebrk)
		rf_add(f, *ebrk, brk, true);
	else if (*ebrk && brk < *ebrk)
		rf_sub(f, brk, *ebrk);
	*ebrk = brk;
}

static void rf_check(struct model *m, const struct rfree *f, int step)
{
	size_t n = 0, k = 0;
	const struct model_block *b = model_blocks(m, &n);
	uint64_t bytes = 0;

	for (size_t i = 0; i < n; i++) {
		if (b[i].state != MB_FREE_CHUNK)
			continue;
		if (k >= f->n || b[i].addr != f->a[k] || b[i].addr + b[i].size != f->b[k])
			ck_abort_msg("step %d: model chunk %zu [%#llx, %#llx), reference [%#llx, %#llx) of %zu",
				     step, k, (unsigned long long)b[i].addr,
				     (unsigned long long)(b[i].addr + b[i].size),
				     (unsigned long long)(k < f->n ? f->a[k] : 0),
				     (unsigned long long)(k < f->n ? f->b[k] : 0), f->n);
		bytes += b[i].size;
		k++;
	}
	if (k != f->n || model_stats(m)->free_chunks != k || model_stats(m)->free_chunk_bytes != bytes)
		ck_abort_msg("step %d: %zu chunks in the model (stats %llu), %zu in the reference", step, k,
			     (unsigned long long)model_stats(m)->free_chunks, f->n);
}

/* Random teach events, mostly what an allocator does (blocks carved at a
 * chunk's start, end or inside it, reallocs growing and shrinking in
 * place, coalescing and plain frees, the break growing), with phases
 * without any carve inside a chunk (so the model drops its ordered index
 * and must build it again) and now and then nonsense (a block over a live
 * one, the break going down, an exec): after every event the model's
 * free chunks are those of the reference. */
START_TEST(free_chunk_index_agrees_with_a_plain_list_through_random_teach_events)
{
	for (int with_hist = 0; with_hist < 2; with_hist++) {
		struct model_opts o = { .keep_history = with_hist != 0, .teach = true };
		struct model *m = model_new(&o);
		static struct rfree f;
		static uint64_t lh[1500], le[1500]; /* live blocks: header, end */
		size_t nl = 0;
		uint64_t rng = 0x9e3779b97f4a7c15ULL + (uint64_t)with_hist, brk = 0, ebrk = 0;

		memset(&f, 0, sizeof(f));
		for (int step = 0; step < 44000; step++) {
			struct model_event e = { .tid = 1, .flags = RING_F_TEACH };
			bool inside_ok = step < 12000 || step >= 30000, nonsense_ok = step >= 32000;
			unsigned r;
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			r = (unsigned)(rng % 1000);
			if (step == 8999 || step == 39999) { /* an exec: everything goes */
				e.type = MEV_EXEC;
				apply(m, e);
				f.n = nl = 0;
				ebrk = brk = 0;
				rf_check(m, &f, step);
				continue;
			}
			if (!brk)
				brk = 0x100000 + 0x10000 * (rng >> 40 & 7);
			if (nl && (nl == 1500 || r < 380)) { /* free a live block */
				size_t i = (size_t)(rng >> 20) % nl;
				e.type = MEV_FREE;
				e.args[0] = lh[i] + 16;
				e.old_block = lh[i];
				bool co = r % 10 < (inside_ok ? 7 : 10);
				if (co)
					e.flags |= RING_F_COALESCED;
				e.brk = brk;
				apply(m, e);
				rf_add(&f, lh[i], le[i], co);
				rf_brk(&f, &ebrk, 0, brk);
				lh[i] = lh[--nl];
				le[i] = le[nl];
			} else if (nl && r < 520) { /* realloc in place: grow into a chunk or shrink */
				size_t i = (size_t)(rng >> 20) % nl, j;
				uint64_t end = le[i];
				for (j = 0; j < f.n && f.a[j] != le[i]; j++)
					;
				if (j < f.n && (rng >> 50) % 2)
					end += 16 * (1 + (rng >> 30) % ((f.b[j] - f.a[j]) / 16));
				else if (le[i] - lh[i] > 32)
					end -= 16 * ((rng >> 30) % ((le[i] - lh[i] - 16) / 16));
				e.type = MEV_REALLOC;
				e.args[0] = e.result = lh[i] + 16;
				e.args[1] = end - lh[i] - 16;
				e.block = lh[i];
				e.block_size = end - lh[i];
				e.brk = brk;
				apply(m, e);
				rf_add(&f, lh[i], le[i], false);
				rf_brk(&f, &ebrk, lh[i], brk);
				rf_sub(&f, lh[i], end);
				le[i] = end;
			} else if (r < 990 || nl == 0 || !nonsense_ok) { /* carve a new block */
				uint64_t sz = 32 + 16 * ((rng >> 16) % 64), at;
				size_t j = f.n ? (size_t)(rng >> 24) % f.n : 0;
				if (!f.n || f.b[j] - f.a[j] < sz || r % 10 == 0) { /* grow the break */
					uint64_t top = f.n && f.b[f.n - 1] == brk ? f.a[f.n - 1] : brk;
					brk = (top + sz > brk ? top + sz : brk) + 0x1000 * ((rng >> 33) % 4);
					at = top;
				} else if (r % 10 == 1 && f.b[j] - f.a[j] > sz) {
					at = f.b[j] - sz; /* at the chunk's end */
				} else if (r % 10 == 2 && inside_ok && f.b[j] - f.a[j] >= sz + 32) {
					at = f.a[j] + 16 * (1 + (rng >> 40) % ((f.b[j] - f.a[j] - sz) / 16));
				} else {
					at = f.a[j];
				}
				e.type = MEV_MALLOC;
				e.args[0] = sz - 16;
				e.result = at + 16;
				e.block = at;
				e.block_size = sz;
				e.brk = brk;
				apply(m, e);
				rf_brk(&f, &ebrk, at, brk);
				rf_sub(&f, at, at + sz);
				lh[nl] = at;
				le[nl++] = at + sz;
			} else { /* nonsense: a block over a live one, or the break down */
				size_t i = (size_t)(rng >> 20) % nl;
				if (r % 2) {
					e.type = MEV_MALLOC;
					e.args[0] = 48;
					e.result = lh[i] + 32;
					e.block = lh[i] + 16;
					e.block_size = 64;
					e.brk = brk;
					apply(m, e);
					rf_brk(&f, &ebrk, lh[i] + 16, brk);
					rf_sub(&f, lh[i] + 16, lh[i] + 80);
					for (size_t j = 0; j < nl; j++)
						if (lh[j] == lh[i] + 16) { /* the model ends it unfreed */
							lh[j] = lh[--nl];
							le[j] = le[nl];
							break;
						}
					lh[nl] = e.block;
					le[nl++] = e.block + 64;
				} else if (brk - 0x100 > lh[i]) {
					e.type = MEV_FREE; /* free(NULL) with the break lower */
					brk -= 0x100;
					e.brk = brk;
					apply(m, e);
					rf_brk(&f, &ebrk, 0, brk);
				}
			}
			rf_check(m, &f, step);
		}
		model_free(m);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("model");
	TCase *t = tcase_create("model");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, event_names_round_trip);
	tcase_add_test(t, free_chunks_are_the_gaps_between_live_blocks_through_a_random_run);
	tcase_add_test(t, free_chunk_index_agrees_with_a_plain_list_through_random_teach_events);
	tcase_add_test(t, malloc_and_free_make_blocks_in_allocation_order);
	tcase_add_test(t, free_null_counts_as_a_free_call_and_in_free_null);
	tcase_add_test(t, allocation_at_a_live_address_ends_the_old_block);
	tcase_add_test(t, realloc_moving_makes_a_new_block_in_place_keeps_it);
	tcase_add_test(t, aligned_calls_use_the_size_argument);
	tcase_add_test(t, teach_mode_tracks_headers_and_free_chunks);
	tcase_add_test(t, teach_mode_without_the_chunk_index_keeps_blocks_and_headers);
	tcase_add_test(t, teach_mode_first_break_and_coalescing_with_the_top);
	tcase_add_test(t, counters_for_brk_mmap_errors_and_stack);
	tcase_add_test(t, the_stack_pointer_carries_over_events_without_one_and_seeks);
	tcase_add_test(t, regions_snapshots_and_lookup);
	tcase_add_test(t, sites_are_interned_and_leaks_grouped_by_site);
	tcase_add_test(t, exec_drops_blocks_and_exit_and_signal_are_found);
	tcase_add_test(t, seek_rebuilds_the_state_at_any_event_in_both_directions);
	tcase_add_test(t, seek_past_the_end_fails_cleanly);
	tcase_add_test(t, seek_through_a_history_without_blocks);
	tcase_add_test(t, without_history_memory_stays_bounded);
	tcase_add_test(t, block_before_finds_the_block_an_overrun_left);
	tcase_add_test(t, at_most_64_bytes_per_live_block);
	tcase_add_test(t, block_span_is_the_newest_state_and_freed_span_the_last_free);
	suite_add_tcase(s, t);
	return tu_main(s);
}
