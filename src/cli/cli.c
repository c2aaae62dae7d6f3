/* cli: global options and dispatch to the subcommands in cmd_*.c. */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "version.h"

static const struct cli_cmd cmds[] = {
	{ "layout", cmd_layout, "layout [--json] PROGRAM",
	  "show the segments, sections and globals of an ELF file" },
	{ "trace", cmd_trace, "trace [OPTIONS] [--] PROGRAM [ARGS...]",
	  "run PROGRAM to its end and log every allocation, then a summary" },
	{ "run", cmd_run, "[run] [OPTIONS] [--] PROGRAM [ARGS...]",
	  "the screen: step through PROGRAM's memory, forward and back" },
	{ "replay", cmd_replay, "replay [--text [-q] | --json] FILE",
	  "print a trace file again as the event log and summary, or as JSON" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct cli_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

void cli_usage(FILE *f)
{
	fprintf(f, "Usage: memlens [COMMAND] [OPTIONS] ...   (no COMMAND: run PROGRAM on the screen)\n"
		   "Show what a C program's memory looks like while it runs.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  memlens %s\n      %s\n", cmds[i].synopsis, cmds[i].summary);
	fprintf(f, "\nOptions:\n"
		   "  -h, --help      show this help and exit\n"
		   "  -V, --version   show the version and exit\n"
		   "      --json      (layout) print one JSON object instead of text\n"
		   "      --ascii     (run, replay) draw with ASCII only\n"
		   "      --color=WHEN  (run, replay) colour: auto, always or never\n"
		   "                  (run also takes trace's --alloc and --aslr)\n"
		   "      --text      (replay) print the event log and summary of a trace file\n"
		   "                  (replay --json: the trace again as JSON Lines)\n"
		   "  -q, --quiet     (replay --text) print the summary only\n"
		   "\ntrace options (memlens trace [OPTIONS] [--] PROGRAM [ARGS...]):\n"
		   "      --json      write JSON Lines instead of the text log\n"
		   "  -q, --quiet     print the summary only\n"
		   "  -o, --output=FILE  write the log to FILE instead of standard error\n"
		   "      --alloc=teach|libc  the teaching allocator (default) or glibc's\n"
		   "      --aslr      keep address randomisation on (off by default)\n"
		   "      --step=alloc|call|line  also stop at each call and return, or each\n"
		   "                  source line, of the program's own code (needs -g)\n"
		   "      --frames    (with --json) add each stop's frames and locals (replay\n"
		   "                  shows them)\n"
		   "      --bytes     (with --json) record block contents: each freed block's\n"
		   "                  first bytes and the live blocks' at exit (for replay)\n"
		   "  The program keeps its stdin, stdout and stderr; memlens exits with the\n"
		   "  program's status, or 128+N when signal N killed it.\n"
		   "\nExit status: 0 success, 1 a problem with the input or usage,\n"
		   "2 memlens itself failed.  See memlens(1).\n");
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("memlens: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'memlens --help' for more information.\n", stderr);
	return ERR_INPUT;
}

int cli_check_regular_file(const char *path, struct err *e)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return err_errno(e, ERR_INPUT, errno, "%s", path);
	if (S_ISDIR(st.st_mode))
		return err_set(e, ERR_INPUT, "%s: is a directory", path);
	if (!S_ISREG(st.st_mode))
		return err_set(e, ERR_INPUT, "%s: not a regular file", path);
	return 0;
}

int cli_main(int argc, char **argv)
{
	struct err e = { 0 };
	const struct cli_cmd *cmd;
	int rc;

	if (argc < 2) {
		cli_usage(stderr);
		return ERR_INPUT;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cli_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("memlens %s\n", MEMLENS_VERSION);
		return 0;
	}
	cmd = find_cmd(argv[1]);
	if (cmd)
		rc = cmd->run(argc - 1, argv + 1, &e);
	else /* memlens [OPTIONS] [--] PROGRAM [ARGS...]: the screen on a live run */
		rc = cmd_run(argc, argv, &e);
	if (rc < 0) {
		fflush(stdout);
		fprintf(stderr, "memlens: %s\n", e.msg[0] ? e.msg : "failed");
		return e.status ? e.status : ERR_INTERNAL;
	}
	return rc;
}
