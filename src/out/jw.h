/* jw: a fast JSON Lines writer for the per-event lines, byte for byte the
 * output util/json.c gives (compact, same escapes), but formatting into a
 * buffer and writing each line with one fwrite: the trace writer must keep
 * up with a program that allocates every few nanoseconds. */
#ifndef MEMLENS_OUT_JW_H
#define MEMLENS_OUT_JW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define JW_BUF 4096
#define JW_DEPTH 8

struct jw {
	FILE *f;
	size_t n;
	int depth;
	bool after_key;
	bool first[JW_DEPTH];
	char b[JW_BUF];
};

static inline void jw_flush(struct jw *w)
{
	if (w->n)
		fwrite(w->b, 1, w->n, w->f);
	w->n = 0;
}

static inline void jw_need(struct jw *w, size_t k)
{
	if (w->n + k > JW_BUF)
		jw_flush(w);
}

static inline void jw_c(struct jw *w, char c)
{
	jw_need(w, 1);
	w->b[w->n++] = c;
}

static inline void jw_raw(struct jw *w, const char *s, size_t k)
{
	if (w->n + k <= JW_BUF) {
		memcpy(w->b + w->n, s, k);
		w->n += k;
		return;
	}
	while (k) {
		size_t room, t;
		jw_need(w, k < 64 ? k : 64);
		room = JW_BUF - w->n;
		t = k < room ? k : room;
		memcpy(w->b + w->n, s, t);
		w->n += t;
		s += t;
		k -= t;
	}
}

static inline void jw_sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		jw_c(w, ',');
	w->first[w->depth] = false;
}

static inline void jw_esc(struct jw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t plain = 0;

	/* the common case: nothing to escape, one copy */
	while (s[plain] && s[plain] != '"' && s[plain] != '\\' &&
	       (unsigned char)s[plain] >= 0x20 && s[plain] != 0x7f)
		plain++;
	jw_c(w, '"');
	jw_raw(w, s, plain);
	for (s += plain; *s; s++) {
		unsigned char c = (unsigned char)*s;
		jw_need(w, 6);
		switch (c) {
		case '"': w->b[w->n++] = '\\'; w->b[w->n++] = '"'; break;
		case '\\': w->b[w->n++] = '\\'; w->b[w->n++] = '\\'; break;
		case '\n': w->b[w->n++] = '\\'; w->b[w->n++] = 'n'; break;
		case '\r': w->b[w->n++] = '\\'; w->b[w->n++] = 'r'; break;
		case '\t': w->b[w->n++] = '\\'; w->b[w->n++] = 't'; break;
		default:
			if (c < 0x20 || c == 0x7f) {
				memcpy(w->b + w->n, "\\u00", 4);
				w->b[w->n + 4] = hex[c >> 4];
				w->b[w->n + 5] = hex[c & 15];
				w->n += 6;
			} else {
				w->b[w->n++] = (char)c;
			}
		}
	}
	jw_c(w, '"');
}

/* Keys are our own names: no escaping needed. */
static inline void jw_key(struct jw *w, const char *k)
{
	size_t n = strlen(k);

	jw_sep(w);
	jw_need(w, n + 3);
	w->b[w->n++] = '"';
	memcpy(w->b + w->n, k, n);
	w->n += n;
	w->b[w->n++] = '"';
	w->b[w->n++] = ':';
	w->after_key = true;
}

static inline void jw_uint(struct jw *w, uint64_t v)
{
	static const char d2[201] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char t[24];
	int i = 24;

	jw_sep(w);
	while (v >= 100) { /* two digits per division */
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		t[--i] = d2[2 * r + 1];
		t[--i] = d2[2 * r];
	}
	if (v >= 10) {
		t[--i] = d2[2 * v + 1];
		t[--i] = d2[2 * v];
	} else {
		t[--i] = (char)('0' + v);
	}
	jw_raw(w, t + i, (size_t)(24 - i));
}

static inline void jw_int(struct jw *w, int64_t v)
{
	if (v >= 0) {
		jw_uint(w, (uint64_t)v);
		return;
	}
	jw_sep(w);
	jw_c(w, '-');
	w->after_key = true; /* the digits follow without a separator */
	jw_uint(w, (uint64_t)0 - (uint64_t)v);
}

static inline void jw_str(struct jw *w, const char *s)
{
	jw_sep(w);
	if (s)
		jw_esc(w, s);
	else
		jw_raw(w, "null", 4);
}

static inline void jw_kuint(struct jw *w, const char *k, uint64_t v) { jw_key(w, k); jw_uint(w, v); }
static inline void jw_kint(struct jw *w, const char *k, int64_t v) { jw_key(w, k); jw_int(w, v); }
static inline void jw_kstr(struct jw *w, const char *k, const char *s) { jw_key(w, k); jw_str(w, s); }

static inline void jw_open(struct jw *w, char c)
{
	jw_sep(w);
	jw_c(w, c);
	if (w->depth < JW_DEPTH - 1)
		w->depth++;
	w->first[w->depth] = true;
}

static inline void jw_close(struct jw *w, char c)
{
	jw_c(w, c);
	if (w->depth > 0)
		w->depth--;
}

static inline void jw_init(struct jw *w, FILE *f)
{
	w->f = f;
	w->n = 0;
	w->depth = 0;
	w->first[0] = true;
	w->after_key = false;
}

static inline void jw_end_line(struct jw *w)
{
	jw_c(w, '\n');
	jw_flush(w);
}

#endif
