/* Lesson: an array declared in a function lives on the stack and vanishes
 * when the function returns; memory from malloc lives on the heap until it
 * is freed.  memlens shows `arr` inside main's stack frame and the
 * 40-byte block from malloc(10 * sizeof(int)) in the heap, then the free. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	int arr[10];                                /* stack: 40 bytes in main's frame */
	int *heap = malloc(10 * sizeof(int));       /* heap: a 40-byte block */

	if (!heap)
		return 1;
	for (int i = 0; i < 10; i++) {
		arr[i] = i;
		heap[i] = i * i;
	}
	printf("arr at %p (stack), heap at %p (heap), %d %d\n",
	       (void *)arr, (void *)heap, arr[9], heap[9]);
	free(heap);
	return 0;
}
