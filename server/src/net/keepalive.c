/* Keepalive decisions (no libwebsockets). */
#include "keepalive.h"

void ka_heard(struct ka_state *s, uint64_t now_ms)
{
    s->last_rx_ms = now_ms;
    s->ping_out = false;
}

uint64_t ka_hangup_ms(uint32_t ping_ms)
{
    return (uint64_t)ping_ms + ping_ms / 3;
}

uint32_t ka_tick_ms(uint32_t ping_ms)
{
    uint32_t t = ping_ms / 4;
    return t == 0 ? 1 : t > KA_TICK_MAX_MS ? KA_TICK_MAX_MS : t;
}

enum ka_action ka_check(struct ka_state *s, uint64_t now_ms, uint32_t ping_ms)
{
    uint64_t silent = now_ms > s->last_rx_ms ? now_ms - s->last_rx_ms : 0;
    if (silent >= ka_hangup_ms(ping_ms))
        return KA_CLOSE;
    if (silent >= ping_ms && !s->ping_out)
        return KA_PING;
    return KA_NONE;
}
