/* trace_print: the text log and JSON Lines of `memlens trace`.  Text is
 * one line per event then a summary; JSON is a start record, one record
 * per event and a summary record (schema in memlens(1)). */
#include "cli/trace_print.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elfmap.h"
#include "ring/ring_format.h"
#include "util/fmt.h"
#include "util/json.h"

static const char *sig_name(int sig, char *buf, size_t len)
{
	const char *a = sigabbrev_np(sig);

	if (a)
		snprintf(buf, len, "SIG%s", a);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

static void site_json(struct json *j, const struct model *m, uint32_t idx)
{
	const struct model_site *s = model_site(m, idx);

	json_key(j, "site");
	json_obj_begin(j);
	json_kuint(j, "addr", s ? s->addr : 0);
	json_kstr(j, "func", s ? s->func : NULL);
	json_kstr(j, "file", s ? s->file : NULL);
	json_kint(j, "line", s ? s->line : 0);
	if (s && s->object)
		json_kstr(j, "object", s->object);
	json_obj_end(j);
}

/* The arguments as the call received them, by name. */
static void args_json(struct json *j, const struct model_event *ev)
{
	switch (ev->type) {
	case MEV_MALLOC: case MEV_VALLOC: case MEV_PVALLOC:
		json_kuint(j, "size", ev->args[0]);
		break;
	case MEV_CALLOC:
		json_kuint(j, "nmemb", ev->args[0]);
		json_kuint(j, "size", ev->args[1]);
		break;
	case MEV_REALLOC:
		json_kuint(j, "ptr", ev->args[0]);
		json_kuint(j, "size", ev->args[1]);
		break;
	case MEV_REALLOCARRAY:
		json_kuint(j, "ptr", ev->args[0]);
		json_kuint(j, "nmemb", ev->args[1]);
		json_kuint(j, "size", ev->args[2]);
		break;
	case MEV_FREE:
		json_kuint(j, "ptr", ev->args[0]);
		break;
	case MEV_POSIX_MEMALIGN: case MEV_ALIGNED_ALLOC: case MEV_MEMALIGN:
		json_kuint(j, "alignment", ev->args[0]);
		json_kuint(j, "size", ev->args[1]);
		break;
	default:
		break;
	}
}

static void call_text(char *buf, size_t len, const struct model_event *ev)
{
	const char *n = model_ev_name((enum model_ev_type)ev->type);
	const uint64_t *a = ev->args;

	switch (ev->type) {
	case MEV_FREE:
		snprintf(buf, len, "free(0x%" PRIx64 ")", a[0]);
		return;
	case MEV_CALLOC:
		snprintf(buf, len, "calloc(%" PRIu64 ", %" PRIu64 ")", a[0], a[1]);
		break;
	case MEV_REALLOC:
		snprintf(buf, len, "realloc(0x%" PRIx64 ", %" PRIu64 ")", a[0], a[1]);
		break;
	case MEV_REALLOCARRAY:
		snprintf(buf, len, "reallocarray(0x%" PRIx64 ", %" PRIu64 ", %" PRIu64 ")",
			 a[0], a[1], a[2]);
		break;
	case MEV_POSIX_MEMALIGN:
		snprintf(buf, len, "posix_memalign(&p, %" PRIu64 ", %" PRIu64 ")", a[0], a[1]);
		break;
	case MEV_ALIGNED_ALLOC: case MEV_MEMALIGN:
		snprintf(buf, len, "%s(%" PRIu64 ", %" PRIu64 ")", n, a[0], a[1]);
		break;
	default:
		snprintf(buf, len, "%s(%" PRIu64 ")", n, a[0]);
	}
	size_t l = strlen(buf);
	snprintf(buf + l, len - l, " = 0x%" PRIx64, ev->result);
}

static const char *error_name(uint32_t e)
{
	switch (e) {
	case RING_ERR_DOUBLE_FREE: return "double free";
	case RING_ERR_INVALID_FREE: return "free of a pointer malloc never returned";
	case RING_ERR_REALLOC_FREED: return "realloc of a freed block";
	case RING_ERR_CORRUPT_HEADER: return "block header overwritten (buffer overrun)";
	case RING_ERR_OOM: return "out of memory";
	default: return "allocator error";
	}
}

void trace_print_start(struct trace_print *p, struct model *m)
{
	struct json j;

	(void)m;
	if (!p->json)
		return;
	json_init(&j, p->f);
	json_obj_begin(&j);
	json_kstr(&j, "type", "start");
	json_key(&j, "argv");
	json_arr_begin(&j);
	for (size_t i = 0; p->argv[i]; i++)
		json_str(&j, p->argv[i]);
	json_arr_end(&j);
	json_kint(&j, "pid", trace_pid(p->trace));
	json_kstr(&j, "alloc", p->alloc == TRACE_ALLOC_LIBC ? "libc" : "teach");
	if (trace_elf(p->trace)) {
		json_key(&j, "layout");
		elfmap_write_json(&j, trace_elf(p->trace));
	}
	json_obj_end(&j);
	json_line_end(&j);
}

static void event_json(struct trace_print *p, struct model *m, const struct model_event *ev)
{
	struct json j;
	char sn[32], what[512];

	json_init(&j, p->f);
	json_obj_begin(&j);
	json_kstr(&j, "type", model_ev_name((enum model_ev_type)ev->type));
	json_kuint(&j, "seq", ev->seq);
	json_kint(&j, "tid", ev->tid);
	if (model_ev_is_alloc_call((enum model_ev_type)ev->type)) {
		args_json(&j, ev);
		if (ev->type != MEV_FREE)
			json_kuint(&j, "result", ev->result);
		site_json(&j, m, ev->site);
	} else if (ev->type == MEV_ERROR) {
		json_kstr(&j, "error", error_name(ev->error));
		json_kuint(&j, "ptr", ev->aux);
		site_json(&j, m, ev->site);
	} else if (ev->type == MEV_REGIONS) {
		size_t n = 0;
		const struct model_region *r = model_regions(m, &n);
		json_key(&j, "regions");
		json_arr_begin(&j);
		for (size_t i = 0; i < n; i++) {
			json_obj_begin(&j);
			json_kstr(&j, "kind", model_region_kind_name((enum model_region_kind)r[i].kind));
			json_kuint(&j, "start", r[i].start);
			json_kuint(&j, "end", r[i].end);
			json_kstr(&j, "perms", r[i].perms);
			json_kstr(&j, "name", r[i].name);
			json_obj_end(&j);
		}
		json_arr_end(&j);
	} else if (ev->type == MEV_SIGNAL) {
		json_kstr(&j, "signal", sig_name((int)ev->error, sn, sizeof(sn)));
		json_kint(&j, "code", ev->code);
		json_kuint(&j, "addr", ev->aux);
		trace_fault_describe(m, ev->aux, ev->sp, what, sizeof(what));
		if (ev->error == SIGSEGV || ev->error == SIGBUS)
			json_kstr(&j, "what", what);
	} else if (ev->type == MEV_EXIT) {
		if (ev->code)
			json_kstr(&j, "signal", sig_name((int)ev->error, sn, sizeof(sn)));
		else
			json_kuint(&j, "status", ev->result);
	}
	json_kuint(&j, "sp", ev->sp);
	json_kuint(&j, "stack_depth", ev->stack_depth);
	json_obj_end(&j);
	json_line_end(&j);
}

void trace_print_event(void *ctx, struct model *m, const struct model_event *ev)
{
	struct trace_print *p = ctx;
	const struct model_stats *s = model_stats(m);
	char call[256], site[256], a[FMT_SIZE_LEN], b[FMT_SIZE_LEN], c[FMT_SIZE_LEN];
	char what[512], sn[32];
	size_t k = model_event_count(m);

	if (p->quiet)
		return;
	if (p->json) {
		event_json(p, m, ev);
		return;
	}
	trace_site_str(model_site(m, ev->site), site, sizeof(site));
	switch (ev->type) {
	case MEV_REGIONS: {
		size_t n = 0;
		const struct model_region *r = model_regions(m, &n);
		uint64_t heap = 0;
		for (size_t i = 0; i < n; i++)
			if (r[i].kind == MR_HEAP)
				heap += r[i].end - r[i].start;
		fprintf(p->f, "#%-4zu regions: %zu mappings, [heap] %s\n", k, n, fmt_size(a, heap));
		return;
	}
	case MEV_ERROR:
		fprintf(p->f, "#%-4zu error: %s at 0x%" PRIx64 "  in %s\n", k,
			error_name(ev->error), ev->aux, site);
		return;
	case MEV_SIGNAL:
		trace_fault_describe(m, ev->aux, ev->sp, what, sizeof(what));
		if (ev->error == SIGSEGV || ev->error == SIGBUS)
			fprintf(p->f, "#%-4zu signal %s at address 0x%" PRIx64 ": %s\n", k,
				sig_name((int)ev->error, sn, sizeof(sn)), ev->aux, what);
		else
			fprintf(p->f, "#%-4zu signal %s\n", k, sig_name((int)ev->error, sn, sizeof(sn)));
		return;
	case MEV_EXEC:
		fprintf(p->f, "#%-4zu exec: a new program image\n", k);
		return;
	case MEV_EXIT:
		if (ev->code)
			fprintf(p->f, "#%-4zu killed by %s\n", k, sig_name((int)ev->error, sn, sizeof(sn)));
		else
			fprintf(p->f, "#%-4zu exit %" PRIu64 "\n", k, ev->result);
		return;
	default:
		break;
	}
	if (!model_ev_is_alloc_call((enum model_ev_type)ev->type))
		return;
	call_text(call, sizeof(call), ev);
	fprintf(p->f, "#%-4zu %s  in %s  heap %s in use, break +%s, stack %s\n", k, call, site,
		fmt_size(a, s->heap_in_use), fmt_size(b, s->brk > s->brk_start ? s->brk - s->brk_start : 0),
		fmt_size(c, ev->stack_depth));
}

static void summary_text(struct trace_print *p, struct model *m, struct model_leak *lk, size_t nl)
{
	const struct model_stats *s = model_stats(m);
	const struct model_event *x = model_exit_event(m);
	char a[FMT_SIZE_LEN], b[FMT_SIZE_LEN], site[256], sn[32];
	uint64_t leaked = 0, blocks = 0;
	FILE *f = p->f;

	fprintf(f, "-- summary --\ncalls:");
	for (int t = MEV_MALLOC; t <= MEV_PVALLOC; t++)
		if (s->calls[t])
			fprintf(f, " %s %" PRIu64, model_ev_name((enum model_ev_type)t), s->calls[t]);
	if (s->free_null)
		fprintf(f, " (free(NULL) %" PRIu64 ")", s->free_null);
	fprintf(f, "\nallocations %" PRIu64 ", frees %" PRIu64 ", errors %" PRIu64 "\n",
		s->allocations, s->deallocations, s->errors);
	fprintf(f, "peak heap %s (requested sizes live at once)\n", fmt_size(a, s->heap_peak));
	fprintf(f, "heap as the allocator sees it: break +%s, mmap'd blocks %s\n",
		fmt_size(a, s->brk > s->brk_start ? s->brk - s->brk_start : 0),
		fmt_size(b, s->mmap_bytes));
	for (size_t i = 0; i < nl; i++)
		leaked += lk[i].bytes, blocks += lk[i].blocks;
	fprintf(f, "leaks at exit: %s in %" PRIu64 " block%s\n", fmt_size(a, leaked), blocks,
		blocks == 1 ? "" : "s");
	for (size_t i = 0; i < nl && i < 20; i++) {
		trace_site_str(model_site(m, lk[i].site), site, sizeof(site));
		fprintf(f, "  %s in %" PRIu64 " block%s allocated in %s\n", fmt_size(a, lk[i].bytes),
			lk[i].blocks, lk[i].blocks == 1 ? "" : "s", site);
	}
	fprintf(f, "deepest stack %s\n", fmt_size(a, s->stack_max));
	if (x && x->code)
		fprintf(f, "the program was killed by %s\n", sig_name((int)x->error, sn, sizeof(sn)));
	else if (x)
		fprintf(f, "the program exited with status %" PRIu64 "\n", x->result);
}

static void summary_json(struct trace_print *p, struct model *m, struct model_leak *lk, size_t nl)
{
	const struct model_stats *s = model_stats(m);
	const struct model_event *x = model_exit_event(m);
	uint64_t leaked = 0, blocks = 0;
	char sn[32];
	struct json j;

	json_init(&j, p->f);
	json_obj_begin(&j);
	json_kstr(&j, "type", "summary");
	json_key(&j, "calls");
	json_obj_begin(&j);
	for (int t = MEV_MALLOC; t <= MEV_PVALLOC; t++)
		json_kuint(&j, model_ev_name((enum model_ev_type)t), s->calls[t]);
	json_obj_end(&j);
	json_kuint(&j, "free_null", s->free_null);
	json_kuint(&j, "allocations", s->allocations);
	json_kuint(&j, "deallocations", s->deallocations);
	json_kuint(&j, "peak_heap_bytes", s->heap_peak);
	for (size_t i = 0; i < nl; i++)
		leaked += lk[i].bytes, blocks += lk[i].blocks;
	json_kuint(&j, "leaked_bytes", leaked);
	json_kuint(&j, "leaked_blocks", blocks);
	json_key(&j, "leaks");
	json_arr_begin(&j);
	for (size_t i = 0; i < nl; i++) {
		json_obj_begin(&j);
		site_json(&j, m, lk[i].site);
		json_kuint(&j, "blocks", lk[i].blocks);
		json_kuint(&j, "bytes", lk[i].bytes);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_kuint(&j, "errors", s->errors);
	json_kuint(&j, "max_stack_depth", s->stack_max);
	json_key(&j, "exit");
	json_obj_begin(&j);
	if (x && x->code)
		json_kstr(&j, "signal", sig_name((int)x->error, sn, sizeof(sn)));
	else
		json_kuint(&j, "status", x ? x->result : 0);
	json_obj_end(&j);
	json_obj_end(&j);
	json_line_end(&j);
}

void trace_print_summary(struct trace_print *p, struct model *m)
{
	struct model_leak *lk = NULL;
	size_t nl = model_leaks(m, &lk), nn = 0;
	const char *const *notes = trace_notes(p->trace, &nn);

	for (size_t i = 0; i < nn; i++)
		fprintf(stderr, "memlens: note: %s\n", notes[i]);
	if (p->json)
		summary_json(p, m, lk, nl);
	else
		summary_text(p, m, lk, nl);
	free(lk);
	fflush(p->f);
}
