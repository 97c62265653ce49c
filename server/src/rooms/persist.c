/* Persistence of rooms: what is recorded when (every change the replay
 * needs, plus the per-answer scores and final results that exports read),
 * frames held until their change is committed, and the restore that
 * replays a room's recorded events into a fresh game core.
 *
 * Durability rule: with a store, every frame is sent only once the last
 * record appended before it was committed; a frame that depends on no
 * record (a pong, a refused request, an error of the net layer) goes at
 * once. Per connection, frames keep their order: while any frame for it is
 * held, later ones queue behind it. */
#include "rooms_int.h"

#include "qz/texts.h"
#include "util/log.h"
#include "util/xmalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t epoch_now(struct rooms *rs)
{
    return (int64_t)rooms__now(rs) + rs->cfg.clock.epoch_offset_ms;
}

void rooms__persist_init(struct rooms *rs)
{
    rs->store = rs->cfg.store;
    if (!rs->store)
        return;
    rs->pack_hash = xcalloc(rs->n_packs ? rs->n_packs : 1, sizeof *rs->pack_hash);
    for (size_t i = 0; i < rs->n_packs; i++)
        store_pack_hash(rs->packs[i], rs->pack_hash[i]);
    rs->committed = store_committed(rs->store);
    rs->last_seq = store_appended(rs->store);
}

/* The held frames are dropped (the server is stopping); their members
 * outlive the registry (lws closes the connections later), so each is told
 * it holds nothing any more. */
void rooms__persist_cleanup(struct rooms *rs)
{
    for (size_t i = 0; i < rs->held_len; i++) {   /* dropped: the server is stopping */
        struct held *h = &rs->held[(rs->held_head + i) % rs->held_cap];
        if (h->m)
            h->m->held--;
        frame_unref(h->f);
    }
    free(rs->held);
    free(rs->pack_hash);
}

/* ------------------------------------------------------------------ */
/* held frames                                                         */

bool rooms__hold(struct rooms *rs, struct member *m, struct frame *f, bool depends)
{
    /* Held while what it depends on is not committed, or behind m's own
     * earlier held frames (their order is kept). Everything held before
     * rs->last_seq is released by then, so that is its release point. */
    if (!rs->store || (!m->held && (!depends || rs->last_seq <= rs->committed)))
        return false;
    if (m->held >= ROOMS_HELD_PER_MEMBER || rs->held_len >= ROOMS_HELD_MAX) {
        log_warn("held_overflow closed player=%u held=%u held_total=%zu", m->player, m->held,
                 rs->held_len);
        rooms__forget_member(rs, m);   /* its frames are never sent */
        rs->env.drop(rs->env.arg, m);
        return true;
    }
    if (rs->held_len == rs->held_cap) {
        size_t cap = rs->held_cap ? rs->held_cap * 2 : 1024;
        struct held *h = xmalloc(cap * sizeof *h);
        for (size_t i = 0; i < rs->held_len; i++)
            h[i] = rs->held[(rs->held_head + i) % rs->held_cap];
        free(rs->held);
        rs->held = h;
        rs->held_head = 0;
        rs->held_cap = cap;
    }
    rs->held[(rs->held_head + rs->held_len) % rs->held_cap] =
        (struct held){m, frame_ref(f), rs->last_seq};
    rs->held_len++;
    m->held++;
    return true;
}

void rooms__forget_member(struct rooms *rs, struct member *m)
{
    if (!rs)   /* the rooms are gone (shutdown): nothing is held */
        return;
    for (size_t i = 0; m->held && i < rs->held_len; i++) {
        struct held *h = &rs->held[(rs->held_head + i) % rs->held_cap];
        if (h->m == m) {
            h->m = NULL;
            m->held--;
        }
    }
}

void rooms__set_timed(struct room *r, bool timed)
{
    struct rooms *rs = r->rs;
    if (r->timed == timed)
        return;
    r->timed = timed;
    size_t before = rs->n_timed;
    rs->n_timed += timed ? 1 : (size_t)-1;
    if (rs->store && (before == 0) != (rs->n_timed == 0))
        store_clock_wanted(rs->store, rs->n_timed > 0);
}

size_t rooms_held(const struct rooms *rs)
{
    return rs->held_len;
}

/* Once the store failed: tells r's host (again, e.g. after a resume). */
void rooms__tell_unsaved(struct room *r)
{
    struct rooms *rs = r->rs;
    if (!rs->store_failed)
        return;
    if (!r->unsaved_told) {
        log_warn("results_not_saved room=%s", r->code);
        r->unsaved_told = true;
        rs->n_unsaved++;
    }
    if (r->host) {
        size_t len;
        char *j = proto_enc_notice("results_not_saved", proto_text(TEXT_RESULTS_NOT_SAVED), &len);
        rooms__send_new(rs, r->host, j, len);
    }
}

/* The store failed: every live room not told yet is, to every member
 * (host and players), before anything held for it goes out: from here on
 * an answer_ack is not durable, and the notice says so. */
static void tell_unsaved(struct rooms *rs)
{
    size_t len;
    char *j = proto_enc_notice("results_not_saved", proto_text(TEXT_RESULTS_NOT_SAVED), &len);
    struct frame *f = frame_take(j, len);
    for (size_t i = 0; i < rs->n_buckets; i++)
        for (struct room *r = rs->buckets[i]; r; r = r->hnext) {
            if (r->unsaved_told)
                continue;
            r->unsaved_told = true;
            rs->n_unsaved++;
            log_warn("results_not_saved room=%s", r->code);
            for (struct member *m = r->members; m; m = m->next)
                rs->env.send(rs->env.arg, m, f);   /* ahead of its held frames */
        }
    frame_unref(f);
}

void rooms_durable(struct rooms *rs)
{
    if (!rs->store)
        return;
    uint64_t settled = store_settled(rs->store);
    rs->committed = store_committed(rs->store);
    rs->store_failed = store_failed(rs->store);
    /* Settled past committed: records were dropped. */
    if (rs->store_failed || settled > rs->committed)
        tell_unsaved(rs);
    if (settled > rs->committed)
        rs->committed = settled;   /* what waited for them may go, after the notice */
    while (rs->held_len) {
        struct held *h = &rs->held[rs->held_head];
        if (h->seq > rs->committed)
            break;
        struct held e = *h;
        rs->held_head = (rs->held_head + 1) % rs->held_cap;
        rs->held_len--;
        if (e.m) {
            e.m->held--;
            rs->env.send(rs->env.arg, e.m, e.f);
        }
        frame_unref(e.f);
    }
}

size_t rooms_unsaved(const struct rooms *rs)
{
    return rs->n_unsaved;
}

/* ------------------------------------------------------------------ */
/* records                                                             */

static bool recording(const struct room *r)
{
    return r->rs->store && r->store_id;
}

#define SETTINGS_VERSION 1

/* "1 count seconds scoring auto max reveal_ms leaderboard_ms n_categories"
 * then one category per line. */
static char *encode_settings(const struct game_settings *st)
{
    size_t cap = 128, len;
    for (unsigned i = 0; i < st->n_categories; i++)
        cap += strlen(st->categories[i]) + 1;
    char *s = xmalloc(cap);
    len = (size_t)snprintf(s, cap, "%d %u %u %d %d %u %u %u %u", SETTINGS_VERSION, st->count,
                           st->seconds, (int)st->scoring, st->auto_advance ? 1 : 0,
                           st->max_players, st->reveal_ms, st->leaderboard_ms, st->n_categories);
    for (unsigned i = 0; i < st->n_categories; i++)
        len += (size_t)snprintf(s + len, cap - len, "\n%s", st->categories[i]);
    return s;
}

/* Fills st from s; the categories point into `buf` (a copy of s it owns).
 * Returns 0 or -1 for anything but a well-formed version 1 record. */
static int decode_settings(const char *s, struct game_settings *st, char **buf)
{
    int version, scoring, autoadv, used = 0;
    game_settings_default(st);
    if (sscanf(s, "%d %u %u %d %d %u %u %u %u%n", &version, &st->count, &st->seconds, &scoring,
               &autoadv, &st->max_players, &st->reveal_ms, &st->leaderboard_ms, &st->n_categories,
               &used) != 9 || version != SETTINGS_VERSION || st->n_categories > GAME_MAX_CATEGORIES ||
        (scoring != SCORING_CLASSIC && scoring != SCORING_ACCURACY) || st->count < 1 ||
        st->count > GAME_MAX_QUESTIONS)
        return -1;
    st->scoring = (enum game_scoring)scoring;
    st->auto_advance = autoadv != 0;
    *buf = xstrdup(s + used);
    char *p = *buf;
    for (unsigned i = 0; i < st->n_categories; i++) {
        if (*p != '\n')
            return -1;
        *p++ = '\0';
        st->categories[i] = p;
        p += strcspn(p, "\n");
    }
    return *p ? -1 : 0;
}

static const char *pack_hash_of(const struct rooms *rs, const char *pack_id, size_t *index)
{
    for (size_t i = 0; i < rs->n_packs; i++)
        if (!strcmp(rs->packs[i]->id, pack_id)) {
            *index = i;
            return rs->pack_hash[i];
        }
    return NULL;
}

void rooms__rec_created(struct room *r, uint64_t seed, const struct game_settings *st)
{
    struct rooms *rs = r->rs;
    if (!rs->store)
        return;
    size_t pi = 0;
    const char *ph = pack_hash_of(rs, r->pack_id, &pi);
    r->store_id = store_new_room_id(rs->store);
    char *set = encode_settings(st);
    rs->last_seq = store_room(rs->store, r->store_id, r->code, r->host_hash, r->pack_id,
                              ph ? ph : "", seed, set, epoch_now(rs));
    free(set);
    /* The drawn questions and their option order, for exports and audits. */
    for (size_t i = 0; i < game_total(r->g); i++) {
        const struct qz_question *q = game_question(r->g, (int)i);
        char order[QZ_MAX_OPTIONS + 1];
        int n = 0;
        for (int d = 0; d < q->n_options; d++) {
            const char *opt = game_option(r->g, (int)i, d);
            for (int k = 0; k < q->n_options; k++)
                if (q->options[k] == opt)
                    order[n++] = (char)('0' + k);
        }
        order[n] = '\0';
        rs->last_seq = store_question(rs->store, r->store_id, (int)i, q->id, order);
    }
}

void rooms__rec_event(struct room *r, enum store_ev kind, uint32_t player, int a, int b)
{
    if (recording(r))
        r->rs->last_seq = store_event(r->rs->store, r->store_id, kind, rooms__now(r->rs), player,
                                      a, b, NULL, NULL);
}

static void keep_hash(struct room *r, uint32_t player, const char *token_hash)
{
    if (player == 0)
        return;
    if (player > r->player_hash_cap) {
        size_t cap = r->player_hash_cap ? r->player_hash_cap : 16;
        while (cap < player)
            cap *= 2;
        r->player_hash = xrealloc(r->player_hash, cap * sizeof *r->player_hash);
        memset(r->player_hash + r->player_hash_cap, 0,
               (cap - r->player_hash_cap) * sizeof *r->player_hash);
        r->player_hash_cap = cap;
    }
    snprintf(r->player_hash[player - 1], sizeof r->player_hash[0], "%s", token_hash);
}

void rooms__rec_join(struct room *r, uint32_t player, const char *name, const char *token_hash)
{
    if (!recording(r))
        return;
    keep_hash(r, player, token_hash);
    r->rs->last_seq = store_event(r->rs->store, r->store_id, SEV_JOIN, rooms__now(r->rs), player,
                                  0, 0, name, token_hash);
}

void rooms__rec_restarted(struct room *r, uint64_t seed)
{
    if (!recording(r))
        return;
    size_t slots = game_player_slots(r->g);
    /* Copy the hashes out first: the new record starts with no player. */
    char (*hashes)[STORE_HASH_HEX + 1] = xcalloc(slots ? slots : 1, sizeof *hashes);
    for (size_t i = 0; i < slots && i < r->player_hash_cap; i++)
        memcpy(hashes[i], r->player_hash[i], sizeof hashes[i]);
    rooms__rec_created(r, seed, game_settings(r->g));
    for (uint32_t id = 1; id <= slots; id++) {
        const struct game_player *p = game_player(r->g, id);
        rooms__rec_join(r, id, p->name, hashes[id - 1]);
        if (p->kicked)
            rooms__rec_event(r, SEV_KICK, id, 0, 0);
        else if (!p->connected)
            rooms__rec_event(r, SEV_DISCONNECT, id, 0, 0);
    }
    if (game_locked(r->g))
        rooms__rec_event(r, SEV_LOCK, 0, 1, 0);
    free(hashes);
}

void rooms__rec_answer(struct room *r, uint32_t player, int index, int choice)
{
    if (!recording(r))
        return;
    const struct game_player *p = game_player(r->g, player);
    r->rs->last_seq = store_answer(r->rs->store, r->store_id, rooms__now(r->rs), player, index,
                                   choice, epoch_now(r->rs), p->answers[index].time_ms);
}

/* Questions closed so far: the open one is not. */
static int played(const struct room *r)
{
    enum game_phase ph = game_phase(r->g);
    int qi = game_index(r->g);
    int n = ph == GAME_QUESTION || ph == GAME_LOBBY ? qi : qi + 1;
    return n < 0 ? 0 : n;
}

void rooms__rec_phase(struct room *r)
{
    if (recording(r))
        r->rs->last_seq = store_phase(r->rs->store, r->store_id, game_phase_name(game_phase(r->g)),
                                      played(r));
}

void rooms__rec_reveal(struct room *r)
{
    if (!recording(r))
        return;
    struct rooms *rs = r->rs;
    int qi = game_index(r->g);
    size_t n = 0, slots = game_player_slots(r->g);
    unsigned char *buf = xmalloc(slots * STORE_SCORE_BYTES + 1);
    for (uint32_t id = 1; id <= slots; id++) {   /* increasing ids, as store_scores wants */
        const struct game_player *p = game_player(r->g, id);
        if (p && p->answers[qi].choice >= 0)
            store_score_pack(buf + STORE_SCORE_BYTES * n++, id, p->answers[qi].points,
                             p->answers[qi].correct);
    }
    rs->last_seq = store_scores(rs->store, r->store_id, qi, buf, n * STORE_SCORE_BYTES);
    free(buf);
    rooms__rec_phase(r);
}

void rooms__rec_game_over(struct room *r)
{
    if (!recording(r))
        return;
    struct rooms *rs = r->rs;
    const uint32_t *ids;
    size_t n = game_ranking(r->g, &ids);
    for (size_t i = 0; i < n; i++) {
        const struct game_player *p = game_player(r->g, ids[i]);
        rs->last_seq = store_result(rs->store, r->store_id, p->rank ? p->rank : (unsigned)i + 1,
                                    p->id, p->score, p->correct, p->best_streak);
    }
    rs->last_seq = store_finish(rs->store, r->store_id, "finished", played(r), epoch_now(rs));
}

void rooms__rec_closed(struct room *r)
{
    if (recording(r) && game_phase(r->g) != GAME_FINISHED)
        r->rs->last_seq = store_finish(r->rs->store, r->store_id, "closed", played(r),
                                       epoch_now(r->rs));
}

/* ------------------------------------------------------------------ */
/* restore                                                             */

struct restore {
    struct rooms *rs;
    size_t rooms, mismatches;
};

static void *restore_room(void *arg, const struct store_room_row *row)
{
    struct restore *x = arg;
    struct rooms *rs = x->rs;
    size_t pi = 0;
    const char *ph = pack_hash_of(rs, row->pack_id, &pi);
    const char *why = NULL;
    struct game_settings st;
    char *cats = NULL;
    struct game *g = NULL;
    int err;
    if (!ph)
        why = "its pack is no longer served";
    else if (strcmp(ph, row->pack_hash))
        why = "its pack changed";
    else if (decode_settings(row->settings_json, &st, &cats))
        why = "its settings record is malformed";
    else if (strlen(row->code) != PROTO_CODE_LEN || strlen(row->host_hash) != STORE_HASH_HEX)
        why = "its code or host token record is malformed";
    else if (rooms_find(rs, row->code))
        why = "its code is taken";
    else if (!(g = game_create(rs->packs[pi], &st, row->seed, &err)))
        why = "its questions cannot be drawn";
    free(cats);
    if (why) {
        log_warn("room_not_restored room=%s reason=\"%s\"", row->code, why);
        rs->last_seq = store_finish(rs->store, row->id, "unrestorable", 0, epoch_now(rs));
        return NULL;
    }
    struct room *r = rooms__add_restored(rs, g, row->pack_id, row->code, row->host_hash);
    r->store_id = row->id;
    return r;
}

static void restore_event(void *arg, void *room, const struct store_event_row *e)
{
    struct restore *x = arg;
    struct room *r = room;
    struct game *g = r->g;
    uint32_t id = 0;
    int rc = 0;
    const struct game_player *p;
    char key[GAME_TOKEN_LEN + 1];
    switch (e->kind) {
    case SEV_JOIN:
        if (strlen(e->token_hash) < GAME_TOKEN_LEN) {
            rc = -1;
            break;
        }
        memcpy(key, e->token_hash, GAME_TOKEN_LEN);
        key[GAME_TOKEN_LEN] = '\0';
        rc = game_join(g, e->name, key, e->t, &id);
        if (!rc && id != e->player)
            rc = -1;
        if (!rc)
            keep_hash(r, id, e->token_hash);
        r->had_player = true;
        break;
    case SEV_RESUME:
        p = game_player(g, e->player);
        rc = p ? game_resume(g, p->token, e->t, &id) : -1;
        break;
    case SEV_DISCONNECT: game_disconnect(g, e->player, e->t); break;
    case SEV_START: rc = game_start(g, e->t); break;
    case SEV_ANSWER: rc = game_answer(g, e->player, e->a, e->b, e->t); break;
    case SEV_NEXT: rc = game_next(g, e->t); break;
    case SEV_KICK: rc = game_kick(g, e->player, e->t); break;
    case SEV_LOCK: rc = game_lock(g, e->a != 0); break;
    case SEV_END: rc = game_end(g, e->t); break;
    case SEV_TICK: game_tick(g, e->t); break;
    default: rc = -1; break;
    }
    if (rc) {
        x->mismatches++;
        log_warn("replay_mismatch room=%s kind=%d player=%u rc=%d", r->code, (int)e->kind,
                 e->player, rc);
    }
    const struct game_event *ev;
    game_take_events(g, &ev);   /* nobody is connected to hear them */
}

static void restore_done(void *arg, void *room)
{
    struct restore *x = arg;
    struct room *r = room;
    struct rooms *rs = x->rs;
    qz_ms now = rooms__now(rs);
    /* Nobody is connected after a restart: everyone resumes. */
    for (uint32_t id = 1; id <= game_player_slots(r->g); id++) {
        const struct game_player *p = game_player(r->g, id);
        if (p && p->connected) {
            game_disconnect(r->g, id, now);
            rooms__rec_event(r, SEV_DISCONNECT, id, 0, 0);
        }
    }
    const struct game_event *ev;
    game_take_events(r->g, &ev);
    r->last_activity = now;
    rooms__arm_timer(r);
    x->rooms++;
    log_info("room_restored room=%s phase=%s players=%zu question=%d", r->code,
             game_phase_name(game_phase(r->g)), game_player_count(r->g), game_index(r->g));
}

size_t rooms_restore(struct rooms *rs)
{
    if (!rs->store)
        return 0;
    struct restore x = {.rs = rs};
    struct store_loader l = {.arg = &x, .on_room = restore_room, .on_event = restore_event,
                             .on_done = restore_done};
    if (store_load(rs->store, &l))
        log_err("restore_incomplete rooms=%zu", x.rooms);
    if (x.rooms || x.mismatches)
        log_info("restored rooms=%zu mismatches=%zu", x.rooms, x.mismatches);
    return x.rooms;
}
