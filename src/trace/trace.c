/* trace: starting the program under ptrace (fork, ASLR off, SIGSTOP, seize,
 * exec), the event queue between the stop handlers and the model, the
 * thread table, notes, and tearing everything down without leaving the
 * program behind. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
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

void trace_note(struct trace *t, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (t->nnotes >= sizeof(t->notes) / sizeof(t->notes[0]))
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s)
		t->notes[t->nnotes++] = s;
}

const char *const *trace_notes(const struct trace *t, size_t *n)
{
	*n = t->nnotes;
	return (const char *const *)t->notes;
}

/* Queues an event; the loops apply queued events to the model in order. */
int trace_emit(struct trace *t, const struct model_event *ev, struct err *e)
{
	if (t->direct && !t->qlen) {
		/* run mode: straight into the model, no copy through the queue */
		if (model_apply(t->m, ev, e) != 0)
			return -1;
		if (t->o.on_event)
			t->o.on_event(t->o.ctx, t->m, ev);
		return 0;
	}
	if (t->qlen == t->qcap) {
		size_t nc = t->qcap ? t->qcap * 2 : 1024;
		struct model_event *nq = malloc(nc * sizeof(*nq));
		if (!nq)
			return err_errno(e, ERR_INTERNAL, ENOMEM, "event queue");
		for (size_t i = 0; i < t->qlen; i++)
			nq[i] = t->q[(t->qhead + i) % (t->qcap ? t->qcap : 1)];
		free(t->q);
		t->q = nq;
		t->qhead = 0;
		t->qcap = nc;
	}
	t->q[(t->qhead + t->qlen) % t->qcap] = *ev;
	t->qlen++;
	return 0;
}

struct trace_thread *trace_thread_get(struct trace *t, pid_t tid, bool add)
{
	for (size_t i = 0; i < t->nthr; i++)
		if (t->thr[i].tid == tid)
			return &t->thr[i];
	if (!add)
		return NULL;
	if (t->nthr == t->capthr) {
		size_t nc = t->capthr ? t->capthr * 2 : 16;
		struct trace_thread *n = realloc(t->thr, nc * sizeof(*n));
		if (!n)
			return NULL;
		t->thr = n;
		t->capthr = nc;
	}
	memset(&t->thr[t->nthr], 0, sizeof(t->thr[0]));
	t->thr[t->nthr].tid = tid;
	return &t->thr[t->nthr++];
}

void trace_thread_del(struct trace *t, pid_t tid)
{
	for (size_t i = 0; i < t->nthr; i++)
		if (t->thr[i].tid == tid) {
			t->thr[i] = t->thr[--t->nthr];
			return;
		}
}

/* Bytes from the top of the main stack (the stack pointer at exec) down to
 * `sp`; 0 for other threads, whose stacks are regions of their own. */
uint64_t trace_stack_depth(const struct trace *t, pid_t tid, uint64_t sp)
{
	if (tid != t->pid || !t->stack_top || sp > t->stack_top ||
	    t->stack_top - sp > (UINT64_C(1) << 32))
		return 0;
	return t->stack_top - sp;
}

/* ---- finding things -------------------------------------------------- */

static int find_program(const char *name, char *out, size_t len)
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
 * one folder up, for build trees), else the installed MEMLENS_LIBDIR. */
static int find_shim(char *out, size_t len)
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
		}
	}
#ifdef MEMLENS_LIBDIR
	snprintf(out, len, "%s/libmemlens-shim.so", MEMLENS_LIBDIR);
	if (access(out, R_OK) == 0)
		return 0;
#endif
	return -1;
}

/* ---- interruption ---------------------------------------------------- */

static volatile sig_atomic_t g_sig;

static void on_signal(int sig)
{
	g_sig = sig;
}

void trace_install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: waitpid returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int trace_interrupted(void)
{
	return g_sig;
}

/* ---- start ----------------------------------------------------------- */

static void pin(pid_t pid, int cpu, bool all_but)
{
	cpu_set_t set;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (ncpu < 2 || cpu < 0)
		return;
	CPU_ZERO(&set);
	for (long c = 0; c < ncpu && c < CPU_SETSIZE; c++)
		if (all_but ? c != cpu : c == cpu)
			CPU_SET(c, &set);
	sched_setaffinity(pid, sizeof(set), &set);
}

static void kill_and_reap(pid_t pid)
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
static void plan(struct trace *t)
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

static int start_child(struct trace *t, const char *shim, struct err *e)
{
	int pfd[2], st, err = 0;
	long opts = PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC | PTRACE_O_TRACECLONE |
		    PTRACE_O_TRACEEXIT;
	pid_t pid;

	/* static binaries carry our breakpoints into forked children */
	if (t->is_static)
		opts |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;
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
		kill_and_reap(pid);
		t->pid = 0;
		return -1;
	}
	if (t->ring)
		ring_set_pid(t->ring, pid);
	/* tracer and program: one CPU in step mode, different ones in run mode */
	pin(0, 0, false);
	pin(pid, 0, !t->o.step);
	kill(pid, SIGCONT);
	for (;;) {
		if (waitpid(pid, &st, __WALL) < 0) {
			if (errno == EINTR && !g_sig)
				continue;
			close(pfd[0]);
			kill_and_reap(pid);
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

struct trace *trace_start(const struct trace_opts *o, struct model *m, struct err *e)
{
	struct trace *t = calloc(1, sizeof(*t));
	char shim[PATH_MAX] = "";
	size_t argc = 0;

	if (!t) {
		err_errno(e, ERR_INTERNAL, ENOMEM, "trace");
		return NULL;
	}
	t->o = *o;
	t->m = m;
	t->memfd = -1;
	while (o->argv[argc])
		argc++;
	t->argv = calloc(argc + 1, sizeof(char *));
	if (!t->argv)
		goto nomem;
	for (size_t i = 0; i < argc; i++)
		if (!(t->argv[i] = strdup(o->argv[i])))
			goto nomem;
	if (argc == 0 || find_program(o->argv[0], t->path, sizeof(t->path)) != 0) {
		err_set(e, ERR_INPUT, "%s: no such program", argc ? o->argv[0] : "(none)");
		goto fail;
	}
	plan(t);
	if (t->shim_wanted) {
		if (o->shim)
			snprintf(shim, sizeof(shim), "%s", o->shim);
		else if (find_shim(shim, sizeof(shim)) != 0) {
			err_set(e, ERR_INTERNAL, "cannot find libmemlens-shim.so beside memlens "
				"or in %s; set MEMLENS_SHIM to its path", MEMLENS_LIBDIR);
			goto fail;
		}
		t->ring = ring_create(0, e);
		if (!t->ring)
			goto fail;
		ring_set_step(t->ring, o->step);
	}
	if (start_child(t, shim, e) != 0)
		goto fail;
	if (t->ring)
		ring_close_fd(t->ring); /* the child has its copy */
	if (trace_handle_exec(t, t->pid, e) != 0)
		goto fail;
	t->thr[0].held = true; /* stopped at exec until the first run or step */
	return t;
nomem:
	err_errno(e, ERR_INTERNAL, ENOMEM, "trace");
fail:
	trace_free(t);
	return NULL;
}

bool trace_ended(const struct trace *t)
{
	return t->ended;
}

int trace_regs(struct trace *t, pid_t tid, struct user_regs_struct *regs)
{
	struct trace_thread *th = trace_thread_get(t, tid ? tid : t->pid, false);

	if (!th || !th->held)
		return -1; /* only a thread we hold stopped has registers to read */
	return ptrace(PTRACE_GETREGS, th->tid, 0, regs) == 0 ? 0 : -1;
}

int trace_exit_status(const struct trace *t)
{
	return t->status;
}

pid_t trace_pid(const struct trace *t)
{
	return t->pid;
}

const struct elfmap *trace_elf(const struct trace *t)
{
	return t->elf;
}

void trace_free(struct trace *t)
{
	if (!t)
		return;
	if (t->pid > 0 && !t->ended)
		kill_and_reap(t->pid);
	if (t->memfd >= 0)
		close(t->memfd);
	trace_dbg_close(t);
	trace_libs_reset(t);
	ring_free(t->ring);
	elfmap_close(t->elf);
	for (size_t i = 0; t->argv && t->argv[i]; i++)
		free(t->argv[i]);
	free(t->argv);
	for (size_t i = 0; i < t->nnotes; i++)
		free(t->notes[i]);
	free(t->thr);
	free(t->bp);
	free(t->q);
	free(t->regs);
	free(t->big);
	free(t->site_key);
	free(t->site_val);
	free(t);
}
