/* The libwebsockets adapter: the lws context on the application's uv loop,
 * HTTP (http/) and the /ws endpoint on one port, connections and their send
 * queues. Rooms and requests are rooms/'s; process concerns (signals,
 * limits, the banner, when to stop) are app/'s. */
#ifndef QZ_SERVER_H
#define QZ_SERVER_H
#include "core/question.h"
#include "util/forwarded.h"
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#define SERVER_MAX_PLAYERS_CAP 10000  /* default --max-players */
#define SERVER_ROOM_IDLE_S 1800       /* default --room-idle */
#define SERVER_EMPTY_ROOM_IDLE_S 120  /* default --empty-room-idle */
#define SERVER_MAX_ROOMS 5000         /* default --max-rooms */
#define SERVER_MAX_ROOMS_PER_ADDR 20  /* default --max-rooms-per-address */
#define SERVER_MAX_PER_ADDR 2000      /* default --max-per-address: a venue NAT's phones */
#define SERVER_HTTP_TIMEOUT_S 30      /* default --http-timeout */
/* File descriptors kept out of the connection cap: packs, the web root's
 * files being served, the listening socket, and sockets accepted only to
 * be refused. With the cap below RLIMIT_NOFILE by this much, accept() never
 * fails with EMFILE (which lws 4.1.6 retries in a busy loop). */
#define SERVER_FD_RESERVE 64
/* Sockets admitted beyond --max-connections for plain HTTP, so /healthz
 * answers while WebSockets fill the cap; upgrades are refused past the cap. */
#define SERVER_HTTP_RESERVE 16
#define SERVER_MAX_ALLOWED_ORIGINS 16 /* --allowed-origin given at most this often */
#define SERVER_MAX_TRUSTED_PROXIES 16 /* --trusted-proxy addresses or blocks at most */

struct server_config {
    const char *bind;             /* address to listen on, "0.0.0.0" */
    int port;                     /* 0 = any free port (read back) */
    const char *web_root;         /* directory served at / */
    unsigned max_players_cap;     /* hard cap on a room's max_players */
    unsigned room_idle_s;         /* remove rooms idle this long with no host */
    unsigned txq_len;             /* per-connection send queue (messages) */
    unsigned rx_max;              /* largest accepted incoming message (bytes) */
    unsigned sndbuf;              /* SO_SNDBUF per WebSocket (the kernel doubles it) */
    unsigned reveal_ms, leaderboard_ms; /* auto-advance pauses */
    unsigned keepalive_ms;        /* ping a WebSocket silent this long; close it 1/3 later */
    const char *public_url;       /* join URL shown to hosts (behind NAT/Docker); NULL = detect */
    unsigned max_connections;     /* WebSockets at once; 0 = RLIMIT_NOFILE minus the reserves */
    unsigned max_per_addr;        /* open sockets from one address; 0 = no cap */
    unsigned http_timeout_s;      /* a socket that is not a WebSocket is closed after this */
    unsigned max_rooms;           /* live rooms; 0 = no cap */
    unsigned max_rooms_per_addr;  /* live rooms created from one address; 0 = no cap */
    unsigned empty_room_idle_s;   /* hostless rooms no player ever joined live this long */
    int metrics_access;           /* --metrics: enum http_metrics_access (loopback = 0) */
    char shard;                   /* --shard: every room code starts with it; '\0' = none */
    /* --trusted-proxy: peers whose X-Forwarded-For names the client whose
     * per-address budgets a request draws on (borrowed) */
    const struct ip_net *trusted_proxies;
    size_t n_trusted_proxies;
    struct store *store;          /* persistence (borrowed); NULL = --no-data */
    const char *const *allowed_origins; /* besides same-origin, for /ws and the API's Host */
    size_t n_allowed_origins;
    /* Called (from the loop) when, after server_shutdown, the last
     * connection has closed. */
    void (*on_drained)(void *arg);
    void *on_drained_arg;
};

void server_config_default(struct server_config *c);

struct server;

/* Creates the server on `loop`; borrows `packs` (n entries, packs[0] is the
 * default), which must outlive it. Never returns NULL. When the port cannot
 * be bound (or lws cannot start) it logs why, server_exit_code() is 1 and
 * the server has already begun tearing down: call server_stop, run the loop,
 * then server_destroy (lws 4.1.6 returns a context that is still tearing
 * itself down, so the loop must run before the final destroy). */
struct server *server_create(uv_loop_t *loop, const struct server_config *cfg,
                             struct qz_pack *const *packs, size_t n_packs);
int server_port(const struct server *s);        /* 0 when not listening */
int server_exit_code(const struct server *s);
size_t server_connections(const struct server *s);
size_t server_rooms(const struct server *s);
/* Refuses new WebSocket upgrades and starts closing every connection with
 * 1001; cfg.on_drained fires once none is left. Idempotent. */
void server_shutdown(struct server *s);
/* Removes every room and starts lws's teardown (first phase of
 * lws_context_destroy): its handles close on the loop, so uv_run returns
 * once the caller's own handles are closed or unreferenced. Idempotent. */
void server_stop(struct server *s);
/* Second-phase teardown after uv_run returned; frees everything. NULL-safe. */
void server_destroy(struct server *s);

#endif
