/* out_int: helpers shared by the files of out/ only. */
#ifndef MEMLENS_OUT_OUT_INT_H
#define MEMLENS_OUT_OUT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/model.h"
#include "out/out.h"
#include "ring/ring_format.h"
#include "util/err.h"
#include "util/json.h"

/* "malloc(40) = 0x5555555592a0", "free(NULL)", "signal SIGSEGV at ...". */
void out_describe_call(const struct model *m, const struct model_event *ev, char *buf, size_t n);
/* Signals whose si_addr is a faulting address. */
bool out_signal_has_addr(int signo);
/* False when the site has a file and line: then its func_off is not
 * written (nothing shows it). */
bool out_site_wants_off(const struct model_site *s);
/* The JSON text of site `idx` of `m` ({"addr":...}, as the event lines
 * write it) and its length, from a memo by model and index; valid until
 * the next call.  NULL when out of memory.  One writing thread. */
const char *out_site_json(const struct model *m, uint32_t idx, size_t *len);
/* Version 3: the teach facts an allocator-call line with RING_F_TEACH
 * leaves out, because the teach allocator's usual layout implies them
 * (shim/teach.c: a 16-byte header before each payload, blocks of the
 * request plus the header rounded up to 16, at least 32):
 *  - block: the payload (result; free: ptr) - 16, or 0 without a payload;
 *  - block_size: an allocation's request + 16 rounded up to 16, at least
 *    32 (0 without a result); a free's, the size of the block it frees
 *    as the model knows it (`freed`: model_freed_span after the free,
 *    model_block_span before it; 0 unknown);
 *  - old_block: a free's own block; a realloc or reallocarray that moved,
 *    ptr - 16; else 0.
 * The writers write a member only when its value differs from the implied
 * one (0 included); the reader fills in an absent one.  `block` is the
 * line's own (old_block's implied value depends on it).  Other lines
 * imply 0, as before. */
struct out_teach_implied { uint64_t block, block_size, old_block; };
/* Version 3, too: an allocator call's `flags` in a teach trace (the start
 * line's options say "alloc":"teach") are left out when they are
 * RING_F_TEACH alone (teach facts valid, nothing else to tell); every
 * other line, and every line of a libc trace, leaves them out when 0. */
static inline uint16_t out_implied_flags(uint16_t type, bool teach_trace)
{
	return teach_trace && type >= MEV_MALLOC && type <= MEV_PVALLOC ? RING_F_TEACH : 0;
}
/* What a line needs besides its event: the previous event line's sp,
 * stack_depth and brk (model_prev_marks), the size of the block the event
 * freed (model_freed_span), and whether the trace is a teach trace (what
 * the last out_json_start wrote in its options). */
struct out_marks {
	uint64_t sp, depth, brk, freed;
	bool teach;
};
void out_marks_get(const struct model *m, struct out_marks *k);
static inline struct out_teach_implied out_teach_implied(const struct model_event *ev, uint64_t block,
							 uint64_t freed)
{
	struct out_teach_implied im = { 0, 0, 0 };
	uint64_t pay, need;

	if (!(ev->flags & RING_F_TEACH) || ev->type < MEV_MALLOC || ev->type > MEV_PVALLOC)
		return im;
	if (ev->type == MEV_FREE) {
		im.block = ev->args[0] ? ev->args[0] - 16 : 0;
		im.block_size = freed;
		im.old_block = block;
		return im;
	}
	pay = ev->result;
	if (!pay)
		return im;
	im.block = pay - 16;
	need = (model_ev_request(ev) + 16 + 15) & ~(uint64_t)15;
	im.block_size = need < 32 ? 32 : need;
	if ((ev->type == MEV_REALLOC || ev->type == MEV_REALLOCARRAY) && ev->args[0] && ev->args[0] != pay)
		im.old_block = ev->args[0] - 16;
	return im;
}
struct jw;
/* The members an out_extra_fn adds (trace --frames, --bytes) to the event
 * object `j` is writing, through util/json on the same stream: the line
 * so far is handed on first; the caller closes the object. */
void out_json_extra_members(struct jw *j, FILE *f, out_extra_fn extra, void *arg);
/* The line of allocator call `ev` (MEV_MALLOC .. MEV_PVALLOC), written by
 * the fast path (json_fast.c), byte for byte what out_json_event_general
 * writes; false, with nothing written, when it cannot (a site too long
 * for its buffer, out of memory): the caller writes the general way. */
bool out_json_alloc_line(FILE *f, const struct model *m, const struct model_event *ev,
			 out_extra_fn extra, void *arg);
/* The fast path's state (json_fast.c): what the previous lines leave to
 * the next, one per writing thread (the synchronous writers share one). */
struct out_jfast;
struct out_jfast *out_jfast_new(void); /* free() it; NULL: out of memory */
/* The most a fast line takes besides its site object (twelve 20-digit
 * numbers with keys, two 32-bit ones, the fixed parts: about 510 bytes),
 * and the slack the word stores write past the end. */
#define OUT_JFAST_ROOM 640
/* True when out_jfast_body can write lines of type t (an allocator call). */
bool out_jfast_ready(struct out_jfast *s, uint16_t t);
/* Writes the line of allocator call `ev` at p, without its closing "}\n",
 * and returns its end: `site` is the site's JSON text (NULL: none), `k`
 * what the line needs besides (out_marks_get, just after the event).
 * p must have OUT_JFAST_ROOM + slen bytes; out_jfast_ready(s, ev->type)
 * must have said true. */
char *out_jfast_body(struct out_jfast *s, char *p, const struct model_event *ev,
		     const char *site, size_t slen, const struct out_marks *k);

/* ---- the trace file's formatter thread (jqueue.c) ---------------------
 * trace -o's stream (afile.c) formats the allocator-call lines without an
 * extra member on a thread of its own: the tracer copies what a line needs
 * into a fixed-size queue; every other write to the stream first waits
 * until the queue is empty (out_jq_drain), so the bytes and their order
 * are those of the synchronous path. */
struct afile;
struct out_jq;
/* A queue of `slots` entries (a power of two, >= 2) and its thread, which
 * writes into `a`'s buffers; NULL when it cannot start (then the stream
 * writes every line in place). */
struct out_jq *out_jq_new(struct afile *a, unsigned slots);
/* Queues the line of `ev` (just applied to `m`); waits while the queue is
 * full.  False, queueing nothing, when the line must go the synchronous
 * way (not an allocator call, a site too long, out of memory, or the
 * queue steps aside after close drains: out_jq_no_bypass). */
bool out_jq_put(struct out_jq *q, const struct model *m, const struct model_event *ev);
/* Returns when every queued line is in `a`'s buffers: the caller's thread
 * owns them again until the next out_jq_put. */
void out_jq_drain(struct out_jq *q);
/* Drains, stops the thread and frees the queue and its site texts. */
void out_jq_free(struct out_jq *q);
/* When a drain must wait after only a few queued lines (step mode), the
 * next lines are written in place for a while (a wake-up per line would
 * cost more than the formatting).  For tests: never do that. */
void out_jq_no_bypass(struct out_jq *q);
/* For tests: the formatter takes nothing until the producer next waits
 * (a full queue, a drain); lines queued, waits for room so far. */
void out_jq_hold(struct out_jq *q);
size_t out_jq_queued(const struct out_jq *q);
unsigned long out_jq_full_waits(const struct out_jq *q);
/* The producer side of the stream's buffers (afile.c), for the thread
 * that owns them: out_file_room, out_file_commit, out_file_put on `a`. */
bool out_afile_room(struct afile *a, size_t min, char **p, size_t *room);
void out_afile_commit(struct afile *a, size_t n);
void out_afile_put(struct afile *a, const char *p, size_t n);
/* The queue of out_file_open's stream `f` (NULL: another stream, or none). */
struct out_jq *out_file_queue(FILE *f);
/* out_file_open with a queue of `slots` lines (0: none, every line in
 * place), for tests. */
FILE *out_file_open_q(const char *path, unsigned slots, struct err *e);

/* out_json_event_extra without the fast path (tests compare the two). */
void out_json_event_general(FILE *f, const struct model *m, const struct model_event *ev,
			    out_extra_fn extra, void *arg);
/* Writes already-valid JSON text as the next value. */
void out_json_raw(struct json *j, const char *text);

#endif
