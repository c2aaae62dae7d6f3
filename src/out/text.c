/* text: the event log and summary that `memlens trace` prints (and replay
 * --text prints again): one line per event, then the summary. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "out/out.h"
#include "out/out_int.h"
#include "ring/ring_format.h"
#include "util/fmt.h"

/* "malloc(40) = 0x5555555592a0" and friends. */
void out_describe_call(const struct model *m, const struct model_event *ev, char *buf, size_t n)
{
	const char *name = model_ev_name(ev->type);
	const uint64_t *a = ev->args;
	char res[64], sig[16];
	int k = 0;

	switch (ev->type) {
	case MEV_MALLOC: case MEV_VALLOC: case MEV_PVALLOC:
		k = snprintf(buf, n, "%s(%" PRIu64 ")", name, a[0]);
		break;
	case MEV_CALLOC:
		k = snprintf(buf, n, "calloc(%" PRIu64 ", %" PRIu64 ")", a[0], a[1]);
		break;
	case MEV_REALLOC:
		if (a[0])
			k = snprintf(buf, n, "realloc(0x%" PRIx64 ", %" PRIu64 ")", a[0], a[1]);
		else
			k = snprintf(buf, n, "realloc(NULL, %" PRIu64 ")", a[1]);
		break;
	case MEV_REALLOCARRAY:
		k = snprintf(buf, n, "reallocarray(0x%" PRIx64 ", %" PRIu64 ", %" PRIu64 ")", a[0], a[1], a[2]);
		break;
	case MEV_FREE:
		if (a[0])
			snprintf(buf, n, "free(0x%" PRIx64 ")", a[0]);
		else
			snprintf(buf, n, "free(NULL)");
		return;
	case MEV_POSIX_MEMALIGN: case MEV_ALIGNED_ALLOC: case MEV_MEMALIGN:
		k = snprintf(buf, n, "%s(%" PRIu64 ", %" PRIu64 ")", name, a[0], a[1]);
		break;
	case MEV_ERROR:
		snprintf(buf, n, "error: %s: %s(0x%" PRIx64 ")", out_error_words(ev->error),
			 model_ev_name((enum model_ev_type)a[0]), a[1]);
		return;
	case MEV_REGIONS: {
		size_t nr = 0;
		model_regions_snapshot(m, (uint32_t)ev->aux, &nr);
		snprintf(buf, n, "regions: %zu mappings", nr);
		return;
	}
	case MEV_SIGNAL:
		out_signame((int)ev->error, sig);
		if (out_signal_has_addr((int)ev->error)) {
			char why[400];
			model_explain_addr(m, ev->aux, why, sizeof(why));
			snprintf(buf, n, "signal %s at 0x%" PRIx64 ": %s", sig, ev->aux, why);
		} else {
			snprintf(buf, n, "signal %s", sig);
		}
		return;
	case MEV_EXEC:
		snprintf(buf, n, "exec: a new program image");
		return;
	case MEV_CALL: case MEV_RETURN: case MEV_LINE: {
		/* --step stops: args[0] = depth, args[1] = pc, result = rax */
		const struct model_site *s = model_site(m, ev->site);
		const char *fn = s && s->func ? s->func : "?";
		char d[32] = "";
		if (a[0])
			snprintf(d, sizeof(d), ", depth %" PRIu64, a[0]);
		if (ev->type == MEV_CALL)
			snprintf(buf, n, "call %s()%s", fn, d);
		else if (ev->type == MEV_RETURN)
			snprintf(buf, n, "return from %s() = %" PRId64 "%s", fn, (int64_t)ev->result, d);
		else if (s && s->file)
			snprintf(buf, n, "line %d of %s%s", s->line, s->file, d);
		else
			snprintf(buf, n, "line at 0x%" PRIx64 "%s", a[1], d);
		return;
	}
	case MEV_EXIT:
		if (ev->code)
			snprintf(buf, n, "exit: killed by %s%s", out_signame((int)ev->error, sig),
				 ev->code == 2 ? " from memlens" : "");
		else
			snprintf(buf, n, "exit: status %" PRIu64, ev->result);
		return;
	default:
		snprintf(buf, n, "%s", name);
		return;
	}
	if (k < 0 || (size_t)k >= n)
		return;
	if (ev->result)
		snprintf(res, sizeof(res), " = 0x%" PRIx64, ev->result);
	else if (ev->err_no)
		snprintf(res, sizeof(res), " = NULL (%s)", strerrorname_np(ev->err_no) ? strerrorname_np(ev->err_no) : "error");
	else
		snprintf(res, sizeof(res), " = NULL");
	snprintf(buf + k, n - (size_t)k, "%s", res);
}

void out_text_event(FILE *f, const struct model *m, const struct model_event *ev, size_t idx)
{
	const struct model_stats *st = model_stats(m);
	char what[640], site[256], a[FMT_SIZE_LEN], b[FMT_SIZE_LEN], c[FMT_SIZE_LEN];

	out_describe_call(m, ev, what, sizeof(what));
	fprintf(f, "#%zu  %s", idx + 1, what);
	if (ev->site)
		fprintf(f, "  in %s", model_site_format(m, ev->site, site, sizeof(site)));
	fprintf(f, "  heap %s in use", fmt_size(a, st->heap_in_use));
	if (st->brk_start)
		fprintf(f, ", break +%s", fmt_size(b, st->brk - st->brk_start));
	if (st->stack_depth)
		fprintf(f, ", stack %s", fmt_size(c, st->stack_depth));
	fputc('\n', f);
}

static const enum model_ev_type call_order[] = {
	MEV_MALLOC, MEV_CALLOC, MEV_REALLOC, MEV_REALLOCARRAY, MEV_FREE, MEV_POSIX_MEMALIGN,
	MEV_ALIGNED_ALLOC, MEV_MEMALIGN, MEV_VALLOC, MEV_PVALLOC,
};

void out_text_summary(FILE *f, const struct model *m)
{
	const struct model_stats *st = model_stats(m);
	const struct model_event *ex = model_exit_event(m);
	struct model_leak *lk = NULL;
	size_t nl = model_leaks(m, &lk);
	char a[FMT_SIZE_LEN], b[FMT_SIZE_LEN], site[256], sig[16];
	bool any = false;

	fprintf(f, "== memlens summary (%" PRIu64 " events) ==\n", st->events);
	fprintf(f, "calls:        ");
	for (size_t i = 0; i < sizeof(call_order) / sizeof(call_order[0]); i++) {
		if (!st->calls[call_order[i]])
			continue;
		fprintf(f, "%s%s %" PRIu64, any ? ", " : "", model_ev_name(call_order[i]), st->calls[call_order[i]]);
		any = true;
	}
	fprintf(f, "%s", any ? "" : "none");
	if (st->free_null)
		fprintf(f, " (free(NULL) %" PRIu64 " of the frees)", st->free_null);
	fprintf(f, "\nallocations:  %" PRIu64 ", frees %" PRIu64 "\n", st->allocations, st->deallocations);
	fprintf(f, "peak heap:    %s (requested bytes live at once)\n", fmt_size(a, st->heap_peak));
	fprintf(f, "allocator:    break moved +%s, mmap'd blocks %s at most\n",
		fmt_size(a, st->brk_start ? st->brk_max - st->brk_start : 0), fmt_size(b, st->mmap_peak));
	fprintf(f, "leaks %s %" PRIu64 " block%s, %s\n", ex ? "at exit:" : "at end: ", st->live_blocks,
		st->live_blocks == 1 ? "" : "s", fmt_size(a, st->heap_in_use));
	for (size_t i = 0; i < nl; i++) {
		if (lk[i].site)
			model_site_format(m, lk[i].site, site, sizeof(site));
		fprintf(f, "    %10s in %" PRIu64 " block%s allocated at %s\n", fmt_size(a, lk[i].bytes),
			lk[i].blocks, lk[i].blocks == 1 ? " " : "s", lk[i].site ? site : "an unknown site");
	}
	free(lk);
	fprintf(f, "errors:       %" PRIu64 "\n", st->errors);
	fprintf(f, "deepest stack: %s\n", fmt_size(a, st->stack_max));
	if (!ex)
		fprintf(f, "exit:         unknown (the trace ends before the program did)\n");
	else if (ex->code) {
		const struct model_event *sg = model_signal_event(m);
		if (ex->code == 2)
			fprintf(f, "exit:         none of its own: memlens killed it (%s) before it ended\n",
				out_signame((int)ex->error, sig));
		else
			fprintf(f, "exit:         killed by %s (signal %u)\n", out_signame((int)ex->error, sig), ex->error);
		/* -q prints no event lines, so the crash's explanation goes here. */
		if (sg && sg->error == ex->error) {
			char what[640];
			out_describe_call(m, sg, what, sizeof(what));
			fprintf(f, "crash:        %s\n", what);
		}
	}
	else
		fprintf(f, "exit:         status %" PRIu64 "\n", ex->result);
}

/* ---- names ------------------------------------------------------------- */

const char *out_signame(int signo, char *buf)
{
	const char *s = signo > 0 && signo < 65 ? sigabbrev_np(signo) : NULL;

	if (s)
		snprintf(buf, 16, "SIG%.12s", s);
	else
		snprintf(buf, 16, "SIG%d", signo);
	return buf;
}

int out_sigparse(const char *name)
{
	char buf[16];

	for (int i = 1; i < 65; i++)
		if (strcmp(out_signame(i, buf), name) == 0)
			return i;
	return 0;
}

bool out_signal_has_addr(int signo)
{
	return signo == SIGSEGV || signo == SIGBUS || signo == SIGFPE || signo == SIGILL;
}

static const char *const err_names[] = {
	[RING_ERR_DOUBLE_FREE] = "double_free", [RING_ERR_INVALID_FREE] = "invalid_free",
	[RING_ERR_REALLOC_FREED] = "realloc_freed", [RING_ERR_CORRUPT_HEADER] = "corrupt_header",
	[RING_ERR_OOM] = "oom",
};
static const char *const err_words[] = {
	[RING_ERR_DOUBLE_FREE] = "double free",
	[RING_ERR_INVALID_FREE] = "free of a pointer that malloc never returned",
	[RING_ERR_REALLOC_FREED] = "realloc of a freed block",
	[RING_ERR_CORRUPT_HEADER] = "a block header was overwritten (buffer overrun)",
	[RING_ERR_OOM] = "out of memory",
};
#define NERR (sizeof(err_names) / sizeof(err_names[0]))

const char *out_error_name(unsigned kind)
{
	return kind > 0 && kind < NERR ? err_names[kind] : "unknown";
}

const char *out_error_words(unsigned kind)
{
	return kind > 0 && kind < NERR ? err_words[kind] : "misuse";
}

unsigned out_error_parse(const char *name)
{
	for (unsigned i = 1; i < NERR; i++)
		if (strcmp(err_names[i], name) == 0)
			return i;
	return 0;
}
