/* step_work built -O2 and stripped (Makefile): no debug info at all. */
#include "step_work.c"
