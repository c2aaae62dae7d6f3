/* commands: the subcommands memlens knows; each lives in cmd_NAME.c and
 * prints its own detailed help in cli_usage() via the table in cli.c. */
#ifndef MEMLENS_CLI_COMMANDS_H
#define MEMLENS_CLI_COMMANDS_H

#include "util/err.h"

int cmd_layout(int argc, char **argv, struct err *e);
int cmd_trace(int argc, char **argv, struct err *e);
int cmd_run(int argc, char **argv, struct err *e);

/* The screen's options shared by run and replay: getopt codes 'U'
 * (--ascii) and 'C' (--color=WHEN).  Returns 1 when `c` was one of them,
 * 0 when not, or minus the usage error's exit status. */
struct ui_opts;
int cli_ui_option(int c, const char *arg, struct ui_opts *uo);
int cmd_replay(int argc, char **argv, struct err *e);

/* --alloc=teach|libc, shared by trace and run: sets to->alloc and returns
 * 0, or prints the usage error and returns its exit status. */
struct trace_opts;
int cli_alloc_option(const char *arg, struct trace_opts *to);

#endif
