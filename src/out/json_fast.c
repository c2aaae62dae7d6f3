/* json_fast: the event lines of the allocator calls (nearly every line of
 * a trace), written in one pass of stores through a pointer: the same
 * bytes as the general writer (json_write.c), at a fraction of its cost. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "out/jw.h"
#include "out/out.h"
#include "out/out_int.h"

/* The most a line takes besides its site object (twelve 20-digit numbers
 * with keys, two 32-bit ones, the fixed parts: about 510 bytes), and the
 * slack the word stores write past the end. */
#define FAST_ROOM 640

/* What the previous lines leave to the next (one writing thread, as the
 * site memo): the `{"type":"malloc","seq":` text per type, the seq's
 * digits (the next line's is nearly always one more: incremented as
 * text), `,"tid":N` for the last thread, the last address's high digits.
 * Each is kept with the value it spells, so none can go stale. */
static struct {
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
} memo;

/* jw_digits, faster for the numbers that fill these lines: sizes inline,
 * and addresses of 9 to 16 digits reuse the last one's high digits
 * (v / 10^8), which change only when an address crosses a multiple of
 * 100 MB. */
static inline char *num(char *p, uint64_t v)
{
	uint64_t hi, lo;

	if (v < 10000)
		return jw_digits4(p, (uint32_t)v);
	if (v < 100000000 || v >= 10000000000000000ull)
		return jw_digits(p, v);
	hi = v / 100000000;
	if (hi != memo.hi) {
		memo.hi = hi;
		memo.hi_n = jw_ndigits(hi);
		memo.hi_word = jw_swar8((uint32_t)hi) >> (8 * (8 - memo.hi_n));
	}
	memcpy(p, &memo.hi_word, 8);
	p += memo.hi_n;
	lo = jw_swar8((uint32_t)(v - hi * 100000000));
	memcpy(p, &lo, 8);
	return p + 8;
}

static void type_put(uint16_t t)
{
	int n = snprintf(memo.type[t], sizeof(memo.type[t]), "{\"type\":\"%s\",\"seq\":",
			 model_ev_name((enum model_ev_type)t));

	/* the longest, posix_memalign, takes 31 */
	memo.type_len[t] = (uint8_t)(n > 0 && (size_t)n < sizeof(memo.type[t]) ? n : 0);
}

/* The decimal text of seq+1 from that of seq in place; false when it
 * gets a digit longer (then it is formatted afresh). */
static bool seq_increment(void)
{
	int i = memo.seq_len - 1;

	while (i >= 0 && memo.seq[i] == '9')
		memo.seq[i--] = '0';
	if (i < 0)
		return false;
	memo.seq[i]++;
	return true;
}

static void seq_put(uint64_t seq)
{
	if (!(memo.seq_len && memo.seq_val != UINT64_MAX && seq == memo.seq_val + 1 &&
	      seq_increment()))
		memo.seq_len = (uint8_t)(jw_digits(memo.seq, seq) - memo.seq);
	memo.seq_val = seq;
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

static void tid_put(int32_t tid)
{
	memcpy(memo.tid, ",\"tid\":", 7);
	memo.tid_len = (uint8_t)(sint(memo.tid + 7, tid) - memo.tid);
	memo.tid_val = tid;
}

/* Fixed-size copies: `lit` is a string literal, so the length is a
 * constant and the copy a few immediate stores (no call). */
#define PUT(lit) (memcpy(p, (lit), sizeof(lit) - 1), p += sizeof(lit) - 1)
#define NUM(lit, v) (PUT(lit), p = num(p, (v)))

bool out_json_alloc_line(FILE *f, const struct model *m, const struct model_event *ev,
			 out_extra_fn extra, void *arg)
{
	const uint64_t *a = ev->args;
	const char *site = NULL;
	size_t slen = 0;
	uint64_t sp, depth, brk;
	uint16_t t = ev->type;
	struct jw j;
	char *p;

	if (t < MEV_MALLOC || t > MEV_PVALLOC)
		return false;
	if (ev->site && !(site = out_site_json(m, ev->site, &slen)))
		return false;
	/* jw_init gives at least JW_BUF bytes: one check for the line */
	if (slen > JW_BUF - FAST_ROOM)
		return false;
	if (!memo.type_len[t])
		type_put(t);
	if (!memo.type_len[t])
		return false;
	seq_put(ev->seq);
	if (!memo.tid_len || memo.tid_val != ev->tid)
		tid_put(ev->tid);

	jw_init(&j, f);
	p = j.b;
	memcpy(p, memo.type[t], 32);
	p += memo.type_len[t];
	memcpy(p, memo.seq, 24);
	p += memo.seq_len;
	memcpy(p, memo.tid, 24);
	p += memo.tid_len;
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
	if (ev->flags)
		NUM(",\"flags\":", ev->flags);
	/* carried: only what differs from the previous line (carried_fields) */
	model_prev_marks(m, &sp, &depth, &brk);
	if (ev->sp != sp)
		NUM(",\"sp\":", ev->sp);
	if (ev->stack_depth != depth)
		NUM(",\"stack_depth\":", ev->stack_depth);
	if (ev->brk != brk)
		NUM(",\"brk\":", ev->brk);
	if (ev->block)
		NUM(",\"block\":", ev->block);
	if (ev->block_size)
		NUM(",\"block_size\":", ev->block_size);
	if (ev->old_block)
		NUM(",\"old_block\":", ev->old_block);
	if (ev->err_no) {
		PUT(",\"errno\":");
		p = sint(p, ev->err_no);
	}
	if (ev->code) {
		PUT(",\"code\":");
		p = sint(p, ev->code);
	}
	j.n = (size_t)(p - j.b);
	if (extra) {
		/* as the general path: the caller's members through util/json
		 * on the same stream, then the object's end */
		struct json js;

		jw_flush(&j);
		json_init(&js, f);
		js.depth = 1;
		js.first[1] = false;
		extra(&js, arg);
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
