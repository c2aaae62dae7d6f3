/* cli: the command line.  Parses the global options, picks the subcommand
 * and hands it the rest of argv.  Only this layer knows every module. */
#ifndef MEMLENS_CLI_CLI_H
#define MEMLENS_CLI_CLI_H

#include <stdio.h>

#include "util/err.h"

/* A subcommand.  argv[0] is the command's name; it parses its own options.
 * Returns the exit status (>= 0), or -1 with `e` filled. */
typedef int (*cli_cmd_fn)(int argc, char **argv, struct err *e);

struct cli_cmd {
	const char *name;
	cli_cmd_fn run;
	const char *synopsis; /* "layout [--json] PROGRAM" */
	const char *summary;  /* one line for --help */
};

/* Runs memlens with the process's argv; returns the exit status. */
int cli_main(int argc, char **argv);

/* Prints the full --help text (every command's options) on `f`. */
void cli_usage(FILE *f);

/* Reports a usage problem: "memlens: MSG" and a hint, on stderr; returns 1.
 * Commands call it for unknown options and missing operands. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Refuses anything that is not a regular file before it is opened
 * (FIFOs block, /dev/zero never ends).  Returns 0 or -1 with `e` filled as
 * "PATH: reason" with status ERR_INPUT. */
int cli_check_regular_file(const char *path, struct err *e);

#endif
