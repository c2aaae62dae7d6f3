/* proc: the tracer's one door into the target: its memory (/proc/PID/mem,
 * which also writes breakpoints into read-only text), auxv, maps, pagemap,
 * and the reasons a ptrace request is refused. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace/trace_int.h"

static int mem_fd(struct trace *t)
{
	if (t->memfd < 0) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/mem", (int)t->pid);
		t->memfd = open(p, O_RDWR | O_CLOEXEC);
	}
	return t->memfd;
}

int trace_mem_read(struct trace *t, uint64_t addr, void *buf, size_t n)
{
	int fd = mem_fd(t);

	if (fd < 0 || pread(fd, buf, n, (off_t)addr) != (ssize_t)n)
		return -1;
	return 0;
}

int trace_mem_write(struct trace *t, uint64_t addr, const void *buf, size_t n)
{
	int fd = mem_fd(t);

	if (fd < 0 || pwrite(fd, buf, n, (off_t)addr) != (ssize_t)n)
		return -1;
	return 0;
}

/* The initial program break (field 47 of /proc/PID/stat), or 0. */
uint64_t trace_start_brk(pid_t pid)
{
	char p[64], buf[2048];
	unsigned long long v = 0;
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* fields after the command name (which may hold spaces) */
	char *s = strrchr(buf, ')');
	int field = 2;
	for (; s && *s && field < 47; s++)
		if (*s == ' ')
			field++;
	if (s && sscanf(s, "%llu", &v) != 1)
		v = 0;
	return v;
}

uint64_t trace_auxv_entry(pid_t pid)
{
	char p[64];
	uint64_t av[2], entry = 0;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/auxv", (int)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (read(fd, av, sizeof(av)) == sizeof(av) && av[0] != AT_NULL)
		if (av[0] == AT_ENTRY)
			entry = av[1];
	close(fd);
	return entry;
}

/* Reads /proc/PID/maps into a fresh snapshot, stores it in the model and
 * emits a MEV_REGIONS event. */
int trace_regions_read(struct trace *t, struct err *e)
{
	struct trace_layout lay = { t->elf, t->exe, t->bias };
	struct model_region *r = NULL;
	struct model_event ev = { 0 };
	char p[64];
	ssize_t n;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/maps", (int)t->pid);
	f = fopen(p, "re");
	if (!f)
		return 0; /* the process is gone: keep the last snapshot */
	n = trace_maps_parse(f, &lay, &r, e);
	fclose(f);
	if (n < 0)
		return -1;
	t->regions_dirty = false;
	if ((size_t)n == t->nregs && t->regs && memcmp(r, t->regs, (size_t)n * sizeof(*r)) == 0) {
		free(r); /* nothing changed: no event */
		return 0;
	}
	free(t->regs);
	t->regions_gen++;
	t->regs = r;
	t->nregs = (size_t)n;
	t->regions_dirty = false;
	ev.type = MEV_REGIONS;
	ev.tid = t->pid;
	ev.seq = t->ring ? ring_next_seq(t->ring) : t->static_seq;
	ev.aux = model_regions_add(t->m, r, (size_t)n);
	ev.brk = t->start_brk; /* the break before the first allocation */
	for (ssize_t i = 0; i < n; i++)
		if (r[i].kind == MR_HEAP)
			ev.brk = r[i].end;
	return trace_emit(t, &ev, e);
}

/* The lowest page of [stack] the program touched (pagemap: present or
 * swapped), or 0.  The [stack] mapping never shrinks, and a page once
 * touched stays, so this bounds the deepest the stack has been, including
 * recursion that never allocated. */
uint64_t trace_stack_lowest_touched(struct trace *t)
{
	uint64_t lo = 0, hi = 0, low = 0;
	char p[64];
	int fd;

	for (size_t i = 0; i < t->nregs; i++)
		if (t->regs[i].kind == MR_STACK)
			lo = t->regs[i].start, hi = t->regs[i].end;
	if (!lo)
		return 0;
	snprintf(p, sizeof(p), "/proc/%d/pagemap", (int)t->pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lo;
	for (uint64_t a = lo; a < hi; a += 4096 * 512) {
		uint64_t ent[512];
		uint64_t cnt = (hi - a) / 4096 < 512 ? (hi - a) / 4096 : 512;
		ssize_t got = pread(fd, ent, cnt * 8, (off_t)(a / 4096 * 8));
		if (got <= 0)
			break;
		for (ssize_t k = 0; k < got / 8; k++)
			if (ent[k] & (UINT64_C(3) << 62)) {
				low = a + (uint64_t)k * 4096;
				break;
			}
		if (low)
			break;
	}
	close(fd);
	return low ? low : lo;
}

static long status_field(const char *path, const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0) {
			v = strtol(line + strlen(key), NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Names why PTRACE_SEIZE of our own child failed, and the fix. */
void trace_explain_refusal(pid_t child, int errnum, struct err *e)
{
	char p[64], cap[64] = "", line[256];
	long tracer, yama = -1, seccomp;
	unsigned long long capeff = 0;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/status", (int)child);
	tracer = status_field(p, "TracerPid:");
	seccomp = status_field("/proc/self/status", "Seccomp:");
	f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	if (f) {
		if (fscanf(f, "%ld", &yama) != 1)
			yama = -1;
		fclose(f);
	}
	f = fopen("/proc/self/status", "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &capeff) == 1)
			snprintf(cap, sizeof(cap), "%llx", capeff);
	if (f)
		fclose(f);

	if (tracer > 0)
		err_set(e, ERR_INPUT, "cannot trace the program: it is already traced by "
			"process %ld; stop the other tracer (gdb, strace) first", tracer);
	else if (yama == 3)
		err_set(e, ERR_INPUT, "cannot trace the program: ptrace is disabled by Yama "
			"(kernel.yama.ptrace_scope = 3, only a reboot lifts it)");
	else if (yama == 2 && !(capeff & (1ull << 19)))
		err_set(e, ERR_INPUT, "cannot trace the program: ptrace is restricted by Yama "
			"(kernel.yama.ptrace_scope = 2); fix: run as root (CAP_SYS_PTRACE), or "
			"'sysctl kernel.yama.ptrace_scope=1'");
	else if (seccomp > 0)
		err_set(e, ERR_INPUT, "cannot trace the program: a seccomp filter forbids ptrace "
			"(Seccomp: %ld in /proc/self/status); fix: run memlens outside the sandbox, "
			"or with docker run --security-opt seccomp=unconfined", seccomp);
	else if (cap[0] && !(capeff & (1ull << 19)) && errnum == EPERM)
		err_set(e, ERR_INPUT, "cannot trace the program: %s, and this process lacks "
			"CAP_SYS_PTRACE (a container?); fix: docker run --cap-add=SYS_PTRACE",
			strerror(errnum));
	else
		err_errno(e, ERR_INPUT, errnum, "cannot trace the program: ptrace refused");
}
