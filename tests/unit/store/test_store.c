/* The store: schema, group commit on the writer thread, restore reads,
 * refusal of damaged or newer databases. */
#include "store/export.h"
#include "store/store.h"
#include "test.h"

#include <jansson.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/qz-store-XXXXXX");
    ASSERT(mkdtemp(dir));
    ASSERT_OK(rmdir(dir));   /* store_open creates it, owner-only */
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ASSERT_OK(system(cmd));
}

static struct store *open_store(void)
{
    struct store_options o = {.dir = dir, .keep_days = STORE_KEEP_DAYS,
                              .epoch_ms = (int64_t)time(NULL) * 1000};
    char why[256] = "";
    struct store *s = store_open(&o, why, sizeof why);
    if (!s)
        FAIL_AT("store_open: %s", why);
    return s;
}

/* The writer's notify wakes this waiter. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static unsigned notified;

static void on_commit(void *arg)
{
    pthread_mutex_lock(&mu);
    notified++;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

static void wait_committed(struct store *s, uint64_t seq)
{
    store_flush(s);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 20;
    pthread_mutex_lock(&mu);
    while (store_committed(s) < seq)
        if (pthread_cond_timedwait(&cv, &mu, &ts))
            break;
    pthread_mutex_unlock(&mu);
    ASSERT_GE(store_committed(s), seq);
}

struct seen {
    unsigned rooms, events, answers, joins;
    uint32_t room_id;
    char code[16], name[32], token[80];
    uint64_t seed, last_t;
};

static void *on_room(void *arg, const struct store_room_row *r)
{
    struct seen *v = arg;
    v->rooms++;
    v->room_id = r->id;
    v->seed = r->seed;
    snprintf(v->code, sizeof v->code, "%s", r->code);
    return v;
}

static void on_event(void *arg, void *room, const struct store_event_row *e)
{
    struct seen *v = room;
    ASSERT_GE(e->t, v->last_t);   /* in order */
    v->last_t = e->t;
    v->events++;
    if (e->kind == SEV_ANSWER)
        v->answers++;
    if (e->kind == SEV_JOIN) {
        v->joins++;
        snprintf(v->name, sizeof v->name, "%s", e->name);
        snprintf(v->token, sizeof v->token, "%s", e->token_hash);
    }
}

static void on_done(void *arg, void *room)
{
}

/* The writer's figures, one snapshot. */
static struct store_stats stats_of(struct store *s)
{
    struct store_stats st;
    store_stats(s, &st);
    return st;
}

static void test_write_then_restore(void)
{
    make_dir();
    struct store *s = open_store();
    struct stat sb;
    ASSERT_OK(stat(dir, &sb));
    ASSERT_EQ(sb.st_mode & 0777, 0700);
    store_start(s, on_commit, NULL);
    uint32_t id = store_new_room_id(s);
    char th[STORE_HASH_HEX + 1];
    store_hash_hex("secret", 6, th);
    store_room(s, id, "ABCDEF", th, "pack", "ph", 42, "{\"count\":3}", 1000);
    store_question(s, id, 0, "q1", "2103");
    store_event(s, id, SEV_JOIN, 10, 1, 0, 0, "Ada", th);
    store_event(s, id, SEV_START, 20, 0, 0, 0, NULL, NULL);
    uint64_t last = 0;
    for (int i = 0; i < 3; i++)
        last = store_answer(s, id, 30 + (uint64_t)i, 1, i, 2, 5000, 123);
    unsigned char sc[2 * STORE_SCORE_BYTES];
    store_score_pack(sc, 1, 900, true);
    store_score_pack(sc + STORE_SCORE_BYTES, 7, 0, false);
    store_scores(s, id, 0, sc, sizeof sc);
    unsigned pts;
    bool ok;
    ASSERT(store_score_find(sc, sizeof sc, 1, &pts, &ok) && pts == 900 && ok);
    ASSERT(store_score_find(sc, sizeof sc, 7, &pts, &ok) && pts == 0 && !ok);
    ASSERT(!store_score_find(sc, sizeof sc, 3, &pts, &ok));
    /* a finished room is not restored */
    uint32_t done = store_new_room_id(s);
    store_room(s, done, "GHIJKL", th, "pack", "ph", 7, "{}", 1000);
    store_finish(s, done, "finished", 0, 2000);
    wait_committed(s, store_appended(s));
    ASSERT_GE(stats_of(s).commits, 1);
    ASSERT(!store_failed(s));
    store_close(s);

    s = open_store();
    ASSERT_GE(store_last_clock(s), 1);   /* the writer recorded the clock at close */
    struct seen v = {0};
    struct store_loader l = {.arg = &v, .on_room = on_room, .on_event = on_event,
                             .on_done = on_done};
    ASSERT_OK(store_load(s, &l));
    ASSERT_EQ(v.rooms, 1);
    ASSERT_EQ(v.room_id, id);
    ASSERT_STR_EQ(v.code, "ABCDEF");
    ASSERT_EQ(v.seed, 42);
    ASSERT_EQ(v.joins, 1);
    ASSERT_EQ(v.answers, 3);
    ASSERT_EQ(v.events, 5);
    ASSERT_STR_EQ(v.name, "Ada");
    ASSERT_STR_EQ(v.token, th);
    ASSERT_NE(store_new_room_id(s), id);   /* ids continue after the last run's */
    /* new sequence numbers continue too */
    store_start(s, on_commit, NULL);
    ASSERT(store_event(s, id, SEV_NEXT, 40, 0, 0, 0, NULL, NULL) > last);
    store_close(s);
    remove_dir();
}

/* 10,000 answers appended at once are written in a handful of transactions. */
static void test_group_commit(void)
{
    make_dir();
    struct store *s = open_store();
    store_start(s, on_commit, NULL);
    uint32_t id = store_new_room_id(s);
    store_room(s, id, "ABCDEF", "h", "pack", "ph", 1, "{}", 0);
    uint64_t last = 0;
    for (uint32_t p = 1; p <= 10000; p++)
        last = store_answer(s, id, 100, p, 0, (int)(p % 4), 0, p);
    wait_committed(s, last);
    ASSERT_LE(stats_of(s).commits, 100);
    fprintf(stderr, "10000 answers in %llu transactions\n",
            (unsigned long long)stats_of(s).commits);
    store_close(s);
    sqlite3 *db;
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, STORE_DB_NAME);
    ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM answers", -1, &st, NULL), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    ASSERT_EQ(sqlite3_column_int(st, 0), 10000);
    sqlite3_finalize(st);
    sqlite3_close(db);
    remove_dir();
}

static void expect_refused(const char *contains)
{
    struct store_options o = {.dir = dir};
    char why[256] = "";
    struct store *s = store_open(&o, why, sizeof why);
    ASSERT(!s);
    ASSERT_CONTAINS(why, contains);
}

static void test_refuses_damaged_and_newer(void)
{
    make_dir();
    store_close(open_store());
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, STORE_DB_NAME);
    /* a newer schema */
    sqlite3 *db;
    ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    expect_refused("newer");
    /* a truncated file */
    ASSERT_OK(truncate(path, 100));
    expect_refused("damaged");
    /* not a directory */
    remove_dir();
    FILE *f = fopen(dir, "w");
    ASSERT(f);
    fclose(f);
    expect_refused("not a directory");
    ASSERT_OK(unlink(dir));
}

static long long db_int(const char *sql);
/* Opens dir as shard `shard` ('\0' = none): the store, or NULL with the
 * reason in why[512]. */
static struct store *open_as(char shard, char *why)
{
    struct store_options o = {.dir = dir, .shard = shard};
    why[0] = '\0';
    return store_open(&o, why, 512);
}

static void db_exec(const char *sql)
{
    char path[128], *err = NULL;
    snprintf(path, sizeof path, "%s/%s", dir, STORE_DB_NAME);
    sqlite3 *db;
    ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        FAIL_AT("%s: %s", sql, err);
    sqlite3_close(db);
}

/* Issue 14: the first quizd to open a database records its --shard; one
 * with another shard (or none, or none where there was one) is refused with
 * the way out, because its restored rooms' codes would be routed elsewhere.
 * A version-3 database is migrated and claimed unless it holds a room whose
 * code does not start with the shard's id; the migration is skipped where
 * the table is already there. */
static void test_shard_is_recorded_and_checked(void)
{
    char why[512];
    struct store *s;
    make_dir();
    ASSERT((s = open_as('A', why)));
    store_close(s);
    ASSERT_EQ(db_int("SELECT count(*) FROM identity WHERE key = 'shard' AND value = 'A'"), 1);
    ASSERT(!open_as('B', why));
    ASSERT_CONTAINS(why, "written by shard A");
    ASSERT_CONTAINS(why, "--shard A");
    ASSERT_CONTAINS(why, "data directory of its own");
    ASSERT(!open_as('\0', why));
    ASSERT_CONTAINS(why, "written by shard A");
    ASSERT((s = open_as('A', why)));   /* the same shard again */
    store_close(s);
    remove_dir();

    make_dir();
    ASSERT((s = open_as('\0', why)));
    store_close(s);
    ASSERT_EQ(db_int("SELECT count(*) FROM identity WHERE key = 'shard' AND value = ''"), 1);
    ASSERT(!open_as('Q', why));
    ASSERT_CONTAINS(why, "without --shard");
    ASSERT((s = open_as('\0', why)));
    store_close(s);

    /* Version 3 (no record) with a room of shard A. */
    db_exec("DROP TABLE identity; PRAGMA user_version = 3;"
            "INSERT INTO rooms(id, code, host_hash, pack_id, pack_hash, seed, settings, created_at)"
            " VALUES(1, 'ABCDEF', 'h', 'p', 'ph', 1, '{}', 1000);");
    ASSERT(!open_as('B', why));
    ASSERT_CONTAINS(why, "room ABCDEF");
    ASSERT_EQ(db_int("SELECT count(*) FROM identity"), 0);   /* migrated, not claimed */
    ASSERT((s = open_as('A', why)));
    store_close(s);
    ASSERT_EQ(db_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
    ASSERT_EQ(db_int("SELECT count(*) FROM identity WHERE key = 'shard' AND value = 'A'"), 1);
    /* Version 3 that already has the table (and its row): skipped, kept. */
    db_exec("PRAGMA user_version = 3;");
    ASSERT((s = open_as('A', why)));
    store_close(s);
    ASSERT_EQ(db_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
    ASSERT(!open_as('B', why));
    remove_dir();
}

static uint64_t mono_ms(void);

/* Until `cond` holds for s (the writer's notify wakes the wait); bounded. */
static void wait_until(struct store *s, bool (*cond)(struct store *s, uint64_t arg), uint64_t arg)
{
    store_flush(s);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 20;
    pthread_mutex_lock(&mu);
    while (!cond(s, arg)) {
        /* the notify comes only when something settles: wake at least
         * every 50 ms to look again (bounded by ts) */
        struct timespec now, step;
        clock_gettime(CLOCK_REALTIME, &now);
        if (now.tv_sec > ts.tv_sec || (now.tv_sec == ts.tv_sec && now.tv_nsec >= ts.tv_nsec))
            break;
        step = now;
        step.tv_nsec += 50000000;
        step.tv_sec += step.tv_nsec / 1000000000;
        step.tv_nsec %= 1000000000;
        pthread_cond_timedwait(&cv, &mu, &step);
    }
    pthread_mutex_unlock(&mu);
    ASSERT(cond(s, arg));
}

static bool settled_to(struct store *s, uint64_t seq) { return store_settled(s) >= seq; }
static bool retried(struct store *s, uint64_t n) { return stats_of(s).retries >= n; }
static bool not_failed(struct store *s, uint64_t unused) { (void)unused; return !store_failed(s); }

/* Past --data-max-mb writes fail like a full disk: retried, then counted,
 * flagged, and settled (not committed) so the game goes on. */
static void test_full_is_loud(void)
{
    make_dir();
    struct store_options o = {.dir = dir, .max_mb = 1, .retry_ms = 50};
    char why[256];
    struct store *s = store_open(&o, why, sizeof why);
    ASSERT(s);
    store_start(s, on_commit, NULL);
    uint32_t id = store_new_room_id(s);
    char big[4000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    uint64_t last = 0;
    for (int i = 0; i < 600; i++)
        last = store_question(s, id, i, big, "0123");
    wait_until(s, settled_to, last);
    ASSERT(store_failed(s));
    ASSERT_GE(stats_of(s).failures, 1);
    ASSERT_GE(stats_of(s).retries, 1);     /* retried before giving up */
    ASSERT(store_committed(s) < last);  /* dropped, never reported as committed */
    store_close(s);
    remove_dir();
}

/* A write lock held elsewhere (an external `sqlite3 .backup`) past the busy
 * timeout: the batch is kept and retried, nothing is settled meanwhile
 * (what waits for it stays held), and it commits once the lock goes. */
static void test_busy_is_retried(void)
{
    make_dir();
    struct store_options o = {.dir = dir, .busy_ms = 20, .retry_ms = 60000};
    char why[256];
    struct store *s = store_open(&o, why, sizeof why);
    ASSERT(s);
    store_start(s, on_commit, NULL);
    sqlite3 *other;
    ASSERT_EQ(sqlite3_open(store_path(s), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    uint32_t id = store_new_room_id(s);
    store_room(s, id, "ABCDEF", "h", "p", "ph", 1, "{}", 0);
    uint64_t seq = store_answer(s, id, 10, 1, 0, 2, 0, 100);
    wait_until(s, retried, 3);
    ASSERT(store_settled(s) < seq);
    ASSERT(store_committed(s) < seq);
    ASSERT(!store_failed(s));
    ASSERT_EQ(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    wait_committed(s, seq);
    ASSERT(!store_failed(s));
    ASSERT_EQ(stats_of(s).failures, 0);
    sqlite3_close(other);
    store_close(s);
    ASSERT_EQ(db_int("SELECT count(*) FROM answers"), 1);
    remove_dir();
}

static bool is_failed(struct store *s, uint64_t unused) { (void)unused; return store_failed(s); }

/* A batch kept for retries is bounded: past STORE_RETRY_MAX_BYTES the store
 * gives up at once (fails loudly) instead of growing while the lock is held. */
static void test_retry_batch_is_bounded(void)
{
    make_dir();
    struct store_options o = {.dir = dir, .busy_ms = 20, .retry_ms = 600000};
    char why[256];
    struct store *s = store_open(&o, why, sizeof why);
    ASSERT(s);
    store_start(s, on_commit, NULL);
    sqlite3 *other;
    ASSERT_EQ(sqlite3_open(store_path(s), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    uint32_t id = store_new_room_id(s);
    store_room(s, id, "ABCDEF", "h", "p", "ph", 1, "{}", 0);
    wait_until(s, retried, 1);
    static char big[4001];
    memset(big, 'x', sizeof big - 1);
    for (unsigned i = 0; i * 4000 <= STORE_RETRY_MAX_BYTES + 4000; i++) {
        store_question(s, id, (int)i, big, "0123");
        if (i % 1024 == 0)
            store_flush(s);
    }
    wait_until(s, is_failed, 0);
    ASSERT(store_committed(s) < store_appended(s));
    ASSERT_EQ(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    store_close(s);
    remove_dir();
}

/* The disk stays full past the retries: the store fails; once space is
 * free again it marks the rooms whose records were dropped as finished
 * "unsaved" (never resumed with a hole), drops their later records, and
 * saves the rooms created after that. */
static void test_failed_store_marks_lost_rooms_and_recovers(void)
{
    make_dir();
    struct store_options o = {.dir = dir, .max_mb = 1, .retry_ms = 50};
    char why[256];
    struct store *s = store_open(&o, why, sizeof why);
    ASSERT(s);
    store_start(s, on_commit, NULL);
    uint32_t saved = store_new_room_id(s);
    store_room(s, saved, "SAVED1", "h", "p", "ph", 1, "{}", 0);
    wait_committed(s, store_appended(s));
    uint32_t lost = store_new_room_id(s);
    store_room(s, lost, "LOST11", "h", "p", "ph", 1, "{}", 0);
    char big[4000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    uint64_t last = 0;
    for (int i = 0; i < 600; i++)
        last = store_question(s, saved, i, big, "0123");
    wait_until(s, settled_to, last);
    ASSERT(store_failed(s));
    /* space comes back: the committed pages of `saved`'s questions are freed */
    sqlite3 *other;
    ASSERT_EQ(sqlite3_open(store_path(s), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "DELETE FROM questions", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    store_phase(s, saved, "question", 0);   /* dropped: its room lost records */
    wait_until(s, not_failed, 0);
    store_phase(s, lost, "question", 0);    /* dropped too */
    uint32_t fresh = store_new_room_id(s);
    store_room(s, fresh, "FRESH1", "h", "p", "ph", 1, "{}", 0);
    wait_committed(s, store_appended(s));
    ASSERT(!store_failed(s));
    store_close(s);
    ASSERT_EQ(db_int("SELECT count(*) FROM rooms WHERE phase = 'unsaved' AND finished_at IS NOT NULL"
                     " AND code = 'SAVED1'"), 1);
    /* LOST11's row was never written: nothing of it can be resumed */
    ASSERT_EQ(db_int("SELECT count(*) FROM rooms WHERE code = 'LOST11'"), 0);
    ASSERT_EQ(db_int("SELECT count(*) FROM rooms WHERE code = 'FRESH1' AND finished_at IS NULL"), 1);
    remove_dir();
}

static void test_pack_hash(void)
{
    struct qz_pack *p = qz_pack_create("p", "t", "s");
    struct qz_question *q = qz_pack_add(p);
    q->id = strdup("a");
    q->prompt = strdup("1+1?");
    q->options[0] = strdup("2");
    q->options[1] = strdup("3");
    q->n_options = 2;
    char h1[STORE_HASH_HEX + 1], h2[STORE_HASH_HEX + 1];
    store_pack_hash(p, h1);
    free(q->options[1]);
    q->options[1] = strdup("4");
    store_pack_hash(p, h2);
    ASSERT(strcmp(h1, h2));
    ASSERT_EQ(strlen(h1), STORE_HASH_HEX);
    qz_pack_destroy(p);
    store_hash_hex("abc", 3, h1);
    ASSERT_STR_EQ(h1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* jansson's allocations, counted: what an export leaves allocated. */
static long json_live;

static void *count_malloc(size_t n)
{
    void *p = malloc(n);
    json_live += p != NULL;
    return p;
}

static void count_free(void *p)
{
    json_live -= p != NULL;
    free(p);
}

/* Every error reply (404 no room, 403 wrong token) leaves nothing behind
 * but its body: a request without the right token must not leak. */
static void test_export_errors_do_not_leak(void)
{
    make_dir();
    struct store *s = open_store();
    store_start(s, on_commit, NULL);
    uint32_t id = store_new_room_id(s);
    char th[STORE_HASH_HEX + 1];
    store_hash_hex("host-token", 10, th);
    store_room(s, id, "ABCDEF", th, "pack", "ph", 1, "{}", 1000);
    wait_committed(s, store_appended(s));
    sqlite3 *db;
    ASSERT_EQ(sqlite3_open_v2(store_path(s), &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    json_set_alloc_funcs(count_malloc, count_free);
    static const struct { const char *code, *token; unsigned status; } cases[] = {
        {"ZZZZZZ", "host-token", 404}, {"ABCDEF", "other-token", 403},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int kind = EXPORT_RESULTS_JSON; kind <= EXPORT_REVIEW; kind++) {
            struct export_query q = {.kind = (enum export_kind)kind};
            snprintf(q.code, sizeof q.code, "%s", cases[i].code);
            snprintf(q.token, sizeof q.token, "%s", cases[i].token);
            long before = json_live;
            export_run(db, NULL, 0, &q);
            ASSERT_EQ(q.status, cases[i].status);
            ASSERT(q.body);
            ASSERT_CONTAINS(q.body, "\"error\"");
            count_free(q.body);   /* the body is jansson's (json_dumps) */
            ASSERT_EQ(json_live, before);
        }
    }
    json_set_alloc_funcs(malloc, free);
    sqlite3_close(db);
    store_close(s);
    remove_dir();
}

/* The version-1 schema as the first commits of issue 12 created it, before
 * rooms had `played` (a fixture: the store's own migrations must not be used). */
static const char v1_schema[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "CREATE TABLE rooms(id INTEGER PRIMARY KEY, code TEXT NOT NULL, host_hash TEXT NOT NULL,"
    " pack_id TEXT NOT NULL, pack_hash TEXT NOT NULL, seed INTEGER NOT NULL,"
    " settings TEXT NOT NULL, created_at INTEGER NOT NULL, phase TEXT NOT NULL DEFAULT 'lobby',"
    " %s finished_at INTEGER);"
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
    " PRIMARY KEY(room, player)) WITHOUT ROWID;"
    "INSERT INTO rooms(id, code, host_hash, pack_id, pack_hash, seed, settings, created_at,"
    " phase, finished_at) VALUES(1, 'ABCDEF', 'h', 'p', 'ph', 1, 's', 1000, 'finished',"
    " CAST(strftime('%%s', 'now') AS INTEGER) * 1000);"
    "INSERT INTO answers VALUES(1, 1, 0, 1, 10, 2, 0, 100, 1, 900), (1, 1, 1, 2, 20, 0, 0, 100, 0, 0);"
    "PRAGMA user_version = 1;";

static long long db_int(const char *sql)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, STORE_DB_NAME);
    sqlite3 *db;
    sqlite3_stmt *st;
    ASSERT_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ASSERT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* A version-1 database, with or without `played` (both were made), and a
 * version-2 one with it, open and are migrated forward: the column is
 * there, filled from what was scored where it was missing, and the answers
 * are kept. */
static void test_v1_database_is_migrated(void)
{
    /* 0: version 1; 1: version 1 whose CREATE already had played; 2:
     * version 2 (the scores table) whose CREATE already had played. */
    for (int variant = 0; variant < 3; variant++) {
        int with_played = variant > 0;
        make_dir();
        ASSERT_OK(mkdir(dir, 0700));
        char path[128], sql[4096];
        snprintf(path, sizeof path, "%s/%s", dir, STORE_DB_NAME);
        snprintf(sql, sizeof sql, v1_schema,
                 with_played ? "played INTEGER NOT NULL DEFAULT 0," : "");
        sqlite3 *db;
        ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
        char *err = NULL;
        if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
            FAIL_AT("fixture: %s", err);
        if (variant == 2 &&   /* version 2 as bc52ad4 made it */
            sqlite3_exec(db, "CREATE TABLE scores(room INTEGER NOT NULL, idx INTEGER NOT NULL,"
                             " data BLOB NOT NULL, PRIMARY KEY(room, idx)) WITHOUT ROWID;"
                             "PRAGMA user_version = 2;", NULL, NULL, &err) != SQLITE_OK)
            FAIL_AT("fixture: %s", err);
        sqlite3_close(db);
        struct store *s = open_store();
        store_start(s, on_commit, NULL);
        uint32_t id = store_new_room_id(s);
        ASSERT_EQ(id, 2);
        store_room(s, id, "GHIJKL", "h", "p", "ph", 1, "{}", 3000);
        store_phase(s, id, "reveal", 1);
        store_answer(s, id, 30, 1, 0, 3, 0, 100);
        wait_committed(s, store_appended(s));
        ASSERT(!store_failed(s));
        store_close(s);
        ASSERT_EQ(db_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
        /* the answers kept, and a new one after the migration */
        ASSERT_EQ(db_int("SELECT count(*) FROM answers WHERE room = 1"), 2);
        ASSERT_EQ(db_int("SELECT points FROM answers WHERE seq = 1 AND player = 1 AND idx = 0"), 900);
        ASSERT_EQ(db_int("SELECT choice FROM answers WHERE seq = 2 AND idx = 1"), 0);
        ASSERT_EQ(db_int("SELECT count(*) FROM answers WHERE room = 2 AND choice = 3"), 1);
        ASSERT_EQ(db_int("SELECT played FROM rooms WHERE id = 2"), 1);
        /* without the column, it was filled from the scored answers */
        ASSERT_EQ(db_int("SELECT played FROM rooms WHERE id = 1"), with_played ? 0 : 2);
        remove_dir();
    }
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The game clock a restart resumes at is never before a recorded event,
 * after a clean stop or a kill -9 between two clock writes (the core's
 * time must not go back). */
static void test_clock_never_behind_events(void)
{
    make_dir();
    struct store *s = open_store();
    store_start(s, on_commit, NULL);
    store_set_clock_offset(s, 1000 - (int64_t)mono_ms());   /* the clock reads about 1000 */
    uint32_t id = store_new_room_id(s);
    store_room(s, id, "ABCDEF", "h", "p", "ph", 1, "{}", 0);
    store_event(s, id, SEV_START, 5000000, 0, 0, 0, NULL, NULL);
    store_answer(s, id, 5000100, 1, 0, 1, 0, 100);
    wait_committed(s, store_appended(s));
    store_close(s);
    s = open_store();
    ASSERT_GE(store_last_clock(s), 5000100);
    store_close(s);
    remove_dir();

    make_dir();
    s = open_store();
    store_start(s, on_commit, NULL);
    int64_t off = 1000000000 - (int64_t)mono_ms();
    store_set_clock_offset(s, off);
    id = store_new_room_id(s);
    store_room(s, id, "ABCDEF", "h", "p", "ph", 1, "{}", 0);
    store_event(s, id, SEV_START, (uint64_t)((int64_t)mono_ms() + off), 0, 0, 0, NULL, NULL);
    wait_committed(s, store_appended(s));
    uint64_t t0 = mono_ms();
    for (long spin = 0; mono_ms() < t0 + 2; spin++)   /* bounded: the clock moves */
        ASSERT(spin < 1000000000L);
    uint64_t t = (uint64_t)((int64_t)mono_ms() + off);
    /* the last batch, under STORE_CLOCK_MS after the first one's clock row:
     * its event and the room's end, no clock row */
    int64_t finished_at = (int64_t)time(NULL) * 1000;
    store_event(s, id, SEV_NEXT, t, 0, 0, 0, NULL, NULL);
    store_finish(s, id, "finished", 1, finished_at);
    wait_committed(s, store_appended(s));
    /* what a kill -9 now leaves on disk: the files as they are (the writer
     * is idle, no deadline runs), opened without store_close's last write;
     * two copies, one restarted within --keep-days, one after */
    char live[sizeof dir], copy[2][sizeof dir + 8], cmd[512];
    memcpy(live, dir, sizeof dir);
    for (int i = 0; i < 2; i++) {
        snprintf(copy[i], sizeof copy[i], "%s-crash%d", live, i);
        snprintf(cmd, sizeof cmd, "mkdir -m 700 '%s' && cp '%s'/quizd.db* '%s'/", copy[i], live,
                 copy[i]);
        ASSERT_OK(system(cmd));
    }
    memcpy(dir, copy[0], sizeof dir);
    /* the path under test: the clock row is behind the last event */
    ASSERT_LE((uint64_t)db_int("SELECT value FROM meta WHERE key = 'clock'") + 1, t);
    struct store *c = open_store();
    ASSERT_GE(store_last_clock(c), t);
    store_close(c);
    remove_dir();

    /* after --keep-days the purge deletes the room, its events with it: the
     * clock is read before, and recorded with the purge */
    memcpy(dir, copy[1], sizeof dir);
    struct store_options o = {.dir = dir, .keep_days = STORE_KEEP_DAYS,
                              .epoch_ms = finished_at + (STORE_KEEP_DAYS + 1) * 86400000LL};
    char why[256] = "";
    c = store_open(&o, why, sizeof why);
    if (!c)
        FAIL_AT("store_open: %s", why);
    ASSERT_EQ(db_int("SELECT count(*) FROM events"), 0);   /* the purge did run */
    ASSERT_GE(store_last_clock(c), t);
    ASSERT_GE((uint64_t)db_int("SELECT value FROM meta WHERE key = 'clock'"), t);
    store_close(c);
    remove_dir();
    memcpy(dir, live, sizeof dir);
    store_close(s);
    remove_dir();
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) ? -1 : (long long)st.st_size;
}

static void no_notify(void *arg)
{
    (void)arg;
}

/* The exporter's passive checkpoint (every EXPORT_CHECKPOINT_S) copies
 * committed pages from the WAL into the database file. It did nothing until
 * the exporter's connection had read once (its log and done came back -1),
 * so without an export the WAL grew until the writer's own autocheckpoint
 * at STORE_WAL_PAGES stalled a commit. */
static void test_exporter_checkpoints_the_wal(void)
{
    make_dir();
    struct store *s = open_store();
    store_start(s, on_commit, NULL);
    struct exporter *x = exporter_open(s, NULL, 0, no_notify, NULL);
    ASSERT(x);
    long long before = file_size(store_path(s));
    uint32_t id = store_new_room_id(s);
    store_room(s, id, "ABCDEF", "h", "p", "ph", 1, "{}", 0);
    for (uint32_t p = 1; p <= 2000; p++)   /* well over one page of answers */
        store_answer(s, id, 20000 + p, p, 0, 1, 0, 100);
    wait_committed(s, store_appended(s));
    /* bounded: ten checkpoint periods */
    uint64_t t0 = mono_ms();
    while (file_size(store_path(s)) <= before && mono_ms() < t0 + 10000 * EXPORT_CHECKPOINT_S) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    ASSERT_GE(file_size(store_path(s)), before + 1);
    exporter_close(x, NULL);
    store_close(s);
    remove_dir();
}

/* Under steady commits (one every STORE_COMMIT_GAP_US, the writer's most)
 * the WAL file stays bounded: the exporter's checkpoint, every
 * EXPORT_CHECKPOINT_S, copies its frames back, and the writer rewinds it
 * after. Before, every checkpoint copied everything yet the WAL only grew
 * (the writer had always appended during the checkpoint, so it never began
 * with nothing left to copy) up to STORE_WAL_PAGES. */
#define WAL_RUN_COMMITS 2500                         /* >= 5 s at one per 2 ms */
#define WAL_RUN_BOUND_BYTES (8LL * 1024 * 1024)      /* ~1000 commits of 2 pages */
#define WAL_RUN_EXPORT_EVERY 100                     /* commits: ~0.2 s */
static void test_wal_stays_bounded(void)
{
    make_dir();
    struct store *s = open_store();
    store_start(s, on_commit, NULL);
    struct exporter *x = exporter_open(s, NULL, 0, no_notify, NULL);
    ASSERT(x);
    char wal[128];
    snprintf(wal, sizeof wal, "%s-wal", store_path(s));
    uint32_t id = store_new_room_id(s);
    store_room(s, id, "ABCDEF", "h", "p", "ph", 1, "{}", 0);
    uint64_t t0 = mono_ms(), commits0 = stats_of(s).commits;
    long long most = 0;
    /* bounded in count; each round waits for its own commit (bounded) */
    unsigned exports = 0;
    for (unsigned i = 0; i < WAL_RUN_COMMITS; i++) {
        /* a player polling /review every ~0.2 s: the checkpoint runs anyway */
        if (i % WAL_RUN_EXPORT_EVERY == WAL_RUN_EXPORT_EVERY - 1) {   /* the room committed */
            struct export_query *q = calloc(1, sizeof *q);
            ASSERT(q);
            q->kind = EXPORT_REVIEW;
            snprintf(q->code, sizeof q->code, "ABCDEF");
            snprintf(q->token, sizeof q->token, "not-a-token");
            export_submit(x, q);
        }
        for (struct export_query *q; (q = export_take_done(x)); exports++) {
            ASSERT_EQ(q->status, 403);
            export_query_free(q);
        }
        store_event(s, id, SEV_NEXT, 5000000 + i, 0, (int)i, 0, NULL, NULL);
        wait_committed(s, store_appended(s));
        long long n = file_size(wal);
        most = n > most ? n : most;
    }
    uint64_t took = mono_ms() - t0;
    /* the run spans several checkpoint periods, its commits one at a time */
    ASSERT_GE(took, 3 * 1000 * EXPORT_CHECKPOINT_S);
    ASSERT_GE(stats_of(s).commits - commits0, WAL_RUN_COMMITS);
    fprintf(stderr, "wal_stays_bounded: largest WAL %lld bytes over %u commits in %llu ms\n", most,
            WAL_RUN_COMMITS, (unsigned long long)took);
    ASSERT_LE(most, WAL_RUN_BOUND_BYTES);
    ASSERT_GE(most, 1);
    ASSERT_GE(exports, 1);
    exporter_close(x, NULL);
    store_close(s);
    remove_dir();
}

static bool clock_written(struct store *s, uint64_t n) { return stats_of(s).clock_writes >= n; }

/* An idle server (no deadline running) writes no transaction every
 * STORE_CLOCK_MS; while a deadline runs it records the clock that often. */
static void test_idle_store_writes_nothing(void)
{
    make_dir();
    struct store *s = open_store();
    store_start(s, on_commit, NULL);
    /* a window of three clock periods: nothing may be written in it (an
     * observation window, not a synchronisation: a write fails the test) */
    uint64_t t0 = mono_ms();
    while (mono_ms() < t0 + 3 * STORE_CLOCK_MS) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    ASSERT_EQ(stats_of(s).clock_writes, 0);
    ASSERT_EQ(stats_of(s).commits, 0);
    store_clock_wanted(s, true);
    wait_until(s, clock_written, 1);
    store_close(s);
    remove_dir();
}

static struct test_case tests[] = {
    {"exporter_checkpoints_the_wal", test_exporter_checkpoints_the_wal},
    {"idle_store_writes_nothing", test_idle_store_writes_nothing},
    {"retry_batch_is_bounded", test_retry_batch_is_bounded},
    {"busy_is_retried", test_busy_is_retried},
    {"failed_store_marks_lost_rooms_and_recovers", test_failed_store_marks_lost_rooms_and_recovers},
    {"clock_never_behind_events", test_clock_never_behind_events},
    {"wal_stays_bounded", test_wal_stays_bounded},
    {"v1_database_is_migrated", test_v1_database_is_migrated},
    {"shard_is_recorded_and_checked", test_shard_is_recorded_and_checked},
    {"export_errors_do_not_leak", test_export_errors_do_not_leak},
    {"write_then_restore", test_write_then_restore},
    {"group_commit", test_group_commit},
    {"refuses_damaged_and_newer", test_refuses_damaged_and_newer},
    {"full_is_loud", test_full_is_loud},
    {"pack_hash", test_pack_hash},
};

TEST_MAIN(tests)
