/* json: a small streaming JSON writer onto a FILE.  It tracks nesting so
 * commas are placed for the caller; keys and strings are escaped.  Numbers
 * are written as JSON integers.  Used by `layout --json` and trace files. */
#ifndef MEMLENS_UTIL_JSON_H
#define MEMLENS_UTIL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH]; /* no member written yet at this depth */
	bool after_key;             /* a key was just written */
};

/* Starts a writer on `f` (not owned). */
void json_init(struct json *j, FILE *f);

void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
/* Writes `"key":`; the next value call supplies the value. */
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);       /* NULL writes null */
void json_strn(struct json *j, const char *s, size_t n);
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* Writes `n` bytes of already-formatted JSON as the next value (commas are
 * still placed by the writer); the caller guarantees it is valid JSON.  For
 * hot loops that format many records themselves (layout's symbols). */
void json_raw(struct json *j, const char *s, size_t n);

/* Shorthands for `json_key` followed by a value. */
void json_kstr(struct json *j, const char *key, const char *s);
void json_kint(struct json *j, const char *key, int64_t v);
void json_kuint(struct json *j, const char *key, uint64_t v);
void json_kbool(struct json *j, const char *key, bool v);

/* Ends a top-level value with a newline (one JSON Lines record). */
void json_line_end(struct json *j);

#endif
