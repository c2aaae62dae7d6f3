/* label: what a pointer points to, in pure logic over the model (heap
 * blocks, regions), a decoded stack (dbg_stack) and a static-address lookup
 * (dbg_static_lookup, or any function of the same shape).  No libdw here:
 * the screen and the replay can label pointers with what they hold. */
#ifndef MEMLENS_DBG_LABEL_H
#define MEMLENS_DBG_LABEL_H

#include "dbg/dbg.h"

typedef int (*dbg_static_fn)(void *ctx, uint64_t addr, struct dbg_static *out);

struct dbg_label_ctx {
	/* The model's lookups (dbg_label_use_model sets them); NULL when the
	 * caller has no model.  Function pointers keep label.c free of a link
	 * dependency on the model. */
	const struct model *model;
	const struct model_block *(*block_at)(const struct model *, uint64_t);
	const struct model_region *(*region_at)(const struct model *, uint64_t);
	const struct dbg_stack *stack; /* frames with locals; may be NULL */
	dbg_static_fn lookup;          /* may be NULL */
	void *lookup_ctx;
	dbg_read_fn read;              /* for literal text and "is it mapped"; may be NULL */
	void *read_ctx;
};

/* Points `c` at model `m` (its blocks and its region snapshot). */
static inline void dbg_label_use_model(struct dbg_label_ctx *c, const struct model *m)
{
	c->model = m;
	c->block_at = model_block_at;
	c->region_at = model_region_at;
}

/* Labels pointer value `ptr`, in this order: NULL; a live or freed heap
 * block (#N + offset); a stack frame's variable (or the frame); a
 * .data/.bss/.rodata symbol, a string literal (unnamed .rodata holding
 * text) or code; another region of the snapshot; else, when the memory
 * reader can read it, "other", and "unmapped" when it cannot (or there is
 * no reader). */
void dbg_label_ptr(const struct dbg_label_ctx *c, uint64_t ptr, struct dbg_label *out);

/* Labels every pointer local of every frame of `st` (sets local.label). */
void dbg_label_stack(const struct dbg_label_ctx *c, struct dbg_stack *st);

/* "heap #3+8", "freed #2", "stack: local in main (frame #1)",
 * "literal \"hello\"", "NULL", ... for the text output and the screen. */
void dbg_label_str(const struct dbg_label *l, char *buf, size_t len);

#endif
