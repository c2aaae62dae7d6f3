/* t_exec: stage 1 makes 2 mallocs (never freed) and execs itself with
 * "stage2" (from the main thread, or with "thread" as argv[1], from a second
 * thread); stage 2 makes 3 malloc/free pairs and exits 7.  A tracer that
 * follows the exec reports an exec event, the 3 stage-2 mallocs after it,
 * and the exit status 7. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char **args;
static int nargs;

static void *exec_it(void *unused)
{
	(void)unused;
	execl("/proc/self/exe", args[0], "stage2", args[nargs - 1], (char *)NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	args = argv;
	nargs = argc;
	if (argc > 1 && strcmp(argv[1], "stage2") == 0) {
		for (int i = 0; i < 3; i++) {
			void *volatile p = malloc(24);
			free(p);
		}
		return 7;
	}
	void *volatile a = malloc(11), *volatile b = malloc(13);
	(void)a, (void)b;
	if (argc > 2 && strcmp(argv[1], "thread") == 0) {
		pthread_t t;
		pthread_create(&t, NULL, exec_it, NULL);
		pthread_join(t, NULL); /* never returns: the exec replaces us */
		return 1;
	}
	exec_it(NULL);
	return 1;
}
