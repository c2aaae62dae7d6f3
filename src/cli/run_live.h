/* run_live: a live program as a source of events for the screen.  A worker
 * thread owns the tracer (every ptrace call must come from the thread that
 * attached) and steps the program one event at a time into a private model;
 * the screen's thread copies each event (with its call site and region
 * snapshot) into the screen's model, so the screen never waits on the
 * program: while the program runs or reads its input, keys still work.
 * The program's stdin, stdout and stderr are a pty of ours; its master is
 * the source's out_fd. */
#ifndef MEMLENS_CLI_RUN_LIVE_H
#define MEMLENS_CLI_RUN_LIVE_H

#include "model/model.h"
#include "trace/trace.h"
#include "ui/ui.h"
#include "util/err.h"

struct run_live;

/* Starts the program stopped at its first event (the first memory map,
 * applied to `m`) and fills `src` for ui_run.  NULL with `e` filled on
 * failure; no process is left behind. */
struct run_live *run_live_start(const struct trace_opts *o, struct model *m,
				struct ui_source *src, struct err *e);

/* The program's exit status as a shell reports it once it ended, else -1. */
int run_live_status(const struct run_live *r);

/* The program's pid (for the crash handler that must kill it). */
pid_t run_live_pid(const struct run_live *r);

/* Kills the program if it still runs, stops the worker, frees. */
void run_live_free(struct run_live *r);

#endif
