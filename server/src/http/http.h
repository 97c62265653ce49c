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
#include <stdbool.h>
#include <stddef.h>

/* Who may read /metrics (--metrics). */
enum http_metrics_access {
    HTTP_METRICS_LOOPBACK,        /* peers on 127.0.0.0/8 or ::1 only (the default) */
    HTTP_METRICS_ANY,             /* any peer (a Prometheus in another container) */
    HTTP_METRICS_OFF,             /* 404, as if there were no such path */
};
struct qr_cache;

/* What the exports under /api/rooms/CODE/ answer. */
enum http_export { HTTP_EXPORT_RESULTS_JSON, HTTP_EXPORT_RESULTS_CSV, HTTP_EXPORT_REVIEW };

/* A request whose reply comes later from another thread (an export). The
 * one who took it fills status, type and body (malloc'd) and calls
 * http_wait_done on the loop; wsi is NULL once the connection is gone. */
struct http_wait {
    struct lws *wsi;
    char addr[64];                /* the client's address, for the taker's miss budget */
    unsigned status;
    const char *type;             /* static string */
    char *body;
    size_t len;
    bool ready;
};
/* Sends the reply (or frees everything when the connection is gone). */
void http_wait_done(struct http_wait *w);
/* The connection of w is gone: frees w now if its reply was already done
 * (it waited for WRITEABLE), else leaves it to http_wait_done. */
void http_wait_abandon(struct http_wait *w);

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
    /* Fills the live figures of /healthz (version excluded). */
    void (*health)(void *arg, struct api_health *out);
    /* Whether the address of `wsi` may draw one more uncached QR code now
     * (QR_DRAW_PER_SEC, QR_DRAW_BURST); a true answer counts it. */
    bool (*qr_may_draw)(void *arg, struct lws *wsi);
    /* Starts an export; returns 0 when it took `w`, -1 when this server
     * keeps no results, 1 when the client's address is out of its budget of
     * misses (answered 429). NULL = none. */
    int (*export_start)(void *arg, struct http_wait *w, enum http_export what, const char *code,
                        const char *token);
    /* Called first for every HTTP request (not for WebSocket upgrades):
     * net/ attributes it to its client (X-Forwarded-For from a trusted
     * proxy) before any per-address budget is drawn. NULL = none. */
    void (*on_request)(void *arg, struct lws *wsi);
    void *arg;                    /* for the callbacks above */
    struct qr_cache *qr_cache;    /* borrowed: the owner of the site creates and frees it */
};

/* The one WebSocket endpoint and its subprotocol (also lws's protocol name). */
#define HTTP_WS_PATH "/ws"
#define HTTP_WS_PROTOCOL "quizd"

/* Per-request state (lws allocates and zeroes it). */
struct http_pss {
    char *body;
    size_t len, off;
    bool head;                    /* a HEAD request: headers only */
    struct http_wait *wait;       /* an export under way (owned by whoever took it) */
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
