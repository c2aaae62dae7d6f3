/* step_labels: at the third malloc (the 1-byte one), main's pointers point
 * at each kind of place a label names: a live heap block, a freed one, a
 * string literal, an initialised global (.data), a zeroed one (.bss), a
 * const global (.rodata), a local of main (stack), and NULL.  Exit 0. */
#include <stdlib.h>

int initialised = 7;
int zeroed;
const int answer = 42;

int main(void)
{
	int local = 1;
	char *heap = malloc(16);
	char *gone = malloc(64);
	free(gone);
	const char *lit = "hello, literal";
	int *pd = &initialised, *pb = &zeroed, *ps = &local;
	const int *pr = &answer;
	char *nul = NULL;
	void *probe = malloc(1);
	int ok = heap && lit[0] == 'h' && *pd == 7 && *pb == 0 && *pr == 42 && *ps == 1 && !nul;

	free(probe);
	free(heap);
	return ok ? 0 : 1;
}
