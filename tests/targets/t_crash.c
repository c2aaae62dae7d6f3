/* t_crash KIND: dies of the crash KIND names, so a tracer can report the
 * signal and what lies at the faulting address:
 *   null     SIGSEGV writing address 0x10 (the NULL page)
 *   uaf      SIGSEGV reading a freed 1 MiB block (unmapped on free)
 *   overrun  SIGSEGV 100 bytes past the end of a heap block at the break
 *            (glibc's allocator: trace it with --alloc=libc)
 *   stack    SIGSEGV: unbounded recursion overflows the stack
 *   fpe      SIGFPE: integer division by zero
 *   abort    SIGABRT from abort()
 *   bus      SIGBUS touching a mapping past the end of an empty file */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int recurse(int n)
{
	volatile char pad[512];
	pad[0] = (char)n;
	return recurse(n + 1) + pad[0];
}

int main(int argc, char **argv)
{
	const char *k = argc > 1 ? argv[1] : "";

	if (strcmp(k, "null") == 0) {
		*(volatile int *)0x10 = 1;
	} else if (strcmp(k, "uaf") == 0) {
		char *volatile p = malloc(1 << 20);
		p[0] = 1;
		free(p);
		return p[4096];
	} else if (strcmp(k, "overrun") == 0) {
		char *volatile p = malloc(16);
		char *brk = sbrk(0);
		free(p);
		size_t size = (size_t)(brk - p) - 64;
		char *volatile q = malloc(size); /* ends 64 bytes below the break */
		q[size + 100] = 1;
	} else if (strcmp(k, "stack") == 0) {
		return recurse(0);
	} else if (strcmp(k, "fpe") == 0) {
		volatile int zero = 0, num = 100; /* gcc folds 1/x into a compare */
		return num / zero;
	} else if (strcmp(k, "abort") == 0) {
		abort();
	} else if (strcmp(k, "bus") == 0) {
		FILE *f = tmpfile();
		char *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fileno(f), 0);
		return m[0];
	}
	return 0;
}
