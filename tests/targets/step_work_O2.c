/* step_work built -O2 -g (Makefile): optimised code with debug info. */
#include "step_work.c"
