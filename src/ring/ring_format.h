/* ring_format: the one header shared by the shim (in the target) and the
 * tracer (in memlens).  It fixes the layout of the shared-memory event ring
 * (a memfd), its 64-byte slots and the events written into them.  Change it only together with
 * RING_VERSION: both sides refuse a magic or version they do not know.
 * Plain C11, libc only: the shim includes it. */
#ifndef MEMLENS_RING_FORMAT_H
#define MEMLENS_RING_FORMAT_H

#include <stdatomic.h>
#include <stdint.h>

#define RING_MAGIC   UINT64_C(0x474e52534e454c4d) /* "MLENSRNG" little-endian */
#define RING_VERSION 4  /* 3: 64-byte slots, an event is a primary slot + extensions;
			    4: packed teach records (RING_F_PACKED) */

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
	RING_F_AUX       = 1u << 6, /* in the ring only: an aux slot follows */
	RING_F_PACKED    = 1u << 7, /* in the ring only: teach facts packed in args[2] */
};

/* ---- the ring's slots (version 4) -------------------------------------
 *
 * The ring is an array of 64-byte slots (one cache line each: the shim
 * writes a line, the tracer on the other CPU reads it).  Every slot starts
 * with `ready`, the slot's position + 1 once published, so the position is
 * never stored twice and a slot left from the previous lap is never taken
 * for a new one.  An event is one primary slot, followed directly (with one
 * reservation, so nothing comes between) by the extension slots it needs,
 * in this order:
 *   - an aux slot when RING_F_AUX is set: the teach-mode facts (block,
 *     block_size, brk, old_block, error) and err_no; in teach mode unless
 *     the record is packed, in libc mode only when the call left a
 *     nonzero errno;
 *   - a content slot when nbytes > 0 (RING_MODE_BYTES): the first bytes
 *     of the block a free or realloc released or moved.
 * Extension slots may wrap past the ring's end: the consumer reads every
 * slot by its position.  The producer publishes the extension slots first
 * and the primary last, so a ready primary has ready extensions.
 *
 * A packed teach record (RING_F_PACKED, version 4) has no aux slot: its
 * facts follow from the primary and the brk of the teach record before it
 * in ring order (see ring_pack below), so the common teach-mode event is
 * one cache line, like a libc-mode one. */
#define RING_SLOT_SIZE   64u
#define RING_CONTENT_MAX 56u /* content bytes: a slot minus its `ready` word */
#define RING_RECORD_SLOTS_MAX 3u

struct ring_primary {
	uint64_t ready;      /* position + 1 once published (atomic, release) */
	uint8_t kind;        /* enum ring_kind */
	uint8_t nbytes;      /* bytes in the content slot; 0: no content slot */
	uint16_t flags;      /* enum ring_flags (RING_F_AUX: an aux slot follows;
				RING_F_PACKED: the teach facts are in args[2]) */
	int32_t tid;         /* thread that made the call */
	uint64_t args[3];    /* see struct ring_record */
	uint64_t result, caller, sp;
};
struct ring_aux {
	uint64_t ready;
	uint64_t block, block_size, brk, old_block;
	uint32_t error;
	int32_t err_no;
	uint64_t pad[2];
};
struct ring_content {
	uint64_t ready;
	unsigned char bytes[RING_CONTENT_MAX];
};
union ring_slot {
	uint64_t ready;
	struct ring_primary ev;
	struct ring_aux aux;
	struct ring_content content;
};
_Static_assert(sizeof(struct ring_primary) == RING_SLOT_SIZE, "primary slot is 64 bytes");
_Static_assert(sizeof(struct ring_aux) == RING_SLOT_SIZE, "aux slot is 64 bytes");
_Static_assert(sizeof(union ring_slot) == RING_SLOT_SIZE, "a slot is 64 bytes");

/* One event as the consumer hands it out, reassembled from its slots (and
 * as the shim keeps its early records).  Not itself in the ring. */
struct ring_record {
	uint64_t seq;        /* the event's number: 0, 1, 2, ... counted by the consumer */
	uint16_t kind;       /* enum ring_kind */
	uint16_t flags;      /* enum ring_flags, without RING_F_AUX and RING_F_PACKED */
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
	/* RING_MODE_BYTES: a free, or a realloc that released or moved its
	 * block: its first `nbytes` bytes just before the call */
	uint32_t nbytes;
	unsigned char bytes[RING_CONTENT_MAX];
};

/* Flags in ring_header.mode, set by the tracer, read by the shim per call. */
enum ring_mode {
	RING_MODE_STEP  = 1u << 0, /* trap after each event so the tracer stops */
	RING_MODE_OFF   = 1u << 1, /* the reader is gone: write nothing, never wait */
	/* record block contents at free/realloc (content slots); set before
	 * the program starts and never changed */
	RING_MODE_BYTES = 1u << 2,
	/* write every teach record unpacked, with its aux slot (the tests
	 * compare both forms); set before the program starts, never changed */
	RING_MODE_UNPACKED = 1u << 3,
};

/* The memfd begins with this header (one 4 KiB page), then `capacity`
 * slots of 64 bytes.  Producers (target threads) reserve the n slots of an
 * event (1 to RING_RECORD_SLOTS_MAX) with one fetch-add of n on `head`
 * (under whatever lock orders their calls), wait until
 * the consumer has freed them (seq + n - tail <= capacity: ring full, the
 * shim waits, nothing is dropped), write them in place and publish each by
 * storing its position + 1 into its `ready` word with release order, the
 * primary last.  The consumer (tracer) reads slot tail % capacity once its
 * `ready == tail + 1`, then its extension slots the same way, hands out
 * the event and advances `tail` past all of them with release order (it
 * may batch that store).  ring_produce_* below is the producer side,
 * shared by the shim's early buffer and the tests; a producer may cache
 * the tail it last read, since the tail only grows. */
struct ring_header {
	uint64_t magic;          /* RING_MAGIC */
	uint32_t version;        /* RING_VERSION */
	uint32_t record_size;    /* RING_SLOT_SIZE: bytes per slot */
	uint64_t capacity;       /* number of slots, a power of two, >= 4 */
	int32_t pid;             /* the traced pid: a shim in another process stays silent */
	_Atomic uint32_t mode;   /* enum ring_mode */
	_Atomic uint64_t trap_addr; /* address of the shim's int3, published by the shim */
	_Atomic uint32_t attached;  /* set to 1 by the shim once it mapped the ring */
	uint32_t alloc;          /* 0 teach, 1 libc: what the shim runs (set by the shim) */
	uint64_t pad0[8];
	_Alignas(64) _Atomic uint64_t head; /* next slot position to reserve */
	/* The reader's line: it writes these, producers read them seldom. */
	_Alignas(64) _Atomic uint64_t tail; /* next slot position to consume */
	/* 1 while the reader sleeps in FUTEX_WAIT on this word (shared, not
	 * private).  A producer wakes it when the ring is full and whenever
	 * its slots cross a multiple of RING_WAKE_EVERY, so the reader can
	 * sleep while records gather and drain them in batches.  Not beside
	 * `mode` and `capacity`, which producers read at every call. */
	_Atomic uint32_t reader_sleeps;
	/* 1 while a producer sleeps in FUTEX_WAIT on this word for room (the
	 * ring was full past a short spin).  The reader wakes them all, when
	 * it is set, at the end of each drain and once a quarter of the ring
	 * is free within one.  Both sides store their word
	 * and then load the other's with sequential consistency, so a producer
	 * either sees the new tail or is woken. */
	_Atomic uint32_t writers_wait;
};

#define RING_HEADER_SIZE 4096u
#define RING_WAKE_EVERY 4096u  /* slots; a power of two */
_Static_assert(sizeof(struct ring_header) <= RING_HEADER_SIZE, "ring header fits a page");

/* Bytes of a ring with `capacity` slots. */
#define RING_BYTES(capacity) ((uint64_t)RING_HEADER_SIZE + (uint64_t)(capacity) * RING_SLOT_SIZE)

static inline union ring_slot *ring_slot_at(struct ring_header *h, uint64_t pos)
{
	return (union ring_slot *)((char *)h + RING_HEADER_SIZE) + (pos & (h->capacity - 1));
}

/* Consumer: nonzero once slot `pos` holds its part (acquire). */
static inline int ring_slot_ready(const union ring_slot *s, uint64_t pos)
{
	return __atomic_load_n(&s->ready, __ATOMIC_ACQUIRE) == pos + 1;
}

/* Producer: publishes slot `pos`, filled in place (release). */
static inline void ring_slot_publish(union ring_slot *s, uint64_t pos)
{
	__atomic_store_n(&s->ready, pos + 1, __ATOMIC_RELEASE);
}

/* Slots of the event whose primary slot is `p`. */
static inline unsigned ring_primary_slots(const struct ring_primary *p)
{
	return 1u + ((p->flags & RING_F_AUX) != 0) + (p->nbytes != 0);
}

/* Whether a record needs an aux slot: teach facts or an errno. */
static inline int ring_record_has_aux(const struct ring_record *r)
{
	return (r->flags & RING_F_TEACH) || r->block || r->block_size || r->brk ||
	       r->old_block || r->error || r->err_no;
}

/* Slots a record needs: its primary, an aux slot, a content slot. */
static inline unsigned ring_record_slots(const struct ring_record *r)
{
	return 1u + (ring_record_has_aux(r) != 0) + (r->nbytes != 0);
}

/* ---- packed teach records (version 4) ----------------------------------
 *
 * "The previous teach brk" is the brk of the last record with RING_F_TEACH
 * before this one in ring order (0 before the first): the consumer keeps
 * it as it reads; a producer keeps it where it reserves (the shim: under
 * the teach allocator's lock, which orders the reservations; a producer
 * that cannot know it uses 0, and nothing is packed).  A teach record is
 * packed exactly when the rebuild below gives back its facts unchanged:
 *   - it is a call (not RING_ERROR, not reallocarray: args[2] is free),
 *     error == 0 and err_no == 0;
 *   - block_size < 2^32 and 0 <= anchor - block < 2^16, where the anchor
 *     is args[0] for free and the result for every other kind;
 *   - old_block is `block` for free; for the other kinds 0, or (a realloc
 *     that moved) 0 < args[0] - old_block < 2^16;
 *   - brk equals the previous teach brk, and that is not 0.
 * Then args[2] = block_size | (anchor - block) << 32 | (args[0] -
 * old_block, or 0) << 48. */
static inline uint64_t ring_pack_anchor(unsigned kind, uint64_t arg0, uint64_t result)
{
	return kind == RING_FREE ? arg0 : result;
}

/* The packed args[2] of a record that ring_pack accepts. */
static inline uint64_t ring_pack_a2(unsigned kind, uint64_t arg0, uint64_t result,
				    uint64_t block, uint64_t block_size, uint64_t old_block)
{
	uint64_t delta = ring_pack_anchor(kind, arg0, result) - block;
	uint64_t od = kind == RING_FREE || !old_block ? 0 : arg0 - old_block;

	return block_size | delta << 32 | od << 48;
}

/* Whether a teach record with these fields may be packed after a teach
 * record whose brk was prev_brk; if so *a2 gets its packed args[2]. */
static inline int ring_pack(unsigned kind, uint64_t arg0, uint64_t arg2, uint64_t result,
			    uint64_t block, uint64_t block_size, uint64_t old_block,
			    uint64_t brk, uint64_t prev_brk, uint32_t error, int32_t err_no,
			    uint64_t *a2)
{
	uint64_t delta = ring_pack_anchor(kind, arg0, result) - block;
	uint64_t od = kind == RING_FREE || !old_block ? 0 : arg0 - old_block;

	if (kind < RING_MALLOC || kind >= RING_ERROR || kind == RING_REALLOCARRAY || arg2 ||
	    error || err_no || (kind == RING_FREE ? old_block != block : old_block && (!od || od >> 16)) ||
	    (block_size >> 32) || (delta >> 16) || !prev_brk || brk != prev_brk)
		return 0;
	*a2 = ring_pack_a2(kind, arg0, result, block, block_size, old_block);
	return 1;
}

/* The facts of packed primary p, read after a teach record with brk
 * prev_brk, into *a (its `ready` word untouched); the record's args[2]
 * was 0. */
static inline void ring_unpack(const struct ring_primary *p, uint64_t prev_brk, struct ring_aux *a)
{
	uint64_t a2 = p->args[2], od = a2 >> 48;

	a->block = ring_pack_anchor(p->kind, p->args[0], p->result) - ((a2 >> 32) & 0xffff);
	a->block_size = a2 & UINT32_MAX;
	a->brk = prev_brk;
	a->old_block = p->kind == RING_FREE ? a->block : od ? p->args[0] - od : 0;
	a->error = 0;
	a->err_no = 0;
}

/* ring_pack for a whole record (a teach record: RING_F_TEACH). */
static inline int ring_record_pack(const struct ring_record *r, uint64_t prev_brk, uint64_t *a2)
{
	return (r->flags & RING_F_TEACH) &&
	       ring_pack(r->kind, r->args[0], r->args[2], r->result, r->block, r->block_size,
			 r->old_block, r->brk, prev_brk, r->error, r->err_no, a2);
}

/* Producer, step 1: take the positions of the event's n slots (the true
 * global order: take them under the lock that orders the calls). */
static inline uint64_t ring_produce_reserve(struct ring_header *h, unsigned n)
{
	return atomic_fetch_add_explicit(&h->head, n, memory_order_relaxed);
}

/* Producer, step 2: nonzero once slots seq .. seq + n - 1 may be written. */
static inline int ring_produce_room(struct ring_header *h, uint64_t seq, unsigned n)
{
	return seq + n - atomic_load_explicit(&h->tail, memory_order_acquire) <= h->capacity;
}

/* Slots a record needs when written after a teach record whose brk was
 * prev_brk: packed (ring_record_pack) it has no aux slot. */
static inline unsigned ring_record_slots_after(const struct ring_record *r, uint64_t prev_brk)
{
	uint64_t a2;

	return ring_record_pack(r, prev_brk, &a2) ? 1u + (r->nbytes != 0) : ring_record_slots(r);
}

/* Producer, step 3 (after ring_produce_room said yes): writes the record
 * into the ring_record_slots_after(rec, *prev_brk) slots from `seq`,
 * packed when it can be, and publishes them; *prev_brk is the previous
 * teach brk in ring order, updated for the next record (pass NULL to
 * never pack: ring_record_slots(rec) slots, and the consumer's previous
 * teach brk still follows the record). */
static inline void ring_produce_commit_after(struct ring_header *h, uint64_t seq,
					     const struct ring_record *rec, uint64_t *prev_brk)
{
	union ring_slot *s = ring_slot_at(h, seq);
	uint64_t pos = seq + 1, a2 = rec->args[2];
	int packed = prev_brk && ring_record_pack(rec, *prev_brk, &a2);
	uint16_t flags = (uint16_t)(rec->flags & ~(RING_F_AUX | RING_F_PACKED));

	if (packed)
		flags |= RING_F_PACKED;
	else if (ring_record_has_aux(rec))
		flags |= RING_F_AUX;
	if (prev_brk && (rec->flags & RING_F_TEACH))
		*prev_brk = rec->brk;
	s->ev.kind = (uint8_t)rec->kind;
	s->ev.nbytes = (uint8_t)(rec->nbytes > RING_CONTENT_MAX ? RING_CONTENT_MAX : rec->nbytes);
	s->ev.flags = flags;
	s->ev.tid = rec->tid;
	s->ev.args[0] = rec->args[0];
	s->ev.args[1] = rec->args[1];
	s->ev.args[2] = a2;
	s->ev.result = rec->result;
	s->ev.caller = rec->caller;
	s->ev.sp = rec->sp;
	if (s->ev.flags & RING_F_AUX) {
		union ring_slot *a = ring_slot_at(h, pos);
		a->aux.block = rec->block;
		a->aux.block_size = rec->block_size;
		a->aux.brk = rec->brk;
		a->aux.old_block = rec->old_block;
		a->aux.error = rec->error;
		a->aux.err_no = rec->err_no;
		ring_slot_publish(a, pos++);
	}
	if (s->ev.nbytes) {
		union ring_slot *c = ring_slot_at(h, pos);
		__builtin_memcpy(c->content.bytes, rec->bytes, s->ev.nbytes);
		ring_slot_publish(c, pos);
	}
	ring_slot_publish(s, seq);
}

/* The same, never packed: ring_record_slots(rec) slots (the shim's early
 * buffer, whose records the shim's own previous brk does not follow). */
static inline void ring_produce_commit(struct ring_header *h, uint64_t seq,
				       const struct ring_record *rec)
{
	ring_produce_commit_after(h, seq, rec, NULL);
}

#endif
