/* check_alloc: the teach allocator's core, linked directly (its names are
 * prefixed, so this runner keeps glibc's malloc): alignment, no overlap and
 * intact contents over a long random run, calloc, realloc, huge requests,
 * every misuse reported without a crash, threads and fork. */
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#include "ring/ring_format.h"
#include "shim/teach.h"

static struct teach_info ti;

/* Check writes to a pipe on every passing ck_assert; hot loops use this,
 * which only reports failures. */
#define REQUIRE(cond, ...) do { if (!(cond)) ck_abort_msg(__VA_ARGS__); } while (0)

static void assert_sound(void)
{
	struct teach_stats st;

	ck_assert_msg(teach_check(&st) == 0, "heap walk found damage");
}

START_TEST(every_entry_point_aligns_to_16_and_to_any_asked_alignment)
{
	for (size_t n = 0; n < 5000; n += 7) {
		void *p = teach_malloc(n, &ti), *q = teach_calloc(1, n, &ti);
		ck_assert_uint_eq((uintptr_t)p % 16, 0);
		ck_assert_uint_eq((uintptr_t)q % 16, 0);
		ck_assert_uint_ge(teach_usable_size(p), n);
		p = teach_realloc(p, n * 3 + 1, &ti);
		ck_assert_uint_eq((uintptr_t)p % 16, 0);
		teach_free(p, &ti);
		teach_free(q, &ti);
	}
	size_t sizes[] = { 0, 1, 100, 5000, 200000 };
	for (size_t a = 1; a <= (1u << 21); a <<= 1)
		for (unsigned i = 0; i < 5; i++) {
			char *p = teach_memalign(a, sizes[i], &ti);
			ck_assert_ptr_nonnull(p);
			ck_assert_msg((uintptr_t)p % a == 0, "align %zu size %zu", a, sizes[i]);
			ck_assert_uint_ge(teach_usable_size(p), sizes[i]);
			memset(p, 0x5a, sizes[i]);
			teach_free(p, &ti);
			ck_assert_uint_eq(ti.error, 0);
		}
	ck_assert_ptr_null(teach_memalign(24, 10, &ti));
	ck_assert_int_eq(errno, EINVAL);
	assert_sound();
}
END_TEST

/* ---- the long random run -------------------------------------------------- */

#define SLOTS 2000
struct slot { unsigned char *p; size_t n; unsigned char fill; };
static struct slot slots[SLOTS];
static uint32_t *shadow;          /* owner slot + 1 of each 16-byte granule */
static uintptr_t shadow_lo;
#define SHADOW_SPAN (UINT64_C(1) << 30)

static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Marks (or clears) the granules of a block and its header; fails on any
 * granule another live block already owns. */
static void shadow_mark(unsigned s, int on)
{
	uintptr_t a = (uintptr_t)slots[s].p - TEACH_HDR, b = (uintptr_t)slots[s].p + slots[s].n;

	if (a < shadow_lo || b >= shadow_lo + SHADOW_SPAN) { /* own mmap: compare with all */
		for (unsigned j = 0; on && j < SLOTS; j++)
			if (j != s && slots[j].p)
				REQUIRE(b <= (uintptr_t)slots[j].p - TEACH_HDR ||
					      a >= (uintptr_t)slots[j].p + slots[j].n, "blocks overlap");
		return;
	}
	for (uintptr_t g = (a - shadow_lo) / 16; g <= (b - 1 - shadow_lo) / 16; g++) {
		if (on)
			REQUIRE(shadow[g] == 0, "block of slot %u overlaps slot %u", s, shadow[g] - 1);
		shadow[g] = on ? s + 1 : 0;
	}
}

static void verify(unsigned s)
{
	for (size_t i = 0; i < slots[s].n; i++)
		if (slots[s].p[i] != (unsigned char)(slots[s].fill + i))
			ck_abort_msg("slot %u byte %zu changed", s, i);
}

static void fill(unsigned s)
{
	for (size_t i = 0; i < slots[s].n; i++)
		slots[s].p[i] = (unsigned char)(slots[s].fill + i);
}

static size_t rnd_size(void)
{
	uint64_t r = rnd() % 1000;

	if (r < 3)
		return 128 * 1024 + rnd() % (200 * 1024);
	if (r < 10)
		return 0;
	return 1 + rnd() % (r < 900 ? 256 : 4096);
}

START_TEST(a_million_random_operations_never_overlap_or_change_contents)
{
	void *probe = teach_malloc(16, &ti);

	shadow_lo = ((uintptr_t)probe & ~(uintptr_t)0xfffff) - (SHADOW_SPAN / 2);
	teach_free(probe, &ti);
	shadow = mmap(NULL, SHADOW_SPAN / 16 * sizeof(uint32_t), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert_ptr_ne(shadow, MAP_FAILED);
	for (long op = 0; op < 1000000; op++) {
		unsigned s = (unsigned)(rnd() % SLOTS);
		uint64_t what = rnd() % 10;
		if (slots[s].p) {
			verify(s);
			shadow_mark(s, 0);
			if (what < 6) {
				teach_free(slots[s].p, &ti);
				REQUIRE(ti.error == 0, "error %u", ti.error);
				slots[s].p = NULL;
				continue;
			}
			size_t n = rnd_size(), keep = n < slots[s].n ? n : slots[s].n;
			unsigned char *q = teach_realloc(slots[s].p, n ? n : 1, &ti);
			REQUIRE(q, "realloc failed");
			slots[s].p = q;
			slots[s].n = keep; /* the kept part must be intact */
			verify(s);
			slots[s].n = n ? n : 1;
		} else {
			size_t n = rnd_size();
			if (what < 6) {
				slots[s].p = teach_malloc(n, &ti);
			} else if (what < 9) {
				slots[s].p = teach_calloc(1, n, &ti);
				REQUIRE(slots[s].p, "allocation failed");
				for (size_t i = 0; i < n; i++)
					REQUIRE(slots[s].p[i] == 0, "calloc left a byte set");
			} else {
				slots[s].p = teach_memalign((size_t)32 << (rnd() % 8), n, &ti);
			}
			REQUIRE(slots[s].p, "allocation failed");
			REQUIRE((uintptr_t)slots[s].p % 16 == 0, "misaligned");
			slots[s].n = n;
		}
		slots[s].fill = (unsigned char)rnd();
		shadow_mark(s, 1);
		fill(s);
		if (op % 100000 == 0) { /* every live block, and the whole heap */
			for (unsigned j = 0; j < SLOTS; j++)
				if (slots[j].p)
					verify(j);
			assert_sound();
		}
	}
	for (unsigned j = 0; j < SLOTS; j++)
		if (slots[j].p) {
			verify(j);
			teach_free(slots[j].p, &ti);
			slots[j].p = NULL;
		}
	assert_sound();
}
END_TEST

START_TEST(calloc_zeroes_reused_memory)
{
	unsigned char *p = teach_malloc(1000, &ti), *q;

	memset(p, 0xab, 1000);
	teach_free(p, &ti);
	q = teach_calloc(10, 100, &ti);
	ck_assert_ptr_eq(q, p); /* first fit hands the same block back */
	for (int i = 0; i < 1000; i++)
		ck_assert_uint_eq(q[i], 0);
	teach_free(q, &ti);
}
END_TEST

START_TEST(calloc_overflow_is_null_with_enomem)
{
	errno = 0;
	ck_assert_ptr_null(teach_calloc(SIZE_MAX / 2, 3, &ti));
	ck_assert_int_eq(errno, ENOMEM);
	errno = 0;
	ck_assert_ptr_null(teach_calloc((size_t)1 << 33, (size_t)1 << 32, &ti));
	ck_assert_int_eq(errno, ENOMEM);
	assert_sound();
}
END_TEST

START_TEST(realloc_keeps_contents_shrinks_and_grows_in_place)
{
	unsigned char *a = teach_malloc(100, &ti), *b = teach_malloc(300, &ti), *c = teach_malloc(16, &ti);

	for (int i = 0; i < 100; i++)
		a[i] = (unsigned char)i;
	teach_free(b, &ti); /* a's right neighbour is free now */
	unsigned char *a2 = teach_realloc(a, 350, &ti);
	ck_assert_ptr_eq(a2, a);
	ck_assert(ti.flags & RING_F_COALESCED);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(a2[i], i);
	unsigned char *a3 = teach_realloc(a2, 40, &ti); /* shrink: same place, tail split off */
	ck_assert_ptr_eq(a3, a);
	ck_assert(ti.flags & RING_F_SPLIT);
	for (int i = 0; i < 40; i++)
		ck_assert_uint_eq(a3[i], i);
	unsigned char *a4 = teach_realloc(a3, 100000, &ti); /* c blocks the way: it moves */
	ck_assert_ptr_nonnull(a4);
	for (int i = 0; i < 40; i++)
		ck_assert_uint_eq(a4[i], i);
	unsigned char *a5 = teach_realloc(a4, 300000, &ti); /* into an mmap of its own */
	ck_assert(ti.flags & RING_F_MMAP);
	for (int i = 0; i < 40; i++)
		ck_assert_uint_eq(a5[i], i);
	a5 = teach_realloc(a5, 64, &ti); /* and back into the heap */
	for (int i = 0; i < 40; i++)
		ck_assert_uint_eq(a5[i], i);
	ck_assert_ptr_eq(teach_realloc(NULL, 10, &ti) != NULL ? a5 : NULL, a5);
	teach_free(a5, &ti);
	teach_free(c, &ti);
	assert_sound();
}
END_TEST

START_TEST(small_requests_come_from_brk_and_large_from_mmap)
{
	void *b0 = sbrk(0);
	void *p = teach_malloc(200 * 1024 - 100, &ti);

	ck_assert(ti.flags & RING_F_MMAP);
	ck_assert_uint_ge(ti.block_size, 200 * 1024 - 100);
	teach_free(p, &ti);
	ck_assert(ti.flags & RING_F_MMAP);
	void *big[40];
	for (int i = 0; i < 40; i++) /* 40 x 100 KiB: the break must move */
		big[i] = teach_malloc(100 * 1024, &ti);
	ck_assert_ptr_ne(sbrk(0), b0);
	ck_assert_uint_eq(ti.brk, (uintptr_t)sbrk(0));
	for (int i = 0; i < 40; i++)
		teach_free(big[i], &ti);
	assert_sound();
	(void)b0;
}
END_TEST

START_TEST(a_program_moving_the_break_itself_does_not_break_the_heap)
{
	void *keep[200];

	for (int i = 0; i < 200; i++) { /* more than the 64 heap segments */
		keep[i] = teach_malloc(70000, &ti); /* exhausts the segment's space */
		ck_assert_ptr_nonnull(keep[i]);
		memset(keep[i], i, 70000);
		ck_assert_ptr_ne(sbrk(4096), (void *)-1); /* the program's own brk use */
	}
	for (int i = 0; i < 200; i++) {
		ck_assert_uint_eq(((unsigned char *)keep[i])[69999], (unsigned char)i);
		teach_free(keep[i], &ti);
		ck_assert_uint_eq(ti.error, 0);
	}
	assert_sound();
}
END_TEST

/* glibc's dynamic mmap threshold (mallopt(3)): a free of a mapping above
 * the threshold, up to 32 MiB, raises the threshold to that mapping's
 * size; a smaller one, a bigger one or a realloc's leaves it. */
START_TEST(the_mmap_threshold_rises_to_a_freed_mapping_as_glibcs_does)
{
	void *a = teach_malloc(600 * 1024, &ti);
	ck_assert(ti.flags & RING_F_MMAP);
	uint64_t len = ti.block_size; /* the mapping: 600 KiB and the headers, in pages */
	ck_assert_uint_gt(len, 600 * 1024);
	void *mid = teach_malloc(200 * 1024, &ti); /* over 128 KiB: a mapping too */
	ck_assert(ti.flags & RING_F_MMAP);
	teach_free(a, &ti);
	void *b = teach_malloc(600 * 1024, &ti); /* under the threshold now: the heap */
	ck_assert_ptr_nonnull(b);
	ck_assert(!(ti.flags & RING_F_MMAP));
	void *c = teach_malloc(len, &ti); /* at it: a mapping */
	ck_assert(ti.flags & RING_F_MMAP);
	teach_free(mid, &ti); /* a smaller mapping: no change */
	void *d = teach_malloc(300 * 1024, &ti);
	ck_assert(!(ti.flags & RING_F_MMAP));
	void *e = teach_malloc(40u << 20, &ti); /* over 32 MiB: freed, no change */
	ck_assert(ti.flags & RING_F_MMAP);
	teach_free(e, &ti);
	void *f = teach_malloc(2u << 20, &ti);
	ck_assert(ti.flags & RING_F_MMAP);
	void *g = teach_realloc(f, 100, &ti); /* a realloc that unmaps: no change */
	ck_assert_ptr_ne(g, f); /* into the heap */
	void *h = teach_malloc(1u << 20, &ti);
	ck_assert(ti.flags & RING_F_MMAP);
	teach_free(b, &ti);
	teach_free(c, &ti);
	teach_free(d, &ti);
	teach_free(g, &ti);
	teach_free(h, &ti);
	assert_sound();
}
END_TEST

START_TEST(malloc_zero_and_free_null_behave_as_glibc)
{
	void *a = teach_malloc(0, &ti), *b = teach_malloc(0, &ti);

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_ne(a, b); /* distinct, freeable pointers */
	teach_free(a, &ti);
	teach_free(b, &ti);
	teach_free(NULL, &ti);
	ck_assert_uint_eq(ti.error, 0);
	assert_sound();
}
END_TEST

START_TEST(huge_requests_fail_with_enomem_and_leave_the_heap_sound)
{
	size_t huge[] = { (size_t)10 << 30, SIZE_MAX, SIZE_MAX - 15, (size_t)1 << 46 };
	void *keep = teach_malloc(100, &ti);

	for (unsigned i = 0; i < 4; i++) {
		errno = 0;
		ck_assert_ptr_null(teach_malloc(huge[i], &ti));
		ck_assert_int_eq(errno, ENOMEM);
		errno = 0;
		ck_assert_ptr_null(teach_memalign(64, huge[i], &ti));
		ck_assert_int_eq(errno, ENOMEM);
		errno = 0;
		ck_assert_ptr_null(teach_realloc(keep, huge[i], &ti));
		ck_assert_int_eq(errno, ENOMEM);
	}
	ck_assert_uint_ge(teach_usable_size(keep), 100); /* untouched */
	teach_free(keep, &ti);
	ck_assert_uint_eq(ti.error, 0);
	assert_sound();
}
END_TEST

static int a_global[64] __attribute__((aligned(16)));

START_TEST(each_misuse_is_reported_and_ignored)
{
	char *p = teach_malloc(64, &ti), *guard = teach_malloc(64, &ti);
	char on_stack[64] __attribute__((aligned(16)));

	teach_free(p, &ti);
	ck_assert_uint_eq(ti.error, 0);
	teach_free(p, &ti);
	ck_assert_uint_eq(ti.error, RING_ERR_DOUBLE_FREE);
	ck_assert(ti.ignored);
	ck_assert_ptr_null(teach_realloc(p, 10, &ti));
	ck_assert_uint_eq(ti.error, RING_ERR_REALLOC_FREED);

	char *q = teach_malloc(200, &ti);
	teach_free(q + 32, &ti); /* an interior pointer */
	ck_assert_uint_eq(ti.error, RING_ERR_INVALID_FREE);
	teach_free(q + 3, &ti);
	ck_assert_uint_eq(ti.error, RING_ERR_INVALID_FREE);
	teach_free(on_stack + 16, &ti);
	ck_assert_uint_eq(ti.error, RING_ERR_INVALID_FREE);
	teach_free(a_global + 4, &ti);
	ck_assert_uint_eq(ti.error, RING_ERR_INVALID_FREE);
	assert_sound();

	char *m = teach_malloc(300000, &ti); /* an mmap'd block freed twice */
	teach_free(m, &ti);
	ck_assert_uint_eq(ti.error, 0);
	teach_free(m, &ti);
	ck_assert_uint_eq(ti.error, RING_ERR_DOUBLE_FREE);

	/* An overrun: q's 200 bytes plus 40 more reach the next header. */
	char *r = teach_malloc(200, &ti);
	(void)r;
	memset(q, 'x', 240);
	teach_free(q, &ti);
	ck_assert_uint_eq(ti.error, RING_ERR_CORRUPT_HEADER);
	ck_assert(ti.ignored);
	teach_free(r, &ti);
	ck_assert_uint_eq(ti.error, RING_ERR_CORRUPT_HEADER);
	/* The allocator goes on serving. */
	for (int i = 0; i < 1000; i++) {
		void *x = teach_malloc((size_t)i, &ti);
		ck_assert_ptr_nonnull(x);
		teach_free(x, &ti);
	}
	teach_free(guard, &ti);
	ck_assert_uint_eq(ti.error, 0);
}
END_TEST

START_TEST(writes_after_free_into_the_list_links_do_not_crash)
{
	void *keep[8];
	char *a = teach_malloc(100, &ti), *x = teach_malloc(100, &ti);
	char *b = teach_malloc(100, &ti), *y = teach_malloc(100, &ti);

	(void)x;
	(void)y;
	teach_free(a, &ti);
	teach_free(b, &ti); /* x and y keep them apart: both wait on one list */
	memset(a, 0x41, 16);     /* a's links: garbage pointing outside the heap */
	*(void **)b = (void *)b; /* b's next: itself, a loop */
	for (int i = 0; i < 8; i++) {   /* the allocator goes on, whatever it finds */
		keep[i] = teach_malloc(100, &ti);
		ck_assert_ptr_nonnull(keep[i]);
		memset(keep[i], 0, 100);
	}
	for (int i = 0; i < 8; i++)
		teach_free(keep[i], &ti);
}
END_TEST

/* ---- threads and fork ------------------------------------------------------ */

static void *hammer(void *arg)
{
	uint64_t seed = (uint64_t)(uintptr_t)arg * 7919 + 1;
	unsigned char *mine[256] = { 0 };
	size_t sz[256];
	struct teach_info t;

	for (int i = 0; i < 200000; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		unsigned s = (unsigned)(seed >> 33) % 256;
		if (mine[s]) {
			for (size_t k = 0; k < sz[s]; k++)
				if (mine[s][k] != (unsigned char)(s ^ k))
					return (void *)1;
			teach_free(mine[s], &t);
			if (t.error)
				return (void *)2;
			mine[s] = NULL;
		} else {
			sz[s] = (seed >> 20) % 2048 + (((seed >> 12) % 500) ? 0 : 150000);
			mine[s] = (seed & 1) ? teach_malloc(sz[s], &t) : teach_calloc(1, sz[s], &t);
			if (!mine[s])
				return (void *)3;
			for (size_t k = 0; k < sz[s]; k++)
				mine[s][k] = (unsigned char)(s ^ k);
		}
	}
	for (unsigned s = 0; s < 256; s++)
		teach_free(mine[s], &t);
	return NULL;
}

START_TEST(eight_threads_hammering_at_once)
{
	pthread_t t[8];
	void *r;

	for (uintptr_t i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, hammer, (void *)i);
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], &r);
		ck_assert_ptr_null(r);
	}
	assert_sound();
}
END_TEST

static atomic_int stop_alloc;

static void *alloc_loop(void *arg)
{
	struct teach_info t;
	(void)arg;
	while (!atomic_load(&stop_alloc)) {
		void *p = teach_malloc(rnd() % 3000, &t);
		teach_free(p, &t);
	}
	return NULL;
}

static void *forker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 300; i++) {
		pid_t c = fork();
		if (c == 0) {
			struct teach_info t;
			struct teach_stats st;
			void *p = teach_malloc(100, &t);
			teach_free(p, &t);
			_exit(teach_check(&st) == 0 ? 0 : 1);
		}
		int st = 0;
		if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
			return (void *)1;
	}
	return NULL;
}

START_TEST(three_hundred_forks_from_a_thread_while_others_allocate)
{
	pthread_t a[3], f;
	void *r;

	pthread_atfork(teach_atfork_prepare, teach_atfork_parent, teach_atfork_child);
	for (int i = 0; i < 3; i++)
		pthread_create(&a[i], NULL, alloc_loop, NULL);
	pthread_create(&f, NULL, forker, NULL);
	pthread_join(f, &r);
	atomic_store(&stop_alloc, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(a[i], NULL);
	ck_assert_ptr_null(r); /* every child ran its allocations and exited */
	assert_sound();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("alloc");
	TCase *tc = tcase_create("teach");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_entry_point_aligns_to_16_and_to_any_asked_alignment);
	tcase_add_test(tc, a_million_random_operations_never_overlap_or_change_contents);
	tcase_add_test(tc, calloc_zeroes_reused_memory);
	tcase_add_test(tc, calloc_overflow_is_null_with_enomem);
	tcase_add_test(tc, realloc_keeps_contents_shrinks_and_grows_in_place);
	tcase_add_test(tc, small_requests_come_from_brk_and_large_from_mmap);
	tcase_add_test(tc, the_mmap_threshold_rises_to_a_freed_mapping_as_glibcs_does);
	tcase_add_test(tc, malloc_zero_and_free_null_behave_as_glibc);
	tcase_add_test(tc, a_program_moving_the_break_itself_does_not_break_the_heap);
	tcase_add_test(tc, huge_requests_fail_with_enomem_and_leave_the_heap_sound);
	tcase_add_test(tc, each_misuse_is_reported_and_ignored);
	tcase_add_test(tc, writes_after_free_into_the_list_links_do_not_crash);
	tcase_add_test(tc, eight_threads_hammering_at_once);
	suite_add_tcase(s, tc);
	/* 300 forks while 3 threads allocate: 0.5 s under ASan on an idle
	 * machine, 35 s with 10 busy loops on 2 CPUs.  It always finished
	 * (slowness, not a deadlock), so it gets room of its own rather than
	 * fewer forks; a real deadlock still fails it. */
	TCase *fk = tcase_create("fork");
	tcase_set_timeout(fk, 300);
	tcase_add_test(fk, three_hundred_forks_from_a_thread_while_others_allocate);
	suite_add_tcase(s, fk);
	return tu_main(s);
}
