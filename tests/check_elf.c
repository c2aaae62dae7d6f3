/* check_elf: the ELF loader (src/elf/) against the tools people trust:
 * size(1)'s Berkeley totals, readelf -SW's section table, the regions the
 * samples' sources state, the lookups the tracer uses, other classes and
 * byte orders, and every fuzzer-found input kept in tests/fuzz/regress/. */
#include "testutil.h"

#include <dirent.h>
#include <inttypes.h>

#include "elf/elfmap.h"

static const char *samples[] = {
	"samples/segments", "samples/static_vs_dynamic", "samples/malloc_vs_calloc",
	"samples/linked_list", "samples/recursion", "samples/dynamic_array", "samples/leak",
	"samples/fragmentation", "samples/big_alloc", "samples/double_free", "samples/threads",
	"samples/cpp_new", "/bin/ls", "/usr/bin/python3",
};
#define NSAMPLES (int)(sizeof(samples) / sizeof(samples[0]))

static struct elfmap *open_ok(const char *path)
{
	struct err e = { 0 };
	struct elfmap *m = elfmap_open(path, &e);

	ck_assert_msg(m != NULL, "%s: %s", path, e.msg);
	ck_assert_msg(!elfmap_damaged(m), "%s: damaged: %s", path, elfmap_damage(m));
	return m;
}

/* A temporary directory for files the tests make; removed by the shell. */
static char tmpdir[64];
static void make_tmpdir(void)
{
	strcpy(tmpdir, "/tmp/memlens-check-elf-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}
static void rm_tmpdir(void)
{
	struct run r = tu_sh(10, "rm -rf '%s'", tmpdir);
	tu_run_free(&r);
}

static void assert_totals_match_size(const char *path)
{
	struct run r = tu_sh(20, "size '%s' | tail -n 1", path);
	unsigned long long t, d, b;
	struct elfmap_totals tot;
	struct elfmap *m;

	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(sscanf(r.out, "%llu %llu %llu", &t, &d, &b), 3);
	m = open_ok(path);
	elfmap_totals(m, &tot);
	ck_assert_msg(tot.text == t && tot.data == d && tot.bss == b,
		      "%s: ours %" PRIu64 "/%" PRIu64 "/%" PRIu64 ", size says %llu/%llu/%llu",
		      path, tot.text, tot.data, tot.bss, t, d, b);
	elfmap_close(m);
	tu_run_free(&r);
}

START_TEST(totals_equal_size)
{
	const char *path = samples[_i];

	if (access(path, R_OK) != 0)
		return; /* a system binary that is not installed here */
	assert_totals_match_size(path);
}
END_TEST

/* Every allocated section in readelf -SW is ours, with the same address
 * and size, and we have no others. */
START_TEST(sections_equal_readelf)
{
	const char *path = samples[_i];
	struct run r;
	struct elfmap *m;
	const struct elfmap_section *s;
	size_t ns, seen = 0;

	if (access(path, R_OK) != 0)
		return;
	r = tu_sh(20, "readelf -SW '%s'", path);
	ck_assert_int_eq(r.status, 0);
	m = open_ok(path);
	s = elfmap_sections(m, &ns);
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
		char name[256], type[64], flags[32];
		unsigned long long addr, off, size, es;
		char *p = strchr(line, ']');
		bool found = false;

		if (!strstr(line, "[") || !p ||
		    sscanf(p + 1, "%255s %63s %llx %llx %llx %llx %31s", name, type, &addr, &off,
			   &size, &es, flags) != 7)
			continue;
		if (!strchr(flags, 'A'))
			continue;
		for (size_t i = 0; i < ns && !found; i++)
			found = strcmp(s[i].name, name) == 0 && s[i].addr == addr && s[i].size == size;
		ck_assert_msg(found, "%s: section %s 0x%llx size %llu from readelf not found", path,
			      name, addr, size);
		seen++;
	}
	ck_assert_uint_eq(seen, ns);
	elfmap_close(m);
	tu_run_free(&r);
}
END_TEST

static const struct elfmap_symbol *find_obj(const struct elfmap *m, const char *src, const char *scope)
{
	size_t n;
	const struct elfmap_symbol *s = elfmap_symbols(m, &n);

	for (size_t i = 0; i < n; i++)
		if (s[i].type != ELFMAP_SYM_FUNC && strcmp(s[i].source_name, src) == 0 &&
		    (scope ? s[i].scope && strcmp(s[i].scope, scope) == 0 : s[i].scope == NULL))
			return &s[i];
	return NULL;
}

/* What samples/segments.c states in its comments, object by object. */
static void assert_segments_regions(struct elfmap *m, const char *path)
{
	static const struct { const char *name, *scope; enum elfmap_region r; size_t size; } want[] = {
		{ "initialised", NULL, ELFMAP_R_DATA, 4 },     /* int initialised = 10; */
		{ "uninitialised", NULL, ELFMAP_R_BSS, 4 },    /* int uninitialised; */
		{ "answer", NULL, ELFMAP_R_RODATA, 4 },        /* const int answer = 42; */
		{ "ratio", NULL, ELFMAP_R_DATA, 8 },           /* static double ratio = 1.5; */
		{ "buffer", NULL, ELFMAP_R_BSS, 4096 },        /* static char buffer[4096]; */
		{ "count", "tally", ELFMAP_R_BSS, 4 },         /* static int count = 0; in tally() */
		{ "calls", "tally", ELFMAP_R_DATA, 4 },        /* static int calls = 5; in tally() */
	};
	struct elfmap_totals t;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct elfmap_symbol *s = find_obj(m, want[i].name, want[i].scope);
		ck_assert_msg(s != NULL, "%s: %s not found", path, want[i].name);
		ck_assert_msg(s->region == want[i].r, "%s: %s in %s", path, want[i].name,
			      elfmap_region_name(s->region));
		ck_assert_uint_eq(s->size, want[i].size);
		ck_assert_msg(s->own, "%s: %s is not marked as the program's own", path, want[i].name);
	}
	elfmap_totals(m, &t);
	ck_assert_uint_ge(t.strings, 1); /* "hello, segments" */
}

START_TEST(segments_objects_in_stated_regions)
{
	struct elfmap *m = open_ok("samples/segments");
	assert_segments_regions(m, "samples/segments");
	elfmap_close(m);
}
END_TEST

/* A static build: the program's objects apart from the C library's, and
 * malloc found for breakpoints, deduplicated. */
START_TEST(static_binary_own_objects_and_malloc)
{
	char bin[128];
	struct run r, re;
	struct elfmap *m;
	uint64_t addrs[16];
	size_t n, nsym, own = 0, lib = 0;
	const struct elfmap_symbol *s;
	const struct elfmap_symbol *at;

	make_tmpdir();
	snprintf(bin, sizeof(bin), "%s/static", tmpdir);
	r = tu_sh(60, "cc -O0 -g -static -o %s samples/segments.c", bin);
	if (r.status != 0) { /* no static libc here */
		tu_run_free(&r);
		rm_tmpdir();
		return;
	}
	m = open_ok(bin);
	ck_assert_int_eq(elfmap_facts(m)->type, ELFMAP_STATIC);
	ck_assert_ptr_null(elfmap_facts(m)->interp);
	assert_segments_regions(m, bin);
	assert_totals_match_size(bin);
	s = elfmap_symbols(m, &nsym);
	for (size_t i = 0; i < nsym; i++)
		if (s[i].type != ELFMAP_SYM_FUNC)
			s[i].own ? own++ : lib++;
	ck_assert_uint_eq(own, 7);  /* exactly the seven the source defines */
	ck_assert_uint_gt(lib, 100); /* the C library's */
	n = elfmap_find_func(m, "malloc", addrs, 16);
	ck_assert_uint_eq(n, 1);
	re = tu_sh(20, "readelf -sW %s | awk '$8 == \"malloc\" && $4 == \"FUNC\" {print $2}' | sort -u", bin);
	ck_assert_uint_eq(strtoull(re.out, NULL, 16), addrs[0]);
	at = elfmap_symbol_at(m, addrs[0] + 1);
	ck_assert_ptr_nonnull(at);
	ck_assert_uint_eq(at->addr, addrs[0]);
	ck_assert_uint_eq(elfmap_find_func(m, "no_such_function_here", addrs, 16), 0);
	elfmap_close(m);
	tu_run_free(&r);
	tu_run_free(&re);
	rm_tmpdir();
}
END_TEST

START_TEST(symbol_at_names_functions_and_objects)
{
	struct elfmap *m = open_ok("samples/segments");
	const struct elfmap_symbol *buf = find_obj(m, "buffer", NULL), *main_, *at;
	uint64_t a[4];

	ck_assert_uint_eq(elfmap_find_func(m, "main", a, 4), 1);
	main_ = elfmap_symbol_at(m, a[0] + 10);
	ck_assert_str_eq(main_->name, "main");
	at = elfmap_symbol_at(m, buf->addr + 100); /* inside the array */
	ck_assert_str_eq(at->name, "buffer");
	ck_assert_ptr_null(elfmap_symbol_at(m, 0x7fffffff0000ull));
	ck_assert_str_eq(elfmap_section_at(m, buf->addr)->name, ".bss");
	elfmap_close(m);
}
END_TEST

START_TEST(file_facts_of_a_pie)
{
	struct elfmap *m = open_ok("samples/segments");
	const struct elfmap_facts *f = elfmap_facts(m);
	struct run r = tu_sh(10, "readelf -h samples/segments | awk '/Entry/ {print $4}'");

	ck_assert_int_eq(f->elfclass, 64);
	ck_assert(!f->big_endian);
	ck_assert_str_eq(f->machine_name, "x86-64");
	ck_assert_int_eq(f->type, ELFMAP_PIE);
	ck_assert_str_eq(f->interp, "/lib64/ld-linux-x86-64.so.2");
	ck_assert_uint_eq(f->entry, strtoull(r.out, NULL, 16));
	ck_assert(!f->stripped);
	ck_assert(f->debug_info);
	ck_assert(f->has_gnu_stack && !f->exec_stack);
	elfmap_close(m);
	tu_run_free(&r);
}
END_TEST

/* 32-bit: built with cc -m32 when the compiler can (no libc needed). */
START_TEST(reads_a_32_bit_file)
{
	char bin[128];
	struct run r;
	struct elfmap *m;

	make_tmpdir();
	snprintf(bin, sizeof(bin), "%s/t32", tmpdir);
	r = tu_sh(60, "printf 'int g = 1; int b; const int c = 3;\\n"
		      "int main(void) { return g + b + c; }\\n' > %s.c && "
		      "cc -m32 -O0 -g -nostdlib -static -no-pie -Wl,-e,main -o %s %s.c", bin, bin, bin);
	if (r.status == 0) {
		m = open_ok(bin);
		ck_assert_int_eq(elfmap_facts(m)->elfclass, 32);
		ck_assert_str_eq(elfmap_facts(m)->machine_name, "Intel 80386");
		ck_assert_int_eq(find_obj(m, "g", NULL)->region, ELFMAP_R_DATA);
		ck_assert_int_eq(find_obj(m, "b", NULL)->region, ELFMAP_R_BSS);
		ck_assert_int_eq(find_obj(m, "c", NULL)->region, ELFMAP_R_RODATA);
		assert_totals_match_size(bin);
		elfmap_close(m);
	}
	tu_run_free(&r);
	rm_tmpdir();
}
END_TEST

/* Thread-local variables land in tdata and tbss, at their template
 * address; a static local in main() is named from DWARF. */
START_TEST(thread_locals_in_tdata_and_tbss)
{
	char bin[128];
	struct run r;
	struct elfmap *m;

	make_tmpdir();
	snprintf(bin, sizeof(bin), "%s/tls", tmpdir);
	r = tu_sh(60, "printf '__thread int tcount = 5;\\n__thread char tbuf[100];\\n"
		      "int main(void) { static int hits; return ++hits + tcount + tbuf[1]; }\\n' > %s.c && "
		      "cc -O0 -g -o %s %s.c", bin, bin, bin);
	ck_assert_msg(r.status == 0, "cc: %s", r.err);
	m = open_ok(bin);
	ck_assert(elfmap_facts(m)->has_tls);
	ck_assert_int_eq(find_obj(m, "tcount", NULL)->region, ELFMAP_R_TDATA);
	ck_assert_int_eq(find_obj(m, "tcount", NULL)->type, ELFMAP_SYM_TLS);
	ck_assert_int_eq(find_obj(m, "tbuf", NULL)->region, ELFMAP_R_TBSS);
	ck_assert_uint_eq(find_obj(m, "tbuf", NULL)->size, 100);
	ck_assert_int_eq(find_obj(m, "hits", "main")->region, ELFMAP_R_BSS);
	assert_totals_match_size(bin);
	elfmap_close(m);
	tu_run_free(&r);
	rm_tmpdir();
}
END_TEST

#include "check_elf_swap.h"

/* Big-endian: samples/segments with every header and symbol byte-swapped
 * (and marked PowerPC64) must give the same map. */
START_TEST(reads_a_big_endian_file)
{
	char be[128];
	struct elfmap *a, *b;
	size_t na, nb, sa, sb;
	const struct elfmap_section *x, *y;
	const struct elfmap_symbol *p, *q;

	make_tmpdir();
	snprintf(be, sizeof(be), "%s/segments.be", tmpdir);
	ck_assert_int_eq(swap_elf64("samples/segments", be), 0);
	a = open_ok("samples/segments");
	b = open_ok(be);
	ck_assert(elfmap_facts(b)->big_endian);
	ck_assert_str_eq(elfmap_facts(b)->machine_name, "PowerPC64");
	x = elfmap_sections(a, &na);
	y = elfmap_sections(b, &nb);
	ck_assert_uint_eq(na, nb);
	for (size_t i = 0; i < na; i++) {
		ck_assert_str_eq(x[i].name, y[i].name);
		ck_assert_uint_eq(x[i].addr, y[i].addr);
		ck_assert_uint_eq(x[i].size, y[i].size);
	}
	p = elfmap_symbols(a, &sa);
	q = elfmap_symbols(b, &sb);
	ck_assert_uint_eq(sa, sb);
	for (size_t i = 0; i < sa; i++) {
		ck_assert_str_eq(p[i].name, q[i].name);
		ck_assert_uint_eq(p[i].addr, q[i].addr);
	}
	ck_assert_int_eq(find_obj(b, "uninitialised", NULL)->region, ELFMAP_R_BSS);
	elfmap_close(a);
	elfmap_close(b);
	rm_tmpdir();
}
END_TEST

/* Every crashing input the fuzzer found stays fixed. */
START_TEST(fuzz_regressions_load_without_crashing)
{
	DIR *d = opendir("tests/fuzz/regress");
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		char path[512];
		struct err e = { 0 };
		struct elfmap *m;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "tests/fuzz/regress/%s", de->d_name);
		m = elfmap_open(path, &e);
		ck_assert_msg(m || e.msg[0], "%s: failed without a message", path);
		if (m) {
			uint64_t a[4];
			elfmap_find_func(m, "malloc", a, 4);
			elfmap_symbol_at(m, elfmap_facts(m)->entry);
		}
		elfmap_close(m);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 1);
}
END_TEST

static Suite *elf_suite(void)
{
	Suite *s = suite_create("elf");
	TCase *tc = tcase_create("loader");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, totals_equal_size, 0, NSAMPLES);
	tcase_add_loop_test(tc, sections_equal_readelf, 0, NSAMPLES);
	tcase_add_test(tc, segments_objects_in_stated_regions);
	tcase_add_test(tc, static_binary_own_objects_and_malloc);
	tcase_add_test(tc, symbol_at_names_functions_and_objects);
	tcase_add_test(tc, file_facts_of_a_pie);
	tcase_add_test(tc, reads_a_32_bit_file);
	tcase_add_test(tc, thread_locals_in_tdata_and_tbss);
	tcase_add_test(tc, reads_a_big_endian_file);
	tcase_add_test(tc, fuzz_regressions_load_without_crashing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(elf_suite());
}
