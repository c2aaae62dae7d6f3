/* term: keeps the user's terminal safe.  term_open saves the terminal
 * settings and installs signal handlers; term_close (and every fatal
 * signal, and exit) restores them.  SIGINT, SIGTERM, SIGHUP and SIGQUIT only
 * set a flag and wake the main loop through a self-pipe; a crash of
 * memlens itself (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) restores the
 * terminal with async-signal-safe calls only, kills the target and
 * re-raises. */
#ifndef MEMLENS_UI_TERM_H
#define MEMLENS_UI_TERM_H

#include <sys/types.h>

#include "util/err.h"

/* Saves the settings of the terminal on `fd`, installs the handlers.
 * Fails when fd is not a terminal. */
int term_open(int fd, struct err *e);
/* Call once curses is started: records the strings that put the terminal
 * back (leave the alternate screen, show the cursor, mouse off). */
void term_record_reset(void);
/* The process a crash of memlens must kill (0: none). */
void term_set_target(pid_t pid);
/* Ends curses if it runs, restores the saved settings, removes the
 * handlers.  Safe to call more than once. */
void term_close(void);
/* The signal that asked memlens to stop (SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT), or 0. */
int term_signal(void);
/* Readable when a signal arrived (poll it with the input). */
int term_wake_fd(void);

#endif
