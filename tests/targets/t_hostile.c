/* t_hostile MODE: a program that makes tracing hard, then makes 4 mallocs
 * and 4 frees (and exits 0).  MODE "closefds" closes every fd first (the
 * ring must survive); "clearenv" calls clearenv() first; "blocksig" blocks
 * every signal first; "sigtrap" installs its own SIGTRAP handler and
 * raises SIGTRAP twice (raise and int3): the handler must run twice, or
 * the program exits 3.  A tracer must report exactly 4 mallocs, 4 frees.
 * MODE "clearenv-exec" calls clearenv() and execs itself (MODE "plain"):
 * the new image runs without LD_PRELOAD, so a tracer sees none of its calls
 * and should say why. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int traps;

static void on_trap(int sig)
{
	(void)sig;
	traps++;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "closefds") == 0) {
		for (int fd = 0; fd < 1024; fd++)
			close(fd);
	} else if (strcmp(mode, "clearenv") == 0) {
		clearenv();
	} else if (strcmp(mode, "clearenv-exec") == 0) {
		clearenv();
		execl("/proc/self/exe", "t_hostile", "plain", (char *)NULL);
		return 4;
	} else if (strcmp(mode, "blocksig") == 0) {
		sigset_t all;
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL);
	} else if (strcmp(mode, "sigtrap") == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_trap;
		sigaction(SIGTRAP, &sa, NULL);
		raise(SIGTRAP);
		__asm__ volatile("int3");
		if (traps != 2)
			return 3;
	}
	for (int i = 0; i < 4; i++) {
		char *volatile p = malloc(100 + (size_t)i);
		p[0] = 'x';
		free(p);
	}
	return 0;
}
