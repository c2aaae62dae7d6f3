/* json: the streaming writer declared in json.h.  Trace files write
 * millions of records, so the hot paths use the unlocked stdio calls
 * (memlens writes a stream from one thread) and format integers by hand. */
#include "util/json.h"

#include <inttypes.h>

#define fputc putc_unlocked

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
	j->after_key = false;
}

/* Writes the comma that separates this value from the previous one. */
static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
}

static void open(struct json *j, int c)
{
	sep(j);
	fputc(c, j->f);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = true;
}

static void close_(struct json *j, int c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
}

void json_obj_begin(struct json *j) { open(j, '{'); }
void json_obj_end(struct json *j) { close_(j, '}'); }
void json_arr_begin(struct json *j) { open(j, '['); }
void json_arr_end(struct json *j) { close_(j, ']'); }

static void put_escaped(FILE *f, const char *s, size_t n)
{
	size_t run = 0;

	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\') {
			run++; /* plain bytes go out in one write */
			continue;
		}
		if (run)
			fwrite_unlocked(s + i - run, 1, run, f);
		run = 0;
		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	if (run)
		fwrite_unlocked(s + n - run, 1, run, f);
	fputc('"', f);
}

static void put_u64(FILE *f, uint64_t v)
{
	char buf[24];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fwrite_unlocked(buf + i, 1, sizeof(buf) - i, f);
}

void json_key(struct json *j, const char *key)
{
	sep(j);
	put_escaped(j->f, key, __builtin_strlen(key));
	fputc(':', j->f);
	j->after_key = true;
}

void json_strn(struct json *j, const char *s, size_t n)
{
	sep(j);
	put_escaped(j->f, s, n);
}

void json_str(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	json_strn(j, s, __builtin_strlen(s));
}

void json_raw(struct json *j, const char *s, size_t n)
{
	sep(j);
	fwrite(s, 1, n, j->f);
}

void json_int(struct json *j, int64_t v)
{
	sep(j);
	if (v < 0) {
		fputc('-', j->f);
		put_u64(j->f, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(j->f, (uint64_t)v);
	}
}

void json_uint(struct json *j, uint64_t v) { sep(j); put_u64(j->f, v); }
void json_bool(struct json *j, bool v) { sep(j); fputs(v ? "true" : "false", j->f); }
void json_null(struct json *j) { sep(j); fputs("null", j->f); }

void json_kstr(struct json *j, const char *k, const char *s) { json_key(j, k); json_str(j, s); }
void json_kint(struct json *j, const char *k, int64_t v) { json_key(j, k); json_int(j, v); }
void json_kuint(struct json *j, const char *k, uint64_t v) { json_key(j, k); json_uint(j, v); }
void json_kbool(struct json *j, const char *k, bool v) { json_key(j, k); json_bool(j, v); }

void json_line_end(struct json *j)
{
	fputc('\n', j->f);
	j->depth = 0;
	j->first[0] = true;
	j->after_key = false;
}
