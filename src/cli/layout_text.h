/* layout_text: the text form of `memlens layout`: file facts, segments,
 * regions with the program's own objects, a picture of the address space
 * (high addresses on top) and size(1)'s totals. */
#ifndef MEMLENS_CLI_LAYOUT_TEXT_H
#define MEMLENS_CLI_LAYOUT_TEXT_H

#include <stdbool.h>
#include <stdio.h>

#include "elf/elfmap.h"

struct layout_style {
	bool color; /* ANSI colours: only on a terminal and without NO_COLOR */
	bool utf8;  /* box-drawing characters; ASCII otherwise */
	int width;  /* columns to fit in (80) */
};

/* Prints the whole map of `m` on `f`. */
void layout_print_text(FILE *f, const struct elfmap *m, const struct layout_style *st);

/* Prints the address-space picture alone (layout_picture.c). */
void layout_print_picture(FILE *f, const struct elfmap *m, const struct layout_style *st);

/* The ANSI colour of a region and the reset sequence ("" without colour). */
const char *layout_color(enum elfmap_region r, const struct layout_style *st);
const char *layout_reset(const struct layout_style *st);

#endif
