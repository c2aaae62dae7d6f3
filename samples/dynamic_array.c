/* Lesson: a growing array doubles its capacity with realloc, and realloc
 * may move the data to a new address.  memlens shows each realloc: the
 * block grows in place when the space after it is free, or a new block
 * appears, the contents are copied and the old block is freed. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	size_t len = 0, cap = 2;
	int *v = malloc(cap * sizeof(*v));
	void *volatile spacer;

	if (!v)
		return 1;
	for (int i = 0; i < 40; i++) {
		if (len == cap) {
			int *bigger = realloc(v, 2 * cap * sizeof(*v));
			if (!bigger) {
				free(v);
				return 1;
			}
			if (bigger != v)
				printf("moved %p -> %p at capacity %zu\n", (void *)v, (void *)bigger, 2 * cap);
			v = bigger;
			cap *= 2;
			spacer = malloc(8);   /* something after the block, so it must move */
			(void)spacer;
		}
		v[len++] = i;
	}
	printf("%zu items, capacity %zu, last %d\n", len, cap, v[len - 1]);
	free(v);
	return 0;
}
