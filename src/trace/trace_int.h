/* trace_int: the inside of struct trace, shared by the files of trace/
 * (spawn, the stop loop, breakpoints, regions, sites).  Not for callers. */
#ifndef MEMLENS_TRACE_TRACE_INT_H
#define MEMLENS_TRACE_TRACE_INT_H

#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/types.h>

#include "model/model.h"
#include "ring/ring.h"
#include "trace/trace.h"

struct dbg;

/* The ptrace options of every trace; static images add fork and vfork
 * events, to take our int3s out of a child's copy of the text. */
#define TRACE_PTRACE_OPTS (PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC | \
			   PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXIT)
#define TRACE_PTRACE_FORK_OPTS (PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK)

/* One thread of the program, as ptrace sees it. */
struct trace_thread {
	pid_t tid;
	bool held;          /* stopped by us, waiting for trace_resume_held */
	int resume_sig;     /* signal to deliver when resumed */
	bool new_thread;    /* its first stop is the initial one: swallow it */
	bool listening;     /* in a group-stop (PTRACE_LISTEN) */
	bool exiting;       /* past its PTRACE_EVENT_EXIT stop */
	unsigned untrapped; /* step mode: its records drained, their traps not yet seen */
	/* static binaries: an allocator call in progress (one level deep) */
	bool in_call;
	uint16_t call_kind;
	uint64_t call_args[3];
	uint64_t call_ret;  /* return address (the return breakpoint) */
	uint64_t call_sp;   /* stack pointer expected after the return */
	uint64_t call_caller_sp;
};

/* kind of the one-shot breakpoint at the program's entry point */
#define TRACE_BP_ENTRY 0xffff

struct trace_bp {
	uint64_t addr;
	uint8_t orig;
	uint16_t kind;      /* enum ring_kind at a function entry, 0 for a return,
	                       TRACE_BP_ENTRY at the program's entry point */
	int refs;           /* return breakpoints: threads waiting on it */
	uint8_t step;       /* --step roles (trace_step.h): TRACE_BP_CALL, TRACE_BP_LINE */
	int sret;           /* --step return role: frames waiting on it */
	uint8_t emu;        /* --step: the instruction under it, when known (stepbp.c) */
};

struct trace {
	struct trace_opts o;
	char **argv;            /* owned copy */
	struct model *m;
	pid_t pid;
	struct ring *ring;      /* NULL when the shim is not preloaded */
	struct elfmap *elf;
	char path[PATH_MAX];    /* the program file, resolved through PATH */
	char exe[PATH_MAX];     /* /proc/PID/exe of the current image */
	uint64_t bias;
	uint64_t stack_top;     /* stack pointer at exec */
	uint64_t stack_sampled_max;
	uint64_t stack_baseline;  /* lowest touched stack page at the first event
	                             (the loader's start-up is above it), 0 unknown */
	bool started;           /* the first exec happened */
	bool ended;
	char *shim;             /* the shim's path as preloaded, NULL without the shim */
	bool killed;            /* memlens sent the SIGKILL (interrupted, or a tracer failure) */
	int status;             /* shell-style exit status */
	bool exit_emitted;
	bool is_static;
	uint64_t ret_trap;      /* static: an int3 in the text's page slack that allocator
	                           calls return to (bkpt.c), 0 none */
	bool shim_wanted;
	bool shim_noted;

	struct trace_thread *thr;
	size_t nthr, capthr;

	struct trace_bp *bp;
	size_t nbp, capbp;
	uint64_t static_seq;
	bool entry_pending;     /* the entry breakpoint is still in place */

	/* events produced and not yet applied (step mode; run mode applies
	 * them at once when `direct`) */
	bool direct;
	struct model_event *q;
	size_t qhead, qlen, qcap;
	/* --bytes: the block contents of each queued event (parallel to q),
	 * and those of the event on_event is being called for */
	struct trace_qbytes { uint8_t n; unsigned char b[TRACE_BYTES_MAX]; } *qb;
	const unsigned char *ev_bytes, *pend_bytes;
	size_t ev_nbytes, pend_nbytes;

	/* regions: dirty when they may have changed */
	bool regions_dirty;
	uint64_t last_brk;
	uint64_t start_brk;      /* the break at exec */
	struct model_region *regs;  /* the last snapshot, for cheap checks */
	size_t reg_hint;            /* index of the region an address last fell in */
	uint64_t *big;              /* live blocks of 128 KiB or more (mmap'd) */
	size_t nbig, capbig;
	uint64_t big_lo;            /* none of them lies below (while nbig): frees
	                               in [heap], below the mmap area, skip the scan */
	size_t nregs;

	/* call-site cache: caller address -> site index */
	uint64_t *site_key;
	uint32_t *site_val;
	size_t site_cap, site_n;
	struct dbg *dbg;        /* debug info of the current image, or NULL */
	bool dbg_failed;        /* opening it failed: do not retry this image */
	unsigned regions_gen;   /* bumped on every new region snapshot */
	unsigned dbg_gen;       /* regions_gen the dbg modules were read at */

	/* libraries seen at call sites: their symbols name the function */
	struct trace_lib {
		char *path;
		uint64_t base;      /* where its offset-0 mapping starts */
		struct elfmap *elf; /* NULL when it cannot be read */
	} libs[32];
	size_t nlibs;

	char *notes[16];
	size_t nnotes;
	int memfd;              /* /proc/PID/mem, for breakpoints */
	bool pinned;            /* spawn pinned this thread: `affinity` was its own */
	cpu_set_t affinity;
	int tracer_cpu;         /* run mode: the CPU the tracer was pinned to, -1 none */
	struct err rec_err;     /* on_record's: a model failure on a ring record */
	struct trace_stepper *stp; /* --step=call|line state (stepbp.c), or NULL */
	/* --bytes: the live blocks' first bytes, read at the exit stop
	 * (contents.c); filtered against the model once at the exit event */
	struct trace_content *cont;
	size_t ncont, cont_more;
	bool cont_filtered;
};

/* trace.c */
void trace_note(struct trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int trace_emit(struct trace *t, const struct model_event *ev, struct err *e);
struct trace_thread *trace_thread_get(struct trace *t, pid_t tid, bool add);
void trace_thread_del(struct trace *t, pid_t tid);
/* Bytes from the top of the main stack (the stack pointer at exec) down to
 * `sp`; 0 for other threads, whose stacks are regions of their own.
 * Inline: on_record asks once per event. */
static inline uint64_t trace_stack_depth(const struct trace *t, pid_t tid, uint64_t sp)
{
	if (tid != t->pid || !t->stack_top || sp > t->stack_top ||
	    t->stack_top - sp > (UINT64_C(1) << 32))
		return 0;
	return t->stack_top - sp;
}
/* True when `a` lies in a region of the last snapshot. */
bool trace_addr_known(const struct trace *t, uint64_t a);
/* Notes the stack pages the loader touched, at the first event. */
void trace_stack_baseline(struct trace *t);

/* contents.c: --bytes at the exit stop (memory still there): reads the
 * first bytes of every block live in the model or about to be (queued
 * allocations); _free releases them. */
void trace_contents_take(struct trace *t);
void trace_contents_free(struct trace *t);

/* spawn.c */
int trace_find_program(const char *name, char *out, size_t len);
int trace_find_shim(char *out, size_t len);
/* Decides from the file what can be seen: shim, breakpoints, notes. */
void trace_plan(struct trace *t);
/* Forks, seizes and runs the program to its first exec (stopped there). */
int trace_start_child(struct trace *t, const char *shim, struct err *e);
/* SIGKILL, then reap everything (continuing the PTRACE_EVENT_EXIT stop). */
void trace_kill_and_reap(pid_t pid);

/* proc.c: the one door into the target's memory and /proc */
int trace_mem_read(struct trace *t, uint64_t addr, void *buf, size_t n);
int trace_mem_write(struct trace *t, uint64_t addr, const void *buf, size_t n);
uint64_t trace_auxv_entry(pid_t pid);
uint64_t trace_start_brk(pid_t pid);
int trace_regions_read(struct trace *t, struct err *e);
uint64_t trace_stack_lowest_touched(struct trace *t);
void trace_explain_refusal(pid_t child, int errnum, struct err *e);

/* site.c */
uint32_t trace_site_of(struct trace *t, uint64_t addr);
void trace_sites_reset(struct trace *t);
/* Closes the libraries' symbol tables (at exec and at the end). */
void trace_libs_reset(struct trace *t);
/* Closes the debug info of the image (at exec and at the end). */
void trace_dbg_close(struct trace *t);

/* bkpt.c: static binaries */
int trace_bp_insert_all(struct trace *t, struct err *e);
/* A one-shot breakpoint at the entry point (AT_ENTRY): the loader is done
 * there, so the stack pages touched so far are its own. */
int trace_bp_insert_entry(struct trace *t, uint64_t entry);
/* Handles a SIGTRAP at rip-1 == a breakpoint of ours: 1 handled, 0 not
 * ours, -1 error. */
int trace_bp_hit(struct trace *t, pid_t tid, struct err *e);
/* Removes the breakpoints from a forked child's copy of the text. */
void trace_bp_clean_child(struct trace *t, pid_t child, bool shared);
void trace_bp_reset(struct trace *t);
/* The breakpoint table, for stepbp.c: find, add (writes the int3), delete
 * (restores the byte), and execute the original instruction at `a` for a
 * thread stopped on it (returns a signal that arrived meanwhile, or 0). */
struct trace_bp *trace_bp_at(struct trace *t, uint64_t a);
struct trace_bp *trace_bp_add(struct trace *t, uint64_t a, uint16_t kind);
void trace_bp_del(struct trace *t, struct trace_bp *b);
int trace_bp_step_over(struct trace *t, pid_t tid, struct user_regs_struct *regs,
		       uint64_t a, uint8_t orig, bool keep);

/* stepbp.c: --step=call|line breakpoints (see trace_step.h).  _hit handles
 * a stop at a breakpoint with step roles: 1 when done (the thread was
 * moved past it and held or resumed), 0 when the breakpoint also has
 * allocator roles (bkpt.c goes on; *emitted says whether the thread must be
 * held), -1 on error.  _exec re-arms for a new image, _free releases. */
int trace_stepbp_hit(struct trace *t, pid_t tid, struct user_regs_struct *regs,
		     bool *emitted, struct err *e);
int trace_stepbp_exec(struct trace *t, struct err *e);
/* The fast path for a SIGTRAP when --step is on: 1 when rip - 1 is a
 * breakpoint with step roles only (handled, no siginfo needed: the int3
 * there is ours), 0 when not, -1 on error. */
int trace_stepbp_fast(struct trace *t, pid_t tid, struct user_regs_struct *regs,
		      struct err *e);
void trace_stepbp_free(struct trace *t);
/* A vfork child runs in the parent's memory: lift the --step int3s while
 * it runs (done = false), put them back when the parent resumes. */
void trace_stepbp_vfork(struct trace *t, bool done);
/* True when --step=call saw every own call and the lowest touched stack
 * page `low` is within a page of the deepest call: the sampled depth is
 * then exact to a frame and the page bound (up to 4 KiB over) is not. */
bool trace_stepbp_depth_exact(const struct trace *t, uint64_t low);
/* frames.c: a crash (SIGSEGV...) of thread tid: names the function, and for
 * a stack overflow the depth, in a note; sets ev->site to the faulting pc. */
void trace_crash_note(struct trace *t, pid_t tid, const struct user_regs_struct *regs,
		      struct model_event *ev);

/* records.c: drains the ring into events; returns the records taken */
size_t trace_drain(struct trace *t);

/* image.c */
int trace_handle_exec(struct trace *t, pid_t tid, struct err *e);
/* The leader's PTRACE_EVENT_EXIT stop: the last regions, the deepest stack. */
int trace_at_exit_stop(struct trace *t, struct err *e);
/* The program is gone (wait status `st`): the exit event. */
int trace_at_end(struct trace *t, int st, struct err *e);

#endif
