/* emul: executes, on a saved register set, the few x86-64 instructions
 * that open the malloc family's functions (push, endbr64, mov and test
 * between registers, cmpb against a rip-relative byte), so that a thread
 * stopped on a breakpoint there moves past it without the int3 being
 * lifted: while a breakpoint is lifted for one thread's single step,
 * another thread can run through it unseen. */
#ifndef MEMLENS_TRACE_EMUL_H
#define MEMLENS_TRACE_EMUL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

/* Reads (write = 0) or writes n bytes of the target at addr; 0 or -1. */
typedef int (*emul_mem_fn)(void *ctx, uint64_t addr, void *buf, size_t n, int write);

/* Executes the instruction whose bytes are code[0..n) (up to 16, or all
 * that could be read) at regs->rip on `regs` and, through `mem`, on the
 * target's memory.  Returns 0 when it did (regs->rip is past the
 * instruction), -1 when it does not know the instruction (regs and memory
 * untouched: step it for real). */
int emul_step(struct user_regs_struct *regs, const uint8_t *code, size_t n,
	      emul_mem_fn mem, void *ctx);

#endif
