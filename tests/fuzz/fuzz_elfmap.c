/* fuzz_elfmap: libFuzzer target for the ELF loader.  Every input goes
 * through the whole loader (headers, sections, symbols, DWARF names) and the
 * JSON writer, and the lookups others call are exercised. */
#include <stdint.h>
#include <stdio.h>

#include "elf/elfmap.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = { 0 };
	struct elfmap *m = elfmap_open_mem("fuzz", data, size, &e);
	static FILE *sink;
	uint64_t addrs[8];
	size_t n;

	if (!m)
		return 0;
	if (!sink)
		sink = fopen("/dev/null", "w");
	if (sink) {
		struct json j;
		json_init(&j, sink);
		elfmap_write_json(&j, m);
		json_line_end(&j);
	}
	elfmap_find_func(m, "malloc", addrs, 8);
	elfmap_symbol_at(m, elfmap_facts(m)->entry);
	elfmap_symbols(m, &n);
	if (n)
		elfmap_symbol_at(m, elfmap_symbols(m, &n)[n / 2].addr + 1);
	elfmap_section_at(m, elfmap_facts(m)->entry);
	elfmap_close(m);
	return 0;
}
