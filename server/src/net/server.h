/* The libwebsockets adapter: one uv loop, HTTP (static files, /healthz,
 * /api/packs, /api/qr.svg) and the /ws endpoint on one port. It owns rooms
 * and sessions and translates between frames and game_* calls. */
#ifndef QZ_SERVER_H
#define QZ_SERVER_H
#include "core/question.h"
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

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
    const char *public_url;       /* join URL shown to hosts (behind NAT/Docker); NULL = detect */
};

void server_config_default(struct server_config *c);

struct server;

/* Creates the server on `loop`; borrows `packs` (n entries, packs[0] is the
 * default), which must outlive it. Never returns NULL. The caller then runs
 * the loop until it returns: on SIGINT/SIGTERM the server closes every
 * connection (1001) and all of its handles. When the port cannot be bound,
 * the server logs it, closes its handles at once and server_exit_code() is 1
 * (libwebsockets 4.1.6 still returns a context that is tearing itself down,
 * so the loop must run before the final destroy). */
struct server *server_create(uv_loop_t *loop, const struct server_config *cfg,
                             struct qz_pack *const *packs, size_t n_packs);
int server_port(const struct server *s);        /* 0 when not listening */
int server_exit_code(const struct server *s);
/* Second-phase teardown after uv_run returned; frees everything. NULL-safe. */
void server_destroy(struct server *s);

#endif
