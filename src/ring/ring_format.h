/* ring_format: the one header shared by the shim (in the target) and the
 * tracer (in memlens).  It fixes the layout of the shared-memory event ring
 * (a memfd) and of its fixed-size records.  Change it only together with
 * RING_VERSION: both sides refuse a magic or version they do not know.
 * Plain C11, libc only: the shim includes it. */
#ifndef MEMLENS_RING_FORMAT_H
#define MEMLENS_RING_FORMAT_H

#include <stdatomic.h>
#include <stdint.h>

#define RING_MAGIC   UINT64_C(0x474e52534e454c4d) /* "MLENSRNG" little-endian */
#define RING_VERSION 2  /* 2: slots are the 128-byte records themselves */

/* Environment the tracer hands the target (the shim reads, then may drop). */
#define RING_ENV_FD    "MEMLENS_RING_FD"    /* decimal fd of the memfd */
#define RING_ENV_ALLOC "MEMLENS_ALLOC"      /* "teach" (default) or "libc" */

/* What a record says happened. */
enum ring_kind {
	RING_MALLOC = 1,
	RING_CALLOC,
	RING_REALLOC,
	RING_REALLOCARRAY,
	RING_FREE,
	RING_POSIX_MEMALIGN,
	RING_ALIGNED_ALLOC,
	RING_MEMALIGN,
	RING_VALLOC,
	RING_PVALLOC,
	RING_ERROR,       /* a misuse the teach allocator caught; see ring_error */
	RING_KIND_MAX
};

/* For RING_ERROR records: what went wrong (in `error`), with the call that
 * did it in `args[0]` (its enum ring_kind) and the pointer in `args[1]`;
 * for RING_ERR_CORRUPT_HEADER `block` is the damaged header.  A misused
 * free/realloc is ignored and has only its RING_ERROR record; when damage
 * is found during a call that still happens (a malloc meeting overwritten
 * free-list links), the RING_ERROR record comes just before the call's. */
enum ring_error {
	RING_ERR_NONE = 0,
	RING_ERR_DOUBLE_FREE,     /* free of a block already free */
	RING_ERR_INVALID_FREE,    /* free of a pointer never handed out */
	RING_ERR_REALLOC_FREED,   /* realloc of a freed block */
	RING_ERR_CORRUPT_HEADER,  /* a header overwritten (buffer overrun) */
	RING_ERR_OOM,             /* a request the allocator could not serve */
};

/* Teach-mode facts about what the allocator did (bits in `flags`). */
enum ring_flags {
	RING_F_SPLIT     = 1u << 0, /* a free block was split */
	RING_F_COALESCED = 1u << 1, /* the freed block merged with neighbours */
	RING_F_GREW_HEAP = 1u << 2, /* the program break moved (sbrk) */
	RING_F_MMAP      = 1u << 3, /* served by (or returned to) its own mmap */
	RING_F_TEACH     = 1u << 4, /* block/block_size/brk fields are valid */
	RING_F_EARLY     = 1u << 5, /* made before the ring was mapped */
};

/* One event: 128 bytes, fixed size. */
struct ring_record {
	uint64_t seq;        /* global order of the calls (0, 1, 2, ...) */
	uint16_t kind;       /* enum ring_kind */
	uint16_t flags;      /* enum ring_flags */
	int32_t tid;         /* thread that made the call */
	/* Arguments as the call received them:
	 *   malloc(size)               args[0]=size
	 *   calloc(n, size)            args[0]=n args[1]=size
	 *   realloc(p, size)           args[0]=p args[1]=size (size 0: p freed, result 0)
	 *   reallocarray(p, n, size)   args[0]=p args[1]=n args[2]=size
	 *   free(p)                    args[0]=p
	 *   posix_memalign(&p, a, s)   args[0]=a args[1]=s (result = p or 0)
	 *   aligned_alloc/memalign(a, s) args[0]=a args[1]=s
	 *   valloc/pvalloc(s)          args[0]=s */
	uint64_t args[3];
	uint64_t result;     /* returned pointer (0 on failure) */
	uint64_t caller;     /* return address into the caller */
	uint64_t sp;         /* the caller's stack pointer at the call */
	/* Teach mode only (RING_F_TEACH): */
	uint64_t block;      /* block address including its header */
	uint64_t block_size; /* block size including its header */
	uint64_t brk;        /* the program break after the call */
	uint64_t old_block;  /* realloc/free: the block given back, else 0 */
	uint32_t error;      /* enum ring_error for RING_ERROR, else 0 */
	int32_t err_no;      /* errno the call left (ENOMEM), else 0 */
	uint64_t reserved[2];
	uint64_t ready;      /* ring bookkeeping: seq + 1 once published (atomic) */
};

_Static_assert(sizeof(struct ring_record) == 128, "ring record is 128 bytes");

/* Flags in ring_header.mode, set by the tracer, read by the shim per call. */
enum ring_mode {
	RING_MODE_STEP = 1u << 0, /* trap after each event so the tracer stops */
	RING_MODE_OFF  = 1u << 1, /* the reader is gone: write nothing, never wait */
};

/* The memfd begins with this header (one 4 KiB page), then `capacity`
 * slots, each one struct ring_record (two cache lines, so neighbouring
 * slots never share a line).  Producers (target threads) reserve a
 * sequence number by fetch-adding `head`, wait until the consumer has
 * consumed seq - capacity (that is, until seq - tail < capacity: ring full,
 * the shim waits, nothing is dropped), write the record into slot
 * seq % capacity, then publish by storing seq+1 into its `ready` field
 * with release order.  The consumer (tracer) reads slot tail % capacity
 * once its `ready == tail + 1` (a slot's previous lap left seq+1-capacity
 * there, so no reset is needed), copies the record and advances `tail`
 * with release order (it may batch that store).  ring_produce_* below is
 * the producer side, shared by the shim and the tests; a producer may cache
 * the tail it last read, since the tail only grows. */
struct ring_header {
	uint64_t magic;          /* RING_MAGIC */
	uint32_t version;        /* RING_VERSION */
	uint32_t record_size;    /* sizeof(struct ring_record) */
	uint64_t capacity;       /* number of slots, a power of two */
	int32_t pid;             /* the traced pid: a shim in another process stays silent */
	_Atomic uint32_t mode;   /* enum ring_mode */
	_Atomic uint64_t trap_addr; /* address of the shim's int3, published by the shim */
	_Atomic uint32_t attached;  /* set to 1 by the shim once it mapped the ring */
	uint32_t alloc;          /* 0 teach, 1 libc: what the shim runs (set by the shim) */
	/* 1 while the reader sleeps in FUTEX_WAIT on this word (shared, not
	 * private).  A producer wakes it when the ring is full and at every
	 * RING_WAKE_EVERY-th record, so the reader can sleep while records
	 * gather and drain them in batches.  Taken from the padding: a shim
	 * that ignores it only lets the reader sleep to its timeout. */
	_Atomic uint32_t reader_sleeps;
	uint32_t pad1;
	uint64_t pad0[7];
	_Alignas(64) _Atomic uint64_t head; /* next sequence number to reserve */
	_Alignas(64) _Atomic uint64_t tail; /* next sequence number to consume */
};

#define RING_HEADER_SIZE 4096u
#define RING_WAKE_EVERY 4096u  /* records; a power of two */
_Static_assert(sizeof(struct ring_header) <= RING_HEADER_SIZE, "ring header fits a page");

/* Bytes of a ring with `capacity` slots. */
#define RING_BYTES(capacity) ((uint64_t)RING_HEADER_SIZE + (uint64_t)(capacity) * sizeof(struct ring_record))

static inline struct ring_record *ring_slot_at(struct ring_header *h, uint64_t seq)
{
	return (struct ring_record *)((char *)h + RING_HEADER_SIZE) + (seq & (h->capacity - 1));
}

/* Consumer: nonzero once slot seq holds its record (acquire). */
static inline int ring_slot_ready(const struct ring_record *s, uint64_t seq)
{
	return __atomic_load_n(&s->ready, __ATOMIC_ACQUIRE) == seq + 1;
}

/* Producer: publishes slot seq, filled in place (release). */
static inline void ring_slot_publish(struct ring_record *s, uint64_t seq)
{
	s->seq = seq;
	__atomic_store_n(&s->ready, seq + 1, __ATOMIC_RELEASE);
}

/* Producer, step 1: take the next sequence number (the true global order;
 * take it under the lock that orders the calls). */
static inline uint64_t ring_produce_reserve(struct ring_header *h)
{
	return atomic_fetch_add_explicit(&h->head, 1, memory_order_relaxed);
}

/* Producer, step 2: nonzero once slot `seq` may be written. */
static inline int ring_produce_room(struct ring_header *h, uint64_t seq)
{
	return seq - atomic_load_explicit(&h->tail, memory_order_acquire) < h->capacity;
}

/* Producer, step 3 (after ring_produce_room said yes): write and publish.
 * rec->seq is set here. */
static inline void ring_produce_commit(struct ring_header *h, uint64_t seq,
				       const struct ring_record *rec)
{
	struct ring_record *s = ring_slot_at(h, seq);

	/* Everything but `ready`, which keeps the old lap's value until now. */
	__builtin_memcpy(s, rec, __builtin_offsetof(struct ring_record, ready));
	ring_slot_publish(s, seq);
}

#endif
