/* model_fs: the teach-mode free chunks at the end state: a pool of chunk
 * records indexed by two hash tables (by start, by end) for the exact
 * lookups that most teach events need, and an ordered treap built only
 * when a question needs order (see model_fs.c).  Shared by the model's
 * files only, through model_int.h. */
#ifndef MEMLENS_MODEL_MODEL_FS_H
#define MEMLENS_MODEL_MODEL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fchunk {              /* a free chunk [a, b) and its entity slot */
	uint64_t a, b;
	uint32_t slot;
	uint32_t l, r, pri;      /* treap children (index + 1, 0 none), priority;
	                            l also chains recycled records */
};

struct fsindex {
	struct fchunk *n;        /* record pool (index + 1 everywhere, 0 none) */
	size_t cap;              /* pool capacity */
	uint32_t used, freel;    /* records ever used; recycled chain */
	size_t count;            /* chunks in the set */
	uint32_t *ha, *hb, hcap; /* record + 1 by start / by end; hcap a power of 2 */
	uint32_t root;           /* the treap, valid only while `tree` */
	bool tree;
	bool dirty;              /* the model's fast paths are off (model.c) */
	uint32_t rng;            /* treap priorities */
	size_t since;            /* changes since order was last asked for */
};

struct model;

/* Pointers returned stay valid until the next model_fs_put (the pool may
 * move) or model_fs_del_chunk of that chunk. */
struct fchunk *model_fs_at(struct model *m, uint64_t a);        /* starting at a: O(1) */
struct fchunk *model_fs_ending_at(struct model *m, uint64_t b); /* ending at b: O(1) */
/* The first chunk with b > a (needs order: builds the treap when there is
 * none); NULL when none or out of memory (m->broken set). */
struct fchunk *model_fs_after(struct model *m, uint64_t a);
int model_fs_put(struct model *m, uint64_t a, uint64_t b, uint32_t slot);
void model_fs_del_chunk(struct model *m, struct fchunk *c); /* c from the set */
/* Moves chunk c's start or end to `v` (c stays non-empty).  The caller
 * promises the order of the chunks does not change (the new bounds stay
 * between c's neighbours), so only the hash tables are updated. */
void model_fs_set_a(struct model *m, struct fchunk *c, uint64_t v);
void model_fs_set_b(struct model *m, struct fchunk *c, uint64_t v);
void model_fs_clear(struct model *m);   /* empty, fast paths back on */
void model_fs_free(struct model *m);    /* releases the memory */
size_t model_fs_bytes(const struct model *m); /* memory held */

#endif
