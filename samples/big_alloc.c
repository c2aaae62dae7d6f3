/* Lesson: small requests come from the heap (the program break moves up);
 * a large one (above the mmap threshold, 128 KiB by default) gets a mapping
 * of its own, far from the heap, returned to the system on free.  memlens
 * shows a 100-byte block in [heap] and a 1 MiB block in its own mmap region. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	char *small = malloc(100);
	char *large = malloc(1 << 20);     /* 1 MiB: served by mmap */

	if (!small || !large)
		return 1;
	memset(small, 1, 100);
	memset(large, 2, 1 << 20);
	printf("small at %p, large at %p\n", (void *)small, (void *)large);
	free(large);                       /* the mapping goes away */
	free(small);
	return 0;
}
