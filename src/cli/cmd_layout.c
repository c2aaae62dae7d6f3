/* cmd_layout: `memlens layout [--json] PROGRAM`, the static map of an ELF
 * file: options, then the elf/ loader, then the text or JSON printer. */
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/layout_text.h"
#include "elf/elfmap.h"
#include "util/json.h"

int cmd_layout(int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	bool as_json = false;
	struct elfmap *m;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			cli_usage(stdout);
			return 0;
		}
		if (c == 'j') {
			as_json = true;
			continue;
		}
		return cli_usage_error("layout: unrecognized option '%s'", argv[optind - 1]);
	}
	if (optind != argc - 1)
		return cli_usage_error("layout: expected one PROGRAM");
	m = elfmap_open(argv[optind], e);
	if (!m)
		return -1;
	/* One big buffer: the output of a file with 300k symbols is tens of MB. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (as_json) {
		struct json j;
		json_init(&j, stdout);
		elfmap_write_json(&j, m);
		json_line_end(&j);
	} else {
		const char *nc = getenv("NO_COLOR");
		struct layout_style st = { .width = 80 };
		st.color = isatty(STDOUT_FILENO) && !(nc && *nc);
		setlocale(LC_CTYPE, "");
		st.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
		layout_print_text(stdout, m, &st);
	}
	fflush(stdout);
	if (elfmap_damaged(m)) {
		err_set(e, ERR_INPUT, "%s: %s", argv[optind], elfmap_damage(m));
		elfmap_close(m);
		return -1;
	}
	elfmap_close(m);
	return 0;
}
