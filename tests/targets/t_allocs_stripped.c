/* t_allocs_stripped: t_allocs.c linked -static and stripped: no symbols,
 * so no breakpoints.  The tracer must say that allocations cannot be seen,
 * and still report the exit status 0. */
#include "t_allocs.c"
