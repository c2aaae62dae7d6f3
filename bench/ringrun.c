/* ringrun: runs a command with libmemlens-shim.so preloaded and a live
 * event ring that this process drains, as memlens does in run mode:
 * the command on CPU 0, the reader on CPU 1 (when there are two).
 * Usage: ringrun SHIM_PATH CMD [ARGS...]; prints the record count and
 * its own (the reader's) CPU time to stderr; exits with the command's
 * status.  RINGRUN_BYTES=1 asks the shim for block contents at free
 * (RING_MODE_BYTES, as `trace --bytes`). */
#include <sched.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ring/ring.h"

static int count(const struct ring_record *rec, void *arg)
{
	(void)rec;
	++*(unsigned long *)arg;
	return 0;
}

static void pin(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(pid, sizeof(set), &set);
}

int main(int argc, char **argv)
{
	struct err e = { 0 };
	struct ring *r;
	unsigned long n = 0;
	char env[64];
	int sync[2], st = 0, two = sysconf(_SC_NPROCESSORS_ONLN) > 1;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: ringrun SHIM CMD [ARGS...]\n");
		return 2;
	}
	r = ring_create(getenv("RINGRUN_SLOTS") ? strtoul(getenv("RINGRUN_SLOTS"), NULL, 0) : 0, &e);
	if (!r || pipe(sync) != 0) {
		fprintf(stderr, "ringrun: %s\n", e.msg);
		return 2;
	}
	pid = fork();
	if (pid == 0) {
		char c;
		close(sync[1]);
		if (read(sync[0], &c, 1) != 1)
			_exit(126);
		putenv(ring_env(r, env, sizeof(env)));
		setenv("LD_PRELOAD", argv[1], 1);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	ring_set_pid(r, pid);
	ring_set_bytes(r, getenv("RINGRUN_BYTES") && *getenv("RINGRUN_BYTES") == '1');
	/* as memlens's run mode does (trace/spawn.c: left to the scheduler,
	 * the woken reader was pulled onto the program's CPU);
	 * RINGRUN_NOPIN=1 leaves them to it */
	if (two && !getenv("RINGRUN_NOPIN")) {
		pin(pid, 0);
		pin(0, 1);
	}
	close(sync[0]);
	if (write(sync[1], "g", 1) != 1)
		return 2;
	close(sync[1]);
	/* Drain in batches and sleep on the ring in between, as memlens's
	 * run mode does: the shim wakes the reader every RING_WAKE_EVERY
	 * records and when the ring is full, so spinning takes no CPU from
	 * the program and a full ring never waits for a sleeping reader. */
	for (;;) {
		if (ring_drain(r, 0, count, &n) >= RING_WAKE_EVERY / 4)
			continue;
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		ring_wait(r, 200000);
	}
	ring_drain(r, 0, count, &n);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr, "records %lu\nreader_cpu_ms %.1f\n", n,
		(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3);
	ring_free(r);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
