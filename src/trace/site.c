/* site: call sites of allocator calls.  A return address becomes a model
 * site once (function+offset from the program's symbols, or the library
 * and offset), then a small hash table answers every later call from the
 * same place without looking anything up. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbg/dbg.h"
#include "elf/elfmap.h"
#include "trace/trace_int.h"

static size_t slot_of(uint64_t a, size_t cap)
{
	a ^= a >> 33;
	a *= UINT64_C(0xff51afd7ed558ccd);
	a ^= a >> 33;
	return (size_t)a & (cap - 1);
}

/* The library mapped at addr, from /proc/PID/maps (its path and the start
 * of its offset-0 mapping), opened once per trace. */
static struct trace_lib *lib_at(struct trace *t, uint64_t addr)
{
	char p[64], line[4608], path[4096] = "";
	unsigned long long a, b, off;
	uint64_t base = 0;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/maps", (int)t->pid);
	f = fopen(p, "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		char perms[8], dev[16], name[4096];
		unsigned long long ino;
		if (sscanf(line, "%llx-%llx %7s %llx %15s %llu %4095s", &a, &b, perms, &off, dev,
			   &ino, name) != 7)
			continue;
		if (addr >= a && addr < b)
			snprintf(path, sizeof(path), "%s", name);
	}
	rewind(f);
	while (path[0] && fgets(line, sizeof(line), f)) {
		char perms[8], dev[16], name[4096];
		unsigned long long ino;
		if (sscanf(line, "%llx-%llx %7s %llx %15s %llu %4095s", &a, &b, perms, &off, dev,
			   &ino, name) == 7 && off == 0 && strcmp(name, path) == 0) {
			base = a;
			break;
		}
	}
	fclose(f);
	if (!path[0] || !base)
		return NULL;
	for (size_t i = 0; i < t->nlibs; i++)
		if (t->libs[i].base == base && strcmp(t->libs[i].path, path) == 0)
			return &t->libs[i];
	if (t->nlibs == sizeof(t->libs) / sizeof(t->libs[0]))
		return NULL;
	struct trace_lib *l = &t->libs[t->nlibs];
	struct err e = { 0 };
	l->path = strdup(path);
	if (!l->path)
		return NULL;
	l->base = base;
	l->elf = elfmap_open(path, &e);
	t->nlibs++;
	return l;
}

void trace_libs_reset(struct trace *t)
{
	for (size_t i = 0; i < t->nlibs; i++) {
		free(t->libs[i].path);
		elfmap_close(t->libs[i].elf);
	}
	t->nlibs = 0;
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

static int read_mem(void *ctx, uint64_t addr, void *buf, size_t n)
{
	return trace_mem_read(ctx, addr, buf, n);
}

void trace_dbg_close(struct trace *t)
{
	dbg_close(t->dbg);
	t->dbg = NULL;
	t->dbg_failed = false;
}

/* The image's debug info (libdw), its module list as fresh as the last
 * region snapshot; NULL when it cannot be read. */
static struct dbg *dbg_of(struct trace *t)
{
	struct err e = { 0 };

	if (!t->dbg && !t->dbg_failed) {
		t->dbg = dbg_open_pid(t->pid, &e);
		t->dbg_failed = !t->dbg;
		if (t->dbg)
			dbg_set_reader(t->dbg, read_mem, t);
		t->dbg_gen = t->regions_gen;
	}
	if (t->dbg && t->dbg_gen != t->regions_gen) {
		dbg_refresh(t->dbg, &e);
		t->dbg_gen = t->regions_gen;
	}
	return t->dbg;
}

struct dbg *trace_dbg(struct trace *t)
{
	return dbg_of(t);
}

/* Fills a site: file and line from debug info, else function+offset from
 * the program's symbols, else the library and offset. */
static void symbolize(struct trace *t, uint64_t addr, struct model_site *s)
{
	const struct model_region *r = region_of(t, addr);
	/* debug info for the program's own code only: a library's (libc's
	 * compressed DWARF) costs 100+ ms to load, and its symbols say enough */
	struct dbg *d = r && r->kind == MR_TEXT ? dbg_of(t) : NULL;

	memset(s, 0, sizeof(*s));
	s->addr = addr;
	if (d && dbg_symbolize(d, addr, s) == 0)
		return;
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
		struct trace_lib *l = lib_at(t, addr);
		const struct elfmap_symbol *sym = l && l->elf ?
			elfmap_symbol_at(l->elf, addr - l->base) : NULL;
		s->object = r->name;
		s->func_off = addr - (l ? l->base : base);
		if (sym && sym->type == ELFMAP_SYM_FUNC) {
			s->func = sym->name;
			s->func_off = addr - l->base - sym->addr;
		}
	}
}

/* A caller address not in the table yet: made a site and added (the
 * table grown first when half full).  Apart from trace_site_of, so the
 * lookup that answers nearly every event keeps a small frame. */
static uint32_t site_miss(struct trace *t, uint64_t addr)
{
	struct model_site s;
	uint32_t idx;
	size_t k;

	if (t->site_n * 2 >= t->site_cap && !grow(t))
		return 0;
	for (k = slot_of(addr, t->site_cap); t->site_key[k]; k = (k + 1) & (t->site_cap - 1))
		;
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

uint32_t trace_site_of(struct trace *t, uint64_t addr)
{
	size_t mask = t->site_cap - 1;

	if (!addr)
		return 0;
	if (t->site_cap)
		for (size_t k = slot_of(addr, t->site_cap); t->site_key[k]; k = (k + 1) & mask)
			if (t->site_key[k] == addr)
				return t->site_val[k];
	return site_miss(t, addr);
}
