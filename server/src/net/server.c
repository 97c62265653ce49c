/* The lws context on the application's uv loop, its teardown, and the
 * environment rooms/ runs in (uv clock and timers, getrandom, ws_send). */
#include "adapter.h"

#include "util/log.h"
#include "util/xmalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>

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
    c->keepalive_ms = KA_PING_MS;
}

static void lws_log_emit(int level, const char *line)
{
    int l = level & LLL_ERR ? LOG_ERR : level & LLL_WARN ? LOG_WARN : level & LLL_NOTICE ? LOG_INFO
                                                                                      : LOG_DEBUG;
    if (l <= log_level_current)
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
    srv->site.health = site_health;
    srv->site.health_arg = srv;

    /* One callback mount: we route /healthz, /api/ and static files ourselves
     * (lws 4.1.6's file mount drops the connection on a missing file). */
    srv->mounts[0] = (struct lws_http_mount){
        .mount_next = NULL, .mountpoint = "/", .mountpoint_len = 1, .protocol = "http",
        .origin_protocol = LWSMPRO_CALLBACK};
    srv->protocols[0] = (struct lws_protocols){"http", http_callback, sizeof(struct http_pss), 0, 0,
                                               &srv->site, 0};
    /* rx_buffer_size: 1024. Measured with bench/run: 512 saved only ~100 B
     * per connection but cost 20% more server CPU and a 35% worse fan-out
     * p99 at 10,000 players (more reads per burst of answers). */
    srv->protocols[1] = (struct lws_protocols){"quizd", ws_callback, sizeof(struct conn), 1024, 0,
                                               NULL, WS_TX_PACKET_SIZE};
    memset(&srv->protocols[2], 0, sizeof srv->protocols[2]);
    /* Browsers send no subprotocol: make "quizd" the default for upgrades. */
    srv->pvo_default = (struct lws_protocol_vhost_options){NULL, NULL, "default", ""};
    srv->pvo = (struct lws_protocol_vhost_options){NULL, &srv->pvo_default, "quizd", ""};
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
    srv->started_ms = uv_now(loop);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct rooms_config rc = {
        .max_players_cap = srv->cfg.max_players_cap,
        .room_idle_s = srv->cfg.room_idle_s,
        .reveal_ms = srv->cfg.reveal_ms,
        .leaderboard_ms = srv->cfg.leaderboard_ms,
        .clock = {(int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000 - (int64_t)uv_now(loop)},
    };
    struct rooms_env env = {
        .arg = srv, .now = env_now, .now_ns = env_now_ns, .random = env_random,
        .timer_create = env_timer_create, .timer_start = env_timer_start,
        .timer_stop = env_timer_stop, .timer_active = env_timer_active,
        .timer_destroy = env_timer_destroy, .send = ws_send,
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
    uv_timer_init(loop, &srv->ka_timer);
    srv->ka_timer.data = srv;
    uint32_t tick = ka_tick_ms(srv->cfg.keepalive_ms);
    uv_timer_start(&srv->ka_timer, keepalive_on_tick, tick, tick);
    srv->port = lws_get_vhost_listen_port(srv->vh);
    srv->site.port = srv->port;
    log_info("listening address=%s port=%d web_root=%s packs=%zu", cfg->bind, srv->port,
             srv->site.web_root, n_packs);
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

void server_stop(struct server *srv)
{
    if (srv->stopped) {
        rooms_destroy(srv->rooms);
        srv->rooms = NULL;
        return;
    }
    srv->stopped = true;
    srv->shutting_down = true;
    log_info("write_path at_once=%llu queued=%llu drained=%llu",
             (unsigned long long)srv->stats.at_once, (unsigned long long)srv->stats.queued,
             (unsigned long long)srv->stats.drained);
    rooms_destroy(srv->rooms);
    srv->rooms = NULL;
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
    rooms_destroy(srv->rooms);
    free(srv);
}
