/* A connection's bounded send queue: a ring of references to shared,
 * encode-once frames. No socket and no libwebsockets code here (ws.c
 * writes); unit-tested in tests/unit/net/test_txq.c.
 *
 * Indices: `head` is a slot index in [0, cap) and `count` the number of
 * queued frames, both uint16_t with cap <= TXQ_MAX. They never wrap, so any
 * cap works (free-running uint16 counters taken `% cap` alias slots after
 * 65,536 messages unless cap is a power of two). */
#ifndef QZ_TXQ_H
#define QZ_TXQ_H
#include "qz/frame.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TXQ_MAX 64              /* largest accepted queue length (messages) */
#define TXQ_DEFAULT 32

struct txq {
    struct frame **ring;        /* cap slots, NULL until txq_init */
    uint16_t cap, head, count;
};

/* Allocates `cap` slots (1..TXQ_MAX; other values give TXQ_DEFAULT). */
void txq_init(struct txq *q, unsigned cap);
/* Drops every queued reference and frees the ring. NULL-safe ring. */
void txq_cleanup(struct txq *q);
/* Appends a new reference to f. Returns false (and queues nothing) when full. */
bool txq_push(struct txq *q, struct frame *f);
/* The oldest frame (borrowed), or NULL when empty. */
struct frame *txq_peek(const struct txq *q);
/* Removes the oldest frame and drops its reference. The queue must not be empty. */
void txq_pop(struct txq *q);
/* Drops every queued frame. */
void txq_clear(struct txq *q);

/* The header of a server text message of `len` bytes as RFC 6455 (5.2)
 * frames it and lws writes it (FIN|TEXT, unmasked): 2, 4 or 10 bytes into
 * out, which has room for TXQ_WS_HEADER_MAX. */
#define TXQ_WS_HEADER_MAX 10
size_t txq_ws_header(unsigned char *out, size_t len);

static inline size_t txq_len(const struct txq *q)
{
    return q->count;
}

static inline bool txq_full(const struct txq *q)
{
    return q->count == q->cap;
}

#endif
