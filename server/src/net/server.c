/* The lws context on the application's uv loop, its teardown, and the
 * environment rooms/ runs in (uv clock and timers, getrandom, ws_send). */
#include "adapter.h"

#include "http/qr.h"
#include "util/log.h"
#include "util/xmalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/time.h>

#define ADDR_SWEEP_MS 60000   /* forget idle addresses this long after their last use */
/* Addresses tracked at once (about 200 bytes each): past it, new ones
 * share one entry's budgets until a sweep makes room (addrtab_create). */
#define ADDR_TABLE_MAX 100000

/* ------------------------------------------------------------------ */
/* the rooms environment                                               */

struct rooms_timer {
    uv_timer_t h;
    rooms_timer_fn *fn;
    void *fn_arg;
};

static qz_ms env_now(void *arg)
{
    return server__now(arg);
}

static uint64_t env_now_ns(void *arg)
{
    (void)arg;
    return uv_hrtime();
}

static void env_random(void *arg, void *buf, size_t n)
{
    size_t got = 0;
    (void)arg;
    while (got < n) {
        ssize_t r = getrandom((char *)buf + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            log_err("getrandom failed err=%s", strerror(errno));
            abort();
        }
        got += (size_t)r;
    }
}

static void timer_on_fire(uv_timer_t *h)
{
    struct rooms_timer *t = h->data;
    t->fn(t->fn_arg);
}

static struct rooms_timer *env_timer_create(void *arg, rooms_timer_fn *fn, void *fn_arg)
{
    struct server *srv = arg;
    struct rooms_timer *t = xcalloc(1, sizeof *t);
    uv_timer_init(srv->loop, &t->h);
    t->h.data = t;
    t->fn = fn;
    t->fn_arg = fn_arg;
    return t;
}

static void env_timer_start(struct rooms_timer *t, qz_ms delay_ms)
{
    uv_timer_start(&t->h, timer_on_fire, delay_ms, 0);
}

static void env_timer_stop(struct rooms_timer *t)
{
    uv_timer_stop(&t->h);
}

static bool env_timer_active(const struct rooms_timer *t)
{
    return uv_is_active((const uv_handle_t *)&t->h);
}

static void timer_on_closed(uv_handle_t *h)
{
    free(h->data);
}

/* uv_close guarantees the timer callback never runs again; the struct is
 * freed once libuv is done with the handle. */
static void env_timer_destroy(struct rooms_timer *t)
{
    uv_close((uv_handle_t *)&t->h, timer_on_closed);
}

static void site_health(void *arg, struct api_health *out)
{
    struct server *srv = arg;
    out->stopping = srv->shutting_down;
    out->uptime_s = (server__now(srv) - srv->started_ms) / 1000;
    out->rooms = server_rooms(srv);
    out->connections = srv->n_conn;
    out->http_connections = srv->n_sock > srv->n_conn ? srv->n_sock - srv->n_conn : 0;
    out->refused_connections = srv->refused;
    if (srv->cfg.store) {
        struct store_stats ss;
        store_stats(srv->cfg.store, &ss);
        out->store_failures = ss.failures;
        out->unsaved_rooms = srv->rooms ? rooms_unsaved(srv->rooms) : 0;
        /* not_saved while the store fails, and while live rooms lost records */
        out->data = store_failed(srv->cfg.store) || out->unsaved_rooms ? "not_saved" : "saved";
    }
}

/* A 404 (no such room) or 403 (not its token) is a guess: it costs the
 * address one miss of the budget joins and host_resume share (ROOMS_MISS_*),
 * so room codes cannot be enumerated over HTTP either. */
static void export_done(struct server *srv, struct export_query *q)
{
    struct http_wait *w = q->owner;
    struct addr_entry *e;
    if ((q->status == 403 || q->status == 404) && (e = addrtab_find(srv->addrs, w->addr)))
        bucket_take(&e->misses, server__now(srv), 1, ROOMS_MISS_BURST, ROOMS_MISS_PER_SEC);
    w->status = q->status;
    w->type = q->type;
    w->body = q->body;
    w->len = q->len;
    q->body = NULL;
    if (!w->body) {
        w->status = 500;
        w->type = "application/json";
        w->body = xstrdup("{\"error\":\"out of memory\"}");
        w->len = strlen(w->body);
    }
    export_query_free(q);
    http_wait_done(w);
}

/* The writer thread committed, or the exporter finished: runs on the loop. */
static void on_store_async(uv_async_t *h)
{
    struct server *srv = h->data;
    if (srv->rooms) {
        ws_release_begin(srv);
        rooms_durable(srv->rooms);
        ws_release_end(srv);
    }
    if (srv->exporter)
        for (struct export_query *q = export_take_done(srv->exporter), *n; q; q = n) {
            n = q->next;
            export_done(srv, q);
        }
}

static struct sockrec *sock_find(struct server *srv, const struct lws *wsi);

static int site_export(void *arg, struct http_wait *w, enum http_export what, const char *code,
                       const char *token)
{
    struct server *srv = arg;
    if (!srv->exporter)
        return -1;
    struct sockrec *r = sock_find(srv, w->wsi);
    if (r) {   /* refused before the lookup: out of budget, a hit teaches nothing either */
        if (!bucket_can(&r->e->misses, server__now(srv), 1, ROOMS_MISS_BURST, ROOMS_MISS_PER_SEC))
            return 1;
        snprintf(w->addr, sizeof w->addr, "%s", r->e->addr);
    }
    struct export_query *q = xcalloc(1, sizeof *q);
    q->kind = what == HTTP_EXPORT_RESULTS_CSV ? EXPORT_RESULTS_CSV
              : what == HTTP_EXPORT_REVIEW    ? EXPORT_REVIEW
                                              : EXPORT_RESULTS_JSON;
    snprintf(q->code, sizeof q->code, "%s", code);
    snprintf(q->token, sizeof q->token, "%s", token);
    q->owner = w;
    export_submit(srv->exporter, q);
    return 0;
}

static void free_wait(void *owner)
{
    struct http_wait *w = owner;
    free(w->body);
    free(w);
}

/* Once per loop iteration, before it blocks: everything the iteration
 * recorded goes to the writer in one hand-over (one wake-up). */
static void on_store_prepare(uv_prepare_t *h)
{
    struct server *srv = h->data;
    store_flush(srv->cfg.store);
}

static void store_notify(void *arg)
{
    uv_async_send(arg);
}

static struct sockrec *sock_find(struct server *srv, const struct lws *wsi);

/* Every socket was admitted with its address (admit below); one that was
 * not draws nothing. */
static bool site_qr_may_draw(void *arg, struct lws *wsi)
{
    struct server *srv = arg;
    struct sockrec *r = sock_find(srv, wsi);
    return r && bucket_take(&r->e->qr_draws, server__now(srv), 1, QR_DRAW_BURST, QR_DRAW_PER_SEC);
}

/* ------------------------------------------------------------------ */
/* every socket: caps, per-address counts, the non-WebSocket timeout    */

void server__refused(struct server *srv, const char *why, const char *addr)
{
    uint64_t dropped;
    srv->refused++;
    if (log_gate_pass(&srv->refused_log, server__now(srv), 1000, &dropped))
        log_warn("connection_refused reason=%s addr=%s sockets=%zu websockets=%zu "
                 "refused_since_last_line=%llu",
                 why, addr, srv->n_sock, srv->n_conn, (unsigned long long)dropped);
}

/* What admit() counted for a socket from e (trusted: one of a proxy's). */
static void release_addr(struct server *srv, struct addr_entry *e, bool trusted)
{
    if (trusted)
        e->proxied--;
    else
        e->conns--;
    srv->n_sock--;
}

static void release_sock(struct server *srv, struct sockrec *r)
{
    if (r->named)
        r->e->conns--;
    release_addr(srv, r->peer, r->trusted);
}

/* The wsi -> address map: open addressing on the pointer, linear probing,
 * backward-shift deletion, at most half full. */
static size_t sock_slot(const struct server *srv, const struct lws *wsi)
{
    uintptr_t h = (uintptr_t)wsi;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 20) & (srv->socks_cap - 1);
}

static void sock_put(struct server *srv, struct sockrec rec)
{
    if (2 * (srv->socks_len + 1) > srv->socks_cap) {
        struct sockrec *old = srv->socks;
        size_t oc = srv->socks_cap;
        srv->socks_cap = oc ? oc * 2 : 256;
        srv->socks = xcalloc(srv->socks_cap, sizeof *srv->socks);
        srv->socks_len = 0;
        for (size_t i = 0; i < oc; i++)
            if (old[i].wsi)
                sock_put(srv, old[i]);
        free(old);
    }
    size_t i = sock_slot(srv, rec.wsi);
    while (srv->socks[i].wsi && srv->socks[i].wsi != rec.wsi)
        i = (i + 1) & (srv->socks_cap - 1);
    if (!srv->socks[i].wsi)
        srv->socks_len++;
    srv->socks[i] = rec;
}

static struct sockrec *sock_find(struct server *srv, const struct lws *wsi)
{
    if (!srv->socks_cap)
        return NULL;
    for (size_t i = sock_slot(srv, wsi); srv->socks[i].wsi; i = (i + 1) & (srv->socks_cap - 1))
        if (srv->socks[i].wsi == wsi)
            return &srv->socks[i];
    return NULL;
}

static void sock_del(struct server *srv, struct sockrec *r)
{
    size_t mask = srv->socks_cap - 1, i = (size_t)(r - srv->socks), j = i;
    srv->socks[i].wsi = NULL;
    srv->socks_len--;
    for (;;) {   /* shift back the entries whose probe run crossed the hole */
        j = (j + 1) & mask;
        if (!srv->socks[j].wsi)
            return;
        size_t k = sock_slot(srv, srv->socks[j].wsi);
        if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
            srv->socks[i] = srv->socks[j];
            srv->socks[j].wsi = NULL;
            i = j;
        }
    }
}

struct addr_entry *server__ws_established(struct server *srv, struct lws *wsi)
{
    struct sockrec *r = sock_find(srv, wsi);
    if (!r)
        return NULL;
    r->ws = true;
    return r->e;
}

#define REAP_INTERVAL_MS 1000

/* lws resets its own timeouts on every byte, so a trickle (headers or a
 * body) or a raw-fallback connection would live forever: every socket that
 * is not a WebSocket is killed http_timeout_s after its accept. */
static void server_on_reap(void *arg)
{
    struct server *srv = arg;
    uint64_t now = server__now(srv), limit = (uint64_t)srv->cfg.http_timeout_s * 1000;
    for (size_t i = 0; i < srv->socks_cap; i++) {
        struct sockrec *r = &srv->socks[i];
        if (r->wsi && !r->ws && now - r->born_ms >= limit) {
            lws_set_timeout(r->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
            r->born_ms = now;   /* asked once per period */
        }
    }
    env_timer_start(srv->reaper, REAP_INTERVAL_MS);
}

/* The address of a TCP peer; false for a family other than IPv4 or IPv6. */
static bool peer_ip(const struct sockaddr_storage *sa, struct ip_addr *out)
{
    char s[ADDR_MAX];
    const void *bytes = sa->ss_family == AF_INET ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
                        : sa->ss_family == AF_INET6
                            ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
                            : NULL;
    return bytes && inet_ntop(sa->ss_family, bytes, s, sizeof s) && ip_addr_parse(s, out);
}

/* LWS_CALLBACK_FILTER_NETWORK_CONNECTION: admit or refuse a fresh socket. */
static int admit(struct server *srv, const struct lws_filter_network_conn_args *a)
{
    char addr[ADDR_MAX] = "?";
    uint64_t now = server__now(srv);
    struct ip_addr ip;
    bool trusted = peer_ip(&a->cli_addr, &ip);
    if (trusted) {
        ip_addr_client_key(&ip, addr);
        trusted = ip_net_in(&ip, srv->cfg.trusted_proxies, srv->cfg.n_trusted_proxies);
    }
    if (srv->accepting) {   /* the previous socket never became a wsi */
        release_addr(srv, srv->accepting, srv->accepting_trusted);
        srv->accepting = NULL;
    }
    if (now - srv->last_sweep_ms >= ADDR_SWEEP_MS) {
        addrtab_sweep(srv->addrs, now, ADDR_SWEEP_MS);
        srv->last_sweep_ms = now;
    }
    if (srv->shutting_down || srv->n_sock >= srv->cfg.max_connections + SERVER_HTTP_RESERVE) {
        server__refused(srv, "max_connections", addr);
        return 1;
    }
    struct addr_entry *e = addrtab_get(srv->addrs, addr, now, ROOMS_MISS_BURST, QR_DRAW_BURST);
    /* A proxy's sockets carry everybody's traffic: its clients' own
     * sockets are capped when their upgrades name them (server__attribute). */
    if (!trusted && srv->cfg.max_per_addr && e->conns >= srv->cfg.max_per_addr) {
        server__refused(srv, "max_per_address", addr);
        return 1;
    }
    if (trusted)
        e->proxied++;
    else
        e->conns++;
    srv->n_sock++;
    srv->accepting = e;
    srv->accepting_trusted = trusted;
    return 0;
}

/* Longest X-Forwarded-For read: lws keeps all of a request's headers in
 * max_http_header_data (4096 by default), so a longer one cannot arrive.
 * WSI_TOKEN_X_FORWARDED_FOR exists in lws 4.1.6 built with
 * LWS_WITH_HTTP_UNCOMMON_HEADERS, as Debian's is (lws_config.h); repeated
 * header lines are chained in arrival order (roles/http/parsers.c:1385-1398)
 * and lws_hdr_copy joins them with commas (parsers.c:539-580), so the last
 * entry is the one the nearest proxy added, however many lines came. */
#define XFF_READ_MAX 4096
#define XFF_LOG_MAX 60

int server__attribute(struct server *srv, struct lws *wsi, bool upgrade)
{
    struct sockrec *r = sock_find(srv, wsi);
    if (!r || !r->trusted)
        return 0;   /* a direct peer's X-Forwarded-For is never read */
    uint64_t now = server__now(srv), dropped;
    struct addr_entry *e = NULL;   /* the client named, if any */
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_X_FORWARDED_FOR);
    if (n > 0) {
        char v[XFF_READ_MAX];
        struct ip_addr ip;
        char addr[ADDR_MAX];
        if (n < XFF_READ_MAX && lws_hdr_copy(wsi, v, XFF_READ_MAX, WSI_TOKEN_X_FORWARDED_FOR) == n &&
            xff_last(v, &ip)) {
            ip_addr_client_key(&ip, addr);
            e = addrtab_get(srv->addrs, addr, now, ROOMS_MISS_BURST, QR_DRAW_BURST);
        } else if (log_gate_pass(&srv->xff_log, now, 1000, &dropped)) {
            /* A proxy misconfigured (or a client's header let through
             * unchecked): its requests share the proxy's budgets. The
             * value is logged as far as XFF_LOG_MAX bytes of it, whatever
             * is not of an address list (quotes, spaces, controls) as '?',
             * so the line stays one key=value line. */
            char shown[XFF_LOG_MAX + 1];
            size_t k = 0;
            for (; n < XFF_READ_MAX && k < XFF_LOG_MAX && v[k]; k++)
                shown[k] = strchr("0123456789abcdefABCDEF.:, ", v[k]) ? v[k] : '?';
            shown[k] = '\0';
            log_warn("forwarded_for_unusable peer=%s bytes=%d value=\"%s\" "
                     "lines_dropped=%llu (the proxy's address is used)",
                     r->peer->addr, n, shown, (unsigned long long)dropped);
        }
    }
    /* Re-pointed on every request: a kept-alive socket of the proxy moves
     * from client to client. A named client is charged as any, even one at
     * the proxy's own address (a proxy chain in front); only a missing or
     * malformed header falls back to the proxy's budgets, uncapped. */
    if (r->named)
        r->e->conns--;
    r->named = e != NULL;
    r->e = e ? e : r->peer;
    if (!e)
        return 0;
    e->conns++;
    if (upgrade && srv->cfg.max_per_addr && e->conns > srv->cfg.max_per_addr) {
        server__refused(srv, "max_per_address", e->addr);
        return -1;
    }
    return 0;
}

static void site_on_request(void *arg, struct lws *wsi)
{
    server__attribute(arg, wsi, false);
}

/* protocols[0]: socket-level events, then HTTP (http/). */
static int server_on_socket(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                            void *in, size_t len)
{
    struct server *srv = lws_context_user(lws_get_context(wsi));
    struct sockrec *r;
    switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        return admit(srv, user);
    case LWS_CALLBACK_WSI_CREATE:
        /* lws 4.1.6 creates the wsi of an admitted socket right after the
         * filter (its fd not yet set), and sends protocols[0] no
         * SERVER_NEW_CLIENT_INSTANTIATED. */
        if (srv->accepting) {
            sock_put(srv, (struct sockrec){.wsi = wsi, .e = srv->accepting, .peer = srv->accepting,
                                           .born_ms = server__now(srv),
                                           .trusted = srv->accepting_trusted});
            srv->accepting = NULL;
        }
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        if ((r = sock_find(srv, wsi))) {
            release_sock(srv, r);
            sock_del(srv, r);
        }
        return 0;
    default:
        return http_callback(wsi, reason, user, in, len);
    }
}

/* ------------------------------------------------------------------ */
/* lifecycle                                                           */

void server_config_default(struct server_config *c)
{
    memset(c, 0, sizeof *c);
    c->bind = "0.0.0.0";
    c->port = 8080;
    c->web_root = "web-client";
    c->max_players_cap = SERVER_MAX_PLAYERS_CAP;
    c->room_idle_s = SERVER_ROOM_IDLE_S;
    c->txq_len = TXQ_DEFAULT;
    c->rx_max = PROTO_MAX_FRAME;
    c->sndbuf = 65536;
    c->reveal_ms = GAME_REVEAL_MS;
    c->leaderboard_ms = GAME_LEADERBOARD_MS;
    c->max_per_addr = SERVER_MAX_PER_ADDR;
    c->http_timeout_s = SERVER_HTTP_TIMEOUT_S;
    c->max_rooms = SERVER_MAX_ROOMS;
    c->max_rooms_per_addr = SERVER_MAX_ROOMS_PER_ADDR;
    c->empty_room_idle_s = SERVER_EMPTY_ROOM_IDLE_S;
    c->keepalive_ms = KA_PING_MS;
}

/* lws logs one line per refused or failed accept ("User code denied
 * connection", "accept: errno 24"): at a connection cap that is thousands a
 * second, so its lines pass at most once a second, with a count of the
 * rest (issue 11, item 3). lws gives the callback no context: one gate. */
static struct log_gate lws_gate;

static void lws_log_emit(int level, const char *line)
{
    int l = level & LLL_ERR ? LOG_ERR : level & LLL_WARN ? LOG_WARN : level & LLL_NOTICE ? LOG_INFO
                                                                                      : LOG_DEBUG;
    uint64_t dropped;
    if (l > log_level_current || !log_gate_pass(&lws_gate, uv_hrtime() / 1000000, 1000, &dropped))
        return;
    if (dropped)
        log_warn("lws_lines_dropped count=%llu", (unsigned long long)dropped);
    log_emit_raw(l, "lws", line);
}

/* lws's per-connection validity timers are off: with a policy whose
 * secs_since_valid_hangup is 0, _lws_validity_confirmed_role returns at once
 * (core-net/wsi-timeout.c:340), on the upgrade (roles/ws/ops-ws.c:865) and
 * on every pong (ops-ws.c:552). Each armed timer is an insertion into one
 * sorted list walked from its head (core-net/sorted-usec-list.c:51-65):
 * O(connections) per join. The vhost takes this policy as it is
 * (core-net/vhost.c:521-524, adopt.c:85); a NULL one would mean lws's
 * default 300/310 s (core/context.c:844-845). ws_keepalive_sweep pings
 * instead. */
static const lws_retry_bo_t idle_policy = {
    .secs_since_valid_ping = 0,
    .secs_since_valid_hangup = 0,
};

static void keepalive_on_tick(uv_timer_t *h)
{
    ws_keepalive_sweep(h->data);
}

static void setup_protocols(struct server *srv, const struct server_config *cfg,
                            struct qz_pack *const *packs, size_t n_packs)
{
    static const char *hd[][2] = {
        {"content-security-policy:",
         "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
         "form-action 'self'"},
        {"x-content-type-options:", "nosniff"},
        {"referrer-policy:", "no-referrer"},
    };
    for (int i = 0; i < 3; i++) {
        srv->headers[i].next = i < 2 ? &srv->headers[i + 1] : NULL;
        srv->headers[i].name = hd[i][0];
        srv->headers[i].value = hd[i][1];
    }
    http_site_set_root(&srv->site, cfg->web_root);
    srv->site.packs = packs;
    srv->site.n_packs = n_packs;
    srv->site.bind = srv->cfg.bind;
    srv->site.public_url = srv->cfg.public_url;
    srv->site.max_players = srv->cfg.max_players_cap;
    srv->site.allowed_origins = srv->cfg.allowed_origins;
    srv->site.n_allowed_origins = srv->cfg.n_allowed_origins;
    srv->site.health = site_health;
    srv->site.metrics_access = srv->cfg.metrics_access;
    srv->site.metrics = server__metrics;
    srv->site.qr_may_draw = site_qr_may_draw;
    srv->site.on_request = site_on_request;
    srv->site.export_start = site_export;
    srv->site.arg = srv;
    srv->site.qr_cache = srv->qr_cache = qr_cache_create(QR_CACHE_ENTRIES, QR_CACHE_BYTES);

    /* One callback mount: we route /healthz, /api/ and static files ourselves
     * (lws 4.1.6's file mount drops the connection on a missing file). */
    srv->mounts[0] = (struct lws_http_mount){
        .mount_next = NULL, .mountpoint = "/", .mountpoint_len = 1, .protocol = "http",
        .origin_protocol = LWSMPRO_CALLBACK};
    srv->protocols[0] = (struct lws_protocols){"http", server_on_socket, sizeof(struct http_pss),
                                               0, 0, &srv->site, 0};
    /* rx_buffer_size: 1024. Measured with bench/run: 512 saved only ~100 B
     * per connection but cost 20% more server CPU and a 35% worse fan-out
     * p99 at 10,000 players (more reads per burst of answers). */
    srv->protocols[1] = (struct lws_protocols){HTTP_WS_PROTOCOL, ws_callback, sizeof(struct conn),
                                               1024, 0, NULL, WS_TX_PACKET_SIZE};
    memset(&srv->protocols[2], 0, sizeof srv->protocols[2]);
    /* Browsers send no subprotocol: make "quizd" the default for upgrades. */
    srv->pvo_default = (struct lws_protocol_vhost_options){NULL, NULL, "default", ""};
    srv->pvo = (struct lws_protocol_vhost_options){NULL, &srv->pvo_default, HTTP_WS_PROTOCOL, ""};
}

struct server *server_create(uv_loop_t *loop, const struct server_config *cfg,
                             struct qz_pack *const *packs, size_t n_packs)
{
    struct server *srv = xcalloc(1, sizeof *srv);
    struct lws_context_creation_info info;
    void *foreign_loops[1] = {loop};

    srv->loop = loop;
    srv->cfg = *cfg;
    if (srv->cfg.txq_len == 0 || srv->cfg.txq_len > TXQ_MAX)
        srv->cfg.txq_len = TXQ_DEFAULT;
    if (srv->cfg.keepalive_ms == 0)
        srv->cfg.keepalive_ms = KA_PING_MS;
    uv_update_time(loop);
    if (cfg->store) {
        srv->clock_offset = (int64_t)store_last_clock(cfg->store) - (int64_t)uv_now(loop);
        store_set_clock_offset(cfg->store, srv->clock_offset);
    }
    srv->started_ms = server__now(srv);
    if (srv->cfg.max_connections == 0) {
        /* app/ raised the soft limit to the hard one before this. */
        struct rlimit rl;
        rlim_t n = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
        rlim_t reserve = SERVER_FD_RESERVE + SERVER_HTTP_RESERVE;
        srv->cfg.max_connections = n > reserve + 16 ? (unsigned)(n - reserve) : 16;
    }
    metrics_hist_init(&srv->stats.answer_ack_s, METRICS_LATENCY_S, METRICS_LATENCY_N);
    srv->addrs = addrtab_create(ADDR_TABLE_MAX);
    srv->last_sweep_ms = srv->started_ms;
    srv->reaper = env_timer_create(srv, server_on_reap, srv);
    env_timer_start(srv->reaper, REAP_INTERVAL_MS);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct rooms_config rc = {
        .max_players_cap = srv->cfg.max_players_cap,
        .room_idle_s = srv->cfg.room_idle_s,
        .empty_room_idle_s = srv->cfg.empty_room_idle_s,
        .max_rooms = srv->cfg.max_rooms,
        .max_rooms_per_addr = srv->cfg.max_rooms_per_addr,
        .reveal_ms = srv->cfg.reveal_ms,
        .leaderboard_ms = srv->cfg.leaderboard_ms,
        .shard = srv->cfg.shard,
        .clock = {(int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000 - (int64_t)server__now(srv)},
        .store = cfg->store,
    };
    struct rooms_env env = {
        .arg = srv, .now = env_now, .now_ns = env_now_ns, .random = env_random,
        .timer_create = env_timer_create, .timer_start = env_timer_start,
        .timer_stop = env_timer_stop, .timer_active = env_timer_active,
        .timer_destroy = env_timer_destroy, .send = ws_send, .drop = ws_drop,
    };
    srv->rooms = rooms_create(&rc, &env, packs, n_packs);

    lws_set_log_level(log_level_current >= LOG_DEBUG ? LLL_ERR | LLL_WARN | LLL_NOTICE
                                                      : LLL_ERR | LLL_WARN,
                      lws_log_emit);
    setup_protocols(srv, cfg, packs, n_packs);

    memset(&info, 0, sizeof info);
    info.port = cfg->port;
    info.iface = cfg->bind;
    info.protocols = srv->protocols;
    info.mounts = &srv->mounts[0];
    info.headers = &srv->headers[0];
    info.pvo = &srv->pvo;
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DISABLE_IPV6 |
                   LWS_SERVER_OPTION_VALIDATE_UTF8;
    info.foreign_loops = foreign_loops;
    info.pcontext = &srv->ctx;
    info.user = srv;
    info.timeout_secs = 20;
    info.retry_and_idle_policy = &idle_policy;
    info.pt_serv_buf_size = 65536;
    info.vhost_name = "default";

    srv->ctx = lws_create_context(&info);
    if (!srv->ctx) {
        log_err("startup_failed reason=\"libwebsockets could not start (is libwebsockets-evlib-uv installed?)\"");
        srv->exit_code = 1;
        return srv;
    }
    srv->vh = lws_get_vhost_by_name(srv->ctx, "default");
    if (!srv->vh) {
        /* lws 4.1.6: bind failure still returns a context that is already
         * tearing itself down; let the loop drain before the final destroy. */
        log_err("bind_failed address=%s port=%d reason=\"address in use or not available\"", cfg->bind,
                cfg->port);
        fprintf(stderr, "quizd: cannot listen on %s:%d (is another server using that port? try --port)\n",
                cfg->bind, cfg->port);
        srv->exit_code = 1;
        srv->stopped = true;   /* lws already runs its first teardown phase */
        rooms_destroy(srv->rooms);
        srv->rooms = NULL;
        return srv;
    }
    /* Listening: only now are the stored rooms replayed and the writer
     * started (a start that cannot bind records nothing). No connection is
     * served before the loop runs, so every client finds them back. */
    if (cfg->store) {
        rooms_restore(srv->rooms);
        uv_async_init(loop, &srv->store_async, on_store_async);
        srv->store_async.data = srv;
        srv->store_async_open = true;
        uv_prepare_init(loop, &srv->store_prepare);
        srv->store_prepare.data = srv;
        uv_prepare_start(&srv->store_prepare, on_store_prepare);
        store_start(cfg->store, store_notify, &srv->store_async);
        srv->exporter = exporter_open(cfg->store, packs, n_packs, store_notify, &srv->store_async);
    }
    uv_timer_init(loop, &srv->ka_timer);
    srv->ka_timer.data = srv;
    uint32_t tick = ka_tick_ms(srv->cfg.keepalive_ms);
    uv_timer_start(&srv->ka_timer, keepalive_on_tick, tick, tick);
    srv->port = lws_get_vhost_listen_port(srv->vh);
    srv->site.port = srv->port;
    log_info("listening address=%s port=%d web_root=%s packs=%zu shard=%c", cfg->bind, srv->port,
             srv->site.web_root, n_packs, cfg->shard ? cfg->shard : '-');
    return srv;
}

int server_port(const struct server *s)
{
    return s->port;
}

int server_exit_code(const struct server *s)
{
    return s->exit_code;
}

size_t server_connections(const struct server *s)
{
    return s->n_conn;
}

size_t server_rooms(const struct server *s)
{
    return s->rooms ? rooms_count(s->rooms) : 0;
}

void server__conn_gone(struct server *srv)
{
    if (srv->cfg.on_drained)
        srv->cfg.on_drained(srv->cfg.on_drained_arg);
}

void server_shutdown(struct server *srv)
{
    if (srv->shutting_down)
        return;
    srv->shutting_down = true;
    for (struct conn *c = srv->conns; c; c = c->gnext)
        ws_close(c, LWS_CLOSE_STATUS_GOINGAWAY);
    if (srv->n_conn == 0)
        server__conn_gone(srv);
}

/* The writer keeps running until app/ closes the store; from here on it
 * wakes nobody (store_stop_notify), and the handle closes with the loop. */
static void stop_store_async(struct server *srv)
{
    if (!srv->store_async_open)
        return;
    store_stop_notify(srv->cfg.store);
    if (srv->exporter)
        exporter_stop_notify(srv->exporter);
    uv_close((uv_handle_t *)&srv->store_async, NULL);
    uv_close((uv_handle_t *)&srv->store_prepare, NULL);
    srv->store_async_open = false;
}

void server_stop(struct server *srv)
{
    if (srv->stopped) {
        stop_store_async(srv);
        rooms_destroy(srv->rooms);
        srv->rooms = NULL;
        if (srv->reaper)
            env_timer_destroy(srv->reaper);
        srv->reaper = NULL;
        return;
    }
    srv->stopped = true;
    srv->shutting_down = true;
    stop_store_async(srv);
    log_info("write_path at_once=%llu queued=%llu drained=%llu",
             (unsigned long long)srv->stats.at_once, (unsigned long long)srv->stats.queued,
             (unsigned long long)srv->stats.drained);
    rooms_destroy(srv->rooms);
    srv->rooms = NULL;
    if (srv->reaper)
        env_timer_destroy(srv->reaper);
    srv->reaper = NULL;
    if (uv_is_active((uv_handle_t *)&srv->ka_timer))   /* started only once listening */
        uv_close((uv_handle_t *)&srv->ka_timer, NULL);
    if (srv->ctx)
        lws_context_destroy(srv->ctx);   /* phase 1: lws closes its handles on our loop */
}

void server_destroy(struct server *srv)
{
    if (!srv)
        return;
    /* Phase 2: with a foreign loop, the final free needs a second call. */
    if (srv->ctx)
        lws_context_destroy(srv->ctx);
    rooms_destroy(srv->rooms);   /* before the address table its rooms count into */
    exporter_close(srv->exporter, free_wait);
    addrtab_destroy(srv->addrs);
    qr_cache_destroy(srv->qr_cache);
    free(srv->socks);
    free(srv);
}
