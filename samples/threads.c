/* Lesson: threads share one heap, but each has a stack of its own.
 * memlens shows two threads each allocating four blocks (every event
 * tagged with its thread), and each thread's stack as its own mapping. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *worker(void *arg)
{
	int id = *(int *)arg;
	int *volatile blocks[4];
	long sum = 0;

	for (int i = 0; i < 4; i++) {
		blocks[i] = malloc((size_t)(id + 1) * 32);
		blocks[i][0] = id * 100 + i;
	}
	for (int i = 0; i < 4; i++) {
		sum += blocks[i][0];
		free(blocks[i]);
	}
	return (void *)sum;
}

int main(void)
{
	pthread_t t[2];
	int ids[2] = { 0, 1 };
	void *res[2];

	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, worker, &ids[i]) != 0)
			return 1;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], &res[i]);
	printf("sums %ld %ld\n", (long)res[0], (long)res[1]);
	return 0;
}
