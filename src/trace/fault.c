/* fault: what lies at a faulting address, said in words from the model
 * alone (blocks with their sites, regions), so a live trace and a replay
 * describe a crash the same way. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "trace/trace.h"
#include "util/fmt.h"

static void site_of_event(const struct model *m, uint32_t site, char *buf, size_t len)
{
	if (!site) {
		snprintf(buf, len, "an unknown place");
		return;
	}
	trace_site_str(model_site(m, site), buf, len);
}

/* The live block that ends at or below addr, closest first, or NULL. */
static const struct model_block *block_below(const struct model *m, uint64_t addr)
{
	size_t n = 0, lo = 0, hi;
	const struct model_block *b = model_blocks(m, &n);

	hi = n;
	while (lo < hi) { /* first block with start > addr */
		size_t mid = (lo + hi) / 2;
		if (b[mid].addr > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	for (size_t i = lo; i > 0; i--)
		if (b[i - 1].state == MB_LIVE)
			return &b[i - 1];
	return NULL;
}

void trace_fault_describe(const struct model *m, uint64_t addr, uint64_t sp,
			  char *buf, size_t len)
{
	const struct model_block *b;
	const struct model_region *r;
	size_t nr = 0;
	char s1[160], s2[160], sz[FMT_SIZE_LEN];

	if (addr < 0x10000) {
		if (addr)
			snprintf(buf, len, "the NULL page: a NULL pointer plus %" PRIu64
				 " was dereferenced", addr);
		else
			snprintf(buf, len, "the NULL page: a NULL pointer was dereferenced");
		return;
	}
	b = model_block_at(m, addr);
	if (b && b->state == MB_FREED) {
		site_of_event(m, b->alloc_site, s1, sizeof(s1));
		site_of_event(m, b->free_site, s2, sizeof(s2));
		snprintf(buf, len, "byte %" PRIu64 " of freed block #%u (%s) allocated in %s, "
			 "freed in %s: a use after free", addr - b->addr, b->id,
			 fmt_size(sz, b->size), s1, s2);
		return;
	}
	if (b) {
		site_of_event(m, b->alloc_site, s1, sizeof(s1));
		snprintf(buf, len, "byte %" PRIu64 " of block #%u (%s) allocated in %s",
			 addr - b->addr, b->id, fmt_size(sz, b->size), s1);
		return;
	}
	b = block_below(m, addr);
	r = model_region_at(m, addr);
	if (b && addr >= b->addr + b->size && addr - (b->addr + b->size) < 4096 &&
	    (!r || r->kind == MR_HEAP || r->kind == MR_MMAP)) {
		site_of_event(m, b->alloc_site, s1, sizeof(s1));
		snprintf(buf, len, "%" PRIu64 " bytes past the end of block #%u (%s) allocated in %s",
			 addr - (b->addr + b->size), b->id, fmt_size(sz, b->size), s1);
		return;
	}
	if (r && r->kind == MR_THREAD_STACK && r->perms[0] == '-') {
		snprintf(buf, len, "the guard page below a thread's stack: a stack overflow");
		return;
	}
	if (r) {
		snprintf(buf, len, "%s %s (%s)", model_region_kind_name((enum model_region_kind)r->kind),
			 r->name[0] ? r->name : "mapping", r->perms);
		return;
	}
	const struct model_region *all = model_regions(m, &nr);
	for (size_t i = 0; i < nr; i++)
		if (all[i].kind == MR_STACK && addr < all[i].start &&
		    all[i].start - addr <= (UINT64_C(1) << 20)) {
			snprintf(buf, len, "the stack guard below [stack]: a stack overflow");
			return;
		}
	if (sp && addr < sp + 4096 && sp - addr < 65536 + 4096) {
		snprintf(buf, len, "just below the stack pointer, where nothing is mapped: "
			 "a stack overflow");
		return;
	}
	snprintf(buf, len, "nothing: no memory is mapped at 0x%" PRIx64, addr);
}
