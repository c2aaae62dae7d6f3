/* cmd_layout: `memlens layout [--json] PROGRAM`, the static map of an ELF
 * file.  (Walking skeleton: file type and loadable segments; the elf/
 * module grows it into the full map.) */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <getopt.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"

int cmd_layout(int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path;
	Elf *elf = NULL;
	GElf_Ehdr eh;
	size_t n;
	int fd = -1, c, rc = -1;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			cli_usage(stdout);
			return 0;
		}
		return cli_usage_error("layout: unrecognized option '%s'", argv[optind - 1]);
	}
	if (optind != argc - 1)
		return cli_usage_error("layout: expected one PROGRAM");
	path = argv[optind];
	if (cli_check_regular_file(path, e) < 0)
		return -1;
	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(e, ERR_INPUT, errno, "%s", path);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		err_set(e, ERR_INPUT, "%s: not an ELF file", path);
		goto out;
	}
	printf("%s: ELF%d, %zu program headers\n", path,
	       gelf_getclass(elf) == ELFCLASS64 ? 64 : 32,
	       elf_getphdrnum(elf, &n) == 0 ? n : 0);
	for (size_t i = 0; elf_getphdrnum(elf, &n) == 0 && i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		printf("  LOAD 0x%08" PRIx64 " memsz %8" PRIu64 " %c%c%c\n",
		       (uint64_t)ph.p_vaddr, (uint64_t)ph.p_memsz,
		       ph.p_flags & PF_R ? 'r' : '-', ph.p_flags & PF_W ? 'w' : '-',
		       ph.p_flags & PF_X ? 'x' : '-');
	}
	rc = 0;
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return rc;
}
