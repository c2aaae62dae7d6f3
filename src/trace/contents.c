/* contents: `trace --bytes` at the program's end: the first bytes of every
 * block still live, read at the exit stop (PTRACE_EVENT_EXIT, the memory
 * still mapped) and handed to the exit event's on_event. */
#include <stdlib.h>
#include <string.h>

#include "trace/trace_int.h"

static int by_addr(const void *a, const void *b)
{
	const struct trace_content *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void take_one(struct trace *t, uint64_t addr, uint64_t size)
{
	struct trace_content *c = &t->cont[t->ncont];

	if (!size)
		return;
	c->addr = addr;
	c->n = (uint32_t)(size < TRACE_CONTENTS_BYTES ? size : TRACE_CONTENTS_BYTES);
	/* a block whose first bytes cannot be read (unmapped by a bug of the
	 * program) is left out */
	if (trace_mem_read(t, addr, c->b, c->n) == 0)
		t->ncont++;
}

void trace_contents_take(struct trace *t)
{
	size_t n = 0, cap;
	const struct model_block *b = model_blocks(t->m, &n);

	trace_contents_free(t);
	/* the blocks the model holds, and in step mode the allocations still
	 * queued (applied before the exit event; frees among them are
	 * filtered out at the exit event) */
	cap = (n < TRACE_CONTENTS_MAX ? n : TRACE_CONTENTS_MAX) + t->qlen;
	/* at least one: a non-NULL array says the contents were read */
	if (!(t->cont = malloc((cap ? cap : 1) * sizeof(*t->cont))))
		return;
	for (size_t i = 0; i < n && t->ncont < TRACE_CONTENTS_MAX; i++)
		if (b[i].state == MB_LIVE)
			take_one(t, b[i].addr, b[i].size);
	for (size_t i = 0; i < t->qlen; i++) {
		const struct model_event *ev = &t->q[(t->qhead + i) % t->qcap];
		if (model_ev_is_alloc_call(ev->type) && ev->type != MEV_FREE && ev->result)
			take_one(t, ev->result, model_ev_request(ev));
	}
}

const struct trace_content *trace_exit_contents(struct trace *t, size_t *n, size_t *more)
{
	const struct model_stats *st = model_stats(t->m);
	size_t k = 0;

	if (!t->cont_filtered && t->cont) {
		/* keep what is live now, the model having applied everything up
		 * to the exit: once per address, cut to the block's size */
		qsort(t->cont, t->ncont, sizeof(*t->cont), by_addr);
		for (size_t i = 0; i < t->ncont; i++) {
			const struct model_block *b = model_block_at(t->m, t->cont[i].addr);
			if (!b || b->state != MB_LIVE || b->addr != t->cont[i].addr || !b->size ||
			    (k && t->cont[k - 1].addr == t->cont[i].addr) || k >= TRACE_CONTENTS_MAX)
				continue;
			t->cont[k] = t->cont[i];
			if (t->cont[k].n > b->size)
				t->cont[k].n = (uint32_t)b->size;
			k++;
		}
		t->ncont = k;
		t->cont_more = st->live_blocks > k ? st->live_blocks - k : 0;
	}
	t->cont_filtered = true;
	*n = t->ncont;
	*more = t->cont ? t->cont_more : 0;
	return t->cont;
}

void trace_contents_free(struct trace *t)
{
	free(t->cont);
	t->cont = NULL;
	t->ncont = t->cont_more = 0;
	t->cont_filtered = false;
}
