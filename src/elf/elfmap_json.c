/* elfmap_json: the layout object of `memlens layout --json`, also embedded
 * under "layout" in trace files.  The schema is in memlens(1), OUTPUT. */
#include "elf/elfmap_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/json.h"

static const char *sht_name(uint32_t t)
{
	switch (t) {
	case SHT_PROGBITS: return "PROGBITS";
	case SHT_NOBITS: return "NOBITS";
	case SHT_NOTE: return "NOTE";
	case SHT_DYNAMIC: return "DYNAMIC";
	case SHT_DYNSYM: return "DYNSYM";
	case SHT_SYMTAB: return "SYMTAB";
	case SHT_STRTAB: return "STRTAB";
	case SHT_RELA: return "RELA";
	case SHT_REL: return "REL";
	case SHT_HASH: return "HASH";
	case SHT_GNU_HASH: return "GNU_HASH";
	case SHT_INIT_ARRAY: return "INIT_ARRAY";
	case SHT_FINI_ARRAY: return "FINI_ARRAY";
	case SHT_PREINIT_ARRAY: return "PREINIT_ARRAY";
	case SHT_GROUP: return "GROUP";
	case SHT_GNU_versym: return "VERSYM";
	case SHT_GNU_verneed: return "VERNEED";
	case SHT_GNU_verdef: return "VERDEF";
	case SHT_RELR: return "RELR";
	}
	return "OTHER";
}

/* "r-x" from PF_* bits. */
static void perm(char out[4], uint32_t f)
{
	out[0] = f & PF_R ? 'r' : '-';
	out[1] = f & PF_W ? 'w' : '-';
	out[2] = f & PF_X ? 'x' : '-';
	out[3] = '\0';
}

static void write_file(struct json *j, const struct elfmap *m)
{
	const struct elfmap_facts *f = &m->facts;

	json_key(j, "file");
	json_obj_begin(j);
	json_kstr(j, "path", f->path);
	json_kint(j, "class", f->elfclass);
	json_kstr(j, "endian", f->big_endian ? "big" : "little");
	json_kstr(j, "machine", f->machine_name);
	json_kint(j, "machine_id", f->machine);
	json_kstr(j, "type", elfmap_type_key(f->type));
	json_kstr(j, "type_name", elfmap_type_name(f->type));
	json_kstr(j, "interp", f->interp);
	json_kuint(j, "entry", f->entry);
	json_kbool(j, "stripped", f->stripped);
	json_kbool(j, "debug_info", f->debug_info);
	json_key(j, "exec_stack");
	if (f->has_gnu_stack)
		json_bool(j, f->exec_stack);
	else
		json_null(j);
	json_key(j, "relro");
	if (f->has_relro) {
		json_obj_begin(j);
		json_kuint(j, "addr", f->relro_addr);
		json_kuint(j, "size", f->relro_size);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	json_key(j, "tls");
	if (f->has_tls) {
		json_obj_begin(j);
		json_kuint(j, "addr", f->tls_addr);
		json_kuint(j, "memsz", f->tls_memsz);
		json_kuint(j, "filesz", f->tls_filesz);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	json_obj_end(j);
}

static void write_segments(struct json *j, const struct elfmap *m)
{
	char p[4];

	json_key(j, "segments");
	json_arr_begin(j);
	for (size_t i = 0; i < m->nsegs; i++) {
		const struct elfmap_segment *g = &m->segs[i];
		json_obj_begin(j);
		json_kuint(j, "vaddr", g->vaddr);
		json_kuint(j, "memsz", g->memsz);
		json_kuint(j, "filesz", g->filesz);
		json_kuint(j, "offset", g->offset);
		json_kuint(j, "align", g->align);
		json_kuint(j, "flags", g->flags);
		perm(p, g->flags);
		json_kstr(j, "perm", p);
		json_key(j, "sections");
		json_arr_begin(j);
		for (size_t k = 0; k < g->nsecs; k++)
			json_str(j, m->secs[g->secs[k]].name);
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void write_sections(struct json *j, const struct elfmap *m)
{
	json_key(j, "sections");
	json_arr_begin(j);
	for (size_t i = 0; i < m->nsecs; i++) {
		const struct elfmap_section *s = &m->secs[i];
		json_obj_begin(j);
		json_kstr(j, "name", s->name);
		json_kuint(j, "addr", s->addr);
		json_kuint(j, "size", s->size);
		json_kuint(j, "offset", s->offset);
		json_kstr(j, "type", sht_name(s->type));
		json_kuint(j, "flags", s->flags);
		json_kstr(j, "region", elfmap_region_name(s->region));
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* The symbols are most of the output (300k of them in big programs), so
 * each record is formatted by hand into one buffer and written at once:
 * stdio calls per field were 80% of the run time. */
struct sbuf {
	char *p, *end;
};

static void put_str(struct sbuf *b, const char *s, size_t n)
{
	memcpy(b->p, s, n);
	b->p += n;
}

#define PUT_LIT(b, lit) put_str(b, lit, sizeof(lit) - 1)

static void put_u64(struct sbuf *b, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*b->p++ = tmp[--n];
}

/* A JSON string; names are plain almost always, so escape only if needed.
 * The buffer holds 6 bytes per input byte at worst. */
static void put_jstrn(struct sbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	*b->p++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
			*b->p++ = (char)c;
		} else if (c == '"' || c == '\\') {
			*b->p++ = '\\';
			*b->p++ = (char)c;
		} else {
			PUT_LIT(b, "\\u00");
			*b->p++ = hex[c >> 4];
			*b->p++ = hex[c & 15];
		}
	}
	*b->p++ = '"';
}

static void put_jstr(struct sbuf *b, const char *s) { put_jstrn(b, s, strlen(s)); }

static void write_symbols(struct json *j, const struct elfmap *m)
{
	size_t cap = 4096;
	char *buf = malloc(cap);
	size_t *seclen = calloc(m->nsecs + 1, sizeof(*seclen));

	for (size_t i = 0; seclen && i < m->nsecs; i++)
		seclen[i] = strlen(m->secs[i].name);

	json_key(j, "symbols");
	json_arr_begin(j);
	for (size_t i = 0; buf && seclen && i < m->nsyms; i++) {
		const struct elfmap_symbol *s = &m->syms[i];
		const char *sec = s->section >= 0 ? m->secs[s->section].name : NULL;
		size_t nlen = strlen(s->name), slen = sec ? seclen[s->section] : 0;
		size_t need = 256 + 6 * (nlen + slen + (s->source_name != s->name ? strlen(s->source_name) : 0) +
					 (s->scope ? strlen(s->scope) : 0));
		struct sbuf b;

		if (need > cap) {
			char *nb = realloc(buf, need);
			if (!nb)
				break;
			buf = nb, cap = need;
		}
		b.p = buf, b.end = buf + cap;
		PUT_LIT(&b, "{\"name\":");
		put_jstrn(&b, s->name, nlen);
		if (s->source_name != s->name) {
			PUT_LIT(&b, ",\"source_name\":");
			put_jstr(&b, s->source_name);
		}
		if (s->scope) {
			PUT_LIT(&b, ",\"scope\":");
			put_jstr(&b, s->scope);
		}
		PUT_LIT(&b, ",\"addr\":");
		put_u64(&b, s->addr);
		PUT_LIT(&b, ",\"size\":");
		put_u64(&b, s->size);
		PUT_LIT(&b, ",\"type\":\"");
		put_str(&b, elfmap_symtype_name(s->type), strlen(elfmap_symtype_name(s->type)));
		PUT_LIT(&b, "\",\"bind\":\"");
		put_str(&b, elfmap_bind_name(s->bind), strlen(elfmap_bind_name(s->bind)));
		PUT_LIT(&b, "\",\"section\":");
		if (sec)
			put_jstrn(&b, sec, slen);
		else
			PUT_LIT(&b, "null");
		PUT_LIT(&b, ",\"region\":\"");
		put_str(&b, elfmap_region_name(s->region), strlen(elfmap_region_name(s->region)));
		if (s->own)
			PUT_LIT(&b, "\",\"own\":true}");
		else
			PUT_LIT(&b, "\",\"own\":false}");
		json_raw(j, buf, (size_t)(b.p - buf));
	}
	free(buf);
	free(seclen);
	json_arr_end(j);
}

void elfmap_write_json(struct json *j, const struct elfmap *m)
{
	const struct elfmap_totals *t = &m->totals;

	json_obj_begin(j);
	write_file(j, m);
	write_segments(j, m);
	write_sections(j, m);
	write_symbols(j, m);
	json_key(j, "totals");
	json_obj_begin(j);
	json_kuint(j, "text", t->text);
	json_kuint(j, "data", t->data);
	json_kuint(j, "bss", t->bss);
	json_kuint(j, "dec", t->text + t->data + t->bss);
	json_key(j, "regions");
	json_obj_begin(j);
	for (int r = ELFMAP_R_TEXT; r < ELFMAP_R_COUNT; r++)
		json_kuint(j, elfmap_region_name((enum elfmap_region)r), t->region[r]);
	json_obj_end(j);
	json_kuint(j, "strings", t->strings);
	json_obj_end(j);
	json_key(j, "notes");
	json_arr_begin(j);
	for (size_t i = 0; i < m->nnotes; i++)
		json_str(j, m->notes[i]);
	json_arr_end(j);
	json_kbool(j, "damaged", m->damage != NULL);
	json_obj_end(j);
}
