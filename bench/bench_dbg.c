/* bench_dbg: what debug information costs at a stop.
 *  1. decoding a 50-frame stack (frames, CFA, locals) of a stopped target,
 *     cold (first time) and warm (DIE lookups cached);
 *  2. a cached call-site lookup;
 *  3. --step=call emulated on samples/recursion: a breakpoint at every
 *     entry of the program's own functions and at every return address,
 *     measured bare (stop + step over + continue) and with dbg work per
 *     stop (which function; the whole stack; the stack with locals).
 * Usage: bench_dbg TARGET(dbg_locals) RECURSION(samples/recursion) */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dbg/dbg.h"
#include "ptrace_harness.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void decode_bench(const char *prog)
{
	char *argv[] = { (char *)prog, "50", NULL };
	struct th t;
	struct err e = { 0 };
	struct user_regs_struct r;
	struct dbg_stack st;
	struct model_site site;
	double t0, cold, warm, bare;
	int n = 2000;

	th_start(&t, argv);
	struct dbg *h = dbg_open_pid(t.pid, &e);
	size_t nf;
	const struct dbg_func *f = dbg_funcs(h, &nf);
	uint64_t stop = 0;
	for (size_t i = 0; i < nf; i++)
		if (strcmp(f[i].name, "depth") == 0)
			stop = dbg_line_addr(h, "dbg_locals.c", f[i].line + 4);
	th_break(&t, stop);
	th_cont(&t, &r);
	dbg_refresh(h, &e);
	dbg_set_reader(h, th_read, &t);
	t0 = now();
	dbg_stack(h, t.pid, &r, DBG_LOCALS, 0, &st, &e);
	cold = now() - t0;
	size_t frames = st.n, locals = 0;
	for (size_t i = 0; i < st.n; i++)
		locals += st.frames[i].nlocals;
	dbg_stack_free(&st);
	t0 = now();
	for (int i = 0; i < n; i++) {
		dbg_stack(h, t.pid, &r, DBG_LOCALS, 0, &st, &e);
		dbg_stack_free(&st);
	}
	warm = (now() - t0) / n;
	t0 = now();
	for (int i = 0; i < n; i++) {
		dbg_stack(h, t.pid, &r, 0, 0, &st, &e);
		dbg_stack_free(&st);
	}
	bare = (now() - t0) / n;
	t0 = now();
	for (int i = 0; i < 1000000; i++)
		dbg_symbolize(h, r.rip + 1, &site);
	double sym = (now() - t0) / 1e6;
	printf("stack decode, %zu frames, %zu locals:\n", frames, locals);
	printf("  first decode (cold, loads DWARF)   %9.3f ms\n", cold * 1e3);
	printf("  with locals (warm)                 %9.3f ms   (goal < 1 ms)\n", warm * 1e3);
	printf("  frames only (warm)                 %9.3f ms\n", bare * 1e3);
	printf("  cached call-site lookup            %9.1f ns\n", sym * 1e9);
	th_kill(&t);
	dbg_close(h);
}

enum { BARE, FUNC, STACK, LOCALS, NMODE };
static const char *const mode_name[NMODE] = {
	"bare ptrace stop", "+ which function", "+ whole stack", "+ stack and locals" };

/* Runs the recursion sample with call/return breakpoints; returns the
 * seconds per stop and the number of stops. */
static double step_call(const char *prog, int mode, long *stops)
{
	char *argv[] = { (char *)prog, NULL };
	struct th t;
	struct err e = { 0 };
	struct user_regs_struct r;
	struct dbg_stack st;
	size_t nf;
	int hit, nentry;
	double t0;

	th_start(&t, argv);
	struct dbg *h = dbg_open_pid(t.pid, &e);
	const struct dbg_func *f = dbg_funcs(h, &nf);
	for (size_t i = 0; i < nf && i < TH_MAXBP / 2; i++)
		th_break(&t, f[i].entry);
	nentry = t.nbp;
	/* Warm up: reach main, load libc's modules and the caches. */
	hit = th_cont(&t, &r);
	dbg_refresh(h, &e);
	dbg_set_reader(h, th_read, &t);
	dbg_stack(h, t.pid, &r, DBG_LOCALS, 0, &st, &e);
	dbg_stack_free(&st);
	*stops = 1;
	t0 = now();
	while (hit >= 0) {
		if (mode >= FUNC) {
			volatile const struct dbg_func *fn = dbg_func_at(h, r.rip);
			struct model_site s;
			(void)fn;
			dbg_symbolize_pc(h, r.rip, &s);
		}
		if (mode >= STACK) {
			dbg_stack(h, t.pid, &r, mode == LOCALS ? DBG_LOCALS : 0, 0, &st, &e);
			dbg_stack_free(&st);
		}
		if (hit < nentry) { /* an entry: the return address is on top */
			uint64_t ret;
			int known = 0;
			th_read(&t, r.rsp, &ret, 8);
			for (int i = nentry; i < t.nbp; i++)
				known |= t.bp_addr[i] == ret;
			if (!known && dbg_func_at(h, ret))
				th_break(&t, ret);
		}
		th_rearm(&t, hit);
		hit = th_cont(&t, &r);
		(*stops)++;
	}
	double per = (now() - t0) / (double)*stops;
	th_kill(&t);
	dbg_close(h);
	return per;
}

int main(int argc, char **argv)
{
	cpu_set_t one;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_dbg DBG_LOCALS RECURSION\n");
		return 2;
	}
	/* Step mode wants the tracer and the target on one CPU (LINUX-NOTES). */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	decode_bench(argv[1]);
	printf("--step=call emulated on %s (entry + return breakpoints):\n", argv[2]);
	double base = 0;
	for (int m = 0; m < NMODE; m++) {
		long stops;
		double best = 1e9;
		for (int rep = 0; rep < 10; rep++) {
			double v = step_call(argv[2], m, &stops);
			if (v < best)
				best = v;
		}
		if (m == BARE)
			base = best;
		printf("  %-22s %6ld stops  %8.2f us/stop  %5.2fx bare\n", mode_name[m],
		       stops, best * 1e6, best / base);
	}
	return 0;
}
