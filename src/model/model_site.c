/* model_site: the model's tables that only grow: event and region names,
 * interned call sites (with their strings) and region snapshots. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"

static const char *const ev_names[MEV_TYPE_MAX] = {
	[MEV_MALLOC] = "malloc", [MEV_CALLOC] = "calloc", [MEV_REALLOC] = "realloc",
	[MEV_REALLOCARRAY] = "reallocarray", [MEV_FREE] = "free",
	[MEV_POSIX_MEMALIGN] = "posix_memalign", [MEV_ALIGNED_ALLOC] = "aligned_alloc",
	[MEV_MEMALIGN] = "memalign", [MEV_VALLOC] = "valloc", [MEV_PVALLOC] = "pvalloc",
	[MEV_ERROR] = "error", [MEV_REGIONS] = "regions", [MEV_SIGNAL] = "signal",
	[MEV_EXEC] = "exec", [MEV_EXIT] = "exit", [MEV_CALL] = "call",
	[MEV_RETURN] = "return", [MEV_LINE] = "line",
};

const char *model_ev_name(enum model_ev_type t)
{
	if ((int)t <= 0 || t >= MEV_TYPE_MAX)
		return "unknown";
	return ev_names[t];
}

enum model_ev_type model_ev_parse(const char *name)
{
	for (int t = 1; t < MEV_TYPE_MAX; t++)
		if (ev_names[t][0] == name[0] && strcmp(ev_names[t], name) == 0)
			return (enum model_ev_type)t;
	return 0;
}

bool model_ev_is_alloc_call(enum model_ev_type t)
{
	return t >= MEV_MALLOC && t <= MEV_PVALLOC;
}

bool model_signal_has_addr(uint32_t signo)
{
	return signo == SIGSEGV || signo == SIGBUS || signo == SIGFPE || signo == SIGILL;
}

bool model_signal_is_crash(uint32_t signo)
{
	return model_signal_has_addr(signo) || signo == SIGABRT;
}

static const char *const kind_names[MR_KIND_MAX] = {
	[MR_TEXT] = "text", [MR_RODATA] = "rodata", [MR_DATA] = "data", [MR_BSS] = "bss",
	[MR_HEAP] = "heap", [MR_MMAP] = "mmap", [MR_STACK] = "stack",
	[MR_THREAD_STACK] = "thread-stack", [MR_LIB] = "lib", [MR_VDSO] = "vdso",
	[MR_OTHER] = "other",
};

const char *model_region_kind_name(enum model_region_kind k)
{
	if ((int)k <= 0 || k >= MR_KIND_MAX)
		return "other";
	return kind_names[k];
}

int model_grow(void *pp, size_t *cap, size_t need, size_t sz)
{
	void **p = pp;
	size_t nc;
	void *np;

	if (need <= *cap)
		return 0;
	nc = *cap ? *cap + *cap / 2 : 16;
	if (nc < need)
		nc = need;
	if (nc > SIZE_MAX / sz)
		return -1;
	np = realloc(*p, nc * sz);
	if (!np)
		return -1;
	*p = np;
	*cap = nc;
	return 0;
}

int model_grow32(void *pp, uint32_t *cap, size_t need, size_t sz)
{
	size_t c = *cap;

	if (need > UINT32_MAX - 1)
		return -1;
	if (model_grow(pp, &c, need, sz) < 0)
		return -1;
	*cap = c > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)c;
	return 0;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	if (!s)
		return 7;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Rebuilds an open-addressing table of (index+1) entries from scratch. */
static int rehash(uint32_t **ht, uint32_t *hcap, uint32_t n, uint64_t (*hf)(struct model *, uint32_t),
		  struct model *m)
{
	uint32_t nc = *hcap ? *hcap * 2 : 64;
	uint32_t *t = calloc(nc, sizeof(*t));

	if (!t)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t h = hf(m, i);
		uint32_t j = (uint32_t)(h & (nc - 1));
		while (t[j])
			j = (j + 1) & (nc - 1);
		t[j] = i + 1;
	}
	free(*ht);
	*ht = t;
	*hcap = nc;
	return 0;
}

static uint64_t strs_hf(struct model *m, uint32_t i) { return str_hash(m->strs[i]); }

/* The interned copy of `s` (NULL stays NULL); NULL on out of memory sets
 * m->broken. */
static const char *str_intern(struct model *m, const char *s)
{
	uint64_t h;
	uint32_t j;

	if (!s)
		return NULL;
	if ((m->nstrs + 1) * 2 > m->str_hcap &&
	    rehash(&m->str_ht, &m->str_hcap, m->nstrs, strs_hf, m) < 0)
		goto oom;
	h = str_hash(s);
	for (j = (uint32_t)(h & (m->str_hcap - 1)); m->str_ht[j]; j = (j + 1) & (m->str_hcap - 1))
		if (strcmp(m->strs[m->str_ht[j] - 1], s) == 0)
			return m->strs[m->str_ht[j] - 1];
	if (model_grow32(&m->strs, &m->capstrs, m->nstrs + 1, sizeof(char *)) < 0)
		goto oom;
	if (!(m->strs[m->nstrs] = strdup(s)))
		goto oom;
	m->str_ht[j] = ++m->nstrs;
	return m->strs[m->nstrs - 1];
oom:
	m->broken = true;
	return NULL;
}

static uint64_t site_hash(const struct model_site *s)
{
	uint64_t h = mix(s->addr, s->func_off);

	h = mix(h, (uint64_t)(uint32_t)s->line);
	h = mix(h, str_hash(s->func));
	h = mix(h, str_hash(s->file));
	return mix(h, str_hash(s->object));
}

static uint64_t sites_hf(struct model *m, uint32_t i) { return site_hash(&m->sites[i]); }

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool site_eq(const struct model_site *a, const struct model_site *b)
{
	return a->addr == b->addr && a->func_off == b->func_off && a->line == b->line &&
	       str_eq(a->func, b->func) && str_eq(a->file, b->file) && str_eq(a->object, b->object);
}

uint32_t model_site_intern(struct model *m, const struct model_site *s)
{
	struct model_site c;
	uint64_t h;
	uint32_t j;

	if (!s || m->broken)
		return 0;
	if (!s->addr && !s->func && !s->file && !s->object && !s->line && !s->func_off)
		return 0;
	if (m->nsites == 0) { /* index 0: unknown */
		if (model_grow32(&m->sites, &m->capsites, 1, sizeof(*m->sites)) < 0)
			goto oom;
		memset(&m->sites[0], 0, sizeof(m->sites[0]));
		m->nsites = 1;
	}
	if ((m->nsites + 1) * 2 > m->site_hcap &&
	    rehash(&m->site_ht, &m->site_hcap, m->nsites, sites_hf, m) < 0)
		goto oom;
	h = site_hash(s);
	for (j = (uint32_t)(h & (m->site_hcap - 1)); m->site_ht[j]; j = (j + 1) & (m->site_hcap - 1))
		if (m->site_ht[j] > 1 && site_eq(&m->sites[m->site_ht[j] - 1], s))
			return m->site_ht[j] - 1;
	c = *s;
	c.func = str_intern(m, s->func);
	c.file = str_intern(m, s->file);
	c.object = str_intern(m, s->object);
	if (m->broken || model_grow32(&m->sites, &m->capsites, m->nsites + 1, sizeof(*m->sites)) < 0)
		goto oom;
	m->sites[m->nsites] = c;
	m->site_ht[j] = ++m->nsites;
	return m->nsites - 1;
oom:
	m->broken = true;
	return 0;
}

const struct model_site *model_site(const struct model *m, uint32_t idx)
{
	static const struct model_site unknown;

	if (idx == 0 || idx >= m->nsites)
		return &unknown;
	return &m->sites[idx];
}

uint64_t model_id(const struct model *m)
{
	return m->id;
}

uint32_t model_site_count(const struct model *m)
{
	return m->nsites ? m->nsites : 1;
}

static int reg_cmp(const void *a, const void *b)
{
	const struct model_region *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

uint32_t model_regions_add(struct model *m, const struct model_region *r, size_t n)
{
	size_t off = m->o.keep_history ? m->nregs : 0;

	if (m->broken)
		return m->snap_count;
	if (model_grow(&m->regs, &m->capregs, off + n, sizeof(*r)) < 0 ||
	    (m->o.keep_history &&
	     model_grow32(&m->snaps, &m->capsnaps, m->nsnaps + 1, sizeof(*m->snaps)) < 0)) {
		m->broken = true;
		return m->snap_count;
	}
	if (n) {
		memcpy(m->regs + off, r, n * sizeof(*r));
		qsort(m->regs + off, n, sizeof(*r), reg_cmp);
	}
	for (size_t i = 0; i < n; i++)
		m->regs[off + i].name[sizeof(m->regs[0].name) - 1] = '\0';
	m->nregs = off + n;
	if (m->o.keep_history)
		m->snaps[m->nsnaps++] = (struct snap){ off, n };
	return m->snap_count++;
}

const struct model_region *model_regions_snapshot(const struct model *m, uint32_t idx, size_t *n)
{
	*n = 0;
	if (idx >= m->snap_count)
		return NULL;
	if (m->o.keep_history) {
		*n = m->snaps[idx].n;
		/* no regions yet: regs may still be NULL (no arithmetic on it) */
		return *n ? m->regs + m->snaps[idx].off : NULL;
	}
	if (idx != m->snap_count - 1)
		return NULL;
	*n = m->nregs;
	return m->regs;
}

const struct model_region *model_regions(const struct model *m, size_t *n)
{
	*n = 0;
	if (!m->st.regions)
		return NULL;
	return model_regions_snapshot(m, (uint32_t)(m->st.regions - 1), n);
}

const struct model_region *model_region_at(const struct model *m, uint64_t addr)
{
	size_t n, lo = 0, hi;
	const struct model_region *r = model_regions(m, &n);

	hi = n;
	while (lo < hi) { /* first region with start > addr */
		size_t mid = lo + (hi - lo) / 2;
		if (r[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr >= r[lo - 1].end)
		return NULL;
	return &r[lo - 1];
}

void model_sites_free(struct model *m)
{
	for (uint32_t i = 0; i < m->nstrs; i++)
		free(m->strs[i]);
	free(m->strs);
	free(m->str_ht);
	free(m->sites);
	free(m->site_ht);
	free(m->regs);
	free(m->snaps);
}
