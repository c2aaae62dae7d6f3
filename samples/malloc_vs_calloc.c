/* Lesson: malloc hands back memory as it finds it; calloc hands it back
 * zeroed.  memlens shows two blocks of the same size; the program prints
 * bytes 16-19 of each: calloc's are always 0, malloc's are whatever the
 * block held before (here a freed block is reused, so it is not zero). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	unsigned char *old = malloc(64);
	unsigned char *m, *c;

	if (!old)
		return 1;
	memset(old, 0xAB, 64);         /* leave a pattern behind */
	free(old);
	m = malloc(64);                /* may reuse the block: not zeroed */
	c = calloc(64, 1);             /* always zeroed */
	if (!m || !c)
		return 1;
	/* bytes 16.. : the first 16 of a freed block hold the allocator's
	 * own bookkeeping, the rest still hold the old pattern */
	printf("malloc: %02x %02x %02x %02x ...\n", m[16], m[17], m[18], m[19]);
	printf("calloc: %02x %02x %02x %02x ...\n", c[16], c[17], c[18], c[19]);
	free(m);
	free(c);
	return 0;
}
