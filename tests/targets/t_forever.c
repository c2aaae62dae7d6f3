/* t_forever: allocates and frees forever, with short sleeps.  SIGINT to
 * the tracer must end both the tracer and this program. */
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	for (;;) {
		void *volatile p = malloc(64);
		free(p);
		usleep(1000);
	}
}
