/* site: call sites of allocator calls.  A return address becomes a model
 * site once (function+offset from the program's symbols, or the library
 * and offset), then a small hash table answers every later call from the
 * same place without looking anything up. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elfmap.h"
#include "trace/trace_int.h"

static size_t slot_of(uint64_t a, size_t cap)
{
	a ^= a >> 33;
	a *= UINT64_C(0xff51afd7ed558ccd);
	a ^= a >> 33;
	return (size_t)a & (cap - 1);
}

void trace_sites_reset(struct trace *t)
{
	free(t->site_key);
	free(t->site_val);
	t->site_key = NULL;
	t->site_val = NULL;
	t->site_cap = t->site_n = 0;
}

static bool grow(struct trace *t)
{
	size_t nc = t->site_cap ? t->site_cap * 2 : 1024;
	uint64_t *k = calloc(nc, sizeof(*k));
	uint32_t *v = calloc(nc, sizeof(*v));

	if (!k || !v) {
		free(k);
		free(v);
		return false;
	}
	for (size_t i = 0; i < t->site_cap; i++) {
		if (!t->site_key[i])
			continue;
		size_t s = slot_of(t->site_key[i], nc);
		while (k[s])
			s = (s + 1) & (nc - 1);
		k[s] = t->site_key[i];
		v[s] = t->site_val[i];
	}
	free(t->site_key);
	free(t->site_val);
	t->site_key = k;
	t->site_val = v;
	t->site_cap = nc;
	return true;
}

static const struct model_region *region_of(const struct trace *t, uint64_t a)
{
	for (size_t i = 0; i < t->nregs; i++)
		if (a >= t->regs[i].start && a < t->regs[i].end)
			return &t->regs[i];
	return NULL;
}

/* Fills a site from what the tracer knows without debug info. */
static void symbolize(const struct trace *t, uint64_t addr, struct model_site *s)
{
	const struct model_region *r = region_of(t, addr);

	memset(s, 0, sizeof(*s));
	s->addr = addr;
	if (!r)
		return;
	if (r->kind == MR_TEXT && t->elf) {
		const struct elfmap_symbol *sym = elfmap_symbol_at(t->elf, addr - t->bias);
		if (sym) {
			s->func = sym->name;
			s->func_off = addr - t->bias - sym->addr;
		}
		return;
	}
	if (r->kind == MR_LIB) {
		/* offset from the library's first mapping */
		uint64_t base = r->start;
		for (size_t i = 0; i < t->nregs; i++)
			if (strcmp(t->regs[i].name, r->name) == 0 && t->regs[i].start < base)
				base = t->regs[i].start;
		s->object = r->name;
		s->func_off = addr - base;
	}
}

uint32_t trace_site_of(struct trace *t, uint64_t addr)
{
	struct model_site s;
	uint32_t idx;
	size_t k;

	if (!addr)
		return 0;
	if (t->site_n * 2 >= t->site_cap && !grow(t))
		return 0;
	for (k = slot_of(addr, t->site_cap); t->site_key[k]; k = (k + 1) & (t->site_cap - 1))
		if (t->site_key[k] == addr)
			return t->site_val[k];
	if (!trace_addr_known(t, addr)) {
		/* code we have not seen mapped yet (a library just loaded) */
		struct err e = { 0 };
		trace_regions_read(t, &e);
	}
	symbolize(t, addr, &s);
	idx = model_site_intern(t->m, &s);
	t->site_key[k] = addr;
	t->site_val[k] = idx;
	t->site_n++;
	return idx;
}

void trace_site_str(const struct model_site *s, char *buf, size_t len)
{
	if (!s) {
		snprintf(buf, len, "?");
	} else if (s->func && s->file && s->line)
		snprintf(buf, len, "%s (%s:%d)", s->func, s->file, s->line);
	else if (s->func && s->func_off)
		snprintf(buf, len, "%s+0x%" PRIx64, s->func, s->func_off);
	else if (s->func)
		snprintf(buf, len, "%s", s->func);
	else if (s->object)
		snprintf(buf, len, "%s+0x%" PRIx64, s->object, s->func_off);
	else
		snprintf(buf, len, "0x%" PRIx64, s->addr);
}
