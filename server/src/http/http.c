/* HTTP routing and static files. Bodies are produced whole (they are small)
 * and written in 16 KiB chunks from HTTP_WRITEABLE. */
#include "http.h"

#include "lan.h"
#include "mime.h"
#include "qr.h"
#include "qz/proto.h"
#include "qz/texts.h"
#include "qz/version.h"
#include "util/origin.h"
#include "util/xmalloc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTP_CHUNK 16384
#define HTTP_STATUS_TOO_MANY_REQUESTS 429   /* RFC 6585; lws 4.1.6 names none */
#define HTTP_URI_MAX 512                    /* longest path served; longer gets 414 */
#define HTTP_ALLOW "GET, HEAD, OPTIONS"     /* the methods answered */

static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
                      unsigned char *end)
{
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                       (const unsigned char *)value, (int)strlen(value), p, end);
}

void http_site_set_root(struct http_site *site, const char *dir)
{
    if (!realpath(dir, site->web_root))
        snprintf(site->web_root, sizeof site->web_root, "%s", dir);
}

static void set_body(struct http_pss *h, char *body, size_t len)
{
    free(h->body);
    h->body = body;
    h->len = len;
    h->off = 0;
}

/* Sends the headers now and `body` (taken) from HTTP_WRITEABLE; for HEAD
 * the same headers and no body. */
static int respond(struct lws *wsi, struct http_pss *h, unsigned status, const char *type,
                   char *body, size_t len)
{
    unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    set_body(h, body, len);
    if (lws_add_http_common_headers(wsi, status, type, len, &p, end))
        return 1;
    if (add_header(wsi, "cache-control:", "no-store", &p, end))
        return 1;
    if (status == HTTP_STATUS_METHOD_NOT_ALLOWED && add_header(wsi, "allow:", HTTP_ALLOW, &p, end))
        return 1;
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    if (h->head) {
        set_body(h, NULL, 0);
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    lws_callback_on_writable(wsi);
    return 0;
}

/* OPTIONS (any path): 204 with the methods answered. */
static int respond_options(struct lws *wsi)
{
    unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start;
    unsigned char *end = buf + sizeof buf - 1;
    if (lws_add_http_header_status(wsi, HTTP_STATUS_NO_CONTENT, &p, end) ||
        add_header(wsi, "allow:", HTTP_ALLOW, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* For a request that carries a body (issue 11, item 1): lws keeps reading
 * the body and never makes such a connection writable, so the reply is
 * written whole here, and the connection closed, the body unread. Nothing
 * is left on the heap for a close callback to free. Also for a method we do
 * not answer and a URI too long (item 8): what follows on that connection
 * is not worth reading. */
static int refuse_now(struct lws *wsi, unsigned status, enum proto_text t)
{
    size_t n;
    char *body = api_enc_error(proto_text(t), &n);
    unsigned char *buf = xmalloc(LWS_PRE + 1024 + n);
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + LWS_PRE + 1024;
    int rc = -1;
    if (!lws_add_http_common_headers(wsi, status, "application/json", n, &p, end) &&
        !add_header(wsi, "connection:", "close", &p, end) &&
        (status != HTTP_STATUS_METHOD_NOT_ALLOWED ||
         !add_header(wsi, "allow:", HTTP_ALLOW, &p, end)) &&
        !lws_finalize_http_header(wsi, &p, end)) {
        memcpy(p, body, n);
        p += n;
        lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_FINAL);
    }
    free(body);
    free(buf);
    return rc;
}

static bool has_body(struct lws *wsi)
{
    char cl[32];
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
        return true;
    return lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 && strcmp(cl, "0");
}

/* The value of the query argument named exactly `name` (lws hands out
 * "name=value" fragments, already decoded), or NULL: lws_get_urlarg_by_name
 * matches a prefix, so "?textXYZ=" was read as "text". */
static const char *query_arg(struct lws *wsi, const char *name, char *buf, size_t size)
{
    size_t nl = strlen(name);
    for (int i = 0; lws_hdr_copy_fragment(wsi, buf, (int)size, WSI_TOKEN_HTTP_URI_ARGS, i) > 0;
         i++)
        if (!strncmp(buf, name, nl) && buf[nl] == '=')
            return buf + nl + 1;
    return NULL;
}

static int respond_error(struct lws *wsi, struct http_pss *h, unsigned status, enum proto_text t)
{
    size_t n;
    char *body = api_enc_error(proto_text(t), &n);
    return respond(wsi, h, status, "application/json", body, n);
}

static char *info_body(const struct http_site *site, size_t *len)
{
    char a[LAN_MAX_ADDRS][INET_ADDRSTRLEN], u[LAN_MAX_ADDRS][INET_ADDRSTRLEN + 160];
    const char *urls[LAN_MAX_ADDRS];
    size_t n = 0;
    if (site->public_url && site->public_url[0]) {
        urls[n++] = site->public_url;
    } else if (!strcmp(site->bind, "0.0.0.0")) {
        for (size_t i = 0, k = lan_addresses(a, LAN_MAX_ADDRS); i < k; i++) {
            snprintf(u[i], sizeof u[i], "http://%s:%d/", a[i], site->port);
            urls[n++] = u[i];
        }
    }
    return api_enc_info(QZ_VERSION, urls, n, site->max_players, len);
}

/* Serves a file below the web root; 404 for anything missing, hidden, outside
 * the root or of an unknown type. */
static int serve_static(struct lws *wsi, struct http_pss *h, const struct http_site *site,
                        const char *uri)
{
    char rel[512], full[4096 + 512], real[4096];
    size_t n = strlen(uri), rl = strlen(site->web_root);
    if (n == 0 || uri[0] != '/' || n >= sizeof rel - 16 || strstr(uri, "/.") || strstr(uri, "..") ||
        strchr(uri, '\\'))
        goto notfound;
    snprintf(rel, sizeof rel, "%s%s", uri, uri[n - 1] == '/' ? "index.html" : "");
    snprintf(full, sizeof full, "%s%s", site->web_root, rel);
    if (!realpath(full, real) || strncmp(real, site->web_root, rl) || real[rl] != '/')
        goto notfound;
    const char *type = mime_type(real);
    if (!type)
        goto notfound;
    static const char extra[] = "cache-control: no-cache\x0d\x0a";
    int rc = lws_serve_http_file(wsi, real, type, extra, (int)strlen(extra));
    if (rc < 0 || (rc > 0 && lws_http_transaction_completed(wsi)))
        return -1;
    return 0;
notfound:;
    const char *page = proto_text(TEXT_HTTP_NOT_FOUND_PAGE);
    return respond(wsi, h, HTTP_STATUS_NOT_FOUND, "text/html; charset=utf-8", xstrdup(page),
                   strlen(page));
}

/* The TCP peer (getpeername), never X-Forwarded-For: behind a proxy on
 * this machine every request is loopback, which is why deploy/haproxy
 * refuses /metrics, and a header must not open it from elsewhere. */
static bool peer_is_loopback(struct lws *wsi)
{
    char ip[64];
    if (!lws_get_peer_simple(wsi, ip, sizeof ip))
        return false;
    return !strncmp(ip, "127.", 4) || !strcmp(ip, "::1") || !strncmp(ip, "::ffff:127.", 11);
}

/* GET /metrics: the Prometheus text format (version 0.0.4). */
static int metrics_route(struct lws *wsi, struct http_pss *h, const struct http_site *site)
{
    size_t n;
    if (site->metrics_access == HTTP_METRICS_OFF || !site->metrics)
        return respond_error(wsi, h, HTTP_STATUS_NOT_FOUND, TEXT_HTTP_NOT_FOUND);
    if (site->metrics_access == HTTP_METRICS_LOOPBACK && !peer_is_loopback(wsi))
        return respond_error(wsi, h, HTTP_STATUS_FORBIDDEN, TEXT_HTTP_METRICS_LOOPBACK);
    char *body = site->metrics(site->arg, &n);
    return respond(wsi, h, HTTP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8", body, n);
}

/* Issue 11, item 8: GET, HEAD and OPTIONS are answered; other methods get
 * 405 with Allow, a URI of HTTP_URI_MAX bytes or more 414, both closing the
 * connection. Headers over 4 KB cannot get a 431: lws 4.1.6 keeps the URI
 * and header values in one store of max_http_header_data bytes (default
 * LWS_DEF_HEADER_LEN, 4096: core/private-lib-core.h:76, core/context.c:
 * 789-795); the byte that would pass it fails lws_pos_in_bounds ("Ran out
 * of header data space", roles/http/parsers.c:656-670), lws_parse returns
 * LPR_FAIL (parsers.c:994-995 and the like), and lws_handshake_server goes
 * to bail_nuke_ah (roles/http/server/server.c:2022-2025, 2293-2297), which
 * returns 1 so the connection is closed. No callback of ours runs before,
 * so nothing can be written: the client sees the connection close.
 * test_edges.http_methods_and_limits shows it. */

/* The header token holding the request's URI for the methods answered
 * (GET, HEAD, OPTIONS), or -1 for any other method. */
static int answered_method(struct lws *wsi)
{
    static const enum lws_token_indexes t[] = {WSI_TOKEN_GET_URI, WSI_TOKEN_HEAD_URI,
                                               WSI_TOKEN_OPTIONS_URI};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (lws_hdr_total_length(wsi, t[i]) > 0)
            return (int)t[i];
    return -1;
}

/* GET /api/rooms/CODE/results.json|results.csv|review with
 * "Authorization: Bearer TOKEN": 401 without a token; the rest (404, 403,
 * the body) comes from the export, read off the loop. */
static int route_export(struct lws *wsi, struct http_pss *h, const struct http_site *site,
                        const char *rest)
{
    static const struct { const char *name; enum http_export what; } ends[] = {
        {"results.json", HTTP_EXPORT_RESULTS_JSON},
        {"results.csv", HTTP_EXPORT_RESULTS_CSV},
        {"review", HTTP_EXPORT_REVIEW},
    };
    char code[PROTO_CODE_LEN + 1];
    size_t n = strspn(rest, PROTO_CODE_ALPHABET);
    if (n != PROTO_CODE_LEN || rest[n] != '/')
        return respond_error(wsi, h, HTTP_STATUS_NOT_FOUND, TEXT_HTTP_NOT_FOUND);
    memcpy(code, rest, n);
    code[n] = '\0';
    const char *end = rest + n + 1;
    int what = -1;
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++)
        if (!strcmp(end, ends[i].name))
            what = (int)ends[i].what;
    if (what < 0)
        return respond_error(wsi, h, HTTP_STATUS_NOT_FOUND, TEXT_HTTP_NOT_FOUND);
    char auth[160];
    int al = lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION);
    const char *token = al > 7 && !strncasecmp(auth, "Bearer ", 7) ? auth + 7 : NULL;
    while (token && *token == ' ')
        token++;
    if (!token || !*token)
        return respond_error(wsi, h, HTTP_STATUS_UNAUTHORIZED, TEXT_HTTP_NEED_TOKEN);
    struct http_wait *w = xcalloc(1, sizeof *w);
    w->wsi = wsi;
    h->wait = w;
    int rc = site->export_start
                 ? site->export_start(site->arg, w, (enum http_export)what, code, token)
                 : -1;
    if (rc) {
        h->wait = NULL;
        free(w);
        return rc > 0 ? respond_error(wsi, h, 429, TEXT_TOO_MANY_GUESSES)
                      : respond_error(wsi, h, HTTP_STATUS_NOT_FOUND, TEXT_HTTP_NO_DATA);
    }
    return 0;   /* the reply follows from HTTP_WRITEABLE (http_wait_done) */
}

void http_wait_abandon(struct http_wait *w)
{
    if (w->ready) {   /* done, waiting for WRITEABLE: nobody else will free it */
        free(w->body);
        free(w);
    } else {          /* its export finishes into nothing: http_wait_done frees it */
        w->wsi = NULL;
    }
}

void http_wait_done(struct http_wait *w)
{
    if (!w->wsi) {   /* the client left */
        free(w->body);
        free(w);
        return;
    }
    w->ready = true;
    lws_callback_on_writable(w->wsi);
}

static int route(struct lws *wsi, struct http_pss *h, const struct http_site *site)
{
    char uri[HTTP_URI_MAX], host[300];
    size_t n;
    char *body;
    int tok = answered_method(wsi);
    h->head = tok == WSI_TOKEN_HEAD_URI;
    if (has_body(wsi))
        return refuse_now(wsi, tok >= 0 ? HTTP_STATUS_REQ_ENTITY_TOO_LARGE
                                   : HTTP_STATUS_METHOD_NOT_ALLOWED,
                          tok >= 0 ? TEXT_HTTP_NO_BODY : TEXT_HTTP_ONLY_GET);
    if (tok < 0)
        return refuse_now(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, TEXT_HTTP_ONLY_GET);
    if (lws_hdr_total_length(wsi, (enum lws_token_indexes)tok) >= (int)sizeof uri ||
        lws_hdr_copy(wsi, uri, sizeof uri, (enum lws_token_indexes)tok) <= 0)
        return refuse_now(wsi, HTTP_STATUS_REQ_URI_TOO_LONG, TEXT_HTTP_URI_TOO_LONG);
    if (tok == WSI_TOKEN_OPTIONS_URI)
        return respond_options(wsi);
    /* DNS rebinding (issue 11, item 6): the API answers only to our names. */
    if ((!strncmp(uri, "/api/", 5) || !strcmp(uri, "/metrics")) &&
        !host_allowed(lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) > 0 ? host : NULL,
                      site->allowed_origins, site->n_allowed_origins))
        return respond_error(wsi, h, HTTP_STATUS_FORBIDDEN, TEXT_HTTP_BAD_HOST);
    if (!strcmp(uri, "/healthz")) {
        struct api_health hl = {0};
        site->health(site->arg, &hl);
        hl.version = QZ_VERSION;
        body = api_enc_health(&hl, &n);
        return respond(wsi, h, HTTP_STATUS_OK, "application/json", body, n);
    }
    if (!strcmp(uri, "/metrics"))
        return metrics_route(wsi, h, site);
    if (!strcmp(uri, "/api/info")) {
        body = info_body(site, &n);
        return respond(wsi, h, HTTP_STATUS_OK, "application/json", body, n);
    }
    if (!strcmp(uri, "/api/packs")) {
        body = api_enc_packs(site->packs, site->n_packs, &n);
        return respond(wsi, h, HTTP_STATUS_OK, "application/json", body, n);
    }
    if (!strcmp(uri, "/api/qr.svg")) {
        char arg[QR_TEXT_MAX + 88];   /* lws copies "text=" and the value */
        const char *text = query_arg(wsi, "text", arg, sizeof arg), *hit;
        if (!text || !*text || strlen(text) > QR_TEXT_MAX)
            return respond_error(wsi, h, HTTP_STATUS_BAD_REQUEST, TEXT_HTTP_QR_TEXT);
        if ((hit = qr_cache_get(site->qr_cache, text, &n)))
            return respond(wsi, h, HTTP_STATUS_OK, "image/svg+xml", xstrndup(hit, n), n);
        if (!site->qr_may_draw(site->arg, wsi))
            return respond_error(wsi, h, HTTP_STATUS_TOO_MANY_REQUESTS, TEXT_HTTP_QR_BUSY);
        if (!(body = qr_svg(text, &n)))
            return respond_error(wsi, h, HTTP_STATUS_BAD_REQUEST, TEXT_HTTP_QR_TEXT);
        qr_cache_put(site->qr_cache, text, xstrndup(body, n), n);
        return respond(wsi, h, HTTP_STATUS_OK, "image/svg+xml", body, n);
    }
    if (!strncmp(uri, "/api/rooms/", 11))
        return route_export(wsi, h, site, uri + 11);
    if (!strncmp(uri, "/api/", 5) || !strncmp(uri, "/healthz", 8))
        return respond_error(wsi, h, HTTP_STATUS_NOT_FOUND, TEXT_HTTP_NOT_FOUND);
    return serve_static(wsi, h, site, uri);
}

/* The Sec-WebSocket-Protocol list selects the protocol the way lws does
 * (roles/ws/server-ws.c:524-625, tag v4.1.6): the first token naming a
 * protocol of the vhost wins; no header means the default ("quizd"). So
 * the upgrade is ours iff that first known token is "quizd". */
static bool upgrade_selects_quizd(struct lws *wsi)
{
    char buf[256], name[64];
    struct lws_tokenize ts;
    lws_tokenize_elem e;
    int n = lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_PROTOCOL);
    if (n == 0 && lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL) == 0)
        return true;
    if (n <= 0)
        return false;   /* longer than any list a client of ours sends */
    lws_tokenize_init(&ts, buf, LWS_TOKENIZE_F_COMMA_SEP_LIST | LWS_TOKENIZE_F_MINUS_NONTERM |
                                    LWS_TOKENIZE_F_DOT_NONTERM | LWS_TOKENIZE_F_RFC7230_DELIMS);
    ts.len = (size_t)n;
    do {
        e = lws_tokenize(&ts);
        if (e == LWS_TOKZE_TOKEN) {
            if (lws_tokenize_cstr(&ts, name, sizeof name))
                return false;
            if (lws_vhost_name_to_protocol(lws_get_vhost(wsi), name))
                return !strcmp(name, HTTP_WS_PROTOCOL);
        } else if (e != LWS_TOKZE_DELIMITER && e != LWS_TOKZE_ENDED) {
            return false;
        }
    } while (e > 0);
    return false;
}

/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE (issue 11, item 8), before any 101.
 * - "websocket": only HTTP_WS_PATH, with no subprotocol or one selecting
 *   "quizd". Else lws would upgrade any path to protocols[0] ("http") for
 *   `Sec-WebSocket-Protocol: http`, a WebSocket nothing counts or limits.
 * - "h2c": ignored, as RFC 9110 7.8 lets a server do; the request is
 *   answered over HTTP/1.1. lws 4.1.6 has no way to decline h2c and carry on
 *   (a callback returning > 0 must have answered, < 0 hangs up:
 *   roles/http/server/server.c:2145-2190), but it compares the token `in`
 *   points at, in its own header buffer, after this callback returns
 *   (server.c:2146-2148, 2191-2203): emptied, neither upgrade matches and the
 *   request goes on as plain HTTP (server.c:2206-2222).
 */
int http_confirm_upgrade(struct lws *wsi, char *up)
{
    char uri[64];
    if (!strcasecmp(up, "h2c")) {
        up[0] = '\0';
        return 0;
    }
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, HTTP_WS_PATH)) {
        lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
        return 1;
    }
    if (!upgrade_selects_quizd(wsi)) {
        lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST, NULL);
        return 1;
    }
    return 0;
}

static int write_chunk(struct lws *wsi, struct http_pss *h)
{
    size_t chunk = h->len - h->off > HTTP_CHUNK ? HTTP_CHUNK : h->len - h->off;
    bool last = h->off + chunk == h->len;
    unsigned char *buf = xmalloc(LWS_PRE + chunk + 1);
    memcpy(buf + LWS_PRE, h->body + h->off, chunk);
    int w = lws_write(wsi, buf + LWS_PRE, chunk, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
    free(buf);
    if (w != (int)chunk)
        return 1;
    h->off += chunk;
    if (last) {
        set_body(h, NULL, 0);
        if (lws_http_transaction_completed(wsi))
            return -1;
    } else {
        lws_callback_on_writable(wsi);
    }
    return 0;
}

int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len)
{
    struct http_pss *h = user;
    const struct lws_protocols *pr = lws_get_protocol(wsi);
    const struct http_site *site = pr ? pr->user : NULL;

    switch (reason) {
    case LWS_CALLBACK_HTTP:
        if (!site || !h)
            return -1;
        if (site->on_request)
            site->on_request(site->arg, wsi);
        return route(wsi, h, site);
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return http_confirm_upgrade(wsi, in);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (h && h->wait && h->wait->ready) {   /* an export's reply: headers, then body */
            struct http_wait *w = h->wait;
            h->wait = NULL;
            int rc = respond(wsi, h, w->status, w->type, w->body, w->len);
            free(w);
            return rc;
        }
        if (!h || !h->body)
            break;
        return write_chunk(wsi, h);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:   /* lws may unbind without CLOSED_HTTP */
        if (h)
            set_body(h, NULL, 0);
        if (h && h->wait) {
            http_wait_abandon(h->wait);
            h->wait = NULL;
        }
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}
