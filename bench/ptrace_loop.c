/* ptrace_loop N: the floor for step mode.  A child executes N int3
 * instructions; the tracer (this process) waits for each SIGTRAP stop and
 * continues it, both pinned to one CPU.  Prints the cost per stop in ns. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	cpu_set_t one;
	struct timespec t0, t1;
	int st;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	pid_t pid = fork();
	if (pid == 0) {
		raise(SIGSTOP);
		for (long i = 0; i < n; i++)
			__asm__ volatile("int3");
		_exit(0);
	}
	waitpid(pid, &st, WUNTRACED);
	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_EXITKILL) != 0) {
		perror("ptrace");
		return 1;
	}
	kill(pid, SIGCONT);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long stops = 0;
	for (;;) {
		if (waitpid(pid, &st, __WALL) < 0 || WIFEXITED(st) || WIFSIGNALED(st))
			break;
		if (WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP && (st >> 16) == 0)
			stops++;
		ptrace(PTRACE_CONT, pid, 0, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	printf("%ld %.0f\n", stops, stops ? ns / (double)stops : 0.0);
	return 0;
}
