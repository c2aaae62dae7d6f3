/* bench_ui: the time of one step of the screen (model seek + view update +
 * drawing every pane + writing the frame) with 100k live blocks and a
 * 1M-event history, stepping forward and back, rendered into a virtual
 * terminal (newterm on /dev/null) at 120x40 and 80x24.  Goal: < 16 ms.
 * Usage: bench_ui [LIVE [EVENTS [STEPS]]] */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ui/draw.h"
#include "ui_fixture.h"

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* 100k blocks stay in use; then malloc/free pairs of a scratch block that
 * the allocator takes from the free tail and merges back. */
static struct model *build(size_t live, size_t events)
{
	struct model_opts o = { .keep_history = true, .teach = true };
	struct model *m = model_new(&o);
	struct fx f;
	uint64_t s = 88172645463325252ull;

	fx_start(&f, m);
	for (size_t i = 0; i < live; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		fx_malloc(&f, 16 + s % 240);
	}
	while (model_event_count(m) + 2 <= events) {
		uint64_t p = fx_malloc(&f, 64);
		struct model_event ev = { 0 };
		ev.type = MEV_FREE;
		ev.flags = RING_F_TEACH | RING_F_COALESCED;
		ev.args[0] = p;
		ev.site = f.site_free;
		ev.block = p - FX_HDR;
		ev.block_size = fx_block_size(64);
		ev.old_block = ev.block;
		ev.brk = f.brk;
		fx_apply(&f, &ev);
		f.top -= fx_block_size(64);
	}
	return m;
}

struct stats {
	double med, p99, max;
};

static struct stats summarize(double *t, int n)
{
	struct stats s;

	qsort(t, (size_t)n, sizeof(*t), cmp);
	s.med = t[n / 2];
	s.p99 = t[(n * 99) / 100];
	s.max = t[n - 1];
	return s;
}

/* One frame: what ui.c does for a step. */
static void frame(struct ui *u, size_t k, double *seek_ms)
{
	struct err e = { 0 };
	double t0 = now_ms();

	u->v.cur = k;
	if (model_seek(u->m, k, &e) != 0) {
		fprintf(stderr, "bench_ui: seek: %s\n", e.msg);
		exit(1);
	}
	view_stepped(&u->v, u->m);
	*seek_ms = now_ms() - t0;
	ui_draw(u);
	refresh();
}

static void run(struct model *m, int rows, int cols, size_t from, int steps)
{
	struct ui_opts o = { .color = UI_COLOR_ALWAYS, .ascii = false, .title = "bench" };
	struct err e = { 0 };
	struct ui u;
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	SCREEN *scr = newterm("xterm-256color", out, in);
	double *fw = malloc(sizeof(double) * (size_t)steps), *bw = malloc(sizeof(double) * (size_t)steps);
	double *fs = malloc(sizeof(double) * (size_t)steps), *bs = malloc(sizeof(double) * (size_t)steps);
	struct stats a, b, c, d;
	size_t nb;

	if (!scr || ui_init(&u, &o, m, NULL, &e) != 0) {
		fprintf(stderr, "bench_ui: cannot start a virtual screen\n");
		exit(1);
	}
	resizeterm(rows, cols);
	ui_colors_start(&u);
	frame(&u, from, &fs[0]);
	for (int i = 0; i < steps; i++) {
		double t0 = now_ms();
		frame(&u, from + (size_t)i + 1, &fs[i]);
		fw[i] = now_ms() - t0;
	}
	for (int i = 0; i < steps; i++) {
		double t0 = now_ms();
		frame(&u, from + (size_t)steps - (size_t)i - 1, &bs[i]);
		bw[i] = now_ms() - t0;
	}
	model_blocks(m, &nb);
	double *dr = malloc(sizeof(double) * (size_t)steps * 2);
	for (int i = 0; i < steps; i++) {
		dr[i] = fw[i] - fs[i];
		dr[steps + i] = bw[i] - bs[i];
	}
	struct stats dd = summarize(dr, steps * 2);
	free(dr);
	a = summarize(fw, steps);
	b = summarize(bw, steps);
	c = summarize(fs, steps);
	d = summarize(bs, steps);
	printf("%3dx%-3d %9zu %9zu   forward %6.2f %6.2f %6.2f   back %6.2f %6.2f %6.2f   "
	       "| model seek+view fwd %5.2f back %5.2f | drawing %5.2f (p99 %5.2f)  %s\n",
	       cols, rows, model_event_count(m), nb, a.med, a.p99, a.max, b.med, b.p99, b.max,
	       c.med, d.med, dd.med, dd.p99, a.med < 16 && b.med < 16 ? "median < 16 ms" : "median OVER 16 ms");
	ui_fini(&u);
	endwin();
	delscreen(scr);
	fclose(out);
	fclose(in);
	free(fw);
	free(bw);
	free(fs);
	free(bs);
}

int main(int argc, char **argv)
{
	size_t live = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	size_t events = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
	int steps = argc > 3 ? atoi(argv[3]) : 200;
	double t0 = now_ms();
	struct model *m = build(live, events);
	double built = now_ms() - t0;
	size_t from = model_event_count(m) * 6 / 10;

	printf("history: %zu events, %zu blocks in use, built in %.0f ms; %d steps from event %zu\n",
	       model_event_count(m), live, built, steps, from);
	printf("screen   events    blocks   per frame ms: median p99 max (forward, back); medians of the parts\n");
	run(m, 40, 120, from, steps);
	run(m, 24, 80, from, steps);
	run(m, 40, 120, model_event_count(m) - (size_t)steps - 1, steps);
	model_free(m);
	return 0;
}
