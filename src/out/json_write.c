/* json_write: the JSON Lines trace file: a start line, one line per event,
 * a summary line.  Numbers are JSON integers; optional fields are written
 * only when they are not zero, so reading and writing again gives the same
 * bytes. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "out/jparse.h"
#include "out/out.h"
#include "out/jw.h"
#include "out/out_int.h"

void out_json_raw(struct json *j, const char *text)
{
	/* the writer has no raw call: place the separator as json_null
	 * would, then replace "null" by the text */
	if (j->after_key)
		j->after_key = false;
	else if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	fputs(text, j->f);
}

/* The trace this process writes (one at a time): its start line's
 * options said "alloc":"teach".  Event lines leave out what that implies
 * (out_implied_flags); out_json_start sets it from what it writes. */
static bool writing_teach;

void out_marks_get(const struct model *m, struct out_marks *k)
{
	model_prev_marks(m, &k->sp, &k->depth, &k->brk);
	k->freed = model_freed_span(m);
	k->teach = writing_teach;
}

/* Whether options text `raw` (a JSON object) says "alloc":"teach". */
static bool raw_says_teach(const char *raw)
{
	struct jdoc d = { 0 };
	uint32_t o = jdoc_parse(&d, raw, strlen(raw)), a;
	bool teach = false;

	if (o != JNONE && d.v[o].type == JT_OBJ && (a = jobj_get(&d, o, "alloc")) != JNONE &&
	    d.v[a].type == JT_STR)
		teach = strcmp(jstr(&d, a), "teach") == 0;
	jdoc_free(&d);
	return teach;
}

void out_json_start(FILE *f, const struct out_start *s)
{
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j);
	json_kstr(&j, "type", "start");
	json_kint(&j, "version", OUT_TRACE_VERSION);
	json_kstr(&j, "program", s->program);
	json_key(&j, "args");
	json_arr_begin(&j);
	for (int i = 0; i < s->argc; i++)
		json_str(&j, s->argv[i]);
	json_arr_end(&j);
	json_key(&j, "options");
	if (s->options_raw) {
		out_json_raw(&j, s->options_raw);
		writing_teach = raw_says_teach(s->options_raw);
	} else {
		writing_teach = !s->alloc || strcmp(s->alloc, "teach") == 0;
		json_obj_begin(&j);
		json_kstr(&j, "alloc", s->alloc ? s->alloc : "teach");
		json_kbool(&j, "aslr", s->aslr);
		json_kstr(&j, "mode", s->mode ? s->mode : "run");
		if (s->bytes)
			json_kbool(&j, "bytes", true);
		json_obj_end(&j);
	}
	json_key(&j, "layout");
	if (s->layout_raw)
		out_json_raw(&j, s->layout_raw);
	else if (s->layout)
		s->layout(&j, s->layout_arg);
	else
		json_null(&j);
	json_obj_end(&j);
	json_line_end(&j);
}

static void kopt(struct jw *j, const char *k, uint64_t v)
{
	if (v)
		jw_kuint(j, k, v);
}

/* `block`, `block_size`, `old_block`: since version 3 only where they
 * differ from what the teach layout implies (out_teach_implied). */
static void teach_facts(struct jw *j, const struct model_event *ev, const struct out_marks *k)
{
	struct out_teach_implied im = out_teach_implied(ev, ev->block, k->freed);

	if (ev->block != im.block)
		jw_kuint(j, "block", ev->block);
	if (ev->block_size != im.block_size)
		jw_kuint(j, "block_size", ev->block_size);
	if (ev->old_block != im.old_block)
		jw_kuint(j, "old_block", ev->old_block);
}

bool out_site_wants_off(const struct model_site *s)
{
	/* a site with file and line is named by them (model_site_format) */
	return !(s->file && s->line);
}

/* Version 2: `sp`, `stack_depth` and `brk` only when they differ from
 * the previous event line's (the reader carries them forward); in a loop
 * they repeat on nearly every line.  The model knows the previous event. */
static void carried_fields(struct jw *j, const struct model_event *ev, const struct out_marks *k)
{
	if (ev->sp != k->sp)
		jw_kuint(j, "sp", ev->sp);
	if (ev->stack_depth != k->depth)
		jw_kuint(j, "stack_depth", ev->stack_depth);
	if (ev->brk != k->brk)
		jw_kuint(j, "brk", ev->brk);
}

static void site_fmt(struct jw *j, const struct model_site *s)
{
	jw_open(j, '{');
	jw_kuint(j, "addr", s->addr);
	if (s->func)
		jw_kstr(j, "func", s->func);
	if (out_site_wants_off(s))
		kopt(j, "func_off", s->func_off);
	if (s->file)
		jw_kstr(j, "file", s->file);
	if (s->line)
		jw_kint(j, "line", s->line);
	if (s->object)
		jw_kstr(j, "object", s->object);
	jw_close(j, '}');
}

/* Formatted site objects by site index: a trace names a few sites again
 * and again, and formatting the object (escaping its strings) was a third
 * of an event's JSON.  An entry is keyed by the model's id and the index
 * (sites never change once interned), so checking it costs two compares.
 * One writing thread (the trace's or replay's). */
#define SITE_CACHE 512
struct site_memo {
	uint64_t model;      /* model_id, 0: empty */
	uint32_t idx;
	char *json;
	size_t len;
};
static struct site_memo *site_memo;

static void site_memo_put(struct site_memo *c, uint64_t model, uint32_t idx,
			  const struct model_site *s)
{
	struct jw t;
	char *buf = NULL;
	size_t len = 0;
	FILE *ms = open_memstream(&buf, &len);

	c->model = 0;
	if (!ms)
		return;
	jw_init(&t, ms);
	site_fmt(&t, s);
	jw_flush(&t);
	if (fclose(ms) != 0) {
		free(buf);
		return;
	}
	free(c->json);
	c->json = buf;
	c->len = len;
	c->model = model;
	c->idx = idx;
}

const char *out_site_json(const struct model *m, uint32_t idx, size_t *len)
{
	uint64_t id = model_id(m);
	struct site_memo *c;

	if (!site_memo)
		site_memo = calloc(SITE_CACHE, sizeof(*site_memo));
	if (!site_memo)
		return NULL;
	c = &site_memo[idx % SITE_CACHE];
	if (c->model != id || c->idx != idx)
		site_memo_put(c, id, idx, model_site(m, idx));
	if (c->model != id) /* out of memory: not cached */
		return NULL;
	*len = c->len;
	return c->json;
}

static void site_obj(struct jw *j, const struct model *m, uint32_t idx)
{
	size_t len;
	const char *json = out_site_json(m, idx, &len);

	if (!json) {
		site_fmt(j, model_site(m, idx));
		return;
	}
	jw_sep(j);
	jw_raw(j, json, len);
}

static void regions_arr(struct jw *j, const struct model *m, uint32_t snap)
{
	size_t n = 0;
	const struct model_region *r = model_regions_snapshot(m, snap, &n);

	jw_open(j, '[');
	for (size_t i = 0; i < n; i++) {
		jw_open(j, '{');
		jw_kuint(j, "start", r[i].start);
		jw_kuint(j, "end", r[i].end);
		jw_kstr(j, "kind", model_region_kind_name(r[i].kind));
		jw_kstr(j, "perms", r[i].perms);
		jw_kstr(j, "name", r[i].name);
		jw_close(j, '}');
	}
	jw_close(j, ']');
}

/* The arguments of an allocator call, by name. */
static void call_args(struct jw *j, const struct model_event *ev)
{
	const uint64_t *a = ev->args;

	switch (ev->type) {
	case MEV_MALLOC: case MEV_VALLOC: case MEV_PVALLOC:
		jw_kuint(j, "size", a[0]);
		break;
	case MEV_CALLOC:
		jw_kuint(j, "nmemb", a[0]);
		jw_kuint(j, "size", a[1]);
		break;
	case MEV_REALLOC:
		jw_kuint(j, "ptr", a[0]);
		jw_kuint(j, "size", a[1]);
		break;
	case MEV_REALLOCARRAY:
		jw_kuint(j, "ptr", a[0]);
		jw_kuint(j, "nmemb", a[1]);
		jw_kuint(j, "size", a[2]);
		break;
	case MEV_FREE:
		jw_kuint(j, "ptr", a[0]);
		return;
	case MEV_POSIX_MEMALIGN: case MEV_ALIGNED_ALLOC: case MEV_MEMALIGN:
		jw_kuint(j, "alignment", a[0]);
		jw_kuint(j, "size", a[1]);
		break;
	default:
		return;
	}
	jw_kuint(j, "result", ev->result);
}

/* "type":"malloc": the names are ours, so no escaping pass (the same
 * bytes jw_kstr writes). */
static void type_member(struct jw *j, uint16_t t)
{
	const char *name = model_ev_name((enum model_ev_type)t);
	size_t n = strlen(name);

	jw_key(j, "type");
	jw_sep(j);
	jw_need(j, n + 2);
	j->b[j->n] = '"';
	memcpy(j->b + j->n + 1, name, n);
	j->b[j->n + 1 + n] = '"';
	j->n += n + 2;
}

static bool is_step(uint16_t t)
{
	return t == MEV_CALL || t == MEV_RETURN || t == MEV_LINE;
}

void out_json_event(FILE *f, const struct model *m, const struct model_event *ev)
{
	out_json_event_extra(f, m, ev, NULL, NULL);
}

void out_json_event_extra(FILE *f, const struct model *m, const struct model_event *ev,
			  out_extra_fn extra, void *arg)
{
	if (ev->type >= MEV_MALLOC && ev->type <= MEV_PVALLOC) {
		/* trace -o's stream: formatted on its own thread (jqueue.c) */
		struct out_jq *q = extra ? NULL : out_file_queue(f);
		if (q && out_jq_put(q, m, ev))
			return;
		if (out_json_alloc_line(f, m, ev, extra, arg))
			return;
	}
	out_json_event_general(f, m, ev, extra, arg);
}

void out_json_event_general(FILE *f, const struct model *m, const struct model_event *ev,
			    out_extra_fn extra, void *arg)
{
	struct out_marks k;
	struct jw j;
	char sig[16], why[512];

	jw_init(&j, f);
	jw_open(&j, '{');
	type_member(&j, ev->type);
	jw_kuint(&j, "seq", ev->seq);
	jw_kint(&j, "tid", ev->tid);
	call_args(&j, ev);
	switch (ev->type) {
	case MEV_ERROR:
		jw_kstr(&j, "kind", out_error_name(ev->error));
		jw_kstr(&j, "call", model_ev_name((enum model_ev_type)ev->args[0]));
		jw_kuint(&j, "ptr", ev->args[1]);
		break;
	case MEV_REGIONS:
		jw_key(&j, "regions");
		regions_arr(&j, m, (uint32_t)ev->aux);
		break;
	case MEV_SIGNAL:
		jw_kstr(&j, "signal", out_signame((int)ev->error, sig));
		jw_kuint(&j, "signo", ev->error);
		if (out_signal_has_addr((int)ev->error) || ev->aux)
			jw_kuint(&j, "addr", ev->aux);
		if (out_signal_has_addr((int)ev->error))
			jw_kstr(&j, "explanation", model_explain_addr(m, ev->aux, why, sizeof(why)));
		break;
	case MEV_CALL: case MEV_RETURN: case MEV_LINE:
		/* --step stops (trace/trace_step.h) */
		kopt(&j, "depth", ev->args[0]);
		jw_kuint(&j, "pc", ev->args[1]);
		if (ev->type == MEV_RETURN)
			jw_kuint(&j, "value", ev->result);
		break;
	case MEV_EXIT:
		if (ev->code) {
			jw_kstr(&j, "signal", out_signame((int)ev->error, sig));
			jw_kuint(&j, "signo", ev->error);
			kopt(&j, "result", ev->result);
			if (ev->code == 2)
				jw_kstr(&j, "by", "memlens");
		} else {
			jw_kuint(&j, "status", ev->result);
		}
		break;
	default:
		break;
	}
	if (!model_ev_is_alloc_call(ev->type) && ev->type != MEV_ERROR && !is_step(ev->type)) {
		if (ev->args[0] || ev->args[1] || ev->args[2]) {
			jw_key(&j, "args");
			jw_open(&j, '[');
			for (int i = 0; i < 3; i++)
				jw_uint(&j, ev->args[i]);
			jw_close(&j, ']');
		}
		if (ev->type != MEV_EXIT)
			kopt(&j, "result", ev->result);
	}
	if (ev->type != MEV_SIGNAL && ev->type != MEV_REGIONS)
		kopt(&j, "aux", ev->aux);
	if (ev->site) {
		jw_key(&j, "site");
		site_obj(&j, m, ev->site);
	}
	out_marks_get(m, &k);
	if (ev->flags != out_implied_flags(ev->type, k.teach))
		jw_kuint(&j, "flags", ev->flags);
	carried_fields(&j, ev, &k);
	teach_facts(&j, ev, &k);
	if (ev->err_no)
		jw_kint(&j, "errno", ev->err_no);
	if (ev->code && ev->type != MEV_EXIT)
		jw_kint(&j, "code", ev->code);
	if (extra)
		out_json_extra_members(&j, f, extra, arg);
	jw_close(&j, '}');
	jw_end_line(&j);
}

void out_json_extra_members(struct jw *j, FILE *f, out_extra_fn extra, void *arg)
{
	struct json js;

	jw_flush(j);
	json_init(&js, f);
	js.depth = 1;
	js.first[1] = false;
	extra(&js, arg);
}

/* The summary's leak sites, with the same members as site_obj. */
static void site_obj_json(struct json *j, const struct model *m, uint32_t idx)
{
	const struct model_site *s = model_site(m, idx);

	json_obj_begin(j);
	json_kuint(j, "addr", s->addr);
	if (s->func)
		json_kstr(j, "func", s->func);
	if (s->func_off && out_site_wants_off(s))
		json_kuint(j, "func_off", s->func_off);
	if (s->file)
		json_kstr(j, "file", s->file);
	if (s->line)
		json_kint(j, "line", s->line);
	if (s->object)
		json_kstr(j, "object", s->object);
	json_obj_end(j);
}

static const enum model_ev_type calls[] = {
	MEV_MALLOC, MEV_CALLOC, MEV_REALLOC, MEV_REALLOCARRAY, MEV_FREE, MEV_POSIX_MEMALIGN,
	MEV_ALIGNED_ALLOC, MEV_MEMALIGN, MEV_VALLOC, MEV_PVALLOC,
};

void out_json_summary(FILE *f, const struct model *m)
{
	const struct model_stats *st = model_stats(m);
	const struct model_event *ex = model_exit_event(m);
	struct model_leak *lk = NULL;
	size_t nl = model_leaks(m, &lk);
	struct json j;
	char sig[16];

	json_init(&j, f);
	json_obj_begin(&j);
	json_kstr(&j, "type", "summary");
	json_key(&j, "calls");
	json_obj_begin(&j);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		json_kuint(&j, model_ev_name(calls[i]), st->calls[calls[i]]);
	json_obj_end(&j);
	json_kuint(&j, "free_null", st->free_null);
	json_kuint(&j, "allocations", st->allocations);
	json_kuint(&j, "deallocations", st->deallocations);
	json_kuint(&j, "peak_heap_bytes", st->heap_peak);
	json_kuint(&j, "leaked_bytes", st->heap_in_use);
	json_kuint(&j, "leaked_blocks", st->live_blocks);
	json_key(&j, "leaks");
	json_arr_begin(&j);
	for (size_t i = 0; i < nl; i++) {
		json_obj_begin(&j);
		json_key(&j, "site");
		site_obj_json(&j, m, lk[i].site);
		json_kuint(&j, "blocks", lk[i].blocks);
		json_kuint(&j, "bytes", lk[i].bytes);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	free(lk);
	json_kuint(&j, "max_stack_depth", st->stack_max);
	json_key(&j, "exit");
	if (!ex) {
		json_null(&j);
	} else {
		json_obj_begin(&j);
		if (ex->code) {
			json_kstr(&j, "signal", out_signame((int)ex->error, sig));
			json_kuint(&j, "signo", ex->error);
			if (ex->code == 2)
				json_kstr(&j, "by", "memlens");
		} else {
			json_kuint(&j, "status", ex->result);
		}
		json_obj_end(&j);
	}
	/* beyond the list: */
	json_kuint(&j, "errors", st->errors);
	json_kuint(&j, "break_bytes", st->brk_start ? st->brk_max - st->brk_start : 0);
	json_kuint(&j, "mmap_peak_bytes", st->mmap_peak);
	json_kuint(&j, "events", st->events);
	json_obj_end(&j);
	json_line_end(&j);
}
