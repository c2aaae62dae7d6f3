/* cmd_trace: `memlens trace [--json] [-q] [-o FILE] [--alloc=teach|libc]
 * [--aslr] [--step=alloc|call|line] [--frames] [--] PROGRAM [ARGS...]`:
 * runs the program to its end under the tracer (run mode; step mode when
 * it stops at calls, lines or for frames) and prints the event log and
 * the summary (text on stderr or FILE, or JSON Lines).  Exit status: the program's own, or
 * 128+signal. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/trace_print.h"
#include "model/model.h"
#include "out/out.h"
#include "trace/trace.h"
#include "trace/trace_step.h"

int cli_alloc_option(const char *arg, struct trace_opts *to)
{
	if (strcmp(arg, "teach") == 0)
		to->alloc = TRACE_ALLOC_TEACH;
	else if (strcmp(arg, "libc") == 0)
		to->alloc = TRACE_ALLOC_LIBC;
	else
		return cli_usage_error("--alloc must be 'teach' or 'libc', not '%s'", arg);
	return 0;
}

int cmd_trace(int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "output", required_argument, NULL, 'o' },
		{ "alloc", required_argument, NULL, 'a' },
		{ "aslr", no_argument, NULL, 'A' },
		{ "step", required_argument, NULL, 'S' },
		{ "frames", no_argument, NULL, 'F' },
		{ "bytes", no_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct trace_opts to = { 0 };
	struct trace_print pr = { 0 };
	struct model_opts mo = { 0 };
	struct model *m = NULL;
	struct trace *t = NULL;
	const char *out = NULL;
	FILE *f = stderr;
	int c, rc = -1, gran = TRACE_GRAN_ALLOC;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+qo:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': pr.json = true; break;
		case 'q': pr.quiet = true; break;
		case 'o': out = optarg; break;
		case 'A': to.aslr = true; break;
		case 'F': pr.frames = true; break;
		case 'B': pr.bytes = to.bytes = true; break;
		case 'S':
			if ((gran = trace_gran_parse(optarg)) < 0)
				return cli_usage_error("trace: --step must be 'alloc', 'call' or 'line', not '%s'",
						       optarg);
			break;
		case 'a':
			if (cli_alloc_option(optarg, &to) != 0)
				return ERR_INPUT;
			break;
		case 'h':
			cli_usage(stdout);
			return 0;
		default:
			if (optopt)
				return cli_usage_error("trace: option '-%c' needs an argument or is unknown",
						       optopt);
			return cli_usage_error("trace: unrecognized option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("trace: expected a PROGRAM to run");
	if (pr.bytes && !pr.json)
		return cli_usage_error("trace: --bytes records block contents in a JSON trace: use it with --json (and -o FILE)");
	if (out) {
		/* a trace file takes ~150 bytes an event: written 1 MiB per
		 * write(2) by a thread of its own (out/afile.c) */
		if (!(f = out_file_open(out, e)))
			return -1;
	}
	mo.keep_history = false; /* a trace prints as it goes: no stepping back */
	mo.teach = to.alloc == TRACE_ALLOC_TEACH;
	mo.no_free_chunks = true; /* only the screen draws them */
	m = model_new(&mo);
	if (!m) {
		err_errno(e, ERR_INTERNAL, ENOMEM, "model");
		goto out;
	}
	to.argv = argv + optind;
	pr.f = f;
	pr.alloc = to.alloc;
	pr.aslr = to.aslr;
	pr.argv = argv + optind;
	/* stops at calls, lines or frames: the program waits at each stop */
	to.step = gran != TRACE_GRAN_ALLOC || pr.frames;
	pr.stepping = to.step;
	to.on_event = pr.quiet ? NULL : trace_print_event; /* -q: the summary only */
	to.ctx = &pr;
	trace_install_signal_handlers();
	t = trace_start(&to, m, e);
	if (!t)
		goto out;
	pr.trace = t;
	if (trace_set_gran(t, (enum trace_gran)gran, e) != 0)
		goto out;
	trace_print_start(&pr, m);
	if (to.step) {
		struct model_event ev;
		int r;
		while ((r = trace_step(t, &ev, e)) == 1)
			;
		if (r < 0)
			goto out;
	} else if (trace_run(t, e) != 0) {
		goto out;
	}
	trace_print_summary(&pr, m);
	if (trace_interrupted()) {
		fflush(f);
		fprintf(stderr, "memlens: interrupted by SIG%s: the program was killed\n",
			sigabbrev_np(trace_interrupted()) ? sigabbrev_np(trace_interrupted()) : "?");
		rc = 128 + trace_interrupted();
	} else {
		rc = trace_exit_status(t);
	}
out:
	trace_free(t);
	model_free(m);
	if (f && f != stderr && fclose(f) != 0 && rc >= 0)
		rc = err_errno(e, ERR_INTERNAL, errno, "%s", out);
	return rc;
}
