/* ring: the tracer's side of the shared-memory event ring (a memfd that
 * the preloaded shim writes and memlens drains).  The layout and the
 * producer protocol are in ring_format.h, the one header shared with the
 * shim.  One consumer per ring; a ring is not thread-safe on this side. */
#ifndef MEMLENS_RING_RING_H
#define MEMLENS_RING_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ring/ring_format.h"
#include "util/err.h"

/* Default number of slots: 32768 x 64 bytes, 2 MiB (32K events of one
 * slot: libc mode, packed teach records; 16K teach events of two). */
#define RING_DEFAULT_CAPACITY 32768u

struct ring;

/* Creates a memfd ring with `capacity` slots (0: the default; rounded up to
 * a power of two, at least 4), maps it prefaulted and fills the header (magic, version,
 * record size, capacity; pid 0 until ring_set_pid).  The fd has no
 * FD_CLOEXEC so it survives fork and exec: hand its number to the target
 * in RING_ENV_FD (see ring_env). */
struct ring *ring_create(size_t capacity, struct err *e);

/* Maps an existing ring by fd (a reader in another process, the tests),
 * after ring_attach_check.  The fd is dup'ed; the caller keeps its own.
 * It knows no teach record read before: open it before the shim attaches,
 * or a packed record's brk comes back 0 until the next unpacked one. */
struct ring *ring_open_fd(int fd, struct err *e);

/* Checks a mapped ring header: magic, version, record size, a power-of-two
 * capacity that fits `len` bytes.  Fills `e` with a clear message
 * ("event ring: version 2, this memlens reads version 1") and returns -1
 * when it refuses. */
int ring_attach_check(const void *map, size_t len, struct err *e);

/* The memfd's number, or -1 once ring_close_fd was called. */
int ring_fd(const struct ring *r);

/* Writes "MEMLENS_RING_FD=N" into buf (for a child's environment); returns
 * buf.  Pair with RING_ENV_ALLOC ("teach" or "libc"). */
char *ring_env(const struct ring *r, char *buf, size_t len);

/* Closes the tracer's copy of the fd (after the target has mapped it or
 * exec'd); the mapping stays. */
void ring_close_fd(struct ring *r);

/* The traced pid: a shim in any other process stays silent.  Set it after
 * fork, before the child execs the target. */
void ring_set_pid(struct ring *r, pid_t pid);

/* Step mode on or off: with it on the shim executes an int3 at its trap
 * site after publishing each record. */
void ring_set_step(struct ring *r, bool on);

/* Block contents on or off (RING_MODE_BYTES): set it before the program
 * starts; the shim reads it once, when it maps the ring. */
void ring_set_bytes(struct ring *r, bool on);

/* Packed teach records off (RING_MODE_UNPACKED): every event the shim
 * writes then has its aux slot, as in version 3.  The reader takes both
 * forms alike; the tests compare them.  Set it before the program starts. */
void ring_set_unpacked(struct ring *r, bool on);

/* The address of the shim's int3 (0 until the shim published it).  A stop
 * is the shim's when it is SIGTRAP, si_code SI_KERNEL and rip - 1 equals
 * this address. */
uint64_t ring_trap_addr(const struct ring *r);

/* True once a shim mapped the ring; *alloc (if not NULL) gets 0 for teach,
 * 1 for libc, as the shim reports it. */
bool ring_attached(const struct ring *r, unsigned *alloc);

/* Slots published but not yet drained (an estimate while producers run). */
uint64_t ring_pending(const struct ring *r);

/* Calls cb for every record available, in sequence order, up to `max`
 * records (0: no limit), and frees their slots.  Each record is one event
 * reassembled from its slots (ring_format.h) and numbered by this reader:
 * rec->seq counts the events it handed out, from 0.  Stops at the first slot
 * not yet published (a producer still writing it), so no record is lost or
 * reordered.  Never blocks; safe after the target exited.  A nonzero
 * return from cb stops the drain after that record.  Returns the number of
 * records handed to cb. */
typedef int (*ring_cb)(const struct ring_record *rec, void *arg);
size_t ring_drain(struct ring *r, size_t max, ring_cb cb, void *arg);

/* The same without copying: cb sees each event in place in the ring, its
 * slots still reserved for it until cb returns (aux and bytes are NULL
 * when the event has no such slot; ev->flags may hold RING_F_AUX).  A
 * packed teach record is shown as it would have come unpacked: ev and aux
 * then point at a copy in the reader (args[2] 0, RING_F_AUX set, never
 * RING_F_PACKED), valid until cb returns.  For
 * the tracer's hot path: reading a fresh copy back cost more than the
 * reading itself (stores and loads of different widths do not forward). */
struct ring_view {
	uint64_t seq;                  /* the event's number, as ring_drain's rec->seq */
	const struct ring_primary *ev;
	const struct ring_aux *aux;    /* NULL: no aux slot (all its fields 0) */
	const unsigned char *bytes;    /* ev->nbytes content bytes, or NULL */
};
typedef int (*ring_view_cb)(const struct ring_view *v, void *arg);
size_t ring_drain_view(struct ring *r, size_t max, ring_view_cb cb, void *arg);

/* Same as ring_drain, copying up to `max` records into buf. */
size_t ring_read(struct ring *r, struct ring_record *buf, size_t max);

/* Sleeps up to `ns` nanoseconds unless a record is waiting or a producer
 * wakes the reader (it does at every RING_WAKE_EVERY-th record and when
 * the ring is full); a signal ends it too.  Lets the reader drain in
 * batches without making a busy program wait for it. */
void ring_wait(struct ring *r, long ns);

/* Number of the next record ring_drain will hand out (inside a
 * ring_drain callback: the record being handed out + 1); a ring opened
 * with ring_open_fd counts from 0 at its opening. */
uint64_t ring_next_seq(const struct ring *r);

/* Tells shims that the reader is gone (they stop writing and never wait),
 * unmaps, closes the fd and frees.  NULL is allowed. */
void ring_free(struct ring *r);

#endif
