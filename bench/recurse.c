/* recurse: the recursion benchmark's program.  R rounds (default 2000) of
 * a recursion 250 calls deep; each call mallocs a node on the way down and
 * frees it on the way up (2 events per call: 1M events by default), and
 * every frame holds a 256-byte array, so the stack goes ~80 KiB deep. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long down(int depth)
{
	volatile char frame[256];
	unsigned long *node = malloc(sizeof(*node) * 4);
	unsigned long r;

	frame[0] = (char)depth;
	node[0] = (unsigned long)depth;
	r = depth ? down(depth - 1) + node[0] + (unsigned long)frame[0] : 0;
	free(node);
	return r;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 2000;
	unsigned long sum = 0;

	for (long i = 0; i < rounds; i++)
		sum += down(249);
	printf("checksum %lu\n", sum);
	return 0;
}
