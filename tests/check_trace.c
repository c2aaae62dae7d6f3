/* check_trace: the tracer against small purpose-built programs in
 * tests/targets/ (each states what it expects), `memlens trace` end to end,
 * the /proc/PID/maps parser on canned files, step mode through the API, and
 * a cross-check against valgrind where it is installed.  Every target gets
 * a marker argument; after each test no process carrying it may remain. */
#include <errno.h>
#include <sched.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/resource.h>

#include "model/model.h"
#include "testutil.h"
#include "trace/trace.h"

#define T "tests/targets/"

static char marker[64];

static void setup(void)
{
	snprintf(marker, sizeof(marker), "mlt%d", (int)getpid());
}

/* Runs `memlens trace ARGS... MARKER` under the shell with a timeout. */
#define TRACE(secs, fmt, ...) tu_sh(secs, "%s trace " fmt " %s", tu_memlens(), __VA_ARGS__, marker)

/* The number after "key": in a JSON line, or -1. */
static long long jnum(const char *s, const char *key)
{
	char k[80];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = s ? strstr(s, k) : NULL;
	return p ? strtoll(p + strlen(k), NULL, 10) : -1;
}

static const char *summary_line(const char *out)
{
	const char *p = strstr(out, "{\"type\":\"summary\"");
	return p ? p : "";
}

/* A number as valgrind prints it ("4,151"). */
static long long vg_num(const char *s)
{
	long long v = 0;

	while (*s == ' ')
		s++;
	for (; (*s >= '0' && *s <= '9') || *s == ','; s++)
		if (*s != ',')
			v = v * 10 + (*s - '0');
	return v;
}

/* ---- the maps parser ---------------------------------------------------- */

static struct model_region *parse_file(const char *path, ssize_t *n)
{
	struct trace_layout lay = { NULL, "/opt/demo/prog", 0 };
	struct model_region *r = NULL;
	struct err e = { 0 };
	FILE *f = fopen(path, "r");

	ck_assert_ptr_nonnull(f);
	*n = trace_maps_parse(f, &lay, &r, &e);
	fclose(f);
	return r;
}

START_TEST(maps_parser_labels_every_kind)
{
	ssize_t n;
	struct model_region *r = parse_file("tests/data/maps_threads.txt", &n);
	static const int want[] = {
		MR_RODATA, MR_TEXT, MR_RODATA, MR_RODATA, MR_DATA, MR_BSS, MR_HEAP,
		MR_MMAP, MR_MMAP, MR_THREAD_STACK, MR_THREAD_STACK,
		MR_LIB, MR_LIB, MR_LIB, MR_LIB, MR_LIB, MR_VDSO, MR_VDSO, MR_VDSO,
		MR_LIB, MR_LIB, MR_LIB, MR_STACK, MR_VDSO,
	};

	ck_assert_int_eq(n, (ssize_t)(sizeof(want) / sizeof(want[0])));
	for (ssize_t i = 0; i < n; i++)
		ck_assert_msg(r[i].kind == want[i], "line %zd: kind %s, expected %s", i + 1,
			      model_region_kind_name((enum model_region_kind)r[i].kind),
			      model_region_kind_name((enum model_region_kind)want[i]));
	ck_assert_str_eq(r[0].name, "prog");
	ck_assert_str_eq(r[9].name, "[guard]");
	ck_assert_str_eq(r[9].perms, "---p");
	ck_assert_str_eq(r[11].name, "libc.so.6");
	ck_assert_str_eq(r[16].name, "[vvar_vclock]"); /* newer kernels split [vvar] */
	ck_assert_str_eq(r[22].name, "[stack]");
	ck_assert(r[6].start == 0x55555555b000ull && r[6].end == 0x55555557c000ull);
	for (ssize_t i = 1; i < n; i++)
		ck_assert(r[i - 1].start < r[i].start);
	free(r);
}
END_TEST

START_TEST(maps_parser_refuses_a_malformed_line)
{
	struct model_region *r = NULL;
	struct err e = { 0 };
	FILE *f = fopen("tests/data/maps_bad.txt", "r");
	ssize_t n = trace_maps_parse(f, NULL, &r, &e);

	fclose(f);
	ck_assert_int_eq(n, -1);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(e.msg, "line 2"));
}
END_TEST

/* The live program's own segments are placed through the load bias. */
START_TEST(live_regions_label_the_programs_segments)
{
	struct model_opts mo = { .keep_history = true };
	struct model *m = model_new(&mo);
	char *argv[] = { T "t_allocs", marker, NULL };
	struct trace_opts o = { .argv = argv, .alloc = TRACE_ALLOC_LIBC, .shim = tu_shim_path() };
	struct err e = { 0 };
	struct trace *t = trace_start(&o, m, &e);
	size_t n = 0;
	int seen[MR_KIND_MAX] = { 0 };

	ck_assert_msg(t != NULL, "trace_start: %s", e.msg);
	ck_assert_int_eq(trace_run(t, &e), 0);
	ck_assert(trace_ended(t));
	ck_assert_int_eq(trace_exit_status(t), 0);
	const struct model_region *r = model_regions(m, &n);
	for (size_t i = 0; i < n; i++) {
		seen[r[i].kind]++;
		if (r[i].kind == MR_TEXT)
			ck_assert_str_eq(r[i].name, "t_allocs");
	}
	ck_assert_int_ge(seen[MR_TEXT], 1);
	ck_assert_int_ge(seen[MR_RODATA], 1);
	ck_assert_int_ge(seen[MR_DATA], 1);
	ck_assert_int_ge(seen[MR_HEAP], 1);
	ck_assert_int_ge(seen[MR_STACK], 1);
	ck_assert_int_ge(seen[MR_LIB], 2);
	ck_assert_int_ge(seen[MR_VDSO], 1);
	/* ASLR off: a PIE sits at the usual place */
	const struct model_region *txt = model_region_at(m, 0x555555555000ull);
	ck_assert_ptr_nonnull(txt);
	trace_free(t);
	model_free(m);
	tu_assert_marker_gone(marker);
}
END_TEST

/* ---- every allocation function ----------------------------------------- */

static void check_allocs(const char *alloc)
{
	struct run r = TRACE(20, "-q --json --alloc=%s " T "t_allocs", alloc);
	const char *s = summary_line(r.out[0] ? r.out : r.err);

	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(jnum(s, "malloc"), 1);
	ck_assert_int_eq(jnum(s, "calloc"), 1);
	ck_assert_int_eq(jnum(s, "realloc"), 2);
	ck_assert_int_eq(jnum(s, "reallocarray"), 1);
	ck_assert_int_eq(jnum(s, "posix_memalign"), 1);
	ck_assert_int_eq(jnum(s, "aligned_alloc"), 1);
	ck_assert_int_eq(jnum(s, "memalign"), 1);
	ck_assert_int_eq(jnum(s, "valloc"), 1);
	ck_assert_int_eq(jnum(s, "pvalloc"), 1);
	ck_assert_int_eq(jnum(s, "free"), 9);
	ck_assert_int_eq(jnum(s, "free_null"), 1);
	ck_assert_int_eq(jnum(s, "leaked_bytes"), 100);
	ck_assert_int_eq(jnum(s, "leaked_blocks"), 1);
	ck_assert_ptr_nonnull(strstr(s, "\"func\":\"main\""));
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}

START_TEST(every_allocation_function_teach) { check_allocs("teach"); }
END_TEST
START_TEST(every_allocation_function_libc) { check_allocs("libc"); }
END_TEST

static const char *const static_targets[] = { T "t_allocs_static", T "t_allocs_staticpie" };

START_TEST(static_binary_through_breakpoints)
{
	struct run r = TRACE(20, "-q --json %s", static_targets[_i]);
	const char *s = summary_line(r.err);

	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.err, "static binary"));
	ck_assert_int_ge(jnum(s, "malloc"), 1);
	ck_assert_int_eq(jnum(s, "realloc"), 2);
	ck_assert_int_eq(jnum(s, "reallocarray"), 1);
	ck_assert_int_eq(jnum(s, "posix_memalign"), 1);
	ck_assert_int_eq(jnum(s, "aligned_alloc") + jnum(s, "memalign"), 2);
	ck_assert_int_eq(jnum(s, "valloc"), 1);
	ck_assert_int_eq(jnum(s, "pvalloc"), 1);
	ck_assert_int_eq(jnum(s, "free"), 9);
	ck_assert_int_eq(jnum(s, "free_null"), 1);
	ck_assert_ptr_nonnull(strstr(s, "\"func\":\"main\""));
	tu_run_free(&r);
	/* the allocator that ran is glibc's, whatever --alloc says: the start
	 * line says so, and the lines need no flags to say they are not teach */
	r = TRACE(20, "--json %s", static_targets[_i]);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.err, "\"options\":{\"alloc\":\"libc\""));
	ck_assert_ptr_null(strstr(r.err, "\"flags\":0"));
	ck_assert_ptr_nonnull(strstr(r.err, "{\"type\":\"malloc\""));
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}
END_TEST

START_TEST(stripped_static_binary_gets_a_note)
{
	struct run r = TRACE(20, "-q " T "t_allocs_stripped%s", "");

	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.err, "allocations cannot be seen"));
	ck_assert_ptr_nonnull(strstr(r.err, "status 0"));
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}
END_TEST

/* ---- threads, fork, exec -------------------------------------------- */

START_TEST(threads_every_event_with_its_tid)
{
	struct run r = TRACE(30, "--json --alloc=libc " T "t_threads%s", "");
	const char *s = summary_line(r.err);
	int tids[512], ntid = 0;
	long long prev = -1;
	bool ordered = true;

	ck_assert_int_eq(r.status, 0);
	ck_assert_int_ge(jnum(s, "malloc"), 5000);
	ck_assert_int_ge(jnum(s, "free"), 5000);
	for (char *l = r.err; (l = strstr(l, "{\"type\":\"malloc\"")); l++) {
		long long tid = jnum(l, "tid"), seq = jnum(l, "seq");
		bool known = false;
		if (seq <= prev)
			ordered = false;
		prev = seq;
		for (int i = 0; i < ntid; i++)
			known |= tids[i] == tid;
		if (!known && ntid < 512)
			tids[ntid++] = (int)tid;
	}
	ck_assert_msg(ordered, "malloc events out of sequence order");
	ck_assert_int_ge(ntid, 5);
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}
END_TEST

/* Children run untraced and silent (_i 0).  But a vfork child shares its
 * parent's memory until it execs: what it allocates before then is a
 * block of the parent's heap, its leak here (_i 1, man page). */
START_TEST(fork_and_vfork_children_run_untraced)
{
	static const struct { const char *arg; int mallocs, leaked, bytes; } c[] = {
		{ "", 3, 0, 0 },
		{ " vfork-alloc", 4, 1, 100 },
	};
	struct run r = TRACE(20, "-q --json " T "t_fork%s", c[_i].arg);
	const char *s = summary_line(r.err);

	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_int_eq(jnum(s, "malloc"), c[_i].mallocs);
	ck_assert_int_eq(jnum(s, "free"), 3);
	ck_assert_int_eq(jnum(s, "leaked_blocks"), c[_i].leaked);
	ck_assert_int_eq(jnum(s, "leaked_bytes"), c[_i].bytes);
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}
END_TEST

/* 4 threads of a static binary call the allocator from the same sites at
 * once: every call is seen once (a breakpoint is never lifted while
 * another thread may pass it; returns go to memlens's trap). */
START_TEST(static_threads_every_call_seen_once)
{
	struct run r = TRACE(60, "-q --json " T "t_threads_static%s", "");
	const char *s = summary_line(r.err);

	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_int_eq(jnum(s, "realloc"), 8000);
	/* glibc's thread start-up adds a few calls of its own */
	ck_assert_int_ge(jnum(s, "malloc"), 8000);
	ck_assert_int_lt(jnum(s, "malloc"), 8100);
	ck_assert_int_ge(jnum(s, "calloc"), 8000);
	ck_assert_int_lt(jnum(s, "calloc"), 8100);
	ck_assert_int_ge(jnum(s, "free"), 16000);
	ck_assert_int_lt(jnum(s, "free"), 16200);
	ck_assert_int_lt(jnum(s, "leaked_blocks"), 50);
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}
END_TEST

/* `ulimit -s unlimited` switches x86-64 to the legacy mmap layout
 * (mappings bottom-up from 0x1555...): nothing may assume where regions
 * sit.  The 1 MiB block is still an mmap'd block, the stack still found. */
START_TEST(legacy_mmap_layout_with_an_unlimited_stack)
{
	struct run r = tu_sh(20, "ulimit -s unlimited 2>/dev/null || exit 77; %s trace --json samples/big_alloc",
			     tu_memlens());

	if (r.status == 77) {
		tu_run_free(&r);
		return; /* the hard limit forbids it here */
	}
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.out, "large at 0x1555") != NULL, "not the legacy layout: %s", r.out);
	ck_assert_ptr_nonnull(strstr(r.err, "\"kind\":\"stack\""));
	ck_assert_ptr_nonnull(strstr(r.err, "\"kind\":\"lib\""));
	ck_assert_ptr_nonnull(strstr(r.err, "\"size\":1048576,\"result\":2345"));
	ck_assert_int_eq(jnum(summary_line(r.err), "mmap_peak_bytes") >= 1048576, 1);
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}
END_TEST

START_TEST(static_fork_child_loses_our_breakpoints)
{
	struct run r = TRACE(20, "-q --json " T "t_fork_static%s", "");
	const char *s = summary_line(r.err);

	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_int_ge(jnum(s, "malloc"), 3);
	ck_assert_int_lt(jnum(s, "malloc"), 50);
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}
END_TEST

static void check_exec(const char *how)
{
	struct run r = TRACE(20, "--json " T "t_exec %s", how);
	const char *s = summary_line(r.err);
	const char *ex = strstr(r.err, "{\"type\":\"exec\"");

	ck_assert_int_eq(r.status, 7);
	ck_assert_ptr_nonnull(ex);
	ck_assert_ptr_nonnull(strstr(r.err, "followed it into the new image"));
	/* the three stage-2 mallocs come after the exec */
	int after = 0;
	for (const char *l = ex; (l = strstr(l, "{\"type\":\"malloc\"")); l++)
		after++;
	ck_assert_int_eq(after, 3);
	ck_assert_int_eq(jnum(s, "status"), 7);
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}

START_TEST(exec_is_followed) { check_exec(""); }
END_TEST
START_TEST(exec_from_a_thread_is_followed) { check_exec("thread"); }
END_TEST

/* ---- hostile programs --------------------------------------------------- */

static void check_hostile(const char *mode)
{
	struct run r = TRACE(20, "-q --json " T "t_hostile %s", mode);
	const char *s = summary_line(r.err);

	ck_assert_msg(r.status == 0, "%s: status %d: %s", mode, r.status, r.err);
	ck_assert_int_eq(jnum(s, "malloc"), 4);
	ck_assert_int_eq(jnum(s, "free"), 4);
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}

START_TEST(program_closing_every_fd) { check_hostile("closefds"); }
END_TEST
START_TEST(program_calling_clearenv) { check_hostile("clearenv"); }
END_TEST
/* clearenv() then exec: the new image has no LD_PRELOAD; memlens follows
 * it and says why its calls are not seen, instead of a silent "none". */
START_TEST(exec_after_clearenv_says_the_shim_is_gone)
{
	struct run r = TRACE(20, "-q " T "t_hostile %s", "clearenv-exec");

	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "without memlens's LD_PRELOAD") != NULL, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "calls:        none"));
	tu_run_free(&r);
	r = TRACE(20, "-q " T "t_hostile %s", "plain");
	ck_assert_ptr_null(strstr(r.err, "LD_PRELOAD"));
	tu_run_free(&r);
	/* an exec that keeps the environment, with the shim under another
	 * name (MEMLENS_SHIM): no note, and the new image is still seen */
	r = tu_sh(20, "d=$(mktemp -d); cp libmemlens-shim.so $d/other.so && "
		  "MEMLENS_SHIM=$d/other.so %s trace -q --json " T "t_exec main %s; rc=$?; rm -rf $d; exit $rc",
		  tu_memlens(), marker);
	ck_assert_int_eq(r.status, 7);
	ck_assert_msg(strstr(r.err, "LD_PRELOAD") == NULL, "%s", r.err);
	ck_assert_int_ge(jnum(summary_line(r.err), "malloc"), 5);
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}
END_TEST
START_TEST(program_blocking_every_signal) { check_hostile("blocksig"); }
END_TEST
START_TEST(programs_own_sigtrap_handler_runs) { check_hostile("sigtrap"); }
END_TEST

START_TEST(program_reads_its_own_stdin)
{
	struct run r = tu_sh(20, "echo hello | %s trace -q " T "t_stdin %s", tu_memlens(), marker);

	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "got: hello\n");
	ck_assert_ptr_nonnull(strstr(r.err, "malloc"));
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}
END_TEST

/* ---- ending: interrupted, killed ---------------------------------------- */

/* memlens trace -q on t_forever; its stderr goes to `errpath` (NULL: nowhere) */
static pid_t spawn_memlens_forever_to(const char *errpath)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		if (errpath)
			fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		execl(tu_memlens(), "memlens", "trace", "-q", T "t_forever", marker, (char *)NULL);
		_exit(127);
	}
	/* wait until the target runs */
	for (int i = 0; i < 500 && !tu_marker_alive(marker); i++)
		usleep(10000);
	ck_assert(tu_marker_alive(marker));
	usleep(100000);
	return pid;
}

static pid_t spawn_memlens_forever(void)
{
	return spawn_memlens_forever_to(NULL);
}

static int wait_timeout(pid_t pid, int secs)
{
	int st;

	for (int i = 0; i < secs * 100; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* The CPUs a process may run on, from /proc/PID/status. */
static bool allowed_cpus(pid_t pid, cpu_set_t *set)
{
	char p[64], line[4096];
	bool ok = false;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	CPU_ZERO(set);
	if (!(f = fopen(p, "r")))
		return false;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "Cpus_allowed_list:", 18) == 0) {
			for (char *c = line + 18; *c && *c != '\n';) {
				char *end;
				long lo = strtol(c, &end, 10), hi = lo;
				if (end == c)
					break;
				if (*end == '-')
					hi = strtol(end + 1, &end, 10);
				for (long k = lo; k <= hi && k < CPU_SETSIZE; k++)
					CPU_SET(k, set);
				c = *end == ',' ? end + 1 : end;
			}
			ok = true;
		}
	fclose(f);
	return ok;
}

/* Run mode: memlens on one CPU, the program on the others (the issue's
 * "tracer and program on different CPUs"); with one CPU allowed, both on
 * it. */
START_TEST(run_mode_puts_tracer_and_program_on_different_cpus)
{
	cpu_set_t mine, tracer, prog, both;
	char p[64], kids[256] = "";
	pid_t pid, child;
	FILE *f;

	ck_assert_int_eq(sched_getaffinity(0, sizeof(mine), &mine), 0);
	pid = spawn_memlens_forever();
	snprintf(p, sizeof(p), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	f = fopen(p, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(kids, sizeof(kids), f));
	fclose(f);
	child = (pid_t)atoi(kids);
	ck_assert_int_gt(child, 0);
	ck_assert(allowed_cpus(pid, &tracer));
	ck_assert(allowed_cpus(child, &prog));
	kill(pid, SIGINT);
	ck_assert_int_eq(wait_timeout(pid, 10), 128 + SIGINT);
	tu_assert_marker_gone(marker);
	if (CPU_COUNT(&mine) < 2) {
		ck_assert(CPU_EQUAL(&tracer, &mine));
		ck_assert(CPU_EQUAL(&prog, &mine));
		return;
	}
	CPU_AND(&both, &tracer, &prog);
	ck_assert_int_eq(CPU_COUNT(&tracer), 1);
	ck_assert_int_eq(CPU_COUNT(&both), 0);
	CPU_OR(&both, &tracer, &prog);
	ck_assert(CPU_EQUAL(&both, &mine));
}
END_TEST

START_TEST(sigint_to_memlens_ends_both)
{
	pid_t pid = spawn_memlens_forever();

	kill(pid, SIGINT);
	ck_assert_int_eq(wait_timeout(pid, 10), 128 + SIGINT);
	tu_assert_marker_gone(marker);
}
END_TEST

START_TEST(interrupted_summary_says_memlens_killed_the_program)
{
	char path[] = "/tmp/memlens-int-XXXXXX";
	int fd = mkstemp(path);
	char buf[4096] = "";
	ssize_t n;
	pid_t pid;

	ck_assert_int_ge(fd, 0);
	pid = spawn_memlens_forever_to(path);
	kill(pid, SIGINT);
	ck_assert_int_eq(wait_timeout(pid, 10), 128 + SIGINT);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(path);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	/* the SIGKILL was memlens's: the summary must not blame the program */
	ck_assert_msg(strstr(buf, "exit:         none of its own: memlens killed it (SIGKILL)") != NULL, "%s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "memlens: interrupted by SIGINT"));
	tu_assert_marker_gone(marker);
}
END_TEST

START_TEST(sigterm_to_memlens_ends_both)
{
	pid_t pid = spawn_memlens_forever();

	kill(pid, SIGTERM);
	ck_assert_int_eq(wait_timeout(pid, 10), 128 + SIGTERM);
	tu_assert_marker_gone(marker);
}
END_TEST

START_TEST(memlens_killed_takes_the_program_with_it)
{
	pid_t pid = spawn_memlens_forever();

	kill(pid, SIGKILL);
	ck_assert_int_eq(wait_timeout(pid, 10), 128 + SIGKILL);
	tu_assert_marker_gone(marker);
}
END_TEST

/* ---- crashes ------------------------------------------------------------ */

static void check_crash(const char *kind, const char *alloc, int sig, const char *says)
{
	struct run r = TRACE(20, "--alloc=%s " T "t_crash %s", alloc, kind);

	ck_assert_msg(r.status == 128 + sig, "%s: status %d", kind, r.status);
	ck_assert_msg(strstr(r.err, says) != NULL, "%s: no '%s' in: %s", kind, says, r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "killed by SIG"));
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}

START_TEST(crash_null_pointer)
{
	check_crash("null", "teach", SIGSEGV, "at 0x10: the NULL page");
}
END_TEST
START_TEST(crash_use_after_free)
{
	check_crash("uaf", "libc", SIGSEGV, "freed block #1 (1048576 bytes) allocated at main");
}
END_TEST
START_TEST(crash_overrun_past_a_block)
{
	check_crash("overrun", "libc", SIGSEGV, "100 bytes past the end of block #");
}
END_TEST
START_TEST(crash_stack_overflow)
{
	check_crash("stack", "teach", SIGSEGV, "stack overflow");
}
END_TEST
START_TEST(crash_division_by_zero) { check_crash("fpe", "teach", SIGFPE, "signal SIGFPE"); }
END_TEST
START_TEST(crash_abort) { check_crash("abort", "teach", SIGABRT, "signal SIGABRT"); }
END_TEST
START_TEST(crash_bus_error) { check_crash("bus", "libc", SIGBUS, "signal SIGBUS at 0x"); }
END_TEST

/* ---- volume and refusals ------------------------------------------------ */

/* Nothing dropped, memory bounded: 10M malloc/free pairs, then a 10 GB
 * request that fails inside the program (it exits 0 only then). */
START_TEST(ten_million_allocations_nothing_dropped)
{
	char cmd[512];
	struct rusage ru;
	int st;
	pid_t pid;
	char outp[] = "/tmp/memlens-10m-XXXXXX";
	int fd = mkstemp(outp);

	snprintf(cmd, sizeof(cmd), "%s", tu_memlens());
	pid = fork();
	if (pid == 0) {
		dup2(fd, 2);
		execl(cmd, "memlens", "trace", "-q", "--json", "--alloc=libc", T "t_many",
		      "10000000", marker, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 12000 && wait4(pid, &st, WNOHANG, &ru) == 0; i++)
		usleep(10000);
	close(fd);
	char *out = tu_slurp(outp);
	unlink(outp);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	const char *s = summary_line(out);
	ck_assert_int_eq(jnum(s, "malloc"), 10000001);
	ck_assert_int_eq(jnum(s, "free"), 10000000);
	ck_assert_int_eq(jnum(s, "leaked_blocks"), 0);
	/* memlens and the program together stay under 64 MiB */
	ck_assert_int_lt(ru.ru_maxrss, 64 * 1024);
	free(out);
	tu_assert_marker_gone(marker);
}
END_TEST

/* ... with its errno (ENOMEM): in libc mode the one record that carries
 * an aux slot besides teach mode's. */
START_TEST(ten_gigabyte_request_fails_inside_the_program)
{
	static const char *const allocs[] = { "libc", "teach" };

	for (int i = 0; i < 2; i++) {
		struct run r = TRACE(20, "--json --alloc=%s " T "t_many 10", allocs[i]);
		const char *ev = strstr(r.err, "\"size\":10737418240,\"result\":0,");

		ck_assert_int_eq(r.status, 0);
		ck_assert_ptr_nonnull(strstr(r.err, "\"type\":\"malloc\",\"seq\":"));
		ck_assert_ptr_nonnull(ev);
		const char *end = strchr(ev, '\n');
		const char *en = strstr(ev, "\"errno\":12}");
		ck_assert_msg(en && (!end || en < end), "%s: no errno 12 on the failed malloc", allocs[i]);
		tu_run_free(&r);
	}
	tu_assert_marker_gone(marker);
}
END_TEST

START_TEST(ptrace_refused_by_seccomp_is_explained)
{
	struct run r = tu_sh(20, T "t_noptrace %s trace " T "t_allocs %s", tu_memlens(), marker);

	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "memlens: cannot trace the program: a seccomp filter"));
	ck_assert_ptr_nonnull(strstr(r.err, "fix:"));
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}
END_TEST

START_TEST(already_traced_is_explained)
{
	struct run r = tu_sh(30, "command -v strace >/dev/null || exit 77; "
			     "strace -f -o /dev/null %s trace " T "t_allocs %s", tu_memlens(), marker);

	if (r.status != 77) {
		ck_assert_int_eq(r.status, 1);
		ck_assert_ptr_nonnull(strstr(r.err, "it is already traced by process"));
	}
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}
END_TEST

/* -o writes the log to a file; the JSON trace file replays to the same
 * text log and summary. */
START_TEST(trace_file_replays_to_the_same_log)
{
	char txt[64], js[64];
	snprintf(txt, sizeof(txt), "/tmp/memlens-t-%d.txt", (int)getpid());
	snprintf(js, sizeof(js), "/tmp/memlens-t-%d.jsonl", (int)getpid());
	struct run a = TRACE(20, "-o %s --alloc=libc samples/linked_list", txt);
	struct run b = TRACE(20, "--json -o %s --alloc=libc samples/linked_list", js);
	struct run c = tu_sh(20, "%s replay --text %s", tu_memlens(), js);
	char *live = tu_slurp(txt);

	ck_assert_int_eq(a.status, 0);
	ck_assert_int_eq(b.status, 0);
	ck_assert_int_eq(c.status, 0);
	ck_assert_str_eq(a.err, ""); /* the log went to the file */
	ck_assert_ptr_nonnull(strstr(a.out, "10"));  /* the program's own output */
	ck_assert_ptr_nonnull(strstr(live, "malloc(16)"));
	ck_assert_ptr_nonnull(strstr(live, "linked_list.c:"));
	ck_assert_str_eq(c.out, live);
	unlink(txt);
	unlink(js);
	free(live);
	tu_run_free(&a);
	tu_run_free(&b);
	tu_run_free(&c);
	tu_assert_marker_gone(marker);
}
END_TEST

/* samples/recursion recurses 40 deep with 256-byte frames (~11.5 KiB)
 * without allocating: no event sees it, the stack pages do. */
START_TEST(deepest_stack_catches_recursion_that_allocates_nothing)
{
	struct run r = TRACE(20, "-q --json samples/recursion%s", "");
	const char *s = summary_line(r.err);

	ck_assert_int_eq(r.status, 0);
	ck_assert_int_ge(jnum(s, "max_stack_depth"), 11 * 1024);
	ck_assert_int_lt(jnum(s, "max_stack_depth"), 32 * 1024);
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}
END_TEST

static long long first_region_start(const char *log)
{
	const char *p = strstr(log, "{\"type\":\"regions\"");
	return p ? jnum(p, "start") : -1;
}

/* Without --aslr a PIE lands at the same address every run; with it, not. */
START_TEST(aslr_off_unless_asked)
{
	struct run a = TRACE(20, "--json " T "t_allocs%s", "");
	struct run b = TRACE(20, "--json " T "t_allocs%s", "");
	struct run c = TRACE(20, "--json --aslr " T "t_allocs%s", "");
	struct run d = TRACE(20, "--json --aslr " T "t_allocs%s", "");

	ck_assert_int_eq(first_region_start(a.err), 0x555555554000ll);
	ck_assert_int_eq(first_region_start(b.err), 0x555555554000ll);
	ck_assert_int_gt(first_region_start(c.err), 0);
	ck_assert(first_region_start(c.err) != first_region_start(d.err));
	tu_run_free(&a);
	tu_run_free(&b);
	tu_run_free(&c);
	tu_run_free(&d);
	tu_assert_marker_gone(marker);
}
END_TEST

START_TEST(setuid_program_gets_a_note)
{
	char path[] = "/tmp/memlens-suid-XXXXXX";
	int fd = mkstemp(path);

	if (geteuid() != 0) {
		close(fd);
		unlink(path);
		return; /* chown needs root */
	}
	close(fd);
	struct run c = tu_sh(10, "cp " T "t_allocs %s && chown 65534 %s && chmod 4755 %s", path, path, path);
	ck_assert_int_eq(c.status, 0);
	struct run r = TRACE(20, "-q %s", path);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.err, "set-user-ID"));
	unlink(path);
	tu_run_free(&c);
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}
END_TEST

START_TEST(thirty_two_bit_program_gets_a_note)
{
	if (access(T "t_exit3_m32", X_OK) != 0)
		return; /* this compiler cannot build 32-bit code */
	struct run r = TRACE(20, "-q " T "t_exit3_m32%s", "");

	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "is a 32-bit program"));
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}
END_TEST

START_TEST(missing_program_is_an_input_error)
{
	struct run r = tu_sh(10, "%s trace /nonexistent/prog", tu_memlens());

	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "memlens: /nonexistent/prog: no such program"));
	tu_run_free(&r);
}
END_TEST

/* ---- step mode ---------------------------------------------------------- */

START_TEST(step_mode_stops_at_each_event)
{
	struct model_opts mo = { .keep_history = true };
	struct model *m = model_new(&mo);
	char *argv[] = { T "t_allocs", marker, NULL };
	struct trace_opts o = { .argv = argv, .alloc = TRACE_ALLOC_LIBC, .step = true,
				.shim = tu_shim_path() };
	struct err e = { 0 };
	struct trace *t = trace_start(&o, m, &e);
	struct model_event ev;
	int calls = 0, rc;
	bool stopped_between = true;

	ck_assert_msg(t != NULL, "trace_start: %s", e.msg);
	while ((rc = trace_step(t, &ev, &e)) == 1) {
		if (model_ev_is_alloc_call((enum model_ev_type)ev.type)) {
			char p[64], st[512];
			calls++;
			/* the program waits while we look at the event */
			snprintf(p, sizeof(p), "/proc/%d/stat", (int)trace_pid(t));
			FILE *f = fopen(p, "r");
			if (f && fgets(st, sizeof(st), f)) {
				char *c = strrchr(st, ')');
				if (!c || c[2] != 't')
					stopped_between = false;
			}
			if (f)
				fclose(f);
			ck_assert_int_eq(model_event_count(m), model_cursor(m));
		}
	}
	ck_assert_int_eq(rc, 0);
	ck_assert(stopped_between);
	ck_assert_int_eq(calls, 19); /* 10 allocations, 9 frees */
	ck_assert_int_eq(ev.type, MEV_EXIT);
	trace_free(t);
	model_free(m);
	tu_assert_marker_gone(marker);
}
END_TEST

/* libc records carry no break: a block that ends past [heap] as last read
 * makes the tracer read the maps again at that stop, so the map shows the
 * heap grown before the block is freed (not only at the exit). */
START_TEST(step_mode_rereads_the_maps_for_a_block_past_the_heap)
{
	struct model_opts mo = { .keep_history = true };
	struct model *m = model_new(&mo);
	char *argv[] = { T "t_bigheap", marker, NULL };
	struct trace_opts o = { .argv = argv, .alloc = TRACE_ALLOC_LIBC, .step = true,
				.shim = tu_shim_path() };
	struct err e = { 0 };
	struct trace *t = trace_start(&o, m, &e);
	struct model_event ev;
	uint64_t second = 0, heap_end = 0;
	int big = 0, rc;

	ck_assert_msg(t != NULL, "trace_start: %s", e.msg);
	while ((rc = trace_step(t, &ev, &e)) == 1) {
		if (ev.type == MEV_MALLOC && ev.args[0] == 1 << 20 && ++big == 2)
			second = ev.result;
		if (ev.type == MEV_REGIONS && second && !heap_end) {
			size_t n;
			const struct model_region *r = model_regions_snapshot(m, (uint32_t)ev.aux, &n);
			for (size_t i = 0; i < n; i++)
				if (r[i].kind == MR_HEAP)
					heap_end = r[i].end;
		}
		if (ev.type == MEV_FREE && second && ev.args[0] == second)
			break; /* the map must have caught up by now */
	}
	ck_assert_int_eq(big, 2);
	ck_assert_uint_ne(second, 0);
	ck_assert_msg(heap_end >= second + (1 << 20), "[heap] ends at %#llx, the block at %#llx",
		      (unsigned long long)heap_end, (unsigned long long)(second + (1 << 20)));
	while ((rc = trace_step(t, &ev, &e)) == 1)
		;
	ck_assert_int_eq(rc, 0);
	trace_free(t);
	model_free(m);
	tu_assert_marker_gone(marker);
}
END_TEST

/* A few steps, then "run to the end": every event still arrives once. */
START_TEST(step_mode_then_run_to_the_end)
{
	struct model_opts mo = { .keep_history = true };
	struct model *m = model_new(&mo);
	char *argv[] = { T "t_allocs", marker, NULL };
	struct trace_opts o = { .argv = argv, .alloc = TRACE_ALLOC_TEACH, .step = true,
				.shim = tu_shim_path() };
	struct err e = { 0 };
	struct trace *t = trace_start(&o, m, &e);
	struct model_event ev;
	int calls = 0;

	ck_assert_msg(t != NULL, "trace_start: %s", e.msg);
	while (calls < 5 && trace_step(t, &ev, &e) == 1)
		calls += model_ev_is_alloc_call((enum model_ev_type)ev.type);
	trace_set_step(t, false);
	ck_assert_int_eq(trace_run(t, &e), 0);
	ck_assert(trace_ended(t));
	const struct model_stats *st = model_stats(m);
	uint64_t total = 0;
	for (int k = MEV_MALLOC; k <= MEV_PVALLOC; k++)
		total += st->calls[k];
	ck_assert_int_eq(total, 19);
	ck_assert_int_eq(st->calls[MEV_FREE], 9);
	ck_assert_int_eq(trace_exit_status(t), 0);
	trace_free(t);
	model_free(m);
	tu_assert_marker_gone(marker);
}
END_TEST

/* ---- cross-check with valgrind ------------------------------------------ */

/* valgrind's "total heap usage: A allocs, F frees" and "in use at exit: B
 * bytes in N blocks" against memlens --alloc=libc on the same program
 * (stdout to a file in both, so stdio's buffer is the same; libc's
 * freeres off, so valgrind frees nothing the program did not).  Leaks must
 * be equal.  valgrind's realloc always moves (an alloc and a free), glibc's
 * often stays in place (neither, for memlens): the counts may differ by
 * the same number of in-place reallocs on both sides, and by no more. */
static void check_against_valgrind(const char *cmd)
{
	char out[64], in[96];
	struct run v, r;

	/* the marker names sort's input file, so it sits in every command line */
	snprintf(out, sizeof(out), "/tmp/memlens-vg-out.%d", (int)getpid());
	snprintf(in, sizeof(in), "/tmp/%s.txt", marker);
	FILE *f = fopen(in, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 500; i > 0; i--)
		fprintf(f, "%d\n", i * 7 % 501);
	fclose(f);
	v = tu_sh(120, "command -v valgrind >/dev/null || exit 77; "
		  "valgrind --run-libc-freeres=no --run-cxx-freeres=no %s %s >%s", cmd, in, out);
	if (v.status == 77) {
		unlink(in);
		tu_run_free(&v);
		return;
	}
	r = tu_sh(60, "%s trace -q --json --alloc=libc %s %s >%s", tu_memlens(), cmd, in, out);
	unlink(out);
	unlink(in);
	ck_assert_int_eq(r.status, 0);
	const char *s = summary_line(r.err);
	const char *h = strstr(v.err, "total heap usage:");
	const char *u = strstr(v.err, "in use at exit:");

	ck_assert_msg(h && u, "%s: no valgrind summary: %s", cmd, v.err);
	long long allocs = vg_num(h + strlen("total heap usage:"));
	long long frees = vg_num(strstr(h, "allocs,") + strlen("allocs,"));
	long long bytes = vg_num(u + strlen("in use at exit:"));
	long long blocks = vg_num(strstr(u, "bytes in") + strlen("bytes in"));
	long long da = allocs - jnum(s, "allocations"), df = frees - jnum(s, "deallocations");

	ck_assert_msg(jnum(s, "leaked_bytes") == bytes && jnum(s, "leaked_blocks") == blocks,
		      "%s: leaks %lld B in %lld blocks, valgrind %lld B in %lld", cmd,
		      jnum(s, "leaked_bytes"), jnum(s, "leaked_blocks"), bytes, blocks);
	ck_assert_msg(da == df && da >= 0 && da <= jnum(s, "realloc"),
		      "%s: allocs %lld/%lld frees %lld/%lld (valgrind/memlens), realloc %lld", cmd,
		      allocs, jnum(s, "allocations"), frees, jnum(s, "deallocations"),
		      jnum(s, "realloc"));
	tu_run_free(&v);
	tu_run_free(&r);
	tu_assert_marker_gone(marker);
}

/* The samples and sort(1) (the C++ sample too) against valgrind memcheck. */
START_TEST(counts_match_valgrind_memcheck)
{
	static const char *const progs[] = {
		"samples/leak", "samples/linked_list", "samples/dynamic_array",
		"samples/fragmentation", "samples/cpp_new", "sort -n",
	};

	check_against_valgrind(progs[_i]);
}
END_TEST

static Suite *trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *p = tcase_create("maps");
	TCase *a = tcase_create("programs");
	TCase *x = tcase_create("ending");

	tcase_add_checked_fixture(p, setup, NULL);
	tcase_add_checked_fixture(a, setup, NULL);
	tcase_add_checked_fixture(x, setup, NULL);
	tcase_set_timeout(a, 120);
	tcase_set_timeout(x, 180);
	tcase_add_test(p, maps_parser_labels_every_kind);
	tcase_add_test(p, maps_parser_refuses_a_malformed_line);
	tcase_add_test(p, live_regions_label_the_programs_segments);
	tcase_add_test(a, every_allocation_function_teach);
	tcase_add_test(a, every_allocation_function_libc);
	tcase_add_loop_test(a, static_binary_through_breakpoints, 0, 2);
	tcase_add_test(a, stripped_static_binary_gets_a_note);
	tcase_add_test(a, threads_every_event_with_its_tid);
	tcase_add_loop_test(a, fork_and_vfork_children_run_untraced, 0, 2);
	tcase_add_test(a, static_fork_child_loses_our_breakpoints);
	tcase_add_test(a, static_threads_every_call_seen_once);
	tcase_add_test(a, legacy_mmap_layout_with_an_unlimited_stack);
	tcase_add_test(a, exec_is_followed);
	tcase_add_test(a, exec_from_a_thread_is_followed);
	tcase_add_test(a, program_closing_every_fd);
	tcase_add_test(a, program_calling_clearenv);
	tcase_add_test(a, exec_after_clearenv_says_the_shim_is_gone);
	tcase_add_test(a, program_blocking_every_signal);
	tcase_add_test(a, programs_own_sigtrap_handler_runs);
	tcase_add_test(a, program_reads_its_own_stdin);
	tcase_add_test(a, step_mode_stops_at_each_event);
	tcase_add_test(a, step_mode_rereads_the_maps_for_a_block_past_the_heap);
	tcase_add_test(a, step_mode_then_run_to_the_end);
	tcase_add_loop_test(a, counts_match_valgrind_memcheck, 0, 6);
	tcase_add_test(x, sigint_to_memlens_ends_both);
	tcase_add_test(x, run_mode_puts_tracer_and_program_on_different_cpus);
	tcase_add_test(x, sigterm_to_memlens_ends_both);
	tcase_add_test(x, interrupted_summary_says_memlens_killed_the_program);
	tcase_add_test(x, memlens_killed_takes_the_program_with_it);
	tcase_add_test(x, crash_null_pointer);
	tcase_add_test(x, crash_use_after_free);
	tcase_add_test(x, crash_overrun_past_a_block);
	tcase_add_test(x, crash_stack_overflow);
	tcase_add_test(x, crash_division_by_zero);
	tcase_add_test(x, crash_abort);
	tcase_add_test(x, crash_bus_error);
	tcase_add_test(x, ten_million_allocations_nothing_dropped);
	tcase_add_test(x, ten_gigabyte_request_fails_inside_the_program);
	tcase_add_test(x, ptrace_refused_by_seccomp_is_explained);
	tcase_add_test(x, setuid_program_gets_a_note);
	tcase_add_test(x, aslr_off_unless_asked);
	tcase_add_test(x, deepest_stack_catches_recursion_that_allocates_nothing);
	tcase_add_test(x, already_traced_is_explained);
	tcase_add_test(x, trace_file_replays_to_the_same_log);
	tcase_add_test(x, missing_program_is_an_input_error);
	tcase_add_test(x, thirty_two_bit_program_gets_a_note);
	suite_add_tcase(s, p);
	suite_add_tcase(s, a);
	suite_add_tcase(s, x);
	return s;
}

int main(void)
{
	return tu_main(trace_suite());
}
