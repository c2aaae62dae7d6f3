/* t_bigheap: a 1 MiB block, freed, then another.  glibc gives the first a
 * mapping of its own; its free raises the mmap threshold, so the second
 * comes from [heap], past the end the maps showed before it.  A tracer in
 * step mode must show [heap] reaching the second block's end before the
 * program frees it. */
#include <stdlib.h>
#include <string.h>

int main(void)
{
	char *volatile p = malloc(1 << 20);

	if (!p)
		return 1;
	memset(p, 1, 1 << 20);
	free(p);
	p = malloc(1 << 20);
	if (!p)
		return 1;
	memset(p, 2, 1 << 20);
	free(p);
	return 0;
}
