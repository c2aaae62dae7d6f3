/* explain: the words on the screen, in plain C: an event as one short
 * line for the event list, a call site, and the one plain sentence for a
 * student about the current event or the selected region. */
#ifndef MEMLENS_UI_EXPLAIN_H
#define MEMLENS_UI_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

/* Optional words about a fault address from the producer; NULL uses the
 * model's own (model_explain_addr). */
typedef void (*explain_fault_fn)(void *ctx, const struct model *m, uint64_t addr,
				 uint64_t sp, char *buf, size_t len);

/* Bytes an allocation call asked for (calloc: n*size, ...). */
uint64_t explain_requested(const struct model_event *ev);

/* "malloc(40) = 0x5555555592a0", "free(0x5555555592a0)", "SIGSEGV at 0x0". */
void explain_event(const struct model_event *ev, char *buf, size_t len);

/* "main (list.c:12)", "main+0x1c", "libc.so.6", "0x401136", or "?" */
void explain_site(const struct model *m, uint32_t site, char *buf, size_t len);

/* The same, shorter where a narrow pane needs it: "main:12" (function
 * and line, without the file); other sites as explain_site writes them. */
void explain_site_short(const struct model *m, uint32_t site, char *buf, size_t len);

/* One sentence about event `ev` (index `idx`) as the model stands after
 * it: "malloc(40) took 48 bytes from the heap: 8 for the header, 40 for
 * you."  `ev` NULL: the start.  `fault` may be NULL. */
void explain_sentence(const struct model *m, const struct model_event *ev,
		      explain_fault_fn fault, void *fault_ctx, char *buf, size_t len);

/* One sentence about a region: what lives there, its permissions. */
void explain_region(const struct model_region *r, char *buf, size_t len);

#endif
