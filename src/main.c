/* memlens entry point: everything lives in the library; see cli/cli.c. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
