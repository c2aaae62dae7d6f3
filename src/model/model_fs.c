/* model_fs: the teach-mode free chunks at the end state.  Records live in a
 * pool; two hash tables find the chunk starting at an address and the one
 * ending at one in O(1), which is all a teach event needs while the model
 * can prove the chunks and blocks disjoint (model.c's fs_* functions).
 * Questions that need order (the first chunk past an address) are rare
 * while the model can prove that: the first in a while is answered by a
 * scan of the set; when they come closer together than n changes, a treap
 * keyed by start is built and kept up to date until 2n + 1024 changes go
 * by without one (n: chunks in the set).
 * A treap kept for every change cost about 30% of the tracer's time on the
 * bench workload (a deep walk per lookup); a sorted array cost a memmove
 * of the whole set per change. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"

#define N(i) (m->fs.n[(i) - 1])

/* ---- the hash tables: record + 1 by start (ha) or by end (hb) ------------ */

static uint32_t home(uint64_t key, uint32_t cap)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

static uint64_t key_of(const struct model *m, uint32_t v, bool end)
{
	return end ? N(v).b : N(v).a;
}

static inline uint32_t h_find(const struct model *m, const uint32_t *t, bool end, uint64_t key)
{
	uint32_t cap = m->fs.hcap;

	if (!cap)
		return 0;
	for (uint32_t j = home(key, cap); t[j]; j = (j + 1) & (cap - 1))
		if (key_of(m, t[j], end) == key)
			return t[j];
	return 0;
}

static inline void h_add(struct model *m, uint32_t *t, bool end, uint32_t v)
{
	uint32_t cap = m->fs.hcap, j;

	for (j = home(key_of(m, v, end), cap); t[j]; j = (j + 1) & (cap - 1))
		;
	t[j] = v;
}

/* Removes record v, found by its current key; backward-shift deletion. */
static inline void h_remove(struct model *m, uint32_t *t, bool end, uint32_t v)
{
	uint32_t cap = m->fs.hcap, mask = cap - 1, j, k;

	if (!cap)
		return;
	for (j = home(key_of(m, v, end), cap); t[j] && t[j] != v; j = (j + 1) & mask)
		;
	if (!t[j])
		return;
	t[j] = 0;
	for (k = (j + 1) & mask; t[k]; k = (k + 1) & mask) {
		uint32_t h = home(key_of(m, t[k], end), cap);
		/* move t[k] into the hole unless its home lies in (j, k] */
		if (((k - h) & mask) >= ((k - j) & mask)) {
			t[j] = t[k];
			t[k] = 0;
			j = k;
		}
	}
}

/* Room for one more chunk at a load of at most 1/2. */
static int h_reserve(struct model *m)
{
	uint32_t nc, *a, *b;

	if ((m->fs.count + 1) * 2 <= m->fs.hcap)
		return 0;
	nc = m->fs.hcap ? m->fs.hcap * 2 : 64;
	if (nc < m->fs.hcap)
		return -1;
	a = calloc(nc, sizeof(*a));
	b = calloc(nc, sizeof(*b));
	if (!a || !b) {
		free(a);
		free(b);
		return -1;
	}
	for (uint32_t i = 0; i < m->fs.hcap; i++)
		if (m->fs.ha[i]) {
			uint32_t v = m->fs.ha[i], j;
			for (j = home(N(v).a, nc); a[j]; j = (j + 1) & (nc - 1))
				;
			a[j] = v;
			for (j = home(N(v).b, nc); b[j]; j = (j + 1) & (nc - 1))
				;
			b[j] = v;
		}
	free(m->fs.ha);
	free(m->fs.hb);
	m->fs.ha = a;
	m->fs.hb = b;
	m->fs.hcap = nc;
	return 0;
}

/* ---- the treap (by start), only while m->fs.tree ------------------------- */

/* Splits tree t into keys < key (*l) and keys >= key (*r). */
static void split(struct model *m, uint32_t t, uint64_t key, uint32_t *l, uint32_t *r)
{
	while (t) {
		if (N(t).a < key) {
			*l = t;
			l = &N(t).r;
			t = N(t).r;
		} else {
			*r = t;
			r = &N(t).l;
			t = N(t).l;
		}
	}
	*l = *r = 0;
}

/* Joins x and y, every key of x below every key of y. */
static uint32_t merge(struct model *m, uint32_t x, uint32_t y)
{
	uint32_t root = 0, *at = &root;

	while (x && y) {
		if (N(x).pri >= N(y).pri) {
			*at = x;
			at = &N(x).r;
			x = N(x).r;
		} else {
			*at = y;
			at = &N(y).l;
			y = N(y).l;
		}
	}
	*at = x ? x : y;
	return root;
}

static void tree_insert(struct model *m, uint32_t n)
{
	uint32_t *at = &m->fs.root;
	uint64_t a = N(n).a;

	m->fs.rng ^= m->fs.rng << 13;
	m->fs.rng ^= m->fs.rng >> 17;
	m->fs.rng ^= m->fs.rng << 5;
	if (!m->fs.rng)
		m->fs.rng = 0x9e3779b9u;
	N(n).pri = m->fs.rng;
	/* down to where n's priority belongs, then split what hangs there */
	while (*at && N(*at).pri >= N(n).pri)
		at = a < N(*at).a ? &N(*at).l : &N(*at).r;
	split(m, *at, a, &N(n).l, &N(n).r);
	*at = n;
}

static void tree_delete(struct model *m, uint64_t a)
{
	uint32_t *at = &m->fs.root;

	while (*at && N(*at).a != a)
		at = a < N(*at).a ? &N(*at).l : &N(*at).r;
	if (*at)
		*at = merge(m, N(*at).l, N(*at).r);
}

/* Counts a change; order not asked for in a long while: stop paying for
 * the treap. */
static void tree_maybe_drop(struct model *m)
{
	if (m->fs.since < SIZE_MAX)
		m->fs.since++;
	if (m->fs.tree && m->fs.since > 2 * m->fs.count + 1024) {
		m->fs.tree = false;
		m->fs.root = 0;
	}
}

static void tree_build(struct model *m)
{
	m->fs.root = 0;
	for (uint32_t i = 0; i < m->fs.hcap; i++)
		if (m->fs.ha[i])
			tree_insert(m, m->fs.ha[i]);
	m->fs.tree = true;
}

/* ---- the set -------------------------------------------------------------- */

struct fchunk *model_fs_at(struct model *m, uint64_t a)
{
	uint32_t v = h_find(m, m->fs.ha, false, a);

	return v ? &N(v) : NULL;
}

struct fchunk *model_fs_ending_at(struct model *m, uint64_t b)
{
	uint32_t v = h_find(m, m->fs.hb, true, b);

	return v ? &N(v) : NULL;
}

struct fchunk *model_fs_after(struct model *m, uint64_t a)
{
	uint32_t t, best = 0;

	if (!m->fs.count)
		return NULL;
	if (!m->fs.tree && m->fs.since > m->fs.count) {
		/* the first question in a while: a scan costs less than
		 * building the treap (on the bench workload about one in
		 * 18,000 events asks) */
		m->fs.since = 0;
		for (uint32_t i = 0; i < m->fs.hcap; i++) {
			uint32_t v = m->fs.ha[i];
			if (v && N(v).b > a && (!best || N(v).a < N(best).a))
				best = v;
		}
		return best ? &N(best) : NULL;
	}
	if (!m->fs.tree)
		tree_build(m);
	m->fs.since = 0;
	/* chunks are disjoint and sorted: the first with b > a is the last
	 * starting at or below a if it reaches past a, else the next one */
	for (t = m->fs.root; t;) {
		if (N(t).a <= a) {
			if (N(t).b > a)
				return &N(t);
			t = N(t).r;
		} else {
			best = t;
			t = N(t).l;
		}
	}
	return best ? &N(best) : NULL;
}

int model_fs_put(struct model *m, uint64_t a, uint64_t b, uint32_t slot)
{
	uint32_t n;

	if (h_reserve(m) < 0)
		return -1;
	if (m->fs.freel) {
		n = m->fs.freel;
		m->fs.freel = N(n).l;
	} else {
		if (model_grow(&m->fs.n, &m->fs.cap, (size_t)m->fs.used + 1, sizeof(*m->fs.n)) < 0)
			return -1;
		n = ++m->fs.used;
	}
	N(n) = (struct fchunk){ .a = a, .b = b, .slot = slot };
	h_add(m, m->fs.ha, false, n);
	h_add(m, m->fs.hb, true, n);
	if (m->fs.tree)
		tree_insert(m, n);
	m->fs.count++;
	tree_maybe_drop(m);
	return 0;
}

void model_fs_del_chunk(struct model *m, struct fchunk *c)
{
	uint32_t v = (uint32_t)(c - m->fs.n) + 1;

	if (m->fs.tree)
		tree_delete(m, c->a);
	h_remove(m, m->fs.ha, false, v);
	h_remove(m, m->fs.hb, true, v);
	N(v).l = m->fs.freel;
	m->fs.freel = v;
	m->fs.count--;
	tree_maybe_drop(m);
}

void model_fs_set_a(struct model *m, struct fchunk *c, uint64_t v)
{
	uint32_t n = (uint32_t)(c - m->fs.n) + 1;

	h_remove(m, m->fs.ha, false, n);
	c->a = v;
	h_add(m, m->fs.ha, false, n);
}

void model_fs_set_b(struct model *m, struct fchunk *c, uint64_t v)
{
	uint32_t n = (uint32_t)(c - m->fs.n) + 1;

	h_remove(m, m->fs.hb, true, n);
	c->b = v;
	h_add(m, m->fs.hb, true, n);
}

void model_fs_clear(struct model *m)
{
	if (m->fs.hcap) {
		memset(m->fs.ha, 0, m->fs.hcap * sizeof(*m->fs.ha));
		memset(m->fs.hb, 0, m->fs.hcap * sizeof(*m->fs.hb));
	}
	m->fs.used = m->fs.freel = m->fs.root = 0;
	m->fs.count = m->fs.since = 0;
	m->fs.tree = m->fs.dirty = false;
}

void model_fs_free(struct model *m)
{
	free(m->fs.n);
	free(m->fs.ha);
	free(m->fs.hb);
	memset(&m->fs, 0, sizeof(m->fs));
}

size_t model_fs_bytes(const struct model *m)
{
	return m->fs.cap * sizeof(struct fchunk) + (size_t)m->fs.hcap * 2 * sizeof(uint32_t);
}
