/* Lesson: freeing every other block leaves holes that are too small for a
 * bigger request, so the heap grows even though half of it is free.
 * memlens shows eight 64-byte blocks, every other one freed (free space in
 * four separate holes), then a 200-byte request served from new space. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	char *volatile block[8];
	char *big;

	for (int i = 0; i < 8; i++)
		block[i] = malloc(64);
	for (int i = 0; i < 8; i += 2) {
		free(block[i]);        /* four holes of 64 bytes each */
		block[i] = NULL;
	}
	big = malloc(200);             /* fits in none of the holes */
	printf("big block at %p, after the last small one at %p\n",
	       (void *)big, (void *)block[7]);
	free(big);
	for (int i = 1; i < 8; i += 2)
		free(block[i]);
	return 0;
}
