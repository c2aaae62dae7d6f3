/* step_work: a recursion and a small heap list, for --step and --frames.
 * Built three ways: step_work (-O0 -g), step_work_O2 (-O2 -g) and
 * step_work_nodebug (-O2, stripped); all three must trace to the end with
 * exit status 3 (the number of nodes), the last two with notes. */
#include <stdio.h>
#include <stdlib.h>

struct cell {
	int v;
	struct cell *next;
};

__attribute__((noinline)) int sum_to(int n)
{
	if (n == 0)
		return 0;
	return n + sum_to(n - 1);
}

int main(void)
{
	struct cell *list = NULL;
	int count = 0;

	for (int i = 0; i < 3; i++) {
		struct cell *c = malloc(sizeof(*c));
		if (!c)
			return 100;
		c->v = sum_to(i + 4);
		c->next = list;
		list = c;
	}
	while (list) {
		struct cell *next = list->next;
		free(list);
		list = next;
		count++;
	}
	return count;
}
