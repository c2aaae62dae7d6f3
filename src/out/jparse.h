/* jparse: a small JSON parser for one trace line at a time.  It builds a
 * tree in arrays owned by `struct jdoc` (reused line after line), keeps
 * each value's span of source text (so unknown objects can be re-emitted
 * verbatim), and refuses what trace files never hold: fractions and
 * exponents, "\u0000", nesting deeper than JDOC_MAX_DEPTH.  Never reads
 * past `len`; errors carry the byte offset. */
#ifndef MEMLENS_OUT_JPARSE_H
#define MEMLENS_OUT_JPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JDOC_MAX_DEPTH 32
#define JNONE UINT32_MAX

enum jtype { JT_NULL, JT_BOOL, JT_INT, JT_STR, JT_ARR, JT_OBJ };

struct jval {
	uint8_t type;      /* enum jtype */
	uint8_t neg;       /* JT_INT: negative (u holds the magnitude) */
	uint8_t b;         /* JT_BOOL */
	uint32_t key;      /* object member: offset of its key in sb, else JNONE */
	uint32_t first;    /* JT_ARR/JT_OBJ: first child, or JNONE */
	uint32_t next;     /* next sibling, or JNONE */
	uint32_t str;      /* JT_STR: offset of the decoded string in sb */
	uint64_t u;        /* JT_INT magnitude; JT_ARR/JT_OBJ: child count */
	size_t off, len;   /* the value's span in the source text */
};

struct jdoc {
	struct jval *v;
	size_t nv, capv;
	char *sb;          /* decoded strings, NUL-terminated */
	size_t nsb, capsb;
	const char *text;
	size_t len, pos;
	char err[128];     /* what went wrong ... */
	size_t errpos;     /* ... at which byte */
};

/* Parses text[0..len) as exactly one JSON value (whitespace around it
 * allowed); returns the root's index or JNONE with d->err set. */
uint32_t jdoc_parse(struct jdoc *d, const char *text, size_t len);
void jdoc_free(struct jdoc *d);

/* Member `key` of object `obj`, or JNONE. */
uint32_t jobj_get(const struct jdoc *d, uint32_t obj, const char *key);
/* The decoded string of a JT_STR value. */
static inline const char *jstr(const struct jdoc *d, uint32_t v) { return d->sb + d->v[v].str; }

#endif
