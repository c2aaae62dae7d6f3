/* workload: the allocator benchmark's program.  N (default 2M) mixed
 * malloc/calloc/realloc/free calls over a bounded live set of 4096 slots,
 * sizes 16 B - 4 KiB plus one in 500 of 256 KiB - 1 MiB; it writes into
 * every block and prints a checksum so nothing is optimised away. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define SLOTS 4096

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t pick_size(void)
{
	uint64_t r = next();

	if (r % 500 == 0)
		return (256u << 10) + (size_t)(r >> 20) % (768u << 10);
	return 16 + (size_t)(r >> 16) % (r & 1 ? 256 : 4096);
}

static void touch(unsigned char *p, size_t n, uint64_t v)
{
	memset(p, (int)(v & 0xff), n < 128 ? n : 128);
	p[n - 1] = (unsigned char)v;
}

int main(int argc, char **argv)
{
	long ops = argc > 1 ? atol(argv[1]) : 2000000;
	static unsigned char *slot[SLOTS];
	static size_t size[SLOTS];
	uint64_t sum = 0;
	struct rusage ru;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);

	for (long i = 0; i < ops; i++) {
		uint64_t r = next();
		unsigned s = (unsigned)(r % SLOTS);
		if (slot[s]) {
			sum += slot[s][0] + slot[s][size[s] - 1];
			if ((r >> 40) % 4 == 0) { /* realloc */
				size_t n = pick_size();
				unsigned char *q = realloc(slot[s], n);
				if (!q)
					return 1;
				slot[s] = q;
				size[s] = n;
				touch(q, n, r);
			} else {
				free(slot[s]);
				slot[s] = NULL;
			}
		} else {
			size_t n = pick_size();
			slot[s] = (r >> 40) % 3 == 0 ? calloc(1, n) : malloc(n);
			if (!slot[s])
				return 1;
			size[s] = n;
			if ((r >> 40) % 3 == 0)
				sum += slot[s][n / 2] + 1; /* calloc: a zero */
			touch(slot[s], n, r);
		}
	}
	for (unsigned s = 0; s < SLOTS; s++)
		free(slot[s]);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	printf("checksum %llu\n", (unsigned long long)sum);
	fprintf(stderr, "maxrss_kib %ld\n", ru.ru_maxrss);
	fprintf(stderr, "wall_ms %.1f\n", (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	fprintf(stderr, "cpu_ms %.1f\n", (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3);
	return 0;
}
