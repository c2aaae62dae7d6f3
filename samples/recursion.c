/* Lesson: every call gets a stack frame of its own, below its caller's.
 * memlens shows factorial(5) push five frames (each with its own `n`) and
 * pop them as the results come back; then depth(1..40) push frames that each
 * hold a 256-byte local array, so the stack grows by about 300 bytes a call. */
#include <stdio.h>
#include <string.h>

long factorial(int n)
{
	if (n <= 1)
		return 1;
	return n * factorial(n - 1);
}

int depth(int level, int max)
{
	char scratch[256];     /* a local array in every frame */

	memset(scratch, level, sizeof(scratch));
	if (level == max)
		return scratch[0];
	return scratch[level % 256] + depth(level + 1, max);
}

int main(void)
{
	printf("5! = %ld\n", factorial(5));
	printf("depth sum = %d\n", depth(1, 40));
	return 0;
}
