/* The room registry, membership, timers and the fan-out of game events.
 * Every broadcast is encoded once into a shared frame; per-player messages
 * (result, review) go to exactly the players the core's rules name
 * (game_may_answer, game_gets_review). */
#include "rooms_int.h"

#include "util/err.h"
#include "util/log.h"
#include "util/xmalloc.h"
#include "qz/texts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* registry                                                            */

static size_t code_hash(const char *code)
{
    uint32_t h = 2166136261u;   /* FNV-1a */
    for (; *code; code++)
        h = (h ^ (unsigned char)*code) * 16777619u;
    return h;
}

static void rehash(struct rooms *rs, size_t n_buckets)
{
    struct room **b = xcalloc(n_buckets, sizeof *b);
    for (size_t i = 0; i < rs->n_buckets; i++) {
        struct room *r = rs->buckets[i];
        while (r) {
            struct room *next = r->hnext;
            size_t k = code_hash(r->code) & (n_buckets - 1);
            r->hnext = b[k];
            b[k] = r;
            r = next;
        }
    }
    free(rs->buckets);
    rs->buckets = b;
    rs->n_buckets = n_buckets;
}

struct room *rooms_find(struct rooms *rs, const char *code)
{
    for (struct room *r = rs->buckets[code_hash(code) & (rs->n_buckets - 1)]; r; r = r->hnext)
        if (!strcmp(r->code, code))
            return r;
    return NULL;
}

size_t rooms_count(const struct rooms *rs)
{
    return rs->n_rooms;
}

void rooms__count_error(struct rooms *rs, int code)
{
    if (code <= 0 && code > -QZ_ERR_SLOTS)
        rs->stats.errors[-code]++;
}

const struct rooms_stats *rooms_stats(const struct rooms *rs)
{
    return &rs->stats;
}

void rooms_take_census(const struct rooms *rs, struct rooms_census *out)
{
    memset(out, 0, sizeof *out);
    for (size_t b = 0; b < rs->n_buckets; b++)
        for (const struct room *r = rs->buckets[b]; r; r = r->hnext) {
            out->by_phase[game_phase(r->g)]++;
            out->players += game_player_count(r->g);
            out->hosts += r->host != NULL;
            for (const struct member *m = r->members; m; m = m->next)
                out->connected += m->role == MEMBER_PLAYER;
        }
}

const char *room_code(const struct room *r)
{
    return r->code;
}

const struct game *room_game(const struct room *r)
{
    return r->g;
}

void rooms__random_hex(struct rooms *rs, char *out, size_t nhex)
{
    unsigned char b[GAME_TOKEN_LEN / 2];
    size_t nb = nhex / 2;
    rs->env.random(rs->env.arg, b, nb);
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < nb; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[nhex] = '\0';
}

bool rooms_shard_valid(const char *id)
{
    return id && id[0] && !id[1] && strchr(PROTO_CODE_ALPHABET, id[0]);
}

/* A shard's codes keep PROTO_CODE_LEN - 1 random characters: 31^5, about
 * 28 million per shard, still far more than --max-rooms. */
static void new_code(struct rooms *rs, char code[PROTO_CODE_LEN + 1])
{
    size_t alpha = strlen(PROTO_CODE_ALPHABET);
    int first = rs->cfg.shard ? 1 : 0;
    do {
        unsigned char b[PROTO_CODE_LEN];
        rs->env.random(rs->env.arg, b, sizeof b);
        if (first)
            code[0] = rs->cfg.shard;
        for (int i = first; i < PROTO_CODE_LEN; i++)
            code[i] = PROTO_CODE_ALPHABET[b[i] % alpha];   /* 256 % 31 bias is harmless here */
        code[PROTO_CODE_LEN] = '\0';
    } while (rooms_find(rs, code));
}

static void room_on_timer(void *arg);
static void room_on_throttle(void *arg);

void rooms__token_key(const char *token, char key[GAME_TOKEN_LEN + 1])
{
    char h[STORE_HASH_HEX + 1];
    store_hash_hex(token, strlen(token), h);
    memcpy(key, h, GAME_TOKEN_LEN);
    key[GAME_TOKEN_LEN] = '\0';
}

static struct room *link_room(struct rooms *rs, struct game *g, const char *pack_id,
                              const char *code)
{
    struct room *r = xcalloc(1, sizeof *r);
    r->rs = rs;
    r->g = g;
    if (code)
        snprintf(r->code, sizeof r->code, "%s", code);
    else
        new_code(rs, r->code);
    snprintf(r->pack_id, sizeof r->pack_id, "%s", pack_id);
    r->timer = rs->env.timer_create(rs->env.arg, room_on_timer, r);
    r->throttle = rs->env.timer_create(rs->env.arg, room_on_throttle, r);
    r->last_activity = rooms__now(rs);
    if (rs->n_rooms >= rs->n_buckets)
        rehash(rs, rs->n_buckets * 2);
    size_t k = code_hash(r->code) & (rs->n_buckets - 1);
    r->hnext = rs->buckets[k];
    rs->buckets[k] = r;
    rs->n_rooms++;
    return r;
}

struct room *rooms__add(struct rooms *rs, struct game *g, const char *pack_id,
                        char host_token[GAME_TOKEN_LEN + 1])
{
    struct room *r = link_room(rs, g, pack_id, NULL);
    rooms__random_hex(rs, host_token, GAME_TOKEN_LEN);
    store_hash_hex(host_token, GAME_TOKEN_LEN, r->host_hash);
    return r;
}

struct room *rooms__add_restored(struct rooms *rs, struct game *g, const char *pack_id,
                                 const char *code, const char *host_hash)
{
    struct room *r = link_room(rs, g, pack_id, code);
    snprintf(r->host_hash, sizeof r->host_hash, "%s", host_hash);
    return r;
}

/* Unlinks and frees the room; its members are detached (and told, if `notify`). */
void rooms__remove(struct room *r, const char *why, bool notify)
{
    struct rooms *rs = r->rs;
    struct room **pp = &rs->buckets[code_hash(r->code) & (rs->n_buckets - 1)];
    while (*pp && *pp != r)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = r->hnext;
    rs->n_rooms--;
    if (notify)   /* gone for good (not a shutdown): never restored */
        rooms__rec_closed(r);
    while (r->members) {
        struct member *m = r->members;
        if (notify)
            rooms__error(rs, m, QZ_ENOROOM, proto_text(TEXT_ROOM_CLOSED), false, 0);
        rooms__detach(m);
    }
    if (r->owner)
        r->owner->rooms--;
    if (r->unsaved_told)
        rs->n_unsaved--;
    rooms__set_timed(r, false);
    log_info("room_removed room=%s reason=%s", r->code, why);
    rs->env.timer_destroy(r->timer);
    rs->env.timer_destroy(r->throttle);
    game_destroy(r->g);
    free(r->by_player);
    free(r->player_hash);
    free(r);
}

/* Often enough that a room outlives its limit by at most a tenth of it
 * (hostless empty rooms go within seconds), at most every 30 s. */
static qz_ms gc_interval(const struct rooms *rs)
{
    unsigned s = rs->cfg.room_idle_s;
    if (rs->cfg.empty_room_idle_s && rs->cfg.empty_room_idle_s < s)
        s = rs->cfg.empty_room_idle_s;
    qz_ms ms = (qz_ms)s * 100;
    return ms < 100 ? 100 : ms > ROOMS_GC_INTERVAL_MS ? ROOMS_GC_INTERVAL_MS : ms;
}

static void rooms_on_gc(void *arg)
{
    struct rooms *rs = arg;
    rooms_collect_idle(rs);
    rs->env.timer_start(rs->gc, gc_interval(rs));
}

void rooms_collect_idle(struct rooms *rs)
{
    qz_ms now = rooms__now(rs), idle = (qz_ms)rs->cfg.room_idle_s * 1000;
    qz_ms empty = rs->cfg.empty_room_idle_s ? (qz_ms)rs->cfg.empty_room_idle_s * 1000 : idle;
    for (size_t i = 0; i < rs->n_buckets; i++) {
        struct room *r = rs->buckets[i];
        while (r) {
            struct room *next = r->hnext;
            if (!r->host && now - r->last_activity >= (r->had_player ? idle : empty))
                rooms__remove(r, r->had_player ? "idle" : "idle_empty", true);
            r = next;
        }
    }
}

struct rooms *rooms_create(const struct rooms_config *cfg, const struct rooms_env *env,
                           struct qz_pack *const *packs, size_t n_packs)
{
    if (cfg->shard && !strchr(PROTO_CODE_ALPHABET, cfg->shard)) {
        log_err("rooms_create_failed reason=\"shard is not a room-code character\"");
        abort();   /* a programmer error: app/ validates --shard */
    }
    struct rooms *rs = xcalloc(1, sizeof *rs);
    rs->cfg = *cfg;
    rs->env = *env;
    rs->packs = packs;
    rs->n_packs = n_packs;
    metrics_hist_init(&rs->stats.fanout_s, METRICS_LATENCY_S, METRICS_LATENCY_N);
    rs->n_buckets = 64;
    rs->buckets = xcalloc(rs->n_buckets, sizeof *rs->buckets);
    rs->gc = env->timer_create(env->arg, rooms_on_gc, rs);
    env->timer_start(rs->gc, gc_interval(rs));
    rooms__persist_init(rs);
    return rs;
}

void rooms_destroy(struct rooms *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->n_buckets; i++)
        while (rs->buckets[i])
            rooms__remove(rs->buckets[i], "shutdown", false);
    rs->env.timer_destroy(rs->gc);
    rooms__persist_cleanup(rs);
    free(rs->buckets);
    free(rs);
}

/* ------------------------------------------------------------------ */
/* membership                                                          */

static void set_player(struct room *r, uint32_t id, struct member *m)
{
    if (id >= r->by_player_cap) {
        size_t cap = r->by_player_cap ? r->by_player_cap : 16;
        while (cap <= id)
            cap *= 2;
        r->by_player = xrealloc(r->by_player, cap * sizeof *r->by_player);
        memset(r->by_player + r->by_player_cap, 0, (cap - r->by_player_cap) * sizeof *r->by_player);
        r->by_player_cap = cap;
    }
    r->by_player[id] = m;
}

struct member *rooms__player(struct room *r, uint32_t id)
{
    return id < r->by_player_cap ? r->by_player[id] : NULL;
}

void rooms__attach(struct room *r, struct member *m, enum member_role role, uint32_t player)
{
    m->room = r;
    m->prev = NULL;
    m->next = r->members;
    if (r->members)
        r->members->prev = m;
    r->members = m;
    m->role = (uint8_t)role;
    m->player = role == MEMBER_PLAYER ? player : 0;
    if (role == MEMBER_HOST)
        r->host = m;
    else if (role == MEMBER_PLAYER)
        set_player(r, player, m);
}

void rooms__detach(struct member *m)
{
    struct room *r = m->room;
    if (!r)
        return;
    if (m->prev)
        m->prev->next = m->next;
    else
        r->members = m->next;
    if (m->next)
        m->next->prev = m->prev;
    if (m->role == MEMBER_PLAYER && rooms__player(r, m->player) == m)
        r->by_player[m->player] = NULL;
    if (r->host == m)
        r->host = NULL;
    m->room = NULL;
    m->next = m->prev = NULL;
    m->role = MEMBER_NONE;
    m->player = 0;
}

void rooms_member_left(struct rooms *rs, struct member *m)
{
    if (!rs)
        return;   /* rooms_destroy already detached it and dropped what it held */
    struct room *r = m->room;
    rooms__forget_member(rs, m);
    if (!r)
        return;
    uint32_t pid = m->role == MEMBER_PLAYER ? m->player : 0;
    bool was_host = m->role == MEMBER_HOST;
    rooms__detach(m);
    if (pid && !rooms__player(r, pid)) {
        game_disconnect(r->g, pid, rooms__now(rs));
        rooms__rec_event(r, SEV_DISCONNECT, pid, 0, 0);
        rooms__process(r, rs->env.now_ns(rs->env.arg));
    }
    if (was_host) {
        log_info("host_left room=%s", r->code);
        r->last_activity = rooms__now(rs);
    }
}

/* ------------------------------------------------------------------ */
/* delivery                                                            */

void rooms__send(struct rooms *rs, struct member *m, struct frame *f)
{
    if (!rooms__hold(rs, m, f, true))
        rs->env.send(rs->env.arg, m, f);
}

void rooms_send_unrecorded(struct rooms *rs, struct member *m, struct frame *f)
{
    if (!rooms__hold(rs, m, f, false))
        rs->env.send(rs->env.arg, m, f);
}

void rooms__send_new_unrecorded(struct rooms *rs, struct member *m, char *json, size_t len)
{
    struct frame *f = frame_take(json, len);
    rooms_send_unrecorded(rs, m, f);
    frame_unref(f);
}

void rooms__send_new(struct rooms *rs, struct member *m, char *json, size_t len)
{
    struct frame *f = frame_take(json, len);
    rooms__send(rs, m, f);
    frame_unref(f);
}

void rooms__error(struct rooms *rs, struct member *m, int code, const char *msg, bool has_req,
                  int64_t req)
{
    size_t len;
    char *j = proto_enc_error(code, msg, has_req, req, &len);
    rooms__count_error(rs, code);
    rooms__send_new(rs, m, j, len);
}

/* Encodes once, sends to every member; takes ownership of json. */
static void broadcast_new(struct room *r, char *json, size_t len)
{
    struct frame *f = frame_take(json, len);
    for (struct member *m = r->members; m; m = m->next)
        rooms__send(r->rs, m, f);
    frame_unref(f);
}

/* Players' lobby updates get rarer as the room grows: each goes to every
 * player, so a 10,000-player room gets one a second instead of five. */
static qz_ms players_lobby_interval(const struct room *r)
{
    qz_ms k = game_player_count(r->g) / 500 + 1;
    return k * ROOMS_THROTTLE_MS > 1000 ? 1000 : k * ROOMS_THROTTLE_MS;
}

static void flush_lobby_host(struct room *r)
{
    size_t len;
    r->lobby_dirty = false;
    r->last_lobby = rooms__now(r->rs);
    if (r->host) {
        char *j = proto_enc_lobby(r->g, r->code, SIZE_MAX, &len);
        rooms__send_new(r->rs, r->host, j, len);
    }
}

static void flush_lobby_players(struct room *r)
{
    size_t len;
    r->lobby_players_dirty = false;
    r->last_lobby_players = rooms__now(r->rs);
    bool any_player = false;
    for (struct member *m = r->members; m && !any_player; m = m->next)
        any_player = m->role == MEMBER_PLAYER;
    if (!any_player)
        return;
    char *j = proto_enc_lobby(r->g, r->code, PROTO_LOBBY_LIST_PLAYERS, &len);
    struct frame *f = frame_take(j, len);
    for (struct member *m = r->members; m; m = m->next)
        if (m->role == MEMBER_PLAYER)
            rooms__send(r->rs, m, f);
    frame_unref(f);
}

void rooms__flush_lobby(struct room *r)
{
    flush_lobby_host(r);
    flush_lobby_players(r);
}

static void flush_answers(struct room *r)
{
    size_t len;
    r->answers_dirty = false;
    r->last_answers = rooms__now(r->rs);
    if (!r->host)
        return;
    char *j = proto_enc_answers(r->g, &len);
    rooms__send_new(r->rs, r->host, j, len);
}

/* Leading-edge throttle: send now if the last update is old enough, else
 * once the interval has passed. */
void rooms__schedule_throttle(struct room *r)
{
    struct rooms *rs = r->rs;
    qz_ms now = rooms__now(rs), due = UINT64_MAX, pint = players_lobby_interval(r);
    if (r->lobby_dirty) {
        r->lobby_players_dirty = true;
        if (now >= r->last_lobby + ROOMS_THROTTLE_MS)
            flush_lobby_host(r);
        else
            due = r->last_lobby + ROOMS_THROTTLE_MS;
    }
    if (r->lobby_players_dirty) {
        if (now >= r->last_lobby_players + pint)
            flush_lobby_players(r);
        else if (r->last_lobby_players + pint < due)
            due = r->last_lobby_players + pint;
    }
    if (r->answers_dirty) {
        if (now >= r->last_answers + ROOMS_THROTTLE_MS)
            flush_answers(r);
        else if (r->last_answers + ROOMS_THROTTLE_MS < due)
            due = r->last_answers + ROOMS_THROTTLE_MS;
    }
    if (due != UINT64_MAX && !rs->env.timer_active(r->throttle))
        rs->env.timer_start(r->throttle, due > now ? due - now : 0);
}

static void room_on_throttle(void *arg)
{
    rooms__schedule_throttle(arg);
}

void rooms__arm_timer(struct room *r)
{
    struct rooms *rs = r->rs;
    qz_ms due = game_next_deadline(r->g), now = rooms__now(rs);
    rs->env.timer_stop(r->timer);
    if (due)
        rs->env.timer_start(r->timer, due > now ? due - now : 0);
    rooms__set_timed(r, due != 0);
}

static void room_on_timer(void *arg)
{
    struct room *r = arg;
    uint64_t t0 = r->rs->env.now_ns(r->rs->env.arg);
    game_tick(r->g, rooms__now(r->rs));
    rooms__rec_event(r, SEV_TICK, 0, 0, 0);
    rooms__process(r, t0);
}

/* One line per broadcast: recipients and the time from the triggering call
 * (t0, before the game core ran: ranking included) until every copy was
 * handed to the connections. bench/run reads it as "computed and queued". */
static void log_broadcast(struct room *r, const char *type, uint64_t t0_ns)
{
    size_t n = 0;
    for (struct member *m = r->members; m; m = m->next)
        n++;
    uint64_t ns = r->rs->env.now_ns(r->rs->env.arg) - t0_ns;
    metrics_hist_observe(&r->rs->stats.fanout_s, (double)ns / 1e9);
    log_info("broadcast room=%s type=%s recipients=%zu queued_us=%llu", r->code, type, n,
             (unsigned long long)(ns / 1000));
}

void rooms__process(struct room *r, uint64_t t0_ns)
{
    struct rooms *rs = r->rs;
    const struct game_event *ev;
    size_t n = game_take_events(r->g, &ev), len;
    qz_ms now = rooms__now(rs);
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
            rooms__rec_phase(r);
            j = proto_enc_question(r->g, &rs->cfg.clock, now, &len);
            broadcast_new(r, j, len);
            r->answers_dirty = true;
            log_broadcast(r, "question", t0_ns);
            break;
        case GEV_REVEAL: {
            rooms__rec_reveal(r);
            if (r->answers_dirty)
                flush_answers(r);
            j = proto_enc_reveal(r->g, &len);
            broadcast_new(r, j, len);
            int qi = game_index(r->g);
            for (struct member *m = r->members; m; m = m->next) {
                if (m->role == MEMBER_PLAYER && game_may_answer(r->g, m->player, qi)) {
                    j = proto_enc_result(r->g, m->player, &len);
                    rooms__send_new(rs, m, j, len);
                }
            }
            log_broadcast(r, "reveal+results", t0_ns);
            break;
        }
        case GEV_LEADERBOARD:
            rooms__rec_phase(r);
            j = proto_enc_leaderboard(r->g, &len);
            broadcast_new(r, j, len);
            log_broadcast(r, "leaderboard", t0_ns);
            break;
        case GEV_GAME_OVER:
            rooms__rec_game_over(r);
            j = proto_enc_game_over(r->g, &len);
            broadcast_new(r, j, len);
            for (struct member *m = r->members; m; m = m->next) {
                if (m->role == MEMBER_PLAYER && game_gets_review(r->g, m->player)) {
                    j = proto_enc_review(r->g, m->player, &len);
                    rooms__send_new(rs, m, j, len);
                }
            }
            if (r->host) {
                j = proto_enc_report(r->g, &len);
                rooms__send_new(rs, r->host, j, len);
            }
            log_info("game_over room=%s players=%zu", r->code, game_player_count(r->g));
            break;
        case GEV_RESTART:
            /* Back to the lobby: each member rebuilds its screen from a
             * snapshot, as after a reconnect. */
            for (struct member *m = r->members; m; m = m->next)
                if (m->role == MEMBER_HOST || m->role == MEMBER_PLAYER)
                    rooms__send_state(rs, m);
            break;
        case GEV_KICKED: {
            struct member *m = rooms__player(r, ev[i].player);
            if (m) {
                j = proto_enc_kicked(&len);
                rooms__send_new(rs, m, j, len);
                rooms__detach(m);
            }
            log_info("kicked room=%s player=%u", r->code, ev[i].player);
            break;
        }
        }
    }
    rooms__schedule_throttle(r);
    rooms__arm_timer(r);
}
