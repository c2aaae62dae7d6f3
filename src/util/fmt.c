/* fmt: human-readable sizes. */
#include "util/fmt.h"

#include <inttypes.h>
#include <stdio.h>

char *fmt_size(char *buf, uint64_t n)
{
	static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)n;
	int u = 0;

	if (n < 1024) {
		snprintf(buf, FMT_SIZE_LEN, "%" PRIu64 " B", n);
		return buf;
	}
	while (v >= 1024.0 && u < 6) {
		v /= 1024.0;
		u++;
	}
	if (v < 10.0)
		snprintf(buf, FMT_SIZE_LEN, "%.1f %s", v, unit[u]);
	else
		snprintf(buf, FMT_SIZE_LEN, "%.0f %s", v, unit[u]);
	return buf;
}
