/* t_threads: 4 long threads each make 1000 malloc/free pairs, then 200
 * short-lived threads (at most 8 alive at once) make 5 pairs each.  A
 * tracer must report malloc >= 5000 and free >= 5000 from the program's own
 * calls (threads' own start-up allocations come on top), from at least 5
 * distinct thread ids, and no leak from the workers. */
#include <pthread.h>
#include <stdlib.h>

static void *work(void *arg)
{
	long n = (long)arg;
	for (long i = 0; i < n; i++) {
		char *volatile p = malloc(16 + (size_t)(i % 64));
		p[0] = 1;
		free(p);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[8];

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, work, (void *)1000L);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int round = 0; round < 25; round++) {
		for (int i = 0; i < 8; i++)
			pthread_create(&t[i], NULL, work, (void *)5L);
		for (int i = 0; i < 8; i++)
			pthread_join(t[i], NULL);
	}
	return 0;
}
