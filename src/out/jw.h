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

#include "out/out.h" /* out_file_put */

#define JW_BUF 4096
#define JW_DEPTH 8

struct jw {
	FILE *f;
	char *b;        /* the line so far: in `own`, or formatted in place in
	                   the buffer of out_file_open's stream (`direct`) */
	size_t n, cap;
	int depth;
	bool after_key;
	bool direct;
	bool first[JW_DEPTH];
	char own[JW_BUF];
};

/* The per-byte helpers are forced inline (keys are literals: their
 * strlen folds); the buffer's slow path is not. */
#define JW_HOT static inline __attribute__((always_inline))

/* Hands the bytes on (in place: they are only committed) and goes on in
 * `own`: after a flush others may write to the stream (trace --frames). */
static __attribute__((noinline, unused)) void jw_flush(struct jw *w)
{
	if (w->n && w->direct)
		out_file_commit(w->f, w->n);
	else if (w->n)
		out_file_put(w->f, w->b, w->n);
	w->n = 0;
	w->direct = false;
	w->b = w->own;
	w->cap = JW_BUF;
}

JW_HOT void jw_need(struct jw *w, size_t k)
{
	if (__builtin_expect(w->n + k > w->cap, 0))
		jw_flush(w);
}

JW_HOT void jw_c(struct jw *w, char c)
{
	jw_need(w, 1);
	w->b[w->n++] = c;
}

static inline void jw_raw(struct jw *w, const char *s, size_t k)
{
	if (w->n + k <= w->cap) {
		memcpy(w->b + w->n, s, k);
		w->n += k;
		return;
	}
	while (k) {
		size_t room, t;
		jw_need(w, k < 64 ? k : 64);
		room = w->cap - w->n;
		t = k < room ? k : room;
		memcpy(w->b + w->n, s, t);
		w->n += t;
		s += t;
		k -= t;
	}
}

JW_HOT void jw_sep(struct jw *w)
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

	/* the common case: nothing to escape, one copy (through a local
	 * pointer: a store through char * could change w's own members, so
	 * the compiler would reload them after every byte) */
	while (s[plain] && s[plain] != '"' && s[plain] != '\\' &&
	       (unsigned char)s[plain] >= 0x20 && s[plain] != 0x7f)
		plain++;
	if (!s[plain] && w->n + plain + 2 <= w->cap) {
		char *p = w->b + w->n;
		*p++ = '"';
		memcpy(p, s, plain);
		p[plain] = '"';
		w->n += plain + 2;
		return;
	}
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

/* Keys are our own names: no escaping needed.  The separator is decided
 * first and the bytes stored through a local pointer (see jw_esc). */
JW_HOT void jw_key(struct jw *w, const char *k)
{
	size_t n = strlen(k);
	bool comma = !w->after_key && !w->first[w->depth];
	char *p;

	w->first[w->depth] = false;
	w->after_key = true;
	jw_need(w, n + 4);
	p = w->b + w->n;
	*p = ',';
	p += comma;
	*p++ = '"';
	memcpy(p, k, n);
	p += n;
	p[0] = '"';
	p[1] = ':';
	w->n = (size_t)(p + 2 - w->b);
}

/* Digits of v in decimal (v = 0: 1). */
static inline unsigned jw_ndigits(uint64_t v)
{
	static const uint64_t p10[20] = {
		1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
		100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
		1000000000000ull, 10000000000000ull, 100000000000000ull,
		1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
		1000000000000000000ull, 10000000000000000000ull,
	};
	unsigned t = (unsigned)(64 - __builtin_clzll(v | 1)) * 1233 >> 12; /* ~log10 */

	return t + 1 - ((v | 1) < p10[t]);
}

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "jw_digits stores digit words little-endian"
#endif

/* The eight decimal digits of x < 10^8, zero-padded, as ASCII in one
 * word whose first byte in memory is the leading digit: the four pairs
 * in 16-bit lanes, then tens and units per lane, with no table and no
 * loop (SWAR; checked for every x by tests/check_json_fast.c). */
static inline uint64_t jw_swar8(uint32_t x)
{
	uint64_t merged = (uint64_t)(x / 10000) | ((uint64_t)(x % 10000) << 32);
	uint64_t top = ((merged * 10486) >> 20) & ((0x7Full << 32) | 0x7F); /* /100 per lane */
	uint64_t hundreds = ((merged - 100 * top) << 16) + top;
	uint64_t tens = ((hundreds * 103) >> 10) & 0x000F000F000F000Full; /* /10 */

	tens += (hundreds - 10 * tens) << 8;
	return tens + 0x3030303030303030ull;
}

/* The same for x < 10^4: four digits in one 32-bit word. */
static inline uint32_t jw_swar4(uint32_t x)
{
	uint32_t top = (x * 10486) >> 20; /* x / 100 */
	uint32_t hundreds = ((x - 100 * top) << 16) + top;
	uint32_t tens = ((hundreds * 103) >> 10) & 0x000F000F;

	tens += (hundreds - 10 * tens) << 8;
	return tens + 0x30303030;
}

/* The room jw_digits needs at p. */
#define JW_DIGITS_ROOM 24

/* jw_digits for v < 10^4 (4 bytes may change). */
JW_HOT char *jw_digits4(char *p, uint32_t v)
{
	unsigned n = 1 + (v >= 10) + (v >= 100) + (v >= 1000);
	uint32_t c = jw_swar4(v) >> (8 * (4 - n));

	memcpy(p, &c, 4);
	return p + n;
}

/* Writes v in decimal at p and returns the end of the digits.  It stores
 * whole 8-byte words, so up to JW_DIGITS_ROOM bytes from p may change:
 * the bytes after the returned end are garbage the caller overwrites or
 * never hands on.  The 14-15 digit addresses that fill a trace line cost
 * two words and no loop. */
static inline char *jw_digits(char *p, uint64_t v)
{
	unsigned n;
	uint64_t a, b;

	if (v < 10000) /* sizes, flags: the other half of the numbers */
		return jw_digits4(p, (uint32_t)v);
	if (__builtin_expect(v >= 10000000000000000ull, 0)) {
		/* 17-20 digits: the top (at most 1844) first, then 16 */
		uint32_t top = (uint32_t)(v / 10000000000000000ull);

		n = jw_ndigits(top);
		a = jw_swar8(top) >> (8 * (8 - n));
		memcpy(p, &a, 8);
		p += n;
		v -= top * 10000000000000000ull;
		n = 16;
	} else {
		n = jw_ndigits(v);
		if (v < 100000000) {
			a = jw_swar8((uint32_t)v) >> (8 * (8 - n));
			memcpy(p, &a, 8);
			return p + n;
		}
	}
	/* n digits, 8 < n <= 16: the high part's word shifted past its
	 * leading zeros, then the low eight digits over its tail */
	a = jw_swar8((uint32_t)(v / 100000000)) >> (8 * (16 - n));
	b = jw_swar8((uint32_t)(v % 100000000));
	memcpy(p, &a, 8);
	memcpy(p + n - 8, &b, 8);
	return p + n;
}

static inline void jw_uint(struct jw *w, uint64_t v)
{
	jw_sep(w);
	jw_need(w, JW_DIGITS_ROOM);
	w->n = (size_t)(jw_digits(w->b + w->n, v) - w->b);
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

JW_HOT void jw_kuint(struct jw *w, const char *k, uint64_t v) { jw_key(w, k); jw_uint(w, v); }
JW_HOT void jw_kint(struct jw *w, const char *k, int64_t v) { jw_key(w, k); jw_int(w, v); }
JW_HOT void jw_kstr(struct jw *w, const char *k, const char *s) { jw_key(w, k); jw_str(w, s); }

JW_HOT void jw_open(struct jw *w, char c)
{
	jw_sep(w);
	jw_c(w, c);
	if (w->depth < JW_DEPTH - 1)
		w->depth++;
	w->first[w->depth] = true;
}

JW_HOT void jw_close(struct jw *w, char c)
{
	jw_c(w, c);
	if (w->depth > 0)
		w->depth--;
}

static inline void jw_init(struct jw *w, FILE *f)
{
	w->f = f;
	w->direct = out_file_room(f, JW_BUF, &w->b, &w->cap);
	if (!w->direct) {
		w->b = w->own;
		w->cap = JW_BUF;
	}
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
