/* cmd_run: `memlens [OPTIONS] [--] PROGRAM [ARGS...]`, also spelled
 * `memlens run ...`: the interactive screen on a live run, stopped at the
 * first event.  Options as for trace (--alloc, --aslr) plus --ascii and
 * --color=auto|always|never. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/run_live.h"
#include "model/model.h"
#include "trace/trace.h"
#include "ui/term.h"
#include "ui/ui.h"

/* Parses the screen's own options (--ascii, --color); returns 1 when `c`
 * was one of them, 0 when not, or the usage error's status. */
int cli_ui_option(int c, const char *arg, struct ui_opts *uo)
{
	int col;

	if (c == 'U') {
		uo->ascii = true;
		return 1;
	}
	if (c != 'C')
		return 0;
	col = ui_color_parse(arg);
	if (col < 0)
		return -cli_usage_error("--color must be 'auto', 'always' or 'never', not '%s'", arg);
	uo->color = (enum ui_color)col;
	return 1;
}

int cmd_run(int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "alloc", required_argument, NULL, 'a' },
		{ "aslr", no_argument, NULL, 'A' },
		{ "ascii", no_argument, NULL, 'U' },
		{ "color", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct trace_opts to = { 0 };
	struct ui_opts uo = { .color = UI_COLOR_AUTO };
	struct ui_source src;
	struct model_opts mo = { .keep_history = true };
	struct model *m = NULL;
	struct run_live *r = NULL;
	const char *base;
	int c, k, rc = -1;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if ((k = cli_ui_option(c, optarg, &uo)) < 0)
			return -k;
		if (k)
			continue;
		switch (c) {
		case 'A': to.aslr = true; break;
		case 'a':
			if (cli_alloc_option(optarg, &to) != 0)
				return ERR_INPUT;
			break;
		case 'h':
			cli_usage(stdout);
			return 0;
		default:
			if (optopt)
				return cli_usage_error("option '-%c' needs an argument or is unknown", optopt);
			return cli_usage_error("unrecognized option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("expected a PROGRAM to run");
	/* the screen needs a terminal: say so before the program starts */
	if (!isatty(0) || !isatty(1))
		return err_set(e, ERR_INPUT, "the screen needs a terminal; without one, use "
			       "'memlens trace PROGRAM' or 'memlens replay --text FILE'");
	base = strrchr(argv[optind], '/');
	uo.title = base ? base + 1 : argv[optind];
	mo.teach = to.alloc == TRACE_ALLOC_TEACH;
	m = model_new(&mo);
	if (!m)
		return err_errno(e, ERR_INTERNAL, ENOMEM, "model");
	to.argv = argv + optind;
	r = run_live_start(&to, m, &src, e);
	if (!r)
		goto out;
	term_set_target(run_live_pid(r));
	rc = ui_run(&uo, m, &src, e);
out:
	run_live_free(r);
	model_free(m);
	return rc;
}
