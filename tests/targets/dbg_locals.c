/* dbg_locals: a target for tests/check_dbg.c.  Lines marked "STOP:" are
 * where the test sets a breakpoint (it finds them by grep); it then checks
 * frames, locals and pointer labels against gdb and against this source. */
#include <stdlib.h>
#include <string.h>

struct node {
	int value;
	struct node *next;
};

int counter = 7;                 /* .data */
int zeroes[8];                   /* .bss */
const int table[4] = { 1, 2, 3, 4 }; /* .rodata */
static struct node pair = { 5, NULL };

int depth(int n, int limit)
{
	volatile int here = n * 2;
	if (n >= limit)
		return here; /* STOP: deep */
	return depth(n + 1, limit) + 1;
}

int look(struct node *head, const char *msg, int *onstack)
{
	struct node copy = *head;
	long total = 0;
	char letter = msg[0];
	double half = 0.5;
	unsigned char small[3] = { 9, 8, 7 };
	for (struct node *p = head; p; p = p->next)
		total += p->value;
	return (int)total + copy.value + letter + (int)half + small[0] + *onstack; /* STOP: look */
}

enum colour { RED, GREEN = 5, BLUE };
struct flags {
	unsigned ready : 1;
	int level : 4;
	unsigned mode : 3;
};
union word {
	int i;
	float f;
};

/* One local of each kind of type, for the comparison with gdb. */
int kinds(void)
{
	enum colour c = GREEN;
	struct flags fl = { 1, -3, 5 };
	union word u = { .i = 1065353216 };
	_Bool yes = 1;
	float third = 0.25f;
	double tenth = 0.1;
	short neg = -7;
	unsigned long big = 18446744073709551615UL;
	int grid[2][3] = { { 1, 2, 3 }, { 4, 5, 6 } };
	int (*fn)(int, int) = depth;
	char name[8] = "abc";
	char zero[40] = "";
	return c + fl.level + u.i + yes + (int)third + (int)tenth + neg + (int)big +
	       grid[1][2] + (fn != 0) + name[0] + zero[0]; /* STOP: kinds */
}

int main(int argc, char **argv)
{
	int local = 42;
	int *heap = malloc(4 * sizeof(int)); /* MALLOC: heap */
	struct node *head = NULL;
	struct node *gone = malloc(sizeof(*gone)); /* MALLOC: gone */
	const char *literal = "hello, stack";
	int *data = &counter;
	int *bss = &zeroes[2];
	const int *ro = &table[1];
	int *null = NULL;
	int *wild = (int *)16;
	struct node *st = &pair;
	int *mine = &local;

	(void)argv;
	memset(heap, 0, 4 * sizeof(int));
	free(gone);
	for (int i = 3; i > 0; i--) { /* STOP: freed */
		struct node *n = malloc(sizeof(*n)); /* MALLOC: node */
		n->value = i;
		n->next = head;
		head = n;
	}
	local += look(head, literal, &local); /* STOP: main */
	local += depth(1, argc > 1 ? atoi(argv[1]) : 50);
	local += kinds();
	return (local + *data + *bss + *ro + (null != NULL) + (wild != NULL) +
		st->value + *mine) & 1;
}
