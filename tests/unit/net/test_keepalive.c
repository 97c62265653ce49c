/* Keepalive decisions: a ping after ping_ms of silence (once), a close
 * after the hangup time, any frame from the peer resets both. */
#include "net/keepalive.h"
#include "test.h"

static void test_ping_once_then_close(void)
{
    struct ka_state s;
    ka_heard(&s, 1000);
    ASSERT_EQ(ka_check(&s, 1000, 300), KA_NONE);
    ASSERT_EQ(ka_check(&s, 1299, 300), KA_NONE);
    ASSERT_EQ(ka_check(&s, 1300, 300), KA_PING);
    s.ping_out = true;   /* the sweep wrote it */
    ASSERT_EQ(ka_check(&s, 1350, 300), KA_NONE);   /* not twice */
    ASSERT_EQ(ka_check(&s, 1399, 300), KA_NONE);
    ASSERT_EQ(ka_check(&s, 1400, 300), KA_CLOSE);  /* 300 + 100 */
}

static void test_a_frame_resets_the_silence(void)
{
    struct ka_state s;
    ka_heard(&s, 0);
    s.ping_out = true;
    ka_heard(&s, 350);   /* the pong (or any message) */
    ASSERT(!s.ping_out);
    ASSERT_EQ(ka_check(&s, 400, 300), KA_NONE);
    ASSERT_EQ(ka_check(&s, 650, 300), KA_PING);
}

static void test_busy_connection_is_still_closed_when_silent(void)
{
    /* A ping the sweep could not write (queue busy) leaves ping_out false:
     * the connection is asked again next tick, and closed at the hangup. */
    struct ka_state s;
    ka_heard(&s, 0);
    ASSERT_EQ(ka_check(&s, 30000, KA_PING_MS), KA_PING);
    ASSERT_EQ(ka_check(&s, 39999, KA_PING_MS), KA_PING);
    ASSERT_EQ(ka_check(&s, 40000, KA_PING_MS), KA_CLOSE);
}

static void test_clock_before_last_frame_is_not_silence(void)
{
    struct ka_state s;
    ka_heard(&s, 5000);
    ASSERT_EQ(ka_check(&s, 4000, 300), KA_NONE);
}

static void test_hangup_and_tick(void)
{
    ASSERT_EQ(ka_hangup_ms(KA_PING_MS), 40000);
    ASSERT_EQ(ka_tick_ms(KA_PING_MS), KA_TICK_MAX_MS);
    ASSERT_EQ(ka_tick_ms(400), 100);
    ASSERT_EQ(ka_tick_ms(2), 1);
    /* With a full sweep of KA_SWEEP_MAX per tick, every connection of a
     * 15,000-player server is looked at well within the hangup margin. */
    uint64_t ticks = (15000 + KA_SWEEP_MAX - 1) / KA_SWEEP_MAX;
    ASSERT(ticks * ka_tick_ms(KA_PING_MS) < ka_hangup_ms(KA_PING_MS) - KA_PING_MS);
}

static struct test_case tests[] = {
    {"ping_once_then_close", test_ping_once_then_close},
    {"a_frame_resets_the_silence", test_a_frame_resets_the_silence},
    {"busy_connection_is_still_closed_when_silent", test_busy_connection_is_still_closed_when_silent},
    {"clock_before_last_frame_is_not_silence", test_clock_before_last_frame_is_not_silence},
    {"hangup_and_tick", test_hangup_and_tick},
};

TEST_MAIN(tests)
