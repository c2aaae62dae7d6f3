/* dbg_overflow: recurses until the stack runs out (SIGSEGV).  The test
 * unwinds the dead stack: every frame is dive(), and frame 0's `n` is the
 * depth. */
#include <stdio.h>

int dive(int n)
{
	volatile char pad[200];
	pad[0] = (char)n;
	return dive(n + 1) + pad[0];
}

int main(void)
{
	return dive(1);
}
