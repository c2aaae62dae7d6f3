/* fmt: numbers as a student reads them: sizes in B/KiB/MiB/GiB. */
#ifndef MEMLENS_UTIL_FMT_H
#define MEMLENS_UTIL_FMT_H

#include <stdint.h>

#define FMT_SIZE_LEN 16

/* Writes `n` bytes as "40 B", "4.1 KiB", "12 MiB" into `buf` (at least
 * FMT_SIZE_LEN bytes) and returns `buf`. */
char *fmt_size(char *buf, uint64_t n);

#endif
