/* Keepalive without libwebsockets: when a connection is due a ping and when
 * it is dead. lws's own per-connection validity timers are off (server.c):
 * in lws 4.1.6 each one is a node of one sorted list that every connect and
 * every pong walks (docs/write-path.md, "Keepalive"); quizd instead sweeps
 * its connections from one uv timer, a bounded number per tick.
 * Unit-tested in tests/unit/net/test_keepalive.c. */
#ifndef QZ_KEEPALIVE_H
#define QZ_KEEPALIVE_H
#include <stdbool.h>
#include <stdint.h>

#define KA_PING_MS 30000    /* default --keepalive-ms: ping after this long without a frame */
#define KA_MIN_MS 100      /* --keepalive-ms bounds */
#define KA_MAX_MS 3600000
#define KA_SWEEP_MAX 4096   /* connections looked at per tick */
#define KA_TICK_MAX_MS 1000 /* longest pause between ticks */

struct ka_state {
    uint64_t last_rx_ms;    /* last frame of any kind from the peer (or the upgrade) */
    bool ping_out;          /* a ping was sent since then */
};

enum ka_action { KA_NONE, KA_PING, KA_CLOSE };

/* The peer was heard from at now_ms. */
void ka_heard(struct ka_state *s, uint64_t now_ms);
/* What the sweep does with this connection at now_ms: a ping once it was
 * silent for ping_ms, a close once it was silent for ka_hangup_ms(ping_ms).
 * The caller sets ping_out once it wrote the ping; until then KA_PING repeats. */
enum ka_action ka_check(struct ka_state *s, uint64_t now_ms, uint32_t ping_ms);
/* Silence after which a connection is closed: ping_ms + a third (40 s for 30 s). */
uint64_t ka_hangup_ms(uint32_t ping_ms);
/* Pause between sweep ticks: a quarter of ping_ms, at most KA_TICK_MAX_MS. */
uint32_t ka_tick_ms(uint32_t ping_ms);

#endif
