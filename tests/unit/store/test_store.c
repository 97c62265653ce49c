/* The store: schema, group commit on the writer thread, restore reads,
 * refusal of damaged or newer databases. */
#include "store/store.h"
#include "test.h"

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
    store_scored(s, id, 1, 0, true, 900);
    /* a finished room is not restored */
    uint32_t done = store_new_room_id(s);
    store_room(s, done, "GHIJKL", th, "pack", "ph", 7, "{}", 1000);
    store_finish(s, done, "finished", 2000);
    wait_committed(s, store_appended(s));
    ASSERT_GE(store_commits(s), 1);
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
    ASSERT_LE(store_commits(s), 100);
    fprintf(stderr, "10000 answers in %llu transactions\n",
            (unsigned long long)store_commits(s));
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

/* Past --data-max-mb writes fail like a full disk: counted, flagged, and
 * the commit still completes so the game goes on. */
static void test_full_is_loud(void)
{
    make_dir();
    struct store_options o = {.dir = dir, .max_mb = 1};
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
    wait_committed(s, last);
    ASSERT(store_failed(s));
    ASSERT_GE(store_failures(s), 1);
    store_close(s);
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

static struct test_case tests[] = {
    {"write_then_restore", test_write_then_restore},
    {"group_commit", test_group_commit},
    {"refuses_damaged_and_newer", test_refuses_damaged_and_newer},
    {"full_is_loud", test_full_is_loud},
    {"pack_hash", test_pack_hash},
};

TEST_MAIN(tests)
