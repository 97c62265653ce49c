/* Exports read by their own thread and connection: results as JSON and CSV
 * for the host, a review for one player. Authorization compares SHA-256
 * hashes of the bearer token with the stored ones (tokens are never
 * stored in clear). */
#include "export.h"

#include "util/log.h"
#include "util/xmalloc.h"

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>

struct exporter {
    sqlite3 *db;
    struct store *store;                      /* told when a checkpoint copied the whole WAL */
    struct qz_pack *const *packs;
    size_t n_packs;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    struct export_query *todo, **todo_tail;   /* under mu */
    struct export_query *done;                /* under mu */
    void (*notify)(void *arg);                /* under mu */
    void *notify_arg;
};

/* ------------------------------------------------------------------ */
/* the export                                                          */

static const struct qz_question *find_question(struct qz_pack *const *packs, size_t n,
                                               const char *pack_id, const char *id)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(packs[i]->id, pack_id))
            continue;
        for (size_t k = 0; k < packs[i]->n; k++)
            if (!strcmp(packs[i]->q[k].id, id))
                return &packs[i]->q[k];
    }
    return NULL;
}

static const char *text_col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static void set_error(struct export_query *q, unsigned status, const char *msg)
{
    q->status = status;
    q->type = "application/json";
    json_t *o = json_pack("{s:s}", "error", msg);
    q->body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    q->len = q->body ? strlen(q->body) : 0;
}

/* A question as played: options in the room's display order. */
struct played_q {
    char id[128];
    char order[QZ_MAX_OPTIONS + 1];
    const struct qz_question *q;
    int correct_display;
};

/* Final rank first (finished games), else by points so far, then by id. */
struct pl_key { json_t *o; int64_t id, rank, score, correct; };
static int cmp_pl(const void *a, const void *b)
{
    const struct pl_key *x = a, *y = b;
    if (x->rank && y->rank)
        return x->rank < y->rank ? -1 : x->rank > y->rank;
    if (x->rank != y->rank)
        return x->rank ? -1 : 1;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static json_t *nullable_int(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? json_null()
                                                     : json_integer(sqlite3_column_int64(st, i));
}

static json_t *question_json(const struct played_q *p, int idx, bool full)
{
    json_t *opts = json_array();
    for (const char *c = p->order; *c; c++)
        json_array_append_new(opts, json_string(p->q ? p->q->options[*c - '0'] : ""));
    json_t *o = json_pack("{s:i,s:s,s:s,s:o,s:i}", "index", idx, "id", p->id, "prompt",
                          p->q ? p->q->prompt : "", "options", opts, "correct",
                          p->correct_display);
    if (full && p->q) {
        json_object_set_new(o, "code", p->q->code ? json_string(p->q->code) : json_null());
        json_object_set_new(o, "explanation", json_string(p->q->explanation ? p->q->explanation : ""));
        json_object_set_new(o, "category", json_string(p->q->category ? p->q->category : ""));
        json_object_set_new(o, "source", json_string(p->q->source.title ? p->q->source.title : ""));
    }
    return o;
}

/* CSV field: quoted when needed; a leading = + - @ is defused for
 * spreadsheets (a player's name is untrusted). */
static void csv_field(char **buf, size_t *len, size_t *cap, const char *s, bool last)
{
    size_t n = strlen(s);
    if (*len + 2 * n + 8 > *cap) {
        *cap = (*cap + 2 * n + 8) * 2;
        *buf = xrealloc(*buf, *cap);
    }
    char *p = *buf + *len;
    bool quote = strpbrk(s, ",\"\r\n") != NULL || strchr("=+-@", s[0] ? s[0] : 'x');
    if (quote)
        *p++ = '"';
    if (s[0] && strchr("=+-@", s[0]))
        *p++ = '\'';
    for (; *s; s++) {
        if (*s == '"')
            *p++ = '"';
        *p++ = *s;
    }
    if (quote)
        *p++ = '"';
    *p++ = last ? '\n' : ',';
    *len = (size_t)(p - *buf);
}

void export_run(sqlite3 *db, struct qz_pack *const *packs, size_t n_packs, struct export_query *q)
{
    sqlite3_stmt *st = NULL;
    struct played_q *qs = NULL;
    json_t *root = NULL;
    int64_t room = 0, created = 0, played = 0;
    bool finished = false;
    char host_hash[STORE_HASH_HEX + 1] = "", pack_id[128] = "", phase[32] = "";
    char hash[STORE_HASH_HEX + 1];
    store_hash_hex(q->token, strlen(q->token), hash);

#define PREP(sql) (sqlite3_finalize(st), st = NULL, sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK)
    if (!PREP("SELECT id, host_hash, pack_id, created_at, phase, played, finished_at IS NOT NULL"
              " FROM rooms WHERE code = ?1 ORDER BY id DESC LIMIT 1"))
        goto dberr;
    sqlite3_bind_text(st, 1, q->code, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        set_error(q, 404, "no such room");
        goto out;
    }
    room = sqlite3_column_int64(st, 0);
    snprintf(host_hash, sizeof host_hash, "%s", text_col(st, 1));
    snprintf(pack_id, sizeof pack_id, "%s", text_col(st, 2));
    created = sqlite3_column_int64(st, 3);
    snprintf(phase, sizeof phase, "%s", text_col(st, 4));
    played = sqlite3_column_int64(st, 5);
    finished = sqlite3_column_int(st, 6) != 0;

    int64_t only_player = 0;
    if (q->kind == EXPORT_REVIEW) {
        if (!PREP("SELECT player FROM players WHERE room = ?1 AND token_hash = ?2"))
            goto dberr;
        sqlite3_bind_int64(st, 1, room);
        sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW) {
            set_error(q, 403, "this token is not a player's of this room");
            goto out;
        }
        only_player = sqlite3_column_int64(st, 0);
    } else {
        unsigned char d = 0;   /* constant time */
        for (int i = 0; i < STORE_HASH_HEX; i++)
            d |= (unsigned char)(hash[i] ^ host_hash[i]);
        if (d) {
            set_error(q, 403, "this token is not the host's of this room");
            goto out;
        }
    }

    /* the questions played */
    if (played < 0 || played > 1000)
        played = 0;
    qs = xcalloc((size_t)played + 1, sizeof *qs);
    if (!PREP("SELECT idx, question_id, option_order FROM questions WHERE room = ?1 AND idx < ?2"
              " ORDER BY idx"))
        goto dberr;
    sqlite3_bind_int64(st, 1, room);
    sqlite3_bind_int64(st, 2, played);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int idx = sqlite3_column_int(st, 0);
        if (idx < 0 || idx >= played)
            continue;
        struct played_q *p = &qs[idx];
        snprintf(p->id, sizeof p->id, "%s", text_col(st, 1));
        snprintf(p->order, sizeof p->order, "%s", text_col(st, 2));
        p->q = find_question(packs, n_packs, pack_id, p->id);
        p->correct_display = -1;
        for (int d = 0; p->order[d]; d++) {
            int k = p->order[d] - '0';
            if (k < 0 || k >= QZ_MAX_OPTIONS || (p->q && k >= p->q->n_options)) {
                p->order[d] = '\0';   /* a malformed order: show what is sound */
                break;
            }
            if (p->q && k == p->q->correct)
                p->correct_display = d;
        }
    }

    /* each closed question's scores (one row per question, store_scores) */
    struct blob { unsigned char *p; size_t n; } *sc = xcalloc((size_t)played + 1, sizeof *sc);
    if (!PREP("SELECT idx, data FROM scores WHERE room = ?1 AND idx < ?2"))
        goto dberr_sc;
    sqlite3_bind_int64(st, 1, room);
    sqlite3_bind_int64(st, 2, played);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int idx = sqlite3_column_int(st, 0);
        const void *src = sqlite3_column_blob(st, 1);   /* NULL when empty (nobody answered) */
        size_t n = (size_t)sqlite3_column_bytes(st, 1);
        if (idx < 0 || idx >= played || sc[idx].p)
            continue;
        sc[idx].p = xmalloc(n + 1);
        if (src && n)
            memcpy(sc[idx].p, src, n);
        sc[idx].n = src ? n : 0;
    }

    /* players with the stored final ranking, if any */
    struct pl_key *pls = NULL;
    size_t npl = 0, pcap = 0;
    if (!PREP("SELECT p.player, p.name, r.rank, r.score, r.correct, r.best_streak FROM players p"
              " LEFT JOIN results r ON r.room = p.room AND r.player = p.player"
              " WHERE p.room = ?1 AND (?2 = 0 OR p.player = ?2) ORDER BY p.player"))
        goto dberr_sc;
    sqlite3_bind_int64(st, 1, room);
    sqlite3_bind_int64(st, 2, only_player);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (npl == pcap) {
            pcap = pcap ? pcap * 2 : 64;
            pls = xrealloc(pls, pcap * sizeof *pls);
        }
        struct pl_key *x = &pls[npl++];
        x->id = sqlite3_column_int64(st, 0);
        x->rank = sqlite3_column_type(st, 2) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 2);
        x->score = x->rank ? sqlite3_column_int64(st, 3) : 0;
        x->correct = x->rank ? sqlite3_column_int64(st, 4) : 0;
        x->o = json_pack("{s:I,s:s}", "player_id", (json_int_t)x->id, "name", text_col(st, 1));
        json_object_set_new(x->o, "best_streak", nullable_int(st, 5));
        json_object_set_new(x->o, "answers", json_array());
    }
    /* answers of closed questions only (an open one is not scored yet);
     * both lists are in player order */
    if (!PREP("SELECT player, idx, choice, received_at, time_ms, correct, points FROM answers"
              " WHERE room = ?1 AND idx < ?2 AND (?3 = 0 OR player = ?3) ORDER BY player, idx"))
        goto dberr_pl;
    sqlite3_bind_int64(st, 1, room);
    sqlite3_bind_int64(st, 2, played);
    sqlite3_bind_int64(st, 3, only_player);
    size_t at = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t pid = sqlite3_column_int64(st, 0);
        int idx = sqlite3_column_int(st, 1);
        while (at < npl && pls[at].id < pid)
            at++;
        if (at == npl || pls[at].id != pid || idx < 0 || idx >= played)
            continue;
        unsigned points = 0;
        bool correct = false, known;
        if (sqlite3_column_type(st, 5) != SQLITE_NULL) {   /* rows of schema version 1 */
            known = true;
            correct = sqlite3_column_int(st, 5) != 0;
            points = (unsigned)sqlite3_column_int(st, 6);
        } else {
            known = sc[idx].p &&
                    store_score_find(sc[idx].p, sc[idx].n, (uint32_t)pid, &points, &correct);
        }
        json_t *a = json_pack("{s:i,s:i,s:I,s:I}", "index", idx, "choice",
                              sqlite3_column_int(st, 2), "received_at",
                              (json_int_t)sqlite3_column_int64(st, 3), "time_ms",
                              (json_int_t)sqlite3_column_int64(st, 4));
        json_object_set_new(a, "correct", known ? json_boolean(correct) : json_null());
        json_object_set_new(a, "points", known ? json_integer(points) : json_null());
        json_array_append_new(json_object_get(pls[at].o, "answers"), a);
        if (!pls[at].rank) {   /* no final ranking yet: totals so far */
            pls[at].score += points;
            pls[at].correct += correct;
        }
    }
    qsort(pls, npl, sizeof *pls, cmp_pl);
    json_t *players = json_array();
    for (size_t i = 0; i < npl; i++) {
        json_object_set_new(pls[i].o, "rank", json_integer(pls[i].rank ? pls[i].rank : (json_int_t)i + 1));
        json_object_set_new(pls[i].o, "score", json_integer(pls[i].score));
        json_object_set_new(pls[i].o, "correct", json_integer(pls[i].correct));
        json_array_append_new(players, pls[i].o);
    }
    free(pls);
    pls = NULL;
    npl = 0;
    for (int i = 0; i < played; i++)
        free(sc[i].p);
    free(sc);
    sc = NULL;
    root = json_object();
    json_t *questions = json_array();
    for (int i = 0; i < played; i++)
        json_array_append_new(questions, question_json(&qs[i], i, q->kind == EXPORT_REVIEW));
    json_object_set_new(root, "room", json_string(q->code));
    json_object_set_new(root, "pack", json_string(pack_id));
    json_object_set_new(root, "created_at", json_integer(created));
    json_object_set_new(root, "phase", json_string(phase));
    json_object_set_new(root, "finished", json_boolean(finished));
    json_object_set_new(root, "questions", questions);
    if (q->kind == EXPORT_REVIEW) {
        json_t *me = json_array_get(players, 0);
        json_object_set(root, "player", me ? me : json_null());
        json_decref(players);
    } else {
        json_object_set_new(root, "players", players);
    }

    if (q->kind == EXPORT_RESULTS_CSV) {
        size_t len = 0, cap = 4096;
        char *b = xmalloc(cap);
        static const char *const head[] = {"rank", "player_id", "name", "score", "question",
                                           "prompt", "choice", "chosen_option", "correct",
                                           "time_ms", "points"};
        for (size_t i = 0; i < 11; i++)
            csv_field(&b, &len, &cap, head[i], i == 10);
        players = json_object_get(root, "players");
        for (size_t i = 0; i < json_array_size(players); i++) {
            json_t *pl = json_array_get(players, i), *ans = json_object_get(pl, "answers");
            for (int qi = 0; qi < played; qi++) {
                json_t *a = NULL;
                for (size_t k = 0; k < json_array_size(ans); k++)
                    if (json_integer_value(json_object_get(json_array_get(ans, k), "index")) == qi)
                        a = json_array_get(ans, k);
                const char *f[11];
                char c0[24], c1[24], c3[24], c4[24], c6[24], c9[24], c10[24];
                snprintf(c0, sizeof c0, "%lld", (long long)json_integer_value(json_object_get(pl, "rank")));
                snprintf(c1, sizeof c1, "%lld", (long long)json_integer_value(json_object_get(pl, "player_id")));
                snprintf(c3, sizeof c3, "%lld", (long long)json_integer_value(json_object_get(pl, "score")));
                snprintf(c4, sizeof c4, "%d", qi + 1);
                int ch = a ? (int)json_integer_value(json_object_get(a, "choice")) : -1;
                c6[0] = c9[0] = '\0';
                if (ch >= 0 && ch < QZ_MAX_OPTIONS)
                    snprintf(c6, sizeof c6, "%c", 'A' + ch);
                if (a)
                    snprintf(c9, sizeof c9, "%lld",
                             (long long)json_integer_value(json_object_get(a, "time_ms")));
                snprintf(c10, sizeof c10, "%lld",
                         a ? (long long)json_integer_value(json_object_get(a, "points")) : 0LL);
                const struct played_q *p = &qs[qi];
                f[0] = c0, f[1] = c1, f[2] = json_string_value(json_object_get(pl, "name"));
                f[3] = c3, f[4] = c4, f[5] = p->q ? p->q->prompt : "";
                f[6] = c6;
                f[7] = ch >= 0 && ch < (int)strlen(p->order) && p->q
                           ? p->q->options[p->order[ch] - '0'] : "";
                f[8] = !a ? "no answer" : json_is_true(json_object_get(a, "correct")) ? "yes" : "no";
                f[9] = c9, f[10] = c10;
                for (int k = 0; k < 11; k++)
                    csv_field(&b, &len, &cap, f[k], k == 10);
            }
        }
        q->status = 200;
        q->type = "text/csv; charset=utf-8";
        q->body = b;
        q->len = len;
    } else {
        q->status = 200;
        q->type = "application/json";
        q->body = json_dumps(root, JSON_COMPACT);
        q->len = q->body ? strlen(q->body) : 0;
    }
    goto out;
dberr_pl:
    for (size_t i = 0; i < npl; i++)
        json_decref(pls[i].o);
    free(pls);
dberr_sc:
    for (int i = 0; sc && i < played; i++)
        free(sc[i].p);
    free(sc);
dberr:
    log_err("export_failed room=%s err=\"%s\"", q->code, sqlite3_errmsg(db));
    set_error(q, 500, "the results cannot be read");
out:
#undef PREP
    sqlite3_finalize(st);
    json_decref(root);
    free(qs);
}

/* ------------------------------------------------------------------ */
/* the reader thread                                                   */

/* The WAL's pages go back into the database here, off the writer: a
 * passive checkpoint never blocks it, so its commits (and the acks that
 * wait for them) do not stall behind the checkpoint's fsyncs. When every
 * frame was copied, the writer is told, so that the WAL is rewound
 * (store_wal_backfilled). */
static void checkpoint(struct exporter *x)
{
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(x->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        log_warn("checkpoint_failed err=\"%s\"", sqlite3_errmsg(x->db));
    if (rc == SQLITE_OK && log > 0 && done == log)
        store_wal_backfilled(x->store);
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Checkpoints every EXPORT_CHECKPOINT_S counted from the last one, exports
 * queued or not: requests less than a period apart must not put it off. */
static void *reader_main(void *arg)
{
    struct exporter *x = arg;
    uint64_t last_ckpt = mono_ms();
    pthread_mutex_lock(&x->mu);
    for (;;) {
        uint64_t due = last_ckpt + EXPORT_CHECKPOINT_S * 1000, now = mono_ms();
        if (now >= due) {
            pthread_mutex_unlock(&x->mu);
            checkpoint(x);
            last_ckpt = mono_ms();
            pthread_mutex_lock(&x->mu);
            continue;
        }
        if (!x->todo && !x->stop) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            uint64_t left = due - now;
            ts.tv_sec += (time_t)(left / 1000);
            ts.tv_nsec += (long)(left % 1000) * 1000000;
            ts.tv_sec += ts.tv_nsec / 1000000000;
            ts.tv_nsec %= 1000000000;
            pthread_cond_timedwait(&x->cv, &x->mu, &ts);
            continue;   /* woken, or the checkpoint is due */
        }
        if (x->stop)
            break;
        struct export_query *q = x->todo;
        x->todo = q->next;
        if (!x->todo)
            x->todo_tail = &x->todo;
        pthread_mutex_unlock(&x->mu);
        export_run(x->db, x->packs, x->n_packs, q);
        pthread_mutex_lock(&x->mu);
        q->next = x->done;
        x->done = q;
        if (x->notify)
            x->notify(x->notify_arg);
    }
    pthread_mutex_unlock(&x->mu);
    return NULL;
}

struct exporter *exporter_open(struct store *s, struct qz_pack *const *packs, size_t n_packs,
                               void (*notify)(void *arg), void *arg)
{
    struct exporter *x = xcalloc(1, sizeof *x);
    /* read-write only for the checkpoints: it writes no row */
    if (sqlite3_open_v2(store_path(s), &x->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        log_err("export_unavailable err=\"%s\"", x->db ? sqlite3_errmsg(x->db) : "out of memory");
        sqlite3_close(x->db);
        free(x);
        return NULL;
    }
    sqlite3_busy_timeout(x->db, 5000);
    /* A connection learns that the database is in WAL mode, and opens the
     * WAL, on its first read: until then sqlite3_wal_checkpoint_v2 does
     * nothing (log = done = -1), and with no export ever run the WAL grew
     * to the writer's own autocheckpoint (STORE_WAL_PAGES), one commit of
     * ~140 ms holding every ack behind it (issue 12). */
    if (sqlite3_exec(x->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK)
        log_warn("export_first_read_failed err=\"%s\"", sqlite3_errmsg(x->db));
    x->store = s;
    x->packs = packs;
    x->n_packs = n_packs;
    x->todo_tail = &x->todo;
    x->notify = notify;
    x->notify_arg = arg;
    pthread_mutex_init(&x->mu, NULL);
    pthread_condattr_t ca;   /* the checkpoint deadline is monotonic */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&x->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&x->thread, NULL, reader_main, x)) {
        log_err("export_thread_failed");
        abort();
    }
    return x;
}

void export_query_free(struct export_query *q)
{
    if (!q)
        return;
    free(q->body);
    free(q);
}

static void free_list(struct export_query *q, void (*free_owner)(void *owner))
{
    while (q) {
        struct export_query *n = q->next;
        if (free_owner && q->owner)
            free_owner(q->owner);
        export_query_free(q);
        q = n;
    }
}

void exporter_stop_notify(struct exporter *x)
{
    pthread_mutex_lock(&x->mu);
    x->notify = NULL;
    pthread_mutex_unlock(&x->mu);
}

void exporter_close(struct exporter *x, void (*free_owner)(void *owner))
{
    if (!x)
        return;
    pthread_mutex_lock(&x->mu);
    x->stop = true;
    pthread_cond_signal(&x->cv);
    pthread_mutex_unlock(&x->mu);
    pthread_join(x->thread, NULL);
    free_list(x->todo, free_owner);
    free_list(x->done, free_owner);
    sqlite3_close(x->db);
    pthread_mutex_destroy(&x->mu);
    pthread_cond_destroy(&x->cv);
    free(x);
}

void export_submit(struct exporter *x, struct export_query *q)
{
    q->next = NULL;
    pthread_mutex_lock(&x->mu);
    *x->todo_tail = q;
    x->todo_tail = &q->next;
    pthread_cond_signal(&x->cv);
    pthread_mutex_unlock(&x->mu);
}

struct export_query *export_take_done(struct exporter *x)
{
    pthread_mutex_lock(&x->mu);
    struct export_query *q = x->done;
    x->done = NULL;
    pthread_mutex_unlock(&x->mu);
    return q;
}
