/* The send ring. */
#include "txq.h"
#include "util/xmalloc.h"
#include <stdlib.h>

void txq_init(struct txq *q, unsigned cap)
{
    if (cap == 0 || cap > TXQ_MAX)
        cap = TXQ_DEFAULT;
    q->ring = xcalloc(cap, sizeof *q->ring);
    q->cap = (uint16_t)cap;
    q->head = q->count = 0;
}

void txq_clear(struct txq *q)
{
    while (q->count)
        txq_pop(q);
}

void txq_cleanup(struct txq *q)
{
    if (q->ring)
        txq_clear(q);
    free(q->ring);
    q->ring = NULL;
    q->cap = 0;
}

bool txq_push(struct txq *q, struct frame *f)
{
    if (q->count >= q->cap)
        return false;
    unsigned tail = (unsigned)q->head + q->count;
    if (tail >= q->cap)
        tail -= q->cap;
    q->ring[tail] = frame_ref(f);
    q->count++;
    return true;
}

size_t txq_ws_header(unsigned char *out, size_t len)
{
    out[0] = 0x81;   /* FIN | text */
    if (len < 126) {
        out[1] = (unsigned char)len;
        return 2;
    }
    if (len <= 0xffff) {
        out[1] = 126;
        out[2] = (unsigned char)(len >> 8);
        out[3] = (unsigned char)len;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
    return 10;
}

struct frame *txq_peek(const struct txq *q)
{
    return q->count ? q->ring[q->head] : NULL;
}

void txq_pop(struct txq *q)
{
    struct frame *f = q->ring[q->head];
    q->ring[q->head] = NULL;
    q->head = (uint16_t)(q->head + 1 == q->cap ? 0 : q->head + 1);
    q->count--;
    frame_unref(f);
}
