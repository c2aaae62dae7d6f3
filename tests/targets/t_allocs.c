/* t_allocs: calls every function of the malloc family once (and free(NULL)
 * once), printing nothing, so a tracer must report exactly:
 *   malloc 1, calloc 1, realloc 2, reallocarray 1, posix_memalign 1,
 *   aligned_alloc 1, memalign 1, valloc 1, pvalloc 1, free 9 (1 of them free(NULL));
 *   leaked at exit: the 100-byte malloc only (1 block, 100 bytes). */
#include <malloc.h>
#include <stdlib.h>

int main(void)
{
	void *volatile p[12];
	void *q = NULL;
	void *volatile nul = NULL; /* volatile: gcc folds realloc(NULL) and free(NULL) */

	p[0] = malloc(100);                  /* leaked on purpose */
	p[1] = calloc(4, 25);
	p[2] = realloc(nul, 10);            /* an allocation */
	p[2] = realloc(p[2], 200);           /* a resize */
	p[3] = reallocarray(nul, 3, 10);
	if (posix_memalign(&q, 64, 48) == 0)
		p[4] = q;
	p[5] = aligned_alloc(128, 256);
	p[6] = memalign(32, 40);
	p[7] = valloc(50);
	p[8] = pvalloc(60);
	free(p[1]);
	free(p[2]);
	free(p[3]);
	free(p[4]);
	free(p[5]);
	free(p[6]);
	free(p[7]);
	free(p[8]);
	free(nul);
	return 0;
}
