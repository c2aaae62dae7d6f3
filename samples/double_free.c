/* Lesson: freeing the same block twice is a bug that corrupts the heap.
 * glibc notices and aborts ("free(): double free detected in tcache 2");
 * memlens's teaching allocator reports it instead, naming both calls to
 * free and the malloc that made the block. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	int *volatile p = malloc(sizeof(int));

	if (!p)
		return 1;
	*p = 7;
	printf("value %d\n", *p);
	free(p);
	free(p);                   /* the bug: the second free of the same block */
	printf("still running\n");
	return 0;
}
