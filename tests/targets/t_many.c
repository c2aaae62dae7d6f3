/* t_many N: makes N tiny malloc/free pairs (default 10,000,000), then one
 * 10 GB malloc that must fail inside the program: the address space is
 * limited to 1 GiB first, so memlens itself is never asked for it.  A
 * tracer must count N+1 mallocs (the last returning NULL) and N frees,
 * dropping none, and its own memory must stay bounded.  Exits 0 when the
 * 10 GB request failed as expected. */
#include <stdlib.h>
#include <sys/resource.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000L;
	struct rlimit rl = { 1UL << 30, 1UL << 30 };

	for (long i = 0; i < n; i++) {
		char *volatile p = malloc(8);
		p[0] = (char)i;
		free(p);
	}
	setrlimit(RLIMIT_AS, &rl);
	void *volatile big = malloc(10UL << 30);
	return big == NULL ? 0 : 1;
}
