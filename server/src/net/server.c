/* libwebsockets adapter. The only code that talks to sockets: lws writes
 * them, from LWS_CALLBACK_SERVER_WRITEABLE only, one message per callback,
 * taken from a bounded per-connection queue of shared, encode-once buffers.
 *
 * Ownership: lws allocates and zeroes each `struct sess` (per-session data)
 * and frees it after LWS_CALLBACK_CLOSED; we free what it points to there.
 * Rooms are ours: freed when both of their uv timers have closed. The game
 * core never sees a session: players are ids, mapped here to sessions. */
#include <uv.h> /* before libwebsockets.h (see the libuv spike) */

#include <libwebsockets.h>

#include "server.h"

#include "core/game.h"
#include "qz/proto.h"
#include "util/err.h"
#include "util/log.h"
#include "util/xmalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <net/if.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/time.h>

#define QZ_VERSION "0.1.0"
#define THROTTLE_MS 200        /* lobby and host progress: at most 5 per second */
#define LOBBY_LIST_PLAYERS 12  /* players see the count and the latest names only */
#define GC_INTERVAL_MS 30000
#define SHUTDOWN_GRACE_MS 1500
#define TXQ_MAX 64

/* Rate limit per connection: a token bucket of message credits. Joins cost
 * more; a room's own host is not limited (it can only disturb its own room,
 * and its send queue still bounds what it can make the server hold). A
 * per-address limit is deliberately absent: a venue's Wi-Fi puts hundreds
 * of players behind one NAT address. */
#define RL_BURST 24
#define RL_PER_SEC 12
#define RL_JOIN_COST 2
#define RL_ABUSE_CLOSE 200     /* refused messages before the connection is closed */

/* An encoded message shared by every recipient: refcounted, LWS_PRE headroom. */
struct msg {
    uint32_t refs;
    uint32_t len;
    unsigned char buf[];
};

enum sess_role { ROLE_NONE, ROLE_HOST, ROLE_PLAYER };

struct room;

struct sess {
    struct lws *wsi;
    struct server *srv;
    struct room *room;
    struct sess *rnext, *rprev;   /* room membership */
    struct sess *gnext, *gprev;   /* all established sessions */
    uint32_t player;
    uint8_t role;
    bool established, closing;
    uint16_t close_code;
    uint16_t qh, qt;              /* free-running ring counters */
    uint16_t refused;
    uint32_t rxlen;
    char *rx;                     /* reassembly buffer, only for fragmented frames */
    uint64_t bucket_t;            /* rate limiter: last refill (ms) */
    uint32_t bucket;              /* credits * 1000 */
    struct msg **q;               /* ring of txq_len entries, allocated on establish */
};

struct room {
    struct server *srv;
    struct room *next;
    char code[PROTO_CODE_LEN + 1];
    char host_token[GAME_TOKEN_LEN + 1];
    char pack_id[PROTO_ID_MAX + 1];
    struct game *g;
    struct sess *sessions;        /* host and players, intrusive list */
    struct sess *host;
    struct sess **by_player;      /* index = player id */
    size_t by_player_cap;
    uv_timer_t timer;             /* game deadlines and auto-advance */
    uv_timer_t throttle;          /* coalesced lobby / progress updates */
    uint64_t last_lobby, last_lobby_players, last_answers, last_activity;
    bool lobby_dirty, lobby_players_dirty, answers_dirty;
    int closing_handles;
};

struct http_pss {
    char *body;
    size_t len, off;
};

struct server {
    uv_loop_t *loop;
    struct server_config cfg;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    struct qz_pack *const *packs;
    size_t n_packs;
    struct room *rooms;
    size_t n_rooms;
    struct sess *sessions;
    size_t n_conn;
    uv_signal_t sigint, sigterm;
    uv_timer_t gc, shutdown_timer;
    struct proto_clock clock;
    uint64_t started_ms;
    int port, exit_code;
    bool shutting_down, lws_destroy_started, handles_closed;
    char web_root[4096];
    struct lws_http_mount mounts[1];
    struct lws_protocol_vhost_options headers[4];
    struct lws_protocol_vhost_options pvo_default, pvo;
    struct lws_protocols protocols[3];
};

static uint64_t now_ms(struct server *srv)
{
    return uv_now(srv->loop);
}

/* ------------------------------------------------------------------ */
/* messages and queues                                                 */

static struct msg *msg_take(char *s, size_t len)
{
    struct msg *m = xmalloc(sizeof *m + LWS_PRE + len + 1);
    m->refs = 1;
    m->len = (uint32_t)len;
    memcpy(m->buf + LWS_PRE, s, len);
    m->buf[LWS_PRE + len] = '\0';
    free(s);
    return m;
}

static void msg_unref(struct msg *m)
{
    if (m && --m->refs == 0)
        free(m);
}

static void sess_drop_queue(struct sess *s)
{
    unsigned n = s->srv->cfg.txq_len;
    while (s->qh != s->qt) {
        msg_unref(s->q[s->qh % n]);
        s->qh++;
    }
}

/* Starts closing a session with `code`: the close frame goes out from the
 * WRITEABLE callback; a peer that never becomes writable is killed by the
 * timeout instead. */
static void sess_close(struct sess *s, uint16_t code)
{
    if (!s->established || s->closing)
        return;
    s->closing = true;
    s->close_code = code;
    lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, 3);
    lws_callback_on_writable(s->wsi);
}

/* Queues m (taking a new reference). A full queue means the peer is not
 * reading: it is closed (1008) rather than buffered without bound. */
static void sess_send(struct sess *s, struct msg *m)
{
    unsigned n = s->srv->cfg.txq_len;
    if (!s->established || s->closing)
        return;
    if ((uint16_t)(s->qt - s->qh) >= n) {
        log_warn("slow_consumer closed room=%s player=%u queued=%u",
                 s->room ? s->room->code : "-", s->player, n);
        sess_drop_queue(s);
        /* Its socket is not draining, so a close frame could not get through
         * either: drop the connection now (the player stays in the game and
         * can resume with its token). */
        s->closing = true;
        lws_set_timeout(s->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
        return;
    }
    m->refs++;
    s->q[s->qt % n] = m;
    s->qt++;
    lws_callback_on_writable(s->wsi);
}

/* Sends a freshly encoded message to one session. */
static void sess_send_new(struct sess *s, char *json, size_t len)
{
    struct msg *m = msg_take(json, len);
    sess_send(s, m);
    msg_unref(m);
}

static void sess_error(struct sess *s, int code, const char *message, bool has_req, int64_t req)
{
    size_t len;
    char *j = proto_enc_error(code, message, has_req, req, &len);
    sess_send_new(s, j, len);
}

/* ------------------------------------------------------------------ */
/* rooms                                                               */

static void random_hex(char *out, size_t nhex)
{
    unsigned char b[64];
    size_t nb = nhex / 2;
    size_t got = 0;
    while (got < nb) {
        ssize_t r = getrandom(b + got, nb - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            log_err("getrandom failed err=%s", strerror(errno));
            abort();
        }
        got += (size_t)r;
    }
    for (size_t i = 0; i < nb; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    out[nhex] = '\0';
}

static struct room *room_find(struct server *srv, const char *code)
{
    for (struct room *r = srv->rooms; r; r = r->next)
        if (!strcmp(r->code, code))
            return r;
    return NULL;
}

static void room_new_code(struct server *srv, char code[PROTO_CODE_LEN + 1])
{
    size_t alpha = strlen(PROTO_CODE_ALPHABET);
    do {
        unsigned char b[PROTO_CODE_LEN];
        while (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
            ;
        for (int i = 0; i < PROTO_CODE_LEN; i++)
            code[i] = PROTO_CODE_ALPHABET[b[i] % alpha];   /* 256 % 31 bias is harmless here */
        code[PROTO_CODE_LEN] = '\0';
    } while (room_find(srv, code));
}

static void room_attach(struct room *r, struct sess *s)
{
    s->room = r;
    s->rprev = NULL;
    s->rnext = r->sessions;
    if (r->sessions)
        r->sessions->rprev = s;
    r->sessions = s;
}

static void room_detach(struct sess *s)
{
    struct room *r = s->room;
    if (!r)
        return;
    if (s->rprev)
        s->rprev->rnext = s->rnext;
    else
        r->sessions = s->rnext;
    if (s->rnext)
        s->rnext->rprev = s->rprev;
    if (s->role == ROLE_PLAYER && s->player < r->by_player_cap && r->by_player[s->player] == s)
        r->by_player[s->player] = NULL;
    if (r->host == s)
        r->host = NULL;
    s->room = NULL;
    s->rnext = s->rprev = NULL;
    s->role = ROLE_NONE;
    s->player = 0;
}

static void room_set_player_sess(struct room *r, uint32_t id, struct sess *s)
{
    if (id >= r->by_player_cap) {
        size_t cap = r->by_player_cap ? r->by_player_cap : 16;
        while (cap <= id)
            cap *= 2;
        r->by_player = xrealloc(r->by_player, cap * sizeof *r->by_player);
        memset(r->by_player + r->by_player_cap, 0, (cap - r->by_player_cap) * sizeof *r->by_player);
        r->by_player_cap = cap;
    }
    r->by_player[id] = s;
}

static struct sess *room_player_sess(struct room *r, uint32_t id)
{
    return id < r->by_player_cap ? r->by_player[id] : NULL;
}

static void room_broadcast(struct room *r, struct msg *m)
{
    for (struct sess *s = r->sessions; s; s = s->rnext)
        sess_send(s, m);
}

static void room_on_timer(uv_timer_t *t);
static void room_on_throttle(uv_timer_t *t);
static void room_process(struct room *r, uint64_t t0_ns);

/* Players' lobby updates get rarer as the room grows: each goes to every
 * player, so a 10,000-player room gets one a second instead of five. */
static uint64_t players_lobby_interval(const struct room *r)
{
    uint64_t k = game_player_count(r->g) / 500 + 1;
    return k * THROTTLE_MS > 1000 ? 1000 : k * THROTTLE_MS;
}

static void room_flush_lobby_host(struct room *r)
{
    size_t len;
    r->lobby_dirty = false;
    r->last_lobby = now_ms(r->srv);
    if (r->host) {
        char *j = proto_enc_lobby(r->g, r->code, (size_t)-1, &len);
        sess_send_new(r->host, j, len);
    }
}

static void room_flush_lobby_players(struct room *r)
{
    size_t len;
    r->lobby_players_dirty = false;
    r->last_lobby_players = now_ms(r->srv);
    bool any_player = false;
    for (struct sess *s = r->sessions; s && !any_player; s = s->rnext)
        any_player = s->role == ROLE_PLAYER;
    if (!any_player)
        return;
    /* One encoding shared by every player. */
    char *j = proto_enc_lobby(r->g, r->code, LOBBY_LIST_PLAYERS, &len);
    struct msg *m = msg_take(j, len);
    for (struct sess *s = r->sessions; s; s = s->rnext)
        if (s->role == ROLE_PLAYER)
            sess_send(s, m);
    msg_unref(m);
}

static void room_flush_lobby(struct room *r)
{
    room_flush_lobby_host(r);
    room_flush_lobby_players(r);
}

static void room_flush_answers(struct room *r)
{
    size_t len;
    r->answers_dirty = false;
    r->last_answers = now_ms(r->srv);
    if (!r->host)
        return;
    char *j = proto_enc_answers(r->g, &len);
    sess_send_new(r->host, j, len);
}

/* Leading-edge throttle: send now if the last update is old enough, else
 * once the interval has passed. */
static void room_schedule_throttle(struct room *r)
{
    uint64_t now = now_ms(r->srv), due = UINT64_MAX, pint = players_lobby_interval(r);
    if (r->lobby_dirty) {
        r->lobby_players_dirty = true;
        if (now >= r->last_lobby + THROTTLE_MS)
            room_flush_lobby_host(r);
        else
            due = r->last_lobby + THROTTLE_MS;
    }
    if (r->lobby_players_dirty) {
        if (now >= r->last_lobby_players + pint)
            room_flush_lobby_players(r);
        else if (r->last_lobby_players + pint < due)
            due = r->last_lobby_players + pint;
    }
    if (r->answers_dirty) {
        if (now >= r->last_answers + THROTTLE_MS)
            room_flush_answers(r);
        else if (r->last_answers + THROTTLE_MS < due)
            due = r->last_answers + THROTTLE_MS;
    }
    if (due != UINT64_MAX && !uv_is_active((uv_handle_t *)&r->throttle))
        uv_timer_start(&r->throttle, room_on_throttle, due > now ? due - now : 0, 0);
}

static void room_on_throttle(uv_timer_t *t)
{
    struct room *r = t->data;
    room_schedule_throttle(r);
}

static void room_arm_timer(struct room *r)
{
    qz_ms due = game_next_deadline(r->g);
    uv_timer_stop(&r->timer);
    if (!due)
        return;
    uint64_t now = now_ms(r->srv);
    uv_timer_start(&r->timer, room_on_timer, due > now ? due - now : 0, 0);
}

static void room_on_timer(uv_timer_t *t)
{
    struct room *r = t->data;
    uint64_t t0 = uv_hrtime();
    game_tick(r->g, now_ms(r->srv));
    room_process(r, t0);
}

/* One line per broadcast: recipients and the time from the triggering call
 * (t0, before the game core ran: ranking included) until every copy was
 * queued. This is what the benchmark reads as "computed and queued". */
static void log_broadcast(struct room *r, const char *type, uint64_t t0_ns)
{
    size_t n = 0;
    for (struct sess *s = r->sessions; s; s = s->rnext)
        n++;
    log_info("broadcast room=%s type=%s recipients=%zu queued_us=%llu", r->code, type, n,
             (unsigned long long)((uv_hrtime() - t0_ns) / 1000));
}

/* Sends what the last game_* call produced, encoding each broadcast once. */
static void room_process(struct room *r, uint64_t t0_ns)
{
    const struct game_event *ev;
    size_t n = game_take_events(r->g, &ev), len;
    uint64_t now = now_ms(r->srv);
    struct msg *m;
    char *j;
    r->last_activity = now;
    for (size_t i = 0; i < n; i++) {
        switch (ev[i].type) {
        case GEV_LOBBY:
            r->lobby_dirty = true;
            break;
        case GEV_ANSWERS:
            r->answers_dirty = true;
            break;
        case GEV_QUESTION:
            j = proto_enc_question(r->g, &r->srv->clock, now, &len);
            m = msg_take(j, len);
            room_broadcast(r, m);
            msg_unref(m);
            r->answers_dirty = true;
            log_broadcast(r, "question", t0_ns);
            break;
        case GEV_REVEAL:
            if (r->answers_dirty)
                room_flush_answers(r);
            j = proto_enc_reveal(r->g, &len);
            m = msg_take(j, len);
            room_broadcast(r, m);
            msg_unref(m);
            for (struct sess *s = r->sessions; s; s = s->rnext) {
                if (s->role != ROLE_PLAYER)
                    continue;
                const struct game_player *p = game_player(r->g, s->player);
                if (p && p->first_q <= (unsigned)game_index(r->g)) {
                    j = proto_enc_result(r->g, s->player, &len);
                    sess_send_new(s, j, len);
                }
            }
            log_broadcast(r, "reveal+results", t0_ns);
            break;
        case GEV_LEADERBOARD:
            j = proto_enc_leaderboard(r->g, &len);
            m = msg_take(j, len);
            room_broadcast(r, m);
            msg_unref(m);
            log_broadcast(r, "leaderboard", t0_ns);
            break;
        case GEV_GAME_OVER:
            j = proto_enc_game_over(r->g, &len);
            m = msg_take(j, len);
            room_broadcast(r, m);
            msg_unref(m);
            for (struct sess *s = r->sessions; s; s = s->rnext) {
                if (s->role != ROLE_PLAYER)
                    continue;
                j = proto_enc_review(r->g, s->player, &len);
                sess_send_new(s, j, len);
            }
            log_info("game_over room=%s players=%zu", r->code, game_player_count(r->g));
            break;
        case GEV_KICKED: {
            struct sess *s = room_player_sess(r, ev[i].player);
            if (s) {
                j = proto_enc_kicked(&len);
                sess_send_new(s, j, len);
                room_detach(s);
            }
            log_info("kicked room=%s player=%u", r->code, ev[i].player);
            break;
        }
        }
    }
    room_schedule_throttle(r);
    room_arm_timer(r);
}

static void room_on_handle_closed(uv_handle_t *h)
{
    struct room *r = h->data;
    if (--r->closing_handles == 0) {
        game_destroy(r->g);
        free(r->by_player);
        free(r);
    }
}

/* Unlinks the room, detaches its sessions and frees it once its timers closed. */
static void room_destroy(struct room *r, const char *why)
{
    struct server *srv = r->srv;
    struct room **pp = &srv->rooms;
    while (*pp && *pp != r)
        pp = &(*pp)->next;
    if (*pp)
        *pp = r->next;
    srv->n_rooms--;
    while (r->sessions) {
        struct sess *s = r->sessions;
        if (!srv->shutting_down)
            sess_error(s, QZ_ENOROOM, "the room was closed", false, 0);
        room_detach(s);
    }
    log_info("room_removed room=%s reason=%s", r->code, why);
    r->closing_handles = 2;
    uv_close((uv_handle_t *)&r->timer, room_on_handle_closed);
    uv_close((uv_handle_t *)&r->throttle, room_on_handle_closed);
}

static void server_on_gc(uv_timer_t *t)
{
    struct server *srv = t->data;
    uint64_t now = now_ms(srv), idle = (uint64_t)srv->cfg.room_idle_s * 1000;
    struct room *r = srv->rooms;
    while (r) {
        struct room *next = r->next;
        if (!r->host && now - r->last_activity >= idle)
            room_destroy(r, "idle");
        r = next;
    }
}

/* ------------------------------------------------------------------ */
/* requests                                                            */

static const struct qz_pack *find_pack(struct server *srv, const char *id)
{
    if (!id[0])
        return srv->packs[0];
    for (size_t i = 0; i < srv->n_packs; i++)
        if (!strcmp(srv->packs[i]->id, id))
            return srv->packs[i];
    return NULL;
}

static void reply_ack(struct sess *s, const struct proto_req *q)
{
    size_t len;
    char *j = proto_enc_ack(q->req, q->has_req, &len);
    sess_send_new(s, j, len);
}

static void send_state(struct sess *s, const struct proto_req *q, uint32_t player)
{
    size_t len;
    struct room *r = s->room;
    char *j = proto_enc_state(r->g, r->code, player, &s->srv->clock, now_ms(s->srv), q && q->has_req,
                              q ? q->req : 0, &len);
    sess_send_new(s, j, len);
    if (player && game_phase(r->g) == GAME_FINISHED) {
        j = proto_enc_review(r->g, player, &len);
        sess_send_new(s, j, len);
    }
}

static void do_create_room(struct sess *s, const struct proto_req *q)
{
    struct server *srv = s->srv;
    if (s->room) {
        sess_error(s, QZ_EPHASE, "this connection already belongs to a room", q->has_req, q->req);
        return;
    }
    const struct qz_pack *pack = find_pack(srv, q->u.create.pack);
    if (!pack) {
        sess_error(s, QZ_EBADMSG, "pack: no pack with that id", q->has_req, q->req);
        return;
    }
    struct game_settings st;
    game_settings_default(&st);
    st.reveal_ms = srv->cfg.reveal_ms;
    st.leaderboard_ms = srv->cfg.leaderboard_ms;
    if (q->u.create.has_count)
        st.count = q->u.create.count;
    if (q->u.create.has_seconds)
        st.seconds = q->u.create.seconds;
    if (q->u.create.has_scoring)
        st.scoring = q->u.create.scoring;
    if (q->u.create.has_auto)
        st.auto_advance = q->u.create.auto_advance;
    if (st.max_players > srv->cfg.max_players_cap)
        st.max_players = srv->cfg.max_players_cap;
    if (q->u.create.has_max) {
        if (q->u.create.max_players > srv->cfg.max_players_cap) {
            char msg[96];
            snprintf(msg, sizeof msg, "max_players: this server allows at most %u",
                     srv->cfg.max_players_cap);
            sess_error(s, QZ_EBADMSG, msg, q->has_req, q->req);
            return;
        }
        st.max_players = q->u.create.max_players;
    }
    st.n_categories = q->u.create.n_categories;
    for (unsigned i = 0; i < st.n_categories; i++)
        st.categories[i] = q->u.create.categories[i];
    uint64_t seed;
    while (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
        ;
    int err;
    struct game *g = game_create(pack, &st, seed, &err);
    if (!g) {
        sess_error(s, QZ_EBADMSG, "categories: no question in the chosen categories", q->has_req,
                   q->req);
        return;
    }
    struct room *r = xcalloc(1, sizeof *r);
    r->srv = srv;
    r->g = g;
    room_new_code(srv, r->code);
    random_hex(r->host_token, GAME_TOKEN_LEN);
    snprintf(r->pack_id, sizeof r->pack_id, "%s", pack->id);
    uv_timer_init(srv->loop, &r->timer);
    uv_timer_init(srv->loop, &r->throttle);
    r->timer.data = r->throttle.data = r;
    r->last_activity = now_ms(srv);
    r->next = srv->rooms;
    srv->rooms = r;
    srv->n_rooms++;
    room_attach(r, s);
    s->role = ROLE_HOST;
    r->host = s;
    size_t len;
    char *j = proto_enc_room_created(r->code, r->host_token, g, r->pack_id, q->has_req, q->req, &len);
    sess_send_new(s, j, len);
    room_flush_lobby(r);
    log_info("room_created room=%s pack=%s questions=%zu", r->code, r->pack_id, game_total(g));
}

static bool token_equal(const char *a, const char *b)
{
    unsigned char d = 0;   /* constant time: no early exit on the first difference */
    for (int i = 0; i < GAME_TOKEN_LEN; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static void do_host_resume(struct sess *s, const struct proto_req *q)
{
    if (s->room) {
        sess_error(s, QZ_EPHASE, "this connection already belongs to a room", q->has_req, q->req);
        return;
    }
    struct room *r = room_find(s->srv, q->u.resume.code);
    if (!r) {
        sess_error(s, QZ_ENOROOM, "no room with that code", q->has_req, q->req);
        return;
    }
    if (!token_equal(r->host_token, q->u.resume.token)) {
        sess_error(s, QZ_EBADTOKEN, "host_token: not this room's host token", q->has_req, q->req);
        return;
    }
    if (r->host) {   /* a second tab takes over; the old one is told why */
        struct sess *old = r->host;
        sess_error(old, QZ_EBADTOKEN, "the host resumed on another connection", false, 0);
        room_detach(old);
    }
    room_attach(r, s);
    s->role = ROLE_HOST;
    r->host = s;
    send_state(s, q, 0);
    r->last_lobby = 0;
    r->lobby_dirty = true;
    room_schedule_throttle(r);
    log_info("host_resumed room=%s", r->code);
}

static void do_join(struct sess *s, const struct proto_req *q)
{
    if (s->room) {
        sess_error(s, QZ_EPHASE, "this connection already belongs to a room", q->has_req, q->req);
        return;
    }
    struct room *r = room_find(s->srv, q->u.join.code);
    if (!r) {
        sess_error(s, QZ_ENOROOM, "no room with that code", q->has_req, q->req);
        return;
    }
    uint32_t id;
    int rc;
    uint64_t now = now_ms(s->srv);
    if (q->u.join.token[0]) {
        rc = game_resume(r->g, q->u.join.token, now, &id);
    } else {
        char token[GAME_TOKEN_LEN + 1];
        random_hex(token, GAME_TOKEN_LEN);
        rc = game_join(r->g, q->u.join.name, token, now, &id);
    }
    if (rc) {
        const char *msg = rc == QZ_ENAMETAKEN    ? "that name is already taken in this room"
                          : rc == QZ_ENAMEINVALID ? "that name was removed from this room by the host"
                          : rc == QZ_EROOMFULL    ? "the room is full"
                          : rc == QZ_EROOMLOCKED  ? "the host has locked this room"
                          : rc == QZ_EBADTOKEN    ? "token: not valid in this room (kicked or unknown)"
                          : rc == QZ_EPHASE       ? "the game has finished"
                                                  : NULL;
        sess_error(s, rc, msg, q->has_req, q->req);
        room_process(r, uv_hrtime());
        return;
    }
    struct sess *old = room_player_sess(r, id);
    if (old && old != s) {   /* the same player resumed elsewhere: newest wins */
        sess_error(old, QZ_EBADTOKEN, "you joined from another tab or device", false, 0);
        room_detach(old);
    }
    room_attach(r, s);
    s->role = ROLE_PLAYER;
    s->player = id;
    room_set_player_sess(r, id, s);
    size_t len;
    char *j = proto_enc_joined(game_player(r->g, id), r->code, q->has_req, q->req, &len);
    sess_send_new(s, j, len);
    send_state(s, NULL, id);
    log_debug("%s room=%s player=%u", q->u.join.token[0] ? "player_resumed" : "player_joined", r->code, id);
    room_process(r, uv_hrtime());
}

static void do_host_cmd(struct sess *s, const struct proto_req *q)
{
    struct room *r = s->room;
    if (!r || s->role != ROLE_HOST) {
        sess_error(s, QZ_ENOTHOST, "only the room's host can do that", q->has_req, q->req);
        return;
    }
    uint64_t now = now_ms(s->srv), t0 = uv_hrtime();
    int rc = 0;
    const char *msg = NULL;
    switch (q->type) {
    case PT_START:
        rc = game_start(r->g, now);
        if (rc == QZ_EPHASE)
            msg = game_phase(r->g) == GAME_LOBBY ? "wait for at least one player to join"
                                                 : "the game has already started";
        break;
    case PT_NEXT:
        rc = game_next(r->g, now);
        if (rc)
            msg = "nothing to advance: the game is not running";
        break;
    case PT_KICK:
        rc = game_kick(r->g, q->u.kick.player_id, now);
        if (rc == QZ_ENOTFOUND) {
            rc = QZ_EBADMSG;
            msg = "player_id: no such player in this room";
        }
        break;
    case PT_LOCK:
        rc = game_lock(r->g, q->u.lock.locked);
        break;
    case PT_END:
        rc = game_end(r->g, now);
        if (rc)
            msg = "the game has already finished";
        break;
    default:
        break;
    }
    if (rc)
        sess_error(s, rc, msg, q->has_req, q->req);
    else
        reply_ack(s, q);
    room_process(r, t0);
}

static void do_answer(struct sess *s, const struct proto_req *q)
{
    struct room *r = s->room;
    if (!r || s->role != ROLE_PLAYER) {
        sess_error(s, QZ_EPHASE, "join a room as a player before answering", q->has_req, q->req);
        return;
    }
    uint64_t t0 = uv_hrtime();
    int rc = game_answer(r->g, s->player, q->u.answer.index, q->u.answer.choice, now_ms(s->srv));
    if (rc) {
        const char *msg = rc == QZ_ETOOLATE     ? "the time for this question is up"
                          : rc == QZ_EANSWERED  ? "you already answered this question"
                          : rc == QZ_EBADCHOICE ? "choice: not one of the options"
                          : rc == QZ_EPHASE     ? "index: that question is not open"
                                                : NULL;
        sess_error(s, rc, msg, q->has_req, q->req);
        return;
    }
    size_t len;
    char *j = proto_enc_answer_ack(q->u.answer.index, q->u.answer.choice, q->has_req, q->req, &len);
    sess_send_new(s, j, len);
    room_process(r, t0);
}

/* Token bucket: returns false (and counts the refusal) when over the limit. */
static bool rate_ok(struct sess *s, uint32_t cost)
{
    uint64_t now = now_ms(s->srv);
    uint64_t add = (now - s->bucket_t) * RL_PER_SEC;   /* credits*1000 per ms */
    s->bucket_t = now;
    s->bucket = (uint32_t)((s->bucket + add > RL_BURST * 1000u) ? RL_BURST * 1000u : s->bucket + add);
    if (s->bucket >= cost * 1000u) {
        s->bucket -= cost * 1000u;
        return true;
    }
    if (++s->refused >= RL_ABUSE_CLOSE)
        sess_close(s, LWS_CLOSE_STATUS_POLICY_VIOLATION);
    return false;
}

static void dispatch(struct sess *s, const char *buf, size_t len)
{
    struct proto_req q;
    struct proto_error e;
    if (s->closing)
        return;
    int rc = proto_decode(buf, len, &q, &e);
    uint32_t cost = 1;
    if (rc == 0 && (q.type == PT_JOIN || q.type == PT_CREATE_ROOM || q.type == PT_HOST_RESUME))
        cost = RL_JOIN_COST;
    if (rc == 0 && s->role == ROLE_HOST &&
        (q.type == PT_START || q.type == PT_NEXT || q.type == PT_KICK || q.type == PT_LOCK ||
         q.type == PT_END))
        cost = 0;
    if (cost && !rate_ok(s, cost)) {
        if (s->refused < 5 || s->refused % 50 == 0)   /* don't amplify a flood */
            sess_error(s, QZ_ERATELIMIT, "too many messages: slow down", rc == 0 ? q.has_req : e.has_req,
                       rc == 0 ? q.req : e.req);
        return;
    }
    if (rc) {
        log_debug("bad_request err=%s msg=\"%s\"", qz_strerror(e.code), e.message);
        sess_error(s, e.code, e.message, e.has_req, e.req);
        return;
    }
    switch (q.type) {
    case PT_CREATE_ROOM: do_create_room(s, &q); break;
    case PT_HOST_RESUME: do_host_resume(s, &q); break;
    case PT_JOIN: do_join(s, &q); break;
    case PT_ANSWER: do_answer(s, &q); break;
    case PT_START:
    case PT_NEXT:
    case PT_KICK:
    case PT_LOCK:
    case PT_END: do_host_cmd(s, &q); break;
    case PT_PING: {
        size_t n;
        char *j = proto_enc_pong(q.has_req, q.req, q.u.ping.has_t, q.u.ping.t,
                                 (int64_t)now_ms(s->srv) + s->srv->clock.epoch_offset_ms, &n);
        sess_send_new(s, j, n);
        break;
    }
    }
}

/* ------------------------------------------------------------------ */
/* libwebsockets callbacks                                             */

static void server_maybe_finish_shutdown(struct server *srv);

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    struct sess *s = user;
    struct server *srv = lws_context_user(lws_get_context(wsi));
    char uri[64];

    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        /* The WebSocket endpoint is /ws only; refuse upgrades elsewhere. */
        if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, "/ws"))
            return 1;
        if (srv->shutting_down)
            return 1;
        return 0;

    case LWS_CALLBACK_ESTABLISHED: {
        /* Bound what the kernel buffers for one peer: with loopback or LAN
         * autotuning a stalled reader could otherwise pin megabytes. */
        int fd = lws_get_socket_fd(wsi), sb = (int)srv->cfg.sndbuf;
        if (fd >= 0 && sb > 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);
        s->wsi = wsi;
        s->srv = srv;
        s->established = true;
        s->q = xcalloc(srv->cfg.txq_len, sizeof *s->q);
        s->bucket = RL_BURST * 1000u;
        s->bucket_t = now_ms(srv);
        s->gnext = srv->sessions;
        if (srv->sessions)
            srv->sessions->gprev = s;
        srv->sessions = s;
        srv->n_conn++;
        break;
    }

    case LWS_CALLBACK_CLOSED:
        if (!s->established)
            break;
        if (s->room) {
            struct room *r = s->room;
            uint32_t pid = s->role == ROLE_PLAYER ? s->player : 0;
            bool was_host = s->role == ROLE_HOST;
            room_detach(s);
            if (pid && !room_player_sess(r, pid)) {
                game_disconnect(r->g, pid, now_ms(srv));
                room_process(r, uv_hrtime());
            }
            if (was_host) {
                log_info("host_left room=%s", r->code);
                r->last_activity = now_ms(srv);
            }
        }
        sess_drop_queue(s);
        free(s->q);
        s->q = NULL;
        free(s->rx);
        s->rx = NULL;
        if (s->gprev)
            s->gprev->gnext = s->gnext;
        else
            srv->sessions = s->gnext;
        if (s->gnext)
            s->gnext->gprev = s->gprev;
        s->established = false;
        srv->n_conn--;
        if (srv->shutting_down)
            server_maybe_finish_shutdown(srv);
        break;

    case LWS_CALLBACK_SERVER_WRITEABLE: {
        unsigned n = srv->cfg.txq_len;
        if (!s->established)
            break;
        if (s->qh != s->qt && !s->closing) {
            struct msg *m = s->q[s->qh % n];
            if (lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int)m->len)
                return -1;
            s->qh++;
            msg_unref(m);
        } else if (s->closing) {
            /* Flush what is queued first, then the close frame. */
            if (s->qh != s->qt) {
                struct msg *m = s->q[s->qh % n];
                if (lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int)m->len)
                    return -1;
                s->qh++;
                msg_unref(m);
                lws_callback_on_writable(wsi);
                break;
            }
            const char *why = s->close_code == LWS_CLOSE_STATUS_GOINGAWAY ? "server shutting down"
                              : s->close_code == LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE
                                  ? "message too large"
                                  : "policy violation";
            /* lws 4.1.6 does not send the lws_close_reason() frame when a
             * WRITEABLE callback returns -1 (the POLLOUT path closes at once),
             * so write the close frame here: opcode 4 is lws's private
             * LWS_WRITE_CLOSE, which its public header reserves. */
            unsigned char cbuf[LWS_PRE + 64];
            size_t wl = strlen(why);
            cbuf[LWS_PRE] = (unsigned char)(s->close_code >> 8);
            cbuf[LWS_PRE + 1] = (unsigned char)(s->close_code & 0xff);
            memcpy(cbuf + LWS_PRE + 2, why, wl);
            lws_write(wsi, cbuf + LWS_PRE, wl + 2, (enum lws_write_protocol)4);
            return -1;
        }
        if (s->qh != s->qt || s->closing)
            lws_callback_on_writable(wsi);
        break;
    }

    case LWS_CALLBACK_RECEIVE: {
        bool first = lws_is_first_fragment(wsi), final = lws_is_final_fragment(wsi) &&
                                                         !lws_remaining_packet_payload(wsi);
        if (!s->established || s->closing)
            break;
        if (lws_frame_is_binary(wsi)) {
            sess_error(s, QZ_EBADJSON, "binary frames are not accepted; send JSON text", false, 0);
            if (!final)
                s->rxlen = UINT32_MAX;   /* swallow the rest of this message */
            break;
        }
        if (first && final) {   /* the common case: no copy */
            s->rxlen = 0;
            dispatch(s, in, len);
            break;
        }
        if (first)
            s->rxlen = 0;
        if (s->rxlen == UINT32_MAX) {
            if (final)
                s->rxlen = 0;
            break;
        }
        if ((size_t)s->rxlen + len > srv->cfg.rx_max) {
            log_info("oversize_frame closed room=%s bytes>%u", s->room ? s->room->code : "-",
                     srv->cfg.rx_max);
            lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                             (unsigned char *)"message too large", 17);
            return -1;
        }
        if (!s->rx)
            s->rx = xmalloc(srv->cfg.rx_max);
        memcpy(s->rx + s->rxlen, in, len);
        s->rxlen += (uint32_t)len;
        if (final) {
            size_t n = s->rxlen;
            s->rxlen = 0;
            dispatch(s, s->rx, n);
            free(s->rx);   /* fragmented frames are rare: keep idle memory small */
            s->rx = NULL;
        }
        break;
    }

    default:
        break;
    }
    return 0;
}

static void http_set_body(struct http_pss *h, char *body, size_t len)
{
    free(h->body);
    h->body = body;
    h->len = len;
    h->off = 0;
}

static char *packs_json(struct server *srv, size_t *len)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < srv->n_packs; i++) {
        const struct qz_pack *p = srv->packs[i];
        json_t *cats = json_array();
        for (size_t c = 0; c < p->n_cats; c++)
            json_array_append_new(cats, json_pack("{s:s,s:i}", "name", p->cats[c].name,
                                                  "questions", p->cats[c].questions));
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:I,s:o,s:b}", "id", p->id, "title",
                                             p->title, "source", p->source, "questions",
                                             (json_int_t)p->n, "categories", cats, "default",
                                             i == 0));
    }
    json_t *o = json_pack("{s:o}", "packs", arr);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    *len = strlen(s);
    return s;
}

static char *health_json(struct server *srv, size_t *len)
{
    json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:I}", "status", srv->shutting_down ? "stopping" : "ok",
                          "version", QZ_VERSION, "uptime_s",
                          (json_int_t)((now_ms(srv) - srv->started_ms) / 1000), "rooms",
                          (json_int_t)srv->n_rooms, "connections", (json_int_t)srv->n_conn);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    *len = strlen(s);
    return s;
}

/* The IPv4 addresses of this machine's up, non-loopback interfaces. */
static size_t lan_addresses(char out[][INET_ADDRSTRLEN], size_t max)
{
    struct ifaddrs *ifa = NULL;
    size_t n = 0;
    if (getifaddrs(&ifa) != 0)
        return 0;
    for (struct ifaddrs *i = ifa; i && n < max; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) ||
            !(i->ifa_flags & IFF_UP))
            continue;
        inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, out[n++], INET_ADDRSTRLEN);
    }
    freeifaddrs(ifa);
    return n;
}

/* Version and the addresses phones on the LAN can use (when bound to all). */
static char *info_json(struct server *srv, size_t *len)
{
    json_t *urls = json_array();
    if (srv->cfg.public_url && srv->cfg.public_url[0]) {
        json_array_append_new(urls, json_string(srv->cfg.public_url));
    } else if (!strcmp(srv->cfg.bind, "0.0.0.0")) {
        char a[8][INET_ADDRSTRLEN], u[64];
        for (size_t i = 0, n = lan_addresses(a, 8); i < n; i++) {
            snprintf(u, sizeof u, "http://%s:%d/", a[i], srv->port);
            json_array_append_new(urls, json_string(u));
        }
    }
    json_t *o = json_pack("{s:s,s:o,s:I}", "version", QZ_VERSION, "lan_urls", urls, "max_players",
                          (json_int_t)srv->cfg.max_players_cap);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    *len = strlen(s);
    return s;
}

/* An SVG QR code of `text` (at most 512 bytes), drawn as one path. */
static char *qr_svg(const char *text, size_t *len)
{
    QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!qr)
        return NULL;
    int w = qr->width, quiet = 4, size = w + 2 * quiet;
    size_t cap = 256 + (size_t)w * (size_t)w * 16;
    char *s = xmalloc(cap);
    size_t n = (size_t)snprintf(s, cap,
                                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                                "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
                                "fill=\"#fff\"/><path fill=\"#000\" d=\"",
                                size, size, size, size);
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            if (qr->data[y * w + x] & 1)
                n += (size_t)snprintf(s + n, cap - n, "M%d %dh1v1h-1z", x + quiet, y + quiet);
    n += (size_t)snprintf(s + n, cap - n, "\"/></svg>");
    QRcode_free(qr);
    *len = n;
    return s;
}

static int http_respond(struct lws *wsi, struct http_pss *h, unsigned status, const char *type,
                        char *body, size_t len)
{
    unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    http_set_body(h, body, len);
    if (lws_add_http_common_headers(wsi, status, type, len, &p, end))
        return 1;
    if (lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                    (const unsigned char *)"no-store", 8, &p, end))
        return 1;
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    lws_callback_on_writable(wsi);
    return 0;
}

static const char *mime_type(const char *path)
{
    static const char *map[][2] = {
        {".html", "text/html; charset=utf-8"},   {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},               {".png", "image/png"},
        {".ico", "image/x-icon"},                {".json", "application/json"},
        {".webmanifest", "application/manifest+json"}, {".woff2", "font/woff2"},
        {".woff", "font/woff"},                  {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json"},           {".webp", "image/webp"},
        {".jpg", "image/jpeg"},                  {".md", "text/markdown; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/'))
        return NULL;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(dot, map[i][0]))
            return map[i][1];
    return NULL;
}

/* Serves a file below the web root; 404 for anything missing, hidden, outside
 * the root or of an unknown type. */
static int http_serve_static(struct lws *wsi, struct http_pss *h, struct server *srv,
                             const char *uri)
{
    char rel[512], full[4096 + 512], real[4096];
    size_t n = strlen(uri);
    if (n == 0 || uri[0] != '/' || n >= sizeof rel - 16 || strstr(uri, "/.") || strstr(uri, "..") ||
        strchr(uri, '\\'))
        goto notfound;
    snprintf(rel, sizeof rel, "%s%s", uri, uri[n - 1] == '/' ? "index.html" : "");
    snprintf(full, sizeof full, "%s%s", srv->web_root, rel);
    if (!realpath(full, real) || strncmp(real, srv->web_root, strlen(srv->web_root)) ||
        (real[strlen(srv->web_root)] != '/'))
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
    static const char page[] =
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Not found - quizd</title>"
        "<link rel=\"stylesheet\" href=\"/style.css\"><main class=\"card\"><h1>Not found</h1>"
        "<p>There is nothing at this address. <a href=\"/\">Go to the start page</a>.</p></main></html>";
    return http_respond(wsi, h, HTTP_STATUS_NOT_FOUND, "text/html; charset=utf-8", xstrdup(page),
                        strlen(page));
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
    struct http_pss *h = user;
    struct server *srv = lws_context_user(lws_get_context(wsi));

    switch (reason) {
    case LWS_CALLBACK_HTTP: {
        char uri[512];
        size_t n;
        char *body;
        if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0) {
            body = xstrdup("{\"error\":\"only GET is supported\"}");
            return http_respond(wsi, h, HTTP_STATUS_METHOD_NOT_ALLOWED, "application/json", body,
                                strlen(body));
        }
        if (!strcmp(uri, "/healthz")) {
            body = health_json(srv, &n);
            return http_respond(wsi, h, HTTP_STATUS_OK, "application/json", body, n);
        }
        if (!strcmp(uri, "/api/info")) {
            body = info_json(srv, &n);
            return http_respond(wsi, h, HTTP_STATUS_OK, "application/json", body, n);
        }
        if (!strcmp(uri, "/api/packs")) {
            body = packs_json(srv, &n);
            return http_respond(wsi, h, HTTP_STATUS_OK, "application/json", body, n);
        }
        if (!strcmp(uri, "/api/qr.svg")) {
            char text[600];
            if (lws_get_urlarg_by_name(wsi, "text", text, sizeof text) && strlen(text) > 5 &&
                strlen(text) - 5 <= 512) {
                body = qr_svg(text + 5, &n);   /* the value follows "text=" */
                if (body)
                    return http_respond(wsi, h, HTTP_STATUS_OK, "image/svg+xml", body, n);
            }
            body = xstrdup("{\"error\":\"text: 1 to 512 bytes required\"}");
            return http_respond(wsi, h, HTTP_STATUS_BAD_REQUEST, "application/json", body,
                                strlen(body));
        }
        if (!strncmp(uri, "/api/", 5) || !strncmp(uri, "/healthz", 8)) {
            body = xstrdup("{\"error\":\"not found\"}");
            return http_respond(wsi, h, HTTP_STATUS_NOT_FOUND, "application/json", body,
                                strlen(body));
        }
        return http_serve_static(wsi, h, srv, uri);
    }
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (!h || !h->body)
            break;
        size_t chunk = h->len - h->off > 16384 ? 16384 : h->len - h->off;
        bool last = h->off + chunk == h->len;
        unsigned char *buf = xmalloc(LWS_PRE + chunk + 1);
        memcpy(buf + LWS_PRE, h->body + h->off, chunk);
        int w = lws_write(wsi, buf + LWS_PRE, chunk, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
        free(buf);
        if (w != (int)chunk)
            return 1;
        h->off += chunk;
        if (last) {
            http_set_body(h, NULL, 0);
            if (lws_http_transaction_completed(wsi))
                return -1;
        } else {
            lws_callback_on_writable(wsi);
        }
        return 0;
    }
    case LWS_CALLBACK_CLOSED_HTTP:
        if (h)
            http_set_body(h, NULL, 0);
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static void lws_log_emit(int level, const char *line)
{
    int l = level & LLL_ERR ? LOG_ERR : level & LLL_WARN ? LOG_WARN : level & LLL_NOTICE ? LOG_INFO
                                                                                      : LOG_DEBUG;
    if (l <= log_level_current)
        log_emit_raw(l, "lws", line);
}

/* ------------------------------------------------------------------ */
/* lifecycle                                                           */

void server_config_default(struct server_config *c)
{
    memset(c, 0, sizeof *c);
    c->bind = "0.0.0.0";
    c->port = 8080;
    c->web_root = "web-client";
    c->max_players_cap = 10000;
    c->room_idle_s = 1800;
    c->txq_len = 32;
    c->rx_max = PROTO_MAX_FRAME;
    c->sndbuf = 65536;
    c->reveal_ms = 8000;
    c->leaderboard_ms = 5000;
}

static void close_app_handles(struct server *srv)
{
    if (srv->handles_closed)
        return;
    srv->handles_closed = true;
    while (srv->rooms)
        room_destroy(srv->rooms, "shutdown");
    uv_close((uv_handle_t *)&srv->gc, NULL);
    uv_close((uv_handle_t *)&srv->shutdown_timer, NULL);
    /* Keep catching SIGINT/SIGTERM during teardown (closing the last
     * uv_signal_t restores SIG_DFL), but stop them holding the loop open. */
    uv_unref((uv_handle_t *)&srv->sigint);
    uv_unref((uv_handle_t *)&srv->sigterm);
}

static void server_finish_shutdown(struct server *srv)
{
    if (srv->lws_destroy_started)
        return;
    srv->lws_destroy_started = true;
    close_app_handles(srv);
    lws_context_destroy(srv->ctx);   /* phase 1: lws closes its handles on our loop */
}

static void server_on_shutdown_timer(uv_timer_t *t)
{
    struct server *srv = t->data;
    log_info("shutdown grace over connections=%zu", srv->n_conn);
    server_finish_shutdown(srv);
}

static void server_maybe_finish_shutdown(struct server *srv)
{
    if (srv->n_conn == 0 && !srv->lws_destroy_started) {
        uv_timer_stop(&srv->shutdown_timer);
        /* Let lws finish the close handshakes' writes in this iteration. */
        uv_timer_start(&srv->shutdown_timer, server_on_shutdown_timer, 0, 0);
    }
}

static void server_on_signal(uv_signal_t *h, int signum)
{
    struct server *srv = h->data;
    if (srv->shutting_down) {
        log_info("signal ignored signal=%d reason=already_stopping", signum);
        return;
    }
    srv->shutting_down = true;
    log_info("shutdown signal=%s connections=%zu rooms=%zu", signum == SIGINT ? "SIGINT" : "SIGTERM",
             srv->n_conn, srv->n_rooms);
    for (struct sess *s = srv->sessions; s; s = s->gnext)
        sess_close(s, LWS_CLOSE_STATUS_GOINGAWAY);
    uv_timer_start(&srv->shutdown_timer, server_on_shutdown_timer, SHUTDOWN_GRACE_MS, 0);
    server_maybe_finish_shutdown(srv);
}

static void print_urls(struct server *srv)
{
    printf("quizd: listening port=%d\n", srv->port);
    bool any = !strcmp(srv->cfg.bind, "0.0.0.0");
    printf("quizd %s is running. Open this URL in a browser:\n", QZ_VERSION);
    printf("  on this computer:  http://%s:%d/\n", any ? "localhost" : srv->cfg.bind, srv->port);
    if (srv->cfg.public_url && srv->cfg.public_url[0]) {
        printf("  for players:       %s\n", srv->cfg.public_url);
    } else if (any) {
        char a[8][INET_ADDRSTRLEN];
        for (size_t i = 0, n = lan_addresses(a, 8); i < n; i++)
            printf("  on your network:   http://%s:%d/   (phones on the same Wi-Fi)\n", a[i], srv->port);
    }
    printf("Press Ctrl-C to stop.\n");
    fflush(stdout);
}

static const lws_retry_bo_t idle_policy = {
    .secs_since_valid_ping = 30,
    .secs_since_valid_hangup = 40,
};

struct server *server_create(uv_loop_t *loop, const struct server_config *cfg,
                             struct qz_pack *const *packs, size_t n_packs)
{
    struct server *srv = xcalloc(1, sizeof *srv);
    struct lws_context_creation_info info;
    void *foreign_loops[1] = {loop};
    struct rlimit rl;

    srv->loop = loop;
    srv->cfg = *cfg;
    if (srv->cfg.txq_len == 0 || srv->cfg.txq_len > TXQ_MAX)
        srv->cfg.txq_len = 32;
    srv->packs = packs;
    srv->n_packs = n_packs;
    uv_update_time(loop);
    srv->started_ms = uv_now(loop);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    srv->clock.epoch_offset_ms =
        (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000 - (int64_t)uv_now(loop);

    uv_signal_init(loop, &srv->sigint);
    uv_signal_init(loop, &srv->sigterm);
    srv->sigint.data = srv->sigterm.data = srv;
    uv_signal_start(&srv->sigint, server_on_signal, SIGINT);
    uv_signal_start(&srv->sigterm, server_on_signal, SIGTERM);
    uv_timer_init(loop, &srv->gc);
    uv_timer_init(loop, &srv->shutdown_timer);
    srv->gc.data = srv->shutdown_timer.data = srv;

    /* lws sizes its fd tables from the limit at context creation. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    lws_set_log_level(log_level_current >= LOG_DEBUG ? LLL_ERR | LLL_WARN | LLL_NOTICE
                                                      : LLL_ERR | LLL_WARN,
                      lws_log_emit);

    if (!realpath(cfg->web_root, srv->web_root))
        snprintf(srv->web_root, sizeof srv->web_root, "%s", cfg->web_root);

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

    /* One callback mount: we route /healthz, /api/ and static files ourselves
     * (lws 4.1.6's file mount drops the connection on a missing file). */
    srv->mounts[0] = (struct lws_http_mount){
        .mount_next = NULL, .mountpoint = "/", .mountpoint_len = 1, .protocol = "http",
        .origin_protocol = LWSMPRO_CALLBACK};

    srv->protocols[0] = (struct lws_protocols){"http", http_callback, sizeof(struct http_pss), 0, 0,
                                               NULL, 0};
    /* rx_buffer_size: 1024. Measured with bench/run: 512 saved only ~100 B
     * per connection but cost 20% more server CPU and a 35% worse fan-out
     * p99 at 10,000 players (more reads per burst of answers). */
    srv->protocols[1] = (struct lws_protocols){"quizd", ws_callback, sizeof(struct sess), 1024, 0,
                                               NULL, 0};
    memset(&srv->protocols[2], 0, sizeof srv->protocols[2]);
    /* Browsers send no subprotocol: make "quizd" the default for upgrades. */
    srv->pvo_default = (struct lws_protocol_vhost_options){NULL, NULL, "default", ""};
    srv->pvo = (struct lws_protocol_vhost_options){NULL, &srv->pvo_default, "quizd", ""};

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
        close_app_handles(srv);
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
        srv->lws_destroy_started = true;
        close_app_handles(srv);
        return srv;
    }
    srv->port = lws_get_vhost_listen_port(srv->vh);
    uv_timer_start(&srv->gc, server_on_gc, GC_INTERVAL_MS, GC_INTERVAL_MS);
    log_info("listening address=%s port=%d web_root=%s packs=%zu", cfg->bind, srv->port,
             srv->web_root, n_packs);
    print_urls(srv);
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

void server_destroy(struct server *srv)
{
    if (!srv)
        return;
    /* Phase 2: with a foreign loop, the final free needs a second call. */
    if (srv->ctx)
        lws_context_destroy(srv->ctx);
    /* Closing the last uv_signal_t restores SIG_DFL: a late second Ctrl-C
     * would then kill us mid-exit. Block, close, ignore, unblock. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, &old);
    uv_close((uv_handle_t *)&srv->sigint, NULL);
    uv_close((uv_handle_t *)&srv->sigterm, NULL);
    uv_run(srv->loop, UV_RUN_DEFAULT);
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    sigprocmask(SIG_SETMASK, &old, NULL);
    free(srv);
}
