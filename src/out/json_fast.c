/* json_fast: the event lines of the allocator calls (nearly every line of
 * a trace), written in one pass of stores through a pointer: the same
 * bytes as the general writer (json_write.c), at a fraction of its cost. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/jw.h"
#include "out/out.h"
#include "out/out_int.h"


/* What the previous lines leave to the next, per writing thread: the
 * `{"type":"malloc","seq":` text per type, the seq's digits (the next
 * line's is nearly always one more: incremented as text), `,"tid":N` for
 * the last thread, the last address's high digits.  Each is kept with the
 * value it spells, so none can go stale (and a writer that sees only some
 * of the lines, as the trace file's formatter thread, stays right). */
struct out_jfast {
	char type[MEV_PVALLOC + 1][32];
	uint8_t type_len[MEV_PVALLOC + 1];
	char seq[32];
	uint8_t seq_len;                /* 0: no seq yet */
	uint64_t seq_val;
	char tid[40];
	uint8_t tid_len;                /* 0: no tid yet */
	int32_t tid_val;
	uint64_t hi;                    /* the last address / 10^8, 0: none */
	uint64_t hi_word;               /* its digits (jw_swar8, shifted) */
	unsigned hi_n;
};

/* The synchronous writers' (the tracer's or replay's thread). */
static struct out_jfast sync_memo;

struct out_jfast *out_jfast_new(void)
{
	return calloc(1, sizeof(struct out_jfast));
}

/* jw_digits, faster for the numbers that fill these lines: sizes inline,
 * and addresses of 9 to 16 digits reuse the last one's high digits
 * (v / 10^8), which change only when an address crosses a multiple of
 * 100 MB. */
static inline char *num(struct out_jfast *memo, char *p, uint64_t v)
{
	uint64_t hi, lo;

	if (v < 10000)
		return jw_digits4(p, (uint32_t)v);
	if (v < 100000000 || v >= 10000000000000000ull)
		return jw_digits(p, v);
	hi = v / 100000000;
	if (hi != memo->hi) {
		memo->hi = hi;
		memo->hi_n = jw_ndigits(hi);
		memo->hi_word = jw_swar8((uint32_t)hi) >> (8 * (8 - memo->hi_n));
	}
	memcpy(p, &memo->hi_word, 8);
	p += memo->hi_n;
	lo = jw_swar8((uint32_t)(v - hi * 100000000));
	memcpy(p, &lo, 8);
	return p + 8;
}

static void type_put(struct out_jfast *memo, uint16_t t)
{
	int n = snprintf(memo->type[t], sizeof(memo->type[t]), "{\"type\":\"%s\",\"seq\":",
			 model_ev_name((enum model_ev_type)t));

	/* the longest, posix_memalign, takes 31 */
	memo->type_len[t] = (uint8_t)(n > 0 && (size_t)n < sizeof(memo->type[t]) ? n : 0);
}

/* The decimal text of seq+1 from that of seq in place; false when it
 * gets a digit longer (then it is formatted afresh). */
static bool seq_increment(struct out_jfast *memo)
{
	int i = memo->seq_len - 1;

	while (i >= 0 && memo->seq[i] == '9')
		memo->seq[i--] = '0';
	if (i < 0)
		return false;
	memo->seq[i]++;
	return true;
}

static void seq_put(struct out_jfast *memo, uint64_t seq)
{
	if (!(memo->seq_len && memo->seq_val != UINT64_MAX && seq == memo->seq_val + 1 &&
	      seq_increment(memo)))
		memo->seq_len = (uint8_t)(jw_digits(memo->seq, seq) - memo->seq);
	memo->seq_val = seq;
}

/* -v of a negative int32 as unsigned, INT32_MIN included. */
static inline uint64_t neg32(int32_t v)
{
	return (uint64_t)0 - (uint64_t)(int64_t)v;
}

static char *sint(char *p, int32_t v)
{
	if (v >= 0)
		return jw_digits(p, (uint64_t)v);
	*p = '-';
	return jw_digits(p + 1, neg32(v));
}

static void tid_put(struct out_jfast *memo, int32_t tid)
{
	memcpy(memo->tid, ",\"tid\":", 7);
	memo->tid_len = (uint8_t)(sint(memo->tid + 7, tid) - memo->tid);
	memo->tid_val = tid;
}

/* Fixed-size copies: `lit` is a string literal, so the length is a
 * constant and the copy a few immediate stores (no call). */
#define PUT(lit) (memcpy(p, (lit), sizeof(lit) - 1), p += sizeof(lit) - 1)
#define NUM(lit, v) (PUT(lit), p = num(memo, p, (v)))

bool out_jfast_ready(struct out_jfast *memo, uint16_t t)
{
	if (t < MEV_MALLOC || t > MEV_PVALLOC)
		return false;
	if (!memo->type_len[t])
		type_put(memo, t);
	return memo->type_len[t] != 0;
}

char *out_jfast_body(struct out_jfast *memo, char *p, const struct model_event *ev,
		     const char *site, size_t slen, const struct out_marks *k)
{
	const uint64_t *a = ev->args;
	uint16_t t = ev->type;
	struct out_teach_implied im;

	seq_put(memo, ev->seq);
	if (!memo->tid_len || memo->tid_val != ev->tid)
		tid_put(memo, ev->tid);
	memcpy(p, memo->type[t], 32);
	p += memo->type_len[t];
	memcpy(p, memo->seq, 24);
	p += memo->seq_len;
	memcpy(p, memo->tid, 24);
	p += memo->tid_len;
	switch (t) { /* the arguments, as call_args names them */
	case MEV_MALLOC: case MEV_VALLOC: case MEV_PVALLOC:
		NUM(",\"size\":", a[0]);
		break;
	case MEV_CALLOC:
		NUM(",\"nmemb\":", a[0]);
		NUM(",\"size\":", a[1]);
		break;
	case MEV_REALLOC:
		NUM(",\"ptr\":", a[0]);
		NUM(",\"size\":", a[1]);
		break;
	case MEV_REALLOCARRAY:
		NUM(",\"ptr\":", a[0]);
		NUM(",\"nmemb\":", a[1]);
		NUM(",\"size\":", a[2]);
		break;
	case MEV_FREE:
		NUM(",\"ptr\":", a[0]);
		break;
	default: /* the aligned ones */
		NUM(",\"alignment\":", a[0]);
		NUM(",\"size\":", a[1]);
		break;
	}
	if (t != MEV_FREE)
		NUM(",\"result\":", ev->result);
	if (ev->aux)
		NUM(",\"aux\":", ev->aux);
	if (site) {
		PUT(",\"site\":");
		memcpy(p, site, slen);
		p += slen;
	}
	if (ev->flags != out_implied_flags(t, k->teach))
		NUM(",\"flags\":", ev->flags);
	/* carried: only what differs from the previous line (carried_fields) */
	if (ev->sp != k->sp)
		NUM(",\"sp\":", ev->sp);
	if (ev->stack_depth != k->depth)
		NUM(",\"stack_depth\":", ev->stack_depth);
	if (ev->brk != k->brk)
		NUM(",\"brk\":", ev->brk);
	/* version 3: only what the teach layout does not imply */
	im = out_teach_implied(ev, ev->block, k->freed);
	if (ev->block != im.block)
		NUM(",\"block\":", ev->block);
	if (ev->block_size != im.block_size)
		NUM(",\"block_size\":", ev->block_size);
	if (ev->old_block != im.old_block)
		NUM(",\"old_block\":", ev->old_block);
	if (ev->err_no) {
		PUT(",\"errno\":");
		p = sint(p, ev->err_no);
	}
	if (ev->code) {
		PUT(",\"code\":");
		p = sint(p, ev->code);
	}
	return p;
}

bool out_json_alloc_line(FILE *f, const struct model *m, const struct model_event *ev,
			 out_extra_fn extra, void *arg)
{
	const char *site = NULL;
	size_t slen = 0;
	struct out_marks k;
	struct jw j;
	char *p;

	if (!out_jfast_ready(&sync_memo, ev->type))
		return false;
	if (ev->site && !(site = out_site_json(m, ev->site, &slen)))
		return false;
	/* jw_init gives at least JW_BUF bytes: one check for the line */
	if (slen > JW_BUF - OUT_JFAST_ROOM)
		return false;
	out_marks_get(m, &k);
	jw_init(&j, f);
	p = out_jfast_body(&sync_memo, j.b, ev, site, slen, &k);
	j.n = (size_t)(p - j.b);
	if (extra) {
		/* as the general path: the caller's members, then the end */
		out_json_extra_members(&j, f, extra, arg);
		jw_c(&j, '}');
		jw_end_line(&j);
		return true;
	}
	p[0] = '}';
	p[1] = '\n';
	j.n += 2;
	jw_flush(&j);
	return true;
}
