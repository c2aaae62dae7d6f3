/* err: the one error idiom of memlens.  A module that can fail takes a
 * `struct err *`, fills it with a one-line message and an exit status, and
 * returns -1 (or NULL).  Only main prints it, as "memlens: MESSAGE". */
#ifndef MEMLENS_UTIL_ERR_H
#define MEMLENS_UTIL_ERR_H

/* Exit statuses, as the man page documents them. */
enum {
	ERR_OK = 0,
	ERR_INPUT = 1,    /* a problem with the input, the target or the usage */
	ERR_INTERNAL = 2, /* memlens itself failed */
};

struct err {
	int status;      /* ERR_INPUT or ERR_INTERNAL once set */
	char msg[512];   /* "FILE: reason", without the "memlens: " prefix */
};

/* Sets the message (printf-style) and status; returns -1 so callers can
 * write `return err_set(e, ERR_INPUT, "%s: not an ELF file", path);`.
 * A NULL `e` is allowed and ignored. */
int err_set(struct err *e, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like err_set, with ": strerror(errnum)" appended. */
int err_errno(struct err *e, int status, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
