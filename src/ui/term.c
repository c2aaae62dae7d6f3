/* term: saving and restoring the terminal on every way out. */
#include "ui/term.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;
static int tty_fd = -1;
static int wake[2] = { -1, -1 };
static volatile sig_atomic_t caught;
static volatile pid_t target;
static char reset[256];
static size_t reset_len;
static bool opened;

static const int stop_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static const int crash_sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void on_stop(int sig)
{
	int saved_errno = errno;

	if (!caught)
		caught = sig;
	if (wake[1] >= 0 && write(wake[1], "s", 1) < 0) {
		/* the pipe is full: the flag is enough */
	}
	errno = saved_errno;
}

/* Async-signal-safe only: tcsetattr, write, kill, signal, raise. */
static void on_crash(int sig)
{
	if (tty_fd >= 0) {
		if (reset_len && write(tty_fd, reset, reset_len) < 0) {
			/* nothing more can be done from here */
		}
		tcsetattr(tty_fd, TCSANOW, &saved);
	}
	if (target > 0)
		kill(target, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void at_exit(void)
{
	term_close();
}

int term_open(int fd, struct err *e)
{
	struct sigaction sa;
	static bool registered;

	if (!isatty(fd) || tcgetattr(fd, &saved) != 0)
		return err_set(e, ERR_INPUT, "the screen needs a terminal; without one, use "
			       "'memlens replay --text FILE' or 'memlens trace PROGRAM'");
	if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0)
		return err_errno(e, ERR_INTERNAL, errno, "pipe");
	tty_fd = fd;
	caught = 0;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	for (size_t i = 0; i < N(stop_sigs); i++)
		sigaction(stop_sigs[i], &sa, NULL);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < N(crash_sigs); i++)
		sigaction(crash_sigs[i], &sa, NULL);
	if (!registered) {
		atexit(at_exit);
		registered = true;
	}
	opened = true;
	return 0;
}

static void add_reset(const char *cap)
{
	char *s = tigetstr((char *)cap);
	size_t n;

	if (!s || s == (char *)-1)
		return;
	n = strlen(s);
	if (reset_len + n < sizeof(reset)) {
		memcpy(reset + reset_len, s, n);
		reset_len += n;
	}
}

void term_record_reset(void)
{
	static const char mouse_off[] = "\033[?1000l\033[?1002l\033[?1006l";

	reset_len = 0;
	add_reset("sgr0");
	add_reset("cnorm");
	add_reset("rmkx");
	add_reset("rmcup");
	if (reset_len + sizeof(mouse_off) < sizeof(reset)) {
		memcpy(reset + reset_len, mouse_off, sizeof(mouse_off) - 1);
		reset_len += sizeof(mouse_off) - 1;
	}
}

void term_set_target(pid_t pid)
{
	target = pid;
}

void term_close(void)
{
	if (!opened)
		return;
	opened = false;
	if (!isendwin())
		endwin();
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSADRAIN, &saved);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	for (size_t i = 0; i < N(crash_sigs); i++)
		signal(crash_sigs[i], SIG_DFL);
	close(wake[0]);
	close(wake[1]);
	wake[0] = wake[1] = -1;
	tty_fd = -1;
	target = 0;
}

int term_signal(void)
{
	return caught;
}

int term_wake_fd(void)
{
	return wake[0];
}
