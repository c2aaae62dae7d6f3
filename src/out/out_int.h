/* out_int: helpers shared by the files of out/ only. */
#ifndef MEMLENS_OUT_OUT_INT_H
#define MEMLENS_OUT_OUT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"
#include "out/out.h"
#include "util/json.h"

/* "malloc(40) = 0x5555555592a0", "free(NULL)", "signal SIGSEGV at ...". */
void out_describe_call(const struct model *m, const struct model_event *ev, char *buf, size_t n);
/* Signals whose si_addr is a faulting address. */
bool out_signal_has_addr(int signo);
/* False when the site has a file and line: then its func_off is not
 * written (nothing shows it). */
bool out_site_wants_off(const struct model_site *s);
/* The JSON text of site `idx` of `m` ({"addr":...}, as the event lines
 * write it) and its length, from a memo by model and index; valid until
 * the next call.  NULL when out of memory.  One writing thread. */
const char *out_site_json(const struct model *m, uint32_t idx, size_t *len);
/* The line of allocator call `ev` (MEV_MALLOC .. MEV_PVALLOC), written by
 * the fast path (json_fast.c), byte for byte what out_json_event_general
 * writes; false, with nothing written, when it cannot (a site too long
 * for its buffer, out of memory): the caller writes the general way. */
bool out_json_alloc_line(FILE *f, const struct model *m, const struct model_event *ev,
			 out_extra_fn extra, void *arg);
/* out_json_event_extra without the fast path (tests compare the two). */
void out_json_event_general(FILE *f, const struct model *m, const struct model_event *ev,
			    out_extra_fn extra, void *arg);
/* Writes already-valid JSON text as the next value. */
void out_json_raw(struct json *j, const char *text);

#endif
