/* jparse: the recursive-descent parser declared in jparse.h.  Depth is
 * bounded, every read is checked against the length, and allocation
 * failure is reported like a syntax error. */
#include "out/jparse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t fail(struct jdoc *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->err[0]) {
		va_start(ap, fmt);
		vsnprintf(d->err, sizeof(d->err), fmt, ap);
		va_end(ap);
		d->errpos = d->pos;
	}
	return JNONE;
}

static int grow(void **p, size_t *cap, size_t need, size_t sz)
{
	size_t nc = *cap ? *cap * 2 : 64;
	void *np;

	if (need <= *cap)
		return 0;
	while (nc < need)
		nc *= 2;
	if (!(np = realloc(*p, nc * sz)))
		return -1;
	*p = np;
	*cap = nc;
	return 0;
}

static void ws(struct jdoc *d)
{
	while (d->pos < d->len && (d->text[d->pos] == ' ' || d->text[d->pos] == '\t' ||
				   d->text[d->pos] == '\r' || d->text[d->pos] == '\n'))
		d->pos++;
}

static uint32_t new_val(struct jdoc *d, uint8_t type)
{
	if (d->nv >= JNONE - 1 || grow((void **)&d->v, &d->capv, d->nv + 1, sizeof(*d->v)) < 0)
		return fail(d, "out of memory");
	memset(&d->v[d->nv], 0, sizeof(d->v[0]));
	d->v[d->nv].type = type;
	d->v[d->nv].key = d->v[d->nv].first = d->v[d->nv].next = JNONE;
	d->v[d->nv].off = d->pos;
	return (uint32_t)d->nv++;
}

static int put(struct jdoc *d, const char *s, size_t n)
{
	if (!n)
		return 0;
	if (d->nsb + n >= JNONE || grow((void **)&d->sb, &d->capsb, d->nsb + n, 1) < 0)
		return -1;
	memcpy(d->sb + d->nsb, s, n);
	d->nsb += n;
	return 0;
}

static int hex4(struct jdoc *d, unsigned *out)
{
	unsigned v = 0;

	if (d->len - d->pos < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = d->text[d->pos++];
		v <<= 4;
		if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
		else return -1;
	}
	*out = v;
	return 0;
}

static int utf8(struct jdoc *d, unsigned cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) { b[0] = (char)cp; n = 1; }
	else if (cp < 0x800) { b[0] = (char)(0xc0 | cp >> 6); b[1] = (char)(0x80 | (cp & 0x3f)); n = 2; }
	else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12); b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f)); n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18); b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); b[3] = (char)(0x80 | (cp & 0x3f)); n = 4;
	}
	return put(d, b, n);
}

/* Decodes a string at d->pos (on the opening quote) into sb; returns its
 * offset or JNONE. */
static uint32_t str_body(struct jdoc *d)
{
	uint32_t start = (uint32_t)d->nsb;

	d->pos++;
	for (;;) {
		size_t run = d->pos;
		while (run < d->len && d->text[run] != '"' && d->text[run] != '\\' &&
		       (unsigned char)d->text[run] >= 0x20)
			run++;
		if (put(d, d->text + d->pos, run - d->pos) < 0)
			return fail(d, "out of memory");
		d->pos = run;
		if (d->pos >= d->len)
			return fail(d, "unterminated string");
		char c = d->text[d->pos];
		if (c == '"') {
			d->pos++;
			break;
		}
		if (c != '\\')
			return fail(d, "control character in a string");
		if (++d->pos >= d->len)
			return fail(d, "unterminated string");
		c = d->text[d->pos++];
		const char *simple = strchr("\"\\/bfnrt", c);
		if (c && simple) {
			static const char out[] = "\"\\/\b\f\n\r\t";
			if (put(d, &out[simple - "\"\\/bfnrt"], 1) < 0)
				return fail(d, "out of memory");
			continue;
		}
		if (c != 'u')
			return fail(d, "bad escape '\\%c' in a string", c);
		unsigned cp, lo;
		if (hex4(d, &cp) < 0)
			return fail(d, "bad \\u escape");
		if (cp >= 0xd800 && cp < 0xdc00) {
			if (d->len - d->pos < 6 || d->text[d->pos] != '\\' || d->text[d->pos + 1] != 'u')
				return fail(d, "lone surrogate in a string");
			d->pos += 2;
			if (hex4(d, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
				return fail(d, "bad surrogate pair in a string");
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		} else if (cp >= 0xdc00 && cp < 0xe000) {
			return fail(d, "lone surrogate in a string");
		}
		if (cp == 0)
			return fail(d, "\\u0000 in a string");
		if (utf8(d, cp) < 0)
			return fail(d, "out of memory");
	}
	if (put(d, "", 1) < 0)
		return fail(d, "out of memory");
	return start;
}

static uint32_t value(struct jdoc *d, int depth);

static uint32_t number(struct jdoc *d)
{
	uint32_t v = new_val(d, JT_INT);
	uint64_t u = 0;
	size_t digits = 0;

	if (v == JNONE)
		return v;
	if (d->text[d->pos] == '-') {
		d->v[v].neg = 1;
		d->pos++;
	}
	while (d->pos < d->len && d->text[d->pos] >= '0' && d->text[d->pos] <= '9') {
		unsigned dig = (unsigned)(d->text[d->pos++] - '0');
		if (u > (UINT64_MAX - dig) / 10)
			return fail(d, "number too large");
		u = u * 10 + dig;
		digits++;
	}
	if (!digits)
		return fail(d, "bad number");
	if (d->pos < d->len && strchr(".eE", d->text[d->pos]) && d->text[d->pos])
		return fail(d, "numbers must be integers");
	if (d->v[v].neg && u > (uint64_t)INT64_MAX + 1)
		return fail(d, "number too small");
	d->v[v].u = u;
	return v;
}

static uint32_t container(struct jdoc *d, int depth, bool obj)
{
	uint32_t v = new_val(d, obj ? JT_OBJ : JT_ARR), last = JNONE;
	char close = obj ? '}' : ']';

	if (v == JNONE)
		return v;
	if (depth >= JDOC_MAX_DEPTH)
		return fail(d, "nested too deeply");
	d->pos++;
	ws(d);
	if (d->pos < d->len && d->text[d->pos] == close) {
		d->pos++;
		return v;
	}
	for (;;) {
		uint32_t key = JNONE, c;
		ws(d);
		if (obj) {
			if (d->pos >= d->len || d->text[d->pos] != '"')
				return fail(d, "expected a member name");
			if ((key = str_body(d)) == JNONE)
				return JNONE;
			ws(d);
			if (d->pos >= d->len || d->text[d->pos] != ':')
				return fail(d, "expected ':'");
			d->pos++;
		}
		if ((c = value(d, depth + 1)) == JNONE)
			return JNONE;
		d->v[c].key = key;
		if (last == JNONE)
			d->v[v].first = c;
		else
			d->v[last].next = c;
		last = c;
		d->v[v].u++;
		ws(d);
		if (d->pos < d->len && d->text[d->pos] == ',') {
			d->pos++;
			continue;
		}
		if (d->pos < d->len && d->text[d->pos] == close) {
			d->pos++;
			return v;
		}
		return fail(d, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static bool word(struct jdoc *d, const char *w)
{
	size_t n = strlen(w);

	if (d->len - d->pos < n || memcmp(d->text + d->pos, w, n) != 0)
		return false;
	d->pos += n;
	return true;
}

static uint32_t value(struct jdoc *d, int depth)
{
	uint32_t v;
	size_t start;
	char c;

	ws(d);
	if (d->pos >= d->len)
		return fail(d, "unexpected end of line");
	start = d->pos;
	c = d->text[d->pos];
	if (c == '{' || c == '[') {
		v = container(d, depth, c == '{');
	} else if (c == '"') {
		if ((v = new_val(d, JT_STR)) != JNONE) {
			uint32_t s = str_body(d);
			if (s == JNONE)
				return JNONE;
			d->v[v].str = s;
		}
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		v = number(d);
	} else if (word(d, "true") || word(d, "false")) {
		if ((v = new_val(d, JT_BOOL)) != JNONE)
			d->v[v].b = d->text[start] == 't';
	} else if (word(d, "null")) {
		v = new_val(d, JT_NULL);
	} else {
		return fail(d, "unexpected character '%c'", c >= 0x20 && c < 0x7f ? c : '?');
	}
	if (v == JNONE)
		return JNONE;
	d->v[v].off = start;
	d->v[v].len = d->pos - start;
	return v;
}

uint32_t jdoc_parse(struct jdoc *d, const char *text, size_t len)
{
	uint32_t root;

	d->nv = d->nsb = 0;
	d->text = text;
	d->len = len;
	d->pos = 0;
	d->err[0] = '\0';
	d->errpos = 0;
	if ((root = value(d, 0)) == JNONE)
		return JNONE;
	ws(d);
	if (d->pos != d->len)
		return fail(d, "text after the value");
	return root;
}

void jdoc_free(struct jdoc *d)
{
	free(d->v);
	free(d->sb);
	memset(d, 0, sizeof(*d));
}

uint32_t jobj_get(const struct jdoc *d, uint32_t obj, const char *key)
{
	if (obj == JNONE || d->v[obj].type != JT_OBJ)
		return JNONE;
	for (uint32_t c = d->v[obj].first; c != JNONE; c = d->v[c].next) {
		const char *k = d->sb + d->v[c].key;
		if (k[0] == key[0] && strcmp(k, key) == 0)
			return c;
	}
	return JNONE;
}
