/* bench_model: the model's history on a 1M-event workload (malloc, free,
 * realloc with a bounded live set): bytes per live block, time to seek to
 * random events (checkpoints) beside replaying from the start (no
 * checkpoints), and a 1M-event trace file: load time and seeks after it.
 * Usage: bench_model EVENTS LIVE TRACEFILE */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/model.h"
#include "out/out.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void die(const char *what, const struct err *e)
{
	fprintf(stderr, "bench_model: %s: %s\n", what, e->msg);
	exit(1);
}

/* The workload: a live set of at most `live` blocks at distinct addresses. */
static void build(struct model *m, size_t events, size_t live)
{
	uint64_t *addr = calloc(live, sizeof(*addr)), next = 0x555555559000, s = 42;
	uint32_t sites[64];
	struct err e = { 0 };

	for (int i = 0; i < 64; i++) {
		char fn[32];
		struct model_site st = { .addr = 0x401000 + (uint64_t)i * 0x40, .func = fn,
					 .file = "work.c", .line = 10 + i };
		snprintf(fn, sizeof(fn), "f%d", i);
		sites[i] = model_site_intern(m, &st);
	}
	for (size_t i = 0; i < events; i++) {
		uint64_t r = rnd(&s);
		size_t k = r % live;
		struct model_event ev = { .tid = 1, .seq = i, .site = sites[(r >> 20) % 64],
					  .stack_depth = 200 + (r >> 40) % 800 };
		if (!addr[k]) {
			ev.type = MEV_MALLOC;
			ev.args[0] = 1 + (r >> 8) % 512;
			ev.result = addr[k] = (next += 0x240);
		} else if ((r >> 12) % 4 == 0) {
			ev.type = MEV_REALLOC;
			ev.args[0] = addr[k];
			ev.args[1] = 1 + (r >> 24) % 512;
			ev.result = (r >> 14) % 2 ? addr[k] : (next += 0x240);
			addr[k] = ev.result;
		} else {
			ev.type = MEV_FREE;
			ev.args[0] = addr[k];
			addr[k] = 0;
		}
		if (model_apply(m, &ev, &e) < 0)
			die("apply", &e);
	}
	free(addr);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Seeks to `n` random events; prints the mean, median, 99th percentile and
 * worst in ms; returns the worst. */
static double seeks(struct model *m, int n, bool with_view, const char *label, double *mean)
{
	double *t = malloc((size_t)n * sizeof(*t)), sum = 0, c0 = cpu();
	uint64_t s = 7;
	struct err e = { 0 };

	for (int i = 0; i < n; i++) {
		size_t k = rnd(&s) % (model_event_count(m) + 1), nb;
		double t0 = now();
		if (model_seek(m, k, &e) < 0)
			die("seek", &e);
		if (with_view)
			model_blocks(m, &nb);
		t[i] = (now() - t0) * 1e3;
		sum += t[i];
	}
	double c = (cpu() - c0) * 1e3 / n;
	qsort(t, (size_t)n, sizeof(*t), cmp_d);
	printf("  %-44s mean %7.3f ms (cpu %6.3f)  median %7.3f  p99 %7.3f  worst %7.3f\n", label, sum / n,
	       c, t[n / 2], t[n * 99 / 100], t[n - 1]);
	double w = t[n - 1];
	if (mean)
		*mean = sum / n;
	free(t);
	return w;
}

/* The rejected design: no checkpoints, replay from event 0 each time. */
static double replay_from_start(struct model *m, int n)
{
	uint64_t s = 9;
	double sum = 0;
	struct err e = { 0 };

	for (int i = 0; i < n; i++) {
		size_t k = rnd(&s) % (model_event_count(m) + 1);
		struct model_opts o = { .keep_history = false };
		struct model *f = model_new(&o);
		double t0 = now();
		for (size_t j = 0; j < k; j++)
			if (model_apply(f, model_event(m, j), &e) < 0)
				die("apply", &e);
		sum += (now() - t0) * 1e3;
		model_free(f);
	}
	return sum / n;
}

int main(int argc, char **argv)
{
	size_t events = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	size_t live = argc > 2 ? strtoull(argv[2], NULL, 10) : 10000;
	const char *path = argc > 3 ? argv[3] : "bench/out/model.jsonl";
	struct model_opts ho = { .keep_history = true }, no = { .keep_history = false };
	struct model *m = model_new(&ho), *nh = model_new(&no), *rm;
	size_t lb, hb, nb, n0, n1;
	double t0, worst, scratch, load, mean = 0;
	struct err e = { 0 };
	FILE *f;

	printf("workload: %zu events (malloc/free/realloc), at most %zu live blocks\n", events, live);
	t0 = now();
	build(m, events, live);
	printf("  build the history                             %8.1f ms (%.0f ns per event)\n",
	       (now() - t0) * 1e3, (now() - t0) * 1e9 / (double)events);
	build(nh, events, live);
	n0 = model_stats(m)->live_blocks;

	printf("memory (goal: at most 64 bytes per live block plus the history)\n");
	model_mem(nh, &lb, &hb);
	printf("  without history: %8zu live blocks  %6.1f bytes per live block (block records, index)\n",
	       n0, (double)lb / (double)n0);
	model_mem(m, &lb, &hb);
	printf("  with history:    %8zu live blocks  %6.1f bytes per live block (index and live set), "
	       "history %.1f bytes per event\n", n0, (double)lb / (double)n0, (double)hb / (double)events);
	model_blocks(m, &nb);
	model_mem(m, &lb, &hb);
	printf("                   after model_blocks():     %6.1f bytes per live block (with the cached view)\n",
	       (double)lb / (double)n0);

	printf("seek to random events (goal < 50 ms each)\n");
	worst = seeks(m, 2000, false, "seek (checkpoints + replay)", &mean);
	(void)worst;
	seeks(m, 500, true, "seek + model_blocks() (what the screen needs)", NULL);
	scratch = replay_from_start(m, 20);
	printf("  %-44s mean %7.3f ms  -> checkpoints are %.0fx faster on average\n",
	       "rejected: replay from event 0", scratch, scratch / (mean > 0 ? mean : 1e-9));

	printf("trace file of the same run\n");
	if (!(f = fopen(path, "w"))) {
		perror(path);
		return 1;
	}
	t0 = now();
	{
		struct out_start st = { .program = "bench", .alloc = "libc" };
		out_json_start(f, &st);
		struct model *w = model_new(&no);
		for (size_t i = 0; i < events; i++) {
			if (model_apply(w, model_event(m, i), &e) < 0)
				die("apply", &e);
			out_json_event(f, w, model_event(w, i));
		}
		out_json_summary(f, w);
		model_free(w);
	}
	long sz = ftell(f);
	fclose(f);
	printf("  write %zu events (model + JSON)             %8.1f ms (%.0f ns per event), %.1f MiB\n", events,
	       (now() - t0) * 1e3, (now() - t0) * 1e9 / (double)events, (double)sz / 1048576.0);
	if (!(f = fopen(path, "r"))) {
		perror(path);
		return 1;
	}
	rm = model_new(&ho);
	t0 = now();
	if (out_trace_read(f, path, rm, NULL, &e) < 0)
		die("read", &e);
	load = (now() - t0) * 1e3;
	fclose(f);
	printf("  load it into a model with history (once)      %8.1f ms (%.0f ns per event)\n", load,
	       load * 1e6 / (double)events);
	seeks(rm, 2000, false, "then seek to random events", NULL);
	if (model_seek(rm, events, &e) < 0 || model_seek(m, events, &e) < 0)
		die("seek", &e);
	n1 = model_stats(rm)->live_blocks;
	printf("  the loaded model agrees with the built one:   %s\n",
	       n1 == model_stats(m)->live_blocks && model_event_count(rm) == events ? "yes" : "NO");
	model_free(rm);
	model_free(m);
	model_free(nh);
	return 0;
}
