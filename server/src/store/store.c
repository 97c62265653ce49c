/* The store: schema and migrations, the loop's append side, the writer
 * thread with group commit, and the restore reads. */
#include "store.h"

#include "util/metrics.h"

#include "util/log.h"
#include "util/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* schema                                                              */

/* migrations[v] takes a database at user_version v to v + 1; `unless`, a
 * query, skips its SQL when it returns non-zero (the change is already in:
 * some version-1 and version-2 databases were made with `played` in their
 * CREATE of rooms, and some version-2 ones with `scores`). */
static const struct migration {
    const char *sql, *unless;
} migrations[STORE_SCHEMA_VERSION] = {
    {"CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
     "CREATE TABLE rooms(id INTEGER PRIMARY KEY, code TEXT NOT NULL, host_hash TEXT NOT NULL,"
     " pack_id TEXT NOT NULL, pack_hash TEXT NOT NULL, seed INTEGER NOT NULL,"
     " settings TEXT NOT NULL, created_at INTEGER NOT NULL, phase TEXT NOT NULL DEFAULT 'lobby',"
     " finished_at INTEGER);"
     "CREATE INDEX rooms_code ON rooms(code);"
     "CREATE INDEX rooms_open ON rooms(finished_at);"
     "CREATE TABLE questions(room INTEGER NOT NULL, idx INTEGER NOT NULL,"
     " question_id TEXT NOT NULL, option_order TEXT NOT NULL, PRIMARY KEY(room, idx)) WITHOUT ROWID;"
     "CREATE TABLE players(room INTEGER NOT NULL, player INTEGER NOT NULL, name TEXT NOT NULL,"
     " token_hash TEXT NOT NULL, PRIMARY KEY(room, player)) WITHOUT ROWID;"
     "CREATE TABLE events(seq INTEGER PRIMARY KEY, room INTEGER NOT NULL, t INTEGER NOT NULL,"
     " kind INTEGER NOT NULL, player INTEGER NOT NULL, a INTEGER NOT NULL, b INTEGER NOT NULL);"
     "CREATE INDEX events_room ON events(room, seq);"
     "CREATE TABLE answers(room INTEGER NOT NULL, player INTEGER NOT NULL, idx INTEGER NOT NULL,"
     " seq INTEGER NOT NULL, t INTEGER NOT NULL, choice INTEGER NOT NULL,"
     " received_at INTEGER NOT NULL, time_ms INTEGER NOT NULL, correct INTEGER, points INTEGER,"
     " PRIMARY KEY(room, player, idx)) WITHOUT ROWID;"
     "CREATE TABLE results(room INTEGER NOT NULL, player INTEGER NOT NULL, rank INTEGER NOT NULL,"
     " score INTEGER NOT NULL, correct INTEGER NOT NULL, best_streak INTEGER NOT NULL,"
     " PRIMARY KEY(room, player)) WITHOUT ROWID;",
     NULL},
    /* 2: a question's scores in one row (store_scores), not one UPDATE per answer */
    {"CREATE TABLE scores(room INTEGER NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL,"
     " PRIMARY KEY(room, idx)) WITHOUT ROWID;",
     "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'scores'"},
    /* 3: questions closed so far, for exports; older rooms get it from what
     * was scored (a scored question was revealed) */
    {"ALTER TABLE rooms ADD COLUMN played INTEGER NOT NULL DEFAULT 0;"
     "UPDATE rooms SET played = max(coalesce((SELECT max(idx) + 1 FROM answers a"
     " WHERE a.room = rooms.id AND a.correct IS NOT NULL), 0),"
     " coalesce((SELECT max(idx) + 1 FROM scores c WHERE c.room = rooms.id), 0));",
     "SELECT count(*) FROM pragma_table_info('rooms') WHERE name = 'played'"},
    /* 4: who writes this database: the 'shard' row holds the --shard id of
     * the first quizd that opened it ('' = none), see claim_shard */
    {"CREATE TABLE identity(key TEXT PRIMARY KEY, value TEXT NOT NULL);",
     "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'identity'"},
};

enum rec_type {
    R_ROOM, R_QUESTION, R_PLAYER, R_EVENT, R_ANSWER, R_SCORES, R_PHASE, R_FINISH, R_RESULT, R_N
};

static const char *const rec_sql[R_N] = {
    [R_ROOM] = "INSERT INTO rooms(id, code, host_hash, pack_id, pack_hash, seed, settings,"
               " created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [R_QUESTION] = "INSERT OR REPLACE INTO questions VALUES(?1, ?2, ?3, ?4)",
    [R_PLAYER] = "INSERT OR REPLACE INTO players VALUES(?1, ?2, ?3, ?4)",
    [R_EVENT] = "INSERT INTO events VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [R_ANSWER] = "INSERT OR REPLACE INTO answers(room, player, idx, seq, t, choice, received_at,"
                 " time_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [R_SCORES] = "INSERT OR REPLACE INTO scores VALUES(?1, ?2, ?3)",
    [R_PHASE] = "UPDATE rooms SET phase = ?2, played = ?3 WHERE id = ?1",
    [R_FINISH] = "UPDATE rooms SET phase = ?2, finished_at = ?3, played = max(played, ?4)"
                 " WHERE id = ?1",
    [R_RESULT] = "INSERT OR REPLACE INTO results VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
};

/* A record as the loop encodes it: this fixed header, then its strings
 * back to back (no NULs), lengths in slen. */
struct rec {
    uint8_t type, kind;
    uint16_t slen[4];
    uint32_t room, player;
    int32_t a, b;
    uint32_t u;
    uint64_t seq, t;
    int64_t x;
};

struct buf {
    unsigned char *p;
    size_t len, cap;
};

struct store {
    sqlite3 *db;
    char *path;
    int lock_fd;                    /* DIR/quizd.lock, flock'd: one quizd per directory */
    sqlite3_stmt *st[R_N], *begin, *commit, *rollback, *clock, *mark_lost;
    uint64_t last_clock;
    uint32_t next_room;

    /* the loop's side: records since the last store_flush, no lock */
    struct buf local;
    uint64_t seq_local;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool running, stop;
    struct buf pending;             /* flushed by the loop, taken by the writer (under mu) */
    uint64_t seq_appended;          /* under mu */
    uint64_t seq_committed;         /* under mu */
    uint64_t seq_settled;           /* under mu: committed or dropped */
    unsigned retry_ms;
    bool failed;                    /* under mu */
    struct store_stats stats;       /* under mu */
    int64_t clock_offset;           /* under mu */
    bool clock_wanted;              /* under mu: a deadline runs, so the idle clock is kept */
    bool wal_backfilled;            /* under mu: store_wal_backfilled since the last commit */
    void (*notify)(void *arg);
    void *notify_arg;
};

/* ------------------------------------------------------------------ */
/* hashes                                                              */

void store_hash_hex(const void *data, size_t n, char out[STORE_HASH_HEX + 1])
{
    unsigned char md[32];
    unsigned len = 0;
    EVP_Digest(data, n, md, &len, EVP_sha256(), NULL);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[STORE_HASH_HEX] = '\0';
}

static void digest_str(EVP_MD_CTX *c, const char *s)
{
    /* length-prefixed, so ("ab","c") and ("a","bc") differ */
    uint32_t n = s ? (uint32_t)strlen(s) + 1 : 0;
    EVP_DigestUpdate(c, &n, sizeof n);
    if (s)
        EVP_DigestUpdate(c, s, n - 1);
}

void store_pack_hash(const struct qz_pack *p, char out[STORE_HASH_HEX + 1])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c)
        abort();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    digest_str(c, p->id);
    for (size_t i = 0; i < p->n; i++) {
        const struct qz_question *q = &p->q[i];
        digest_str(c, q->id);
        digest_str(c, q->category);
        digest_str(c, q->prompt);
        digest_str(c, q->code);
        for (int k = 0; k < q->n_options; k++)
            digest_str(c, q->options[k]);
        int32_t nums[3] = {q->n_options, q->correct, q->time_s};
        EVP_DigestUpdate(c, nums, sizeof nums);
    }
    unsigned char md[32];
    unsigned len = 0;
    EVP_DigestFinal_ex(c, md, &len);
    EVP_MD_CTX_free(c);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[STORE_HASH_HEX] = '\0';
}

/* ------------------------------------------------------------------ */
/* open, migrate, close                                                */

static int exec_sql(sqlite3 *db, const char *sql, char *why, size_t why_len, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    snprintf(why, why_len, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return -1;
}

static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int migrate(sqlite3 *db, char *why, size_t why_len)
{
    int64_t v = 0;
    if (query_int(db, "PRAGMA user_version", &v)) {
        snprintf(why, why_len, "cannot read the schema version: %s", sqlite3_errmsg(db));
        return -1;
    }
    if (v > STORE_SCHEMA_VERSION) {
        snprintf(why, why_len, "the database has schema version %lld, newer than this quizd's %d",
                 (long long)v, STORE_SCHEMA_VERSION);
        return -1;
    }
    for (; v < STORE_SCHEMA_VERSION; v++) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %lld", (long long)v + 1);
        int64_t skip = 0;
        if (migrations[v].unless && query_int(db, migrations[v].unless, &skip)) {
            snprintf(why, why_len, "migration: %s", sqlite3_errmsg(db));
            return -1;
        }
        if (exec_sql(db, "BEGIN IMMEDIATE", why, why_len, "migration") ||
            (!skip && exec_sql(db, migrations[v].sql, why, why_len, "migration")) ||
            exec_sql(db, sql, why, why_len, "migration") ||
            exec_sql(db, "COMMIT", why, why_len, "migration")) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
        log_info("store_migrated version=%lld", (long long)v + 1);
    }
    return 0;
}

/* A shard's rooms are reached by their code's first character (the proxy
 * routes /ws?room=CODE and /api/rooms/CODE/ by it), so rooms restored by a
 * quizd with another --shard could no longer be reached. The first quizd
 * to open the database records its shard; any other is refused. A database
 * from before the record (version 3 or older) is claimed unless it holds
 * rooms whose codes do not start with this shard's id. */
static int claim_shard(sqlite3 *db, const char *path, char shard, char *why, size_t why_len)
{
    const char mine[2] = {shard, '\0'};
    char had[2] = "";
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "SELECT value FROM identity WHERE key = 'shard'", -1, &st, NULL))
        goto sql_error;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        snprintf(had, sizeof had, "%s", v ? (const char *)v : "");
    } else if (step != SQLITE_DONE) {
        goto sql_error;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (step == SQLITE_ROW) {
        if (!strcmp(had, mine))
            return 0;
        if (!had[0])
            snprintf(why, why_len, "%s was written by a quizd without --shard, and its rooms' codes"
                     " are not routed to shard %s: start without --shard, or give shard %s a data"
                     " directory of its own (--data)", path, mine, mine);
        else if (!shard)
            snprintf(why, why_len, "%s was written by shard %s: start this quizd with --shard %s"
                     " again, or use another data directory (--data)", path, had, had);
        else
            snprintf(why, why_len, "%s was written by shard %s, whose room codes start with %s, so"
                     " they are not routed to shard %s: start it with --shard %s, or give shard %s"
                     " a data directory of its own (--data)", path, had, had, mine, had, mine);
        return -1;
    }
    if (shard) {
        if (sqlite3_prepare_v2(db, "SELECT code FROM rooms WHERE substr(code, 1, 1) <> ?1 LIMIT 1",
                               -1, &st, NULL) ||
            sqlite3_bind_text(st, 1, mine, 1, SQLITE_STATIC))
            goto sql_error;
        step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            const unsigned char *code = sqlite3_column_text(st, 0);
            snprintf(why, why_len, "%s holds rooms made without --shard %s (room %s, for one), which"
                     " would not be routed to this shard: start it without --shard, or give shard"
                     " %s a data directory of its own (--data)", path, mine,
                     code ? (const char *)code : "?", mine);
            sqlite3_finalize(st);
            return -1;
        }
        if (step != SQLITE_DONE)
            goto sql_error;
        sqlite3_finalize(st);
        st = NULL;
    }
    if (sqlite3_prepare_v2(db, "INSERT INTO identity VALUES('shard', ?1)", -1, &st, NULL) ||
        sqlite3_bind_text(st, 1, mine, -1, SQLITE_STATIC) || sqlite3_step(st) != SQLITE_DONE)
        goto sql_error;
    rc = 0;
    log_info("store_shard_recorded shard=%s", shard ? mine : "-");
    sqlite3_finalize(st);
    return rc;
sql_error:
    snprintf(why, why_len, "cannot read or record the shard of %s: %s", path, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc;
}

/* Deletes the rooms finished more than keep_days ago. The clock (read
 * before, see store_open) is recorded in the same transaction: the events
 * deleted may be the only record of the latest times handed out. */
static int purge(sqlite3 *db, unsigned keep_days, int64_t epoch_ms, uint64_t clock, char *why,
                 size_t why_len)
{
    if (!keep_days)
        return 0;
    int64_t before = epoch_ms - (int64_t)keep_days * 86400 * 1000;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "BEGIN IMMEDIATE;"
             "INSERT OR REPLACE INTO meta VALUES('clock', %llu);"
             "CREATE TEMP TABLE gone AS SELECT id FROM rooms WHERE finished_at IS NOT NULL"
             " AND finished_at < %lld;"
             "DELETE FROM events WHERE room IN gone; DELETE FROM answers WHERE room IN gone;"
             "DELETE FROM players WHERE room IN gone; DELETE FROM questions WHERE room IN gone;"
             "DELETE FROM results WHERE room IN gone; DELETE FROM scores WHERE room IN gone;"
             "DELETE FROM rooms WHERE id IN gone;"
             "DROP TABLE gone; COMMIT;",
             (unsigned long long)clock, (long long)before);
    if (exec_sql(db, sql, why, why_len, "purge")) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

static int prepare_all(struct store *s, char *why, size_t why_len)
{
    for (int i = 0; i < R_N; i++)
        if (sqlite3_prepare_v3(s->db, rec_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL))
            goto fail;
    if (sqlite3_prepare_v3(s->db, "BEGIN IMMEDIATE", -1, SQLITE_PREPARE_PERSISTENT, &s->begin,
                           NULL) ||
        sqlite3_prepare_v3(s->db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT, &s->commit, NULL) ||
        sqlite3_prepare_v3(s->db, "ROLLBACK", -1, SQLITE_PREPARE_PERSISTENT, &s->rollback, NULL) ||
        sqlite3_prepare_v3(s->db, "INSERT OR REPLACE INTO meta VALUES('clock', ?1)", -1,
                           SQLITE_PREPARE_PERSISTENT, &s->clock, NULL) ||
        sqlite3_prepare_v3(s->db, "UPDATE rooms SET phase = 'unsaved', finished_at = ?1"
                           " WHERE finished_at IS NULL AND id <= ?2", -1,
                           SQLITE_PREPARE_PERSISTENT, &s->mark_lost, NULL))
        goto fail;
    return 0;
fail:
    snprintf(why, why_len, "cannot prepare statements: %s", sqlite3_errmsg(s->db));
    return -1;
}

static void finalize_all(struct store *s)
{
    for (int i = 0; i < R_N; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_finalize(s->begin);
    sqlite3_finalize(s->commit);
    sqlite3_finalize(s->rollback);
    sqlite3_finalize(s->clock);
    sqlite3_finalize(s->mark_lost);
}

struct store *store_open(const struct store_options *o, char *why, size_t why_len)
{
    struct stat sb;
    if (mkdir(o->dir, 0700) && errno != EEXIST) {
        snprintf(why, why_len, "cannot create the data directory %s: %s", o->dir, strerror(errno));
        return NULL;
    }
    if (stat(o->dir, &sb) || !S_ISDIR(sb.st_mode)) {
        snprintf(why, why_len, "the data directory %s is not a directory", o->dir);
        return NULL;
    }
    if (access(o->dir, W_OK | X_OK)) {
        snprintf(why, why_len, "the data directory %s is not writable: %s", o->dir,
                 strerror(errno));
        return NULL;
    }
    struct store *s = xcalloc(1, sizeof *s);
    metrics_hist_init(&s->stats.commit_s, METRICS_LATENCY_S, METRICS_LATENCY_N);
    s->path = xasprintf("%s/%s", o->dir, STORE_DB_NAME);
    /* One process per data directory: a second quizd on the same DIR would
     * append records whose sequence numbers the first one uses next. The
     * lock goes with the process (kill -9 included). */
    char *lock = xasprintf("%s/%s", o->dir, STORE_LOCK_NAME);
    s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0) {
        snprintf(why, why_len, "cannot open %s: %s", lock, strerror(errno));
        free(lock);
        goto fail;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB)) {
        if (errno == EWOULDBLOCK)
            snprintf(why, why_len, "another quizd is using the data directory %s (%s is locked)",
                     o->dir, lock);
        else
            snprintf(why, why_len, "cannot lock %s: %s", lock, strerror(errno));
        free(lock);
        goto fail;
    }
    free(lock);
    if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                             SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(why, why_len, "cannot open %s: %s", s->path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, o->busy_ms ? (int)o->busy_ms : STORE_BUSY_MS);
    s->retry_ms = o->retry_ms ? o->retry_ms : STORE_RETRY_MS;
    char sql[256];
    /* Checkpoints are the exporter's (export.h), off this connection; this
     * one checkpoints only if the WAL grows past STORE_WAL_PAGES. */
    snprintf(sql, sizeof sql, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;"
             " PRAGMA foreign_keys=OFF; PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=%d;"
             " PRAGMA journal_size_limit=%d;",
             o->sync == STORE_SYNC_FULL ? "FULL" : "NORMAL", STORE_WAL_PAGES,
             STORE_WAL_LIMIT_BYTES);
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(why, why_len, "%s is damaged or not a quizd database (%s); move it away to start"
                 " afresh, or restore a backup", s->path, sqlite3_errmsg(s->db));
        goto fail;
    }
    /* SQLite opens a write-protected file read-only without a word: every
     * write would fail later, in the middle of a game. */
    if (sqlite3_db_readonly(s->db, "main") == 1) {
        snprintf(why, why_len, "%s is read-only (check its owner and mode)", s->path);
        goto fail;
    }
    {   /* WAL or nothing: the exporter reads while the writer writes */
        sqlite3_stmt *st = NULL;
        const unsigned char *mode = NULL;
        bool wal = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
                   sqlite3_step(st) == SQLITE_ROW && (mode = sqlite3_column_text(st, 0)) &&
                   !strcmp((const char *)mode, "wal");
        if (!wal)
            snprintf(why, why_len, "%s cannot use write-ahead logging (journal mode %s; is the"
                     " directory on a network file system?)", s->path,
                     mode ? (const char *)mode : sqlite3_errmsg(s->db));
        sqlite3_finalize(st);
        if (!wal)
            goto fail;
    }
    int64_t ok = 0;
    {
        sqlite3_stmt *st;
        const unsigned char *res = NULL;
        if (sqlite3_prepare_v2(s->db, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW && (res = sqlite3_column_text(st, 0)) &&
            !strcmp((const char *)res, "ok"))
            ok = 1;
        if (!ok)
            snprintf(why, why_len, "%s is damaged (%s); move it away to start afresh, or restore a"
                     " backup", s->path, res ? (const char *)res : sqlite3_errmsg(s->db));
        if (st)
            sqlite3_finalize(st);
        if (!ok)
            goto fail;
    }
    if (migrate(s->db, why, why_len))
        goto fail;
    if (claim_shard(s->db, s->path, o->shard, why, why_len))
        goto fail;
    /* The clock goes on from the latest time recorded: the clock row, the
     * last event (times are non-decreasing in seq: the loop stamps and
     * appends in order), and the answers of open rooms (a finished room has
     * an event after its answers). A kill -9 may come before the writer
     * recorded the clock after an event, and the game clock never goes
     * back. Read before the purge, which may delete those events. */
    int64_t v = 0;
    query_int(s->db, "SELECT max(coalesce((SELECT value FROM meta WHERE key = 'clock'), 0),"
                     " coalesce((SELECT t FROM events ORDER BY seq DESC LIMIT 1), 0),"
                     " coalesce((SELECT max(t) FROM answers WHERE room IN"
                     " (SELECT id FROM rooms WHERE finished_at IS NULL)), 0))", &v);
    s->last_clock = v > 0 ? (uint64_t)v : 0;
    if (s->last_clock < STORE_CLOCK_FIRST_MS)
        s->last_clock = STORE_CLOCK_FIRST_MS;   /* 0 is the rooms' "never" */
    if (purge(s->db, o->keep_days, o->epoch_ms, s->last_clock, why, why_len))
        goto fail;
    if (o->max_mb) {
        int64_t page = 4096;
        query_int(s->db, "PRAGMA page_size", &page);
        snprintf(sql, sizeof sql, "PRAGMA max_page_count=%lld",
                 (long long)((int64_t)o->max_mb * 1024 * 1024 / page));
        if (exec_sql(s->db, sql, why, why_len, "data-max-mb"))
            goto fail;
    }
    v = 0;
    query_int(s->db, "SELECT max(id) FROM rooms", &v);
    s->next_room = (uint32_t)v + 1;
    v = 0;
    query_int(s->db, "SELECT max(m) FROM (SELECT max(seq) AS m FROM events UNION ALL"
                     " SELECT max(seq) FROM answers)", &v);
    s->seq_local = s->seq_appended = s->seq_committed = s->seq_settled = (uint64_t)v;
    if (prepare_all(s, why, why_len))
        goto fail;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    log_info("store_opened path=%s sync=%s rooms_next=%u", s->path,
             o->sync == STORE_SYNC_FULL ? "full" : "normal", s->next_room);
    return s;
fail:
    finalize_all(s);
    sqlite3_close(s->db);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s->path);
    free(s);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* the writer                                                          */

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int bind_rec(struct store *s, const struct rec *r, const char *str)
{
    sqlite3_stmt *st = s->st[r->type];
    const char *sv[4];
    for (int i = 0; i < 4; i++) {
        sv[i] = str;
        str += r->slen[i];
    }
#define TXT(i, k) sqlite3_bind_text(st, i, sv[k], r->slen[k], SQLITE_STATIC)
    switch (r->type) {
    case R_ROOM:
        sqlite3_bind_int64(st, 1, r->room);
        TXT(2, 0); TXT(3, 1); TXT(4, 2); TXT(5, 3);
        sqlite3_bind_int64(st, 6, (int64_t)r->t);
        sqlite3_bind_text(st, 7, sv[3] + r->slen[3], (int)r->u, SQLITE_STATIC);
        sqlite3_bind_int64(st, 8, r->x);
        break;
    case R_QUESTION:
        sqlite3_bind_int64(st, 1, r->room);
        sqlite3_bind_int(st, 2, r->a);
        TXT(3, 0); TXT(4, 1);
        break;
    case R_PLAYER:
        sqlite3_bind_int64(st, 1, r->room);
        sqlite3_bind_int64(st, 2, r->player);
        TXT(3, 0); TXT(4, 1);
        break;
    case R_EVENT:
        sqlite3_bind_int64(st, 1, (int64_t)r->seq);
        sqlite3_bind_int64(st, 2, r->room);
        sqlite3_bind_int64(st, 3, (int64_t)r->t);
        sqlite3_bind_int(st, 4, r->kind);
        sqlite3_bind_int64(st, 5, r->player);
        sqlite3_bind_int(st, 6, r->a);
        sqlite3_bind_int(st, 7, r->b);
        break;
    case R_ANSWER:
        sqlite3_bind_int64(st, 1, r->room);
        sqlite3_bind_int64(st, 2, r->player);
        sqlite3_bind_int(st, 3, r->a);
        sqlite3_bind_int64(st, 4, (int64_t)r->seq);
        sqlite3_bind_int64(st, 5, (int64_t)r->t);
        sqlite3_bind_int(st, 6, r->b);
        sqlite3_bind_int64(st, 7, r->x);
        sqlite3_bind_int64(st, 8, r->u);
        break;
    case R_SCORES:
        sqlite3_bind_int64(st, 1, r->room);
        sqlite3_bind_int(st, 2, r->a);
        sqlite3_bind_blob(st, 3, sv[3] + r->slen[3], (int)r->u, SQLITE_STATIC);
        break;
    case R_PHASE:
    case R_FINISH:
        sqlite3_bind_int64(st, 1, r->room);
        TXT(2, 0);
        if (r->type == R_FINISH) {
            sqlite3_bind_int64(st, 3, r->x);
            sqlite3_bind_int(st, 4, r->a);
        } else {
            sqlite3_bind_int(st, 3, r->a);
        }
        break;
    case R_RESULT:
        sqlite3_bind_int64(st, 1, r->room);
        sqlite3_bind_int64(st, 2, r->player);
        sqlite3_bind_int(st, 3, r->a);
        sqlite3_bind_int64(st, 4, r->x);
        sqlite3_bind_int(st, 5, r->b);
        sqlite3_bind_int64(st, 6, r->u);
        break;
    }
#undef TXT
    int rc = sqlite3_step(st);   /* every parameter is bound anew each time: no clear */
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int step_reset(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static size_t rec_size(const struct rec *r)
{
    size_t n = sizeof *r + r->slen[0] + r->slen[1] + r->slen[2] + r->slen[3];
    if (r->type == R_ROOM || r->type == R_SCORES)
        n += r->u;   /* the settings JSON or the scores, after the strings */
    return (n + 7) & ~(size_t)7;
}

/* Ends the transaction a batch opened: the clock row (when asked), then
 * COMMIT while everything went well, else ROLLBACK if one is open.
 * Returns rc, or the first error of the clock or the commit. */
static int end_tx(struct store *s, int rc, bool write_clock, uint64_t clock)
{
    if (rc == SQLITE_OK && write_clock) {
        sqlite3_bind_int64(s->clock, 1, (int64_t)clock);
        rc = step_reset(s->clock);
    }
    if (rc == SQLITE_OK)
        rc = step_reset(s->commit);
    if (rc != SQLITE_OK && !sqlite3_get_autocommit(s->db))
        step_reset(s->rollback);
    return rc;
}

/* One transaction for the whole batch, then the clock. Returns the SQLite
 * error code of the first failure, or SQLITE_OK. */
static int write_batch(struct store *s, const struct buf *b, uint64_t clock, uint32_t lost_upto)
{
    int rc = step_reset(s->begin);
    for (size_t off = 0; rc == SQLITE_OK && off < b->len;) {
        struct rec r;
        memcpy(&r, b->p + off, sizeof r);
        if (r.room > lost_upto)   /* a lost room's later records are dropped */
            rc = bind_rec(s, &r, (const char *)b->p + off + sizeof r);
        off += rec_size(&r);
    }
    return end_tx(s, rc, clock != 0, clock);
}

/* Errors worth another attempt with the same batch: the lock is held (an
 * external `sqlite3 .backup`), the disk is full (space may be freed), an
 * I/O error (a flaky disk). Anything else (a constraint, corruption) is not. */
static bool transient(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY: case SQLITE_LOCKED: case SQLITE_FULL: case SQLITE_IOERR: return true;
    default: return false;
    }
}

static uint32_t max_room_of(const struct buf *b, uint32_t max)
{
    for (size_t off = 0; off < b->len;) {
        struct rec r;
        memcpy(&r, b->p + off, sizeof r);
        if (r.room > max)
            max = r.room;
        off += rec_size(&r);
    }
    return max;
}

/* Once failed: the rooms whose records were dropped are finished as
 * "unsaved" (so the next start does not resume them with a hole), with the
 * clock. SQLITE_OK when it was written. */
static int mark_lost(struct store *s, uint32_t upto, int64_t epoch_ms, uint64_t clock)
{
    int rc = step_reset(s->begin);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(s->mark_lost, 1, epoch_ms);
        sqlite3_bind_int64(s->mark_lost, 2, upto);
        rc = step_reset(s->mark_lost);
    }
    return end_tx(s, rc, true, clock);
}

static int64_t epoch_ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The writer. A batch that fails with a transient error is kept (what
 * arrives meanwhile is added behind it) and retried with backoff for
 * retry_ms: nothing is settled meanwhile, so what waits for it stays held.
 * Past that, or on any other error, the store is failed: the batch is
 * dropped and settled (not committed), and every later record too, until
 * the lost rooms could be marked (mark_lost, tried every STORE_PROBE_MS). */
static void *writer_main(void *arg)
{
    struct store *s = arg;
    struct buf w = {0};             /* the batch being written (kept across retries) */
    uint64_t last_clock_write = 0, retry_since = 0, last_probe = 0, last_commit_us = 0;
    unsigned backoff = 0;
    uint32_t max_room = 0, lost_upto = 0;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        /* Sleeps until records arrive or the stop, at most the clock period
         * (the probe period once failed); while retrying, the whole backoff
         * (stopping included: a full disk is not retried in a tight loop). */
        unsigned wait_ms = backoff ? backoff : s->failed ? STORE_PROBE_MS : STORE_CLOCK_MS;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)wait_ms * 1000000;
        ts.tv_sec += ts.tv_nsec / 1000000000;
        ts.tv_nsec %= 1000000000;
        while (backoff || (!s->pending.len && !s->stop))
            if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT)
                break;   /* time to retry, to probe, or to record the clock */
        /* Group commit: at most one transaction per STORE_COMMIT_GAP_US.
         * Under load everything that arrives meanwhile joins the next one
         * (without the gap, each loop iteration's few records were a
         * transaction, with its locks, WAL writes and two context switches);
         * an isolated record is written at once. Not while retrying: the
         * backoff is the wait then. */
        uint64_t since = mono_us() - last_commit_us;
        if (!s->stop && !backoff && s->pending.len && since < STORE_COMMIT_GAP_US) {
            pthread_mutex_unlock(&s->mu);
            struct timespec gap = {0, (long)(STORE_COMMIT_GAP_US - since) * 1000};
            nanosleep(&gap, NULL);
            pthread_mutex_lock(&s->mu);
        }
        last_commit_us = mono_us();
        bool stopping = s->stop;
        if (!w.len) {                /* swap: the loop gets the empty buffer */
            struct buf t = s->pending;
            s->pending = w;
            w = t;
        } else if (s->pending.len) { /* behind the batch being retried */
            if (w.len + s->pending.len > w.cap) {
                w.cap = (w.len + s->pending.len) * 2;
                w.p = xrealloc(w.p, w.cap);
            }
            memcpy(w.p + w.len, s->pending.p, s->pending.len);
            w.len += s->pending.len;
        }
        s->pending.len = 0;
        uint64_t upto = s->seq_appended;
        bool failed = s->failed;
        int64_t off = s->clock_offset;
        bool clock_wanted = s->clock_wanted;
        pthread_mutex_unlock(&s->mu);

        uint64_t now = mono_ms();
        uint64_t clock = (uint64_t)((int64_t)now + off);
        /* every STORE_CLOCK_MS while a deadline runs (an open question
         * keeps the time it had left), in the batch's transaction when
         * there is one, and at the stop; an idle server writes nothing.
         * Not with every batch: a restart never resumes before the last
         * recorded event anyway (store_open), and that row was one more
         * page (two pwrite) in every commit (issue 12). */
        bool want_clock = stopping || ((w.len || clock_wanted) &&
                                       now - last_clock_write >= STORE_CLOCK_MS);
        int rc = SQLITE_OK;
        double ms = 0;
        bool commit = false, drop = false, recovered = false, clock_only = false;
        if (failed) {
            max_room = max_room_of(&w, max_room);
            drop = w.len > 0;
            if (stopping || now - last_probe >= STORE_PROBE_MS) {
                last_probe = now;
                if (mark_lost(s, max_room, epoch_ms_now(), clock) == SQLITE_OK) {
                    recovered = true;
                    lost_upto = max_room;
                    last_clock_write = now;
                    log_warn("store_recovered lost_rooms_upto=%u (marked unsaved; new rooms are"
                             " saved again)", lost_upto);
                }
            }
        } else if (w.len || want_clock) {
            struct timespec a, z;
            clock_gettime(CLOCK_MONOTONIC, &a);
            rc = write_batch(s, &w, want_clock ? clock : 0, lost_upto);
            clock_gettime(CLOCK_MONOTONIC, &z);
            ms = (double)(z.tv_sec - a.tv_sec) * 1e3 + (double)(z.tv_nsec - a.tv_nsec) / 1e6;
            if (rc == SQLITE_OK) {
                commit = w.len > 0;
                clock_only = !commit;
                if (want_clock)
                    last_clock_write = now;
                if (retry_since)
                    log_warn("store_write_recovered after_ms=%llu",
                             (unsigned long long)(now - retry_since));
                retry_since = 0;
                backoff = 0;
            } else if (transient(rc) && (!retry_since || now - retry_since < s->retry_ms) &&
                       w.len <= STORE_RETRY_MAX_BYTES) {
                if (!retry_since)
                    log_warn("store_write_retry err=\"%s\" bytes=%zu (kept; acks wait)",
                             sqlite3_errstr(rc), w.len);
                retry_since = retry_since ? retry_since : now;
                backoff = backoff ? backoff * 2 : 20;
                if (backoff > STORE_RETRY_MAX_BACKOFF_MS)
                    backoff = STORE_RETRY_MAX_BACKOFF_MS;
            } else {
                log_err("store_write_failed err=\"%s\" bytes=%zu (results are no longer saved)",
                        sqlite3_errstr(rc), w.len);
                max_room = max_room_of(&w, max_room);
                drop = true;
                retry_since = 0;
                backoff = 0;
                last_probe = now;   /* the first probe a period from now */
            }
        }
        bool keep = rc != SQLITE_OK && backoff;   /* retried next round */
        if (!keep)
            w.len = 0;

        pthread_mutex_lock(&s->mu);
        uint64_t before = s->seq_settled;
        bool was_failed = s->failed;
        if (keep)
            s->stats.retries++;
        if (clock_only)
            s->stats.clock_writes++;
        if (commit) {
            s->stats.commits++;
            metrics_hist_observe(&s->stats.commit_s, ms / 1e3);
            s->seq_committed = upto;
        }
        if (drop) {
            s->failed = true;
            s->stats.failures++;   /* a batch not written: counted, never silent */
        }
        if (recovered)
            s->failed = false;
        if (!keep)
            s->seq_settled = upto;
        bool moved = s->seq_settled != before || s->failed != was_failed;
        if (stopping && !s->pending.len && !keep)
            break;
        if (moved && s->notify)
            s->notify(s->notify_arg);   /* under mu: store_stop_notify waits for it */
        if (commit && s->wal_backfilled) {   /* after the acks: see store_wal_backfilled */
            s->wal_backfilled = false;
            pthread_mutex_unlock(&s->mu);
            int rc_ck = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
                                                  NULL);
            if (rc_ck != SQLITE_OK && rc_ck != SQLITE_BUSY)
                log_warn("checkpoint_failed err=\"%s\"", sqlite3_errmsg(s->db));
            pthread_mutex_lock(&s->mu);
        }
    }
    pthread_mutex_unlock(&s->mu);
    free(w.p);
    return NULL;
}

void store_start(struct store *s, void (*notify)(void *arg), void *arg)
{
    s->notify = notify;
    s->notify_arg = arg;
    s->running = true;
    if (pthread_create(&s->thread, NULL, writer_main, s)) {
        log_err("store_thread_failed");
        abort();
    }
}

void store_stop_notify(struct store *s)
{
    pthread_mutex_lock(&s->mu);
    s->notify = NULL;
    pthread_mutex_unlock(&s->mu);
}

void store_flush(struct store *s)
{
    if (!s->local.len)
        return;
    pthread_mutex_lock(&s->mu);
    bool wake = !s->pending.len;
    if (!s->pending.len) {   /* hand the batch over: swap the buffers */
        struct buf t = s->pending;
        s->pending = s->local;
        s->local = t;
    } else {                 /* the writer has not taken the last one yet: add to it */
        struct buf *b = &s->pending;
        if (b->len + s->local.len > b->cap) {
            b->cap = (b->len + s->local.len) * 2;
            b->p = xrealloc(b->p, b->cap);
        }
        memcpy(b->p + b->len, s->local.p, s->local.len);
        b->len += s->local.len;
    }
    s->local.len = 0;
    s->seq_appended = s->seq_local;
    pthread_mutex_unlock(&s->mu);
    if (wake)
        pthread_cond_signal(&s->cv);
}

void store_close(struct store *s)
{
    if (!s)
        return;
    store_flush(s);
    if (s->running) {
        pthread_mutex_lock(&s->mu);
        s->stop = true;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    finalize_all(s);
    if (sqlite3_close(s->db) != SQLITE_OK)
        log_err("store_close_failed err=\"%s\"", sqlite3_errmsg(s->db));
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    close(s->lock_fd);   /* releases the directory */
    free(s->pending.p);
    free(s->local.p);
    free(s->path);
    free(s);
}

const char *store_path(const struct store *s)
{
    return s->path;
}

uint64_t store_last_clock(const struct store *s)
{
    return s->last_clock;
}

void store_set_clock_offset(struct store *s, int64_t offset_ms)
{
    pthread_mutex_lock(&s->mu);
    s->clock_offset = offset_ms;
    pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------------ */
/* appends (the loop)                                                  */

static uint64_t append(struct store *s, struct rec *r, const char *const str[4], const char *extra,
                       size_t extra_len, bool seq)
{
    size_t len[4];
    for (int i = 0; i < 4; i++) {
        len[i] = str[i] ? strlen(str[i]) : 0;
        if (len[i] > UINT16_MAX)
            len[i] = UINT16_MAX;   /* every string quizd stores is far shorter */
        r->slen[i] = (uint16_t)len[i];
    }
    if (r->type == R_ROOM || r->type == R_SCORES)
        r->u = (uint32_t)extra_len;
    size_t n = rec_size(r);
    struct buf *b = &s->local;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 65536;
        while (cap < b->len + n)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    uint64_t q = ++s->seq_local;
    if (seq)
        r->seq = q;
    unsigned char *p = b->p + b->len;
    memcpy(p, r, sizeof *r);
    p += sizeof *r;
    for (int i = 0; i < 4; i++) {
        memcpy(p, str[i] ? str[i] : "", len[i]);
        p += len[i];
    }
    if (extra_len)
        memcpy(p, extra, extra_len);
    b->len += n;
    return q;
}

uint32_t store_new_room_id(struct store *s)
{
    return s->next_room++;
}

uint64_t store_room(struct store *s, uint32_t room, const char *code, const char *host_hash,
                    const char *pack_id, const char *pack_hash, uint64_t seed,
                    const char *settings_json, int64_t created_epoch_ms)
{
    struct rec r = {.type = R_ROOM, .room = room, .t = seed, .x = created_epoch_ms};
    const char *str[4] = {code, host_hash, pack_id, pack_hash};
    return append(s, &r, str, settings_json, strlen(settings_json), false);
}

uint64_t store_question(struct store *s, uint32_t room, int index, const char *question_id,
                        const char *option_order)
{
    struct rec r = {.type = R_QUESTION, .room = room, .a = index};
    const char *str[4] = {question_id, option_order, NULL, NULL};
    return append(s, &r, str, NULL, 0, false);
}

uint64_t store_event(struct store *s, uint32_t room, enum store_ev kind, uint64_t t,
                     uint32_t player, int a, int b, const char *name, const char *token_hash)
{
    static const char *const none[4];
    if (kind == SEV_JOIN) {   /* the player's row: the join's replay reads it */
        struct rec p = {.type = R_PLAYER, .room = room, .player = player};
        const char *str[4] = {name, token_hash, NULL, NULL};
        append(s, &p, str, NULL, 0, false);
    }
    struct rec r = {.type = R_EVENT, .kind = (uint8_t)kind, .room = room, .player = player,
                    .a = a, .b = b, .t = t};
    return append(s, &r, none, NULL, 0, true);
}

uint64_t store_answer(struct store *s, uint32_t room, uint64_t t, uint32_t player, int index,
                      int choice, int64_t recv_epoch_ms, uint32_t time_ms)
{
    static const char *const none[4];
    struct rec r = {.type = R_ANSWER, .room = room, .player = player, .a = index, .b = choice,
                    .t = t, .x = recv_epoch_ms, .u = time_ms};
    return append(s, &r, none, NULL, 0, true);
}

uint64_t store_scores(struct store *s, uint32_t room, int index, const unsigned char *data,
                      size_t len)
{
    static const char *const none[4];
    struct rec r = {.type = R_SCORES, .room = room, .a = index};
    return append(s, &r, none, (const char *)data, len, false);
}

void store_score_pack(unsigned char out[STORE_SCORE_BYTES], uint32_t player, unsigned points,
                      bool correct)
{
    for (int i = 0; i < 4; i++)
        out[i] = (unsigned char)(player >> (8 * i));
    out[4] = (unsigned char)(points & 0xff);
    out[5] = (unsigned char)(points >> 8);
    out[6] = correct ? 1 : 0;
}

bool store_score_find(const unsigned char *data, size_t len, uint32_t player, unsigned *points,
                      bool *correct)
{
    size_t lo = 0, hi = len / STORE_SCORE_BYTES;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const unsigned char *e = data + mid * STORE_SCORE_BYTES;
        uint32_t id = (uint32_t)e[0] | (uint32_t)e[1] << 8 | (uint32_t)e[2] << 16 |
                      (uint32_t)e[3] << 24;
        if (id == player) {
            *points = (unsigned)e[4] | (unsigned)e[5] << 8;
            *correct = e[6] != 0;
            return true;
        }
        if (id < player)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

uint64_t store_phase(struct store *s, uint32_t room, const char *phase, int played)
{
    struct rec r = {.type = R_PHASE, .room = room, .a = played};
    const char *str[4] = {phase, NULL, NULL, NULL};
    return append(s, &r, str, NULL, 0, false);
}

uint64_t store_finish(struct store *s, uint32_t room, const char *phase, int played,
                      int64_t epoch_ms)
{
    struct rec r = {.type = R_FINISH, .room = room, .x = epoch_ms, .a = played};
    const char *str[4] = {phase, NULL, NULL, NULL};
    return append(s, &r, str, NULL, 0, false);
}

uint64_t store_result(struct store *s, uint32_t room, unsigned rank, uint32_t player,
                      int64_t score, unsigned correct, unsigned best_streak)
{
    static const char *const none[4];
    struct rec r = {.type = R_RESULT, .room = room, .player = player, .a = (int32_t)rank,
                    .b = (int32_t)correct, .x = score, .u = best_streak};
    return append(s, &r, none, NULL, 0, false);
}

uint64_t store_appended(struct store *s)
{
    return s->seq_local;
}

uint64_t store_committed(struct store *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t v = s->seq_committed;
    pthread_mutex_unlock(&s->mu);
    return v;
}

uint64_t store_settled(struct store *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t v = s->seq_settled;
    pthread_mutex_unlock(&s->mu);
    return v;
}

void store_clock_wanted(struct store *s, bool wanted)
{
    pthread_mutex_lock(&s->mu);
    s->clock_wanted = wanted;
    pthread_mutex_unlock(&s->mu);
}

bool store_failed(struct store *s)
{
    pthread_mutex_lock(&s->mu);
    bool v = s->failed;
    pthread_mutex_unlock(&s->mu);
    return v;
}

void store_wal_backfilled(struct store *s)
{
    pthread_mutex_lock(&s->mu);
    s->wal_backfilled = true;
    pthread_mutex_unlock(&s->mu);
}

void store_stats(struct store *s, struct store_stats *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->stats;
    pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------------ */
/* restore                                                             */

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

int store_load(struct store *s, const struct store_loader *l)
{
    sqlite3_stmt *rooms = NULL, *evs = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, code, host_hash, pack_id, pack_hash, seed, settings FROM rooms"
                           " WHERE finished_at IS NULL ORDER BY id", -1, &rooms, NULL) ||
        sqlite3_prepare_v2(s->db,
                           "SELECT e.seq, e.t, e.kind, e.player, e.a, e.b, p.name, p.token_hash"
                           " FROM events e LEFT JOIN players p ON e.kind = 1 AND p.room = e.room"
                           " AND p.player = e.player WHERE e.room = ?1"
                           " UNION ALL SELECT seq, t, 5, player, idx, choice, NULL, NULL"
                           " FROM answers WHERE room = ?1 ORDER BY 1", -1, &evs, NULL)) {
        log_err("store_load_failed err=\"%s\"", sqlite3_errmsg(s->db));
        goto out;
    }
    int step;
    while ((step = sqlite3_step(rooms)) == SQLITE_ROW) {
        struct store_room_row r = {
            .id = (uint32_t)sqlite3_column_int64(rooms, 0),
            .code = col_text(rooms, 1), .host_hash = col_text(rooms, 2),
            .pack_id = col_text(rooms, 3), .pack_hash = col_text(rooms, 4),
            .seed = (uint64_t)sqlite3_column_int64(rooms, 5), .settings_json = col_text(rooms, 6),
        };
        void *h = l->on_room(l->arg, &r);
        if (!h)
            continue;
        sqlite3_bind_int64(evs, 1, r.id);
        while ((step = sqlite3_step(evs)) == SQLITE_ROW) {
            struct store_event_row e = {
                .t = (uint64_t)sqlite3_column_int64(evs, 1),
                .kind = (enum store_ev)sqlite3_column_int(evs, 2),
                .player = (uint32_t)sqlite3_column_int64(evs, 3),
                .a = sqlite3_column_int(evs, 4), .b = sqlite3_column_int(evs, 5),
                .name = col_text(evs, 6), .token_hash = col_text(evs, 7),
            };
            l->on_event(l->arg, h, &e);
        }
        sqlite3_reset(evs);
        l->on_done(l->arg, h);
        if (step != SQLITE_DONE)
            break;
    }
    if (step != SQLITE_DONE) {
        log_err("store_load_failed err=\"%s\"", sqlite3_errmsg(s->db));
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(rooms);
    sqlite3_finalize(evs);
    return rc;
}
