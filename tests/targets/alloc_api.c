/* alloc_api: drives the malloc family through its public names, for
 * check_shim.  Modes:
 *   api       checks glibc's documented behaviour; prints PASS/FAIL lines
 *             (no addresses, so a plain and a preloaded run print the same)
 *   events    closes every fd above 2, then makes known calls and prints
 *             "malloc 1234 = ADDR" so the test can match the records
 *   misuse    a double free, a stack free, a realloc of a freed block
 *   many N    N pairs of malloc(777)/free
 *   fork      allocates, forks a child that allocates 1000 times, waits
 *   exec      malloc(4242), then execs itself with "many 10"
 *   forks     3 threads allocate while the main thread forks 300 children
 *             that allocate and exit; prints how many exited cleanly
 *   threads   200 short-lived threads, 8 at a time, each malloc(333)/free x50 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int fails;
static volatile size_t half = SIZE_MAX / 2, all = SIZE_MAX; /* hide them from gcc's checks */

static void check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "PASS" : "FAIL", what);
	fails += !ok;
}

static void api(void)
{
	void *volatile p;
	void *q;
	char name[64];

	p = malloc(0);
	check(p != NULL, "malloc(0) gives a pointer");
	free(p);
	free(NULL);
	check(1, "free(NULL) does nothing");
	p = realloc(NULL, 10);
	check(p != NULL && (uintptr_t)p % 16 == 0, "realloc(NULL, n) is malloc(n)");
	check(realloc(p, 0) == NULL, "realloc(p, 0) frees and gives NULL");
	errno = 0;
	check(calloc(half, 3) == NULL && errno == ENOMEM, "calloc overflow: NULL, ENOMEM");
	errno = 0;
	check(reallocarray(NULL, half, 3) == NULL && errno == ENOMEM, "reallocarray overflow: NULL, ENOMEM");
	errno = 0;
	check(malloc(all) == NULL && errno == ENOMEM, "malloc(SIZE_MAX): NULL, ENOMEM");
	check(posix_memalign(&q, 3, 10) == EINVAL, "posix_memalign(3): EINVAL");
	check(posix_memalign(&q, 4, 10) == EINVAL, "posix_memalign(4): EINVAL");
	for (size_t a = 8; a <= (1u << 20); a <<= 1) {
		int ok = 1;
		for (size_t n = 1; n < 300000; n = n * 7 + 3) {
			void *x = NULL, *y, *z;
			ok &= posix_memalign(&x, a, n) == 0 && (uintptr_t)x % a == 0;
			y = aligned_alloc(a, n);
			z = memalign(a, n);
			ok &= y && (uintptr_t)y % a == 0 && z && (uintptr_t)z % a == 0;
			ok &= malloc_usable_size(x) >= n && malloc_usable_size(y) >= n;
			memset(x, 1, n);
			memset(y, 2, n);
			memset(z, 3, n);
			free(x);
			free(y);
			free(z);
		}
		snprintf(name, sizeof(name), "alignment %zu for every memalign call", a);
		check(ok, name);
	}
	p = memalign(24, 10);
	check(p && (uintptr_t)p % 32 == 0, "memalign(24) rounds up to 32");
	free(p);
	long page = sysconf(_SC_PAGESIZE);
	p = valloc(1);
	check(p && (uintptr_t)p % (uintptr_t)page == 0, "valloc is page aligned");
	free(p);
	p = pvalloc(1);
	check(p && (uintptr_t)p % (uintptr_t)page == 0 && malloc_usable_size(p) >= (size_t)page,
	      "pvalloc rounds to a page");
	free(p);
	char *s = malloc(100);
	for (int i = 0; i < 100; i++)
		s[i] = (char)i;
	s = realloc(s, 100000);
	int same = 1;
	for (int i = 0; i < 100; i++)
		same &= s[i] == (char)i;
	s = realloc(s, 50);
	for (int i = 0; i < 50; i++)
		same &= s[i] == (char)i;
	check(same, "realloc keeps the contents");
	free(s);
	unsigned char *z = calloc(1000, 1);
	int zero = 1;
	for (int i = 0; i < 1000; i++)
		zero &= z[i] == 0;
	check(zero, "calloc zeroes");
	free(z);
}

static atomic_int stop;

static void *churn(void *arg)
{
	unsigned x = (unsigned)(uintptr_t)arg;

	while (!atomic_load(&stop)) {
		x = x * 1103515245u + 12345u;
		void *volatile p = malloc(x % 5000);
		free(p);
	}
	return NULL;
}

static void forks(void)
{
	pthread_t t[3];
	int ok = 0;

	for (uintptr_t i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, churn, (void *)(i + 1));
	for (int i = 0; i < 300; i++) {
		pid_t c = fork();
		if (c == 0) {
			for (int k = 0; k < 100; k++) {
				void *volatile p = malloc((size_t)k * 10);
				free(p);
			}
			_exit(0);
		}
		int st = 0;
		if (c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	printf("forks %d ok\n", ok);
}

static void *short_lived(void *arg)
{
	(void)arg;
	for (int i = 0; i < 50; i++) {
		void *volatile p = malloc(333);
		free(p);
	}
	return NULL;
}

static void threads(void)
{
	for (int round = 0; round < 25; round++) {
		pthread_t t[8];
		for (int i = 0; i < 8; i++)
			pthread_create(&t[i], NULL, short_lived, NULL);
		for (int i = 0; i < 8; i++)
			pthread_join(t[i], NULL);
	}
	printf("threads 200 done\n");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "api";

	setvbuf(stdout, NULL, _IONBF, 0); /* no stdio buffer: fewer allocations */
	if (!strcmp(mode, "api")) {
		api();
	} else if (!strcmp(mode, "events")) {
		for (int fd = 3; fd < 1024; fd++)
			close(fd); /* hostile: the ring's fd goes, its mapping stays */
		void *volatile p = malloc(1234);
		printf("malloc 1234 = %p\n", p);
		free(p);
		void *volatile c = calloc(3, 100);
		printf("calloc 3 100 = %p\n", c);
		c = realloc(c, 5000);
		printf("realloc 5000 = %p\n", c);
		free(c);
		void *volatile big = malloc(300000);
		printf("malloc 300000 = %p\n", big);
		free(big);
		void *a = NULL;
		posix_memalign(&a, 256, 10);
		printf("posix_memalign 256 = %p\n", a);
		free(a);
	} else if (!strcmp(mode, "misuse")) {
		char local[32];
		void *volatile p = malloc(40);
		free(p);
		free(p);
		char *volatile bad = local;
		free(bad);
		p = realloc(p, 10);
		printf("survived %p\n", p);
	} else if (!strcmp(mode, "many")) {
		long n = argc > 2 ? atol(argv[2]) : 1000;
		for (long i = 0; i < n; i++) {
			void *volatile p = malloc(777);
			free(p);
		}
		printf("done %ld\n", n);
	} else if (!strcmp(mode, "threads")) {
		threads();
	} else if (!strcmp(mode, "forks")) {
		forks();
	} else if (!strcmp(mode, "exec")) {
		void *volatile p = malloc(4242);
		(void)p;
		execl("/proc/self/exe", argv[0], "many", "10", (char *)NULL);
		return 2;
	} else if (!strcmp(mode, "fork")) {
		void *volatile p = malloc(100);
		pid_t c = fork();
		if (c == 0) {
			for (int i = 0; i < 1000; i++) {
				void *volatile q = malloc(55);
				free(q);
			}
			_exit(7);
		}
		int st = 0;
		waitpid(c, &st, 0);
		free(p);
		printf("child %s %d\n", WIFEXITED(st) ? "exit" : "signal",
		       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
	return fails ? 1 : 0;
}
