/* maps: parses /proc/PID/maps from a stream into labelled model regions.
 * The program's own mappings are labelled by the ELF segment they hold
 * (placed through the load bias), everything else by name and shape. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elfmap.h"
#include "trace/trace.h"

#include <elf.h>

struct line {
	uint64_t start, end, off;
	char perms[5];
	char path[4096];
	bool anon;
};

static int parse_line(const char *s, struct line *l)
{
	unsigned long long a, b, off, ino;
	char perms[8], dev[16];
	int n = 0;

	if (sscanf(s, "%llx-%llx %7s %llx %15s %llu %n", &a, &b, perms, &off, dev,
		   &ino, &n) < 6 || n == 0 || strlen(perms) != 4 || b < a)
		return -1;
	l->start = a;
	l->end = b;
	l->off = off;
	memcpy(l->perms, perms, 5);
	snprintf(l->path, sizeof(l->path), "%s", s + n);
	l->path[strcspn(l->path, "\n")] = '\0';
	/* a deleted file keeps its name with " (deleted)" after it */
	char *d = strstr(l->path, " (deleted)");
	if (d && d[10] == '\0')
		*d = '\0';
	l->anon = l->path[0] == '\0';
	return 0;
}

/* Copies a name, cut to fit (long paths keep their start). */
static void set_name(struct model_region *g, const char *s)
{
	size_t n = strlen(s);

	if (n >= sizeof(g->name))
		n = sizeof(g->name) - 1;
	memmove(g->name, s, n);
	g->name[n] = '\0';
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The kind of the program's own mapping at [start, end): the ELF segment
 * that holds it decides (a RELRO page turned read-only is still data). */
static int own_kind(const struct trace_layout *lay, const struct line *l)
{
	size_t n = 0;
	const struct elfmap_segment *seg = lay->elf ? elfmap_segments(lay->elf, &n) : NULL;

	for (size_t i = 0; i < n; i++) {
		uint64_t lo = (lay->bias + seg[i].vaddr) & ~UINT64_C(0xfff);
		uint64_t hi = lay->bias + seg[i].vaddr + seg[i].memsz;
		if (l->start < hi && l->end > lo) {
			if (seg[i].flags & PF_X)
				return MR_TEXT;
			if (seg[i].flags & PF_W)
				return MR_DATA;
			return MR_RODATA;
		}
	}
	if (l->perms[2] == 'x')
		return MR_TEXT;
	return l->perms[1] == 'w' ? MR_DATA : MR_RODATA;
}

/* The end of the program's bss (the highest PT_LOAD end), or 0. */
static uint64_t own_end(const struct trace_layout *lay)
{
	size_t n = 0;
	const struct elfmap_segment *seg = lay->elf ? elfmap_segments(lay->elf, &n) : NULL;
	uint64_t end = 0;

	for (size_t i = 0; i < n; i++)
		if (lay->bias + seg[i].vaddr + seg[i].memsz > end)
			end = lay->bias + seg[i].vaddr + seg[i].memsz;
	return end;
}

static bool is_exe(const struct trace_layout *lay, const struct line *l)
{
	return lay && lay->exe && !l->anon && strcmp(l->path, lay->exe) == 0;
}

ssize_t trace_maps_parse(FILE *f, const struct trace_layout *lay,
			 struct model_region **out, struct err *e)
{
	struct model_region *r = NULL;
	size_t n = 0, cap = 0, lineno = 0;
	struct line *l = malloc(sizeof(*l));
	char *buf = NULL;
	size_t bufcap = 0;
	uint64_t exe_last_end = 0;
	/* without the ELF, trust adjacency: the anonymous rw mapping right
	 * after the program's file is its bss */
	uint64_t bss_end = lay && lay->elf ? own_end(lay) : UINT64_MAX;

	*out = NULL;
	if (!l)
		return err_errno(e, ERR_INTERNAL, ENOMEM, "maps");
	while (getline(&buf, &bufcap, f) > 0) {
		lineno++;
		if (buf[0] == '\n')
			continue;
		if (parse_line(buf, l) < 0) {
			err_set(e, ERR_INPUT, "maps: line %zu: not a memory mapping", lineno);
			free(r);
			r = NULL;
			n = 0;
			goto fail;
		}
		if (n == cap) {
			struct model_region *nr = realloc(r, (cap ? cap * 2 : 32) * sizeof(*r));
			if (!nr) {
				err_errno(e, ERR_INTERNAL, ENOMEM, "maps");
				free(r);
				r = NULL;
				n = 0;
				goto fail;
			}
			r = nr;
			cap = cap ? cap * 2 : 32;
		}
		struct model_region *g = &r[n];
		memset(g, 0, sizeof(*g));
		g->start = l->start;
		g->end = l->end;
		memcpy(g->perms, l->perms, 5);
		if (is_exe(lay, l)) {
			g->kind = (uint8_t)own_kind(lay, l);
			set_name(g, base_name(l->path));
			exe_last_end = l->end;
		} else if (strcmp(l->path, "[heap]") == 0) {
			g->kind = MR_HEAP;
			strcpy(g->name, "[heap]");
		} else if (strcmp(l->path, "[stack]") == 0) {
			g->kind = MR_STACK;
			strcpy(g->name, "[stack]");
		} else if (strncmp(l->path, "[stack:", 7) == 0) {
			g->kind = MR_THREAD_STACK;
			set_name(g, l->path);
		} else if (strcmp(l->path, "[vdso]") == 0 || strncmp(l->path, "[vvar", 5) == 0 ||
			   strcmp(l->path, "[vsyscall]") == 0) {
			g->kind = MR_VDSO;
			set_name(g, l->path);
		} else if (!l->anon && l->path[0] == '/') {
			/* a shared library, or some other file mapped in */
			g->kind = strstr(base_name(l->path), ".so") ? MR_LIB : MR_OTHER;
			set_name(g, base_name(l->path));
		} else if (l->anon && exe_last_end && l->start == exe_last_end &&
			   l->start < bss_end && l->perms[1] == 'w') {
			/* the tail of the program's bss, beyond its file pages */
			g->kind = MR_BSS;
			set_name(g, r[n - 1].name);
			exe_last_end = l->end;
		} else if (l->anon && n > 0 && r[n - 1].end == l->start &&
			   strcmp(r[n - 1].perms, "---p") == 0 && r[n - 1].kind == MR_MMAP &&
			   l->perms[0] == 'r' && l->perms[1] == 'w') {
			/* glibc's thread stacks: a PROT_NONE guard right below */
			g->kind = MR_THREAD_STACK;
			strcpy(g->name, "[thread stack]");
			r[n - 1].kind = MR_THREAD_STACK;
			strcpy(r[n - 1].name, "[guard]");
		} else {
			g->kind = MR_MMAP;
			set_name(g, l->anon ? "" : l->path);
		}
		n++;
	}
	/* The file mapping of the bss's first page is data with bss in its
	 * tail; a separate anonymous mapping is all bss (labelled above). */
	*out = r;
	free(buf);
	free(l);
	return (ssize_t)n;
fail:
	free(buf);
	free(l);
	return -1;
}
