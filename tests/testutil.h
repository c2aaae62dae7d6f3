/* testutil: helpers shared by the Check runners: run a command with a
 * timeout and capture its exit status, stdout and stderr. */
#ifndef MEMLENS_TESTUTIL_H
#define MEMLENS_TESTUTIL_H

#include <check.h>
#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct run {
	int status;    /* exit status, or 128+signal, or -1 on timeout */
	char *out;     /* stdout, NUL-terminated (malloc'd) */
	char *err;     /* stderr */
	double secs;   /* wall time */
};

/* The memlens binary under test ($MEMLENS_BIN, else ./memlens). */
static inline const char *tu_memlens(void)
{
	const char *b = getenv("MEMLENS_BIN");
	return b && *b ? b : "./memlens";
}

static inline char *tu_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	n = (long)fread(buf, 1, (size_t)n, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Runs argv (NULL-terminated) with stdin from /dev/null and a timeout in
 * seconds; kills the whole process group on timeout. */
static inline struct run tu_run_argv(int timeout, char *const argv[])
{
	struct run r = { 0 };
	char outp[] = "/tmp/memlens-test-outXXXXXX", errp[] = "/tmp/memlens-test-errXXXXXX";
	int fo = mkstemp(outp), fe = mkstemp(errp), st = 0;
	struct timespec t0, t1;
	pid_t pid;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		setpgid(0, 0);
		dup2(in, 0);
		dup2(fo, 1);
		dup2(fe, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);
	for (int waited = 0;; waited++) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		if (waited >= timeout * 100) {
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			r.status = -1;
			goto done;
		}
		usleep(10000);
	}
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
done:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r.secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	close(fo);
	close(fe);
	r.out = tu_slurp(outp);
	r.err = tu_slurp(errp);
	unlink(outp);
	unlink(errp);
	return r;
}

/* Runs a shell command line; see tu_run_argv. */
static inline struct run tu_sh(int timeout, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	return tu_run_argv(timeout, argv);
}

/* True while a live (not zombie) process other than this one has
 * `marker` in its command line: targets carry a unique argument so a test
 * can tell that none of them outlived it. */
static inline bool tu_marker_alive(const char *marker)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		char p[300], buf[4096], st[512];
		if (de->d_name[0] < '0' || de->d_name[0] > '9' || atoi(de->d_name) == getpid())
			continue;
		snprintf(p, sizeof(p), "/proc/%s/cmdline", de->d_name);
		FILE *f = fopen(p, "r");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		for (size_t i = 0; i < n; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[n] = '\0';
		if (!strstr(buf, marker))
			continue;
		snprintf(p, sizeof(p), "/proc/%s/stat", de->d_name);
		f = fopen(p, "r");
		if (f && fgets(st, sizeof(st), f)) {
			char *c = strrchr(st, ')');
			if (c && c[2] != 'Z')
				found = true;
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

static inline void tu_run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* Waits up to 3 s for every process with `marker` to be gone; fails the
 * test if one is left. */
static inline void tu_assert_marker_gone(const char *marker)
{
	for (int i = 0; i < 300 && tu_marker_alive(marker); i++)
		usleep(10000);
	ck_assert_msg(!tu_marker_alive(marker), "a process of the target is still alive");
}

/* The shim's absolute path, for in-process traces (the runner is not
 * beside it); "" when it is not built. */
static inline const char *tu_shim_path(void)
{
	static char shim[PATH_MAX];

	if (!shim[0] && !realpath("libmemlens-shim.so", shim))
		shim[0] = '\0';
	return shim;
}

/* Runs a Check suite in fork mode and returns the process exit status. */
static inline int tu_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
