/* dbg: the handle (a Dwfl over a live process or one ELF file), the string
 * table, the memory door with its page cache, and call-site symbolization
 * with its cache. */
#include "dbg/dbg_int.h"


#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* ---- strings ------------------------------------------------------------ */

/* Interned strings: an open-addressing set of malloc'd copies. */
struct dbg_strtab {
	char **slot;
	size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

const char *dbg_intern(struct dbg *h, const char *s)
{
	struct dbg_strtab *t = h->strs;
	size_t i;

	if (!s)
		return NULL;
	if (2 * (t->n + 1) > t->cap) {
		size_t ncap = t->cap ? 2 * t->cap : 256;
		char **ns = calloc(ncap, sizeof(*ns));
		if (!ns)
			return NULL;
		for (size_t k = 0; k < t->cap; k++) {
			if (!t->slot[k])
				continue;
			i = hash_str(t->slot[k]) & (ncap - 1);
			while (ns[i])
				i = (i + 1) & (ncap - 1);
			ns[i] = t->slot[k];
		}
		free(t->slot);
		t->slot = ns;
		t->cap = ncap;
	}
	i = hash_str(s) & (t->cap - 1);
	while (t->slot[i]) {
		if (strcmp(t->slot[i], s) == 0)
			return t->slot[i];
		i = (i + 1) & (t->cap - 1);
	}
	t->slot[i] = strdup(s);
	if (t->slot[i])
		t->n++;
	return t->slot[i];
}

/* ---- opening ------------------------------------------------------------- */

static char *debuginfo_path;

static const Dwfl_Callbacks proc_cb = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

static const Dwfl_Callbacks file_cb = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

static struct dbg *new_handle(const Dwfl_Callbacks *cb, struct err *e)
{
	struct dbg *h = calloc(1, sizeof(*h));

	if (!h || !(h->strs = calloc(1, sizeof(*h->strs)))) {
		free(h);
		err_set(e, ERR_INTERNAL, "debug info: out of memory");
		return NULL;
	}
	h->dwfl = dwfl_begin(cb);
	if (!h->dwfl) {
		err_set(e, ERR_INTERNAL, "debug info: %s", dwfl_errmsg(-1));
		free(h->strs);
		free(h);
		return NULL;
	}
	return h;
}

/* Finds the module whose main file is the program (h->exe), and hashes
 * the module list so a refresh that changed nothing keeps the caches. */
static int find_main(Dwfl_Module *mod, void **ud, const char *name,
		     Dwarf_Addr start, void *arg)
{
	struct dbg *h = arg;
	char real[PATH_MAX];

	(void)ud;
	h->mod_hash = (h->mod_hash ^ (name ? hash_str(name) : 0) ^ start) * 1099511628211ull;
	if (!h->main_mod && name && h->exe && realpath(name, real) &&
	    strcmp(real, h->exe) == 0)
		h->main_mod = mod;
	return DWARF_CB_OK;
}

static int report_pid(struct dbg *h, struct err *e)
{
	char link[64], real[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)h->pid);
	n = readlink(link, real, sizeof(real) - 1);
	if (n < 0)
		return err_errno(e, ERR_INPUT, errno, "debug info: %s", link);
	real[n] = '\0';
	free(h->exe);
	h->exe = realpath(real, NULL);
	if (!h->exe)
		h->exe = strdup(real);
	dwfl_report_begin(h->dwfl);
	if (dwfl_linux_proc_report(h->dwfl, h->pid) != 0) {
		dwfl_report_end(h->dwfl, NULL, NULL);
		return err_set(e, ERR_INPUT, "debug info: cannot read the map of pid %d",
			       (int)h->pid);
	}
	if (dwfl_report_end(h->dwfl, NULL, NULL) != 0)
		return err_set(e, ERR_INTERNAL, "debug info: %s", dwfl_errmsg(-1));
	h->main_mod = NULL;
	h->mod_hash = 0;
	dwfl_getmodules(h->dwfl, find_main, h, 0);
	return 0;
}

struct dbg *dbg_open_pid(pid_t pid, struct err *e)
{
	struct dbg *h = new_handle(&proc_cb, e);

	if (!h)
		return NULL;
	h->pid = pid;
	if (report_pid(h, e) != 0) {
		dbg_close(h);
		return NULL;
	}
	return h;
}

struct dbg *dbg_open_file(const char *path, uint64_t bias, struct err *e)
{
	struct dbg *h;
	struct stat st;
	/* O_NONBLOCK: a FIFO must not block the open; it is refused below. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		err_errno(e, ERR_INPUT, errno, "%s", path);
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		err_set(e, ERR_INPUT, "%s: not a regular file", path);
		return NULL;
	}
	h = new_handle(&file_cb, e);
	if (!h) {
		close(fd);
		return NULL;
	}
	h->exe = realpath(path, NULL);
	dwfl_report_begin(h->dwfl);
	/* dwfl takes the fd. */
	h->main_mod = dwfl_report_elf(h->dwfl, path, path, fd, bias, false);
	dwfl_report_end(h->dwfl, NULL, NULL);
	if (!h->main_mod) {
		err_set(e, ERR_INPUT, "%s: %s", path, dwfl_errmsg(-1));
		dbg_close(h);
		return NULL;
	}
	return h;
}

void dbg_cache_clear(struct dbg *h)
{
	for (size_t i = 0; i < h->npcv_cap; i++)
		free(h->pcv[i].vars);
	free(h->pcv);
	h->pcv = NULL;
	h->npcv_cap = h->npcv = 0;
	free(h->sites);
	h->sites = NULL;
	h->nsites_cap = h->nsites = 0;
	free(h->funcs);
	h->funcs = NULL;
	h->nfuncs = 0;
	h->funcs_done = false;
	free(h->lines);
	h->lines = NULL;
	h->nlines = 0;
	h->lines_done = false;
}

void dbg_close(struct dbg *h)
{
	if (!h)
		return;
	dbg_cache_clear(h);
	if (h->dwfl)
		dwfl_end(h->dwfl);
	for (size_t i = 0; i < h->strs->cap; i++)
		free(h->strs->slot[i]);
	free(h->strs->slot);
	free(h->strs);
	free(h->exe);
	free(h->pages);
	free(h);
}

void dbg_set_reader(struct dbg *h, dbg_read_fn fn, void *ctx)
{
	h->read = fn;
	h->rctx = ctx;
}

int dbg_refresh(struct dbg *h, struct err *e)
{
	uint64_t before = h->mod_hash;
	int rc;

	if (!h->pid) {
		dbg_cache_clear(h);
		return 0;
	}
	/* dwfl keeps the modules that did not change (and their DWARF), so
	 * the caches stay valid unless the list of modules changed. */
	rc = report_pid(h, e);
	if (rc != 0 || h->mod_hash != before)
		dbg_cache_clear(h);
	return rc;
}

bool dbg_has_debuginfo(const struct dbg *h)
{
	Dwarf_Addr bias;

	return h->main_mod && dwfl_module_getdwarf(h->main_mod, &bias) != NULL;
}

static int read_direct(struct dbg *h, uint64_t addr, void *buf, size_t n)
{
	struct iovec l = { buf, n }, r = { (void *)(uintptr_t)addr, n };

	if (h->read)
		return h->read(h->rctx, addr, buf, n);
	if (!h->pid)
		return -1;
	return process_vm_readv(h->pid, &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -1;
}

int dbg_read(struct dbg *h, uint64_t addr, void *buf, size_t n)
{
	uint64_t page = addr & ~(uint64_t)(DBG_PAGE - 1);
	struct dbg_page *p;

	if (!h->pages_on || n == 0 || addr - page + n > DBG_PAGE)
		return read_direct(h, addr, buf, n);
	p = &h->pages[(page / DBG_PAGE) % DBG_NPAGES];
	if (p->base != page + 1) {
		if (read_direct(h, page, p->data, DBG_PAGE) != 0) {
			p->base = 0; /* e.g. a page at the end of a mapping */
			return read_direct(h, addr, buf, n);
		}
		p->base = page + 1;
	}
	memcpy(buf, p->data + (addr - page), n);
	return 0;
}

void dbg_pages(struct dbg *h, bool on)
{
	if (on && !h->pages)
		h->pages = calloc(DBG_NPAGES, sizeof(*h->pages));
	h->pages_on = on && h->pages;
	if (h->pages)
		for (size_t i = 0; i < DBG_NPAGES; i++)
			h->pages[i].base = 0;
}

/* ---- call sites ---------------------------------------------------------- */

const char *dbg_base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;
	return s ? s + 1 : p;
}

static void resolve(struct dbg *h, uint64_t addr, bool adjust,
		    struct model_site *s, int *rc)
{
	uint64_t look = adjust && addr ? addr - 1 : addr;
	Dwfl_Module *mod = dwfl_addrmodule(h->dwfl, look);
	const char *modname, *name;
	Dwarf_Addr start;
	GElf_Off off;
	GElf_Sym sym;
	Dwfl_Line *ln;

	memset(s, 0, sizeof(*s));
	s->addr = addr;
	*rc = -1;
	if (!mod)
		return;
	*rc = 0;
	modname = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	if (mod != h->main_mod)
		s->object = dbg_intern(h, dbg_base_name(modname));
	name = dwfl_module_addrinfo(mod, look, &off, &sym, NULL, NULL, NULL);
	if (name) {
		s->func = dbg_plain_name(h, name);
		s->func_off = off + (look != addr ? 1 : 0);
	} else {
		/* Stripped: library (or program) + offset from its load start. */
		s->func_off = addr - start;
		if (!s->object)
			s->object = dbg_intern(h, dbg_base_name(modname));
	}
	ln = dwfl_module_getsrc(mod, look);
	if (ln) {
		int line = 0;
		const char *file = dwfl_lineinfo(ln, NULL, &line, NULL, NULL, NULL);
		if (file && line > 0) {
			s->file = dbg_intern(h, file);
			s->line = line;
		}
	}
}

static int lookup_site(struct dbg *h, uint64_t addr, bool adjust,
		       struct model_site *out)
{
	uint64_t key = addr << 1 | (adjust ? 1 : 0);
	size_t i;

	if (key == 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	if (2 * (h->nsites + 1) > h->nsites_cap) {
		size_t ncap = h->nsites_cap ? 2 * h->nsites_cap : 1024;
		struct dbg_site_slot *ns = calloc(ncap, sizeof(*ns));
		if (ns) {
			for (size_t k = 0; k < h->nsites_cap; k++) {
				if (!h->sites[k].key)
					continue;
				i = (h->sites[k].key * 0x9e3779b97f4a7c15ull >> 20) & (ncap - 1);
				while (ns[i].key)
					i = (i + 1) & (ncap - 1);
				ns[i] = h->sites[k];
			}
			free(h->sites);
			h->sites = ns;
			h->nsites_cap = ncap;
		}
	}
	if (2 * (h->nsites + 1) > h->nsites_cap) { /* no memory: no cache */
		int rc;
		resolve(h, addr, adjust, out, &rc);
		return rc;
	}
	i = (key * 0x9e3779b97f4a7c15ull >> 20) & (h->nsites_cap - 1);
	while (h->sites[i].key && h->sites[i].key != key)
		i = (i + 1) & (h->nsites_cap - 1);
	if (!h->sites[i].key) {
		h->sites[i].key = key;
		resolve(h, addr, adjust, &h->sites[i].site, &h->sites[i].rc);
		h->nsites++;
	}
	*out = h->sites[i].site;
	return h->sites[i].rc;
}

int dbg_symbolize(struct dbg *h, uint64_t addr, struct model_site *site)
{
	return lookup_site(h, addr, true, site);
}

int dbg_symbolize_pc(struct dbg *h, uint64_t pc, struct model_site *site)
{
	return lookup_site(h, pc, false, site);
}
