/* t_fork: the parent makes 3 mallocs (freed), forks a child that makes 50
 * mallocs and exits, vforks a child that execs /bin/true, and waits for
 * both.  Children run untraced and silent: a tracer must report exactly 3
 * mallocs and 3 frees, and the exit status 0 (2 or 1 when a child died).
 * With the argument "vfork-alloc" the vfork child mallocs 100 bytes
 * before its exec: in the parent's memory, so the parent's leak. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	void *volatile p[3];
	int st, vfork_alloc = argc > 1 && strcmp(argv[1], "vfork-alloc") == 0;

	for (int i = 0; i < 3; i++)
		p[i] = malloc(32);
	pid_t c = fork();
	if (c == 0) {
		for (int i = 0; i < 50; i++) {
			void *volatile q = malloc(8);
			(void)q;
		}
		_exit(0);
	}
	waitpid(c, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return 2; /* the child died (of a stray breakpoint?) */
	pid_t v = vfork();
	if (v == 0) {
		if (vfork_alloc) { /* not allowed by POSIX, done by real programs */
			void *volatile q = malloc(100);
			(void)q;
		}
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	waitpid(v, &st, 0);
	for (int i = 0; i < 3; i++)
		free(p[i]);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
