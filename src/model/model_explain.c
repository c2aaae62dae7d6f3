/* model_explain: the model's answers in words a student reads: a call site
 * ("push (list.c:17)") and what lies at a faulting address. */
#include <inttypes.h>
#include <stdio.h>

#include "model/model.h"

#define PAST_END_SLACK 4096   /* how far past a block still counts as "past its end" */
#define STACK_GUARD_GAP (1u << 20) /* the kernel's stack_guard_gap: 256 pages */

char *model_site_format(const struct model *m, uint32_t site, char *buf, size_t n)
{
	const struct model_site *s = model_site(m, site);

	if (s->func && s->file && s->line)
		snprintf(buf, n, "%s (%s:%d)", s->func, s->file, s->line);
	else if (s->file && s->line)
		snprintf(buf, n, "%s:%d", s->file, s->line);
	else if (s->func && s->func_off)
		snprintf(buf, n, "%s+0x%" PRIx64, s->func, s->func_off);
	else if (s->func)
		snprintf(buf, n, "%s", s->func);
	else if (s->object)
		snprintf(buf, n, "%s+0x%" PRIx64, s->object, s->func_off);
	else if (s->addr)
		snprintf(buf, n, "0x%" PRIx64, s->addr);
	else
		snprintf(buf, n, "?");
	return buf;
}

static const struct model_region *stack_above(const struct model *m, uint64_t addr, bool guard_page)
{
	size_t n;
	const struct model_region *r = model_regions(m, &n);

	for (size_t i = 0; i < n; i++) {
		if (r[i].kind != MR_STACK && r[i].kind != MR_THREAD_STACK)
			continue;
		if (guard_page ? r[i].start == addr : (r[i].start > addr && r[i].start - addr <= STACK_GUARD_GAP))
			return &r[i];
	}
	return NULL;
}

char *model_explain_addr(const struct model *m, uint64_t addr, char *buf, size_t n)
{
	const struct model_block *b;
	const struct model_region *r;
	char s1[160], s2[160];

	if (addr < 4096) {
		snprintf(buf, n, "the NULL page (address 0x%" PRIx64 ": a NULL pointer was used)", addr);
		return buf;
	}
	if ((b = model_block_at(m, addr)) != NULL) {
		model_site_format(m, b->alloc_site, s1, sizeof(s1));
		if (b->state == MB_FREED)
			snprintf(buf, n, "freed block #%u (%" PRIu64 " bytes) allocated at %s and freed at %s",
				 b->id, b->size, s1, model_site_format(m, b->free_site, s2, sizeof(s2)));
		else
			snprintf(buf, n, "byte %" PRIu64 " of block #%u (%" PRIu64 " bytes, allocated at %s)",
				 addr - b->addr, b->id, b->size, s1);
		return buf;
	}
	b = model_block_before(m, addr);
	if (b && addr - (b->addr + b->size) < PAST_END_SLACK) {
		snprintf(buf, n, "%" PRIu64 " bytes past the end of block #%u (%" PRIu64 " bytes, allocated at %s)",
			 addr - (b->addr + b->size), b->id, b->size,
			 model_site_format(m, b->alloc_site, s1, sizeof(s1)));
		return buf;
	}
	r = model_region_at(m, addr);
	if (r && r->perms[0] == '-' && stack_above(m, r->end, true)) {
		snprintf(buf, n, "the guard page below a thread's stack (stack overflow)");
		return buf;
	}
	if (r) {
		snprintf(buf, n, "the %s region %s (%s)", model_region_kind_name(r->kind), r->name, r->perms);
		return buf;
	}
	if (stack_above(m, addr, false)) {
		snprintf(buf, n, "the stack guard gap below the stack (stack overflow)");
		return buf;
	}
	snprintf(buf, n, "nothing mapped at 0x%" PRIx64, addr);
	return buf;
}
