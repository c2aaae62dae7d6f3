/* t_fork_static: t_fork.c linked -static, so the allocator is watched
 * through int3 breakpoints that a forked child inherits in its copy of the
 * text: the tracer must take them out of the child before letting it go.
 * Expect exit status 0 (the child's 50 mallocs did not kill it) and the
 * parent's 3 mallocs among the calls (static glibc adds its own). */
#include "t_fork.c"
