/* check_elf_swap: makes a big-endian ELF64 from a little-endian one for
 * the tests: the ELF header, program and section headers, symbol tables
 * and the dynamic section are byte-swapped, e_machine becomes PowerPC64.
 * The debug info is removed first (its contents would stay little-endian). */
#ifndef MEMLENS_CHECK_ELF_SWAP_H
#define MEMLENS_CHECK_ELF_SWAP_H

#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void swap_n(unsigned char *p, int n)
{
	for (int i = 0; i < n / 2; i++) {
		unsigned char t = p[i];
		p[i] = p[n - 1 - i];
		p[n - 1 - i] = t;
	}
}

/* Swaps consecutive fields of the given widths starting at p. */
static void swap_fields(unsigned char *p, const int *w)
{
	for (; *w; p += *w, w++)
		swap_n(p, *w);
}

static int swap_elf64(const char *in, const char *out)
{
	static const int ehdr[] = { 2, 2, 4, 8, 8, 8, 4, 2, 2, 2, 2, 2, 2, 0 };
	static const int phdr[] = { 4, 4, 8, 8, 8, 8, 8, 8, 0 };
	static const int shdr[] = { 4, 4, 8, 8, 8, 8, 4, 4, 8, 8, 0 };
	static const int sym[] = { 4, 1, 1, 2, 8, 8, 0 };
	static const int dyn[] = { 8, 8, 0 };
	char cmd[1024], tmp[512];
	unsigned char *d;
	Elf64_Ehdr eh;
	FILE *f;
	long n;

	snprintf(tmp, sizeof(tmp), "%s.nodebug", out);
	snprintf(cmd, sizeof(cmd), "objcopy --strip-debug '%s' '%s'", in, tmp);
	if (system(cmd) != 0 || !(f = fopen(tmp, "rb")))
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	d = malloc((size_t)n);
	if (!d || fread(d, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(d);
		return -1;
	}
	fclose(f);
	memcpy(&eh, d, sizeof(eh));
	for (int i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh;
		const int *w = NULL;
		memcpy(&sh, d + eh.e_shoff + (size_t)i * sizeof(sh), sizeof(sh));
		if (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM)
			w = sym;
		else if (sh.sh_type == SHT_DYNAMIC)
			w = dyn;
		for (uint64_t o = 0; w && sh.sh_entsize && o + sh.sh_entsize <= sh.sh_size; o += sh.sh_entsize)
			swap_fields(d + sh.sh_offset + o, w);
		swap_fields(d + eh.e_shoff + (size_t)i * sizeof(sh), shdr);
	}
	for (int i = 0; i < eh.e_phnum; i++)
		swap_fields(d + eh.e_phoff + (size_t)i * sizeof(Elf64_Phdr), phdr);
	d[EI_DATA] = ELFDATA2MSB;
	((Elf64_Ehdr *)d)->e_machine = EM_PPC64;
	swap_fields(d + EI_NIDENT, ehdr);
	f = fopen(out, "wb");
	if (!f || fwrite(d, 1, (size_t)n, f) != (size_t)n) {
		if (f)
			fclose(f);
		free(d);
		return -1;
	}
	fclose(f);
	free(d);
	remove(tmp);
	return 0;
}

#endif
