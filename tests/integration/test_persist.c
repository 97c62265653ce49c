/* Persistence end to end: a seeded script of a game (3 players, accuracy
 * scoring, so scores depend only on the choices) is killed with SIGKILL
 * (or SIGTERM) at a given moment, quizd restarts on the same --data, the
 * players and the host resume with the tokens they hold, and the game
 * plays to the end. Every acknowledged answer must be in the database
 * (PRAGMA integrity_check ok) and the final ranking must equal the one of
 * an uninterrupted reference run. Also: a crash loop of kill -9 at seeded
 * random moments, a read-only and a damaged data directory. */
#include "itest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
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
             * interval (kill -9) was lost, none of the downtime. Under
             * ASan with tests in parallel it came back 9-83 ms over
             * (30,009 and 30,083 of 30,000): within a loop iteration, not
             * the downtime; the cause is not found yet (a loop-time
             * record behind the question's opening is the suspect). */
            ASSERT_LE(left, open_ms + proc_timeout(100));
            ASSERT_GE(left, open_ms - 500 - proc_timeout(1000));
        }
    }
}

/* GET path with "Authorization: Bearer token" (none when token is NULL). */
static int get_auth(struct run *r, const char *path, const char *token, char **body)
{
    char req[512], *h;
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%s%sConnection: close\r\n\r\n",
                     path, r->srv.port, token ? "Authorization: Bearer " : "", token ? token : "",
                     token ? "\r\n" : "");
    int st = http_raw(r->srv.port, req, (size_t)n, &h, body, ITEST_T);
    free(h);
    return st;
}

/* The exports of the finished game: authorization, then content. */
static void check_exports(struct run *r)
{
    char path[128], *b;
    /* another room, for its host's token */
    struct wsc *o = conn(r);
    ASSERT_OK(wsc_send(o, "{\"type\":\"create_room\",\"pack\":\"test\"}"));
    json_t *oc = itest_expect(o, "room_created");
    char other_code[8], other_token[40];
    snprintf(other_code, sizeof other_code, "%s", sget(oc, "code"));
    snprintf(other_token, sizeof other_token, "%s", sget(oc, "host_token"));
    json_decref(oc);

    snprintf(path, sizeof path, "/api/rooms/%s/results.json", r->code);
    ASSERT_EQ(get_auth(r, path, NULL, &b), 401);
    free(b);
    ASSERT_EQ(get_auth(r, path, other_token, &b), 403);
    free(b);
    ASSERT_EQ(get_auth(r, path, r->p[0].token, &b), 403);   /* a player is not the host */
    free(b);
    ASSERT_EQ(get_auth(r, "/api/rooms/ZZZZZZ/results.json", r->host.token, &b), 404);
    free(b);
    ASSERT_EQ(get_auth(r, path, r->host.token, &b), 200);
    json_t *j = json_loads(b, 0, NULL);
    free(b);
    ASSERT(j);
    ASSERT(json_is_true(json_object_get(j, "finished")));
    ASSERT_EQ(json_array_size(json_object_get(j, "questions")), NQ);
    json_t *pl = json_object_get(j, "players");
    ASSERT_EQ(json_array_size(pl), NP);
    for (int i = 0; i < NP; i++) {
        json_t *p = json_array_get(pl, (size_t)i);
        /* ranked: player i has NQ - i right, 1000 points each (accuracy) */
        ASSERT_STR_EQ(sget(p, "name"), names[i]);
        ASSERT_EQ(iget(p, "rank"), i + 1);
        ASSERT_EQ(iget(p, "correct"), NQ - i);
        ASSERT_EQ(iget(p, "score"), 1000 * (NQ - i));
        json_t *ans = json_object_get(p, "answers");
        ASSERT_EQ(json_array_size(ans), NQ);
        for (int q = 0; q < NQ; q++) {
            json_t *a = json_array_get(ans, (size_t)q);
            ASSERT_EQ(iget(a, "index"), q);
            ASSERT_EQ(json_is_true(json_object_get(a, "correct")), plays_right(i, q));
            ASSERT_EQ(iget(a, "points"), plays_right(i, q) ? 1000 : 0);
            json_t *qj = json_array_get(json_object_get(j, "questions"), (size_t)q);
            const char *chosen = json_string_value(json_array_get(json_object_get(qj, "options"),
                                                                  (size_t)iget(a, "choice")));
            ASSERT_STR_EQ(chosen, plays_right(i, q) ? "right" : "wrong a");
        }
    }
    json_decref(j);

    snprintf(path, sizeof path, "/api/rooms/%s/results.csv", r->code);
    ASSERT_EQ(get_auth(r, path, r->host.token, &b), 200);
    ASSERT(!strncmp(b, "rank,player_id,name,score,question,", 35));
    ASSERT_CONTAINS(b, "1,1,Ann,3000,1,");
    size_t lines = 0;
    for (const char *c = b; *c; c++)
        lines += *c == '\n';
    ASSERT_EQ(lines, 1 + NP * NQ);
    free(b);

    snprintf(path, sizeof path, "/api/rooms/%s/review", r->code);
    ASSERT_EQ(get_auth(r, path, r->host.token, &b), 403);   /* the host is not a player */
    free(b);
    ASSERT_EQ(get_auth(r, path, NULL, &b), 401);
    free(b);
    ASSERT_EQ(get_auth(r, path, r->p[2].token, &b), 200);
    j = json_loads(b, 0, NULL);
    free(b);
    json_t *me = json_object_get(j, "player");
    ASSERT_STR_EQ(sget(me, "name"), names[2]);
    ASSERT_EQ(json_array_size(json_object_get(me, "answers")), NQ);
    ASSERT(sget(json_array_get(json_object_get(j, "questions"), 0), "explanation"));
    ASSERT(!json_object_get(j, "players"));   /* nobody else's answers */
    json_decref(j);
    wsc_free(o);
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
    if (k == K_NONE)
        check_exports(&r);
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
 * stops) on --data=dir and --port=port; returns its exit status, stderr in
 * err. One that keeps running is stopped after a bounded time (exit 124). */
static int run_quizd_on(const char *dir, bool as_nobody, int port, char *err, size_t n)
{
    char cmd[12288], errf[] = "/tmp/qz-err-XXXXXX";
    int fd = mkstemp(errf);
    ASSERT(fd >= 0);
    close(fd);
    /* nobody may not be able to read the checkout (a clone in a 0700
     * directory): it runs its own readable copy of quizd, the packs and the
     * web root. */
    char pub[] = "/tmp/qz-pub-XXXXXX", bin[4200], paths[4200];
    const char *src = getenv("QZ_SOURCE_DIR");
    if (as_nobody) {
        ASSERT(mkdtemp(pub));
        snprintf(cmd, sizeof cmd, "cp -r '%s/tests/data/packs' '%s/web-client' '%s' '%s/' && chmod -R a+rX '%s'",
                 src, src, proc_quizd_path(), pub, pub);
        ASSERT_EQ(system(cmd), 0);
        const char *base = strrchr(proc_quizd_path(), '/');
        snprintf(bin, sizeof bin, "%s/%s", pub, base ? base + 1 : proc_quizd_path());
        snprintf(paths, sizeof paths, "--packs=%s/packs --web-root=%s/web-client", pub, pub);
    } else {
        snprintf(bin, sizeof bin, "%s", proc_quizd_path());
        snprintf(paths, sizeof paths, "--packs=%s/tests/data/packs", src);
    }
    snprintf(cmd, sizeof cmd, "timeout %d %s %s --no-corpus %s"
             " --bind=127.0.0.1 --port=%d --data=%s </dev/null >/dev/null 2>%s",
             proc_timeout(10000) / 1000, as_nobody ? "setpriv --reuid=65534 --regid=65534 --clear-groups" : "",
             bin, paths, port, dir, errf);
    int st = system(cmd);
    if (as_nobody)
        proc_rm_tree(pub);
    FILE *f = fopen(errf, "r");
    ASSERT(f);
    size_t got = fread(err, 1, n - 1, f);
    err[got] = '\0';
    fclose(f);
    unlink(errf);
    ASSERT(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static int run_on_data(const char *dir, bool as_nobody, char *err, size_t n)
{
    return run_quizd_on(dir, as_nobody, 0, err, n);
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

/* A write-protected quizd.db in a writable directory: SQLite would open it
 * read-only without a word and fail at the first write; the start stops
 * with a clear message instead. */
static void test_read_only_db_fails_start(void)
{
    struct run r = {.sig = SIGTERM};
    snprintf(r.dir, sizeof r.dir, "/tmp/qz-rodb-XXXXXX");
    ASSERT(mkdtemp(r.dir));
    snprintf(r.data_arg, sizeof r.data_arg, "--data=%s", r.dir);
    start(&r);
    itest_stop(&r.srv);
    char path[128], err[2048];
    snprintf(path, sizeof path, "%s/quizd.db", r.dir);
    bool root = geteuid() == 0;
    if (root) {   /* root ignores mode bits: the server runs as nobody, who owns the dir */
        char cmd[256];
        snprintf(cmd, sizeof cmd, "chown -R 65534:65534 '%s' && chown 0:0 '%s'", r.dir, path);
        ASSERT_EQ(system(cmd), 0);
    }
    ASSERT_OK(chmod(path, 0444));
    ASSERT_EQ(run_quizd_on(r.dir, root, 0, err, sizeof err), 1);
    ASSERT_CONTAINS(err, "is read-only");
    proc_rm_tree(r.dir);
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

static int right_of(json_t *question)
{
    return choice_for(question, 0, 0);   /* player 0 always plays right */
}

/* Play again is a game of its own in the store: after a finished game, a
 * play_again (one player removed before it) and an acknowledged answer of
 * the new game, kill -9 and a restart bring back the new game mid-question
 * with the same players and tokens, the removed one still removed; the
 * finished game stays a record of its own. */
static void test_kill9_after_play_again(void)
{
    struct run r = {.sig = SIGKILL};
    snprintf(r.dir, sizeof r.dir, "/tmp/qz-persist-XXXXXX");
    ASSERT(mkdtemp(r.dir));
    snprintf(r.data_arg, sizeof r.data_arg, "--data=%s", r.dir);
    start(&r);
    r.host.c = conn(&r);
    ASSERT_OK(wsc_send(r.host.c, "{\"type\":\"create_room\",\"req\":1,\"pack\":\"test\",\"count\":1,"
                                 "\"scoring\":\"accuracy\",\"seconds\":60}"));
    json_t *o = itest_expect(r.host.c, "room_created");
    snprintf(r.code, sizeof r.code, "%s", sget(o, "code"));
    snprintf(r.host.token, sizeof r.host.token, "%s", sget(o, "host_token"));
    json_decref(o);
    for (int i = 0; i < NP; i++) {
        struct client *p = &r.p[i];
        p->c = conn(&r);
        ASSERT_OK(wsc_sendf(p->c, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"%s\"}", r.code, names[i]));
        o = itest_expect(p->c, "joined");
        p->id = iget(o, "player_id");
        snprintf(p->token, sizeof p->token, "%s", sget(o, "token"));
        json_decref(o);
    }
    host_cmd(&r, "start");
    for (int i = 0; i < NP; i++) {
        o = itest_expect(r.p[i].c, "question");
        ASSERT_OK(wsc_sendf(r.p[i].c, "{\"type\":\"answer\",\"index\":0,\"choice\":%d}", right_of(o)));
        json_decref(o);
        json_decref(itest_expect(r.p[i].c, "answer_ack"));
    }
    host_cmd(&r, "next");
    host_cmd(&r, "next");
    json_decref(itest_expect(r.host.c, "report"));
    ASSERT_OK(wsc_sendf(r.host.c, "{\"type\":\"kick\",\"player_id\":%lld,\"req\":9}", r.p[2].id));
    json_decref(itest_expect(r.host.c, "ack"));
    ASSERT_OK(wsc_send(r.host.c, "{\"type\":\"play_again\",\"req\":9,\"count\":2}"));
    json_decref(itest_expect(r.host.c, "ack"));
    o = itest_expect(r.host.c, "state");
    ASSERT_STR_EQ(sget(o, "phase"), "lobby");
    json_decref(o);
    host_cmd(&r, "start");
    o = itest_expect(r.p[0].c, "question");
    ASSERT_EQ(iget(o, "index"), 0);
    int ch = right_of(o);
    json_decref(o);
    ASSERT_OK(wsc_sendf(r.p[0].c, "{\"type\":\"answer\",\"index\":0,\"choice\":%d}", ch));
    json_decref(itest_expect(r.p[0].c, "answer_ack"));
    ASSERT_EQ(proc_stop(&r.srv, SIGKILL, 5000), 128 + SIGKILL);
    disconnect_all(&r);
    start(&r);
    r.host.c = conn(&r);
    ASSERT_OK(wsc_sendf(r.host.c, "{\"type\":\"host_resume\",\"code\":\"%s\",\"host_token\":\"%s\"}",
                        r.code, r.host.token));
    o = itest_expect(r.host.c, "state");
    ASSERT_STR_EQ(sget(o, "phase"), "question");
    ASSERT_EQ(iget(o, "total"), 2);
    ASSERT_EQ(iget(o, "answered_count"), 1);
    json_decref(o);
    for (int i = 0; i < 2; i++) {
        struct client *p = &r.p[i];
        p->c = conn(&r);
        ASSERT_OK(wsc_sendf(p->c, "{\"type\":\"join\",\"code\":\"%s\",\"token\":\"%s\"}", r.code, p->token));
        o = itest_expect(p->c, "joined");
        ASSERT_EQ(iget(o, "player_id"), p->id);
        json_decref(o);
        o = itest_expect(p->c, "state");
        ASSERT_STR_EQ(sget(o, "phase"), "question");
        ASSERT_EQ(iget(json_object_get(o, "player"), "score"), 0);
        if (i == 0)
            ASSERT_EQ(iget(o, "answered"), ch);
        else
            ASSERT(json_is_null(json_object_get(o, "answered")));
        json_decref(o);
    }
    r.p[2].c = conn(&r);
    ASSERT_OK(wsc_sendf(r.p[2].c, "{\"type\":\"join\",\"code\":\"%s\",\"token\":\"%s\"}", r.code, r.p[2].token));
    o = itest_expect(r.p[2].c, "error");
    ASSERT_STR_EQ(sget(o, "code"), "bad_token");
    json_decref(o);
    /* Two records for the code: the finished game and the running one. */
    char path[128];
    snprintf(path, sizeof path, "%s/quizd.db", r.dir);
    itest_stop(&r.srv);
    sqlite3 *db;
    sqlite3_stmt *st;
    ASSERT_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM rooms WHERE code = ?1", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, r.code, -1, SQLITE_STATIC);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    ASSERT_EQ(sqlite3_column_int(st, 0), 2);
    sqlite3_finalize(st);
    sqlite3_close(db);
    disconnect_all(&r);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", r.dir);
    ASSERT_EQ(system(cmd), 0);
}

/* ---- a disk that fills during a game ---- */

/* A real full disk: a 320 KiB tmpfs as the data directory (needs mount(2),
 * i.e. root with CAP_SYS_ADMIN; skipped with a message elsewhere). Players
 * keep joining until the writes fail: the game goes on (joins are still
 * answered), the host gets a results_not_saved notice, /healthz says so. */
static char full_mount[64];   /* the tmpfs while mounted, for on_abort_umount */

/* A failed ASSERT aborts: detach the tmpfs on the way out so an aborted run
 * leaves no mount behind (umount2 is async-signal-safe; MNT_DETACH works
 * while quizd still holds files in it). */
static void on_abort_umount(int sig)
{
    if (full_mount[0])
        umount2(full_mount, MNT_DETACH);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void test_disk_full_tells_host(void)
{
    struct run r = {.sig = SIGTERM};
    snprintf(r.dir, sizeof r.dir, "/tmp/qz-full-XXXXXX");
    ASSERT(mkdtemp(r.dir));
    char cmd[256];
    snprintf(cmd, sizeof cmd, "mount -t tmpfs -o size=320k,mode=0700 tmpfs '%s' 2>/dev/null", r.dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "SKIPPED: cannot mount a small tmpfs here (needs root with CAP_SYS_ADMIN)\n");
        proc_rm_tree(r.dir);
        return;
    }
    snprintf(full_mount, sizeof full_mount, "%s", r.dir);
    signal(SIGABRT, on_abort_umount);
    snprintf(r.data_arg, sizeof r.data_arg, "--data=%s", r.dir);
    const char *extra[] = {r.data_arg, "--data-retry-ms=200", NULL};   /* then it gives up */
    itest_start(&r.srv, extra);
    struct wsc *h = conn(&r);
    ASSERT_OK(wsc_send(h, "{\"type\":\"create_room\",\"pack\":\"test\",\"max_players\":500}"));
    json_t *o = itest_expect(h, "room_created");
    snprintf(r.code, sizeof r.code, "%s", sget(o, "code"));
    json_decref(o);
    struct wsc *p[400];
    int n = 0;
    json_t *notice = NULL;
    bool full = false;
    char *hd, *b;
    while (!full && n < 400) {
        p[n] = conn(&r);
        ASSERT_OK(wsc_sendf(p[n], "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"Player %d\"}", r.code, n));
        json_decref(itest_expect(p[n], "joined"));   /* the game goes on */
        n++;
        ASSERT_EQ(http_get(r.srv.port, "/healthz", &hd, &b, ITEST_T), 200);
        full = strstr(b, "\"data\":\"not_saved\"") != NULL;
        free(hd), free(b);
    }
    ASSERT(full);
    notice = itest_expect(h, "notice");
    ASSERT_STR_EQ(sget(notice, "notice"), "results_not_saved");
    json_decref(notice);
    notice = itest_expect(p[0], "notice");   /* the players are told too */
    ASSERT_STR_EQ(sget(notice, "notice"), "results_not_saved");
    json_decref(notice);
    ASSERT_EQ(http_get(r.srv.port, "/healthz", &hd, &b, ITEST_T), 200);
    ASSERT_CONTAINS(b, "\"data\":\"not_saved\"");
    ASSERT_CONTAINS(b, "\"unsaved_rooms\":1");
    free(hd), free(b);
    fprintf(stderr, "disk full after %d joins\n", n);
    /* a room created afterwards: its host is told at once */
    struct wsc *h2 = conn(&r);
    ASSERT_OK(wsc_send(h2, "{\"type\":\"create_room\",\"pack\":\"test\"}"));
    bool created = false, told = false;   /* the notice may come first */
    char *m;
    while ((!created || !told) && (m = wsc_recv(h2, ITEST_T))) {
        json_t *x = json_loads(m, 0, NULL);
        free(m);
        created |= x && !strcmp(sget(x, "type"), "room_created");
        told |= x && !strcmp(sget(x, "type"), "notice") &&
                !strcmp(sget(x, "notice"), "results_not_saved");
        json_decref(x);
    }
    ASSERT(created && told);
    wsc_free(h2);
    /* still playing: the host starts, a player answers and is acknowledged */
    ASSERT_OK(wsc_send(h, "{\"type\":\"start\",\"req\":1}"));
    json_decref(itest_expect(h, "ack"));
    json_t *qj = itest_expect(p[0], "question");
    json_decref(qj);
    ASSERT_OK(wsc_send(p[0], "{\"type\":\"answer\",\"index\":0,\"choice\":0}"));
    json_decref(itest_expect(p[0], "answer_ack"));
    for (int i = 0; i < n; i++)
        wsc_free(p[i]);
    wsc_free(h);
    itest_stop(&r.srv);
    ASSERT_EQ(umount2(r.dir, 0), 0);
    full_mount[0] = 0;
    signal(SIGABRT, SIG_DFL);
    proc_rm_tree(r.dir);
}

/* ---- retention ---- */

/* A finished game: one player, started and ended by the host. */
static void finished_room(struct run *r, char code[8], char token[40])
{
    struct wsc *h = conn(r), *p = conn(r);
    ASSERT_OK(wsc_send(h, "{\"type\":\"create_room\",\"pack\":\"test\"}"));
    json_t *o = itest_expect(h, "room_created");
    snprintf(code, 8, "%s", sget(o, "code"));
    snprintf(token, 40, "%s", sget(o, "host_token"));
    json_decref(o);
    ASSERT_OK(wsc_sendf(p, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"Solo\"}", code));
    json_decref(itest_expect(p, "joined"));
    ASSERT_OK(wsc_send(h, "{\"type\":\"start\"}"));
    json_decref(itest_expect(p, "question"));
    ASSERT_OK(wsc_send(h, "{\"type\":\"end\"}"));
    json_decref(itest_expect(h, "game_over"));
    wsc_free(p);
    wsc_free(h);
}

static void sql(struct run *r, const char *stmt)
{
    char path[128];
    snprintf(path, sizeof path, "%s/quizd.db", r->dir);
    sqlite3 *db;
    ASSERT_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    char *err = NULL;
    if (sqlite3_exec(db, stmt, NULL, NULL, &err) != SQLITE_OK)
        FAIL_AT("%s: %s", stmt, err);
    sqlite3_close(db);
}

static long long sql_count(struct run *r, const char *stmt)
{
    char path[128];
    snprintf(path, sizeof path, "%s/quizd.db", r->dir);
    sqlite3 *db;
    sqlite3_stmt *st;
    ASSERT_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ASSERT_EQ(sqlite3_prepare_v2(db, stmt, -1, &st, NULL), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* Finished games older than --keep-days are purged at start, with every
 * row they had; younger ones stay readable. */
static void test_keep_days_purges_old_games(void)
{
    struct run r = {.sig = SIGTERM};
    snprintf(r.dir, sizeof r.dir, "/tmp/qz-keep-XXXXXX");
    ASSERT(mkdtemp(r.dir));
    snprintf(r.data_arg, sizeof r.data_arg, "--data=%s", r.dir);
    char old_code[8], old_tok[40], new_code[8], new_tok[40], stmt[512], path[128], *b;
    start(&r);
    finished_room(&r, old_code, old_tok);
    finished_room(&r, new_code, new_tok);
    itest_stop(&r.srv);
    long long day = 86400000LL, now = (long long)time(NULL) * 1000;
    snprintf(stmt, sizeof stmt, "UPDATE rooms SET finished_at = %lld WHERE code = '%s';"
             "UPDATE rooms SET finished_at = %lld WHERE code = '%s';",
             now - 40 * day, old_code, now - 10 * day, new_code);
    sql(&r, stmt);
    const char *extra[] = {r.data_arg, "--keep-days=30", NULL};
    itest_start(&r.srv, extra);
    snprintf(path, sizeof path, "/api/rooms/%s/results.json", old_code);
    ASSERT_EQ(get_auth(&r, path, old_tok, &b), 404);
    free(b);
    snprintf(path, sizeof path, "/api/rooms/%s/results.json", new_code);
    ASSERT_EQ(get_auth(&r, path, new_tok, &b), 200);
    ASSERT_CONTAINS(b, "\"finished\":true");
    free(b);
    itest_stop(&r.srv);
    /* nothing of the purged room is left: one room, its player and events */
    ASSERT_EQ(sql_count(&r, "SELECT count(*) FROM rooms"), 1);
    ASSERT_EQ(sql_count(&r, "SELECT count(*) FROM players WHERE room NOT IN (SELECT id FROM rooms)"), 0);
    ASSERT_EQ(sql_count(&r, "SELECT count(*) FROM events WHERE room NOT IN (SELECT id FROM rooms)"), 0);
    ASSERT_EQ(sql_count(&r, "SELECT count(*) FROM questions WHERE room NOT IN (SELECT id FROM rooms)"), 0);
    ASSERT_GE(sql_count(&r, "SELECT count(*) FROM events"), 1);
    proc_rm_tree(r.dir);
}

/* ---- one quizd per data directory ---- */

static void room_with_player(struct run *r, struct wsc **h, struct wsc **p, bool started)
{
    *h = conn(r);
    ASSERT_OK(wsc_send(*h, "{\"type\":\"create_room\",\"req\":1,\"pack\":\"test\",\"count\":2,"
                           "\"seconds\":60,\"auto_advance\":false}"));
    json_t *o = itest_expect(*h, "room_created");
    snprintf(r->code, sizeof r->code, "%s", sget(o, "code"));
    snprintf(r->host.token, sizeof r->host.token, "%s", sget(o, "host_token"));
    json_decref(o);
    *p = conn(r);
    ASSERT_OK(wsc_sendf(*p, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"Ann\"}", r->code));
    json_decref(itest_expect(*p, "joined"));
    if (!started)
        return;
    ASSERT_OK(wsc_send(*h, "{\"type\":\"start\",\"req\":2}"));
    json_decref(itest_expect(*h, "ack"));
    json_decref(itest_expect(*p, "question"));
}

/* A second quizd on the same --data (another port, or the same one) is
 * refused at once with a clear message; the first one goes on saving. */
static void test_second_quizd_on_same_data_refused(void)
{
    struct run r = {.sig = SIGTERM};
    snprintf(r.dir, sizeof r.dir, "/tmp/qz-lock-XXXXXX");
    ASSERT(mkdtemp(r.dir));
    snprintf(r.data_arg, sizeof r.data_arg, "--data=%s", r.dir);
    start(&r);
    struct wsc *h, *p;
    room_with_player(&r, &h, &p, true);
    char err[2048];
    ASSERT_EQ(run_quizd_on(r.dir, false, 0, err, sizeof err), 1);
    ASSERT_CONTAINS(err, "another quizd is using the data directory");
    ASSERT_EQ(run_quizd_on(r.dir, false, r.srv.port, err, sizeof err), 1);
    ASSERT_CONTAINS(err, "another quizd is using the data directory");
    ASSERT_OK(wsc_send(p, "{\"type\":\"answer\",\"index\":0,\"choice\":0}"));
    json_decref(itest_expect(p, "answer_ack"));
    wsc_free(p);
    wsc_free(h);
    itest_stop(&r.srv);
    ASSERT_EQ(sql_count(&r, "SELECT count(*) FROM answers"), 1);
    ASSERT_EQ(sql_count(&r, "SELECT count(*) FROM rooms WHERE finished_at IS NOT NULL"), 0);
    proc_rm_tree(r.dir);
}

/* A start whose port is taken replays nothing and records nothing: the
 * stored rooms are left exactly as the last run left them. */
static void test_start_that_cannot_bind_records_nothing(void)
{
    struct run r = {.sig = SIGKILL};
    snprintf(r.dir, sizeof r.dir, "/tmp/qz-bind-XXXXXX");
    ASSERT(mkdtemp(r.dir));
    snprintf(r.data_arg, sizeof r.data_arg, "--data=%s", r.dir);
    start(&r);
    struct wsc *h, *p;
    room_with_player(&r, &h, &p, false);   /* Ann is connected when it dies */
    ASSERT_EQ(proc_stop(&r.srv, SIGKILL, 5000), 128 + SIGKILL);
    wsc_free(p);
    wsc_free(h);
    long long events = sql_count(&r, "SELECT count(*) FROM events");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    ASSERT_OK(bind(fd, (struct sockaddr *)&a, sizeof a));
    ASSERT_OK(listen(fd, 1));
    ASSERT_OK(getsockname(fd, (struct sockaddr *)&a, &al));
    char err[2048];
    ASSERT_EQ(run_quizd_on(r.dir, false, ntohs(a.sin_port), err, sizeof err), 1);
    ASSERT_CONTAINS(err, "cannot listen");
    close(fd);
    ASSERT_EQ(sql_count(&r, "SELECT count(*) FROM events"), events);
    ASSERT_EQ(sql_count(&r, "SELECT count(*) FROM rooms WHERE finished_at IS NOT NULL"), 0);
    /* the next start that can listen finds the room */
    start(&r);
    h = conn(&r);
    ASSERT_OK(wsc_sendf(h, "{\"type\":\"host_resume\",\"code\":\"%s\",\"host_token\":\"%s\"}",
                        r.code, r.host.token));
    json_t *st = itest_expect(h, "state");
    ASSERT_STR_EQ(sget(st, "phase"), "lobby");
    json_decref(st);
    wsc_free(h);
    itest_stop(&r.srv);
    proc_rm_tree(r.dir);
}

/* A bad frame right behind an answer, in the same read: the error of the
 * net layer does not overtake the answer_ack still waiting for its commit. */
static void test_net_error_keeps_order_behind_held_ack(void)
{
    struct run r = {.sig = SIGTERM};
    snprintf(r.dir, sizeof r.dir, "/tmp/qz-order-XXXXXX");
    ASSERT(mkdtemp(r.dir));
    snprintf(r.data_arg, sizeof r.data_arg, "--data=%s", r.dir);
    start(&r);
    struct wsc *h, *p;
    room_with_player(&r, &h, &p, true);
    const char *two[] = {"{\"type\":\"answer\",\"index\":0,\"choice\":1,\"req\":5}", "not json"};
    ASSERT_OK(wsc_send_many(p, two, 2));
    int ack_at = -1, err_at = -1;
    for (int i = 0; i < 20 && (ack_at < 0 || err_at < 0); i++) {
        char *m = wsc_recv(p, ITEST_T);
        ASSERT(m);
        json_t *x = json_loads(m, 0, NULL);
        free(m);
        ASSERT(x);
        if (!strcmp(sget(x, "type"), "answer_ack"))
            ack_at = i;
        else if (!strcmp(sget(x, "type"), "error"))
            err_at = i;
        json_decref(x);
    }
    ASSERT(ack_at >= 0 && err_at >= 0);
    ASSERT(ack_at < err_at);
    wsc_free(p);
    wsc_free(h);
    itest_stop(&r.srv);
    proc_rm_tree(r.dir);
}

#define MISS_BURST 30   /* ROOMS_MISS_BURST: the address's burst of room misses */

/* Export misses (404 no such room, 403 not its token) spend the address's
 * budget of room guesses, the one join and host_resume share: past it the
 * export answers 429 before any lookup (a right token teaches nothing
 * either), and a join naming an unknown room is refused too. 401 (no
 * token) is no guess. The 401/403/404 contract holds within the budget. */
static void test_export_misses_share_the_guess_budget(void)
{
    struct run r = {.sig = SIGTERM};
    snprintf(r.dir, sizeof r.dir, "/tmp/qz-guess-XXXXXX");
    ASSERT(mkdtemp(r.dir));
    snprintf(r.data_arg, sizeof r.data_arg, "--data=%s", r.dir);
    start(&r);
    struct wsc *h, *p;
    room_with_player(&r, &h, &p, false);
    char real[128], *b;
    snprintf(real, sizeof real, "/api/rooms/%s/results.json", r.code);
    for (int i = 0; i < MISS_BURST + 5; i++) {   /* not guesses */
        ASSERT_EQ(get_auth(&r, real, NULL, &b), 401);
        free(b);
    }
    int misses = 0, st = 0;
    for (; misses < MISS_BURST + 60; misses++) {
        bool wrong_token = misses % 2;
        st = get_auth(&r, wrong_token ? real : "/api/rooms/ZZZZZZ/results.json",
                      wrong_token ? "not-the-token" : r.host.token, &b);
        free(b);
        if (st == 429)
            break;
        ASSERT_EQ(st, wrong_token ? 403 : 404);
    }
    ASSERT_EQ(st, 429);
    ASSERT_GE(misses, MISS_BURST);
    /* out of budget, the right token is refused too (one a second refills:
     * a refill between two requests is spent by another miss) */
    bool refused = false;
    for (int i = 0; i < 10 && !refused; i++) {
        st = get_auth(&r, real, r.host.token, &b);
        free(b);
        refused = st == 429;
        if (!refused) {
            ASSERT_EQ(st, 200);
            ASSERT_EQ(get_auth(&r, "/api/rooms/ZZZZZZ/results.json", "x", &b) / 100, 4);
            free(b);
        }
    }
    ASSERT(refused);
    struct wsc *g = conn(&r);
    ASSERT_OK(wsc_send(g, "{\"type\":\"join\",\"code\":\"ZZZZZZ\",\"name\":\"Eve\"}"));
    json_t *e = itest_expect(g, "error");
    ASSERT_CONTAINS(sget(e, "message"), "too many unknown room codes");
    json_decref(e);
    wsc_free(g);
    wsc_free(p);
    wsc_free(h);
    itest_stop(&r.srv);
    proc_rm_tree(r.dir);
}

static struct test_case tests[] = {
    {"read_only_db_fails_start", test_read_only_db_fails_start},
    {"export_misses_share_the_guess_budget", test_export_misses_share_the_guess_budget},
    {"net_error_keeps_order_behind_held_ack", test_net_error_keeps_order_behind_held_ack},
    {"second_quizd_on_same_data_refused", test_second_quizd_on_same_data_refused},
    {"start_that_cannot_bind_records_nothing", test_start_that_cannot_bind_records_nothing},
    {"keep_days_purges_old_games", test_keep_days_purges_old_games},
    {"disk_full_tells_host", test_disk_full_tells_host},
    {"crash_loop", test_crash_loop},
    {"read_only_data_dir_fails_start", test_read_only_data_dir_fails_start},
    {"truncated_db_fails_start", test_truncated_db_fails_start},
    {"kill9_in_lobby", test_kill9_in_lobby},
    {"kill9_mid_question", test_kill9_mid_question},
    {"kill9_in_reveal", test_kill9_in_reveal},
    {"kill9_in_leaderboard", test_kill9_in_leaderboard},
    {"sigterm_mid_question", test_sigterm_mid_question},
    {"kill9_after_play_again", test_kill9_after_play_again},
};

TEST_MAIN(tests)
