/* check_shim: libmemlens-shim.so preloaded into real programs.  With a
 * ring from this test (as memlens makes one): the records match the calls,
 * in order, none lost even through a tiny ring, misuse becomes error
 * records, step mode traps once per record at the published site; in any
 * other process it stays silent.  With no ring: real programs print exactly
 * what they print without it. */
#include "testutil.h"

#include <limits.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include "ring/ring.h"

#define TARGET "tests/targets/alloc_api"

static char shim[PATH_MAX];
static bool ring_bytes; /* run_traced asks for block contents (RING_MODE_BYTES) */
static bool ring_unpacked; /* run_traced asks for no packed records (RING_MODE_UNPACKED) */
static bool no_aslr;       /* run_traced runs the target with ASLR off */

static void find_shim(void)
{
	ck_assert_msg(realpath("libmemlens-shim.so", shim), "build the shim first (make)");
}

struct traced {
	struct ring *r;
	struct ring_record *rec;
	size_t n, cap;
	int status;     /* exit status, 128+signal, -1 on timeout */
	long traps;     /* step mode: stops at the shim's trap site */
	long trap_mismatch; /* a trap that came without exactly its record */
	char why[256];  /* the first mismatch, in words (for the failure message) */
	char *out;
};

static int keep(const struct ring_record *rec, void *arg)
{
	struct traced *t = arg;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->rec = realloc(t->rec, t->cap * sizeof(*t->rec));
	}
	t->rec[t->n++] = *rec;
	return 0;
}

/* Runs TARGET with the shim and a ring of `capacity` slots whose pid is the
 * child's (or `pid_override` when nonzero), draining while it runs. */
static void run_traced(struct traced *t, const char *alloc, size_t capacity, int step,
		       pid_t pid_override, char *const argv[])
{
	struct err e = { 0 };
	char outp[] = "/tmp/memlens-shim-outXXXXXX";
	int sync[2], fo = mkstemp(outp), st = 0;
	char fdenv[64];
	time_t t0 = time(NULL);
	pid_t pid;

	memset(t, 0, sizeof(*t));
	find_shim();
	t->r = ring_create(capacity, &e);
	ck_assert_msg(t->r, "%s", e.msg);
	ck_assert_int_eq(pipe(sync), 0);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		char c;
		close(sync[1]);
		dup2(fo, 1);
		if (read(sync[0], &c, 1) != 1)
			_exit(126);
		ring_env(t->r, fdenv, sizeof(fdenv));
		putenv(fdenv);
		setenv("LD_PRELOAD", shim, 1);
		setenv(RING_ENV_ALLOC, alloc, 1);
		if (step)
			ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		if (no_aslr)
			personality(ADDR_NO_RANDOMIZE);
		execv(argv[0], argv);
		_exit(127);
	}
	ring_set_pid(t->r, pid_override ? pid_override : pid);
	ring_set_step(t->r, step);
	ring_set_bytes(t->r, ring_bytes);
	ring_set_unpacked(t->r, ring_unpacked);
	close(sync[0]);
	ck_assert_int_eq(write(sync[1], "g", 1), 1);
	close(sync[1]);
	for (;;) {
		/* In step mode drain only at the traps, to see one record each. */
		size_t got = step ? 0 : ring_drain(t->r, 0, keep, t);
		pid_t w = waitpid(pid, &st, step ? 0 : WNOHANG);
		if (w == pid && WIFSTOPPED(st)) {
			int sig = WSTOPSIG(st);
			siginfo_t si;
			struct user_regs_struct regs;
			if (sig == SIGTRAP && ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) == 0 &&
			    si.si_code == SI_KERNEL && ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0 &&
			    regs.rip - 1 == ring_trap_addr(t->r)) {
				size_t before = t->n;
				t->traps++;
				ring_drain(t->r, 0, keep, t);
				if ((t->n != before + 1 || t->n != (size_t)t->traps) &&
				    !t->trap_mismatch++) {
					const struct ring_record *l = t->n ? &t->rec[t->n - 1] : NULL;
					snprintf(t->why, sizeof(t->why),
						 "trap %ld drained %zu records (%zu in all); last: seq %lld kind %d flags 0x%x tid %d",
						 t->traps, t->n - before, t->n, l ? (long long)l->seq : -1LL,
						 l ? l->kind : -1, l ? l->flags : 0u, l ? l->tid : 0);
				}
				sig = 0;
			} else if (sig == SIGTRAP) {
				sig = 0; /* the exec stop */
			}
			ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
			continue;
		}
		if (w == pid) {
			t->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			break;
		}
		if (time(NULL) - t0 > 30) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			t->status = -1;
			break;
		}
		if (!step && !got)
			usleep(200);
	}
	ring_drain(t->r, 0, keep, t); /* what the target wrote last */
	close(fo);
	t->out = tu_slurp(outp);
	unlink(outp);
}

static void traced_free(struct traced *t)
{
	ring_free(t->r);
	free(t->rec);
	free(t->out);
}

static uint64_t printed(const char *out, const char *what)
{
	const char *p = strstr(out, what);
	unsigned long long v = 0;

	if (p)
		sscanf(p + strlen(what), " = %llx", &v);
	return v;
}

static const struct ring_record *find(const struct traced *t, uint16_t kind, uint64_t a0, uint64_t result)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->rec[i].kind == kind && t->rec[i].args[0] == a0 &&
		    (!result || t->rec[i].result == result))
			return &t->rec[i];
	return NULL;
}

static void assert_in_order(const struct traced *t)
{
	for (size_t i = 0; i < t->n; i++)
		ck_assert_msg(t->rec[i].seq == i, "record %zu has seq %llu", i,
			      (unsigned long long)t->rec[i].seq);
}

static void check_events(const char *alloc)
{
	char *argv[] = { TARGET, "events", NULL };
	struct traced t;
	unsigned kind = 9;

	run_traced(&t, alloc, 0, 0, 0, argv);
	ck_assert_int_eq(t.status, 0);
	assert_in_order(&t);
	ck_assert(ring_attached(t.r, &kind));
	ck_assert_uint_eq(kind, strcmp(alloc, "libc") == 0);
	ck_assert_uint_ne(ring_trap_addr(t.r), 0);

	uint64_t p = printed(t.out, "malloc 1234");
	ck_assert_uint_ne(p, 0);
	const struct ring_record *m = find(&t, RING_MALLOC, 1234, p);
	ck_assert_msg(m, "no record of malloc(1234) = %llx", (unsigned long long)p);
	ck_assert_uint_ne(m->caller, 0);
	ck_assert_uint_gt(m->sp, UINT64_C(0x7f0000000000)); /* on the stack */
	ck_assert_int_gt(m->tid, 0);
	const struct ring_record *f = find(&t, RING_FREE, p, 0);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_gt(f->seq, m->seq);
	if (strcmp(alloc, "teach") == 0) {
		ck_assert(m->flags & RING_F_TEACH);
		ck_assert_uint_eq(m->block, p - 16);
		ck_assert_uint_ge(m->block_size, 1234 + 16);
		ck_assert_uint_ne(m->brk, 0);
		ck_assert_uint_eq(f->old_block, p - 16);
		const struct ring_record *big = find(&t, RING_MALLOC, 300000, printed(t.out, "malloc 300000"));
		ck_assert_ptr_nonnull(big);
		ck_assert(big->flags & RING_F_MMAP);
	} else {
		ck_assert(!(m->flags & RING_F_TEACH));
	}
	uint64_t c = printed(t.out, "calloc 3 100"), r = printed(t.out, "realloc 5000");
	const struct ring_record *cr = find(&t, RING_CALLOC, 3, c);
	ck_assert_ptr_nonnull(cr);
	ck_assert_uint_eq(cr->args[1], 100);
	const struct ring_record *rr = find(&t, RING_REALLOC, c, r);
	ck_assert_ptr_nonnull(rr);
	ck_assert_uint_eq(rr->args[1], 5000);
	const struct ring_record *pm = find(&t, RING_POSIX_MEMALIGN, 256, printed(t.out, "posix_memalign 256"));
	ck_assert_ptr_nonnull(pm);
	ck_assert_uint_eq(pm->result % 256, 0);
	traced_free(&t);
}

START_TEST(teach_records_match_the_calls_in_order)
{
	check_events("teach");
}
END_TEST

START_TEST(libc_records_match_the_calls_in_order)
{
	check_events("libc");
}
END_TEST

START_TEST(misuse_becomes_error_records_and_the_program_goes_on)
{
	char *argv[] = { TARGET, "misuse", NULL };
	struct traced t;
	int dbl = 0, inval = 0, rfreed = 0;

	run_traced(&t, "teach", 0, 0, 0, argv);
	ck_assert_int_eq(t.status, 0);
	ck_assert_ptr_nonnull(strstr(t.out, "survived"));
	for (size_t i = 0; i < t.n; i++) {
		if (t.rec[i].kind != RING_ERROR)
			continue;
		dbl += t.rec[i].error == RING_ERR_DOUBLE_FREE && t.rec[i].args[0] == RING_FREE;
		inval += t.rec[i].error == RING_ERR_INVALID_FREE && t.rec[i].args[1] > UINT64_C(0x7f0000000000);
		rfreed += t.rec[i].error == RING_ERR_REALLOC_FREED && t.rec[i].args[0] == RING_REALLOC;
	}
	ck_assert_int_eq(dbl, 1);
	ck_assert_int_eq(inval, 1);
	ck_assert_int_eq(rfreed, 1);
	traced_free(&t);
}
END_TEST

START_TEST(a_tiny_ring_makes_the_program_wait_and_loses_nothing)
{
	char *argv[] = { TARGET, "many", "200000", NULL };
	struct traced t;
	long mallocs = 0, frees = 0;

	run_traced(&t, "teach", 16, 0, 0, argv);
	ck_assert_int_eq(t.status, 0);
	assert_in_order(&t);
	for (size_t i = 0; i < t.n; i++) {
		mallocs += t.rec[i].kind == RING_MALLOC && t.rec[i].args[0] == 777;
		frees += t.rec[i].kind == RING_FREE && i > 0 && t.rec[i - 1].kind == RING_MALLOC &&
			 t.rec[i - 1].args[0] == 777 && t.rec[i].args[0] == t.rec[i - 1].result;
	}
	ck_assert_int_eq(mallocs, 200000);
	ck_assert_int_eq(frees, 200000);
	traced_free(&t);
}
END_TEST

/* A reader that sleeps in ring_wait with a long timeout while TARGET
 * makes N malloc/free pairs through a ring of `capacity` slots: returns
 * how many waits ran to their 2 s timeout; *records gets how many records
 * arrived, all checked in order. */
static int sleeping_reader(const char *alloc, size_t capacity, long pairs, size_t *records)
{
	struct err e = { 0 };
	struct traced t = { 0 };
	char fdenv[64], n[32];
	int st = 0, timeouts = 0;
	time_t t0 = time(NULL);
	pid_t pid;

	find_shim();
	snprintf(n, sizeof(n), "%ld", pairs);
	t.r = ring_create(capacity, &e);
	ck_assert_msg(t.r, "%s", e.msg);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);
		dup2(nul, 1);
		usleep(100000); /* the reader is asleep before the first record */
		ring_env(t.r, fdenv, sizeof(fdenv));
		putenv(fdenv);
		setenv("LD_PRELOAD", shim, 1);
		setenv(RING_ENV_ALLOC, alloc, 1);
		execl(TARGET, TARGET, "many", n, (char *)NULL);
		_exit(127);
	}
	ring_set_pid(t.r, pid);
	for (;;) {
		struct timespec a, b;
		ring_drain(t.r, 0, keep, &t);
		if (waitpid(pid, &st, WNOHANG) == pid || time(NULL) - t0 > 30)
			break;
		clock_gettime(CLOCK_MONOTONIC, &a);
		ring_wait(t.r, 2000000000L);
		clock_gettime(CLOCK_MONOTONIC, &b);
		timeouts += (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) >= 1900000000L;
	}
	if (time(NULL) - t0 > 30) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	ring_drain(t.r, 0, keep, &t);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "target status %d", st);
	assert_in_order(&t);
	*records = t.n;
	traced_free(&t);
	return timeouts;
}

START_TEST(a_sleeping_reader_is_woken_every_4096_records_and_when_full)
{
	size_t n = 0;

	/* 100k pairs cross RING_WAKE_EVERY 48 times: each wake ends a wait
	 * long before its timeout; only the tail after the last one may wait
	 * it out (the program exits without another wake) */
	ck_assert_int_le(sleeping_reader("libc", 0, 100000, &n), 1);
	ck_assert_uint_ge(n, 200000);
	/* a 16-slot ring fills long before 4096 records: the shim wakes the
	 * reader while it waits for room, or the program would stall */
	ck_assert_int_le(sleeping_reader("teach", 16, 20000, &n), 1);
	ck_assert_uint_ge(n, 40000);
}
END_TEST

START_TEST(step_mode_traps_once_per_record_at_the_published_site)
{
	char *argv[] = { TARGET, "events", NULL };
	struct traced t;

	run_traced(&t, "teach", 0, 1, 0, argv);
	ck_assert_int_eq(t.status, 0);
	ck_assert_int_gt(t.n, 8);
	ck_assert_msg(t.trap_mismatch == 0, "%ld mismatched traps, first: %s", t.trap_mismatch, t.why);
	ck_assert_int_eq(t.traps, (long)t.n);
	traced_free(&t);
}
END_TEST

START_TEST(children_of_the_traced_program_run_free_and_silent)
{
	char *argv[] = { TARGET, "fork", NULL };
	struct traced t;

	run_traced(&t, "teach", 0, 1, 0, argv); /* step mode: a trap in the child would kill it */
	ck_assert_int_eq(t.status, 0);
	ck_assert_ptr_nonnull(strstr(t.out, "child exit 7"));
	for (size_t i = 0; i < t.n; i++)
		ck_assert_uint_ne(t.rec[i].args[0], 55); /* none of the child's calls */
	ck_assert_msg(t.trap_mismatch == 0, "%ld mismatched traps, first: %s", t.trap_mismatch, t.why);
	traced_free(&t);
}
END_TEST

START_TEST(an_exec_with_the_same_pid_goes_on_in_the_same_ring)
{
	char *argv[] = { TARGET, "exec", NULL };
	struct traced t;
	long before = -1, after = 0;

	run_traced(&t, "teach", 0, 0, 0, argv);
	ck_assert_int_eq(t.status, 0);
	ck_assert_ptr_nonnull(strstr(t.out, "done 10"));
	assert_in_order(&t);
	for (size_t i = 0; i < t.n; i++) {
		if (t.rec[i].kind == RING_MALLOC && t.rec[i].args[0] == 4242)
			before = (long)i;
		if (t.rec[i].kind == RING_MALLOC && t.rec[i].args[0] == 777 && before >= 0)
			after++;
	}
	ck_assert_int_ge(before, 0);
	ck_assert_int_eq(after, 10); /* the new image's calls, after the old one's */
	traced_free(&t);
}
END_TEST

static void three_hundred_forks(const char *alloc)
{
	char *argv[] = { TARGET, "forks", NULL };
	struct traced t;

	run_traced(&t, alloc, 0, 0, 0, argv); /* a timeout is reported as -1 */
	ck_assert_int_eq(t.status, 0);
	ck_assert_ptr_nonnull(strstr(t.out, "forks 300 ok"));
	assert_in_order(&t);
	traced_free(&t);
}

START_TEST(three_hundred_forks_while_threads_allocate_teach)
{
	three_hundred_forks("teach");
}
END_TEST

START_TEST(three_hundred_forks_while_threads_allocate_libc)
{
	three_hundred_forks("libc");
}
END_TEST

START_TEST(many_short_lived_threads_every_call_in_order)
{
	char *argv[] = { TARGET, "threads", NULL };
	struct traced t;
	int32_t tids[256];
	int ntid = 0;
	long mallocs = 0, frees = 0;

	run_traced(&t, "teach", 64, 0, 0, argv); /* a small ring: threads wait too */
	ck_assert_int_eq(t.status, 0);
	assert_in_order(&t);
	for (size_t i = 0; i < t.n; i++) {
		const struct ring_record *r = &t.rec[i];
		if (r->kind == RING_MALLOC && r->args[0] == 333) {
			int k = 0;
			while (k < ntid && tids[k] != r->tid)
				k++;
			if (k == ntid && ntid < 256)
				tids[ntid++] = r->tid;
			mallocs++;
		}
		frees += r->kind == RING_FREE && r->args[0] && r->tid != (int32_t)0;
	}
	ck_assert_int_eq(mallocs, 200 * 50);
	ck_assert_int_ge(frees, 200 * 50);
	ck_assert_int_ge(ntid, 8); /* the kernel reuses thread ids, but not all */
	traced_free(&t);
}
END_TEST

/* Ring v3/v4 through the real shim: 200 threads' records of one slot
 * (packed), two (primary + teach facts, or packed + contents at free) and
 * three (+ both) through an 8-slot ring, so their extension slots wrap its
 * end all the time and the threads interleave: every record comes back
 * whole, in order, with its teach facts and contents. */
START_TEST(teach_facts_and_contents_survive_a_wrapping_ring_and_threads)
{
	char *argv[] = { TARGET, "threads", NULL };
	struct traced t;
	long mallocs = 0, frees = 0;
	uint64_t live[4096] = { 0 };

	ring_bytes = true;
	run_traced(&t, "teach", 8, 0, 0, argv);
	ring_bytes = false;
	ck_assert_int_eq(t.status, 0);
	assert_in_order(&t);
	for (size_t i = 0; i < t.n; i++) {
		const struct ring_record *r = &t.rec[i];
		if (r->kind == RING_MALLOC && r->args[0] == 333 && r->result) {
			ck_assert(r->flags & RING_F_TEACH);
			ck_assert_uint_eq(r->block, r->result - 16);
			ck_assert_uint_ge(r->block_size, 333 + 16);
			ck_assert_uint_ne(r->brk, 0);
			ck_assert_uint_eq(r->nbytes, 0);
			live[(r->result >> 4) & 4095] = r->result;
			mallocs++;
		} else if (r->kind == RING_FREE && r->args[0] &&
			   live[(r->args[0] >> 4) & 4095] == r->args[0]) {
			ck_assert(r->flags & RING_F_TEACH);
			ck_assert_uint_eq(r->old_block, r->args[0] - 16);
			ck_assert_uint_eq(r->nbytes, RING_CONTENT_MAX); /* 336 usable bytes, capped */
			live[(r->args[0] >> 4) & 4095] = 0;
			frees++;
		}
	}
	ck_assert_int_eq(mallocs, 200 * 50);
	ck_assert_int_eq(frees, 200 * 50);
	traced_free(&t);
}
END_TEST

/* Slots the shim reserved in t's ring (the header's head). */
static uint64_t slots_used(const struct traced *t)
{
	struct ring_header *h = mmap(NULL, RING_HEADER_SIZE, PROT_READ, MAP_SHARED, ring_fd(t->r), 0);
	uint64_t n;

	ck_assert(h != MAP_FAILED);
	n = atomic_load(&h->head);
	munmap(h, RING_HEADER_SIZE);
	return n;
}

/* Runs TARGET `mode` twice with ASLR off, the shim packing its teach
 * records and not (RING_MODE_UNPACKED), with or without contents: the two
 * runs' records are the same, field for field but the thread id, and the
 * packed run took fewer slots. */
static void packed_equals_unpacked(const char *mode, bool bytes)
{
	char *argv[] = { TARGET, (char *)mode, NULL };
	struct traced p, u;

	no_aslr = true;
	ring_bytes = bytes;
	run_traced(&p, "teach", 0, 0, 0, argv);
	ring_unpacked = true;
	run_traced(&u, "teach", 0, 0, 0, argv);
	ring_unpacked = false;
	ring_bytes = false;
	no_aslr = false;
	ck_assert_int_eq(p.status, u.status);
	ck_assert_uint_eq(p.n, u.n);
	ck_assert_uint_ge(p.n, 5);
	for (size_t i = 0; i < p.n; i++) {
		const struct ring_record *a = &p.rec[i], *b = &u.rec[i];
		ck_assert_msg(a->seq == b->seq && a->kind == b->kind && a->flags == b->flags &&
			      a->args[0] == b->args[0] && a->args[1] == b->args[1] && a->args[2] == b->args[2] &&
			      a->result == b->result && a->caller == b->caller && a->sp == b->sp &&
			      a->block == b->block && a->block_size == b->block_size && a->brk == b->brk &&
			      a->old_block == b->old_block && a->error == b->error && a->err_no == b->err_no &&
			      a->nbytes == b->nbytes && memcmp(a->bytes, b->bytes, a->nbytes) == 0,
			      "%s: record %zu (kind %u) differs: block %llx/%llx size %llu/%llu brk %llx/%llx old %llx/%llx err_no %d/%d",
			      mode, i, a->kind, (unsigned long long)a->block, (unsigned long long)b->block,
			      (unsigned long long)a->block_size, (unsigned long long)b->block_size,
			      (unsigned long long)a->brk, (unsigned long long)b->brk,
			      (unsigned long long)a->old_block, (unsigned long long)b->old_block, a->err_no, b->err_no);
	}
	ck_assert_uint_lt(slots_used(&p), slots_used(&u));
	traced_free(&p);
	traced_free(&u);
}

/* Every call of the family (api: malloc(0), free(NULL), realloc(NULL),
 * realloc to 0, the overflows that fail with ENOMEM, every memalign in the
 * heap and mmap'd, valloc, pvalloc, a realloc that moves and one that
 * shrinks in place, calloc), with and without contents. */
START_TEST(packed_teach_records_carry_the_same_facts_for_every_call)
{
	packed_equals_unpacked("api", false);
	packed_equals_unpacked("api", true);
	packed_equals_unpacked("events", true);
}
END_TEST

/* Error records (double free, stack free, realloc of a freed block) and
 * an exec, whose new image starts over with no previous brk. */
START_TEST(packed_teach_records_carry_the_same_facts_around_errors_and_exec)
{
	packed_equals_unpacked("misuse", false);
	packed_equals_unpacked("exec", false);
}
END_TEST

/* 200 threads through a small ring: the previous brk a packed record
 * takes is the one before it in ring order, whichever thread wrote it, so
 * the break seen record after record moves only where the heap grew, and
 * most records took one slot. */
START_TEST(packed_records_of_many_threads_each_get_the_right_brk)
{
	char *argv[] = { TARGET, "threads", NULL };
	struct traced t;
	uint64_t prev = 0;
	long grew = 0;

	run_traced(&t, "teach", 16, 0, 0, argv);
	ck_assert_int_eq(t.status, 0);
	assert_in_order(&t);
	ck_assert_uint_ge(t.n, 200 * 100);
	for (size_t i = 0; i < t.n; i++) {
		const struct ring_record *r = &t.rec[i];
		ck_assert(r->flags & RING_F_TEACH);
		ck_assert_uint_ne(r->brk, 0);
		if (prev && r->brk != prev) {
			ck_assert_msg(r->flags & RING_F_GREW_HEAP,
				      "record %zu: the break went from %llx to %llx but the heap did not grow",
				      i, (unsigned long long)prev, (unsigned long long)r->brk);
			ck_assert_uint_gt(r->brk, prev);
		}
		grew += (r->flags & RING_F_GREW_HEAP) != 0;
		prev = r->brk;
	}
	ck_assert_int_ge(grew, 1);
	ck_assert_uint_lt(slots_used(&t), t.n + t.n / 10);
	traced_free(&t);
}
END_TEST

START_TEST(a_ring_for_another_pid_is_left_alone)
{
	char *argv[] = { TARGET, "many", "1000", NULL };
	struct traced t;

	run_traced(&t, "teach", 0, 0, getpid(), argv);
	ck_assert_int_eq(t.status, 0);
	ck_assert_ptr_nonnull(strstr(t.out, "done 1000"));
	ck_assert_uint_eq(t.n, 0);
	ck_assert(!ring_attached(t.r, NULL));
	traced_free(&t);
}
END_TEST

START_TEST(a_program_whose_reader_left_runs_on_without_waiting)
{
	struct err e = { 0 };
	struct ring *r;
	char fdenv[64];
	int sync[2], st = 0;
	pid_t pid;

	find_shim();
	r = ring_create(16, &e); /* full after 16 records */
	ck_assert_msg(r, "%s", e.msg);
	ck_assert_int_eq(pipe(sync), 0);
	pid = fork();
	if (pid == 0) {
		char c;
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		close(sync[1]);
		if (read(sync[0], &c, 1) != 1)
			_exit(126);
		putenv(ring_env(r, fdenv, sizeof(fdenv)));
		setenv("LD_PRELOAD", shim, 1);
		execl(TARGET, TARGET, "many", "100000", (char *)NULL);
		_exit(127);
	}
	ring_set_pid(r, pid);
	close(sync[0]);
	ck_assert_int_eq(write(sync[1], "g", 1), 1);
	close(sync[1]);
	for (int i = 0; i < 500 && ring_pending(r) < 16; i++)
		usleep(2000);
	ck_assert_uint_ge(ring_pending(r), 16); /* the program is waiting now */
	ring_free(r); /* memlens goes away without killing it */
	for (int i = 0; i < 1000 && waitpid(pid, &st, WNOHANG) == 0; i++)
		usleep(10000);
	if (waitpid(pid, &st, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		ck_abort_msg("the program still waits for a reader that left");
	}
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

START_TEST(a_ring_fd_naming_another_file_is_ignored)
{
	/* An empty file, /dev/null, a pipe, a closed number, garbage. */
	const char *cases[] = { "9</tmp/memlens-shim-empty.$$", "9</dev/null", "9<&0", "", "x" };

	find_shim();
	for (unsigned i = 0; i < 5; i++) {
		struct run r = tu_sh(20, ": > /tmp/memlens-shim-empty.$$; echo hi | MEMLENS_RING_FD=%s "
				     "LD_PRELOAD=%s " TARGET " many 1000 %s; rc=$?; rm -f /tmp/memlens-shim-empty.$$; exit $rc",
				     i == 4 ? "x" : "9", shim, cases[i]);
		ck_assert_msg(r.status == 0, "case %u: status %d %s", i, r.status, r.err);
		ck_assert_ptr_nonnull(strstr(r.out, "done 1000"));
		tu_run_free(&r);
	}
}
END_TEST

/* ---- real programs, no tracer: same output as a plain run -------------- */

static int have(const char *prog)
{
	struct run r = tu_sh(10, "command -v %s", prog);
	int ok = r.status == 0;

	tu_run_free(&r);
	if (!ok)
		printf("SKIP: %s is not installed\n", prog);
	return ok;
}

/* Runs a shell command plain and preloaded (teach, then libc) and wants
 * the same status and output. */
static void same_output(const char *cmd)
{
	struct run plain = tu_sh(60, "%s", cmd);
	const char *allocs[] = { "teach", "libc" };

	find_shim();
	for (int i = 0; i < 2; i++) {
		struct run pre = tu_sh(60, "LD_PRELOAD=%s MEMLENS_ALLOC=%s; export LD_PRELOAD MEMLENS_ALLOC; %s",
				       shim, allocs[i], cmd);
		ck_assert_msg(pre.status == plain.status, "%s (%s): status %d, plain %d: %s", cmd,
			      allocs[i], pre.status, plain.status, pre.err);
		ck_assert_msg(strcmp(pre.out, plain.out) == 0, "%s (%s): output differs", cmd, allocs[i]);
		tu_run_free(&pre);
	}
	ck_assert_int_eq(plain.status, 0);
	ck_assert_int_gt(strlen(plain.out), 0);
	tu_run_free(&plain);
}

#define PY_WORK "import threading, subprocess, json\n" \
	"d = {i: str(i) * (i % 13) for i in range(200000)}\n" \
	"l = [list(range(i % 60)) for i in range(60000)]\n" \
	"out = []\n" \
	"def w(k):\n" \
	"    x = [dict(a=i, b=[i] * (i % 7)) for i in range(30000)]\n" \
	"    out.append(sum(len(v['b']) for v in x) + k)\n" \
	"ts = [threading.Thread(target=w, args=(k,)) for k in range(4)]\n" \
	"[t.start() for t in ts]; [t.join() for t in ts]\n" \
	"p = subprocess.run(['sh', '-c', 'echo sub'], capture_output=True, text=True)\n" \
	"print(len(d), sum(map(len, l)), sorted(out), p.stdout.strip(), json.dumps(d[12345])[:20])\n"

START_TEST(python_with_threads_and_subprocess)
{
	char cmd[2048];

	if (!have("python3"))
		return;
	snprintf(cmd, sizeof(cmd), "python3 -c \"$(cat <<'EOF'\n%sEOF\n)\"", PY_WORK);
	same_output(cmd);
	snprintf(cmd, sizeof(cmd), "PYTHONMALLOC=malloc python3 -c \"$(cat <<'EOF'\n%sEOF\n)\"", PY_WORK);
	same_output(cmd);
}
END_TEST

START_TEST(sort_parallel_of_100k_lines)
{
	if (!have("sort"))
		return;
	same_output("seq 100000 | awk '{print ($1 * 7919) % 100003 \" line \" $1}' > /tmp/memlens-shim-sort.$$ && "
		    "sort --parallel=2 -S 1M /tmp/memlens-shim-sort.$$ | md5sum; rm -f /tmp/memlens-shim-sort.$$");
}
END_TEST

START_TEST(gawk_over_a_generated_file)
{
	if (!have("gawk"))
		return;
	same_output("seq 200000 | gawk '{ a[$1 % 1000] = a[$1 % 1000] \" \" $1; n += length($0) } "
		    "END { for (k in a) m += length(a[k]); print n, m, length(a) }'");
}
END_TEST

START_TEST(bash_pipeline)
{
	if (!have("bash"))
		return;
	same_output("bash -c 'for i in $(seq 2000); do echo \"$i $((i * i))\"; done | grep 7 | tr 0-9 a-j | "
		    "sort | uniq -c | wc -l; x=$(printf %%5000s); echo ${#x}'");
}
END_TEST

START_TEST(cpp_vector_map_threads_fork)
{
	same_output("tests/targets/alloc_cpp");
	if (access("samples/cpp_new", X_OK) == 0)
		same_output("samples/cpp_new");
	else
		printf("SKIP: samples/cpp_new is not built\n");
}
END_TEST

START_TEST(api_behaves_as_glibc_documents)
{
	same_output(TARGET " api");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shim");
	TCase *ring = tcase_create("ring");
	TCase *real = tcase_create("real");

	tcase_set_timeout(ring, 60);
	tcase_add_test(ring, teach_records_match_the_calls_in_order);
	tcase_add_test(ring, libc_records_match_the_calls_in_order);
	tcase_add_test(ring, misuse_becomes_error_records_and_the_program_goes_on);
	tcase_add_test(ring, a_tiny_ring_makes_the_program_wait_and_loses_nothing);
	tcase_add_test(ring, a_sleeping_reader_is_woken_every_4096_records_and_when_full);
	tcase_add_test(ring, step_mode_traps_once_per_record_at_the_published_site);
	tcase_add_test(ring, children_of_the_traced_program_run_free_and_silent);
	tcase_add_test(ring, a_ring_for_another_pid_is_left_alone);
	tcase_add_test(ring, many_short_lived_threads_every_call_in_order);
	tcase_add_test(ring, teach_facts_and_contents_survive_a_wrapping_ring_and_threads);
	tcase_add_test(ring, an_exec_with_the_same_pid_goes_on_in_the_same_ring);
	tcase_add_test(ring, three_hundred_forks_while_threads_allocate_teach);
	tcase_add_test(ring, three_hundred_forks_while_threads_allocate_libc);
	tcase_add_test(ring, a_program_whose_reader_left_runs_on_without_waiting);
	tcase_add_test(ring, a_ring_fd_naming_another_file_is_ignored);
	tcase_add_test(ring, packed_teach_records_carry_the_same_facts_for_every_call);
	tcase_add_test(ring, packed_teach_records_carry_the_same_facts_around_errors_and_exec);
	tcase_add_test(ring, packed_records_of_many_threads_each_get_the_right_brk);
	suite_add_tcase(s, ring);
	tcase_set_timeout(real, 120);
	tcase_add_test(real, api_behaves_as_glibc_documents);
	tcase_add_test(real, python_with_threads_and_subprocess);
	tcase_add_test(real, sort_parallel_of_100k_lines);
	tcase_add_test(real, gawk_over_a_generated_file);
	tcase_add_test(real, bash_pipeline);
	tcase_add_test(real, cpp_vector_map_threads_fork);
	suite_add_tcase(s, real);
	return tu_main(s);
}
