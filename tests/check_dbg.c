/* check_dbg: debug information on live targets stopped by a small ptrace
 * harness (tests/ptrace_harness.h): frames, locals and values against gdb
 * at the same stop and against what the source states, malloc call sites
 * against the source lines, the step address sets, -O2 and stripped
 * builds, pointer labels and the frames JSON. */
#include "testutil.h"
#include "ptrace_harness.h"

#include <ctype.h>

#include "dbg/dbg.h"
#include "dbg/label.h"
#include "model/model.h"
#include "util/json.h"

#define TARGET "tests/targets/dbg_locals"
#define TARGET_SRC "tests/targets/dbg_locals.c"

/* The 1-based number of the first line of `src` containing `pat`, or 0. */
static int src_line(const char *src, const char *pat)
{
	char *text = tu_slurp(src), *p = text;
	int line = 1, found = 0;

	for (char *nl; p && *p; p = nl + 1, line++) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p) - 1;
		if (memmem(p, (size_t)(nl - p), pat, strlen(pat))) {
			found = line;
			break;
		}
	}
	free(text);
	return found;
}

/* The text of line `n` of `src` (malloc'd). */
static char *src_text(const char *src, int n)
{
	char *text = tu_slurp(src), *p = text, *out;

	for (int i = 1; i < n && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	out = strndup(p ? p : "", p ? strcspn(p, "\n") : 0);
	free(text);
	return out;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

struct stop {
	struct th t;
	struct dbg *h;
	struct user_regs_struct r;
	struct dbg_stack st;
	int line;
};

/* Runs prog to the first line of src containing pat and decodes the stack. */
static void stop_at(struct stop *s, const char *prog, const char *arg,
		    const char *src, const char *pat)
{
	char *argv[] = { (char *)prog, (char *)arg, NULL };
	struct err e = { 0 };
	uint64_t a;

	memset(s, 0, sizeof(*s));
	s->line = src_line(src, pat);
	ck_assert_msg(s->line > 0, "%s: no line with %s", src, pat);
	ck_assert_int_eq(th_start(&s->t, argv), 0);
	s->h = dbg_open_pid(s->t.pid, &e);
	ck_assert_msg(s->h, "%s", e.msg);
	a = dbg_line_addr(s->h, base(src), s->line);
	ck_assert_msg(a, "no address for %s:%d", src, s->line);
	ck_assert_int_ge(th_break(&s->t, a), 0);
	ck_assert_int_eq(th_cont(&s->t, &s->r), 0);
	ck_assert_int_eq(dbg_refresh(s->h, &e), 0); /* libc is mapped now */
	dbg_set_reader(s->h, th_read, &s->t);
	ck_assert_msg(dbg_stack(s->h, s->t.pid, &s->r, DBG_LOCALS, 0, &s->st, &e) == 0,
		      "%s", e.msg);
}

static void stop_end(struct stop *s)
{
	dbg_stack_free(&s->st);
	th_kill(&s->t);
	dbg_close(s->h);
}

static const struct dbg_local *local_named(const struct dbg_frame *f, const char *name)
{
	for (size_t i = 0; i < f->nlocals; i++)
		if (strcmp(f->locals[i].name, name) == 0)
			return &f->locals[i];
	return NULL;
}

#define ck_value(f, name, want) do { \
	const struct dbg_local *l_ = local_named((f), (name)); \
	ck_assert_msg(l_, "no local %s", (name)); \
	ck_assert_str_eq(l_->value, (want)); \
} while (0)

/* ---- gdb at the same stop ------------------------------------------------ */

static bool have_gdb(void)
{
	struct run r = tu_sh(10, "gdb --version");
	bool ok = r.status == 0;
	tu_run_free(&r);
	return ok;
}

/* Replaces every hex number but 0x0 by 0x? and drops gdb's " <symbol>"
 * after a pointer: stack addresses differ between gdb's run and ours by the
 * size of the environment, and symbols are the labels' business. */
static void normalize(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; in[i] && o + 4 < len;) {
		if (in[i] == '0' && in[i + 1] == 'x') {
			size_t j = i + 2;
			while (isxdigit((unsigned char)in[j]))
				j++;
			if (j == i + 3 && in[i + 2] == '0')
				memcpy(out + o, "0x0", 3);
			else
				memcpy(out + o, "0x?", 3);
			o += 3;
			i = j;
			if (in[i] == ' ' && in[i + 1] == '<' && in[i + 2] != 'r') {
				while (in[i] && in[i] != '>')
					i++;
				if (in[i])
					i++;
			}
			continue;
		}
		out[o++] = in[i++];
	}
	out[o] = '\0';
}

/* Runs gdb to file:line and compares frames 0..nframes-1 (function, line,
 * every argument and local) and the depth of the backtrace with `s`. */
static void compare_gdb(struct stop *s, const char *prog, const char *arg,
			const char *file, int nframes)
{
	char cmd[4096];
	int n = snprintf(cmd, sizeof(cmd),
			 "gdb -batch -nx -ex 'set width 0' -ex 'set height 0' "
			 "-ex 'break %s:%d' -ex 'run' ", base(file), s->line);
	for (int k = 0; k < nframes; k++)
		n += snprintf(cmd + n, sizeof(cmd) - (size_t)n,
			      "-ex 'frame %d' -ex 'echo @@frame %d\\n' -ex 'info args' "
			      "-ex 'info locals' ", k, k);
	snprintf(cmd + n, sizeof(cmd) - (size_t)n,
		 "-ex 'echo @@bt\\n' -ex 'bt' -ex 'kill' --args %s %s </dev/null 2>/dev/null",
		 prog, arg ? arg : "");
	struct run r = tu_sh(60, "%s", cmd);
	int frame = -1, bt = 0, compared = 0, gdb_vars[64] = { 0 };
	bool in_bt = false;

	ck_assert_msg(strstr(r.out, "@@bt"), "gdb did not stop: %s", r.out);
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
		char name[64], a[256], b[256];
		if (sscanf(line, "@@frame %d", &frame) == 1)
			continue;
		if (strcmp(line, "@@bt") == 0) {
			in_bt = true;
			continue;
		}
		if (in_bt) {
			if (line[0] == '#') {
				/* "#k  0x... in FUNC (args) at FILE:LINE" */
				const char *at = strstr(line, " at ");
				const char *colon = at ? strrchr(at, ':') : NULL;
				ck_assert_int_lt(bt, (int)s->st.n);
				if (colon)
					ck_assert_int_eq(s->st.frames[bt].line, atoi(colon + 1));
				ck_assert_msg(strstr(line, s->st.frames[bt].func ? s->st.frames[bt].func : "?"),
					      "frame %d: gdb says %s", bt, line);
				bt++;
			}
			continue;
		}
		if (frame < 0 || frame >= nframes || !isalpha((unsigned char)line[0]) ||
		    sscanf(line, "%63[A-Za-z0-9_] = %255[^\n]", name, a) != 2)
			continue;
		const struct dbg_local *l = local_named(&s->st.frames[frame], name);
		ck_assert_msg(l, "frame %d: gdb shows %s, we do not", frame, name);
		gdb_vars[frame]++;
		normalize(a, b, sizeof(b));
		normalize(l->value, a, sizeof(a));
		char *dots = strstr(a, "...");
		if (dots) /* our short form: gdb's value starts the same */
			ck_assert_msg(strncmp(a, b, (size_t)(dots - a)) == 0,
				      "%s: ours %s, gdb %s", name, a, b);
		else
			ck_assert_msg(strcmp(a, b) == 0, "%s: ours %s, gdb %s", name, a, b);
		compared++;
	}
	/* gdb's backtrace ends at main; ours goes on into the C start-up. */
	size_t main_at = 0;
	while (main_at < s->st.n && (!s->st.frames[main_at].func ||
				     strcmp(s->st.frames[main_at].func, "main") != 0))
		main_at++;
	ck_assert_int_eq(bt, (int)main_at + 1);
	for (int k = 0; k < nframes; k++)
		ck_assert_int_eq(gdb_vars[k], (int)s->st.frames[k].nlocals);
	ck_assert_int_gt(compared, 0);
	tu_run_free(&r);
}

static const struct { const char *prog, *arg, *pat; int frames; } gdb_stops[] = {
	{ "samples/linked_list", NULL, "head = n;", 1 },
	{ "samples/recursion", NULL, "return scratch[0];", 3 },
	{ "samples/static_vs_dynamic", NULL, "free(heap);", 1 },
	{ "samples/segments", NULL, "uninitialised = tally()", 1 },
	{ TARGET, NULL, "STOP: look", 2 },
	{ TARGET, "7", "STOP: deep", 8 },
	{ TARGET, NULL, "STOP: kinds", 1 },
};

START_TEST(frames_and_locals_equal_gdb)
{
	char src[256];
	struct stop s;

	if (!have_gdb())
		return; /* skipped: no gdb */
	snprintf(src, sizeof(src), "%s.c", gdb_stops[_i].prog);
	stop_at(&s, gdb_stops[_i].prog, gdb_stops[_i].arg, src, gdb_stops[_i].pat);
	ck_assert_int_eq(s.st.frames[0].line, s.line);
	compare_gdb(&s, gdb_stops[_i].prog, gdb_stops[_i].arg, src, gdb_stops[_i].frames);
	stop_end(&s);
}
END_TEST

START_TEST(locals_equal_the_source)
{
	struct stop s;

	stop_at(&s, TARGET, NULL, TARGET_SRC, "STOP: look");
	const struct dbg_frame *f = &s.st.frames[0], *m = &s.st.frames[1];
	ck_assert_str_eq(f->func, "look");
	ck_assert_str_eq(m->func, "main");
	ck_assert_int_eq(m->line, src_line(TARGET_SRC, "STOP: main"));
	ck_value(f, "total", "6");
	ck_value(f, "letter", "104 'h'");
	ck_value(f, "half", "0.5");
	ck_value(f, "small", "\"\\t\\b\\a\"");
	ck_assert(strncmp(local_named(f, "copy")->value, "{value = 1, next = 0x", 21) == 0);
	ck_assert_str_eq(local_named(f, "copy")->type, "struct node");
	ck_assert_str_eq(local_named(f, "head")->type, "struct node *");
	ck_assert_str_eq(local_named(f, "msg")->type, "const char *");
	ck_assert(local_named(f, "head")->param && !local_named(f, "total")->param);
	ck_assert(strstr(local_named(f, "msg")->value, "\"hello, stack\""));
	ck_value(m, "local", "42");
	ck_value(m, "null", "0x0");
	ck_value(m, "wild", "0x10");
	ck_assert_str_eq(local_named(m, "argv")->type, "char **");
	/* onstack == &local; every variable lies inside its frame; frames touch. */
	ck_assert_uint_eq(local_named(f, "onstack")->ptr, local_named(m, "local")->addr);
	for (size_t i = 0; i < 2; i++) {
		const struct dbg_frame *fr = &s.st.frames[i];
		ck_assert_uint_eq(fr->size, fr->cfa - fr->sp);
		for (size_t k = 0; k < fr->nlocals; k++) {
			ck_assert(fr->locals[k].available);
			ck_assert_uint_ge(fr->locals[k].addr, fr->sp);
			ck_assert_uint_le(fr->locals[k].addr + fr->locals[k].size, fr->cfa);
		}
	}
	ck_assert_uint_eq(s.st.frames[0].cfa, s.st.frames[1].sp);
	/* After a refresh (a new map) the same stop decodes the same. */
	struct dbg_stack again;
	size_t n = s.st.n;
	ck_assert_int_eq(dbg_refresh(s.h, NULL), 0);
	ck_assert_int_eq(dbg_stack(s.h, s.t.pid, &s.r, DBG_LOCALS, 0, &again, NULL), 0);
	ck_assert_uint_eq(again.n, n);
	ck_assert_str_eq(again.frames[0].locals[3].value, s.st.frames[0].locals[3].value);
	dbg_stack_free(&again);
	/* max_frames truncates and says so. */
	ck_assert_int_eq(dbg_stack(s.h, s.t.pid, &s.r, 0, 1, &again, NULL), 0);
	ck_assert_uint_eq(again.n, 1);
	ck_assert(again.truncated);
	dbg_stack_free(&again);
	stop_end(&s);
}
END_TEST

START_TEST(fifty_frames_of_recursion)
{
	struct stop s;
	int rec = src_line(TARGET_SRC, "return depth(n + 1");

	stop_at(&s, TARGET, "50", TARGET_SRC, "STOP: deep");
	ck_assert_uint_ge(s.st.n, 51);
	for (size_t k = 0; k < 50; k++) {
		const struct dbg_frame *f = &s.st.frames[k];
		char want[16];
		ck_assert_str_eq(f->func, "depth");
		ck_assert_int_eq(f->line, k ? rec : s.line);
		snprintf(want, sizeof(want), "%zu", 50 - k);
		ck_value(f, "n", want);
		snprintf(want, sizeof(want), "%zu", 2 * (50 - k));
		ck_value(f, "here", want);
		ck_assert_uint_eq(f->size, s.st.frames[0].size); /* same frame each call */
		if (k)
			ck_assert_uint_eq(s.st.frames[k - 1].cfa, f->sp);
	}
	ck_assert_str_eq(s.st.frames[50].func, "main");
	stop_end(&s);
}
END_TEST

/* Breaks on malloc and checks each call from the program's own code
 * against the text of the line the call site names. */
static void malloc_sites(const char *prog, const char *src, int want)
{
	char *argv[] = { (char *)prog, NULL };
	struct err e = { 0 };
	struct th t;
	struct user_regs_struct r;
	struct dbg *h;
	int own = 0, bp;

	ck_assert_int_eq(th_start(&t, argv), 0);
	h = dbg_open_pid(t.pid, &e);
	ck_assert_msg(h, "%s", e.msg);
	ck_assert_int_ge(th_break(&t, dbg_funcs(h, &(size_t){ 0 }) ? dbg_func_at(h, dbg_symbol_addr(h, "main"))->body : 0), 0);
	ck_assert_int_eq(th_cont(&t, &r), 0);
	ck_assert_int_eq(dbg_refresh(h, &e), 0);
	dbg_set_reader(h, th_read, &t);
	bp = th_break(&t, dbg_symbol_addr(h, "malloc"));
	ck_assert_int_ge(bp, 0);
	while (th_cont(&t, &r) == bp) {
		uint64_t ret;
		struct model_site site;
		ck_assert_int_eq(th_read(&t, r.rsp, &ret, sizeof(ret)), 0);
		ck_assert_int_eq(dbg_symbolize(h, ret, &site), 0);
		if (!site.object) { /* the program's own call */
			char *text = src_text(src, site.line);
			ck_assert_str_eq(base(site.file), base(src));
			ck_assert_msg(strstr(text, "malloc("), "%s:%d is \"%s\"", src, site.line, text);
			ck_assert_str_eq(site.func, "main");
			ck_assert_uint_gt(site.func_off, 0);
			free(text);
			own++;
		} else {
			ck_assert(site.func || site.func_off); /* library: name or offset */
		}
		ck_assert_int_eq(th_rearm(&t, bp), 0);
	}
	ck_assert_int_eq(own, want);
	th_kill(&t);
	dbg_close(h);
}

START_TEST(malloc_call_sites_name_the_source_line)
{
	malloc_sites("samples/linked_list", "samples/linked_list.c", 5);
	malloc_sites("samples/static_vs_dynamic", "samples/static_vs_dynamic.c", 1);
	malloc_sites(TARGET, TARGET_SRC, 5);
}
END_TEST

START_TEST(step_address_sets_match_the_symbol_table)
{
	struct err e = { 0 };
	struct dbg *h = dbg_open_file(TARGET, 0, &e);
	size_t nf, nl;
	const struct dbg_func *f;
	const struct dbg_line *l;
	struct run r = tu_sh(10, "nm %s", TARGET);
	int seen = 0;

	ck_assert_msg(h, "%s", e.msg);
	ck_assert(dbg_has_debuginfo(h));
	f = dbg_funcs(h, &nf);
	ck_assert_uint_eq(nf, 4); /* depth, look, kinds, main: the program's own */
	for (size_t i = 0; i < nf; i++) {
		char want[64];
		snprintf(want, sizeof(want), "%016lx T %s\n", (unsigned long)f[i].entry, f[i].name);
		ck_assert_msg(strstr(r.out, want), "nm lacks %s", want);
		ck_assert_uint_gt(f[i].body, f[i].entry);
		ck_assert_uint_lt(f[i].body, f[i].end);
		ck_assert_ptr_eq(dbg_func_at(h, f[i].body), &f[i]);
	}
	l = dbg_lines(h, &nl);
	for (size_t i = 0; i < nl; i++) {
		ck_assert_ptr_nonnull(dbg_func_at(h, l[i].addr));
		if (i)
			ck_assert_uint_gt(l[i].addr, l[i - 1].addr);
		if (l[i].line == src_line(TARGET_SRC, "STOP: look"))
			seen++;
	}
	ck_assert_int_eq(seen, 1);
	/* The symbolized line address names its line and function. */
	struct model_site s;
	uint64_t a = dbg_line_addr(h, "dbg_locals.c", src_line(TARGET_SRC, "STOP: look"));
	ck_assert_int_eq(dbg_symbolize_pc(h, a, &s), 0);
	ck_assert_str_eq(s.func, "look");
	ck_assert_int_eq(s.line, src_line(TARGET_SRC, "STOP: look"));
	ck_assert_ptr_null(s.object);
	tu_run_free(&r);
	dbg_close(h);
}
END_TEST

/* AT_ENTRY of a process: its first instruction (libc is mapped there). */
static uint64_t entry_point(pid_t pid)
{
	char path[64];
	uint64_t av[2];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	f = fopen(path, "rb");
	while (f && fread(av, sizeof(av), 1, f) == 1 && av[0] != 0)
		if (av[0] == 9 /* AT_ENTRY */) {
			fclose(f);
			return av[1];
		}
	if (f)
		fclose(f);
	return 0;
}

/* An -O2 build and a stripped build: stopped inside malloc, the stack
 * unwinds and the program's frames say why locals are missing. */
START_TEST(optimized_and_stripped_builds_degrade_with_a_note)
{
	static const char *const how[] = { "-O2 -g", "-O0 -s" };
	static const char *const note[] = {
		"optimized build: some locals unavailable",
		"no debug info: locals unavailable" };
	char dir[] = "/tmp/memlens-dbg-XXXXXX", prog[256];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(prog, sizeof(prog), "%s/t", dir);
	struct run c = tu_sh(60, "cc %s -fno-builtin-malloc -o %s %s", how[_i], prog, TARGET_SRC);
	ck_assert_int_eq(c.status, 0);
	tu_run_free(&c);

	char *argv[] = { prog, NULL };
	struct err e = { 0 };
	struct th t;
	struct user_regs_struct r;
	struct dbg_stack st;
	struct dbg *h;
	int own = 0;

	ck_assert_int_eq(th_start(&t, argv), 0);
	h = dbg_open_pid(t.pid, &e);
	ck_assert_msg(h, "%s", e.msg);
	ck_assert(dbg_has_debuginfo(h) == (_i == 0));
	/* Run to the first malloc called by main (libc is mapped by then). */
	ck_assert_int_ge(th_break(&t, entry_point(t.pid)), 0);
	ck_assert_int_eq(th_cont(&t, &r), 0);
	ck_assert_int_eq(dbg_refresh(h, &e), 0);
	dbg_set_reader(h, th_read, &t);
	t.nbp = 0;
	int bp = th_break(&t, dbg_symbol_addr(h, "malloc"));
	ck_assert_int_ge(bp, 0);
	for (int hits = 0; hits < 8 && th_cont(&t, &r) == bp; hits++) {
		ck_assert_int_eq(dbg_stack(h, t.pid, &r, DBG_LOCALS, 0, &st, &e), 0);
		ck_assert_int_ge(st.n, 2);
		ck_assert(strstr(st.frames[0].func, "malloc")); /* or __libc_malloc */
		for (size_t k = 0; k < st.n; k++) {
			if (!st.frames[k].own || !st.frames[k].note)
				continue;
			ck_assert_str_eq(st.frames[k].note,
					 _i == 1 || !st.frames[k].file ? note[1] : note[0]);
			if (_i == 1)
				ck_assert_uint_eq(st.frames[k].nlocals, 0);
			for (size_t v = 0; v < st.frames[k].nlocals; v++)
				ck_assert(st.frames[k].locals[v].value[0]);
			own++;
		}
		dbg_stack_free(&st);
		th_rearm(&t, bp);
	}
	ck_assert_int_gt(own, 0);
	th_kill(&t);
	dbg_close(h);
	c = tu_sh(10, "rm -rf %s", dir);
	tu_run_free(&c);
}
END_TEST

START_TEST(bad_files_are_refused_with_a_message)
{
	char dir[] = "/tmp/memlens-dbg-XXXXXX", fifo[256];
	struct err e = { 0 };

	ck_assert_ptr_null(dbg_open_file("/nonexistent/prog", 0, &e));
	ck_assert_int_eq(e.status, ERR_INPUT);
	ck_assert(strstr(e.msg, "No such file"));
	ck_assert_ptr_null(dbg_open_file(TARGET_SRC, 0, &e)); /* not ELF */
	ck_assert_int_eq(e.status, ERR_INPUT);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_ptr_null(dbg_open_file(fifo, 0, &e)); /* at once, no hang */
	ck_assert(strstr(e.msg, "not a regular file"));
	unlink(fifo);
	rmdir(dir);
	ck_assert_ptr_null(dbg_open_pid(999999999, &e));
	ck_assert_int_eq(e.status, ERR_INPUT);
}
END_TEST

START_TEST(symbolize_caches_and_interns)
{
	struct err e = { 0 };
	struct dbg *h = dbg_open_file(TARGET, 0x1000000, &e);
	struct model_site a, b;
	size_t nf;
	const struct dbg_func *f;
	struct timespec t0, t1;

	ck_assert_msg(h, "%s", e.msg);
	f = dbg_funcs(h, &nf);
	ck_assert_uint_ge(f[0].entry, 0x1000000); /* the bias applies */
	ck_assert_int_eq(dbg_symbolize(h, f[0].body + 1, &a), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 1000000; i++)
		dbg_symbolize(h, f[0].body + 1, &b);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_ptr_eq(a.func, b.func);
	ck_assert_ptr_eq(a.file, b.file);
	ck_assert_str_eq(a.func, f[0].name);
	/* A million cached look-ups well under a second (about 10 ns each). */
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 2);
	ck_assert_int_eq(dbg_symbolize(h, 0x10, &a), -1); /* nothing there */
	ck_assert_ptr_null(a.func);
	dbg_close(h);
}
END_TEST

START_TEST(frames_json_has_the_documented_fields)
{
	struct stop s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	struct json j;
	struct dbg_label_ctx c = { .lookup = (dbg_static_fn)dbg_static_lookup };

	stop_at(&s, TARGET, NULL, TARGET_SRC, "STOP: look");
	c.lookup_ctx = s.h;
	c.read = th_read;
	c.read_ctx = &s.t;
	dbg_label_stack(&c, &s.st);
	f = open_memstream(&buf, &len);
	json_init(&j, f);
	json_obj_begin(&j);
	dbg_json_frames(&j, &s.st);
	json_obj_end(&j);
	fclose(f);
	ck_assert(strncmp(buf, "{\"frames\":[{\"func\":\"look\",\"file\":", 32) == 0);
	ck_assert(strstr(buf, "\"name\":\"total\",\"type\":\"long int\",\"addr\":"));
	ck_assert(strstr(buf, "\"size\":8,\"value\":\"6\"}"));
	ck_assert(strstr(buf, "\"name\":\"null\",\"type\":\"int *\""));
	ck_assert(strstr(buf, "\"points_to\":{\"kind\":\"null\"}"));
	ck_assert(strstr(buf, "\"points_to\":{\"kind\":\"literal\",\"offset\":0,\"symbol\":\"hello, stack\"}"));
	ck_assert(strstr(buf, "\"points_to\":{\"kind\":\"data\",\"offset\":0,\"symbol\":\"counter\"}"));
	ck_assert(strstr(buf, "\"points_to\":{\"kind\":\"bss\",\"offset\":8,\"symbol\":\"zeroes\"}"));
	ck_assert(strstr(buf, "\"points_to\":{\"kind\":\"rodata\",\"offset\":4,\"symbol\":\"table\"}"));
	ck_assert(strstr(buf, "\"points_to\":{\"kind\":\"stack\",\"offset\":0,\"symbol\":\"local in main (frame #1)\"}"));
	ck_assert(strstr(buf, "\"note\":\"no debug info: locals unavailable\""));
	free(buf);
	stop_end(&s);
}
END_TEST

/* The region snapshot of a process, as the tracer would hand it over. */
static void add_regions(struct model *m, pid_t pid, uint64_t seq)
{
	char path[64], line[512];
	struct model_region r[256];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (n < 256 && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8], name[256] = "";
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &lo, &hi, perms, name) < 3)
			continue;
		memset(&r[n], 0, sizeof(r[n]));
		r[n].start = lo;
		r[n].end = hi;
		r[n].kind = strcmp(name, "[stack]") == 0 ? MR_STACK
			  : strcmp(name, "[heap]") == 0 ? MR_HEAP : MR_OTHER;
		snprintf(r[n].perms, sizeof(r[n].perms), "%.4s", perms);
		snprintf(r[n].name, sizeof(r[n].name), "%s", base(name));
		n++;
	}
	fclose(f);
	struct model_event ev = { .type = MEV_REGIONS, .seq = seq };
	ev.aux = model_regions_add(m, r, n);
	ck_assert_int_eq(model_apply(m, &ev, NULL), 0);
}

/* Runs the target to `pat`, feeding a model with every malloc (entry and
 * return) and free it sees from main on, as the tracer would. */
static struct model *run_recording(struct stop *s, const char *pat)
{
	char *argv[] = { TARGET, NULL };
	struct model_opts o = { .keep_history = true };
	struct model *m = model_new(&o);
	struct err e = { 0 };
	uint64_t seq = 1, size = 0;
	int bp_main, bp_malloc, bp_free, bp_stop, bp_ret = -1, hit;

	memset(s, 0, sizeof(*s));
	s->line = src_line(TARGET_SRC, pat);
	ck_assert_int_eq(th_start(&s->t, argv), 0);
	s->h = dbg_open_pid(s->t.pid, &e);
	ck_assert_msg(s->h, "%s", e.msg);
	bp_main = th_break(&s->t, dbg_func_at(s->h, dbg_symbol_addr(s->h, "main"))->body);
	ck_assert_int_eq(th_cont(&s->t, &s->r), bp_main);
	ck_assert_int_eq(dbg_refresh(s->h, &e), 0);
	dbg_set_reader(s->h, th_read, &s->t);
	bp_malloc = th_break(&s->t, dbg_symbol_addr(s->h, "malloc"));
	bp_free = th_break(&s->t, dbg_symbol_addr(s->h, "free"));
	bp_stop = th_break(&s->t, dbg_line_addr(s->h, "dbg_locals.c", s->line));
	ck_assert_int_ge(bp_stop, 0);
	while ((hit = th_cont(&s->t, &s->r)) != bp_stop) {
		struct model_event ev = { .seq = seq++ };
		uint64_t ret;
		ck_assert_int_ge(hit, 0);
		if (hit == bp_malloc) {
			size = s->r.rdi;
			ck_assert_int_eq(th_read(&s->t, s->r.rsp, &ret, 8), 0);
			bp_ret = th_break(&s->t, ret);
			th_rearm(&s->t, hit);
			continue;
		}
		if (hit == bp_ret) {
			ev.type = MEV_MALLOC;
			ev.args[0] = size;
			ev.result = s->r.rax;
		} else {
			ck_assert_int_eq(hit, bp_free);
			ev.type = MEV_FREE;
			ev.args[0] = s->r.rdi;
			th_rearm(&s->t, hit);
		}
		ck_assert_int_eq(model_apply(m, &ev, NULL), 0);
	}
	add_regions(m, s->t.pid, seq);
	ck_assert_int_eq(dbg_stack(s->h, s->t.pid, &s->r, DBG_LOCALS, 0, &s->st, &e), 0);
	return m;
}

static const char *label_of(const struct dbg_frame *f, const char *name, char *buf)
{
	const struct dbg_local *l = local_named(f, name);
	ck_assert_msg(l && l->is_ptr, "%s is no pointer local", name);
	dbg_label_str(&l->label, buf, 96);
	return buf;
}

START_TEST(pointer_labels_name_what_they_point_to)
{
	struct stop s;
	struct model *m = run_recording(&s, "STOP: main");
	struct dbg_label_ctx c = { .lookup = (dbg_static_fn)dbg_static_lookup,
				   .lookup_ctx = s.h, .read = th_read, .read_ctx = &s.t };
	const struct dbg_frame *f = &s.st.frames[0];
	char b[96];

	dbg_label_use_model(&c, m);
	dbg_label_stack(&c, &s.st);
	ck_assert_str_eq(f->func, "main");
	/* Allocation order in the source: heap #1, gone #2, nodes #3 #4 #5. */
	ck_assert_str_eq(label_of(f, "heap", b), "heap #1");
	ck_assert_str_eq(label_of(f, "head", b), "heap #5");
	/* glibc handed gone's 16 bytes to the first node: the dangling pointer
	 * now points into a live block, and the label says so. */
	ck_assert_str_eq(label_of(f, "gone", b), "heap #3");
	ck_assert_str_eq(label_of(f, "literal", b), "literal \"hello, stack\"");
	ck_assert_str_eq(label_of(f, "data", b), "data: counter");
	ck_assert_str_eq(label_of(f, "bss", b), "bss: zeroes+8");
	ck_assert_str_eq(label_of(f, "ro", b), "rodata: table+4");
	ck_assert_str_eq(label_of(f, "st", b), "data: pair");
	ck_assert_str_eq(label_of(f, "null", b), "NULL");
	ck_assert_str_eq(label_of(f, "wild", b), "unmapped");
	ck_assert_str_eq(label_of(f, "mine", b), "stack: local in main (frame #0)");
	ck_assert_str_eq(label_of(f, "argv", b), "stack: [stack]");
	/* A pointer into the middle of a block names the offset; the label
	 * of the next field of a node is the node after it. */
	struct dbg_label l;
	dbg_label_ptr(&c, local_named(f, "heap")->ptr + 8, &l);
	ck_assert_int_eq(l.kind, DBG_PT_HEAP);
	ck_assert_uint_eq(l.block, 1);
	ck_assert_uint_eq(l.offset, 8);
	uint64_t next;
	ck_assert_int_eq(th_read(&s.t, local_named(f, "head")->ptr + 8, &next, 8), 0);
	dbg_label_ptr(&c, next, &l);
	ck_assert_str_eq(dbg_pt_kind_name(l.kind), "heap");
	ck_assert_uint_eq(l.block, 4);
	stop_end(&s);
	model_free(m);

	/* Right after free(gone), before any reuse: a dangling pointer. */
	m = run_recording(&s, "STOP: freed");
	dbg_label_use_model(&c, m);
	c.lookup_ctx = s.h;
	c.read_ctx = &s.t;
	c.stack = NULL;
	dbg_label_stack(&c, &s.st);
	f = &s.st.frames[0];
	ck_assert_str_eq(label_of(f, "gone", b), "freed #2");
	ck_assert_str_eq(label_of(f, "heap", b), "heap #1");
	ck_assert_str_eq(label_of(f, "head", b), "NULL");
	stop_end(&s);
	model_free(m);
}
END_TEST

/* A stack overflow: the whole dead stack unwinds, and its depth equals
 * the recursion count the innermost frame holds. */
START_TEST(a_stack_overflow_unwinds_to_its_depth)
{
	char *argv[] = { "tests/targets/dbg_overflow", NULL };
	struct err e = { 0 };
	struct th t;
	struct user_regs_struct r;
	struct dbg_stack st;
	struct dbg *h;
	size_t dives = 0;

	ck_assert_int_eq(th_start(&t, argv), 0);
	h = dbg_open_pid(t.pid, &e);
	ck_assert_msg(h, "%s", e.msg);
	ck_assert_int_eq(th_cont_to_signal(&t, &r), SIGSEGV);
	ck_assert_int_eq(dbg_refresh(h, &e), 0);
	dbg_set_reader(h, th_read, &t);
	ck_assert_int_eq(dbg_stack(h, t.pid, &r, DBG_LOCALS, 1 << 20, &st, &e), 0);
	ck_assert(!st.truncated);
	while (dives < st.n && st.frames[dives].func && strcmp(st.frames[dives].func, "dive") == 0)
		dives++;
	ck_assert_uint_gt(dives, 1000);
	ck_assert_str_eq(st.frames[dives].func, "main");
	/* Frame 0 faulted in its prologue or body: its n may not be stored
	 * yet, so read it from frame 1, one call up. */
	char want[32];
	snprintf(want, sizeof(want), "%zu", dives - 1);
	ck_value(&st.frames[1], "n", want);
	/* The source of frame 1 can be found from the debug info. */
	const char *src = dbg_source_path(h, st.frames[1].pc - 1);
	ck_assert_ptr_nonnull(src);
	ck_assert_int_eq(src[0], '/');
	ck_assert_int_eq(access(src, R_OK), 0);
	dbg_stack_free(&st);
	th_kill(&t);
	dbg_close(h);
}
END_TEST

/* A thread's stack: the breakpoint is hit by a thread other than the
 * main one; its stack unwinds from its own registers down to clone. */
START_TEST(a_thread_stack_unwinds_from_its_own_registers)
{
	char *argv[] = { "samples/threads", NULL };
	struct err e = { 0 };
	struct th t;
	struct user_regs_struct r;
	struct dbg_stack st;
	struct dbg *h;
	int line = src_line("samples/threads.c", "blocks[i][0] = id * 100 + i;");
	int bp, status, found = 0;
	pid_t w;

	ck_assert_int_eq(th_start(&t, argv), 0);
	ptrace(PTRACE_SETOPTIONS, t.pid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE);
	h = dbg_open_pid(t.pid, &e);
	ck_assert_msg(h, "%s", e.msg);
	bp = th_break(&t, dbg_line_addr(h, "threads.c", line));
	ck_assert_int_ge(bp, 0);
	ptrace(PTRACE_CONT, t.pid, 0, 0);
	while (!found && (w = waitpid(-1, &status, __WALL)) > 0) {
		if (!WIFSTOPPED(status))
			break;
		if (WSTOPSIG(status) == SIGTRAP && w != t.pid &&
		    ptrace(PTRACE_GETREGS, w, 0, &r) == 0 && r.rip - 1 == t.bp_addr[bp]) {
			r.rip--;
			ck_assert_int_eq(dbg_refresh(h, &e), 0);
			dbg_set_reader(h, th_read, &t);
			ck_assert_int_eq(dbg_stack(h, w, &r, DBG_LOCALS, 0, &st, &e), 0);
			found = 1;
			break;
		}
		/* Clone events, new threads' SIGSTOP: let them run on. */
		ptrace(PTRACE_CONT, w, 0, WSTOPSIG(status) == SIGSTOP ||
		       WSTOPSIG(status) == SIGTRAP ? 0 : WSTOPSIG(status));
	}
	ck_assert(found);
	ck_assert_str_eq(st.frames[0].func, "worker");
	ck_assert_int_eq(st.frames[0].line, line);
	ck_assert(strcmp(local_named(&st.frames[0], "id")->value, "0") == 0 ||
		  strcmp(local_named(&st.frames[0], "id")->value, "1") == 0);
	ck_value(&st.frames[0], "i", "0");
	ck_assert_uint_ge(st.n, 2);
	ck_assert_str_eq(st.frames[1].func, "start_thread");
	/* Not the main thread's stack: the thread's sp is far below it. */
	ck_assert_uint_lt(st.frames[0].sp, r.rsp + 4096);
	for (size_t i = 0; i < st.n; i++)
		ck_assert_msg(!st.frames[i].func || strcmp(st.frames[i].func, "main") != 0,
			      "a thread's stack has no main");
	dbg_stack_free(&st);
	th_kill(&t); /* SIGKILL takes every thread; all are reaped */
	dbg_close(h);
}
END_TEST

/* C++: names are demangled, and each allocation made by new or by the
 * vector leads back to a line of the program that says so. */
START_TEST(cxx_names_are_demangled_and_lead_to_the_line)
{
	char *argv[] = { "samples/cpp_new", NULL };
	const char *src = "samples/cpp_new.cpp";
	struct err e = { 0 };
	struct th t;
	struct user_regs_struct r;
	struct dbg_stack st;
	struct dbg *h;
	int bp, std = 0, own = 0;

	ck_assert_int_eq(th_start(&t, argv), 0);
	h = dbg_open_pid(t.pid, &e);
	ck_assert_msg(h, "%s", e.msg);
	ck_assert_int_ge(th_break(&t, dbg_func_at(h, dbg_symbol_addr(h, "main"))->body), 0);
	ck_assert_int_eq(th_cont(&t, &r), 0);
	ck_assert_int_eq(dbg_refresh(h, &e), 0);
	dbg_set_reader(h, th_read, &t);
	t.nbp = 0;
	bp = th_break(&t, dbg_symbol_addr(h, "malloc"));
	while (th_cont(&t, &r) == bp) {
		ck_assert_int_eq(dbg_stack(h, t.pid, &r, 0, 0, &st, &e), 0);
		for (size_t k = 0; k < st.n; k++) {
			const struct dbg_frame *f = &st.frames[k];
			if (f->func && strncmp(f->func, "std::", 5) == 0)
				std++;
			ck_assert_msg(!f->func || strncmp(f->func, "_Z", 2) != 0, "%s", f->func);
			if (f->own && f->file && strcmp(base(f->file), base(src)) == 0) {
				char *text = src_text(src, f->line);
				/* printf's first call allocates stdout's buffer. */
				ck_assert_msg(strstr(text, "new ") || strstr(text, "push_back") ||
					      strstr(text, "printf"),
					      "line %d: %s", f->line, text);
				free(text);
				own++;
				break;
			}
		}
		dbg_stack_free(&st);
		th_rearm(&t, bp);
	}
	ck_assert_int_ge(own, 2 + 5); /* new Point, new int[16], 5 vector buffers */
	ck_assert_int_gt(std, 0);
	th_kill(&t);
	dbg_close(h);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dbg");
	TCase *tc = tcase_create("dbg");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, frames_and_locals_equal_gdb, 0,
			    (int)(sizeof(gdb_stops) / sizeof(gdb_stops[0])));
	tcase_add_test(tc, locals_equal_the_source);
	tcase_add_test(tc, fifty_frames_of_recursion);
	tcase_add_test(tc, malloc_call_sites_name_the_source_line);
	tcase_add_test(tc, step_address_sets_match_the_symbol_table);
	tcase_add_loop_test(tc, optimized_and_stripped_builds_degrade_with_a_note, 0, 2);
	tcase_add_test(tc, symbolize_caches_and_interns);
	tcase_add_test(tc, bad_files_are_refused_with_a_message);
	tcase_add_test(tc, frames_json_has_the_documented_fields);
	tcase_add_test(tc, pointer_labels_name_what_they_point_to);
	tcase_add_test(tc, a_stack_overflow_unwinds_to_its_depth);
	tcase_add_test(tc, a_thread_stack_unwinds_from_its_own_registers);
	tcase_add_test(tc, cxx_names_are_demangled_and_lead_to_the_line);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
