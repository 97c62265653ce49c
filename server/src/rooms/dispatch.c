/* Request handlers: one per request type, each checks the connection's role,
 * calls the core and replies; what the core emitted goes out through
 * rooms__process. The texts are protocol/'s (qz/texts.h). */
#include "rooms_int.h"

#include "qz/texts.h"
#include "util/err.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

static uint64_t now_ns(struct rooms *rs)
{
    return rs->env.now_ns(rs->env.arg);
}

static const struct qz_pack *find_pack(struct rooms *rs, const char *id)
{
    if (!id[0])
        return rs->packs[0];
    for (size_t i = 0; i < rs->n_packs; i++)
        if (!strcmp(rs->packs[i]->id, id))
            return rs->packs[i];
    return NULL;
}

/* A refused request changed nothing: its error depends on no record. */
static void reply_error(struct rooms *rs, struct member *m, const struct proto_req *q, int code,
                        const char *msg)
{
    size_t len;
    char *j = proto_enc_error(code, msg, q->has_req, q->req, &len);
    rooms__count_error(rs, code);
    rooms__send_new_unrecorded(rs, m, j, len);
}

static void reply_ack(struct rooms *rs, struct member *m, const struct proto_req *q)
{
    size_t len;
    char *j = proto_enc_ack(q->req, q->has_req, &len);
    rooms__send_new(rs, m, j, len);
}

/* The snapshot after join/host_resume (player 0 = the host); a player
 * joining a finished game also gets its review. */
static void send_state(struct rooms *rs, struct member *m, const struct proto_req *q,
                       uint32_t player)
{
    size_t len;
    struct room *r = m->room;
    char *j = proto_enc_state(r->g, r->code, player, &rs->cfg.clock, rooms__now(rs),
                              q && q->has_req, q ? q->req : 0, &len);
    rooms__send_new(rs, m, j, len);
    if (player && game_phase(r->g) == GAME_FINISHED && game_gets_review(r->g, player)) {
        j = proto_enc_review(r->g, player, &len);
        rooms__send_new(rs, m, j, len);
    }
    if (!player && game_phase(r->g) == GAME_FINISHED) {
        j = proto_enc_report(r->g, &len);
        rooms__send_new(rs, m, j, len);
    }
    if (r->unsaved_told) {   /* joined after the others were told */
        j = proto_enc_notice("results_not_saved", proto_text(TEXT_RESULTS_NOT_SAVED), &len);
        rooms__send_new_unrecorded(rs, m, j, len);
    }
}

void rooms__send_state(struct rooms *rs, struct member *m)
{
    send_state(rs, m, NULL, m->role == MEMBER_PLAYER ? m->player : 0);
}

/* Per-address guess budget (ROOMS_MISS_*): refused before the lookup, so a
 * guesser out of budget learns nothing, not even from a hit. */
static bool may_look_up(struct rooms *rs, struct member *m)
{
    return !m->addr ||
           bucket_can(&m->addr->misses, rooms__now(rs), 1, ROOMS_MISS_BURST, ROOMS_MISS_PER_SEC);
}

static void missed(struct rooms *rs, struct member *m)
{
    if (m->addr)
        bucket_take(&m->addr->misses, rooms__now(rs), 1, ROOMS_MISS_BURST, ROOMS_MISS_PER_SEC);
}

/* The settings of a create_room or play_again request (categories borrowed
 * from q). Replies with an error and returns false when they are refused. */
static bool settings_from(struct rooms *rs, struct member *m, const struct proto_req *q,
                          struct game_settings *out)
{
    struct game_settings st;
    game_settings_default(&st);
    st.reveal_ms = rs->cfg.reveal_ms;
    st.leaderboard_ms = rs->cfg.leaderboard_ms;
    if (q->u.create.has_count)
        st.count = q->u.create.count;
    if (q->u.create.has_seconds)
        st.seconds = q->u.create.seconds;
    if (q->u.create.has_scoring)
        st.scoring = q->u.create.scoring;
    if (q->u.create.has_auto)
        st.auto_advance = q->u.create.auto_advance;
    if (st.max_players > rs->cfg.max_players_cap)
        st.max_players = rs->cfg.max_players_cap;
    if (q->u.create.has_max) {
        if (q->u.create.max_players > rs->cfg.max_players_cap) {
            char msg[96];
            proto_text_max_players(msg, sizeof msg, rs->cfg.max_players_cap);
            reply_error(rs, m, q, QZ_EBADMSG, msg);
            return false;
        }
        st.max_players = q->u.create.max_players;
    }
    st.n_categories = q->u.create.n_categories;
    for (unsigned i = 0; i < st.n_categories; i++)
        st.categories[i] = q->u.create.categories[i];
    *out = st;
    return true;
}

/* Play again: the finished room goes back to its lobby with the same
 * players and a new draw; every member gets a fresh state snapshot. */
static void do_play_again(struct rooms *rs, struct member *m, const struct proto_req *q)
{
    struct room *r = m->room;
    if (!r || m->role != MEMBER_HOST) {
        reply_error(rs, m, q, QZ_ENOTHOST, proto_text(TEXT_NOT_HOST));
        return;
    }
    uint64_t t0 = now_ns(rs);
    const struct qz_pack *pack = find_pack(rs, q->u.create.pack[0] ? q->u.create.pack : r->pack_id);
    if (!pack) {
        reply_error(rs, m, q, QZ_EBADMSG, proto_text(TEXT_NO_SUCH_PACK));
        return;
    }
    /* max_players is ignored, not checked: the room keeps its size. */
    struct proto_req keep = *q;
    keep.u.create.has_max = false;
    struct game_settings st;
    if (!settings_from(rs, m, &keep, &st))
        return;
    uint64_t seed;
    rs->env.random(rs->env.arg, &seed, sizeof seed);
    int rc = game_restart(r->g, pack, &st, seed);
    if (rc) {
        reply_error(rs, m, q, rc,
                    proto_text(rc == QZ_EPHASE ? TEXT_PLAY_AGAIN_NOT_FINISHED
                                               : TEXT_NO_QUESTION_IN_CATEGORIES));
        return;
    }
    snprintf(r->pack_id, sizeof r->pack_id, "%s", pack->id);
    rooms__rec_restarted(r, seed);
    reply_ack(rs, m, q);
    log_info("play_again room=%s pack=%s questions=%zu", r->code, r->pack_id, game_total(r->g));
    rooms__process(r, t0);
}

static void do_create_room(struct rooms *rs, struct member *m, const struct proto_req *q)
{
    if (m->room) {
        reply_error(rs, m, q, QZ_EPHASE, proto_text(TEXT_ALREADY_IN_ROOM));
        return;
    }
    if (rs->cfg.max_rooms && rs->n_rooms >= rs->cfg.max_rooms) {
        reply_error(rs, m, q, QZ_ERATELIMIT, proto_text(TEXT_TOO_MANY_ROOMS));
        return;
    }
    if (m->addr && rs->cfg.max_rooms_per_addr && m->addr->rooms >= rs->cfg.max_rooms_per_addr) {
        reply_error(rs, m, q, QZ_ERATELIMIT, proto_text(TEXT_TOO_MANY_ROOMS_HERE));
        return;
    }
    const struct qz_pack *pack = find_pack(rs, q->u.create.pack);
    if (!pack) {
        reply_error(rs, m, q, QZ_EBADMSG, proto_text(TEXT_NO_SUCH_PACK));
        return;
    }
    struct game_settings st;
    if (!settings_from(rs, m, q, &st))
        return;
    uint64_t seed;
    rs->env.random(rs->env.arg, &seed, sizeof seed);
    int err;
    struct game *g = game_create(pack, &st, seed, &err);
    if (!g) {
        reply_error(rs, m, q, QZ_EBADMSG, proto_text(TEXT_NO_QUESTION_IN_CATEGORIES));
        return;
    }
    char host_token[GAME_TOKEN_LEN + 1];
    struct room *r = rooms__add(rs, g, pack->id, host_token);
    rooms__rec_created(r, seed, &st);
    if ((r->owner = m->addr))
        r->owner->rooms++;
    rooms__attach(r, m, MEMBER_HOST, 0);
    size_t len;
    char *j = proto_enc_room_created(r->code, host_token, g, r->pack_id, q->has_req, q->req,
                                     &len);
    rooms__send_new(rs, m, j, len);
    rooms__tell_unsaved(r);
    rooms__flush_lobby(r);
    log_info("room_created room=%s pack=%s questions=%zu", r->code, r->pack_id, game_total(g));
}

/* Compares the stored hash of the host token with the hash of `token`. */
static bool host_token_ok(const struct room *r, const char *token)
{
    char h[STORE_HASH_HEX + 1];
    store_hash_hex(token, strlen(token), h);
    unsigned char d = 0;   /* constant time: no early exit on the first difference */
    for (int i = 0; i < STORE_HASH_HEX; i++)
        d |= (unsigned char)(h[i] ^ r->host_hash[i]);
    return d == 0;
}

/* The gate of join and host_resume: not yet in a room, within the address's
 * budget of lookups, and a live room; for host_resume (`host_token` not
 * NULL) also its host's token, a wrong one getting exactly the reply of a
 * missing room: anything else tells a guesser which codes are live (issue
 * 11, item 5). Replies and returns NULL when the request goes no further. */
static struct room *room_to_enter(struct rooms *rs, struct member *m, const struct proto_req *q,
                                  const char *code, const char *host_token)
{
    if (m->room) {
        reply_error(rs, m, q, QZ_EPHASE, proto_text(TEXT_ALREADY_IN_ROOM));
        return NULL;
    }
    if (!may_look_up(rs, m)) {
        reply_error(rs, m, q, QZ_ERATELIMIT, proto_text(TEXT_TOO_MANY_GUESSES));
        return NULL;
    }
    struct room *r = rooms_find(rs, code);
    if (!r || (host_token && !host_token_ok(r, host_token))) {
        missed(rs, m);
        reply_error(rs, m, q, QZ_ENOROOM, proto_text(TEXT_NO_SUCH_ROOM));
        return NULL;
    }
    return r;
}

static void do_host_resume(struct rooms *rs, struct member *m, const struct proto_req *q)
{
    struct room *r = room_to_enter(rs, m, q, q->u.resume.code, q->u.resume.token);
    if (!r)
        return;
    if (r->host) {   /* a second tab takes over; the old one is told why */
        struct member *old = r->host;
        rooms__error(rs, old, QZ_EBADTOKEN, proto_text(TEXT_HOST_RESUMED_ELSEWHERE), false, 0);
        rooms__detach(old);
    }
    rooms__attach(r, m, MEMBER_HOST, 0);
    send_state(rs, m, q, 0);
    rooms__tell_unsaved(r);
    r->last_lobby = 0;
    r->lobby_dirty = true;
    rooms__schedule_throttle(r);
    log_info("host_resumed room=%s", r->code);
}

static void do_join(struct rooms *rs, struct member *m, const struct proto_req *q)
{
    struct room *r = room_to_enter(rs, m, q, q->u.join.code, NULL);
    if (!r)
        return;
    uint32_t id;
    int rc;
    qz_ms now = rooms__now(rs);
    char token[GAME_TOKEN_LEN + 1], key[GAME_TOKEN_LEN + 1];
    bool resume = q->u.join.token[0] != '\0';
    if (resume) {
        snprintf(token, sizeof token, "%s", q->u.join.token);
        rooms__token_key(token, key);
        rc = game_resume(r->g, key, now, &id);
    } else {
        rooms__random_hex(rs, token, GAME_TOKEN_LEN);
        rooms__token_key(token, key);
        rc = game_join(r->g, q->u.join.name, key, now, &id);
    }
    if (rc) {
        /* A refused join is no activity: else knowing a code keeps a
         * hostless room alive forever (issue 11, item 8). */
        qz_ms idle_since = r->last_activity;
        reply_error(rs, m, q, rc, proto_text_join_refused(rc));
        rooms__process(r, now_ns(rs));
        r->last_activity = idle_since;
        return;
    }
    if (resume) {
        rooms__rec_event(r, SEV_RESUME, id, 0, 0);
    } else {
        char h[STORE_HASH_HEX + 1];
        store_hash_hex(token, GAME_TOKEN_LEN, h);
        rooms__rec_join(r, id, game_player(r->g, id)->name, h);
    }
    r->had_player = true;
    struct member *old = rooms__player(r, id);
    if (old && old != m) {   /* the same player resumed elsewhere: newest wins */
        rooms__error(rs, old, QZ_EBADTOKEN, proto_text(TEXT_PLAYER_JOINED_ELSEWHERE), false, 0);
        rooms__detach(old);
    }
    rooms__attach(r, m, MEMBER_PLAYER, id);
    size_t len;
    char *j = proto_enc_joined(game_player(r->g, id), token, r->code, q->has_req, q->req, &len);
    rooms__send_new(rs, m, j, len);
    send_state(rs, m, NULL, id);
    log_debug("%s room=%s player=%u", q->u.join.token[0] ? "player_resumed" : "player_joined",
              r->code, id);
    rooms__process(r, now_ns(rs));
}

static void do_host_cmd(struct rooms *rs, struct member *m, const struct proto_req *q)
{
    struct room *r = m->room;
    if (!r || m->role != MEMBER_HOST) {
        reply_error(rs, m, q, QZ_ENOTHOST, proto_text(TEXT_NOT_HOST));
        return;
    }
    qz_ms now = rooms__now(rs);
    uint64_t t0 = now_ns(rs);
    int rc = 0;
    const char *msg = NULL;
    switch (q->type) {
    case PT_START:
        rc = game_start(r->g, now);
        if (rc == QZ_EPHASE)
            msg = proto_text(game_phase(r->g) == GAME_LOBBY ? TEXT_START_NEEDS_PLAYER
                                                            : TEXT_ALREADY_STARTED);
        break;
    case PT_NEXT:
        rc = game_next(r->g, now);
        if (rc)
            msg = proto_text(TEXT_NOTHING_TO_ADVANCE);
        break;
    case PT_KICK:
        rc = game_kick(r->g, q->u.kick.player_id, now);
        if (rc == QZ_ENOTFOUND) {
            rc = QZ_EBADMSG;
            msg = proto_text(TEXT_NO_SUCH_PLAYER);
        }
        break;
    case PT_LOCK:
        rc = game_lock(r->g, q->u.lock.locked);
        break;
    case PT_END:
        rc = game_end(r->g, now);
        if (rc)
            msg = proto_text(TEXT_ALREADY_FINISHED);
        break;
    default:
        break;
    }
    if (!rc) {
        static const enum store_ev kinds[] = {[PT_START] = SEV_START, [PT_NEXT] = SEV_NEXT,
                                              [PT_KICK] = SEV_KICK, [PT_LOCK] = SEV_LOCK,
                                              [PT_END] = SEV_END};
        rooms__rec_event(r, kinds[q->type], q->type == PT_KICK ? q->u.kick.player_id : 0,
                         q->type == PT_LOCK && q->u.lock.locked, 0);
    }
    if (rc)
        reply_error(rs, m, q, rc, msg);
    else
        reply_ack(rs, m, q);
    rooms__process(r, t0);
}

static void do_answer(struct rooms *rs, struct member *m, const struct proto_req *q)
{
    struct room *r = m->room;
    if (!r || m->role != MEMBER_PLAYER) {
        reply_error(rs, m, q, QZ_EPHASE, proto_text(TEXT_ANSWER_NEEDS_JOIN));
        return;
    }
    uint64_t t0 = now_ns(rs);
    int rc = game_answer(r->g, m->player, q->u.answer.index, q->u.answer.choice, rooms__now(rs));
    if (rc) {
        reply_error(rs, m, q, rc, proto_text_answer_refused(rc));
        return;
    }
    rooms__rec_answer(r, m->player, q->u.answer.index, q->u.answer.choice);
    size_t len;
    char *j = proto_enc_answer_ack(q->u.answer.index, q->u.answer.choice, q->has_req, q->req,
                                   &len);
    rooms__send_new(rs, m, j, len);
    rooms__process(r, t0);
}

static void do_ping(struct rooms *rs, struct member *m, const struct proto_req *q)
{
    size_t len;
    char *j = proto_enc_pong(q->has_req, q->req, q->u.ping.has_t, q->u.ping.t,
                             (int64_t)rooms__now(rs) + rs->cfg.clock.epoch_offset_ms, &len);
    rooms__send_new_unrecorded(rs, m, j, len);   /* no fsync in the clients' RTT */
}

void rooms_request(struct rooms *rs, struct member *m, const struct proto_req *q)
{
    switch (q->type) {
    case PT_CREATE_ROOM: do_create_room(rs, m, q); break;
    case PT_HOST_RESUME: do_host_resume(rs, m, q); break;
    case PT_JOIN: do_join(rs, m, q); break;
    case PT_ANSWER: do_answer(rs, m, q); break;
    case PT_START:
    case PT_NEXT:
    case PT_KICK:
    case PT_LOCK:
    case PT_END: do_host_cmd(rs, m, q); break;
    case PT_PING: do_ping(rs, m, q); break;
    case PT_PLAY_AGAIN: do_play_again(rs, m, q); break;
    }
}
