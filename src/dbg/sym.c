/* sym: names and places: C++ names demangled, a symbol's address by name,
 * what a static address is (section kind and covering symbol), and the
 * path of a line's source file for the source pane. */
#include "dbg/dbg_int.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- C++ names ----------------------------------------------------------- */

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);

/* libstdc++'s demangler, found at run time so memlens links no C++
 * runtime; without it names stay mangled. */
static demangle_fn demangler(void)
{
	static demangle_fn fn;
	static bool tried;

	if (!tried) {
		void *lib = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
		tried = true;
		if (lib)
			fn = (demangle_fn)(uintptr_t)dlsym(lib, "__cxa_demangle");
	}
	return fn;
}

const char *dbg_plain_name(struct dbg *h, const char *name)
{
	char plain[256], *dem;
	demangle_fn fn;
	int st = -1;
	const char *out;

	if (!name)
		return NULL;
	/* "__libc_start_main@@GLIBC_2.34" -> "__libc_start_main" */
	snprintf(plain, sizeof(plain), "%.*s", (int)strcspn(name, "@"), name);
	if (strncmp(plain, "_Z", 2) != 0 || !(fn = demangler()))
		return dbg_intern(h, plain[0] ? plain : name);
	dem = fn(plain, NULL, NULL, &st);
	out = dbg_intern(h, st == 0 && dem ? dem : plain);
	free(dem);
	return out;
}

const char *dbg_source_path(struct dbg *h, uint64_t pc)
{
	Dwfl_Module *mod = dwfl_addrmodule(h->dwfl, pc);
	Dwfl_Line *ln = mod ? dwfl_module_getsrc(mod, pc) : NULL;
	const char *file = ln ? dwfl_lineinfo(ln, NULL, NULL, NULL, NULL, NULL) : NULL;
	Dwarf_Addr bias;
	Dwarf_Die *cu;
	Dwarf_Attribute a;
	const char *dir;
	char *path;
	const char *out;

	if (!file || file[0] == '/')
		return dbg_intern(h, file);
	cu = dwfl_module_addrdie(mod, pc, &bias);
	dir = cu ? dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &a)) : NULL;
	if (!dir || asprintf(&path, "%s/%s", dir, file) < 0)
		return dbg_intern(h, file);
	out = dbg_intern(h, path);
	free(path);
	return out;
}

/* ---- static addresses ---------------------------------------------------- */

int dbg_static_lookup(struct dbg *h, uint64_t addr, struct dbg_static *out)
{
	Dwfl_Module *mod = dwfl_addrmodule(h->dwfl, addr);
	Dwarf_Addr bias;
	Elf *elf;
	Elf_Scn *scn = NULL;
	const char *modname, *name;
	GElf_Off off;
	GElf_Sym sym;

	memset(out, 0, sizeof(*out));
	if (!mod)
		return -1;
	modname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	out->object = dbg_intern(h, dbg_base_name(modname));
	elf = dwfl_module_getelf(mod, &bias);
	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC))
			continue;
		if (addr - bias < sh.sh_addr || addr - bias >= sh.sh_addr + sh.sh_size)
			continue;
		if (sh.sh_type == SHT_NOBITS)
			out->sec = DBG_SEC_BSS;
		else if (sh.sh_flags & SHF_EXECINSTR)
			out->sec = DBG_SEC_TEXT;
		else if (sh.sh_flags & SHF_WRITE)
			out->sec = DBG_SEC_DATA;
		else
			out->sec = DBG_SEC_RODATA;
		break;
	}
	name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (name && sym.st_size > 0 && off < sym.st_size) {
		out->symbol = dbg_intern(h, name);
		out->offset = off;
	}
	return 0;
}

/* ---- symbols by name ------------------------------------------------------ */

struct symfind {
	const char *name;
	uint64_t addr;
	Dwfl_Module *only;
};

static int find_sym(Dwfl_Module *mod, void **ud, const char *mname,
		    Dwarf_Addr start, void *arg)
{
	struct symfind *f = arg;
	int n = dwfl_module_getsymtab(mod);

	(void)ud;
	(void)mname;
	(void)start;
	if (f->only && mod != f->only)
		return DWARF_CB_OK;
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		const char *nm = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);
		int t = GELF_ST_TYPE(sym.st_info), b = GELF_ST_BIND(sym.st_info);
		size_t l = f->name ? strlen(f->name) : 0;
		if (!nm || sym.st_shndx == SHN_UNDEF || addr == 0 ||
		    (t != STT_FUNC && t != STT_OBJECT && t != STT_GNU_IFUNC) ||
		    (b != STB_GLOBAL && b != STB_WEAK) || strncmp(nm, f->name, l) != 0 ||
		    (nm[l] != '\0' && nm[l] != '@'))
			continue;
		f->addr = addr;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

uint64_t dbg_symbol_addr(struct dbg *h, const char *name)
{
	struct symfind f = { name, 0, h->main_mod };

	if (h->main_mod)
		dwfl_getmodules(h->dwfl, find_sym, &f, 0);
	f.only = NULL;
	if (!f.addr)
		dwfl_getmodules(h->dwfl, find_sym, &f, 0);
	return f.addr;
}
