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
#include "cli/replay_src.h"
#include "model/model.h"
#include "out/out.h"
#include "ui/ui.h"

enum replay_mode { REPLAY_TUI, REPLAY_TEXT, REPLAY_JSON };

struct replay {
	enum replay_mode mode;
	bool quiet;
	FILE *out;
	const struct out_line_extra *x; /* the line's frames, bytes, contents */
};

/* The interactive replay: the screen steps through the trace in a model
 * that keeps its history; the bytes the trace recorded (trace --bytes)
 * wait in a side table by block for the details. */
static int replay_interactive(const char *path, struct ui_opts *uo, struct err *e)
{
	struct replay_src rs;
	const char *base = strrchr(path, '/');
	int rc = -1;

	if (replay_src_open(&rs, path, e) == 0) {
		uo->title = base ? base + 1 : path;
		rc = ui_run(uo, rs.m, &rs.src, e);
	}
	replay_src_close(&rs);
	return rc;
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

static void on_line(void *arg, const struct out_line_extra *x)
{
	struct replay *r = arg;

	r->x = x;
}

/* What the trace wrote beside the event, in the order trace writes it:
 * frames verbatim, then the recorded bytes, then the exit contents
 * (re-encoded: the same bytes, since memlens writes them one way). */
static void line_extra(struct json *j, void *arg)
{
	const struct out_line_extra *x = arg;

	if (x->frames) {
		json_key(j, "frames");
		json_raw(j, x->frames, x->nframes);
	}
	out_json_bytes(j, x->bytes, x->nbytes);
	if (x->has_contents)
		out_json_contents(j, x->contents, x->ncontents, x->contents_more);
}

static int on_event(void *arg, const struct model *m, const struct model_event *ev, size_t idx,
		    struct err *e)
{
	struct replay *r = arg;
	const struct out_line_extra *x = r->x;

	(void)e;
	if (r->mode == REPLAY_JSON && x && (x->frames || x->nbytes || x->has_contents))
		out_json_event_extra(r->out, m, ev, line_extra, (void *)x);
	else if (r->mode == REPLAY_JSON)
		out_json_event(r->out, m, ev);
	else if (!r->quiet)
		out_text_event(r->out, m, ev, idx);
	r->x = NULL;
	return 0;
}

int cmd_replay(int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "text", no_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "ascii", no_argument, NULL, 'U' },
		{ "color", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct ui_opts uo = { .color = UI_COLOR_AUTO };
	struct replay r = { .mode = REPLAY_TUI, .out = stdout };
	struct model_opts mo = { .keep_history = false };
	struct out_reader_cb cb = { on_start, on_event, &r };
	struct model *m = NULL;
	const char *path;
	FILE *f = NULL;
	int c, k, rc = -1;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
		if ((k = cli_ui_option(c, optarg, &uo)) != 0) {
			if (k < 0)
				return -k;
			continue;
		}
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
		return replay_interactive(path, &uo, e);
	if (!(f = fopen(path, "r")))
		return err_errno(e, ERR_INPUT, errno, "%s", path);
	if (!(m = model_new(&mo))) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (out_trace_read_extra(f, path, m, &cb, on_line, e) < 0)
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
