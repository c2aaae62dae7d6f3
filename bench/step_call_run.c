/* step_call_run GRAN PROGRAM [ARGS]: drives memlens's tracer in step mode
 * at granularity GRAN (call or line), as the screen does (each stop applied
 * to a model that keeps its history), and prints "STOPS MEAN MEDIAN" (ns per
 * stop),
 * timed from the first call/line stop to the last (start-up, loading the
 * debug info and the program's exit are not stops). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/model.h"
#include "trace/trace.h"
#include "trace/trace_step.h"

static double dt[1 << 20]; /* time between stops */
static size_t nd;

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct model_opts mo = { .keep_history = true };
	struct model *m = model_new(&mo);
	struct trace_opts o = { .argv = argv + 2, .alloc = TRACE_ALLOC_LIBC, .step = true };
	struct err e = { 0 };
	struct model_event ev;
	struct timespec t0 = { 0, 0 }, t1 = { 0, 0 };
	long stops = 0;
	int rc, g;

	if (argc < 3 || !m || (g = trace_gran_parse(argv[1])) < 0)
		return 2;
	struct trace *t = trace_start(&o, m, &e);
	if (!t || trace_set_gran(t, (enum trace_gran)g, &e) != 0) {
		fprintf(stderr, "step_call_run: %s\n", e.msg);
		return 1;
	}
	while ((rc = trace_step(t, &ev, &e)) == 1) {
		if (ev.type != MEV_CALL && ev.type != MEV_RETURN && ev.type != MEV_LINE)
			continue;
		struct timespec x;
		clock_gettime(CLOCK_MONOTONIC, &x);
		if (stops && nd < sizeof(dt) / sizeof(dt[0]))
			dt[nd++] = (double)(x.tv_sec - t1.tv_sec) * 1e9 + (double)(x.tv_nsec - t1.tv_nsec);
		if (!stops++)
			t0 = x;
		t1 = x;
	}
	qsort(dt, nd, sizeof(dt[0]), cmp);
	double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	printf("%ld %.0f %.0f\n", stops, stops > 1 ? ns / (double)(stops - 1) : 0.0,
	       nd ? dt[nd / 2] : 0.0);
	trace_free(t);
	model_free(m);
	return rc < 0;
}
