/* t_mainexit: main leaves with pthread_exit while a second thread runs on,
 * allocates and writes, and ends the program.  Expected with --bytes: the
 * exit contents hold what the last thread wrote ("late words" in the block
 * it made, "changed" in main's block), not what was there when main left
 * ("early"); exit status 0. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *early;

static void *runs_on(void *arg)
{
	(void)arg;
	usleep(100 * 1000); /* main's exit stop comes and goes first */
	char *late = malloc(32);
	if (!late)
		exit(1);
	strcpy(late, "late words");
	strcpy(early, "changed");
	exit(0);
}

int main(void)
{
	pthread_t th;

	early = malloc(16);
	if (!early)
		return 1;
	strcpy(early, "early");
	if (pthread_create(&th, NULL, runs_on, NULL) != 0)
		return 1;
	pthread_exit(NULL);
}
