/* What a WebSocket connection keeps between frames, without libwebsockets:
 * reassembly of fragmented messages and the per-connection rate limiter.
 * Unit-tested in tests/unit/net/test_session.c. */
#ifndef QZ_SESSION_H
#define QZ_SESSION_H
#include "qz/proto.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Rate limit per connection: a token bucket of message credits. Joins cost
 * more; a room's own host is not limited (it can only disturb its own room,
 * and its send queue still bounds what it can make the server hold). A
 * per-address limit is deliberately absent: a venue's Wi-Fi puts hundreds
 * of players behind one NAT address. */
#define SESS_RL_BURST 24
#define SESS_RL_PER_SEC 12
#define SESS_RL_JOIN_COST 2
#define SESS_RL_ABUSE_CLOSE 200   /* refused messages before the connection is closed */

struct sess_bucket {
    uint64_t t_ms;                /* last refill */
    uint32_t credits;             /* credits * 1000 */
    uint16_t refused;             /* refusals so far (saturates) */
};

void sess_bucket_init(struct sess_bucket *b, uint64_t now_ms);
/* Takes `cost` credits at `now_ms`; false (a refusal is counted) when short. */
bool sess_bucket_take(struct sess_bucket *b, uint32_t cost, uint64_t now_ms);
/* True once the connection was refused SESS_RL_ABUSE_CLOSE times without
 * letting its bucket refill completely in between. */
bool sess_bucket_abusive(const struct sess_bucket *b);
/* Whether to answer a refusal with an error (the first few, then 1 in 50:
 * a flood is not amplified). */
bool sess_bucket_should_report(const struct sess_bucket *b);
/* The credits request q costs (0 for the host's game commands). */
uint32_t sess_request_cost(const struct proto_req *q, bool is_host);

enum sess_rx_result {
    SESS_RX_MORE,       /* fragment kept (or counted); wait for the rest */
    SESS_RX_MESSAGE,    /* one complete message in *msg, *len */
    SESS_RX_TOO_LARGE,  /* the message exceeds the limit: close the connection */
};

struct sess_rx {
    char *buf;          /* only while a fragmented message is in flight */
    uint32_t len;
    bool discarding;    /* a binary message is being counted, not kept (len: its bytes) */
};

/* Feeds one received fragment (`first`/`final` as libwebsockets reports
 * them). A whole message in one fragment is returned in place, without a
 * copy; a reassembled one points into rx and is valid until the next call. */
enum sess_rx_result sess_rx_feed(struct sess_rx *rx, size_t max, const char *in, size_t n,
                                 bool first, bool final, const char **msg, size_t *len);
/* Counts one fragment of a message that is refused whole (a binary one)
 * without keeping it: SESS_RX_MORE until its final fragment, then
 * SESS_RX_MESSAGE once (answer it with one error), or SESS_RX_TOO_LARGE as
 * soon as it exceeds `max`, like a text message. */
enum sess_rx_result sess_rx_discard(struct sess_rx *rx, size_t max, size_t n, bool first,
                                    bool final);
/* Frees the reassembly buffer after a message was handled: fragmented
 * messages are rare, so idle connections keep no buffer. */
void sess_rx_release(struct sess_rx *rx);
void sess_rx_cleanup(struct sess_rx *rx);

#endif
