/* commands: the subcommands memlens knows; each lives in cmd_NAME.c and
 * prints its own detailed help in cli_usage() via the table in cli.c. */
#ifndef MEMLENS_CLI_COMMANDS_H
#define MEMLENS_CLI_COMMANDS_H

#include "util/err.h"

int cmd_layout(int argc, char **argv, struct err *e);
int cmd_trace(int argc, char **argv, struct err *e);
int cmd_replay(int argc, char **argv, struct err *e);

#endif
