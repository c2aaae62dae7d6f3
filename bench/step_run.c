/* step_run PROGRAM [ARGS]: drives memlens's tracer in step mode, as the
 * interactive screen does (a stop per allocator event, each applied to a
 * model that keeps its history), and prints "EVENTS NS_PER_STOP". */
#include <stdio.h>
#include <time.h>

#include "model/model.h"
#include "trace/trace.h"

int main(int argc, char **argv)
{
	struct model_opts mo = { .keep_history = true };
	struct model *m = model_new(&mo);
	struct trace_opts o = { .argv = argv + 1, .alloc = TRACE_ALLOC_LIBC, .step = true };
	struct err e = { 0 };
	struct model_event ev;
	struct timespec t0, t1;
	long stops = 0;
	int rc;

	if (argc < 2 || !m)
		return 2;
	struct trace *t = trace_start(&o, m, &e);
	if (!t) {
		fprintf(stderr, "step_run: %s\n", e.msg);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((rc = trace_step(t, &ev, &e)) == 1)
		stops += model_ev_is_alloc_call((enum model_ev_type)ev.type);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	printf("%ld %.0f\n", stops, stops ? ns / (double)stops : 0.0);
	trace_free(t);
	model_free(m);
	return rc < 0;
}
