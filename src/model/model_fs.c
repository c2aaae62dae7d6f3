/* model_fs: the teach-mode free chunks at the end state, as a treap keyed
 * by start address (nodes in a pool, indices + 1, 0 = none).  A sorted
 * array cost a memmove of the whole set per change: 4,000 instructions an
 * event on the bench workload; the treap costs O(log n). */
#include <stdlib.h>

#include "model/model_int.h"

#define N(i) (m->fs[(i) - 1])

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

struct fchunk *model_fs_after(struct model *m, uint64_t a)
{
	uint32_t t = m->fs_root, best = 0;

	/* chunks are disjoint and sorted: the first with b > a is the last
	 * starting at or below a if it reaches past a, else the next one */
	while (t) {
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

struct fchunk *model_fs_ending_at(struct model *m, uint64_t a)
{
	uint32_t t = m->fs_root, best = 0;

	while (t) {
		if (N(t).a < a) {
			best = t;
			t = N(t).r;
		} else {
			t = N(t).l;
		}
	}
	return best && N(best).b == a ? &N(best) : NULL;
}

struct fchunk *model_fs_at(struct model *m, uint64_t a)
{
	uint32_t t = m->fs_root;

	while (t && N(t).a != a)
		t = a < N(t).a ? N(t).l : N(t).r;
	return t ? &N(t) : NULL;
}

int model_fs_put(struct model *m, uint64_t a, uint64_t b, uint32_t slot)
{
	uint32_t n, l, r, *at;

	if (m->fs_free) {
		n = m->fs_free;
		m->fs_free = N(n).l;
	} else {
		if (model_grow(&m->fs, &m->capfs, (size_t)m->fs_used + 1, sizeof(*m->fs)) < 0)
			return -1;
		n = ++m->fs_used;
	}
	m->fs_rng ^= m->fs_rng << 13;
	m->fs_rng ^= m->fs_rng >> 17;
	m->fs_rng ^= m->fs_rng << 5;
	if (!m->fs_rng)
		m->fs_rng = 0x9e3779b9u;
	N(n) = (struct fchunk){ .a = a, .b = b, .slot = slot, .pri = m->fs_rng };
	/* down to where n's priority belongs, then split what hangs there */
	at = &m->fs_root;
	while (*at && N(*at).pri >= N(n).pri)
		at = a < N(*at).a ? &N(*at).l : &N(*at).r;
	split(m, *at, a, &l, &r);
	N(n).l = l;
	N(n).r = r;
	*at = n;
	m->nfs++;
	return 0;
}

void model_fs_del(struct model *m, uint64_t a)
{
	uint32_t *at = &m->fs_root, t;

	while (*at && N(*at).a != a)
		at = a < N(*at).a ? &N(*at).l : &N(*at).r;
	if (!(t = *at))
		return;
	*at = merge(m, N(t).l, N(t).r);
	N(t).l = m->fs_free;
	m->fs_free = t;
	m->nfs--;
}

void model_fs_clear(struct model *m)
{
	m->fs_root = m->fs_free = 0;
	m->fs_used = 0;
	m->nfs = 0;
}
