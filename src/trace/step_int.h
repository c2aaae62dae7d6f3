/* step_int: the state of --step=call|line shared by stepbp.c (breakpoint
 * stops into events) and stepctl.c (arming, granularity, finish).  Not for
 * callers: trace_step.h is the contract. */
#ifndef MEMLENS_TRACE_STEP_INT_H
#define MEMLENS_TRACE_STEP_INT_H

#include "dbg/dbg.h"
#include "trace/trace_int.h"
#include "trace/trace_step.h"

#define ROLE_CALL 1
#define ROLE_LINE 2
#define ROLE_EXIT 4 /* a function's one `ret` (see exit_of) */

struct sframe {
	uint64_t ret;   /* return address (the return breakpoint) */
	uint64_t sp;    /* stack pointer after the return: the frame's CFA */
	uint32_t site;  /* the function */
	bool retbp;     /* a return-address breakpoint waits for this frame
	                   (else its function's one `ret` has the EXIT role) */
};

struct sthread {
	pid_t tid;
	struct sframe *f;
	size_t n, cap;
};

struct trace_stepper {
	enum trace_gran gran;
	struct sthread *th;
	size_t nth, capth;
	uint32_t *fsite;   /* site per dbg_funcs() index, 0 = not interned yet */
	size_t nfsite;
	struct fpts {
		uint64_t call; /* the call breakpoint: entry, or after `push %rbp` */
		uint64_t exit; /* its one `ret`, or 0 */
	} *fp;             /* per dbg_funcs() index */
	size_t nfp;
	uint32_t *lsite;   /* site per dbg_lines() index */
	size_t nlsite;
	/* finish: the one return trace_finish waits for */
	bool fin, fin_done;
	pid_t fin_tid;
	uint64_t fin_ret, fin_sp;
	uint32_t fin_site;
	unsigned fin_depth;
	bool noted;
	bool lifted;       /* int3s out of the text while a vfork child runs */
};

#define EMU_MOV_RSP_RBP 1   /* trace_bp.emu: `mov %rsp,%rbp` */

struct trace_stepper *trace_sb_get(struct trace *t);
struct sthread *trace_sb_thread(struct trace_stepper *s, pid_t tid, bool add);
int trace_sb_push(struct sthread *st, const struct sframe *f);
/* Roles on the breakpoint table; a breakpoint with none left is removed. */
int trace_sb_role_add(struct trace *t, uint64_t a, uint8_t role);
void trace_sb_role_drop(struct trace *t, uint64_t a, uint8_t role);
void trace_sb_ret_add(struct trace *t, uint64_t a);
void trace_sb_ret_drop(struct trace *t, uint64_t a);
/* The model site of the own function holding pc (its entry), cached. */
uint32_t trace_sb_func_site(struct trace *t, struct dbg *d, uint64_t pc);

#endif
