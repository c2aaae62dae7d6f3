/* ptrace_harness: a minimal ptrace harness for tests/check_dbg.c: start a
 * target stopped at its exec (ASLR off, as memlens and gdb run it), set
 * int3 breakpoints, run to one, read registers, always kill the target.
 * The tracer proper lives in src/trace/. */
#ifndef MEMLENS_TEST_PTRACE_HARNESS_H
#define MEMLENS_TEST_PTRACE_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define TH_MAXBP 16

struct th {
	pid_t pid;
	int nbp;
	uint64_t bp_addr[TH_MAXBP];
	long bp_orig[TH_MAXBP];
};

/* The memory reader handed to dbg (the tracer's door, in miniature). */
static int th_read(void *ctx, uint64_t addr, void *buf, size_t n)
{
	struct th *t = ctx;
	struct iovec l = { buf, n }, r = { (void *)(uintptr_t)addr, n };
	return process_vm_readv(t->pid, &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -1;
}

/* Starts argv stopped at its exec, output to /dev/null, killed with us. */
static int th_start(struct th *t, char *const argv[])
{
	int st;

	memset(t, 0, sizeof(*t));
	fflush(NULL);
	t->pid = fork();
	if (t->pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		personality(ADDR_NO_RANDOMIZE);
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	if (t->pid < 0 || waitpid(t->pid, &st, 0) != t->pid || !WIFSTOPPED(st))
		return -1;
	ptrace(PTRACE_SETOPTIONS, t->pid, 0, PTRACE_O_EXITKILL);
	return 0;
}

static long th_peek(struct th *t, uint64_t addr)
{
	return ptrace(PTRACE_PEEKTEXT, t->pid, addr, 0);
}

/* Writes one byte of text (int3 or the original), keeping its neighbours:
 * another breakpoint may share the word. */
static int th_poke_byte(struct th *t, uint64_t addr, long byte)
{
	long w = ptrace(PTRACE_PEEKTEXT, t->pid, addr, 0);
	return (int)ptrace(PTRACE_POKETEXT, t->pid, addr, (w & ~0xffL) | (byte & 0xff));
}

static int th_arm(struct th *t, int i)
{
	return th_poke_byte(t, t->bp_addr[i], 0xcc);
}

/* Sets a breakpoint; returns its index or -1. */
static int th_break(struct th *t, uint64_t addr)
{
	errno = 0;
	long w = th_peek(t, addr);
	if (errno || t->nbp == TH_MAXBP || addr == 0)
		return -1;
	t->bp_addr[t->nbp] = addr;
	t->bp_orig[t->nbp] = w;
	return th_arm(t, t->nbp++) == 0 ? t->nbp - 1 : -1;
}

/* Continues to the next breakpoint and leaves the thread at its address
 * with the original byte back.  Returns the breakpoint's index, or -1 when
 * the target ended or stopped for another reason.  Call th_rearm before
 * continuing when the breakpoint must stay. */
static int th_cont(struct th *t, struct user_regs_struct *regs)
{
	int st;

	if (ptrace(PTRACE_CONT, t->pid, 0, 0) != 0 || waitpid(t->pid, &st, 0) != t->pid)
		return -1;
	if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP)
		return -1;
	ptrace(PTRACE_GETREGS, t->pid, 0, regs);
	for (int i = t->nbp - 1; i >= 0; i--) /* the latest of equal ones */
		if (t->bp_addr[i] == regs->rip - 1) {
			regs->rip--;
			ptrace(PTRACE_SETREGS, t->pid, 0, regs);
			th_poke_byte(t, t->bp_addr[i], t->bp_orig[i]);
			return i;
		}
	return -1;
}

/* Continues until a signal other than SIGTRAP stops the target; returns
 * the signal (registers in *regs), or -1 when it ended first. */
static int th_cont_to_signal(struct th *t, struct user_regs_struct *regs)
{
	int st;

	for (;;) {
		if (ptrace(PTRACE_CONT, t->pid, 0, 0) != 0 ||
		    waitpid(t->pid, &st, 0) != t->pid || !WIFSTOPPED(st))
			return -1;
		if (WSTOPSIG(st) != SIGTRAP) {
			ptrace(PTRACE_GETREGS, t->pid, 0, regs);
			return WSTOPSIG(st);
		}
	}
}

/* Steps over the instruction at breakpoint i and arms it again. */
static int th_rearm(struct th *t, int i)
{
	int st;

	if (ptrace(PTRACE_SINGLESTEP, t->pid, 0, 0) != 0 ||
	    waitpid(t->pid, &st, 0) != t->pid || !WIFSTOPPED(st))
		return -1;
	return th_arm(t, i);
}

static void th_kill(struct th *t)
{
	int st;

	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		/* A traced leader is reaped only after its traced threads. */
		for (pid_t w; (w = waitpid(-1, &st, __WALL)) > 0;)
			if (w == t->pid && (WIFEXITED(st) || WIFSIGNALED(st)))
				break;
		t->pid = 0;
	}
}

#endif
