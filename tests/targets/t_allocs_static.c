/* t_allocs_static: t_allocs.c linked -static, so LD_PRELOAD does not apply
 * and the tracer sees the calls through breakpoints.  Expect the program's
 * own calls (static glibc adds a few before main): malloc >= 1, calloc
 * >= 1, realloc 2, reallocarray 1, posix_memalign 1, aligned_alloc +
 * memalign 2 (one address in glibc), valloc 1, pvalloc 1, free 9 with 1
 * free(NULL), and the 100-byte block from main leaked. */
#include "t_allocs.c"
