/* Lesson: a linked list is blocks on the heap that point at each other.
 * memlens shows five 16-byte nodes appear one malloc at a time, each
 * `next` pointer labelled with the block it points to, then the list freed
 * from the head. */
#include <stdio.h>
#include <stdlib.h>

struct node {
	int value;
	struct node *next;
};

int main(void)
{
	struct node *head = NULL;

	for (int i = 1; i <= 5; i++) {
		struct node *n = malloc(sizeof(*n));
		if (!n)
			return 1;
		n->value = i * 10;
		n->next = head;        /* push at the front */
		head = n;
	}
	for (struct node *p = head; p; p = p->next)
		printf("%d%s", p->value, p->next ? " -> " : "\n");
	while (head) {
		struct node *next = head->next;
		free(head);
		head = next;
	}
	return 0;
}
