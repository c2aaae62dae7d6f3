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
	return (local + *data + *bss + *ro + (null != NULL) + (wild != NULL) +
		st->value + *mine) & 1;
}
