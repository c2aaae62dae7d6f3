/* ui_fixture: a model filled with the events of a small linked-list
 * program in teach mode (a PIE with ASLR off: heap at 0x555555559000),
 * for the view and screen tests and the UI benchmark.  Every address is
 * computed the way the teaching allocator lays blocks out: 8-byte header,
 * 16-byte aligned blocks, the break moving up in 132 KiB steps. */
#ifndef MEMLENS_UI_FIXTURE_H
#define MEMLENS_UI_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "ring/ring_format.h"

#define FX_HEAP   UINT64_C(0x555555559000)
#define FX_BRK    UINT64_C(0x55555557a000)
#define FX_STACK  UINT64_C(0x7ffffffde000)
#define FX_STACK_TOP UINT64_C(0x7ffffffff000)
#define FX_HDR    8

static inline uint64_t fx_block_size(uint64_t req)
{
	uint64_t s = (req + FX_HDR + 15) & ~UINT64_C(15);
	return s < 32 ? 32 : s;
}

struct fx {
	struct model *m;
	uint64_t brk;       /* current break */
	uint64_t top;       /* next free byte for a fresh block */
	uint32_t site_main, site_push, site_free;
	uint64_t sp;
	int32_t tid;        /* the thread of the next events; 0: the main one */
};

static inline void fx_apply(struct fx *f, struct model_event *ev)
{
	struct err e = { 0 };
	static uint64_t seq;

	ev->seq = seq++;
	ev->tid = f->tid ? f->tid : 4242;
	if (!ev->sp)
		ev->sp = f->sp;
	ev->stack_depth = FX_STACK_TOP - ev->sp;
	if (model_apply(f->m, ev, &e) != 0)
		abort();
}

/* The start: regions and the first break. */
static inline void fx_start(struct fx *f, struct model *m)
{
	static const struct model_region r[] = {
		{ UINT64_C(0x555555554000), UINT64_C(0x555555555000), MR_RODATA, "r--p", "linked_list" },
		{ UINT64_C(0x555555555000), UINT64_C(0x555555556000), MR_TEXT, "r-xp", "linked_list" },
		{ UINT64_C(0x555555556000), UINT64_C(0x555555557000), MR_RODATA, "r--p", "linked_list" },
		{ UINT64_C(0x555555557000), UINT64_C(0x555555558000), MR_DATA, "rw-p", "linked_list" },
		{ UINT64_C(0x555555558000), UINT64_C(0x555555559000), MR_BSS, "rw-p", "linked_list" },
		{ FX_HEAP, FX_BRK, MR_HEAP, "rw-p", "[heap]" },
		{ UINT64_C(0x7ffff7dd0000), UINT64_C(0x7ffff7f25000), MR_LIB, "r-xp", "libc.so.6" },
		{ FX_STACK, FX_STACK_TOP, MR_STACK, "rw-p", "[stack]" },
	};
	struct model_site s1 = { UINT64_C(0x5555555551c9), "main", 0x40, "linked_list.c", 21, NULL };
	struct model_site s2 = { UINT64_C(0x555555555189), "push", 0x20, "linked_list.c", 12, NULL };
	struct model_site s3 = { UINT64_C(0x5555555551f0), "free_list", 0x30, "linked_list.c", 30, NULL };
	struct model_event ev = { 0 };

	memset(f, 0, sizeof(*f));
	f->m = m;
	f->sp = UINT64_C(0x7fffffffe3a0);
	f->site_main = model_site_intern(m, &s1);
	f->site_push = model_site_intern(m, &s2);
	f->site_free = model_site_intern(m, &s3);
	ev.type = MEV_REGIONS;
	ev.aux = model_regions_add(m, r, sizeof(r) / sizeof(r[0]));
	ev.flags = RING_F_TEACH; /* the break at the start, before the first malloc */
	ev.brk = FX_HEAP;
	f->brk = FX_HEAP;
	f->top = FX_HEAP;
	fx_apply(f, &ev);
}

/* malloc(req) from a fresh part of the heap; returns the pointer. */
static inline uint64_t fx_malloc(struct fx *f, uint64_t req)
{
	struct model_event ev = { 0 };
	uint64_t bs = fx_block_size(req);

	ev.type = MEV_MALLOC;
	ev.flags = RING_F_TEACH;
	ev.args[0] = req;
	ev.site = f->site_push;
	ev.block = f->top;
	ev.block_size = bs;
	ev.result = f->top + FX_HDR;
	while (f->top + bs > f->brk) {
		f->brk += 0x21000;
		ev.flags |= RING_F_GREW_HEAP;
	}
	ev.brk = f->brk;
	f->top += bs;
	fx_apply(f, &ev);
	return ev.result;
}

static inline void fx_free(struct fx *f, uint64_t p, uint64_t req)
{
	struct model_event ev = { 0 };

	ev.type = MEV_FREE;
	ev.flags = RING_F_TEACH;
	ev.args[0] = p;
	ev.site = f->site_free;
	ev.block = p - FX_HDR;
	ev.block_size = fx_block_size(req);
	ev.old_block = p - FX_HDR;
	ev.brk = f->brk;
	fx_apply(f, &ev);
}

static inline void fx_exit(struct fx *f, int status)
{
	struct model_event ev = { 0 };

	ev.type = MEV_EXIT;
	ev.result = (uint64_t)status;
	fx_apply(f, &ev);
}

/* The linked list sample: 5 nodes of 40 bytes pushed, then freed, then
 * exit.  Events: 1 regions + 5 mallocs + 5 frees + 1 exit = 12. */
static inline struct model *fx_linked_list(uint64_t ptrs[5])
{
	struct model_opts o = { .keep_history = true, .teach = true };
	struct model *m = model_new(&o);
	struct fx f;

	fx_start(&f, m);
	for (int i = 0; i < 5; i++)
		ptrs[i] = fx_malloc(&f, 40);
	for (int i = 0; i < 5; i++)
		fx_free(&f, ptrs[i], 40);
	fx_exit(&f, 0);
	return m;
}

/* A program with threads: the main thread (tid 4242) mallocs, two
 * threads (4243, 4244) malloc a block each, the main thread frees the
 * second thread's block.  Events: regions + 3 mallocs + free = 5. */
static inline struct model *fx_threads(uint64_t ptrs[3])
{
	struct model_opts o = { .keep_history = true, .teach = true };
	struct model *m = model_new(&o);
	struct fx f;

	fx_start(&f, m);
	ptrs[0] = fx_malloc(&f, 40);
	f.tid = 4243;
	ptrs[1] = fx_malloc(&f, 64);
	f.tid = 4244;
	ptrs[2] = fx_malloc(&f, 32);
	f.tid = 0;
	fx_free(&f, ptrs[1], 64);
	return m;
}

#endif
