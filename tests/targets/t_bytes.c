/* t_bytes: blocks filled with known bytes, then given back, for the
 * tracer's --bytes test.  Block k holds k, k+1, k+2, ... (k = its tag), so
 * the test recognises each one by its first byte.  Expected with --bytes:
 *   tag 0x11: malloc(40), free                  -> at least 40 bytes
 *   tag 0x22: malloc(100), free                 -> 56 bytes (the cap)
 *   tag 0x33: malloc(24), realloc to 4000 moves -> at least 24 bytes
 *   tag 0x44: malloc(64), realloc to 32 in place -> none
 *   tag 0x55: malloc(48), realloc(p, 0) frees   -> at least 48 bytes
 *   free(NULL)                                  -> none
 * "misuse" (teach only) then frees tag 0x66 twice and frees a pointer
 * into the middle of live block 0x77: only the first free has bytes.
 * "badfree" frees a misaligned pointer, which glibc aborts on (libc mode:
 * the shim must not read it first). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *filled(size_t n, unsigned tag)
{
	unsigned char *p = malloc(n);

	if (!p)
		exit(1);
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(tag + i);
	return p;
}

int main(int argc, char **argv)
{
	unsigned char *volatile a = filled(40, 0x11);
	unsigned char *volatile b = filled(100, 0x22);
	unsigned char *volatile c = filled(24, 0x33);
	unsigned char *volatile wall = filled(24, 0x00); /* c cannot grow in place */
	unsigned char *volatile d = filled(64, 0x44);
	unsigned char *volatile e = filled(48, 0x55);

	free(a);
	free(b);
	c = realloc(c, 4000);
	d = realloc(d, 32);
	if (!c || !d || c[0] != 0x33 || d[0] != 0x44)
		return 1;
	e = realloc(e, 0);
	free(NULL);
	if (argc > 1 && strcmp(argv[1], "misuse") == 0) {
		unsigned char *volatile f = filled(32, 0x66);
		unsigned char *volatile g = filled(64, 0x77);
		free(f);
		free(f);      /* double free: reported by teach, ignored */
		free((void *)((uintptr_t)g + 16)); /* invalid free: reported, ignored */
		free(g);
	}
	if (argc > 1 && strcmp(argv[1], "badfree") == 0)
		free((void *)((uintptr_t)wall + 3));
	free(c);
	free(d);
	free(wall);
	puts("done");
	return 0;
}
