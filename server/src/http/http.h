/* The HTTP side of the one listening port: routing of /healthz and /api/...
 * (bodies from protocol/'s qz/api.h), static files below the web root with
 * an explicit MIME map, and 404s. The lws HTTP protocol's `user` points at
 * the site description below. */
#ifndef QZ_HTTP_H
#define QZ_HTTP_H
#include <uv.h> /* before libwebsockets.h (see the libuv spike) */

#include <libwebsockets.h>

#include "core/question.h"
#include "qz/api.h"
#include <stddef.h>

/* Who may read /metrics (--metrics). */
enum http_metrics_access {
    HTTP_METRICS_LOOPBACK,        /* peers on 127.0.0.0/8 or ::1 only (the default) */
    HTTP_METRICS_ANY,             /* any peer (a Prometheus in another container) */
    HTTP_METRICS_OFF,             /* 404, as if there were no such path */
};

struct http_site {
    char web_root[4096];          /* real path of the directory served at / */
    struct qz_pack *const *packs; /* borrowed; packs[0] is the default */
    size_t n_packs;
    const char *bind;             /* listen address, for the LAN URLs */
    const char *public_url;       /* overrides the LAN URLs when set */
    int port;
    unsigned max_players;
    const char *const *allowed_origins; /* their hosts pass the API's Host check */
    size_t n_allowed_origins;
    int metrics_access;           /* enum http_metrics_access */
    /* The /metrics body in the Prometheus text format (malloc'd, *len set). */
    char *(*metrics)(void *arg, size_t *len);
    void *metrics_arg;
    /* Fills the live figures of /healthz (version excluded). */
    void (*health)(void *arg, struct api_health *out);
    void *health_arg;
};

/* The one WebSocket endpoint and its subprotocol (also lws's protocol name). */
#define HTTP_WS_PATH "/ws"
#define HTTP_WS_PROTOCOL "quizd"

/* Per-request state (lws allocates and zeroes it). */
struct http_pss {
    char *body;
    size_t len, off;
};

/* Sets web_root to the real path of `dir` (or `dir` itself if it does not resolve). */
void http_site_set_root(struct http_site *site, const char *dir);

/* The lws callback of the "http" protocol. */
int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len);

/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE, which lws sends to the protocol the
 * connection is bound to (the vhost default, "quizd", on a fresh one:
 * roles/h1/ops-h1.c:937-942): `up` is the Upgrade token. Only an upgrade to
 * a WebSocket on HTTP_WS_PATH selecting HTTP_WS_PROTOCOL goes on; others
 * get 404 or 400 here (returns 1); h2c is ignored and the request answered
 * over HTTP/1.1 (returns 0). */
int http_confirm_upgrade(struct lws *wsi, char *up);

#endif
