/* Per-connection state without sockets: the token bucket (burst, refill,
 * costs, abuse threshold) and reassembly of fragmented messages. */
#include "net/session.h"
#include "test.h"
#include <string.h>

static struct proto_req req(enum proto_type t)
{
    struct proto_req q;
    memset(&q, 0, sizeof q);
    q.type = t;
    return q;
}

static void test_bucket_burst_then_refill(void)
{
    struct sess_bucket b;
    sess_bucket_init(&b, 1000);
    for (int i = 0; i < SESS_RL_BURST; i++)
        ASSERT(sess_bucket_take(&b, 1, 1000));
    ASSERT(!sess_bucket_take(&b, 1, 1000));
    ASSERT_EQ(b.refused, 1);
    /* SESS_RL_PER_SEC credits a second: one credit after 1000/12 ms. */
    ASSERT(!sess_bucket_take(&b, 1, 1000 + 1000 / SESS_RL_PER_SEC - 1));
    ASSERT(sess_bucket_take(&b, 1, 1000 + 2 * (1000 / SESS_RL_PER_SEC)));
    /* Refill never exceeds the burst. */
    ASSERT(sess_bucket_take(&b, SESS_RL_BURST, 1000000));
    ASSERT(!sess_bucket_take(&b, 1, 1000000));
}

static void test_costs(void)
{
    struct proto_req j = req(PT_JOIN), n = req(PT_NEXT), a = req(PT_ANSWER);
    ASSERT_EQ(sess_request_cost(&j, false), SESS_RL_JOIN_COST);
    ASSERT_EQ(sess_request_cost(&j, true), SESS_RL_JOIN_COST);
    ASSERT_EQ(sess_request_cost(&n, true), 0);
    ASSERT_EQ(sess_request_cost(&n, false), 1);
    ASSERT_EQ(sess_request_cost(&a, false), 1);
}

static void test_abuse_threshold_and_reporting(void)
{
    struct sess_bucket b;
    sess_bucket_init(&b, 0);
    while (sess_bucket_take(&b, 1, 0))
        ;
    int reported = sess_bucket_should_report(&b);
    while (!sess_bucket_abusive(&b)) {
        ASSERT(!sess_bucket_take(&b, 1, 0));
        reported += sess_bucket_should_report(&b);
    }
    ASSERT_EQ(b.refused, SESS_RL_ABUSE_CLOSE);
    ASSERT_EQ(reported, 4 + SESS_RL_ABUSE_CLOSE / 50);   /* refusals 1-4, then 50, 100, ... */
}

/* Refusals are forgiven once the client pauses long enough to refill the
 * whole bucket: bursts spread over a long game never add up to a close. */
static void test_refusals_reset_after_a_full_refill(void)
{
    struct sess_bucket b;
    uint64_t now = 0;
    sess_bucket_init(&b, now);
    for (int round = 0; round < 3 * SESS_RL_ABUSE_CLOSE; round++) {
        while (sess_bucket_take(&b, 1, now))
            ;
        ASSERT(!sess_bucket_take(&b, 1, now));   /* one refusal per burst */
        ASSERT(!sess_bucket_abusive(&b));
        now += 1000 * SESS_RL_BURST / SESS_RL_PER_SEC;   /* a full refill */
    }
    /* Without a pause, refusals still add up to a close. */
    while (sess_bucket_take(&b, 1, now))
        ;
    for (int i = 0; i < SESS_RL_ABUSE_CLOSE; i++)
        ASSERT(!sess_bucket_take(&b, 1, now));
    ASSERT(sess_bucket_abusive(&b));
}

static void test_whole_message_is_not_copied(void)
{
    struct sess_rx rx = {0};
    const char *in = "{\"type\":\"ping\"}", *msg = NULL;
    size_t len = 0;
    ASSERT_EQ(sess_rx_feed(&rx, 64, in, strlen(in), true, true, &msg, &len), SESS_RX_MESSAGE);
    ASSERT(msg == in);
    ASSERT_EQ(len, strlen(in));
    ASSERT(rx.buf == NULL);
}

static void test_fragments_are_reassembled_and_bounded(void)
{
    struct sess_rx rx = {0};
    const char *msg;
    size_t len;
    ASSERT_EQ(sess_rx_feed(&rx, 10, "abc", 3, true, false, &msg, &len), SESS_RX_MORE);
    ASSERT_EQ(sess_rx_feed(&rx, 10, "def", 3, false, false, &msg, &len), SESS_RX_MORE);
    ASSERT_EQ(sess_rx_feed(&rx, 10, "gh", 2, false, true, &msg, &len), SESS_RX_MESSAGE);
    ASSERT_EQ(len, 8);
    ASSERT(!memcmp(msg, "abcdefgh", 8));
    sess_rx_release(&rx);
    ASSERT(rx.buf == NULL);   /* idle connections keep no buffer */
    ASSERT_EQ(sess_rx_feed(&rx, 10, "abcdef", 6, true, false, &msg, &len), SESS_RX_MORE);
    ASSERT_EQ(sess_rx_feed(&rx, 10, "ghijk", 5, false, true, &msg, &len), SESS_RX_TOO_LARGE);
    sess_rx_cleanup(&rx);
    ASSERT(rx.buf == NULL);
}

/* A binary message is counted, never kept: one outcome per message, at its
 * final fragment, or too large as soon as it passes the limit. */
static void test_discarded_message_counts_to_its_end(void)
{
    struct sess_rx rx = {0};
    const char *msg;
    size_t len;
    ASSERT_EQ(sess_rx_discard(&rx, 10, 4, true, false), SESS_RX_MORE);
    ASSERT_EQ(sess_rx_discard(&rx, 10, 4, false, false), SESS_RX_MORE);
    ASSERT_EQ(sess_rx_discard(&rx, 10, 2, false, true), SESS_RX_MESSAGE);   /* 10: at the limit */
    ASSERT(rx.buf == NULL);
    ASSERT_EQ(sess_rx_discard(&rx, 10, 10, true, true), SESS_RX_MESSAGE);
    ASSERT_EQ(sess_rx_discard(&rx, 10, 6, true, false), SESS_RX_MORE);
    ASSERT_EQ(sess_rx_discard(&rx, 10, 5, false, false), SESS_RX_TOO_LARGE);
    /* The next text message is read normally. */
    ASSERT_EQ(sess_rx_feed(&rx, 10, "ok", 2, true, true, &msg, &len), SESS_RX_MESSAGE);
    ASSERT(!memcmp(msg, "ok", 2));
    sess_rx_cleanup(&rx);
}

static struct test_case tests[] = {
    {"bucket_burst_then_refill", test_bucket_burst_then_refill},
    {"costs", test_costs},
    {"abuse_threshold_and_reporting", test_abuse_threshold_and_reporting},
    {"refusals_reset_after_a_full_refill", test_refusals_reset_after_a_full_refill},
    {"whole_message_is_not_copied", test_whole_message_is_not_copied},
    {"fragments_are_reassembled_and_bounded", test_fragments_are_reassembled_and_bounded},
    {"discarded_message_counts_to_its_end", test_discarded_message_counts_to_its_end},
};

TEST_MAIN(tests)
