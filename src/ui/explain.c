/* explain: events and regions in words a student can follow. */
#include "ui/explain.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ring/ring_format.h"
#include "ui/view.h"
#include "util/fmt.h"

uint64_t explain_requested(const struct model_event *ev)
{
	switch (ev->type) {
	case MEV_MALLOC: case MEV_VALLOC: case MEV_PVALLOC:
		return ev->args[0];
	case MEV_CALLOC:
		return ev->args[0] * ev->args[1];
	case MEV_REALLOC:
		return ev->args[1];
	case MEV_REALLOCARRAY:
		return ev->args[1] * ev->args[2];
	case MEV_POSIX_MEMALIGN: case MEV_ALIGNED_ALLOC: case MEV_MEMALIGN:
		return ev->args[1];
	}
	return 0;
}

static const char *sig_name(int sig)
{
	const char *s = sigabbrev_np(sig);
	static __thread char buf[16];

	if (!s)
		return "a signal";
	snprintf(buf, sizeof(buf), "SIG%s", s);
	return buf;
}

static const char *error_name(uint32_t e)
{
	switch (e) {
	case RING_ERR_DOUBLE_FREE: return "double free";
	case RING_ERR_INVALID_FREE: return "invalid free";
	case RING_ERR_REALLOC_FREED: return "realloc of a freed block";
	case RING_ERR_CORRUPT_HEADER: return "corrupted block header";
	case RING_ERR_OOM: return "out of memory";
	}
	return "allocator error";
}

void explain_event(const struct model_event *ev, char *buf, size_t len)
{
	const char *name = model_ev_name(ev->type);
	const uint64_t *a = ev->args;

	switch (ev->type) {
	case MEV_MALLOC: case MEV_VALLOC: case MEV_PVALLOC:
		snprintf(buf, len, "%s(%" PRIu64 ") = %#" PRIx64, name, a[0], ev->result);
		break;
	case MEV_CALLOC:
		snprintf(buf, len, "calloc(%" PRIu64 ", %" PRIu64 ") = %#" PRIx64, a[0], a[1], ev->result);
		break;
	case MEV_REALLOC:
		snprintf(buf, len, "realloc(%#" PRIx64 ", %" PRIu64 ") = %#" PRIx64, a[0], a[1], ev->result);
		break;
	case MEV_REALLOCARRAY:
		snprintf(buf, len, "reallocarray(%#" PRIx64 ", %" PRIu64 ", %" PRIu64 ") = %#" PRIx64,
			 a[0], a[1], a[2], ev->result);
		break;
	case MEV_FREE:
		snprintf(buf, len, "free(%#" PRIx64 ")", a[0]);
		break;
	case MEV_POSIX_MEMALIGN: case MEV_ALIGNED_ALLOC: case MEV_MEMALIGN:
		snprintf(buf, len, "%s(%" PRIu64 ", %" PRIu64 ") = %#" PRIx64, name, a[0], a[1], ev->result);
		break;
	case MEV_ERROR:
		snprintf(buf, len, "error: %s at %#" PRIx64, error_name(ev->error), ev->aux);
		break;
	case MEV_SIGNAL:
		if (model_signal_has_addr(ev->error))
			snprintf(buf, len, "%s at %#" PRIx64, sig_name((int)ev->error), ev->aux);
		else
			snprintf(buf, len, "%s", sig_name((int)ev->error));
		break;
	case MEV_EXIT:
		if (ev->code)
			snprintf(buf, len, "killed by %s%s", sig_name((int)ev->error),
				 ev->code == 2 ? " from memlens" : "");
		else
			snprintf(buf, len, "exit(%" PRIu64 ")", ev->result);
		break;
	case MEV_REGIONS:
		snprintf(buf, len, "memory map changed");
		break;
	case MEV_CALL:
		snprintf(buf, len, "call (depth %" PRIu64 ")", a[0]);
		break;
	case MEV_RETURN:
		snprintf(buf, len, "return %" PRIu64 " (depth %" PRIu64 ")", ev->result, a[0]);
		break;
	default:
		snprintf(buf, len, "%s", name ? name : "event");
	}
}

void explain_site(const struct model *m, uint32_t site, char *buf, size_t len)
{
	const struct model_site *s = site ? model_site(m, site) : NULL;

	if (!s) {
		snprintf(buf, len, "?");
	} else if (s->func && s->file && s->line) {
		const char *base = strrchr(s->file, '/');
		snprintf(buf, len, "%s (%s:%d)", s->func, base ? base + 1 : s->file, s->line);
	} else if (s->func) {
		snprintf(buf, len, "%s+%#" PRIx64, s->func, s->func_off);
	} else if (s->object) {
		snprintf(buf, len, "%s", s->object);
	} else {
		snprintf(buf, len, "%#" PRIx64, s->addr);
	}
}

void explain_site_short(const struct model *m, uint32_t site, char *buf, size_t len)
{
	const struct model_site *s = site ? model_site(m, site) : NULL;

	if (s && s->func && s->file && s->line)
		snprintf(buf, len, "%s:%d", s->func, s->line);
	else
		explain_site(m, site, buf, len);
}

/* The block in use at exactly `addr`, by binary search (model_block_at
 * also searches freed blocks, which costs more). */
static const struct model_block *live_block(const struct model *m, uint64_t addr)
{
	size_t n, lo = view_block_index(m, addr);
	const struct model_block *b = model_blocks(m, &n);

	if (lo < n && b[lo].addr == addr && b[lo].state == MB_LIVE)
		return &b[lo];
	return model_block_at(m, addr);
}

static void alloc_sentence(const struct model *m, const struct model_event *ev,
			   char *buf, size_t len)
{
	char call[96], sz[FMT_SIZE_LEN], sz2[FMT_SIZE_LEN];
	uint64_t req = explain_requested(ev);
	const char *name = model_ev_name(ev->type);
	const struct model_block *b = ev->result ? live_block(m, ev->result) : NULL;

	if (ev->type == MEV_CALLOC)
		snprintf(call, sizeof(call), "calloc(%" PRIu64 ", %" PRIu64 ")", ev->args[0], ev->args[1]);
	else if (ev->type == MEV_REALLOC)
		snprintf(call, sizeof(call), "realloc(%" PRIu64 ")", ev->args[1]);
	else
		snprintf(call, sizeof(call), "%s(%" PRIu64 ")", name, req);
	if (!ev->result) {
		if (ev->type == MEV_REALLOC && ev->args[1] == 0)
			snprintf(buf, len, "realloc(p, 0) freed the block and returned NULL.");
		else
			snprintf(buf, len, "%s failed and returned NULL: the allocator could not "
				 "find %s; a program must check for this.", call, fmt_size(sz, req));
		return;
	}
	if ((ev->type == MEV_REALLOC || ev->type == MEV_REALLOCARRAY) && ev->args[0]) {
		if (ev->result == ev->args[0])
			snprintf(buf, len, "%s resized block #%u in place to %s: nothing was copied.",
				 call, b ? b->id : 0, fmt_size(sz, req));
		else
			snprintf(buf, len, "%s could not grow the block in place: it made block #%u "
				 "of %s elsewhere, copied the old contents and freed the old block.",
				 call, b ? b->id : 0, fmt_size(sz, req));
		return;
	}
	if (ev->flags & RING_F_MMAP) {
		snprintf(buf, len, "%s is large, so the allocator asked the kernel for a mapping "
			 "of its own (mmap) instead of using the heap; free gives it straight back.",
			 call);
		return;
	}
	if ((ev->flags & RING_F_TEACH) && ev->block && ev->block_size && ev->result >= ev->block) {
		uint64_t hdr = ev->result - ev->block;
		uint64_t pad = ev->block_size > hdr + req ? ev->block_size - hdr - req : 0;
		int k = snprintf(buf, len, "%s took %" PRIu64 " bytes from the heap: %" PRIu64
				 " for the header, %" PRIu64 " for you", call, ev->block_size, hdr, req);
		if (k > 0 && (size_t)k < len && pad)
			k += snprintf(buf + k, len - (size_t)k, ", %" PRIu64 " to keep the next block aligned", pad);
		if (k > 0 && (size_t)k < len && (ev->flags & RING_F_GREW_HEAP))
			k += snprintf(buf + k, len - (size_t)k, "; the heap was full, so the program break moved up");
		else if (k > 0 && (size_t)k < len && (ev->flags & RING_F_SPLIT))
			k += snprintf(buf + k, len - (size_t)k, "; a bigger free block was split");
		if (k > 0 && (size_t)k < len)
			snprintf(buf + k, len - (size_t)k, "%s.",
				 ev->type == MEV_CALLOC ? ", all set to zero" : "");
		return;
	}
	snprintf(buf, len, "%s gave the program %s at %#" PRIx64 " (block #%u)%s; glibc keeps "
		 "its own header just before it.", call, fmt_size(sz2, req), ev->result,
		 b ? b->id : 0, ev->type == MEV_CALLOC ? ", set to zero" : "");
}

static void free_sentence(const struct model *m, const struct model_event *ev,
			  char *buf, size_t len)
{
	const struct model_block *b;
	char sz[FMT_SIZE_LEN];

	if (!ev->args[0]) {
		snprintf(buf, len, "free(NULL) does nothing: it is always allowed.");
		return;
	}
	b = model_block_at(m, ev->args[0]);
	if (ev->flags & RING_F_MMAP) {
		snprintf(buf, len, "free gave block #%u (%s) back to the kernel: it had a mapping "
			 "of its own, which is gone now.", b ? b->id : 0, fmt_size(sz, b ? b->size : 0));
		return;
	}
	snprintf(buf, len, "free gave block #%u (%s) back to the allocator%s; the memory stays "
		 "in the heap for the next malloc, and the pointer must not be used again.",
		 b ? b->id : 0, fmt_size(sz, b ? b->size : 0),
		 (ev->flags & RING_F_COALESCED) ? ", which merged it with the free space next to it" : "");
}

static const char *region_word(const struct model_region *r)
{
	switch (r->kind) {
	case MR_HEAP: return "the heap";
	case MR_STACK: return "the stack";
	case MR_MMAP: return "an anonymous mapping";
	case MR_BSS: return "bss";
	case MR_DATA: return "data";
	}
	return r->name[0] ? r->name : model_region_kind_name(r->kind);
}

/* What a MEV_REGIONS step changed, from the snapshot before it. */
static void regions_sentence(const struct model *m, const struct model_event *ev,
			     char *buf, size_t len)
{
	size_t n, np, changes = 0;
	const struct model_region *cur = model_regions(m, &n);
	const struct model_region *prev = ev->aux ? model_regions_snapshot(m, (uint32_t)ev->aux - 1, &np) : NULL;
	char what[200] = "", a[FMT_SIZE_LEN], b[FMT_SIZE_LEN];

	if (!prev) {
		snprintf(buf, len, "The memory map: %zu regions, from the program's own segments to the stack.", n);
		return;
	}
	/* the change a student cares most about leads: the heap, then a
	 * library loaded, then any new region, then the rest */
	int best = -1;
	for (size_t i = 0; i < n; i++) {
		const struct model_region *same = NULL;
		bool equal = false;
		int prio;
		for (size_t k = 0; k < np && !equal; k++) {
			if (prev[k].start == cur[i].start) {
				same = &prev[k];
				equal = prev[k].end == cur[i].end && memcmp(prev[k].perms, cur[i].perms, 4) == 0;
			}
		}
		if (equal)
			continue;
		changes++;
		prio = cur[i].kind == MR_HEAP ? 3 : !same && cur[i].kind == MR_LIB ? 2 : !same ? 1 : 0;
		if (prio <= best)
			continue;
		best = prio;
		if (same && same->end != cur[i].end)
			snprintf(what, sizeof(what), "%s %s from %s to %s", region_word(&cur[i]),
				 cur[i].end > same->end ? "grew" : "shrank",
				 fmt_size(a, same->end - same->start), fmt_size(b, cur[i].end - cur[i].start));
		else if (same)
			snprintf(what, sizeof(what), "%s is now %.4s", region_word(&cur[i]), cur[i].perms);
		else if (cur[i].kind == MR_LIB)
			snprintf(what, sizeof(what), "%s was loaded at %#" PRIx64, region_word(&cur[i]),
				 cur[i].start);
		else
			snprintf(what, sizeof(what), "%s appeared (%s at %#" PRIx64 ")", region_word(&cur[i]),
				 fmt_size(a, cur[i].end - cur[i].start), cur[i].start);
	}
	for (size_t k = 0; k < np; k++) {
		bool kept = false;
		for (size_t i = 0; i < n && !kept; i++)
			kept = cur[i].start == prev[k].start;
		if (!kept && changes++ == 0)
			snprintf(what, sizeof(what), "%s at %#" PRIx64 " was unmapped",
				 region_word(&prev[k]), prev[k].start);
	}
	if (!changes)
		snprintf(buf, len, "The memory map was read again: nothing changed.");
	else if (changes == 1)
		snprintf(buf, len, "The memory map changed: %s.", what);
	else
		snprintf(buf, len, "The memory map changed: %s, and %zu more change%s (marked *).", what,
			 changes - 1, changes == 2 ? "" : "s");
}

void explain_sentence(const struct model *m, const struct model_event *ev,
		      explain_fault_fn fault, void *fault_ctx, char *buf, size_t len)
{
	char where[160] = "";
	const struct model_stats *st = model_stats(m);
	char sz[FMT_SIZE_LEN];

	if (!ev) {
		snprintf(buf, len, "Nothing has happened yet: press space to run the program to its first event.");
		return;
	}
	if (model_ev_is_alloc_call(ev->type) && ev->type != MEV_FREE) {
		alloc_sentence(m, ev, buf, len);
		return;
	}
	switch (ev->type) {
	case MEV_FREE:
		free_sentence(m, ev, buf, len);
		return;
	case MEV_ERROR:
		snprintf(buf, len, "The program made a mistake: %s of %#" PRIx64 ". The teaching "
			 "allocator caught it and reported it instead of crashing later.",
			 error_name(ev->error), ev->aux);
		return;
	case MEV_SIGNAL:
		if (!model_signal_is_crash(ev->error)) {
			snprintf(buf, len, "The program received %s (signal %u), a notice and not a "
				 "crash; memlens passes it on unchanged.", sig_name((int)ev->error), ev->error);
			return;
		}
		if (!model_signal_has_addr(ev->error)) {
			snprintf(buf, len, "The program aborted with %s: it called abort(), often after a "
				 "failed assert() or a heap check in the C library. Step back to see why.",
				 sig_name((int)ev->error));
			return;
		}
		if (fault)
			fault(fault_ctx, m, ev->aux, ev->sp, where, sizeof(where));
		else
			model_explain_addr(m, ev->aux, where, sizeof(where));
		if (!where[0])
			snprintf(where, sizeof(where), ev->aux < 4096 ? "the NULL page: a NULL pointer was used"
				 : "an address the program may not touch");
		snprintf(buf, len, "The program crashed with %s: it touched %#" PRIx64 ", %s. "
			 "Step back to see how it got there.", sig_name((int)ev->error), ev->aux, where);
		return;
	case MEV_EXIT:
		if (ev->code == 2)
			snprintf(buf, len, "memlens ended the program (%s) before it finished; step back to "
				 "the events before it.", sig_name((int)ev->error));
		else if (ev->code)
			snprintf(buf, len, "The program was killed by %s; step back to the events before it.",
				 sig_name((int)ev->error));
		else
			snprintf(buf, len, "The program ended with status %" PRIu64 "; %" PRIu64
				 " block%s (%s) %s never freed: the system takes %s back at exit.",
				 ev->result, st->live_blocks, st->live_blocks == 1 ? "" : "s",
				 fmt_size(sz, st->heap_in_use), st->live_blocks == 1 ? "was" : "were",
				 st->live_blocks == 1 ? "it" : "them");
		return;
	case MEV_REGIONS:
		regions_sentence(m, ev, buf, len);
		return;
	case MEV_EXEC:
		snprintf(buf, len, "The program replaced itself with a new program (exec): a fresh memory map.");
		return;
	case MEV_CALL: {
		const struct model_site *s = ev->site ? model_site(m, ev->site) : NULL;
		snprintf(buf, len, "%s%s was called: a new frame was pushed on the stack for its "
			 "parameters and locals (%" PRIu64 " of the program's frames now).",
			 s && s->func ? s->func : "A function", s && s->func ? "()" : "", ev->args[0]);
		return;
	}
	case MEV_RETURN: {
		const struct model_site *s = ev->site ? model_site(m, ev->site) : NULL;
		snprintf(buf, len, "%s%s returned: its frame was popped; its locals are gone "
			 "(a pointer to one of them now dangles).",
			 s && s->func ? s->func : "A function", s && s->func ? "()" : "");
		return;
	}
	case MEV_LINE: {
		const struct model_site *s = ev->site ? model_site(m, ev->site) : NULL;
		if (s && s->line > 0)
			snprintf(buf, len, "The program is about to run line %d%s%s: the source pane marks it.",
				 s->line, s->func ? " of " : "", s->func ? s->func : "");
		else
			snprintf(buf, len, "The program is about to run the next source line.");
		return;
	}
	default:
		snprintf(buf, len, "The program moved on.");
	}
}

void explain_region(const struct model_region *r, char *buf, size_t len)
{
	static const char *const what[MR_KIND_MAX] = {
		[MR_TEXT] = "the program's machine code: read and execute, never written",
		[MR_RODATA] = "read-only data such as string literals: writing to it crashes",
		[MR_DATA] = "global and static variables that start with a value",
		[MR_BSS] = "global and static variables that start at zero (they take no room in the file)",
		[MR_HEAP] = "the heap: malloc takes blocks from here, and the program break marks its end",
		[MR_MMAP] = "an anonymous mapping: large malloc blocks and other memory from mmap",
		[MR_STACK] = "the stack: one frame per active function call, growing down",
		[MR_THREAD_STACK] = "a thread's own stack",
		[MR_LIB] = "a shared library mapped into the program",
		[MR_VDSO] = "a small area the kernel maps for fast system calls",
		[MR_OTHER] = "a mapping of another kind",
	};
	char sz[FMT_SIZE_LEN];
	const char *w = r->kind < MR_KIND_MAX && what[r->kind] ? what[r->kind] : "a mapping";

	snprintf(buf, len, "%s (%s, %s%s%s) is %s.", r->name[0] ? r->name : model_region_kind_name(r->kind),
		 fmt_size(sz, r->end - r->start), r->perms[0] == 'r' ? "readable" : "not readable",
		 r->perms[1] == 'w' ? ", writable" : ", read-only",
		 r->perms[2] == 'x' ? ", executable" : "", w);
}
