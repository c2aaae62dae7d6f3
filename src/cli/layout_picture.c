/* layout_picture: the address space as the file lays it out, drawn as
 * boxes with high addresses on top.  Box heights grow one line for every
 * 16x in size (a linear scale would make .text a line and .bss a page);
 * gaps between regions are drawn as gaps. */
#include "cli/layout_text.h"

#include <elf.h>
#include <inttypes.h>
#include <string.h>

#include "elf/elfmap.h"
#include "util/fmt.h"

#define MAX_BLOCKS 512
#define MAX_NAMES 64
#define BOX_W 28     /* inner width of a box */
#define GAP_MIN 64   /* smaller gaps are alignment padding, not shown */

struct block {
	uint64_t lo, hi;
	enum elfmap_region region;
	uint32_t perm;        /* PF_* of the segment holding it, if any */
	const char *names[MAX_NAMES];
	int nnames;
	int more;             /* names that did not fit */
};

const char *layout_color(enum elfmap_region r, const struct layout_style *st)
{
	static const char *c[] = { "", "\033[31m", "\033[33m", "\033[32m", "\033[34m", "\033[35m", "\033[35m" };

	if (!st->color || (unsigned)r >= ELFMAP_R_COUNT)
		return "";
	return c[r];
}

const char *layout_reset(const struct layout_style *st) { return st->color ? "\033[0m" : ""; }

static uint32_t perm_at(const struct elfmap *m, uint64_t addr)
{
	size_t n;
	const struct elfmap_segment *g = elfmap_segments(m, &n);

	for (size_t i = 0; i < n; i++)
		if (addr >= g[i].vaddr && addr - g[i].vaddr < g[i].memsz)
			return g[i].flags;
	return 0;
}

static void add_name(struct block *b, const char *name)
{
	if (b->nnames < MAX_NAMES)
		b->names[b->nnames++] = name;
	else
		b->more++;
}

/* Groups the sections into blocks of one region each. */
static size_t blocks_from_sections(const struct elfmap *m, struct block *bl)
{
	size_t ns, n = 0;
	const struct elfmap_section *s = elfmap_sections(m, &ns);

	for (size_t i = 0; i < ns; i++) {
		struct block *cur = n ? &bl[n - 1] : NULL;
		uint32_t perm;

		if (s[i].size == 0 || s[i].region == ELFMAP_R_TBSS)
			continue; /* tbss takes no addresses: each thread gets a copy */
		perm = perm_at(m, s[i].addr);
		if (cur && cur->region == s[i].region && cur->perm == perm &&
		    s[i].addr >= cur->lo && s[i].addr - cur->hi < GAP_MIN) {
			if (s[i].addr + s[i].size > cur->hi)
				cur->hi = s[i].addr + s[i].size;
			add_name(cur, s[i].name);
			continue;
		}
		if (n == MAX_BLOCKS)
			break;
		cur = &bl[n++];
		memset(cur, 0, sizeof(*cur));
		cur->lo = s[i].addr;
		cur->hi = s[i].addr + s[i].size < s[i].addr ? UINT64_MAX : s[i].addr + s[i].size;
		cur->region = s[i].region;
		cur->perm = perm;
		add_name(cur, s[i].name);
	}
	return n;
}

/* Without sections (a core file, a damaged section table): one block per
 * segment, its region guessed from its permissions. */
static size_t blocks_from_segments(const struct elfmap *m, struct block *bl)
{
	size_t ng, n = 0;
	const struct elfmap_segment *g = elfmap_segments(m, &ng);

	for (size_t i = 0; i < ng && n + 2 <= MAX_BLOCKS; i++) {
		struct block *b = &bl[n];
		if (g[i].memsz == 0)
			continue;
		memset(b, 0, sizeof(*b));
		b->lo = g[i].vaddr;
		b->hi = g[i].vaddr + g[i].memsz;
		b->perm = g[i].flags;
		b->region = g[i].flags & PF_X ? ELFMAP_R_TEXT :
			    g[i].flags & PF_W ? ELFMAP_R_DATA : ELFMAP_R_RODATA;
		add_name(b, "(segment)");
		n++;
		if (b->region == ELFMAP_R_DATA && g[i].filesz < g[i].memsz && g[i].filesz) {
			b->hi = g[i].vaddr + g[i].filesz;
			b = &bl[n++];
			*b = bl[n - 2];
			b->lo = g[i].vaddr + g[i].filesz;
			b->hi = g[i].vaddr + g[i].memsz;
			b->region = ELFMAP_R_BSS;
		}
	}
	/* segments may come in any order: sort by address (few of them) */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && bl[k - 1].lo > bl[k].lo; k--) {
			struct block t = bl[k];
			bl[k] = bl[k - 1];
			bl[k - 1] = t;
		}
	return n;
}

/* Rows inside a box: one more for every 16x in size. */
static int rows_for(uint64_t size)
{
	int r = 1;

	for (uint64_t lim = 1024; size >= lim && r < 6; lim *= 16)
		r++;
	return r;
}

static void hline(FILE *f, const struct layout_style *st, const char *l, const char *r)
{
	fputs(l, f);
	for (int i = 0; i < BOX_W; i++)
		fputs(st->utf8 ? "\u2500" : "-", f);
	fputs(r, f);
}

/* Writes as many section names as fit in `room` columns from *next on. */
static void names_line(FILE *f, const struct block *b, int *next, int room, bool last)
{
	int used = 0;

	while (*next < b->nnames) {
		int len = (int)strlen(b->names[*next]) + (used ? 1 : 0);
		if (used && used + len > room)
			break;
		if (!used && len > room) { /* a name longer than the room */
			fprintf(f, " %.*s", room > 1 ? room - 1 : 0, b->names[*next]);
			(*next)++;
			return;
		}
		fprintf(f, "%s%s", used ? " " : " ", b->names[*next]);
		used += len + (used ? 0 : 1);
		(*next)++;
	}
	if (last && (*next < b->nnames || b->more)) {
		int rest = b->nnames - *next + b->more;
		fprintf(f, " +%d", rest);
		*next = b->nnames;
	}
}

/* Do the names from `next` on fit in `room` columns? */
static bool rest_fits(const struct block *b, int next, int room)
{
	int used = 0;

	if (b->more)
		return false;
	for (int i = next; i < b->nnames; i++)
		used += 1 + (int)strlen(b->names[i]);
	return used <= room;
}

void layout_print_picture(FILE *f, const struct elfmap *m, const struct layout_style *st)
{
	static struct block bl[MAX_BLOCKS];
	const char *v = st->utf8 ? "\u2502" : "|";
	size_t n = blocks_from_sections(m, bl);
	uint64_t maxaddr = 0;
	int hexw = 4, room;

	if (n == 0)
		n = blocks_from_segments(m, bl);
	if (n == 0) {
		fprintf(f, "  (nothing is loaded into memory)\n");
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (bl[i].hi > maxaddr)
			maxaddr = bl[i].hi;
	while (hexw < 16 && (maxaddr >> (4 * hexw)) != 0)
		hexw++;
	room = (st->width > 0 ? st->width : 80) - (2 + 2 + hexw + 1) - (BOX_W + 2) - 1;
	fprintf(f, "%*s high addresses\n", 2 + 2 + hexw + 1, "");
	for (size_t k = n; k-- > 0;) {
		const struct block *b = &bl[k];
		char sz[FMT_SIZE_LEN], perm[4], label[BOX_W + 1];
		int rows = rows_for(b->hi - b->lo), next = 0;
		bool joined = k + 1 < n && bl[k + 1].lo >= b->hi && bl[k + 1].lo - b->hi < GAP_MIN;

		if (!joined) {
			if (k + 1 < n) { /* close the box above, then show the gap */
				fprintf(f, "  0x%0*" PRIx64 " ", hexw, bl[k + 1].lo);
				hline(f, st, st->utf8 ? "\u2514" : "+", st->utf8 ? "\u2518" : "+");
				fputc('\n', f);
				if (bl[k + 1].lo > b->hi)
					fprintf(f, "  %*s %s gap of %s\n", hexw + 2, "", st->utf8 ? "\u22ee" : ":",
						fmt_size(sz, bl[k + 1].lo - b->hi));
				else
					fprintf(f, "  %*s %s overlaps the region above\n", hexw + 2, "", st->utf8 ? "\u22ee" : ":");
			}
			fprintf(f, "  0x%0*" PRIx64 " ", hexw, b->hi);
			hline(f, st, st->utf8 ? "\u250c" : "+", st->utf8 ? "\u2510" : "+");
		} else {
			fprintf(f, "  0x%0*" PRIx64 " ", hexw, bl[k + 1].lo);
			hline(f, st, st->utf8 ? "\u251c" : "+", st->utf8 ? "\u2524" : "+");
		}
		fputc('\n', f);
		perm[0] = b->perm & PF_R ? 'r' : '-';
		perm[1] = b->perm & PF_W ? 'w' : '-';
		perm[2] = b->perm & PF_X ? 'x' : '-';
		perm[3] = '\0';
		for (int r = 0; r < rows; r++) {
			fprintf(f, "  %*s %s", hexw + 2, "", v);
			if (r == 0) {
				snprintf(label, sizeof(label), " %-7s %10s  %s", elfmap_region_name(b->region),
					 fmt_size(sz, b->hi - b->lo), b->perm ? perm : "");
				fprintf(f, "%s%.8s%s%-*s", layout_color(b->region, st), label,
					layout_reset(st), BOX_W - 8, label + 8);
			} else {
				fprintf(f, "%*s", BOX_W, "");
			}
			fputs(v, f);
			/* the last row keeps room for " +NN" unless the rest fits */
			names_line(f, b, &next, r == rows - 1 && !rest_fits(b, next, room) ? room - 4 : room,
				   r == rows - 1);
			fputc('\n', f);
		}
	}
	fprintf(f, "  0x%0*" PRIx64 " ", hexw, bl[0].lo);
	hline(f, st, st->utf8 ? "\u2514" : "+", st->utf8 ? "\u2518" : "+");
	fprintf(f, "\n%*s low addresses\n%*s (box heights grow a line for every 16x in size)\n",
		2 + 2 + hexw + 1, "", 2 + 2 + hexw + 1, "");
}
