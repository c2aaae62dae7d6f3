/* trace: runs a program under ptrace with the shim preloaded and turns what
 * it does into model events (allocator calls from the ring or from
 * breakpoints in static binaries, region changes, signals, exec, exit).
 * Every ptrace call of memlens, and the tracer's reads of /proc, live in
 * this module.
 *
 * Two modes.  Run mode (trace_run): the program runs on and the tracer
 * drains the ring concurrently (the scheduler puts them on different
 * CPUs).  Step mode (trace_step): the shim traps after every event, so the
 * program is stopped while the caller looks at the event; tracer and
 * program are pinned to one CPU.
 *
 * Typical use by the screen (step mode):
 *   m = model_new(&(struct model_opts){ .keep_history = true, .teach = ... });
 *   trace_install_signal_handlers();
 *   t = trace_start(&(struct trace_opts){ .argv = argv, .step = true }, m, &e);
 *   while ((rc = trace_step(t, &ev, &e)) == 1) {
 *       draw the model (its cursor is after ev); trace_regs + trace_dbg
 *       give the stopped thread's frames (dbg_stack);
 *       on "run to the end": trace_set_step(t, false); trace_run(t, &e);
 *   }
 *   trace_exit_status(t); trace_notes(t, &n); trace_free(t); */
#ifndef MEMLENS_TRACE_TRACE_H
#define MEMLENS_TRACE_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/user.h>

#include "model/model.h"
#include "util/err.h"

struct elfmap;
struct dbg;

enum trace_alloc { TRACE_ALLOC_TEACH = 0, TRACE_ALLOC_LIBC = 1 };

/* Called after each event was applied to the model (run and step mode).
 * `ev` is the event as applied; model_event_count(m) - 1 is its index when
 * the model keeps history. */
typedef void (*trace_event_fn)(void *ctx, struct model *m, const struct model_event *ev);

struct trace_opts {
	char *const *argv;      /* PROGRAM and its arguments; argv[0] is run by PATH */
	bool aslr;              /* keep address randomisation on */
	enum trace_alloc alloc; /* teaching allocator or glibc's, observed */
	bool step;              /* step mode: a stop per event (trace_step) */
	const char *shim;       /* absolute path of libmemlens-shim.so; NULL: find it */
	bool bytes;             /* record the first bytes of each block freed (RING_MODE_BYTES) */
	trace_event_fn on_event;/* may be NULL */
	void *ctx;
};

/* The tracer reaps with waitpid(-1, __WALL): the calling process should
 * have no children of its own besides the traced program while a trace
 * runs. */
struct trace; /* opaque */

/* Starts the program (fork, ASLR off unless asked, stopped before its
 * first instruction, seized with PTRACE_O_EXITKILL), loads its ELF and
 * applies the first MEV_REGIONS event.  On failure returns NULL with `e`
 * filled; a refused ptrace names the cause and the fix (ERR_INPUT), and no
 * process is left behind.  The model must outlive the trace. */
struct trace *trace_start(const struct trace_opts *o, struct model *m, struct err *e);

/* Run mode: lets the program run to its end, draining events into the
 * model (and `on_event`).  Returns 0 once the program has ended, -1 on a
 * tracer failure (the program is killed).  Interrupted by SIGINT, SIGTERM
 * or SIGHUP (see trace_install_signal_handlers): the program is killed and
 * trace_interrupted() names the signal. */
int trace_run(struct trace *t, struct err *e);

/* Step mode: runs until the next event, applies it to the model and
 * copies it to *ev.  Returns 1 with an event, 0 once the program has ended
 * (the MEV_EXIT event was the last 1), -1 on failure.  The program stays
 * stopped between calls. */
int trace_step(struct trace *t, struct model_event *ev, struct err *e);

/* Switches between step mode and run mode while the program is stopped
 * between trace_step calls (for a "run to the end" key): with `on` false
 * the shim stops trapping and a following trace_run drains as run mode
 * does; CPU pinning stays as it was started. */
void trace_set_step(struct trace *t, bool on);

/* During on_event for a MEV_FREE or MEV_REALLOC event that released or moved
 * a block, when trace_opts.bytes: the first bytes of that block as the program
 * left them just before the call (at most TRACE_BYTES_MAX).  Sets *bytes and
 * returns the count; 0 when none were recorded (no --bytes, NULL, a bad pointer). */
#define TRACE_BYTES_MAX 56
size_t trace_event_bytes(const struct trace *t, const unsigned char **bytes);

/* The first bytes of a block still live when the program ended. */
#define TRACE_CONTENTS_BYTES 64
#define TRACE_CONTENTS_MAX 100000
struct trace_content {
	uint64_t addr;
	uint32_t n;
	unsigned char b[TRACE_CONTENTS_BYTES];
};
/* During on_event for the MEV_EXIT event, when trace_opts.bytes: the
 * first bytes (at most TRACE_CONTENTS_BYTES) of each block live at the
 * end, in address order, read at the program's exit stop while its memory
 * was intact; at most TRACE_CONTENTS_MAX blocks, *more counts the live
 * blocks left out.  NULL (*n = 0) when none were read: no --bytes, or
 * the program was killed by memlens before its exit stop; non-NULL with
 * *n = 0 when no block was live.  Blocks whose memory could not be read
 * are left out (and counted in *more). */
const struct trace_content *trace_exit_contents(struct trace *t, size_t *n, size_t *more);

/* True once the program has ended (exit or signal). */
bool trace_ended(const struct trace *t);
/* False when the shim could not be preloaded into the program (a static,
 * 32-bit or set-id program): its own allocator runs whatever --alloc
 * said. */
bool trace_shim_loaded(const struct trace *t);
/* The program's exit status as a shell reports it: its own, or 128+signal.
 * Meaningful once trace_ended(). */
int trace_exit_status(const struct trace *t);
/* The pid of the traced program. */
pid_t trace_pid(const struct trace *t);
/* The ELF of the current image (changes after an exec), or NULL. */
const struct elfmap *trace_elf(const struct trace *t);

/* Debug info (dbg/dbg.h) of the current image, its modules refreshed to
 * the last region snapshot, or NULL without it.  Owned by the trace; valid
 * until the next exec event or trace_free.  For dbg_stack at a step stop. */
struct dbg *trace_dbg(struct trace *t);
/* Registers of thread `tid` (0: the main thread) while step mode holds it
 * stopped (after trace_step returned its event).  0, or -1 when it is not
 * stopped. */
int trace_regs(struct trace *t, pid_t tid, struct user_regs_struct *regs);

/* Notes a student should read (a static binary's allocations seen through
 * breakpoints or not at all, the shim not loaded, an exec followed).
 * Strings owned by the trace; *n set to the count. */
const char *const *trace_notes(const struct trace *t, size_t *n);

/* Kills the program (SIGKILL) if it is still there, reaps it, releases
 * everything.  NULL is fine.  Never leaves the program stopped or running. */
void trace_free(struct trace *t);

/* Installs SIGINT/SIGTERM/SIGHUP handlers that make the loops kill the
 * program and return; memlens then exits 128+signal. */
void trace_install_signal_handlers(void);
/* The signal that interrupted memlens, or 0. */
int trace_interrupted(void);

/* ---- /proc/PID/maps -------------------------------------------------- */

/* What the parser needs to label the program's own segments: the ELF's
 * PT_LOAD segments placed at bias, the stack pointer at exec (for the main
 * stack) and the known thread stack pointers are not needed: thread stacks
 * are the anonymous rw mappings directly above a PROT_NONE guard. */
struct trace_layout {
	const struct elfmap *elf; /* may be NULL: the program's file is then "other" */
	const char *exe;          /* path of the executable as the maps name it */
	uint64_t bias;            /* load bias: AT_ENTRY - e_entry */
};

/* Parses a /proc/PID/maps stream into regions sorted by address, labelled
 * text/rodata/data/bss (the program's segments), heap, mmap, stack, thread
 * stack, lib (one entry per library and segment, named by its basename),
 * vdso (also vvar), other.  *out is malloc'd (caller frees).  Returns the
 * number of regions, or -1 with `e` filled on a malformed line. */
ssize_t trace_maps_parse(FILE *f, const struct trace_layout *lay,
			 struct model_region **out, struct err *e);

#endif
