/* t_threads_static: a static binary (no shim: the tracer sees its calls
 * through breakpoints) whose 4 threads call malloc, calloc, realloc and
 * free from the same call sites at once, 2000 rounds each: 8000 of each
 * call from the workers.  Every call must be seen exactly once, with its
 * result: a breakpoint that is lifted while one thread steps over it, or a
 * return that one thread passes unseen, loses calls. */
#include <pthread.h>
#include <stdlib.h>

#define ROUNDS 2000

static void *work(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		char *volatile p = malloc(16 + (size_t)(i % 64));
		char *volatile q = calloc(2, 8);
		p[0] = 1;
		p = realloc(p, 200);
		q[0] = 2;
		free(q);
		free(p);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, work, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	return 0;
}
