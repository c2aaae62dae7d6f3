/* t_stdin: reads one line from stdin, copies it with strdup (one malloc of
 * its length + 1), prints "got: LINE" on stdout and frees it.  Under a
 * tracer the program's stdin and stdout stay its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	char buf[256];

	if (!fgets(buf, sizeof(buf), stdin))
		return 2;
	buf[strcspn(buf, "\n")] = '\0';
	char *copy = strdup(buf);
	printf("got: %s\n", copy);
	free(copy);
	return 0;
}
