/* Lesson: memory that is never freed is still in use when the program ends:
 * a leak.  memlens shows three blocks from make_message() of which only one
 * is freed; at exit the other two are reported as leaked, with the line
 * that allocated them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *make_message(const char *text)
{
	char *m = malloc(strlen(text) + 1);
	if (m)
		strcpy(m, text);
	return m;
}

int main(void)
{
	char *a = make_message("kept and freed");
	char *b = make_message("leaked: the pointer is overwritten");
	b = make_message("leaked: never freed");

	printf("%s / %s\n", a, b);
	free(a);
	return 0;                  /* two blocks are still allocated here */
}
