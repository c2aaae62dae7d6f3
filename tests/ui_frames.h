/* ui_frames: synthetic stack frames for the stack and source pane tests,
 * as the live source hands them to the screen: linked_list's main stopped
 * at its fifth malloc (the blocks of ui_fixture.h), with a pointer local
 * of every kind, then two library frames, the outer one without debug
 * information. */
#ifndef MEMLENS_UI_FRAMES_H
#define MEMLENS_UI_FRAMES_H

#include <stdio.h>
#include <string.h>

#include "ui/ui.h"

static inline void fxf_local(struct ui_local *l, const char *name, const char *type,
			     uint64_t ptr, uint8_t kind, uint32_t block, const char *sym)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->type, sizeof(l->type), "%s", type);
	l->available = true;
	l->is_ptr = kind != UI_PT_NONE;
	l->ptr = ptr;
	l->kind = kind;
	l->block = block;
	snprintf(l->sym, sizeof(l->sym), "%s", sym ? sym : "");
	if (l->is_ptr)
		snprintf(l->value, sizeof(l->value), "0x%llx", (unsigned long long)ptr);
	else
		snprintf(l->value, sizeof(l->value), "%llu", (unsigned long long)ptr);
}

/* Fills fr[0..2] (frames) from the fixture's block pointers; returns 3.
 * Locals of main, in order: n (heap #5), i (int 5), head (heap #4 +8),
 * msg (literal), old (freed #1), none (NULL), self (local i in main). */
static inline int fxf_frames(struct ui_frame *fr, const uint64_t ptrs[5], const char *path)
{
	struct ui_local *l = fr[0].locals;

	memset(fr, 0, 3 * sizeof(*fr));
	snprintf(fr[0].func, sizeof(fr[0].func), "main");
	snprintf(fr[0].path, sizeof(fr[0].path), "%s", path);
	fr[0].line = 18;
	fr[0].size = 64;
	fr[0].own = true;
	fxf_local(&l[0], "n", "struct node *", ptrs[4], UI_PT_HEAP, 5, NULL);
	fxf_local(&l[1], "i", "int", 5, UI_PT_NONE, 0, NULL);
	fxf_local(&l[2], "head", "struct node *", ptrs[3] + 8, UI_PT_HEAP, 4, NULL);
	l[2].offset = 8;
	fxf_local(&l[3], "msg", "const char *", UINT64_C(0x555555556004), UI_PT_LITERAL, 0, "hello");
	fxf_local(&l[4], "old", "struct node *", ptrs[0], UI_PT_FREED, 1, NULL);
	fxf_local(&l[5], "none", "struct node *", 0, UI_PT_NULL, 0, NULL);
	fxf_local(&l[6], "self", "int *", UINT64_C(0x7fffffffe3ac), UI_PT_STACK, 0, "i in main (frame #0)");
	fr[0].nlocals = 7;
	snprintf(fr[1].func, sizeof(fr[1].func), "__libc_start_call_main");
	fr[1].size = 160;
	snprintf(fr[2].func, sizeof(fr[2].func), "_start");
	fr[2].size = 8;
	snprintf(fr[2].detail, sizeof(fr[2].detail), "no debug info: locals unavailable");
	return 3;
}

#endif
