/* t_fork: the parent makes 3 mallocs (freed), forks a child that makes 50
 * mallocs and exits, vforks a child that execs /bin/true, and waits for
 * both.  Children run untraced and silent: a tracer must report exactly 3
 * mallocs and 3 frees, and the exit status 0 (2 or 1 when a child died). */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	void *volatile p[3];
	int st;

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
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	waitpid(v, &st, 0);
	for (int i = 0; i < 3; i++)
		free(p[i]);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
