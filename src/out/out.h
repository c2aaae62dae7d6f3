/* out: what memlens prints about a run, read from the model: the text event
 * log and summary, the JSON Lines trace file, and the reader that turns a
 * trace file back into model events (so replay prints what trace printed).
 * No ptrace, no libelf, no curses: the layout object is written by a
 * callback the caller supplies, and read back as raw JSON text. */
#ifndef MEMLENS_OUT_OUT_H
#define MEMLENS_OUT_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model/model.h"
#include "util/err.h"
#include "util/json.h"

/* Version 2 leaves out `func_off` where a site has file and line, and
 * `sp`/`stack_depth` where they repeat the previous event line's;
 * version 3 also the teach facts the teach allocator's layout implies
 * and, in a teach trace, an allocator call's flags when they are only
 * RING_F_TEACH (out_int.h's out_teach_implied, out_implied_flags);
 * versions 1 and 2 are still read. */
#define OUT_TRACE_VERSION 3

/* ---- text ------------------------------------------------------------ */

/* One line for event `ev` (index `idx`, printed as #idx+1), read with the
 * model's state after it:
 * "#12  malloc(40) = 0x5555555592a0  in push (list.c:17)  heap 4.1 KiB in
 * use, break +8 KiB, stack 312 B". */
void out_text_event(FILE *f, const struct model *m, const struct model_event *ev, size_t idx);
/* The summary at the model's cursor: calls, allocations, frees, peak heap,
 * the allocator's view (break, mmap), leaks by site, errors, deepest
 * stack, exit status or signal. */
void out_text_summary(FILE *f, const struct model *m);

/* ---- JSON Lines -------------------------------------------------------- */

/* What the first line ({"type":"start"}) says. */
struct out_start {
	const char *program;        /* path of the traced program */
	char *const *argv;          /* its arguments, argv[0] first */
	int argc;
	/* options: `options_raw` (a JSON object's text, re-emitted as is) when
	 * not NULL, else {"alloc":alloc,"aslr":aslr,"mode":mode} */
	const char *options_raw;
	const char *alloc;          /* "teach" or "libc" */
	bool aslr;
	const char *mode;           /* "run" or "step" */
	bool bytes;                 /* trace --bytes: written as "bytes":true */
	/* layout: `layout_raw` (JSON text) when not NULL, else the callback
	 * writes one JSON value (elfmap_write_json), else null */
	const char *layout_raw;
	void (*layout)(struct json *j, const void *arg);
	const void *layout_arg;
};

/* Writes the start line.  The event lines written after it, on any
 * stream, leave out what its allocator implies (one trace at a time). */
void out_json_start(FILE *f, const struct out_start *s);
/* One line for event `ev`, just applied to `m` (sites, the region list
 * and the fault explanation are read from the model), after the start
 * line: what that said of the allocator decides the flags left out. */
void out_json_event(FILE *f, const struct model *m, const struct model_event *ev);
/* Same, and `extra` writes more members (key and value, e.g. "frames")
 * into the event's object before it is closed. */
typedef void (*out_extra_fn)(struct json *j, void *arg);
void out_json_event_extra(FILE *f, const struct model *m, const struct model_event *ev,
			  out_extra_fn extra, void *arg);
/* The last line: {"type":"summary", "calls":{...}, "free_null":N, ...}. */
void out_json_summary(FILE *f, const struct model *m);

/* Opens PATH for `trace -o` (created or truncated, close-on-exec) as a
 * stdio stream whose bytes a thread of memlens writes, 1 MiB per write(2),
 * so the kernel's page-cache work overlaps the tracing (in place when no
 * thread can be started).  The stream is unbuffered on the stdio side:
 * fwrite copies straight into the thread's buffers.  The allocator-call
 * lines out_json_event writes to it are formatted by another thread, in
 * order with every other write (out/jqueue.c).  fclose waits for the
 * threads and returns EOF with errno set when a write failed (ENOSPC...).
 * NULL with `e` filled when PATH cannot be opened. */
FILE *out_file_open(const char *path, struct err *e);
/* fwrite(p, 1, n, f), straight into the thread's buffers when `f` is the
 * stream out_file_open made (the event lines' way out, no stdio call). */
void out_file_put(FILE *f, const char *p, size_t n);
/* When `f` is that stream and its buffer has at least `min` bytes free:
 * *p and *room say where, and true; the caller formats there and then
 * calls out_file_commit with what it wrote (at most *room), before any
 * other write to `f`.  False otherwise. */
bool out_file_room(FILE *f, size_t min, char **p, size_t *room);
void out_file_commit(FILE *f, size_t n);

/* ---- reading a trace file ---------------------------------------------- */

/* The start line as read (strings owned by the reader; valid during the
 * callbacks only). */
struct out_trace_start {
	int version;
	const char *program;
	char **argv;
	int argc;
	const char *options_raw;    /* JSON text of "options", or NULL */
	const char *layout_raw;     /* JSON text of "layout", or NULL */
	bool bytes;                 /* options say "bytes":true (trace --bytes) */
};

struct out_reader_cb {
	/* called once, before any event (may be NULL) */
	int (*start)(void *arg, const struct out_trace_start *s, struct err *e);
	/* called after each event was applied to the model (may be NULL) */
	int (*event)(void *arg, const struct model *m, const struct model_event *ev,
		     size_t idx, struct err *e);
	void *arg;
};

/* Reads a JSON Lines trace from `f` into `m` (events applied in order).
 * `name` is used in messages: "NAME:LINE: what is wrong".  Never crashes
 * on malformed input; returns 0, or -1 with `e` filled (ERR_INPUT). */
int out_trace_read(FILE *f, const char *name, struct model *m,
		   const struct out_reader_cb *cb, struct err *e);
/* Same, and `frames` (when not NULL) is called before each event callback
 * with the JSON text of the line's "frames" member (trace --frames), to be
 * kept verbatim; NULL, 0 when the line has none.  cb->arg is passed. */
typedef void (*out_frames_fn)(void *arg, const char *json, size_t len);
int out_trace_read_frames(FILE *f, const char *name, struct model *m,
			  const struct out_reader_cb *cb, out_frames_fn frames, struct err *e);

/* ---- recorded block contents (trace --bytes) -------------------------- */

/* The most bytes one record holds: a free or realloc line's "bytes" (the
 * shim's capture, at most 56) and each block of the exit line's
 * "contents" (read by the tracer, at most 64). */
#define OUT_BYTES_MAX 64
/* The exit line lists at most this many blocks; "contents_more" counts
 * the live blocks left out. */
#define OUT_CONTENTS_MAX 100000

/* One block's first bytes at the program's exit. */
struct out_content {
	uint64_t addr;
	uint32_t n;
	unsigned char b[OUT_BYTES_MAX];
};

/* Inside an event object (an out_extra_fn): "bytes":"<lowercase hex>";
 * nothing when n is 0. */
void out_json_bytes(struct json *j, const unsigned char *b, size_t n);
/* Inside the exit object: "contents":[{"addr":A,"bytes":"hex"},...] and,
 * when more > 0, "contents_more":more. */
void out_json_contents(struct json *j, const struct out_content *c, size_t n, size_t more);
/* Hex text to bytes; the count, or -1 when not hex or longer than max. */
int out_hex_parse(const char *s, unsigned char *b, size_t max);

/* What a line holds beside the model's event, valid during the callbacks
 * of that line only. */
struct out_line_extra {
	const char *frames;         /* JSON text of "frames" (trace --frames), or NULL */
	size_t nframes;
	const unsigned char *bytes; /* "bytes" of a free/realloc line, decoded */
	size_t nbytes;              /* 0: none */
	const struct out_content *contents; /* the exit line's "contents" */
	size_t ncontents;
	uint64_t contents_more;     /* "contents_more" */
	bool has_contents;          /* the line has a "contents" member */
};
typedef void (*out_line_fn)(void *arg, const struct out_line_extra *x);
/* out_trace_read, and `line` (when not NULL) is called after each event
 * was applied and before cb->event, with cb->arg. */
int out_trace_read_extra(FILE *f, const char *name, struct model *m,
			 const struct out_reader_cb *cb, out_line_fn line, struct err *e);

/* The side table replay keeps beside the model: recorded bytes by block
 * id (the model holds no contents).  A block has at most one record: the
 * bytes it held just before the call that released it, or, for a block
 * still live at the end, its bytes at the program's exit. */
enum out_bytes_when { OUT_BYTES_RELEASE = 1, OUT_BYTES_EXIT = 2 };
struct out_bytes_rec {
	uint32_t id;
	uint32_t event;             /* index of the free/realloc or exit event */
	enum out_bytes_when when;
	size_t n;
	const unsigned char *b;     /* owned by the table */
};
struct out_bytes;
struct out_bytes *out_bytes_new(void);
void out_bytes_free(struct out_bytes *t);
/* Whether the trace was recorded with --bytes (its start line said so). */
void out_bytes_set_recorded(struct out_bytes *t, bool on);
bool out_bytes_recorded(const struct out_bytes *t);
int out_bytes_add(struct out_bytes *t, uint32_t id, uint32_t event, enum out_bytes_when when,
		  const unsigned char *b, size_t n, struct err *e);
/* Adds what line `x` of event `idx` recorded; `m` keeps history and has
 * just applied the event (block ids come from the model). */
int out_bytes_add_line(struct out_bytes *t, const struct model *m, size_t idx,
		       const struct out_line_extra *x, struct err *e);
/* The record of block `id`; false when none. */
bool out_bytes_find(const struct out_bytes *t, uint32_t id, struct out_bytes_rec *r);
size_t out_bytes_count(const struct out_bytes *t);

/* ---- names ------------------------------------------------------------ */

/* "SIGSEGV" for 11; "SIG37" when unnamed.  Returns buf (>= 16 bytes). */
const char *out_signame(int signo, char *buf);
/* Inverse of out_signame; 0 when unknown. */
int out_sigparse(const char *name);
/* ring_error names: "double_free", "invalid_free", "realloc_freed",
 * "corrupt_header", "oom"; out_error_parse gives 0 when unknown. */
const char *out_error_name(unsigned kind);
unsigned out_error_parse(const char *name);
/* Words for the text log: "double free", ... */
const char *out_error_words(unsigned kind);

#endif
