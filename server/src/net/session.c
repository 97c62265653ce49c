/* Reassembly and rate limiting. */
#include "session.h"
#include "util/xmalloc.h"
#include <stdlib.h>
#include <string.h>

void sess_bucket_init(struct sess_bucket *b, uint64_t now_ms)
{
    b->t_ms = now_ms;
    b->credits = SESS_RL_BURST * 1000u;
    b->refused = 0;
}

bool sess_bucket_take(struct sess_bucket *b, uint32_t cost, uint64_t now_ms)
{
    uint64_t add = (now_ms - b->t_ms) * SESS_RL_PER_SEC;   /* credits*1000 per ms */
    uint64_t c = b->credits + add;
    b->t_ms = now_ms;
    b->credits = (uint32_t)(c > SESS_RL_BURST * 1000u ? SESS_RL_BURST * 1000u : c);
    /* A bucket that refilled completely means the client paused for the
     * whole burst: past refusals are forgiven, so only a sustained flood
     * reaches SESS_RL_ABUSE_CLOSE, not a long game with a few bursts
     * (issue 11, item 8). */
    if (b->credits == SESS_RL_BURST * 1000u)
        b->refused = 0;
    if (b->credits >= cost * 1000u) {
        b->credits -= cost * 1000u;
        return true;
    }
    if (b->refused < UINT16_MAX)
        b->refused++;
    return false;
}

bool sess_bucket_abusive(const struct sess_bucket *b)
{
    return b->refused >= SESS_RL_ABUSE_CLOSE;
}

bool sess_bucket_should_report(const struct sess_bucket *b)
{
    return b->refused < 5 || b->refused % 50 == 0;
}

uint32_t sess_request_cost(const struct proto_req *q, bool is_host)
{
    switch (q->type) {
    case PT_JOIN:
    case PT_CREATE_ROOM:
    case PT_HOST_RESUME: return SESS_RL_JOIN_COST;
    case PT_START:
    case PT_NEXT:
    case PT_KICK:
    case PT_LOCK:
    case PT_END: return is_host ? 0 : 1;
    default: return 1;
    }
}

enum sess_rx_result sess_rx_feed(struct sess_rx *rx, size_t max, const char *in, size_t n,
                                 bool first, bool final, const char **msg, size_t *len)
{
    if (first) {
        rx->len = 0;
        rx->discarding = false;
    }
    if (first && final) {   /* the common case: no copy */
        free(rx->buf);
        rx->buf = NULL;
        *msg = in;
        *len = n;
        return SESS_RX_MESSAGE;
    }
    if ((size_t)rx->len + n > max)
        return SESS_RX_TOO_LARGE;
    if (!rx->buf)
        rx->buf = xmalloc(max);
    memcpy(rx->buf + rx->len, in, n);
    rx->len += (uint32_t)n;
    if (!final)
        return SESS_RX_MORE;
    *msg = rx->buf;
    *len = rx->len;
    rx->len = 0;
    return SESS_RX_MESSAGE;
}

enum sess_rx_result sess_rx_discard(struct sess_rx *rx, size_t max, size_t n, bool first,
                                    bool final)
{
    if (first) {
        free(rx->buf);   /* a message starts: no text message is in flight */
        rx->buf = NULL;
        rx->len = 0;
    }
    if ((size_t)rx->len + n > max)
        return SESS_RX_TOO_LARGE;
    rx->len += (uint32_t)n;
    rx->discarding = !final;
    if (!final)
        return SESS_RX_MORE;
    rx->len = 0;
    return SESS_RX_MESSAGE;
}

void sess_rx_release(struct sess_rx *rx)
{
    if (rx->len == 0 && !rx->discarding) {
        free(rx->buf);
        rx->buf = NULL;
    }
}

void sess_rx_cleanup(struct sess_rx *rx)
{
    free(rx->buf);
    rx->buf = NULL;
    rx->len = 0;
    rx->discarding = false;
}
