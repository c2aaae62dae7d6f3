/* t_allocs_staticpie: t_allocs.c linked -static-pie: no interpreter, loaded
 * at a bias (0x555555554000 with ASLR off), so breakpoints and call sites
 * must be placed through AT_ENTRY - e_entry.  Expect what t_allocs_static
 * expects, with main's calls named main (file and line). */
#include "t_allocs.c"
