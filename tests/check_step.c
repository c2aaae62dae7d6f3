/* check_step: stepping by call and by line, --frames and the API the
 * screen uses (granularity, finish, frames), against the samples' source
 * text: names, depths, return values and lines are what the C says.
 * Every target gets a marker argument; after each test no process
 * carrying it may remain. */
#include <limits.h>

#include "model/model.h"
#include "out/jparse.h"
#include "testutil.h"
#include "trace/trace.h"
#include "trace/trace_step.h"

static char marker[64];
static char tmp[64];

static void setup(void)
{
	snprintf(marker, sizeof(marker), "memlens-step-%d", (int)getpid());
	snprintf(tmp, sizeof(tmp), "/tmp/memlens-step-%d.jsonl", (int)getpid());
}

static void teardown(void)
{
	unlink(tmp);
	ck_assert_msg(!tu_marker_alive(marker), "a traced process was left behind");
}

/* The source line (1-based) of the first line of `path` holding `text`. */
static int src_line(const char *path, const char *text)
{
	char *s = tu_slurp(path), *p = strstr(s, text);
	int line = 1;

	ck_assert_msg(p, "%s not in %s", text, path);
	for (char *c = s; c < p; c++)
		line += *c == '\n';
	free(s);
	return line;
}

/* Line `no` of `path`, without its newline (static buffer). */
static const char *src_text(const char *path, int no)
{
	static char buf[512];
	FILE *f = fopen(path, "r");
	int n = 0;

	buf[0] = '\0';
	while (f && fgets(buf, sizeof(buf), f) && ++n < no)
		;
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return n == no ? buf : "";
}

/* ---- a trace file, line by line ------------------------------------ */

struct tf {
	FILE *f;
	char *line;
	size_t cap;
	struct jdoc d;
	uint32_t o;
};

static bool tf_next(struct tf *t)
{
	ssize_t n = getline(&t->line, &t->cap, t->f);

	if (n <= 0)
		return false;
	t->o = jdoc_parse(&t->d, t->line, (size_t)n);
	ck_assert_msg(t->o != JNONE, "bad JSON: %s", t->line);
	return true;
}

static const char *js(struct jdoc *d, uint32_t o, const char *k)
{
	uint32_t v = o == JNONE ? JNONE : jobj_get(d, o, k);
	return v != JNONE && d->v[v].type == JT_STR ? jstr(d, v) : "";
}

static int64_t ji(struct jdoc *d, uint32_t o, const char *k)
{
	uint32_t v = o == JNONE ? JNONE : jobj_get(d, o, k);
	if (v == JNONE || d->v[v].type != JT_INT)
		return -1;
	return d->v[v].neg ? -(int64_t)d->v[v].u : (int64_t)d->v[v].u;
}

static void tf_open(struct tf *t, const char *path)
{
	memset(t, 0, sizeof(*t));
	t->f = fopen(path, "r");
	ck_assert_msg(t->f != NULL, "no trace file %s", path);
}

static void tf_close(struct tf *t)
{
	fclose(t->f);
	free(t->line);
	jdoc_free(&t->d);
}

/* ---- --step=call ---------------------------------------------------- */

START_TEST(step_call_recursion_balanced_names_depths_values)
{
	struct run r = tu_sh(60, "%s trace --json --step=call -o %s samples/recursion %s",
			     tu_memlens(), tmp, marker);
	struct tf t;
	char stack[64][32];
	int n = 0, fact_calls = 0, depth_calls = 0, max_fact = 0, max_depth = 0, nret = 0;
	int64_t fact_vals[8], deepest_call_sp = 0, summary_max = -1;

	ck_assert_int_eq(r.status, 0);
	tf_open(&t, tmp);
	while (tf_next(&t)) {
		const char *type = js(&t.d, t.o, "type");
		uint32_t site = jobj_get(&t.d, t.o, "site");
		const char *fn = js(&t.d, site, "func");
		int64_t depth = ji(&t.d, t.o, "depth");
		if (strcmp(type, "call") == 0) {
			ck_assert_int_lt(n, 64);
			ck_assert_int_eq(depth, n + 1); /* one deeper than its caller */
			snprintf(stack[n++], sizeof(stack[0]), "%s", fn);
			if (ji(&t.d, t.o, "stack_depth") > deepest_call_sp)
				deepest_call_sp = ji(&t.d, t.o, "stack_depth");
			if (strcmp(fn, "factorial") == 0) {
				fact_calls++;
				if (depth > max_fact)
					max_fact = (int)depth;
			} else if (strcmp(fn, "depth") == 0) {
				depth_calls++;
				if (depth > max_depth)
					max_depth = (int)depth;
			} else {
				ck_assert_str_eq(fn, "main");
			}
		} else if (strcmp(type, "return") == 0) {
			ck_assert_int_gt(n, 0);
			ck_assert_int_eq(depth, n);          /* the frame it leaves */
			ck_assert_str_eq(fn, stack[n - 1]);  /* the function that was called */
			if (strcmp(fn, "factorial") == 0 && nret < 8)
				fact_vals[nret++] = ji(&t.d, t.o, "value");
			n--;
		} else if (strcmp(type, "summary") == 0) {
			summary_max = ji(&t.d, t.o, "max_stack_depth");
		}
	}
	tf_close(&t);
	ck_assert_int_eq(n, 0); /* every call returned */
	/* recursion.c: factorial(5) from main, depth(1, 40) from main */
	ck_assert_int_eq(fact_calls, 5);
	ck_assert_int_eq(max_fact, 6);   /* main, then five factorial frames */
	ck_assert_int_eq(depth_calls, 40);
	ck_assert_int_eq(max_depth, 41);
	ck_assert_int_eq(nret, 5);
	int64_t want[] = { 1, 2, 6, 24, 120 }; /* 1!, 2!, ... 5!: innermost first */
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(fact_vals[i], want[i]);
	/* the summary's deepest stack is the deepest call, to within a frame
	 * (depth()'s frame holds a 256-byte array) */
	ck_assert_int_ge(summary_max, deepest_call_sp);
	ck_assert_int_lt(summary_max - deepest_call_sp, 1024);
	tu_run_free(&r);
}
END_TEST

START_TEST(step_call_balances_after_longjmp)
{
	struct run r = tu_sh(60, "%s trace --json --step=call -o %s tests/targets/step_longjmp %s",
			     tu_memlens(), tmp, marker);
	struct tf t;
	int n = 0, deep_calls = 0, deep_rets = 0;
	int64_t twice_depth = -1;

	ck_assert_int_eq(r.status, 42);
	tf_open(&t, tmp);
	while (tf_next(&t)) {
		const char *type = js(&t.d, t.o, "type");
		const char *fn = js(&t.d, jobj_get(&t.d, t.o, "site"), "func");
		if (strcmp(type, "call") == 0) {
			n++;
			deep_calls += strcmp(fn, "deep") == 0;
			if (strcmp(fn, "twice") == 0)
				twice_depth = ji(&t.d, t.o, "depth");
		} else if (strcmp(type, "return") == 0) {
			ck_assert_int_eq(ji(&t.d, t.o, "depth"), n);
			deep_rets += strcmp(fn, "deep") == 0;
			n--;
		}
	}
	tf_close(&t);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(deep_calls, 6);   /* deep(5) .. deep(0) */
	ck_assert_int_eq(deep_rets, 6);    /* left by the longjmp, popped */
	ck_assert_int_eq(twice_depth, 2);  /* right under main */
	tu_run_free(&r);
}
END_TEST

START_TEST(step_call_text_log_and_replay)
{
	struct run r = tu_sh(60, "%s trace --json --step=call -o %s samples/recursion %s && "
			     "%s replay --text %s", tu_memlens(), tmp, marker, tu_memlens(), tmp);

	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "call factorial(), depth 2"));
	ck_assert_ptr_nonnull(strstr(r.out, "return from factorial() = 120, depth 2"));
	ck_assert_ptr_nonnull(strstr(r.out, "return from main() = 0, depth 1"));
	tu_run_free(&r);
	/* written, read, written again: the same bytes */
	r = tu_sh(60, "%s replay --json %s | cmp - %s", tu_memlens(), tmp, tmp);
	ck_assert_int_eq(r.status, 0);
	tu_run_free(&r);
}
END_TEST

/* ---- --step=line ---------------------------------------------------- */

START_TEST(step_line_lines_are_source_statements)
{
	const char *src = "samples/recursion.c";
	struct run r = tu_sh(60, "%s trace --json --step=line -o %s samples/recursion %s",
			     tu_memlens(), tmp, marker);
	struct tf t;
	bool seen[128] = { false };
	int nline = 0;

	ck_assert_int_eq(r.status, 0);
	tf_open(&t, tmp);
	while (tf_next(&t)) {
		if (strcmp(js(&t.d, t.o, "type"), "line") != 0)
			continue;
		uint32_t site = jobj_get(&t.d, t.o, "site");
		int64_t no = ji(&t.d, site, "line");
		ck_assert_ptr_nonnull(strstr(js(&t.d, site, "file"), "recursion.c"));
		ck_assert_int_gt(no, 0);
		ck_assert_int_lt(no, 128);
		const char *text = src_text(src, (int)no);
		/* a statement or a closing brace: never a blank line, a comment,
		 * a declaration without code, or a function's opening line */
		ck_assert_msg(strspn(text, " \t") < strlen(text), "line %d is blank", (int)no);
		ck_assert_msg(!strstr(text, "/*") || strchr(text, ';'), "line %d: %s", (int)no, text);
		ck_assert_msg(strcmp(text, "{") != 0, "stopped at the prologue, line %d", (int)no);
		seen[no] = true;
		nline++;
	}
	tf_close(&t);
	/* each statement that runs was a stop */
	const char *must[] = { "if (n <= 1)", "return 1;", "return n * factorial(n - 1);",
			       "memset(scratch, level", "if (level == max)", "return scratch[0];",
			       "printf(\"5! =", "printf(\"depth sum", "return 0;" };
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		ck_assert_msg(seen[src_line(src, must[i])], "no stop at \"%s\"", must[i]);
	/* factorial's test runs 5 times, depth()'s memset 40 times */
	ck_assert_int_gt(nline, 5 + 40);
	tu_run_free(&r);
}
END_TEST

/* ---- --frames ------------------------------------------------------- */

/* The local `name` of frame object `fr`, or JNONE. */
static uint32_t local_of(struct jdoc *d, uint32_t fr, const char *name)
{
	uint32_t locs = jobj_get(d, fr, "locals");

	for (uint32_t c = locs == JNONE ? JNONE : d->v[locs].first; c != JNONE; c = d->v[c].next)
		if (strcmp(js(d, c, "name"), name) == 0)
			return c;
	return JNONE;
}

START_TEST(frames_linked_list_pointers_and_sites)
{
	const char *src = "samples/linked_list.c";
	int mline = src_line(src, "malloc(sizeof(*n))");
	int fline = src_line(src, "free(head);");
	struct run r = tu_sh(60, "%s trace --json --frames -o %s samples/linked_list %s",
			     tu_memlens(), tmp, marker);
	struct tf t;
	int k = 0, frees = 0;

	ck_assert_int_eq(r.status, 0);
	tf_open(&t, tmp);
	while (tf_next(&t)) {
		const char *type = js(&t.d, t.o, "type");
		uint32_t site = jobj_get(&t.d, t.o, "site");
		uint32_t frames = jobj_get(&t.d, t.o, "frames");
		if (strcmp(type, "summary") != 0 && strcmp(type, "start") != 0)
			ck_assert_msg(frames != JNONE, "a %s event without frames", type);
		if (strcmp(js(&t.d, site, "func"), "main") != 0)
			continue; /* stdio's buffer */
		uint32_t f0 = t.d.v[frames].first;
		ck_assert_str_eq(js(&t.d, f0, "func"), "main");
		if (strcmp(type, "free") == 0) {
			ck_assert_int_eq(ji(&t.d, site, "line"), fline);
			/* free(head), seen just after: head points at the block it
			 * freed, the nodes from the last made (#5) to the first */
			uint32_t head = local_of(&t.d, f0, "head");
			ck_assert_uint_ne(head, JNONE);
			uint32_t pt = jobj_get(&t.d, head, "points_to");
			ck_assert_str_eq(js(&t.d, pt, "kind"), "freed");
			ck_assert_int_eq(ji(&t.d, pt, "block"), 5 - frees);
			frees++;
			continue;
		}
		if (strcmp(type, "malloc") != 0)
			continue;
		k++; /* the k-th node: i == k */
		/* the call site and frame 0's line are the malloc's line */
		ck_assert_int_eq(ji(&t.d, site, "line"), mline);
		ck_assert_int_eq(ji(&t.d, f0, "line"), mline);
		ck_assert_int_gt(ji(&t.d, f0, "size"), 0);
		uint32_t i = local_of(&t.d, f0, "i"), head = local_of(&t.d, f0, "head");
		ck_assert_uint_ne(i, JNONE);
		ck_assert_uint_ne(head, JNONE);
		char want[16];
		snprintf(want, sizeof(want), "%d", k);
		ck_assert_str_eq(js(&t.d, i, "value"), want);
		ck_assert_str_eq(js(&t.d, head, "type"), "struct node *");
		ck_assert_int_eq(ji(&t.d, head, "size"), 8);
		uint32_t pt = jobj_get(&t.d, head, "points_to");
		ck_assert_uint_ne(pt, JNONE);
		/* the malloc has not returned into n yet: head is still the
		 * previous node (block #k-1), NULL before the first */
		if (k == 1) {
			ck_assert_str_eq(js(&t.d, pt, "kind"), "null");
		} else {
			ck_assert_str_eq(js(&t.d, pt, "kind"), "heap");
			ck_assert_int_eq(ji(&t.d, pt, "block"), k - 1);
			ck_assert_int_eq(ji(&t.d, pt, "offset"), 0);
		}
	}
	tf_close(&t);
	ck_assert_int_eq(k, 5);
	ck_assert_int_eq(frees, 5);
	tu_run_free(&r);
	/* replay reads a file with frames (the 6th malloc is stdio's buffer) */
	r = tu_sh(60, "%s replay --text -q %s", tu_memlens(), tmp);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "malloc 6, free 5"));
	tu_run_free(&r);
	/* and replay --json writes them again verbatim: the same bytes */
	r = tu_sh(60, "%s replay --json %s | cmp - %s", tu_memlens(), tmp, tmp);
	ck_assert_int_eq(r.status, 0);
	tu_run_free(&r);
}
END_TEST

/* --frames labels every kind of pointer (step_labels.c says what each
 * local points to at its malloc(1)). */
START_TEST(frames_label_every_kind)
{
	static const struct { const char *var, *kind, *symbol; } want[] = {
		{ "heap", "heap", NULL }, { "gone", "freed", NULL },
		{ "lit", "literal", "hello, literal" }, { "pd", "data", "initialised" },
		{ "pb", "bss", "zeroed" }, { "pr", "rodata", "answer" },
		{ "ps", "stack", "local" }, { "nul", "null", NULL },
	};
	struct run r = tu_sh(60, "%s trace --json --frames --alloc=libc -o %s tests/targets/step_labels %s",
			     tu_memlens(), tmp, marker);
	struct tf t;
	bool seen = false;

	ck_assert_int_eq(r.status, 0);
	tf_open(&t, tmp);
	while (tf_next(&t)) {
		if (strcmp(js(&t.d, t.o, "type"), "malloc") != 0 || ji(&t.d, t.o, "size") != 1)
			continue;
		uint32_t fr = t.d.v[jobj_get(&t.d, t.o, "frames")].first;
		ck_assert_str_eq(js(&t.d, fr, "func"), "main");
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			uint32_t l = local_of(&t.d, fr, want[i].var);
			ck_assert_msg(l != JNONE, "no local %s", want[i].var);
			uint32_t pt = jobj_get(&t.d, l, "points_to");
			ck_assert_msg(pt != JNONE, "%s has no points_to", want[i].var);
			ck_assert_str_eq(js(&t.d, pt, "kind"), want[i].kind);
			if (want[i].symbol)
				ck_assert_ptr_nonnull(strstr(js(&t.d, pt, "symbol"), want[i].symbol));
		}
		/* the freed block is the 64-byte one, #2; the live one #1 */
		ck_assert_int_eq(ji(&t.d, jobj_get(&t.d, local_of(&t.d, fr, "gone"), "points_to"), "block"), 2);
		ck_assert_int_eq(ji(&t.d, jobj_get(&t.d, local_of(&t.d, fr, "heap"), "points_to"), "block"), 1);
		seen = true;
	}
	tf_close(&t);
	ck_assert(seen);
	tu_run_free(&r);
}
END_TEST

/* Every allocator call the samples make from their own code is logged at
 * the source line that holds that call. */
START_TEST(alloc_sites_are_the_source_lines_of_the_calls)
{
	static const char *const samples[] = { "leak", "dynamic_array", "fragmentation",
						"malloc_vs_calloc", "linked_list", "big_alloc" };
	int checked = 0;

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		char src[128];
		struct run r = tu_sh(60, "%s trace --json --alloc=libc -o %s samples/%s %s",
				     tu_memlens(), tmp, samples[i], marker);
		struct tf t;
		snprintf(src, sizeof(src), "samples/%s.c", samples[i]);
		ck_assert_int_eq(r.status, 0);
		tf_open(&t, tmp);
		while (tf_next(&t)) {
			const char *type = js(&t.d, t.o, "type");
			uint32_t site = jobj_get(&t.d, t.o, "site");
			if (!strstr(js(&t.d, site, "file"), src) ||
			    (strcmp(type, "malloc") && strcmp(type, "calloc") &&
			     strcmp(type, "realloc") && strcmp(type, "free")))
				continue;
			const char *text = src_text(src, (int)ji(&t.d, site, "line"));
			char call[16];
			snprintf(call, sizeof(call), "%s(", type);
			ck_assert_msg(strstr(text, call), "%s: a %s logged at line %d: %s", src, type,
				      (int)ji(&t.d, site, "line"), text);
			checked++;
		}
		tf_close(&t);
		tu_run_free(&r);
	}
	ck_assert_int_gt(checked, 20);
}
END_TEST

/* ---- builds without debug info ---------------------------------------- */

START_TEST(optimised_and_stripped_builds_degrade_with_notes)
{
	static const char *const tg[] = { "step_work", "step_work_O2", "step_work_nodebug" };

	for (int i = 0; i < 3; i++) {
		struct run r = tu_sh(60, "%s trace --step=%s --frames -o %s tests/targets/%s %s",
				     tu_memlens(), i == 2 ? "line" : "call", tmp, tg[i], marker);
		ck_assert_msg(r.status == 3, "%s: status %d, %s", tg[i], r.status, r.err);
		char *log = tu_slurp(tmp);
		ck_assert_ptr_nonnull(strstr(log, "exit: status 3"));
		if (i < 2) {
			/* sum_to(4) = 10: seen as a return value, recursion or loop */
			ck_assert_ptr_nonnull(strstr(log, "return from sum_to() = 10"));
		}
		if (i == 1)
			ck_assert_ptr_nonnull(strstr(r.err, "optimized build"));
		if (i == 2)
			ck_assert_ptr_nonnull(strstr(r.err, "no debug info: locals unavailable"));
		if (i == 0)
			ck_assert_ptr_null(strstr(r.err, "no debug info"));
		free(log);
		tu_run_free(&r);
	}
}
END_TEST

START_TEST(stack_overflow_names_function_and_depth)
{
	struct run r = tu_sh(60, "%s trace -q tests/targets/dbg_overflow %s", tu_memlens(), marker);
	unsigned long frames = 0;
	const char *p;

	ck_assert_int_eq(r.status, 128 + SIGSEGV);
	p = strstr(r.err, "stack overflow in dive() at a depth of ");
	ck_assert_msg(p, "no overflow note: %s", r.err);
	frames = strtoul(p + strlen("stack overflow in dive() at a depth of "), NULL, 10);
	/* dive() has a 200-byte array: an 8 MiB stack holds tens of thousands */
	ck_assert_uint_gt(frames, 10000);
	tu_run_free(&r);
}
END_TEST

/* ---- the API the screen uses ---------------------------------------- */

static struct trace *start(const char *prog, struct model **m)
{
	static char shim[PATH_MAX];
	char *argv[] = { (char *)prog, marker, NULL };
	struct trace_opts o = { 0 };
	struct model_opts mo = { .keep_history = true, .teach = true };
	struct err e = { 0 };
	struct trace *t;

	if (!shim[0])
		ck_assert_ptr_nonnull(realpath("libmemlens-shim.so", shim));
	o.argv = argv;
	o.step = true;
	o.shim = shim;
	*m = model_new(&mo);
	t = trace_start(&o, *m, &e);
	ck_assert_msg(t != NULL, "%s", e.msg);
	return t;
}

/* Steps to the call of `fn` at `depth`. */
static void step_to_call(struct trace *t, const struct model *m, const char *fn, uint64_t depth)
{
	struct model_event ev;
	struct err e = { 0 };

	for (;;) {
		ck_assert_int_eq(trace_step(t, &ev, &e), 1);
		const struct model_site *s = model_site(m, ev.site);
		if (ev.type == MEV_CALL && ev.args[0] == depth && s && s->func &&
		    strcmp(s->func, fn) == 0)
			return;
	}
}

START_TEST(api_finish_frames_and_granularity_cycle)
{
	struct model *m;
	struct trace *t = start("samples/recursion", &m);
	struct model_event ev;
	struct dbg_stack st;
	struct err e = { 0 };

	ck_assert_int_eq(trace_set_gran(t, TRACE_GRAN_CALL, &e), 0);
	ck_assert_int_eq(trace_gran(t), TRACE_GRAN_CALL);
	/* main 1, factorial(5) 2, (4) 3, (3) 4 */
	step_to_call(t, m, "factorial", 4);
	ck_assert_uint_eq(trace_call_depth(t, 0), 4);
	/* to alloc and back: the frames on the stack are learnt again */
	ck_assert_int_eq(trace_set_gran(t, TRACE_GRAN_ALLOC, &e), 0);
	ck_assert_uint_eq(trace_call_depth(t, 0), 0);
	ck_assert_int_eq(trace_set_gran(t, TRACE_GRAN_LINE, &e), 0);
	ck_assert_int_eq(trace_step(t, &ev, &e), 1);
	ck_assert_int_eq(ev.type, MEV_LINE); /* if (n <= 1) in factorial(3) */
	ck_assert_int_eq(model_site(m, ev.site)->line, src_line("samples/recursion.c", "if (n <= 1)"));
	/* frames of the stop: factorial(3), (4), (5), main */
	ck_assert_int_eq(trace_frames(t, 0, DBG_LOCALS, 0, &st, &e), 0);
	ck_assert_uint_ge(st.n, 4);
	ck_assert_str_eq(st.frames[0].func, "factorial");
	ck_assert_str_eq(st.frames[3].func, "main");
	ck_assert_uint_eq(st.frames[0].nlocals, 1);
	ck_assert_str_eq(st.frames[0].locals[0].name, "n");
	ck_assert_str_eq(st.frames[0].locals[0].value, "3");
	ck_assert_str_eq(st.frames[1].locals[0].value, "4");
	dbg_stack_free(&st);
	ck_assert_int_eq(trace_set_gran(t, TRACE_GRAN_CALL, &e), 0);
	ck_assert_uint_eq(trace_call_depth(t, 0), 4);
	/* finish: runs factorial(3) to its return, 3! = 6, through the calls
	 * of factorial(2) and (1) */
	ck_assert_int_eq(trace_finish(t, 0, &ev, &e), 1);
	ck_assert_int_eq(ev.type, MEV_RETURN);
	ck_assert_uint_eq(ev.args[0], 4);
	ck_assert_uint_eq(ev.result, 6);
	ck_assert_uint_eq(trace_call_depth(t, 0), 3);
	/* finish again in alloc granularity: factorial(4) returns 24 */
	ck_assert_int_eq(trace_set_gran(t, TRACE_GRAN_ALLOC, &e), 0);
	ck_assert_int_eq(trace_finish(t, 0, &ev, &e), 1);
	ck_assert_int_eq(ev.type, MEV_RETURN);
	ck_assert_uint_eq(ev.result, 24);
	ck_assert_str_eq(model_site(m, ev.site)->func, "factorial");
	/* the rest runs to the end */
	while (trace_step(t, &ev, &e) == 1)
		;
	ck_assert(trace_ended(t));
	ck_assert_int_eq(trace_exit_status(t), 0);
	trace_free(t);
	model_free(m);
}
END_TEST

static Suite *step_suite(void)
{
	Suite *s = suite_create("step");
	TCase *c = tcase_create("step");

	tcase_add_checked_fixture(c, setup, teardown);
	tcase_set_timeout(c, 120);
	tcase_add_test(c, step_call_recursion_balanced_names_depths_values);
	tcase_add_test(c, step_call_balances_after_longjmp);
	tcase_add_test(c, step_call_text_log_and_replay);
	tcase_add_test(c, step_line_lines_are_source_statements);
	tcase_add_test(c, frames_linked_list_pointers_and_sites);
	tcase_add_test(c, alloc_sites_are_the_source_lines_of_the_calls);
	tcase_add_test(c, frames_label_every_kind);
	tcase_add_test(c, optimised_and_stripped_builds_degrade_with_notes);
	tcase_add_test(c, stack_overflow_names_function_and_depth);
	tcase_add_test(c, api_finish_frames_and_granularity_cycle);
	suite_add_tcase(s, c);
	return s;
}

int main(void)
{
	return tu_main(step_suite());
}
