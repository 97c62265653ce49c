/* The send queue: order across index wrap-around for any capacity, the
 * bound (a full queue refuses, holds nothing extra), and reference counts. */
#include "net/txq.h"
#include "test.h"
#include <stdlib.h>
#include <string.h>

static struct frame *mk(unsigned i)
{
    char s[16];
    int n = snprintf(s, sizeof s, "%u", i);
    return frame_copy(s, (size_t)n);
}

static unsigned val(struct frame *f)
{
    return (unsigned)strtoul((const char *)frame_payload(f), NULL, 10);
}

/* 70,000 messages cross the 65,536 wrap of a uint16 counter: with any
 * capacity (not only powers of two) every message comes out once, in order. */
static void test_order_survives_wrap_for_every_capacity(void)
{
    for (unsigned cap = 1; cap <= TXQ_MAX; cap++) {
        struct txq q = {0};
        txq_init(&q, cap);
        ASSERT_EQ(q.cap, cap);
        unsigned in = 0, out = 0;
        while (out < 70000) {
            /* Fill by a varying amount, then drain part of it. */
            unsigned burst = 1 + (in * 7 + cap) % cap;
            for (unsigned k = 0; k < burst && !txq_full(&q); k++) {
                struct frame *f = mk(in++);
                ASSERT(txq_push(&q, f));
                frame_unref(f);
            }
            unsigned drain = 1 + (out * 3) % (unsigned)txq_len(&q);
            for (unsigned k = 0; k < drain; k++) {
                struct frame *f = txq_peek(&q);
                ASSERT(f);
                ASSERT_EQ(val(f), out);
                out++;
                txq_pop(&q);
            }
        }
        ASSERT_LE(txq_len(&q), cap);
        txq_cleanup(&q);
    }
}

static void test_full_queue_refuses_and_keeps_no_reference(void)
{
    struct txq q = {0};
    txq_init(&q, 4);
    struct frame *f = mk(1);
    for (int i = 0; i < 4; i++)
        ASSERT(txq_push(&q, f));
    ASSERT_EQ(f->refs, 5);
    ASSERT(txq_full(&q));
    ASSERT(!txq_push(&q, f));
    ASSERT_EQ(f->refs, 5);   /* the refused push took nothing */
    ASSERT_EQ(txq_len(&q), 4);
    txq_pop(&q);
    ASSERT_EQ(f->refs, 4);
    txq_clear(&q);
    ASSERT_EQ(f->refs, 1);
    ASSERT(txq_peek(&q) == NULL);
    ASSERT(txq_push(&q, f));
    txq_cleanup(&q);          /* drops what is still queued */
    ASSERT_EQ(f->refs, 1);
    ASSERT(q.ring == NULL);
    frame_unref(f);
}

static void test_out_of_range_capacity_gets_default(void)
{
    struct txq q = {0};
    txq_init(&q, 0);
    ASSERT_EQ(q.cap, TXQ_DEFAULT);
    txq_cleanup(&q);
    txq_init(&q, TXQ_MAX + 1);
    ASSERT_EQ(q.cap, TXQ_DEFAULT);
    txq_cleanup(&q);
    txq_cleanup(&q);          /* twice is harmless */
}

static void test_frame_headroom_and_nul(void)
{
    struct frame *f = frame_copy("abc", 3);
    ASSERT_EQ(f->len, 3);
    ASSERT_STR_EQ((const char *)frame_payload(f), "abc");
    ASSERT(frame_payload(f) - f->buf == FRAME_HEADROOM);
    frame_unref(frame_ref(f));
    ASSERT_EQ(f->refs, 1);
    frame_unref(f);
    frame_unref(NULL);
}

static void test_ws_header_lengths(void)
{
    unsigned char h[TXQ_WS_HEADER_MAX];
    ASSERT_EQ(txq_ws_header(h, 0), 2);
    ASSERT_EQ(h[0], 0x81);
    ASSERT_EQ(h[1], 0);
    ASSERT_EQ(txq_ws_header(h, 125), 2);
    ASSERT_EQ(h[1], 125);
    ASSERT_EQ(txq_ws_header(h, 126), 4);
    ASSERT_EQ(h[1], 126);
    ASSERT_EQ(h[2], 0);
    ASSERT_EQ(h[3], 126);
    ASSERT_EQ(txq_ws_header(h, 65535), 4);
    ASSERT_EQ(h[2], 0xff);
    ASSERT_EQ(h[3], 0xff);
    ASSERT_EQ(txq_ws_header(h, 65536), 10);
    ASSERT_EQ(h[0], 0x81);
    ASSERT_EQ(h[1], 127);
    static const unsigned char be[8] = {0, 0, 0, 0, 0, 1, 0, 0};
    ASSERT(!memcmp(h + 2, be, 8));
    ASSERT_EQ(txq_ws_header(h, 0x01020304), 10);
    static const unsigned char be2[8] = {0, 0, 0, 0, 1, 2, 3, 4};
    ASSERT(!memcmp(h + 2, be2, 8));
}

static struct test_case tests[] = {
    {"ws_header_lengths", test_ws_header_lengths},
    {"order_survives_wrap_for_every_capacity", test_order_survives_wrap_for_every_capacity},
    {"full_queue_refuses_and_keeps_no_reference", test_full_queue_refuses_and_keeps_no_reference},
    {"out_of_range_capacity_gets_default", test_out_of_range_capacity_gets_default},
    {"frame_headroom_and_nul", test_frame_headroom_and_nul},
};

TEST_MAIN(tests)
