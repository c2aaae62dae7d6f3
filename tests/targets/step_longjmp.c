/* step_longjmp: deep(5) recurses six frames and longjmps back to main;
 * then main calls twice(21).  --step=call must still balance: the six
 * deep() frames return (at the next call), and twice() is at depth 2,
 * right under main.  Exit 42. */
#include <setjmp.h>

static jmp_buf jb;

void deep(int n)
{
	if (n == 0)
		longjmp(jb, 1);
	deep(n - 1);
}

int twice(int x)
{
	return x * 2;
}

int main(void)
{
	if (!setjmp(jb))
		deep(5);
	return twice(21);
}
