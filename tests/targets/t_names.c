/* t_names: blocks filled with known text, for `trace --bytes`: a linked
 * list of five names (each node's name leads its block), a buffer that a
 * realloc moves, then the first three nodes freed and the last two left
 * live to the end.  Expected: each free line carries its node's name in
 * "bytes", the moving realloc carries "grow me", and the exit line's
 * "contents" hold "dave" and "erin" and the moved buffer.  `t_names N`
 * also leaves N 8-byte blocks live ("leak" and a number), for the cap on
 * the exit contents. */
#include <stdlib.h>
#include <string.h>

struct node {
	char name[24];
	struct node *next;
};

int main(int argc, char **argv)
{
	long extra = argc > 1 ? atol(argv[1]) : 0;
	static const char *const names[] = { "alice", "bob", "carol", "dave", "erin" };
	struct node *head = NULL, *volatile keep;
	char *volatile buf;

	for (int i = 4; i >= 0; i--) {
		struct node *n = malloc(sizeof(*n));
		if (!n)
			return 1;
		memset(n, 0, sizeof(*n));
		strcpy(n->name, names[i]);
		n->next = head;
		head = n;
	}
	buf = malloc(16);
	if (!buf)
		return 1;
	strcpy(buf, "grow me");
	/* a block allocated in between makes the realloc move */
	keep = malloc(16);
	buf = realloc(buf, 4096);
	if (!buf || !keep)
		return 1;
	strcat(buf, ", grown");
	for (int i = 0; i < 3; i++) {
		struct node *next = head->next;
		free(head);
		head = next;
	}
	for (long i = 0; i < extra; i++) {
		char *volatile p = malloc(8);
		if (!p)
			return 1;
		memcpy(p, "leak", 4);
		memcpy(p + 4, &i, 4);
	}
	return head && buf[0] == 'g' ? 0 : 1;
}
