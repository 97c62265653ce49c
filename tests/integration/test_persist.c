/* Persistence end to end: a seeded script of a game (3 players, accuracy
 * scoring, so scores depend only on the choices) is killed with SIGKILL
 * (or SIGTERM) at a given moment, quizd restarts on the same --data, the
 * players and the host resume with the tokens they hold, and the game
 * plays to the end. Every acknowledged answer must be in the database
 * (PRAGMA integrity_check ok) and the final ranking must equal the one of
 * an uninterrupted reference run. Also: a crash loop of kill -9 at seeded
 * random moments, a read-only and a damaged data directory. */
#include "itest.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#define NP 3
#define NQ 3

enum kill_at { K_NONE, K_LOBBY, K_QUESTION, K_REVEAL, K_LEADERBOARD };

struct client {
    struct wsc *c;
    char token[40];
    long long id;
    json_t *state;   /* the snapshot after a resume, consumed by the script */
};

struct run {
    struct proc srv;
    char dir[64], data_arg[96];
    char code[8];
    struct client host, p[NP];
    struct { int q, choice; } acked[NP * NQ];
    int n_acked;
    int sig;              /* the signal that stops the server at the kill point */
};

static const char *names[NP] = {"Ann", "Bob", "Cy"};

static void start(struct run *r)
{
    const char *extra[] = {r->data_arg, NULL};
    itest_start(&r->srv, extra);
}

static struct wsc *conn(struct run *r)
{
    struct wsc *c = wsc_connect(r->srv.port, "/ws", ITEST_T);
    ASSERT(c);
    return c;
}

/* Every player's choice is fixed by the script: player i gets NQ - i right,
 * so the ranking has no ties (which speed would break). */
static bool plays_right(int i, int q)
{
    return q < NQ - i;
}

static int choice_for(json_t *question, int i, int q)
{
    json_t *opts = json_object_get(question, "options");
    const char *want = plays_right(i, q) ? "right" : "wrong a";
    for (size_t k = 0; k < json_array_size(opts); k++)
        if (!strcmp(json_string_value(json_array_get(opts, k)), want))
            return (int)k;
    FAIL_AT("no option \"%s\"", want);
}

static void host_cmd(struct run *r, const char *type)
{
    ASSERT_OK(wsc_sendf(r->host.c, "{\"type\":\"%s\",\"req\":9}", type));
    json_decref(itest_expect(r->host.c, "ack"));
}

/* The question a player sees: the one in its resume snapshot, else the next one sent. */
static json_t *question_of(struct client *p, int q)
{
    if (p->state) {
        json_t *st = p->state;
        p->state = NULL;
        json_t *qj = json_object_get(st, "question");
        if (qj && !strcmp(sget(st, "phase"), "question") && iget(qj, "index") == q) {
            json_incref(qj);
            json_decref(st);
            return qj;
        }
        json_decref(st);
    }
    json_t *o = itest_expect(p->c, "question");
    ASSERT_EQ(iget(o, "index"), q);
    return o;
}

static void answer(struct run *r, int i, int q)
{
    json_t *qj = question_of(&r->p[i], q);
    int ch = choice_for(qj, i, q);
    json_decref(qj);
    ASSERT_OK(wsc_sendf(r->p[i].c, "{\"type\":\"answer\",\"index\":%d,\"choice\":%d,\"req\":7}", q, ch));
    json_t *a = itest_expect(r->p[i].c, "answer_ack");
    ASSERT_EQ(iget(a, "choice"), ch);
    json_decref(a);
    r->acked[r->n_acked].q = q;
    r->acked[r->n_acked].choice = ch;
    r->n_acked++;
    (void)i;
}

static void clear_states(struct run *r)
{
    json_decref(r->host.state);
    r->host.state = NULL;
    for (int i = 0; i < NP; i++) {
        json_decref(r->p[i].state);
        r->p[i].state = NULL;
    }
}

static void disconnect_all(struct run *r)
{
    wsc_free(r->host.c);
    r->host.c = NULL;
    for (int i = 0; i < NP; i++) {
        wsc_free(r->p[i].c);
        r->p[i].c = NULL;
    }
}

/* Every answer acknowledged so far is in the database, which is intact. */
static void check_db(struct run *r, int acked_by[NP][NQ])
{
    char path[128];
    snprintf(path, sizeof path, "%s/quizd.db", r->dir);
    sqlite3 *db;
    ASSERT_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    ASSERT_STR_EQ((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT a.choice FROM answers a JOIN rooms r ON r.id = a.room"
                                 " WHERE r.code = ?1 AND a.player = ?2 AND a.idx = ?3",
                                 -1, &st, NULL), SQLITE_OK);
    for (int i = 0; i < NP; i++)
        for (int q = 0; q < NQ; q++) {
            if (acked_by[i][q] < 0)
                continue;
            sqlite3_bind_text(st, 1, r->code, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, r->p[i].id);
            sqlite3_bind_int(st, 3, q);
            if (sqlite3_step(st) != SQLITE_ROW)
                FAIL_AT("acknowledged answer of player %d to question %d is not in the database", i, q);
            ASSERT_EQ(sqlite3_column_int(st, 0), acked_by[i][q]);
            sqlite3_reset(st);
        }
    sqlite3_finalize(st);
    /* tokens are stored as hashes, never in clear */
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM players WHERE token_hash = ?1 OR"
                                     " token_hash = ?2", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, r->p[0].token, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->host.token, -1, SQLITE_STATIC);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    ASSERT_EQ(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* Stops the server with r->sig at a kill point, checks the database, restarts
 * it on the same directory and resumes everyone; `phase` is what they must
 * find. `open_ms` (question phase) is the time the question had left when
 * the server stopped: it must get about that back. */
static void crash_and_resume(struct run *r, const char *phase, int acked_by[NP][NQ],
                             long long open_ms)
{
    int rc = proc_stop(&r->srv, r->sig, 5000);
    ASSERT_EQ(rc, r->sig == SIGKILL ? 128 + SIGKILL : 0);
    disconnect_all(r);
    check_db(r, acked_by);
    start(r);
    r->host.c = conn(r);
    ASSERT_OK(wsc_sendf(r->host.c, "{\"type\":\"host_resume\",\"code\":\"%s\",\"host_token\":\"%s\",\"req\":3}",
                        r->code, r->host.token));
    json_t *st = itest_expect(r->host.c, "state");
    ASSERT_STR_EQ(sget(st, "phase"), phase);
    json_decref(st);
    for (int i = 0; i < NP; i++) {
        struct client *p = &r->p[i];
        p->c = conn(r);
        ASSERT_OK(wsc_sendf(p->c, "{\"type\":\"join\",\"code\":\"%s\",\"token\":\"%s\",\"req\":4}",
                            r->code, p->token));
        json_t *j = itest_expect(p->c, "joined");
        ASSERT_EQ(iget(j, "player_id"), p->id);
        ASSERT_STR_EQ(sget(j, "token"), p->token);
        json_decref(j);
        p->state = itest_expect(p->c, "state");
        ASSERT_STR_EQ(sget(p->state, "phase"), phase);
        if (!strcmp(phase, "question")) {
            json_t *qj = json_object_get(p->state, "question");
            json_t *ans = json_object_get(p->state, "answered");
            int q = (int)iget(qj, "index");
            if (acked_by[i][q] >= 0)
                ASSERT_EQ(json_integer_value(ans), acked_by[i][q]);
            else
                ASSERT(json_is_null(ans));
            long long left = iget(qj, "deadline_ms") - iget(qj, "now_ms");
            /* the question kept its time: at most the clock's recording
             * interval (kill -9) was lost, none of the downtime */
            ASSERT_LE(left, open_ms);
            ASSERT_GE(left, open_ms - 500 - proc_timeout(1000));
        }
    }
}

struct final { char name[8]; long long score, correct, rank; };

/* The script. Returns the final ranking in `out`. */
static void play(enum kill_at k, int sig, struct final out[NP])
{
    struct run r = {.sig = sig};
    snprintf(r.dir, sizeof r.dir, "/tmp/qz-persist-XXXXXX");
    ASSERT(mkdtemp(r.dir));
    snprintf(r.data_arg, sizeof r.data_arg, "--data=%s", r.dir);
    int acked_by[NP][NQ];
    memset(acked_by, -1, sizeof acked_by);
    start(&r);
    r.host.c = conn(&r);
    ASSERT_OK(wsc_sendf(r.host.c, "{\"type\":\"create_room\",\"req\":1,\"pack\":\"test\",\"count\":%d,"
                                  "\"scoring\":\"accuracy\",\"seconds\":30,\"auto_advance\":false}", NQ));
    json_t *o = itest_expect(r.host.c, "room_created");
    snprintf(r.code, sizeof r.code, "%s", sget(o, "code"));
    snprintf(r.host.token, sizeof r.host.token, "%s", sget(o, "host_token"));
    json_decref(o);
    for (int i = 0; i < NP; i++) {
        struct client *p = &r.p[i];
        p->c = conn(&r);
        ASSERT_OK(wsc_sendf(p->c, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"%s\",\"req\":2}",
                            r.code, names[i]));
        o = itest_expect(p->c, "joined");
        p->id = iget(o, "player_id");
        snprintf(p->token, sizeof p->token, "%s", sget(o, "token"));
        json_decref(o);
        json_decref(itest_expect(p->c, "state"));
    }
    if (k == K_LOBBY)
        crash_and_resume(&r, "lobby", acked_by, 0);
    clear_states(&r);
    host_cmd(&r, "start");
    for (int q = 0; q < NQ; q++) {
        for (int i = 0; i < NP; i++) {
            if (q == 1 && i == NP - 1 && k == K_QUESTION) {
                /* two answers acknowledged, the third not yet sent */
                json_t *qj = question_of(&r.p[i], q);
                long long left = iget(qj, "deadline_ms") - iget(qj, "now_ms");
                json_decref(qj);
                crash_and_resume(&r, "question", acked_by, left);
            }
            answer(&r, i, q);
            acked_by[i][q] = r.acked[r.n_acked - 1].choice;
        }
        json_decref(itest_expect(r.host.c, "reveal"));
        if (q == 1 && k == K_REVEAL)
            crash_and_resume(&r, "reveal", acked_by, 0);
        clear_states(&r);
        if (q == NQ - 1)
            break;
        host_cmd(&r, "next");
        json_decref(itest_expect(r.host.c, "leaderboard"));
        if (q == 1 && k == K_LEADERBOARD)
            crash_and_resume(&r, "leaderboard", acked_by, 0);
        clear_states(&r);
        host_cmd(&r, "next");
    }
    /* past the last reveal: next until the podium */
    json_t *over = NULL;
    for (int n = 0; n < 2 && !over; n++) {
        host_cmd(&r, "next");
        char *m;
        while (!over && (m = wsc_recv(r.host.c, ITEST_T))) {
            json_t *x = json_loads(m, 0, NULL);
            free(m);
            if (x && !strcmp(sget(x, "type"), "game_over"))
                over = x;
            else if (x && !strcmp(sget(x, "type"), "leaderboard")) {
                json_decref(x);
                break;
            } else
                json_decref(x);
        }
    }
    ASSERT(over);
    json_t *top = json_object_get(over, "top");
    ASSERT_EQ(json_array_size(top), NP);
    for (size_t i = 0; i < NP; i++) {
        json_t *e = json_array_get(top, i);
        snprintf(out[i].name, sizeof out[i].name, "%s", sget(e, "name"));
        out[i].score = iget(e, "score");
        out[i].correct = iget(e, "correct");
        out[i].rank = iget(e, "rank");
    }
    json_decref(over);
    clear_states(&r);
    disconnect_all(&r);
    itest_stop(&r.srv);
    proc_rm_tree(r.dir);
}

static void same_result(enum kill_at k, int sig)
{
    struct final ref[NP], got[NP];
    play(K_NONE, SIGKILL, ref);
    play(k, sig, got);
    for (int i = 0; i < NP; i++) {
        ASSERT_STR_EQ(got[i].name, ref[i].name);
        ASSERT_EQ(got[i].score, ref[i].score);
        ASSERT_EQ(got[i].correct, ref[i].correct);
        ASSERT_EQ(got[i].rank, ref[i].rank);
    }
    for (int i = 0; i < NP; i++)
        ASSERT_EQ(ref[i].correct, NQ - i);
}

static void test_kill9_in_lobby(void) { same_result(K_LOBBY, SIGKILL); }
static void test_kill9_mid_question(void) { same_result(K_QUESTION, SIGKILL); }
static void test_kill9_in_reveal(void) { same_result(K_REVEAL, SIGKILL); }
static void test_kill9_in_leaderboard(void) { same_result(K_LEADERBOARD, SIGKILL); }
static void test_sigterm_mid_question(void) { same_result(K_QUESTION, SIGTERM); }

/* ---- the crash loop ---- */

#define LOOP_RUNS 50
#define LOOP_PLAYERS 8

static unsigned long long rng_state;

static unsigned rnd(unsigned n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;   /* PCG step */
    return (unsigned)((rng_state >> 33) % n);
}

/* LOOP_RUNS times: a room with LOOP_PLAYERS players, answers pipelined, a
 * random number of acknowledgements read, a random pause, kill -9; then the
 * database is intact, holds every acknowledged answer, and on the next start
 * the previous room comes back (its host resumes it). */
static void test_crash_loop(void)
{
    rng_state = 20261204;   /* seeded: the same moments every run */
    fprintf(stderr, "crash loop seed %llu\n", rng_state);
    struct run r = {.sig = SIGKILL};
    snprintf(r.dir, sizeof r.dir, "/tmp/qz-crash-XXXXXX");
    ASSERT(mkdtemp(r.dir));
    snprintf(r.data_arg, sizeof r.data_arg, "--data=%s", r.dir);
    char prev_code[8] = "", prev_token[40] = "";
    size_t total_acked = 0;
    for (int run = 0; run < LOOP_RUNS; run++) {
        start(&r);
        struct wsc *h = conn(&r);
        if (prev_code[0]) {
            ASSERT_OK(wsc_sendf(h, "{\"type\":\"host_resume\",\"code\":\"%s\",\"host_token\":\"%s\"}",
                                prev_code, prev_token));
            json_t *st = itest_expect(h, "state");
            ASSERT_STR_EQ(sget(st, "code"), prev_code);
            json_decref(st);
            wsc_free(h);
            h = conn(&r);
        }
        ASSERT_OK(wsc_sendf(h, "{\"type\":\"create_room\",\"req\":1,\"pack\":\"test\",\"count\":2,"
                               "\"scoring\":\"accuracy\",\"seconds\":60,\"auto_advance\":false}"));
        json_t *o = itest_expect(h, "room_created");
        snprintf(r.code, sizeof r.code, "%s", sget(o, "code"));
        snprintf(prev_token, sizeof prev_token, "%s", sget(o, "host_token"));
        snprintf(prev_code, sizeof prev_code, "%s", r.code);
        json_decref(o);
        struct wsc *p[LOOP_PLAYERS];
        long long id[LOOP_PLAYERS];
        for (int i = 0; i < LOOP_PLAYERS; i++) {
            p[i] = conn(&r);
            ASSERT_OK(wsc_sendf(p[i], "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"P%d\"}", r.code, i));
            o = itest_expect(p[i], "joined");
            id[i] = iget(o, "player_id");
            json_decref(o);
        }
        ASSERT_OK(wsc_send(h, "{\"type\":\"start\",\"req\":2}"));
        json_decref(itest_expect(h, "ack"));
        int choice[LOOP_PLAYERS];
        for (int i = 0; i < LOOP_PLAYERS; i++) {
            json_t *qj = itest_expect(p[i], "question");
            choice[i] = (int)rnd((unsigned)json_array_size(json_object_get(qj, "options")));
            json_decref(qj);
        }
        for (int i = 0; i < LOOP_PLAYERS; i++)
            ASSERT_OK(wsc_sendf(p[i], "{\"type\":\"answer\",\"index\":0,\"choice\":%d}", choice[i]));
        unsigned read_acks = rnd(LOOP_PLAYERS + 1);
        bool acked[LOOP_PLAYERS] = {false};
        for (unsigned i = 0; i < read_acks; i++) {
            json_t *a = itest_expect(p[i], "answer_ack");
            ASSERT_EQ(iget(a, "choice"), choice[i]);
            acked[i] = true;
            total_acked++;
            json_decref(a);
        }
        usleep(rnd(3000));   /* a random moment, not a synchronisation */
        ASSERT_EQ(proc_stop(&r.srv, SIGKILL, 5000), 128 + SIGKILL);
        for (int i = 0; i < LOOP_PLAYERS; i++)
            wsc_free(p[i]);
        wsc_free(h);
        /* check_db's view: only this room's acknowledged answers */
        int acked_by[NP][NQ];
        memset(acked_by, -1, sizeof acked_by);
        check_db(&r, acked_by);   /* integrity */
        char path[128];
        snprintf(path, sizeof path, "%s/quizd.db", r.dir);
        sqlite3 *db;
        ASSERT_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
        sqlite3_stmt *st;
        ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT a.choice FROM answers a JOIN rooms r ON r.id = a.room"
                                         " WHERE r.code = ?1 AND a.player = ?2 AND a.idx = 0",
                                     -1, &st, NULL), SQLITE_OK);
        for (int i = 0; i < LOOP_PLAYERS; i++) {
            if (!acked[i])
                continue;
            sqlite3_bind_text(st, 1, r.code, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, id[i]);
            if (sqlite3_step(st) != SQLITE_ROW)
                FAIL_AT("run %d: acknowledged answer of P%d lost", run, i);
            ASSERT_EQ(sqlite3_column_int(st, 0), choice[i]);
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
    fprintf(stderr, "%d kill -9, %zu acknowledged answers, none lost\n", LOOP_RUNS, total_acked);
    proc_rm_tree(r.dir);
}

/* ---- a data directory that cannot be used ---- */

/* Runs quizd (as `nobody` when the test runs as root, whom no mode bit
 * stops) on --data=dir; returns its exit status, stderr in err. */
static int run_on_data(const char *dir, bool as_nobody, char *err, size_t n)
{
    char cmd[2048], errf[] = "/tmp/qz-err-XXXXXX";
    int fd = mkstemp(errf);
    ASSERT(fd >= 0);
    close(fd);
    snprintf(cmd, sizeof cmd, "%s %s --no-corpus --packs=%s/tests/data/packs --bind=127.0.0.1"
             " --port=0 --data=%s </dev/null >/dev/null 2>%s",
             as_nobody ? "setpriv --reuid=65534 --regid=65534 --clear-groups" : "",
             proc_quizd_path(), getenv("QZ_SOURCE_DIR"), dir, errf);
    int st = system(cmd);
    FILE *f = fopen(errf, "r");
    ASSERT(f);
    size_t got = fread(err, 1, n - 1, f);
    err[got] = '\0';
    fclose(f);
    unlink(errf);
    ASSERT(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void test_read_only_data_dir_fails_start(void)
{
    char dir[] = "/tmp/qz-ro-XXXXXX", err[2048];
    ASSERT(mkdtemp(dir));
    bool root = geteuid() == 0;
    ASSERT_OK(chmod(dir, root ? 0755 : 0500));   /* root's own 0755 dir is read-only to nobody */
    ASSERT_EQ(run_on_data(dir, root, err, sizeof err), 1);
    ASSERT_CONTAINS(err, "not writable");
    ASSERT_CONTAINS(err, "--no-data");
    char sub[64];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    ASSERT_EQ(run_on_data(sub, root, err, sizeof err), 1);
    ASSERT_CONTAINS(err, "cannot create the data directory");
    ASSERT_OK(chmod(dir, 0700));
    proc_rm_tree(dir);
}

static void test_truncated_db_fails_start(void)
{
    struct run r = {.sig = SIGTERM};
    snprintf(r.dir, sizeof r.dir, "/tmp/qz-trunc-XXXXXX");
    ASSERT(mkdtemp(r.dir));
    snprintf(r.data_arg, sizeof r.data_arg, "--data=%s", r.dir);
    start(&r);
    struct wsc *h = conn(&r);
    ASSERT_OK(wsc_send(h, "{\"type\":\"create_room\",\"pack\":\"test\"}"));
    json_decref(itest_expect(h, "room_created"));
    wsc_free(h);
    itest_stop(&r.srv);
    char path[128], err[2048];
    snprintf(path, sizeof path, "%s/quizd.db", r.dir);
    struct stat sb;
    ASSERT_OK(stat(path, &sb));
    ASSERT(sb.st_size > 4096);
    ASSERT_OK(truncate(path, 3000));
    ASSERT_EQ(run_on_data(r.dir, false, err, sizeof err), 1);
    ASSERT_CONTAINS(err, "damaged");
    proc_rm_tree(r.dir);
}

static struct test_case tests[] = {
    {"crash_loop", test_crash_loop},
    {"read_only_data_dir_fails_start", test_read_only_data_dir_fails_start},
    {"truncated_db_fails_start", test_truncated_db_fails_start},
    {"kill9_in_lobby", test_kill9_in_lobby},
    {"kill9_mid_question", test_kill9_mid_question},
    {"kill9_in_reveal", test_kill9_in_reveal},
    {"kill9_in_leaderboard", test_kill9_in_leaderboard},
    {"sigterm_mid_question", test_sigterm_mid_question},
};

TEST_MAIN(tests)
