/* Lesson: where do globals, statics, constants and string literals live?
 * memlens layout shows `initialised` in .data, `uninitialised` in .bss,
 * `answer` and the literal in .rodata, and `count` (a static local) in .data
 * under its function; `local` lives on the stack, not in the file at all. */
#include <stdio.h>

int initialised = 10;          /* .data: has a value in the file */
int uninitialised;             /* .bss: zero, takes no room in the file */
const int answer = 42;         /* .rodata: read-only */
static double ratio = 1.5;     /* .data, visible only in this file */
static char buffer[4096];      /* .bss */

int tally(void)
{
	static int count = 0;  /* .bss: zero-initialised static local */
	static int calls = 5;  /* .data: a static local with a value */
	calls++;
	return ++count;
}

int main(void)
{
	const char *greeting = "hello, segments"; /* the text is in .rodata */
	int local[4] = { 1, 2, 3, 4 };           /* on the stack */

	buffer[0] = 'x';
	uninitialised = tally() + local[3];
	printf("%s %d %d %d %.1f %c\n", greeting, initialised, uninitialised,
	       answer, ratio, buffer[0]);
	return 0;
}
