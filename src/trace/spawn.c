/* spawn: starting the program: finding it and the shim, deciding what
 * can be seen of it (shim, breakpoints, a note), fork with ASLR off and a
 * SIGSTOP before exec, PTRACE_SEIZE (or the reason it was refused), CPU
 * pinning, and the wait for its first exec. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf/elfmap.h"
#include "trace/trace_int.h"

#ifndef __WALL
#define __WALL 0x40000000
#endif

/* ---- finding things -------------------------------------------------- */

int trace_find_program(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	struct stat st;

	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return access(out, F_OK) == 0 ? 0 : -1;
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");
		if (snprintf(out, len, "%.*s/%s", (int)(n ? n : 1), n ? p : ".", name) < (int)len &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
		p += n;
		if (*p == ':')
			p++;
	}
	return -1;
}

/* libmemlens-shim.so: $MEMLENS_SHIM, else beside the memlens binary (or
 * one folder up, for build trees), else in ../lib/memlens/ relative to the
 * binary's folder (an installed tree), else the configured MEMLENS_LIBDIR. */
int trace_find_shim(char *out, size_t len)
{
	const char *env = getenv("MEMLENS_SHIM");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		if (env[0] == '/') {
			snprintf(out, len, "%s", env);
		} else {
			char cwd[PATH_MAX];
			if (!getcwd(cwd, sizeof(cwd)))
				return -1;
			if (snprintf(out, len, "%s/%s", cwd, env) >= (int)len)
				return -1;
		}
		return access(out, R_OK) == 0 ? 0 : -1;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		for (int up = 0; up < 2; up++) {
			char *slash = strrchr(self, '/');
			if (!slash)
				break;
			*slash = '\0';
			if (snprintf(out, len, "%s/libmemlens-shim.so", self) < (int)len &&
			    access(out, R_OK) == 0)
				return 0;
			/* PREFIX/bin/memlens finds PREFIX/lib/memlens/, wherever
			 * the tree was installed or copied (DESTDIR staging). */
			if (up == 1 &&
			    snprintf(out, len, "%s/lib/memlens/libmemlens-shim.so", self) < (int)len &&
			    access(out, R_OK) == 0)
				return 0;
		}
	}
#ifdef MEMLENS_LIBDIR
	snprintf(out, len, "%s/libmemlens-shim.so", MEMLENS_LIBDIR);
	if (access(out, R_OK) == 0)
		return 0;
#endif
	return -1;
}

/* ---- start ----------------------------------------------------------- */

/* Pins thread `pid` (0: the caller) to `cpu`; nothing on one CPU. */
static void pin(pid_t pid, int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || cpu < 0 || cpu >= CPU_SETSIZE)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(pid, sizeof(set), &set);
}

/* Run mode: the tracer on the CPU it runs on, the program on every other
 * CPU memlens may use.  Left to the scheduler, each futex wake-up from the
 * program pulled the tracer onto the program's CPU: on an idle 2-CPU
 * machine the tracer ran 150 of its 157 ms there (perf sched timehist),
 * the two took turns on one CPU while the other idled, and `trace -q`
 * took 2.2x native instead of 1.4x.  Nothing when memlens may use one CPU
 * only (taskset): then they share it. */
static void split_cpus(struct trace *t, pid_t pid)
{
	cpu_set_t prog;
	int cpu = sched_getcpu();

	if (cpu < 0 || cpu >= CPU_SETSIZE ||
	    sched_getaffinity(0, sizeof(t->affinity), &t->affinity) != 0 ||
	    CPU_COUNT(&t->affinity) < 2 || !CPU_ISSET(cpu, &t->affinity))
		return;
	prog = t->affinity;
	CPU_CLR(cpu, &prog);
	t->pinned = true;
	t->tracer_cpu = cpu;
	pin(0, cpu);
	sched_setaffinity(pid, sizeof(prog), &prog);
}

void trace_kill_and_reap(pid_t pid)
{
	int st;
	pid_t w;

	kill(pid, SIGKILL);
	while ((w = waitpid(-1, &st, __WALL)) > 0 || errno == EINTR)
		if (w > 0 && WIFSTOPPED(st)) /* the PTRACE_EVENT_EXIT stop */
			ptrace(PTRACE_CONT, w, 0, 0);
}

/* Decides what can be seen of the program from its file: the shim is
 * preloaded into dynamic 64-bit programs without set-id bits; static ones
 * get breakpoints; 32-bit and set-id programs a note. */
void trace_plan(struct trace *t)
{
	struct elfmap *em;
	struct err ee = { 0 };
	struct stat st;

	t->shim_wanted = true;
	em = elfmap_open(t->path, &ee);
	if (!em)
		return; /* a script: its interpreter gets the shim */
	const struct elfmap_facts *f = elfmap_facts(em);
	if (f->elfclass == 32) {
		t->shim_wanted = false;
		trace_note(t, "%s is a 32-bit program: the shim (64-bit) cannot be loaded "
			   "into it, so its allocations are not seen; regions, stack, signals "
			   "and exit are still shown", t->path);
	} else if (!f->interp) {
		t->shim_wanted = false;
		t->is_static = true;
		if (f->stripped)
			trace_note(t, "%s is a stripped static binary: LD_PRELOAD does not apply "
				   "and there are no symbols for breakpoints, so its allocations "
				   "cannot be seen; regions, stack, signals and exit are still shown", t->path);
		else
			trace_note(t, "%s is a static binary: allocations are seen through "
				   "breakpoints on malloc, free and the rest (slower, one stop per call)",
				   t->path);
	} else if (stat(t->path, &st) == 0 &&
		   (((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
		    ((st.st_mode & S_ISGID) && st.st_gid != getegid()))) {
		t->shim_wanted = false;
		trace_note(t, "%s is set-user-ID or set-group-ID: the loader ignores "
			   "LD_PRELOAD for it, so its allocations are not seen", t->path);
	}
	elfmap_close(em);
}

static void child(struct trace *t, const char *shim, int errfd)
{
	char buf[PATH_MAX + 64];
	const char *old = getenv("LD_PRELOAD");

	if (!t->o.aslr)
		personality(ADDR_NO_RANDOMIZE);
	if (t->ring) {
		if (old && *old)
			snprintf(buf, sizeof(buf), "%s:%s", shim, old);
		else
			snprintf(buf, sizeof(buf), "%s", shim);
		setenv("LD_PRELOAD", buf, 1);
		snprintf(buf, sizeof(buf), "%d", ring_fd(t->ring));
		setenv(RING_ENV_FD, buf, 1);
		setenv(RING_ENV_ALLOC, t->o.alloc == TRACE_ALLOC_LIBC ? "libc" : "teach", 1);
	}
	raise(SIGSTOP);
	execv(t->path, t->argv);
	int err = errno;
	if (write(errfd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

int trace_start_child(struct trace *t, const char *shim, struct err *e)
{
	int pfd[2], st, err = 0;
	long opts = TRACE_PTRACE_OPTS;
	pid_t pid;

	/* static binaries carry our breakpoints into forked children */
	if (t->is_static)
		opts |= TRACE_PTRACE_FORK_OPTS;
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return err_errno(e, ERR_INTERNAL, errno, "pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return err_errno(e, ERR_INTERNAL, errno, "fork");
	}
	if (pid == 0) {
		close(pfd[0]);
		child(t, shim, pfd[1]);
	}
	close(pfd[1]);
	t->pid = pid;
	while (waitpid(pid, &st, WUNTRACED) < 0 && errno == EINTR)
		;
	if (!WIFSTOPPED(st)) {
		close(pfd[0]);
		return err_set(e, ERR_INTERNAL, "the program's process ended before it started");
	}
	if (ptrace(PTRACE_SEIZE, pid, 0, opts) != 0) {
		trace_explain_refusal(pid, errno, e);
		close(pfd[0]);
		trace_kill_and_reap(pid);
		t->pid = 0;
		return -1;
	}
	if (t->ring)
		ring_set_pid(t->ring, pid);
	/* step mode: tracer and program on one CPU (a stop costs a fifth of a
	 * cross-CPU one); run mode: on different CPUs (split_cpus) */
	if (t->o.step) {
		int cpu = sched_getcpu(); /* one memlens may run on */
		t->pinned = sched_getaffinity(0, sizeof(t->affinity), &t->affinity) == 0;
		pin(0, cpu);
		pin(pid, cpu);
	} else {
		split_cpus(t, pid);
	}
	kill(pid, SIGCONT);
	for (;;) {
		if (waitpid(pid, &st, __WALL) < 0) {
			if (errno == EINTR && !trace_interrupted())
				continue;
			close(pfd[0]);
			trace_kill_and_reap(pid);
			t->pid = 0;
			return err_set(e, ERR_INPUT, "interrupted while starting the program");
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (read(pfd[0], &err, sizeof(err)) != sizeof(err))
				err = 0;
			close(pfd[0]);
			t->pid = 0;
			if (err)
				return err_errno(e, ERR_INPUT, err, "%s", t->path);
			return err_set(e, ERR_INPUT, "%s: the program ended before it started", t->path);
		}
		if ((st >> 16) == PTRACE_EVENT_EXEC)
			break;
		/* our SIGCONT, the group-stop reports: none reach the program */
		ptrace(PTRACE_CONT, pid, 0, 0);
	}
	close(pfd[0]);
	trace_thread_get(t, pid, true);
	return 0;
}
