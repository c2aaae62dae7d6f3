/* run_live_int: the state shared by the screen's side (run_live.c) and
 * the tracer's worker thread (run_worker.c).  The two sides meet through
 * two pipes (commands, answers) and, in run mode, a queue under a mutex. */
#ifndef MEMLENS_CLI_RUN_LIVE_INT_H
#define MEMLENS_CLI_RUN_LIVE_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "cli/run_live.h"

struct site_copy {
	struct model_site s;
	char func[128], file[256], object[128];
};

/* One answer of the worker: what trace_step said, with copies of what
 * the event refers to in the worker's model. */
struct result {
	int rc;                    /* 1 event, 0 ended, -1 failed */
	struct err e;
	struct model_event ev;
	bool has_site;
	struct site_copy site;
	struct model_region *regs; /* MEV_REGIONS: the snapshot (malloc'd) */
	size_t nregs;
};

#define LIVE_FRAMES 64
#define QMAX 4096                  /* events run mode may run ahead */

struct run_live {
	struct trace_opts o;
	struct model *shadow;      /* the worker's model: no history */
	struct trace *t;
	pthread_t th;
	bool th_started;
	int cmd[2], done[2];       /* screen -> worker, worker -> screen */
	int master;
	pid_t pid;
	bool pending, ended;
	int status;
	struct result res;
	/* the stack at the newest event, unwound on the worker on request */
	struct ui_frame frames[LIVE_FRAMES];
	int nframes;
	size_t frames_at;          /* 1 + event index they belong to, 0 none */
	pid_t last_tid;
	int swallow;               /* late answers to drop (a timed-out request) */
	bool frames_broken;
	/* run mode (continue): the tracer drains the ring (trace_run) and its
	 * on_event callback queues copies; the screen takes one per next() */
	bool run_mode;             /* set by the screen before 'C' is sent */
	pthread_mutex_t qlock;
	pthread_cond_t qroom;
	struct result *q;          /* QMAX entries, a ring */
	const struct ui_source *src; /* the screen's: its batch size */
	size_t qhead, qcount;
	bool run_done, quitting;
	int run_rc;
	struct err run_err;
	/* f (finish): the worker runs trace_finish with the queue on, as in
	 * run mode; finish_done says it returned (under qlock) */
	bool finishing;            /* set by the screen before 'f' is sent */
	bool finish_done;
	int finish_rc;
	struct err finish_err;
	char finish_msg[160];      /* why the last f failed, "" when it did not */
	/* s (granularity): '0'..'2' sent, the answer in gran_rc/gran_msg */
	int gran_rc;
	char gran_msg[160];
};


/* The worker thread: starts the program, then obeys commands on cmd[0]:
 * 's' step, 'F' unwind the stack, 'C' run to the end, 'f' run to the
 * return of the current function, '0'..'2' set the stepping granularity
 * (alloc, call, line), 'q' quit. */
void *run_worker(void *arg);
/* trace_opts.on_event: in run mode, queues a copy of each event (waits
 * while the queue is full). */
void run_on_event(void *ctx, struct model *m, const struct model_event *ev);
/* Writes one wake-up byte to done[1]. */
void run_notify(struct run_live *r);

#endif
