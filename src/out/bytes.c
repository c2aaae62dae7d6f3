/* bytes: block contents recorded in a trace file (`trace --bytes`): the
 * "bytes" member of a free or realloc line and the "contents" member of the
 * exit line, written and parsed here, and the side table by block id that
 * replay keeps beside the model (the model stays at its 64 bytes a block). */
#include <stdlib.h>
#include <string.h>

#include "out/out.h"

static const char hexd[] = "0123456789abcdef";

/* `"hex"` of b[0..n) into s (2n + 3 bytes): a JSON string that needs no
 * escaping, written raw (the escaping writer cost ~300 ns a line).
 * Returns its length. */
static size_t to_hex(char *s, const unsigned char *b, size_t n)
{
	s[0] = '"';
	for (size_t i = 0; i < n; i++) {
		s[1 + 2 * i] = hexd[b[i] >> 4];
		s[2 + 2 * i] = hexd[b[i] & 15];
	}
	s[1 + 2 * n] = '"';
	return 2 * n + 2;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int out_hex_parse(const char *s, unsigned char *b, size_t max)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

void out_json_bytes(struct json *j, const unsigned char *b, size_t n)
{
	char s[2 * OUT_BYTES_MAX + 2];

	if (!n)
		return;
	if (n > OUT_BYTES_MAX)
		n = OUT_BYTES_MAX;
	json_key(j, "bytes");
	json_raw(j, s, to_hex(s, b, n));
}

void out_json_contents(struct json *j, const struct out_content *c, size_t n, size_t more)
{
	char s[2 * OUT_BYTES_MAX + 2];

	json_key(j, "contents");
	json_arr_begin(j);
	for (size_t i = 0; i < n; i++) {
		json_obj_begin(j);
		json_kuint(j, "addr", c[i].addr);
		json_key(j, "bytes");
		json_raw(j, s, to_hex(s, c[i].b, c[i].n < OUT_BYTES_MAX ? c[i].n : OUT_BYTES_MAX));
		json_obj_end(j);
	}
	json_arr_end(j);
	if (more)
		json_kuint(j, "contents_more", more);
}

/* ---- the side table ---------------------------------------------------- */

struct ob_ent {
	uint32_t id, event;
	uint8_t when, n;
	size_t off;              /* into pool */
};

struct out_bytes {
	struct ob_ent *ent;
	size_t nent, capent;
	uint32_t *ht;            /* id -> entry index + 1; 0 empty */
	size_t hcap;
	unsigned char *pool;
	size_t npool, cappool;
	bool recorded;
};

struct out_bytes *out_bytes_new(void)
{
	return calloc(1, sizeof(struct out_bytes));
}

void out_bytes_free(struct out_bytes *t)
{
	if (!t)
		return;
	free(t->ent);
	free(t->ht);
	free(t->pool);
	free(t);
}

void out_bytes_set_recorded(struct out_bytes *t, bool on)
{
	t->recorded = on;
}

bool out_bytes_recorded(const struct out_bytes *t)
{
	return t && t->recorded;
}

static size_t slot_of(uint32_t id, size_t cap)
{
	return (size_t)(id * 2654435761u) & (cap - 1);
}

static int rehash(struct out_bytes *t)
{
	size_t cap = t->hcap ? t->hcap * 2 : 1024;
	uint32_t *ht = calloc(cap, sizeof(*ht));

	if (!ht)
		return -1;
	for (size_t i = 0; i < t->nent; i++) {
		size_t s = slot_of(t->ent[i].id, cap);
		while (ht[s])
			s = (s + 1) & (cap - 1);
		ht[s] = (uint32_t)i + 1;
	}
	free(t->ht);
	t->ht = ht;
	t->hcap = cap;
	return 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t nc = *cap ? *cap : 256;
	void *q;

	if (need <= *cap)
		return 0;
	while (nc < need)
		nc *= 2;
	if (!(q = realloc(*p, nc * size)))
		return -1;
	*p = q;
	*cap = nc;
	return 0;
}

int out_bytes_add(struct out_bytes *t, uint32_t id, uint32_t event, enum out_bytes_when when,
		  const unsigned char *b, size_t n, struct err *e)
{
	struct ob_ent *x;
	size_t s;

	if (!id)
		return 0;
	if (n > OUT_BYTES_MAX)
		n = OUT_BYTES_MAX;
	if ((t->nent + 1) * 4 > t->hcap * 3 && rehash(t) < 0)
		return err_set(e, ERR_INTERNAL, "out of memory");
	if (grow((void **)&t->ent, &t->capent, t->nent + 1, sizeof(*t->ent)) < 0 ||
	    grow((void **)&t->pool, &t->cappool, t->npool + n, 1) < 0)
		return err_set(e, ERR_INTERNAL, "out of memory");
	/* a block has one record: a later one (its exit bytes after a free
	 * cannot happen, but a damaged file may repeat an id) replaces it */
	for (s = slot_of(id, t->hcap); t->ht[s]; s = (s + 1) & (t->hcap - 1))
		if (t->ent[t->ht[s] - 1].id == id)
			break;
	if (t->ht[s]) {
		x = &t->ent[t->ht[s] - 1];
	} else {
		x = &t->ent[t->nent];
		t->ht[s] = (uint32_t)++t->nent;
	}
	x->id = id;
	x->event = event;
	x->when = (uint8_t)when;
	x->n = (uint8_t)n;
	x->off = t->npool;
	memcpy(t->pool + t->npool, b, n);
	t->npool += n;
	return 0;
}

bool out_bytes_find(const struct out_bytes *t, uint32_t id, struct out_bytes_rec *r)
{
	if (!t || !t->hcap || !id)
		return false;
	for (size_t s = slot_of(id, t->hcap); t->ht[s]; s = (s + 1) & (t->hcap - 1)) {
		const struct ob_ent *x = &t->ent[t->ht[s] - 1];
		if (x->id != id)
			continue;
		r->id = id;
		r->event = x->event;
		r->when = (enum out_bytes_when)x->when;
		r->n = x->n;
		r->b = t->pool + x->off;
		return true;
	}
	return false;
}

size_t out_bytes_count(const struct out_bytes *t)
{
	return t ? t->nent : 0;
}

int out_bytes_add_line(struct out_bytes *t, const struct model *m, size_t idx,
		       const struct out_line_extra *x, struct err *e)
{
	const struct model_event *ev = model_event(m, idx);

	if (!ev)
		return 0;
	if (x->nbytes && (ev->type == MEV_FREE || ev->type == MEV_REALLOC ||
			  ev->type == MEV_REALLOCARRAY))
		return out_bytes_add(t, model_event_released(m, idx), (uint32_t)idx, OUT_BYTES_RELEASE,
				     x->bytes, x->nbytes, e);
	if (ev->type == MEV_EXIT) {
		/* the exit is the last event: the blocks at these addresses are
		 * the live ones at the cursor (the end) */
		for (size_t i = 0; i < x->ncontents; i++) {
			const struct model_block *b = model_block_at(m, x->contents[i].addr);
			if (!b || b->state != MB_LIVE || b->addr != x->contents[i].addr)
				continue;
			if (out_bytes_add(t, b->id, (uint32_t)idx, OUT_BYTES_EXIT, x->contents[i].b,
					  x->contents[i].n, e) < 0)
				return -1;
		}
	}
	return 0;
}
