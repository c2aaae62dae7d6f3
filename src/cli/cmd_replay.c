/* cmd_replay: `memlens replay --text|--json FILE` reads a trace file written
 * by `memlens trace --json -o FILE` back into the model and prints the same
 * event log and summary (text) or the same JSON Lines.  `memlens replay
 * FILE` without either is the interactive replay (the screen). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "model/model.h"
#include "out/out.h"

enum replay_mode { REPLAY_TUI, REPLAY_TEXT, REPLAY_JSON };

struct replay {
	enum replay_mode mode;
	bool quiet;
	FILE *out;
};

/* The interactive replay: the screen steps through the trace in a model
 * that keeps its history.  Until the ui module plugs in here, say so. */
static int replay_interactive(const char *path, struct err *e)
{
	return err_set(e, ERR_INPUT, "%s: the interactive replay is not available in this build; "
		       "use 'memlens replay --text FILE' or '--json FILE'", path);
}

static int on_start(void *arg, const struct out_trace_start *s, struct err *e)
{
	struct replay *r = arg;
	struct out_start o = { .program = s->program, .argv = s->argv, .argc = s->argc,
			       .options_raw = s->options_raw, .layout_raw = s->layout_raw };

	(void)e;
	if (r->mode == REPLAY_JSON)
		out_json_start(r->out, &o);
	return 0;
}

static int on_event(void *arg, const struct model *m, const struct model_event *ev, size_t idx,
		    struct err *e)
{
	struct replay *r = arg;

	(void)e;
	if (r->mode == REPLAY_JSON)
		out_json_event(r->out, m, ev);
	else if (!r->quiet)
		out_text_event(r->out, m, ev, idx);
	return 0;
}

int cmd_replay(int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "text", no_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct replay r = { .mode = REPLAY_TUI, .out = stdout };
	struct model_opts mo = { .keep_history = false };
	struct out_reader_cb cb = { on_start, on_event, &r };
	struct model *m = NULL;
	const char *path;
	FILE *f = NULL;
	int c, rc = -1;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
		switch (c) {
		case 't': r.mode = REPLAY_TEXT; break;
		case 'j': r.mode = REPLAY_JSON; break;
		case 'q': r.quiet = true; break;
		case 'h': cli_usage(stdout); return 0;
		default:
			return cli_usage_error("replay: unrecognized option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("replay: expected one trace FILE");
	path = argv[optind];
	if (cli_check_regular_file(path, e) < 0)
		return -1;
	if (r.mode == REPLAY_TUI)
		return replay_interactive(path, e);
	if (!(f = fopen(path, "r")))
		return err_errno(e, ERR_INPUT, errno, "%s", path);
	if (!(m = model_new(&mo))) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (out_trace_read(f, path, m, &cb, e) < 0)
		goto out;
	if (r.mode == REPLAY_JSON)
		out_json_summary(r.out, m);
	else
		out_text_summary(r.out, m);
	if (fflush(r.out) != 0) {
		err_errno(e, ERR_INPUT, errno, "standard output");
		goto out;
	}
	rc = 0;
out:
	model_free(m);
	fclose(f);
	return rc;
}
