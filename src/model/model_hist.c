/* model_hist: the cursor state and the history: stepping through an
 * event's changes, checkpoints of the live set, seeking, and the questions
 * asked of the state at the cursor (blocks, leaks, memory). */
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"

#define CKPT_MIN_EVENTS 4096

static void live_add(struct model *m, uint32_t s)
{
	if (model_grow32(&m->live, &m->caplive, m->nlive + 1, sizeof(*m->live)) < 0) {
		m->broken = true;
		return;
	}
	m->pos[s] = m->nlive;
	m->live[m->nlive++] = s;
}

static void live_del(struct model *m, uint32_t s)
{
	uint32_t i = m->pos[s], last;

	if (i >= m->nlive || m->live[i] != s)
		return;
	last = m->live[--m->nlive];
	m->live[i] = last;
	m->pos[last] = i;
}

/* The counters the rarer events set (MEV_ERROR and after), in the order
 * model_step has always applied them: an exec resets the break first. */
void model_step_rare(struct model *m, size_t k, const struct model_event *ev)
{
	struct model_stats *st = &m->st;

	switch (ev->type) {
	case MEV_EXEC:
		st->brk_start = st->brk = st->brk_max = 0;
		break;
	case MEV_ERROR:
		st->errors++;
		break;
	case MEV_REGIONS:
		if (ev->aux < m->snap_count)
			st->regions = ev->aux + 1;
		break;
	case MEV_EXIT:
		st->exit_ev = k + 1;
		m->exit_copy = *ev;
		break;
	case MEV_SIGNAL:
		st->signal_ev = k + 1;
		m->signal_copy = *ev;
		break;
	default:
		break;
	}
}

void model_step(struct model *m, size_t k, const struct model_event *ev,
		const uint32_t *chg, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t s = chg[i] >> 1;
		bool born = chg[i] & 1;

		model_count_change(m, &m->ent[s], born);
		if (born)
			live_add(m, s);
		else
			live_del(m, s);
	}
	model_step_event(m, k, ev);
}

/* Saves the cursor state when enough events passed since the last
 * checkpoint: at least CKPT_MIN_EVENTS and at least the live set's size,
 * so checkpoints cost at most about 4 bytes per event. */
int model_checkpoint(struct model *m)
{
	size_t last = m->nck ? m->ck[m->nck - 1].at : 0;
	size_t iv = m->nlive > CKPT_MIN_EVENTS ? m->nlive : CKPT_MIN_EVENTS;
	struct ckpt *c;

	if (m->nck && m->cur - last < iv)
		return 0;
	if (model_grow(&m->ck, &m->capck, m->nck + 1, sizeof(*m->ck)) < 0)
		return -1;
	c = &m->ck[m->nck];
	c->at = m->cur;
	c->st = m->st;
	c->nlive = m->nlive;
	c->live = NULL;
	if (m->nlive) {
		if (!(c->live = malloc(m->nlive * sizeof(*c->live))))
			return -1;
		memcpy(c->live, m->live, m->nlive * sizeof(*c->live));
	}
	m->nck++;
	return 0;
}

void model_ckpt_free_all(struct model *m)
{
	for (size_t i = 0; i < m->nck; i++)
		free(m->ck[i].live);
	free(m->ck);
}

static int restore(struct model *m, const struct ckpt *c)
{
	if (model_grow32(&m->live, &m->caplive, c->nlive, sizeof(*m->live)) < 0)
		return -1;
	if (c->nlive)
		memcpy(m->live, c->live, c->nlive * sizeof(*m->live));
	m->nlive = c->nlive;
	for (uint32_t i = 0; i < m->nlive; i++)
		m->pos[m->live[i]] = i;
	m->st = c->st;
	m->cur = c->at;
	return 0;
}

int model_seek(struct model *m, size_t k, struct err *e)
{
	size_t lo = 0, hi;

	if (m->broken)
		return err_set(e, ERR_INTERNAL, "model: out of memory");
	if (k > m->nev)
		return err_set(e, ERR_INPUT, "event %zu is past the end (%zu events)", k, m->nev);
	if (!m->o.keep_history && k != m->nev)
		return err_set(e, ERR_INPUT, "no history kept: cannot go back to event %zu", k);
	if (k == m->cur)
		return 0;
	hi = m->nck;
	while (lo < hi) { /* first checkpoint after k */
		size_t mid = lo + (hi - lo) / 2;
		if (m->ck[mid].at <= k)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* ck[lo - 1] is the last at or before k (ck[0].at == 0) */
	if (!(m->cur <= k && m->cur >= m->ck[lo - 1].at) && restore(m, &m->ck[lo - 1]) < 0) {
		m->broken = true;
		return err_set(e, ERR_INTERNAL, "model: out of memory");
	}
	for (size_t i = m->cur; i < k; i++) /* (m->chg is NULL while no event changed a block) */
		model_step(m, i, &m->ev[i], m->chg ? m->chg + m->chg_off[i] : NULL,
			   m->chg_off[i + 1] - m->chg_off[i]);
	m->cur = k;
	m->view_ok = false;
	if (m->broken)
		return err_set(e, ERR_INTERNAL, "model: out of memory");
	return 0;
}

size_t model_cursor(const struct model *m) { return m->cur; }
size_t model_event_count(const struct model *m) { return m->nev; }
const struct model_stats *model_stats(const struct model *m) { return &m->st; }

const struct model_event *model_event(const struct model *m, size_t i)
{
	if (i >= m->nev)
		return NULL;
	if (m->o.keep_history)
		return &m->ev[i];
	return i == m->nev - 1 ? &m->last : NULL;
}

void model_prev_marks(const struct model *m, uint64_t *sp, uint64_t *depth, uint64_t *brk)
{
	*sp = m->prev_sp;
	*depth = m->prev_depth;
	*brk = m->prev_brk;
}

const struct model_event *model_exit_event(const struct model *m)
{
	if (!m->st.exit_ev)
		return NULL;
	return m->o.keep_history ? &m->ev[m->st.exit_ev - 1] : &m->exit_copy;
}

const struct model_event *model_signal_event(const struct model *m)
{
	if (!m->st.signal_ev)
		return NULL;
	return m->o.keep_history ? &m->ev[m->st.signal_ev - 1] : &m->signal_copy;
}

/* ---- versions of a block (in-place reallocs), with history --------------- */

static uint32_t vh(uint32_t k, uint32_t cap)
{
	return (k * 2654435761u) & (cap - 1);
}

void model_vnext_put(struct model *m, uint32_t old, uint32_t new_)
{
	uint32_t j;

	if ((m->vnext_n + 1) * 2 > m->vnext_hcap) {
		uint32_t nc = m->vnext_hcap ? m->vnext_hcap * 2 : 64;
		uint32_t *t = calloc((size_t)nc * 2, sizeof(*t));
		if (!t) {
			m->broken = true;
			return;
		}
		for (uint32_t i = 0; i < m->vnext_hcap; i++) {
			if (!m->vnext_ht[2 * i])
				continue;
			for (j = vh(m->vnext_ht[2 * i], nc); t[2 * j]; j = (j + 1) & (nc - 1))
				;
			t[2 * j] = m->vnext_ht[2 * i];
			t[2 * j + 1] = m->vnext_ht[2 * i + 1];
		}
		free(m->vnext_ht);
		m->vnext_ht = t;
		m->vnext_hcap = nc;
	}
	for (j = vh(old + 1, m->vnext_hcap); m->vnext_ht[2 * j]; j = (j + 1) & (m->vnext_hcap - 1))
		;
	m->vnext_ht[2 * j] = old + 1;
	m->vnext_ht[2 * j + 1] = new_;
	m->vnext_n++;
}

static uint32_t vnext(const struct model *m, uint32_t old)
{
	if (!m->vnext_hcap)
		return NONE32;
	for (uint32_t j = vh(old + 1, m->vnext_hcap); m->vnext_ht[2 * j]; j = (j + 1) & (m->vnext_hcap - 1))
		if (m->vnext_ht[2 * j] == old + 1)
			return m->vnext_ht[2 * j + 1];
	return NONE32;
}

/* ---- questions about the state at the cursor ----------------------------- */

/* A copy of entity `s` as it looks at the cursor. */
static struct model_block at_cursor(const struct model *m, uint32_t s)
{
	struct model_block b = ment_get(&m->ent[s]);

	if (b.free_ev != NONE32 && b.free_ev < m->cur && !(b.vflags & VF_REPLACED)) {
		b.state = MB_FREED;
	} else {
		b.free_ev = NONE32;
		b.free_site = 0;
		b.state = (b.vflags & VF_CHUNK) ? MB_FREE_CHUNK : MB_LIVE;
	}
	return b;
}

static int blk_cmp(const void *a, const void *b)
{
	const struct model_block *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (int)x->state - (int)y->state;
}

const struct model_block *model_blocks(const struct model *cm, size_t *n)
{
	struct model *m = (struct model *)cm; /* the view is a cache */
	size_t cnt = m->o.keep_history ? m->nlive : m->nent;

	*n = 0;
	if (!m->view_ok) {
		if (model_grow(&m->view, &m->capview, cnt, sizeof(*m->view)) < 0)
			return NULL;
		m->nview = 0;
		for (size_t i = 0; i < cnt; i++) {
			uint32_t s = m->o.keep_history ? m->live[i] : (uint32_t)i;
			if (m->ent[s].state)
				m->view[m->nview++] = at_cursor(m, s);
		}
		if (m->nview)
			qsort(m->view, m->nview, sizeof(*m->view), blk_cmp);
		m->view_ok = true;
	}
	*n = m->nview;
	return m->view;
}

static bool holds(const struct model_block *b, uint64_t addr)
{
	return addr >= b->addr && addr - b->addr < (b->size ? b->size : 1);
}

const struct model_block *model_block_by_id(const struct model *cm, uint32_t id)
{
	struct model *m = (struct model *)cm;
	uint32_t s;

	if (id == 0 || id > m->next_id)
		return NULL;
	if (m->o.keep_history) {
		s = m->idslot[id - 1];
		if (m->ent[s].alloc_ev >= m->cur)
			return NULL;
		while ((m->ent[s].vflags & VF_REPLACED) && m->ent[s].free_ev < m->cur) {
			uint32_t nx = vnext(m, s);
			if (nx == NONE32)
				break;
			s = nx;
		}
		m->scratch = at_cursor(m, s);
		return &m->scratch;
	}
	for (s = 0; s < m->nent; s++)
		if (m->ent[s].state == MB_LIVE && m->ent[s].id == id) {
			m->scratch = ment_get(&m->ent[s]);
			return &m->scratch;
		}
	for (uint32_t i = 0; i < m->nfreed; i++)
		if (m->freed[i].id == id) {
			m->scratch = ment_get(&m->freed[i]);
			return &m->scratch;
		}
	return NULL;
}

uint32_t model_event_released(const struct model *m, size_t idx)
{
	if (!m->o.keep_history || !m->chg || idx >= m->nev)
		return 0;
	for (uint32_t i = m->chg_off[idx]; i < m->chg_off[idx + 1]; i++) {
		const struct ment *b = &m->ent[m->chg[i] >> 1];
		if (!(m->chg[i] & 1) && !(b->vflags & (VF_CHUNK | VF_REPLACED | VF_GONE)))
			return b->id;
	}
	return 0;
}

/* The view entry with the greatest address <= addr, or -1. */
static long view_floor(const struct model *m, uint64_t addr)
{
	size_t n, lo = 0, hi;
	const struct model_block *v = model_blocks(m, &n);

	hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo > 0 && v[lo - 1].state == MB_FREE_CHUNK && v[lo - 1].addr == addr)
		lo--;
	return (long)lo - 1;
}

const struct model_block *model_block_before(const struct model *m, uint64_t addr)
{
	long i = view_floor(m, addr);

	while (i >= 0 && m->view[i].state != MB_LIVE)
		i--;
	return i >= 0 ? &m->view[i] : NULL;
}

const struct model_block *model_block_at(const struct model *cm, uint64_t addr)
{
	struct model *m = (struct model *)cm;
	const struct model_block *b = model_block_before(m, addr);
	uint32_t best = NONE32;

	if (b && holds(b, addr))
		return b;
	if (!m->o.keep_history) {
		for (uint32_t i = 0; i < m->nfreed; i++) { /* newest first */
			uint32_t j = (m->freed_head + MODEL_FREED_KEEP - 1 - i) % MODEL_FREED_KEEP;
			const struct ment *f = &m->freed[j];
			if (addr >= f->addr && addr - f->addr < (f->size ? f->size : 1)) {
				m->scratch = ment_get(f);
				return &m->scratch;
			}
		}
		return NULL;
	}
	for (uint32_t s = 0; s < m->nent; s++) {
		const struct ment *e = &m->ent[s];
		if ((e->vflags & (VF_CHUNK | VF_REPLACED)) || e->free_ev == NONE32 ||
		    e->free_ev >= m->cur || addr < e->addr || addr - e->addr >= (e->size ? e->size : 1))
			continue;
		if (best == NONE32 || e->free_ev > m->ent[best].free_ev)
			best = s;
	}
	if (best == NONE32)
		return NULL;
	m->scratch = at_cursor(m, best);
	return &m->scratch;
}

static int leak_cmp(const void *a, const void *b)
{
	const struct model_leak *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->blocks != y->blocks)
		return x->blocks > y->blocks ? -1 : 1;
	return x->site < y->site ? -1 : x->site > y->site;
}

size_t model_leaks(const struct model *m, struct model_leak **out)
{
	uint32_t ns = m->nsites ? m->nsites : 1;
	struct model_leak *acc = calloc(ns, sizeof(*acc));
	size_t cnt = m->o.keep_history ? m->nlive : m->nent, n = 0;

	*out = NULL;
	if (!acc)
		return 0;
	for (size_t i = 0; i < cnt; i++) {
		uint32_t s = m->o.keep_history ? m->live[i] : (uint32_t)i;
		const struct ment *b = &m->ent[s];
		uint32_t site = b->alloc_site < ns ? b->alloc_site : 0;
		if (!b->state || (b->vflags & VF_CHUNK))
			continue;
		acc[site].blocks++;
		acc[site].bytes += b->size;
	}
	for (uint32_t i = 0; i < ns; i++)
		if (acc[i].blocks) {
			acc[n] = acc[i];
			acc[n++].site = i;
		}
	if (n)
		qsort(acc, n, sizeof(*acc), leak_cmp);
	if (!n) {
		free(acc);
		return 0;
	}
	*out = acc;
	return n;
}

void model_mem(const struct model *m, size_t *live_bytes, size_t *history_bytes)
{
	size_t live = (size_t)m->ehcap * 4 + model_fs_bytes(m) +
		      m->capview * sizeof(struct model_block);
	size_t hist = (size_t)m->capsites * sizeof(struct model_site) + m->capregs * sizeof(struct model_region);

	if (m->o.keep_history) {
		live += (size_t)m->caplive * 4;
		hist += m->capev * (sizeof(struct model_event) + 4) + m->capchg * 4 +
			(size_t)m->capent * (sizeof(struct ment) + 4) + m->capid * 4 +
			(size_t)m->vnext_hcap * 8 + m->capck * sizeof(struct ckpt);
		for (size_t i = 0; i < m->nck; i++)
			hist += m->ck[i].nlive * 4;
	} else {
		live += (size_t)m->capent * sizeof(struct ment);
		hist += MODEL_FREED_KEEP * sizeof(struct ment); /* fixed */
	}
	*live_bytes = live;
	*history_bytes = hist;
}
