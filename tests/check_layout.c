/* check_layout: the `memlens layout` command as a user meets it: every bad
 * input gets one line "memlens: FILE: reason", exit status 1, fast; damaged
 * files show what can be trusted; the JSON parses and carries the schema's
 * fields; the text fits 80 columns, draws high addresses on top, and has no
 * colour off a terminal or with NO_COLOR. */
#include "testutil.h"

#include <inttypes.h>

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/memlens-check-layout-XXXXXX");
	if (!mkdtemp(dir))
		abort();
}

static void teardown(void)
{
	struct run r = tu_sh(10, "chmod -R u+rwx '%s'; rm -rf '%s'", dir, dir);
	tu_run_free(&r);
}

/* Copies samples/segments to DIR/name with a patch applied by python-free
 * means: `dd` writes `bytes` (printf escapes) at `off`, or truncates. */
static const char *make_bad(const char *name, const char *shell)
{
	static char path[256];
	struct run r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	r = tu_sh(10, "cd '%s' && f='%s' && %s", dir, name, shell);
	ck_assert_msg(r.status == 0, "making %s: %s", name, r.err);
	tu_run_free(&r);
	return path;
}

/* Runs layout on `path` and checks: exit 1, stderr one line naming the file
 * and containing `reason`, in under a second. */
static void expect_error(const char *path, const char *reason)
{
	struct run r = tu_sh(5, "%s layout '%s'", tu_memlens(), path);
	char want[512];
	char *nl;

	snprintf(want, sizeof(want), "memlens: %s: ", path);
	ck_assert_msg(r.status == 1, "%s: exit %d, stderr %s", path, r.status, r.err);
	ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "%s: stderr is %s", path, r.err);
	ck_assert_msg(strstr(r.err, reason) != NULL, "%s: want '%s' in %s", path, reason, r.err);
	nl = strchr(r.err, '\n');
	ck_assert_msg(nl && nl[1] == '\0', "%s: error is not one line: %s", path, r.err);
	ck_assert_msg(r.secs < 1.0, "%s took %.2f s", path, r.secs);
	tu_run_free(&r);
}


static const char *seg_copy(const char *name, const char *then)
{
	char sh[1024];
	char cwd[512];

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(sh, sizeof(sh), "cp '%s/samples/segments' \"$f\" %s%s", cwd, then[0] ? "&& " : "", then);
	return make_bad(name, sh);
}

/* Writes a little-endian value of `n` bytes at `off` of "$f". */
#define PATCH(off, hex) "printf '" hex "' | dd of=\"$f\" bs=1 seek=" #off " conv=notrunc status=none"

START_TEST(missing_file)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/no-such-file", dir);
	expect_error(p, "No such file or directory");
}
END_TEST

START_TEST(a_directory) { expect_error(dir, "is a directory"); }
END_TEST

START_TEST(no_read_permission)
{
	const char *p = seg_copy("noperm", "chmod 000 \"$f\"");
	struct run r;

	if (geteuid() != 0) {
		expect_error(p, "Permission denied");
		return;
	}
	/* root reads anything: drop to nobody when setpriv is here */
	r = tu_sh(5, "command -v setpriv >/dev/null || exit 77; chmod 755 '%s'; "
		     "setpriv --reuid=65534 --regid=65534 --clear-groups %s layout '%s'",
		  dir, tu_memlens(), p);
	if (r.status != 77) {
		ck_assert_int_eq(r.status, 1);
		ck_assert_ptr_nonnull(strstr(r.err, "Permission denied"));
	}
	tu_run_free(&r);
}
END_TEST

START_TEST(an_empty_file) { expect_error(make_bad("empty", ": > \"$f\""), "empty file"); }
END_TEST

START_TEST(a_shell_script)
{
	expect_error(make_bad("script", "printf '#!/bin/sh\\necho hi\\n' > \"$f\""), "not an ELF file (a script)");
}
END_TEST

START_TEST(a_text_file)
{
	expect_error(make_bad("notes.txt", "echo 'hello, world' > \"$f\""), "not an ELF file");
}
END_TEST

START_TEST(a_fifo_is_refused_without_blocking)
{
	expect_error(make_bad("fifo", "mkfifo \"$f\""), "not a regular file");
}
END_TEST

START_TEST(dev_zero_is_refused) { expect_error("/dev/zero", "not a regular file"); }
END_TEST

START_TEST(truncated_after_the_header)
{
	char cwd[512], sh[1024];
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(sh, sizeof(sh), "head -c 64 '%s/samples/segments' > \"$f\"", cwd);
	expect_error(make_bad("trunc-header", sh), "truncated");
}
END_TEST

START_TEST(truncated_inside_the_elf_header)
{
	char cwd[512], sh[1024];
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(sh, sizeof(sh), "head -c 40 '%s/samples/segments' > \"$f\"", cwd);
	expect_error(make_bad("trunc-ehdr", sh), "truncated");
}
END_TEST

/* Damaged section table, sound program headers: the segments are shown,
 * the damage named, and the exit status is 1. */
static void expect_partial(const char *path, const char *reason)
{
	struct run r = tu_sh(5, "%s layout '%s'", tu_memlens(), path);

	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, reason) != NULL, "want '%s' in %s", reason, r.err);
	ck_assert_msg(strstr(r.out, "Loadable segments") != NULL, "segments not shown: %s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "note: "));
	ck_assert(r.secs < 1.0);
	tu_run_free(&r);
}

START_TEST(truncated_in_the_section_table)
{
	/* the section table starts at e_shoff; cut the file 100 bytes into it */
	const char *p = seg_copy("trunc-sht", "off=$(od -An -tu8 -j40 -N8 \"$f\" | tr -d ' ') && "
					      "truncate -s $((off + 100)) \"$f\"");
	expect_partial(p, "section header table is cut short");
}
END_TEST

START_TEST(section_table_past_the_end)
{
	expect_partial(seg_copy("sht-past", PATCH(40, "\\377\\377\\377\\000")), "section header table is past the end");
}
END_TEST

START_TEST(program_headers_past_the_end)
{
	const char *p = seg_copy("pht-past", PATCH(32, "\\377\\377\\377\\000"));
	struct run r = tu_sh(5, "%s layout '%s'", tu_memlens(), p);

	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "program header table is past the end"));
	ck_assert_ptr_nonnull(strstr(r.out, "Regions")); /* sections still shown */
	tu_run_free(&r);
}
END_TEST

START_TEST(absurd_e_shnum) { expect_partial(seg_copy("shnum", PATCH(60, "\\350\\375")), "absurd"); }
END_TEST

START_TEST(absurd_e_phnum)
{
	const char *p = seg_copy("phnum", PATCH(56, "\\350\\375"));
	struct run r = tu_sh(5, "%s layout '%s'", tu_memlens(), p);

	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "program header table has an absurd entry count"));
	tu_run_free(&r);
}
END_TEST

START_TEST(e_shstrndx_out_of_range)
{
	expect_partial(seg_copy("shstrndx", PATCH(62, "\\364\\001")), "e_shstrndx 500 is out of range");
}
END_TEST

START_TEST(section_names_outside_the_string_table)
{
	/* section 1's sh_name, at e_shoff + 64 */
	const char *p = seg_copy("names", "off=$(od -An -tu8 -j40 -N8 \"$f\" | tr -d ' ') && "
					  "printf '\\377\\377\\377\\177' | dd of=\"$f\" bs=1 "
					  "seek=$((off + 64)) conv=notrunc status=none");
	expect_partial(p, "name outside the section name table");
}
END_TEST

START_TEST(overlapping_segments_are_reported_and_drawn)
{
	/* the second PT_LOAD's p_vaddr (phdr 3 in this sample) moved into the first */
	const char *p = seg_copy("overlap", "off=$(od -An -tu8 -j32 -N8 \"$f\" | tr -d ' ') && "
					    "printf '\\000\\001' | dd of=\"$f\" bs=1 "
					    "seek=$((off + 3 * 56 + 16)) conv=notrunc status=none");
	struct run r = tu_sh(5, "%s layout '%s'", tu_memlens(), p);

	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "overlap"));
	ck_assert_ptr_nonnull(strstr(r.out, "high addresses"));
	tu_run_free(&r);
}
END_TEST

START_TEST(a_core_file_is_named)
{
	const char *p = seg_copy("core", PATCH(16, "\\004\\000"));
	struct run r = tu_sh(5, "%s layout '%s'", tu_memlens(), p), g;
	char bin[4096];

	ck_assert_ptr_nonnull(realpath(tu_memlens(), bin));
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "core file"));
	tu_run_free(&r);
	/* a real one, when gdb's gcore is here */
	g = tu_sh(30, "command -v gcore >/dev/null || exit 77; cd '%s'; sleep 20 & pid=$!; "
		      "gcore -o real-core $pid >/dev/null 2>&1; kill $pid; wait $pid 2>/dev/null; "
		      "[ -f real-core.$pid ] || exit 77; "
		      "%s layout real-core.$pid", dir, bin);
	if (g.status != 77) {
		ck_assert_int_eq(g.status, 0);
		ck_assert_ptr_nonnull(strstr(g.out, "core file"));
	}
	tu_run_free(&g);
}
END_TEST

START_TEST(json_parses_with_the_schema_fields)
{
	struct run r = tu_sh(20, "command -v python3 >/dev/null || exit 77; %s layout --json samples/segments | "
				 "python3 -c 'import json,sys\n"
				 "d = json.load(sys.stdin)\n"
				 "for k in (\"class\",\"endian\",\"machine\",\"type\",\"interp\",\"entry\",\"stripped\",\"debug_info\"): d[\"file\"][k]\n"
				 "for s in d[\"segments\"]: [s[k] for k in (\"vaddr\",\"memsz\",\"filesz\",\"flags\",\"sections\")]\n"
				 "for s in d[\"sections\"]: [s[k] for k in (\"name\",\"addr\",\"size\",\"type\",\"flags\",\"region\")]\n"
				 "for s in d[\"symbols\"]: [s[k] for k in (\"name\",\"addr\",\"size\",\"section\",\"region\",\"bind\",\"own\")]\n"
				 "assert all(type(s[\"addr\"]) is int for s in d[\"symbols\"])\n"
				 "t = d[\"totals\"]; print(t[\"text\"], t[\"data\"], t[\"bss\"])\n"
				 "c = [s for s in d[\"symbols\"] if s.get(\"scope\") == \"tally\" and s.get(\"source_name\") == \"count\"]\n"
				 "assert c and c[0][\"region\"] == \"bss\"\n"
				 "'", tu_memlens());
	struct run z = tu_sh(10, "size samples/segments | tail -n 1 | awk '{print $1, $2, $3}'");

	if (r.status != 77) {
		ck_assert_msg(r.status == 0, "python says: %s", r.err);
		ck_assert_str_eq(r.out, z.out);
	}
	tu_run_free(&r);
	tu_run_free(&z);
}
END_TEST

START_TEST(text_fits_80_columns_without_colour_off_a_tty)
{
	static const char *files[] = { "samples/segments", "samples/cpp_new", "/bin/ls",
				       "/usr/bin/python3" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct run r;
		if (access(files[i], R_OK) != 0)
			continue;
		r = tu_sh(10, "LC_ALL=C.UTF-8 %s layout %s", tu_memlens(), files[i]);
		int col = 0;

		ck_assert_int_eq(r.status, 0);
		ck_assert_ptr_null(strchr(r.out, '\033'));
		for (const unsigned char *p = (const unsigned char *)r.out; *p; p++) {
			if (*p == '\n')
				col = 0;
			else if ((*p & 0xc0) != 0x80) /* count characters, not bytes */
				ck_assert_msg(++col <= 80, "%s: a line is wider than 80 columns", files[i]);
		}
		tu_run_free(&r);
	}
}
END_TEST

/* Colour only on a terminal, never with NO_COLOR (script(1) gives a pty). */
START_TEST(colour_on_a_tty_unless_no_color)
{
	struct run a = tu_sh(10, "command -v script >/dev/null || exit 77; "
				 "script -qec '%s layout samples/segments' /dev/null", tu_memlens());
	struct run b = tu_sh(10, "command -v script >/dev/null || exit 77; "
				 "NO_COLOR=1 script -qec '%s layout samples/segments' /dev/null", tu_memlens());

	if (a.status != 77) {
		ck_assert_int_eq(a.status, 0);
		ck_assert_ptr_nonnull(strstr(a.out, "\033["));
		ck_assert_int_eq(b.status, 0);
		ck_assert_ptr_null(strstr(b.out, "\033["));
	}
	tu_run_free(&a);
	tu_run_free(&b);
}
END_TEST

/* The picture puts high addresses on top: its address labels descend, and
 * the ASCII fallback is used outside a UTF-8 locale. */
START_TEST(picture_has_high_addresses_on_top)
{
	struct run r = tu_sh(10, "LC_ALL=C %s layout samples/segments", tu_memlens());
	char *p = strstr(r.out, "high addresses"), *end = strstr(r.out, "low addresses");
	uint64_t last = UINT64_MAX;
	int labels = 0;

	ck_assert_int_eq(r.status, 0);
	ck_assert(p && end && p < end);
	ck_assert_ptr_null(strstr(r.out, "\xe2\x94")); /* no box-drawing bytes */
	for (char *l = strchr(p, '\n'); l && l < end; l = strchr(l + 1, '\n')) {
		uint64_t a;
		if (sscanf(l + 1, " 0x%" SCNx64 " +", &a) == 1) {
			ck_assert_msg(a <= last, "address 0x%" PRIx64 " below a lower one", a);
			last = a;
			labels++;
		}
	}
	ck_assert_int_ge(labels, 6);
	ck_assert_ptr_nonnull(strstr(r.out, "gap of"));
	/* the static local count.0 by its source name, under its function */
	ck_assert_ptr_nonnull(strstr(r.out, "  count  "));
	ck_assert_ptr_nonnull(strstr(strstr(r.out, "  count  "), "static in tally()\n"));
	tu_run_free(&r);
}
END_TEST

/* The text report's last line is size(1)'s numbers, for every sample. */
static const char *const report_files[] = {
	"samples/segments", "samples/static_vs_dynamic", "samples/malloc_vs_calloc",
	"samples/linked_list", "samples/recursion", "samples/dynamic_array", "samples/leak",
	"samples/fragmentation", "samples/big_alloc", "samples/double_free", "samples/threads",
	"samples/cpp_new",
};

START_TEST(report_totals_equal_size)
{
	const char *f = report_files[_i];
	struct run r = tu_sh(10, "%s layout %s | tail -n 1 | awk '{print $1, $2, $3, $4, $5}'",
			     tu_memlens(), f);
	struct run z = tu_sh(10, "size %s | tail -n 1 | awk '{print $1, $2, $3, $4, $5}'", f);

	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, z.out);
	tu_run_free(&r);
	tu_run_free(&z);
}
END_TEST

static Suite *layout_suite(void)
{
	Suite *s = suite_create("layout");
	TCase *bad = tcase_create("bad input");
	TCase *out = tcase_create("output");

	tcase_add_checked_fixture(bad, setup, teardown);
	tcase_add_test(bad, missing_file);
	tcase_add_test(bad, a_directory);
	tcase_add_test(bad, no_read_permission);
	tcase_add_test(bad, an_empty_file);
	tcase_add_test(bad, a_shell_script);
	tcase_add_test(bad, a_text_file);
	tcase_add_test(bad, a_fifo_is_refused_without_blocking);
	tcase_add_test(bad, dev_zero_is_refused);
	tcase_add_test(bad, truncated_after_the_header);
	tcase_add_test(bad, truncated_inside_the_elf_header);
	tcase_add_test(bad, truncated_in_the_section_table);
	tcase_add_test(bad, section_table_past_the_end);
	tcase_add_test(bad, program_headers_past_the_end);
	tcase_add_test(bad, absurd_e_shnum);
	tcase_add_test(bad, absurd_e_phnum);
	tcase_add_test(bad, e_shstrndx_out_of_range);
	tcase_add_test(bad, section_names_outside_the_string_table);
	tcase_add_test(bad, overlapping_segments_are_reported_and_drawn);
	tcase_add_test(bad, a_core_file_is_named);
	tcase_set_timeout(bad, 60);
	tcase_add_test(out, json_parses_with_the_schema_fields);
	tcase_add_loop_test(out, report_totals_equal_size, 0,
			    (int)(sizeof(report_files) / sizeof(report_files[0])));
	tcase_add_test(out, text_fits_80_columns_without_colour_off_a_tty);
	tcase_add_test(out, colour_on_a_tty_unless_no_color);
	tcase_add_test(out, picture_has_high_addresses_on_top);
	suite_add_tcase(s, bad);
	suite_add_tcase(s, out);
	return s;
}

int main(void)
{
	return tu_main(layout_suite());
}
