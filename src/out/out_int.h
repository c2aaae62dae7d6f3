/* out_int: helpers shared by the files of out/ only. */
#ifndef MEMLENS_OUT_OUT_INT_H
#define MEMLENS_OUT_OUT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"
#include "util/json.h"

/* "malloc(40) = 0x5555555592a0", "free(NULL)", "signal SIGSEGV at ...". */
void out_describe_call(const struct model *m, const struct model_event *ev, char *buf, size_t n);
/* Signals whose si_addr is a faulting address. */
bool out_signal_has_addr(int signo);
/* False when the site has a file and line: then its func_off is not
 * written (nothing shows it). */
bool out_site_wants_off(const struct model_site *s);
/* Writes already-valid JSON text as the next value. */
void out_json_raw(struct json *j, const char *text);

#endif
