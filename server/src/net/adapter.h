/* Internals of the libwebsockets adapter shared by server.c (context,
 * lifecycle, the rooms environment) and ws.c (the WebSocket callback and
 * the write path). Not for other modules. */
#ifndef QZ_ADAPTER_H
#define QZ_ADAPTER_H
#include <uv.h> /* before libwebsockets.h (see the libuv spike) */

#include <libwebsockets.h>

#include "server.h"

#include "http/http.h"
#include "keepalive.h"
#include "rooms/rooms.h"
#include "store/export.h"
#include "session.h"
#include "txq.h"
#include "util/err.h"
#include "util/limit.h"
#include "util/metrics.h"

_Static_assert(FRAME_HEADROOM >= LWS_PRE, "frames need LWS_PRE bytes of headroom");

/* Largest single send() lws makes for a WebSocket (the protocol's
 * tx_packet_size). With 0, lws caps each send at rx_buffer_size + LWS_PRE +
 * 4 bytes (core-net/output.c:106-116), so every frame over ~1 KB would be
 * split and its rest buffered and sent on a later POLLOUT. */
#define WS_TX_PACKET_SIZE 65536

/* One WebSocket connection: lws allocates and zeroes it (per-session data)
 * and frees it after LWS_CALLBACK_CLOSED; we free what it points to there. */
struct conn {
    struct lws *wsi;
    struct server *srv;
    struct member m;              /* its place in a room (rooms/) */
    struct conn *gnext, *gprev;   /* all established connections */
    bool established, closing;
    bool peer_closed;             /* the peer sent a close: lws echoes it, we write nothing */
    bool corked;                  /* its replies, or a commit's releases, wait to go together (ws.c) */
    bool release_listed;          /* on srv->release_corked for the current release */
    struct conn *release_next;
    uint16_t close_code;
    uint64_t answer_rx_ns;        /* when its last answer arrived (uv_hrtime), for the ack's latency */
    struct txq q;
    struct ka_state ka;           /* keepalive (ws_keepalive_sweep) */
    struct sess_rx rx;
    struct sess_bucket bucket;
};

struct server {
    uv_loop_t *loop;
    /* The game clock is uv_now plus this: with a store it continues from
     * where the last run stopped, so restored deadlines keep their time. */
    int64_t clock_offset;
    uv_async_t store_async;       /* the writer committed, or an export is done (store/) */
    uv_prepare_t store_prepare;   /* before the loop waits: hand the records to the writer */
    struct exporter *exporter;    /* exports' reader thread; NULL without a store */
    bool store_async_open;
    struct server_config cfg;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    struct rooms *rooms;
    struct conn *conns;
    size_t n_conn;
    /* While a commit releases held frames (ws_release_begin .. end): the
     * connections it corked, written together at the end. */
    bool releasing;
    struct conn *release_corked;
    /* Every accepted socket, WebSocket or not, is counted here and against
     * its address (issue 11, item 3), from the filter to
     * LWS_CALLBACK_WSI_DESTROY; `socks` maps each wsi to its address entry
     * (lws 4.1.6 overwrites a wsi's opaque user data after WSI_CREATE). */
    struct addrtab *addrs;
    struct sockrec {
        struct lws *wsi;
        /* Whose budgets its requests draw on: the TCP peer's entry, or, on
         * a socket from a --trusted-proxy, the client its last request's
         * X-Forwarded-For names (server__attribute), whatever address that
         * is (the proxy's own included). The socket counts in the peer's
         * `conns`, or its `proxied` when the peer is a trusted proxy, and
         * in the named client's `conns` while `named`: so no entry a
         * socket points at is swept, and a client's cap counts its own
         * sockets only. */
        struct addr_entry *e;
        struct addr_entry *peer;  /* the TCP peer's entry */
        uint64_t born_ms;
        bool ws;                  /* became a WebSocket: no http_timeout_s */
        bool trusted;             /* the peer is a --trusted-proxy */
        bool named;               /* e is a client its X-Forwarded-For named */
    } *socks;
    struct rooms_timer *reaper;   /* closes sockets older than http_timeout_s */
    size_t socks_cap, socks_len;
    size_t n_sock;
    uint64_t refused;
    struct log_gate refused_log;
    struct addr_entry *accepting;  /* admitted, its wsi not yet instantiated */
    bool accepting_trusted;        /* ... from a --trusted-proxy */
    struct log_gate xff_log;       /* unusable X-Forwarded-For lines, once a second */
    uint64_t last_sweep_ms;
    uv_timer_t ka_timer;          /* the keepalive sweep */
    struct conn *ka_cursor;       /* where the next tick resumes (NULL: from the head) */
    uint64_t started_ms;
    int port, exit_code;
    bool shutting_down, stopped;
    struct {
        uint64_t at_once;         /* frames written at once by ws_send */
        uint64_t queued;          /* frames queued (connection busy) */
        uint64_t drained;         /* queued frames written from WRITEABLE */
        uint64_t writes;          /* lws_write calls carrying frames: one each, or a
                                   * corked batch (flush_corked) */
        /* For /metrics (metrics.c): */
        uint64_t in_msgs[PT_COUNT + 1];   /* by request type; [PT_COUNT]: not decodable */
        uint64_t in_bytes[PT_COUNT + 1];
        uint64_t out_msgs[PO_COUNT];      /* handed to a connection's send path, by type */
        uint64_t out_bytes[PO_COUNT];     /* their payload bytes */
        uint64_t txq_drops;       /* connections dropped with a full send queue */
        uint64_t rate_limited;    /* messages refused by a connection's token bucket */
        uint64_t errors[QZ_ERR_SLOTS];    /* error replies sent by net/, by -code */
        uint64_t ws_opened;       /* WebSockets established since the start */
        struct metrics_hist answer_ack_s; /* an answer's last fragment in -> its ack
                                           * handed to the socket or queued (after the
                                           * commit it waits for, with a store) */
    } stats;
    struct http_site site;
    struct qr_cache *qr_cache;    /* the site's, owned here */
    struct lws_http_mount mounts[1];
    struct lws_protocol_vhost_options headers[4];
    struct lws_protocol_vhost_options pvo_default, pvo;
    struct lws_protocols protocols[3];
};

static inline uint64_t server__now(const struct server *srv)
{
    return (uint64_t)((int64_t)uv_now(srv->loop) + srv->clock_offset);
}

/* ws.c */
int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                size_t len);
/* The rooms environment's `send`: queues f on the member's connection. */
void ws_send(void *arg, struct member *m, struct frame *f);
/* Around rooms_durable: the frames a commit releases for one idle
 * connection are written together (one send where they fit), like a
 * request's replies. */
void ws_release_begin(struct server *srv);
void ws_release_end(struct server *srv);
/* Drops the connection of m like a slow consumer (rooms' env.drop). */
void ws_drop(void *arg, struct member *m);
/* Starts closing with `code`: queued frames, then the close frame. */
void ws_close(struct conn *c, uint16_t code);

/* One keepalive tick: looks at up to KA_SWEEP_MAX connections from where
 * the last tick stopped, pings the silent, closes the dead. */
void ws_keepalive_sweep(struct server *srv);

/* metrics.c: the /metrics body (http_site's `metrics`; arg is the server). */
char *server__metrics(void *arg, size_t *len);

/* server.c: the last connection closed during shutdown. */
void server__conn_gone(struct server *srv);
/* server.c: marks the socket of `wsi` a WebSocket (exempt from
 * http_timeout_s) and returns its address entry, or NULL. */
struct addr_entry *server__ws_established(struct server *srv, struct lws *wsi);
/* server.c: the request now on `wsi` (an HTTP request, or a WebSocket
 * upgrade when `upgrade`) is attributed to its client: on a socket from a
 * --trusted-proxy, the address the last X-Forwarded-For entry names (the
 * proxy's own when that header is missing or malformed); on any other
 * socket nothing changes. Returns 0, or -1 when an upgrade would take that
 * client past --max-per-address (the caller refuses it). */
int server__attribute(struct server *srv, struct lws *wsi, bool upgrade);
/* server.c: counts a refused connection and logs it at most once a second. */
void server__refused(struct server *srv, const char *why, const char *addr);

#endif
