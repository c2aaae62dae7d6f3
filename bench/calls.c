/* calls: the --step=call benchmark's program.  R rounds (default 200) of a
 * recursion 250 calls deep that allocates nothing: a call stop and a
 * return stop per call, 100k stops by default. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static unsigned long down(int depth)
{
	volatile char frame[64];

	frame[0] = (char)depth;
	return depth ? down(depth - 1) + (unsigned long)frame[0] : 0;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 200;
	unsigned long sum = 0;

	for (long i = 0; i < rounds; i++)
		sum += down(249);
	printf("checksum %lu\n", sum);
	return 0;
}
