/* Whole games over real WebSockets: several players, scoring, reveal,
 * leaderboard, podium and reviews; resume of players and host; every error
 * code provoked once. Uses tests/data/packs/test.json, whose right option is
 * literally "right", so clients can aim. */
#include "itest.h"
#include <signal.h>

#define T proc_timeout(4000)

static struct proc srv;
static void start_server(void)
{
    itest_start(&srv, NULL);
}

static void stop_server(void)
{
    itest_stop(&srv);
}

static struct wsc *conn(void)
{
    struct wsc *c = wsc_connect(srv.port, "/ws", T);
    ASSERT(c);
    return c;
}

static json_t *expect(struct wsc *c, const char *type)
{
    return itest_expect(c, type);
}

static void expect_error(struct wsc *c, const char *code)
{
    json_t *o = expect(c, "error");
    if (strcmp(sget(o, "code"), code))
        FAIL_AT("expected error %s, got %s (%s)", code, sget(o, "code"), sget(o, "message"));
    ASSERT(strlen(sget(o, "message")) > 0);
    json_decref(o);
}

static struct wsc *create_room(const char *extra, char code[8], char token[40])
{
    struct wsc *h = conn();
    ASSERT_OK(wsc_sendf(h, "{\"type\":\"create_room\",\"req\":1,\"pack\":\"test\"%s}", extra));
    json_t *o = expect(h, "room_created");
    ASSERT_EQ(iget(o, "req"), 1);
    snprintf(code, 8, "%s", sget(o, "code"));
    snprintf(token, 40, "%s", sget(o, "host_token"));
    ASSERT_EQ(strlen(code), 6);
    ASSERT_EQ(strlen(token), 32);
    json_decref(o);
    return h;
}

static struct wsc *join(const char *code, const char *name, long long *id, char token[40])
{
    struct wsc *c = conn();
    ASSERT_OK(wsc_sendf(c, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"%s\",\"req\":2}", code, name));
    json_t *o = expect(c, "joined");
    ASSERT_EQ(iget(o, "req"), 2);
    ASSERT_STR_EQ(sget(o, "name"), name);
    if (id)
        *id = iget(o, "player_id");
    if (token)
        snprintf(token, 40, "%s", sget(o, "token"));
    json_decref(o);
    o = expect(c, "state");
    ASSERT_STR_EQ(sget(o, "role"), "player");
    json_decref(o);
    return c;
}

/* Receives the question, checking the frame reveals nothing, and returns the
 * display index of "right". */
static int question_right(struct wsc *c, int index)
{
    json_t *o = expect(c, "question");
    ASSERT_EQ(iget(o, "index"), index);
    ASSERT(!json_object_get(o, "correct"));
    ASSERT(!json_object_get(o, "explanation"));
    ASSERT(iget(o, "deadline_ms") - iget(o, "now_ms") == iget(o, "time_ms"));
    json_t *opts = json_object_get(o, "options");
    int right = -1;
    for (size_t i = 0; i < json_array_size(opts); i++)
        if (!strcmp(json_string_value(json_array_get(opts, i)), "right"))
            right = (int)i;
    ASSERT(right >= 0);
    json_decref(o);
    return right;
}

static void answer(struct wsc *c, int index, int choice)
{
    ASSERT_OK(wsc_sendf(c, "{\"type\":\"answer\",\"index\":%d,\"choice\":%d,\"req\":5}", index, choice));
    json_t *o = expect(c, "answer_ack");
    ASSERT_EQ(iget(o, "index"), index);
    ASSERT_EQ(iget(o, "req"), 5);
    json_decref(o);
}

static void host_cmd(struct wsc *h, const char *json)
{
    ASSERT_OK(wsc_send(h, json));
    json_t *o = expect(h, "ack");
    json_decref(o);
}

static void test_full_game_three_players(void)
{
    char code[8], htok[40];
    start_server();
    struct wsc *h = create_room(",\"count\":3,\"seconds\":30", code, htok);
    long long ida, idb, idc;
    struct wsc *a = join(code, "Ada", &ida, NULL);
    struct wsc *b = join(code, "Bob", &idb, NULL);
    struct wsc *c = join(code, "Cy", &idc, NULL);
    /* The host sees all three in a lobby update (coalesced, so wait for it). */
    for (;;) {
        json_t *o = expect(h, "lobby");
        size_t n = json_array_size(json_object_get(o, "players"));
        json_decref(o);
        if (n == 3)
            break;
    }
    host_cmd(h, "{\"type\":\"start\"}");
    struct wsc *pl[3] = {a, b, c};
    long long expected_score[3] = {0, 0, 0};
    for (int q = 0; q < 3; q++) {
        int right = question_right(a, q);
        ASSERT_EQ(question_right(b, q), right);
        ASSERT_EQ(question_right(c, q), right);
        json_decref(expect(h, "question"));
        /* Ada always right, Bob always wrong, Cy right on the last question only. */
        answer(a, q, right);
        answer(b, q, (right + 1) % 2);
        answer(c, q, q == 2 ? right : (right + 1) % 2);
        json_t *rv = expect(h, "reveal");
        ASSERT_EQ(iget(rv, "correct"), right);
        ASSERT_EQ(iget(rv, "answered"), 3);
        ASSERT(strlen(sget(rv, "explanation")) > 0);
        json_decref(rv);
        for (int i = 0; i < 3; i++) {
            json_t *r = expect(pl[i], "reveal");
            json_decref(r);
            json_t *res = expect(pl[i], "result");
            bool ok = i == 0 || (i == 2 && q == 2);
            ASSERT_EQ(json_is_true(json_object_get(res, "correct")), ok);
            long long pts = iget(res, "points");
            if (ok) {
                ASSERT_GE(pts, 900);   /* answered within a second of 30 s */
                ASSERT_LE(pts, 1000 + 500);
            } else {
                ASSERT_EQ(pts, 0);
            }
            expected_score[i] += pts;
            ASSERT_EQ(iget(res, "score"), expected_score[i]);
            if (i == 0) {
                ASSERT_EQ(iget(res, "rank"), 1);
                ASSERT_EQ(iget(res, "gap_to_next"), 0);
                ASSERT_EQ(iget(res, "streak"), q + 1);
                ASSERT(json_is_null(json_object_get(res, "ahead")));
            }
            /* After the last question: Ada, Cy, Bob; each is told who is just ahead. */
            if (q == 2 && i > 0)
                ASSERT_STR_EQ(sget(res, "ahead"), i == 1 ? "Cy" : "Ada");
            json_decref(res);
        }
        host_cmd(h, "{\"type\":\"next\"}");
        json_t *lb = expect(h, "leaderboard");
        json_t *top = json_object_get(lb, "top");
        ASSERT_EQ(json_array_size(top), 3);
        ASSERT_STR_EQ(sget(json_array_get(top, 0), "name"), "Ada");
        json_decref(lb);
        for (int i = 0; i < 3; i++)
            json_decref(expect(pl[i], "leaderboard"));
        host_cmd(h, "{\"type\":\"next\"}");
    }
    json_t *go = expect(h, "game_over");
    json_t *top = json_object_get(go, "top");
    ASSERT_STR_EQ(sget(json_array_get(top, 0), "name"), "Ada");
    ASSERT_STR_EQ(sget(json_array_get(top, 1), "name"), "Cy");
    ASSERT_STR_EQ(sget(json_array_get(top, 2), "name"), "Bob");
    ASSERT_EQ(iget(json_array_get(top, 0), "score"), expected_score[0]);
    ASSERT_EQ(iget(json_array_get(top, 2), "rank"), 3);
    json_decref(go);
    for (int i = 0; i < 3; i++) {
        json_decref(expect(pl[i], "game_over"));
        json_t *rv = expect(pl[i], "review");
        size_t missed = json_array_size(json_object_get(rv, "missed"));
        ASSERT_EQ(missed, i == 0 ? 0 : i == 1 ? 3 : 2);
        if (i == 1) {
            json_t *m = json_array_get(json_object_get(rv, "missed"), 0);
            ASSERT(json_is_integer(json_object_get(m, "chosen")));
            ASSERT(strlen(sget(m, "explanation")) > 0);
            ASSERT(json_is_object(json_object_get(m, "source")));
        }
        json_decref(rv);
    }
    wsc_free(a), wsc_free(b), wsc_free(c), wsc_free(h);
    stop_server();
}

static void test_player_resumes_mid_question_after_answering(void)
{
    char code[8], htok[40], tok[40];
    start_server();
    struct wsc *h = create_room(",\"count\":2,\"seconds\":60", code, htok);
    long long ida, idb;
    struct wsc *a = join(code, "Ada", &ida, tok);
    struct wsc *b = join(code, "Bob", &idb, NULL);
    host_cmd(h, "{\"type\":\"start\"}");
    int right = question_right(a, 0);
    question_right(b, 0);
    answer(a, 0, right);
    wsc_free(a);   /* drop the connection */
    /* The host sees Ada go offline. */
    for (;;) {
        json_t *o = expect(h, "lobby");
        json_t *ps = json_object_get(o, "players");
        bool offline = false;
        for (size_t i = 0; i < json_array_size(ps); i++)
            if (iget(json_array_get(ps, i), "id") == ida)
                offline = json_is_false(json_object_get(json_array_get(ps, i), "connected"));
        json_decref(o);
        if (offline)
            break;
    }
    a = conn();
    ASSERT_OK(wsc_sendf(a, "{\"type\":\"join\",\"code\":\"%s\",\"token\":\"%s\"}", code, tok));
    json_t *o = expect(a, "joined");
    ASSERT_EQ(iget(o, "player_id"), ida);
    ASSERT_STR_EQ(sget(o, "name"), "Ada");
    json_decref(o);
    o = expect(a, "state");
    ASSERT_STR_EQ(sget(o, "phase"), "question");
    ASSERT_EQ(iget(o, "answered"), right);
    ASSERT_EQ(iget(json_object_get(o, "question"), "index"), 0);
    json_decref(o);
    ASSERT_OK(wsc_sendf(a, "{\"type\":\"answer\",\"index\":0,\"choice\":%d}", (right + 1) % 2));
    expect_error(a, "already_answered");
    answer(b, 0, right);
    json_t *res = expect(a, "result");
    ASSERT(json_is_true(json_object_get(res, "correct")));
    ASSERT_GE(iget(res, "score"), 900);
    json_decref(res);

    /* The host drops and resumes with its token; host actions keep working. */
    wsc_free(h);
    h = conn();
    ASSERT_OK(wsc_sendf(h, "{\"type\":\"host_resume\",\"code\":\"%s\",\"host_token\":\"%s\",\"req\":77}", code, htok));
    o = expect(h, "state");
    ASSERT_EQ(iget(o, "req"), 77);
    ASSERT_STR_EQ(sget(o, "role"), "host");
    ASSERT_STR_EQ(sget(o, "phase"), "reveal");
    json_decref(o);
    host_cmd(h, "{\"type\":\"next\"}");
    json_decref(expect(a, "leaderboard"));
    /* A resumed player's state after a refresh during the leaderboard. */
    wsc_free(a);
    a = conn();
    ASSERT_OK(wsc_sendf(a, "{\"type\":\"join\",\"code\":\"%s\",\"token\":\"%s\"}", code, tok));
    json_decref(expect(a, "joined"));
    o = expect(a, "state");
    ASSERT_STR_EQ(sget(o, "phase"), "leaderboard");
    ASSERT_GE(iget(json_object_get(o, "player"), "score"), 900);
    json_decref(o);
    wsc_free(a), wsc_free(b), wsc_free(h);
    stop_server();
}

static void test_every_error_code(void)
{
    char code[8], htok[40], tok[40];
    start_server();
    struct wsc *x = conn();
    ASSERT_OK(wsc_send(x, "{oops"));
    expect_error(x, "bad_json");
    ASSERT_OK(wsc_send(x, "{\"type\":\"join\",\"code\":\"ABC234\"}"));
    expect_error(x, "bad_message");
    ASSERT_OK(wsc_send(x, "{\"type\":\"dance\"}"));
    expect_error(x, "unknown_type");
    ASSERT_OK(wsc_send(x, "{\"type\":\"join\",\"code\":\"ZZZZZZ\",\"name\":\"Ada\"}"));
    expect_error(x, "room_not_found");
    ASSERT_OK(wsc_send(x, "{\"type\":\"start\"}"));
    expect_error(x, "not_host");
    ASSERT_OK(wsc_send(x, "{\"type\":\"answer\",\"index\":0,\"choice\":0}"));
    expect_error(x, "bad_phase");
    ASSERT_OK(wsc_send(x, "{\"type\":\"create_room\",\"pack\":\"nope\"}"));
    expect_error(x, "bad_message");
    ASSERT_OK(wsc_send(x, "{\"type\":\"create_room\",\"max_players\":99999}"));
    expect_error(x, "bad_message");

    struct wsc *h = create_room(",\"count\":2,\"seconds\":60,\"max_players\":2", code, htok);
    ASSERT_OK(wsc_send(h, "{\"type\":\"start\"}"));
    expect_error(h, "bad_phase");   /* no player yet */
    long long ida;
    struct wsc *a = join(code, "Ada", &ida, tok);
    ASSERT_OK(wsc_sendf(x, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"ADA\"}", code));
    expect_error(x, "name_taken");
    ASSERT_OK(wsc_sendf(x, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"\\u0001x\"}", code));
    expect_error(x, "name_invalid");
    ASSERT_OK(wsc_sendf(x, "{\"type\":\"join\",\"code\":\"%s\",\"token\":\"ffffffffffffffffffffffffffffffff\"}", code));
    expect_error(x, "bad_token");
    /* A wrong host token answers like a missing room (no code oracle). */
    ASSERT_OK(wsc_sendf(x, "{\"type\":\"host_resume\",\"code\":\"%s\",\"host_token\":\"ffffffffffffffffffffffffffffffff\"}", code));
    expect_error(x, "room_not_found");
    host_cmd(h, "{\"type\":\"lock\",\"locked\":true}");
    ASSERT_OK(wsc_sendf(x, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"Zed\"}", code));
    expect_error(x, "room_locked");
    host_cmd(h, "{\"type\":\"lock\",\"locked\":false}");
    struct wsc *b = join(code, "Bob", NULL, NULL);
    ASSERT_OK(wsc_sendf(x, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"Zed\"}", code));
    expect_error(x, "room_full");
    ASSERT_OK(wsc_send(a, "{\"type\":\"next\",\"req\":4}"));
    json_t *o = expect(a, "error");
    ASSERT_STR_EQ(sget(o, "code"), "not_host");
    ASSERT_EQ(iget(o, "req"), 4);
    json_decref(o);

    host_cmd(h, "{\"type\":\"start\"}");
    int right = question_right(a, 0);
    ASSERT_OK(wsc_send(a, "{\"type\":\"answer\",\"index\":0,\"choice\":9}"));
    expect_error(a, "bad_choice");
    ASSERT_OK(wsc_send(a, "{\"type\":\"answer\",\"index\":1,\"choice\":0}"));
    expect_error(a, "bad_phase");
    answer(a, 0, right);
    ASSERT_OK(wsc_send(a, "{\"type\":\"answer\",\"index\":0,\"choice\":0}"));
    expect_error(a, "already_answered");
    host_cmd(h, "{\"type\":\"next\"}");   /* the host closes the question early */
    ASSERT_OK(wsc_send(b, "{\"type\":\"answer\",\"index\":0,\"choice\":0}"));
    expect_error(b, "too_late");

    /* Kick: the player is told, its token then fails, the name cannot return. */
    host_cmd(h, "{\"type\":\"kick\",\"player_id\":1}");
    json_decref(expect(a, "kicked"));
    struct wsc *a2 = conn();
    ASSERT_OK(wsc_sendf(a2, "{\"type\":\"join\",\"code\":\"%s\",\"token\":\"%s\"}", code, tok));
    expect_error(a2, "bad_token");
    ASSERT_OK(wsc_sendf(a2, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"ada\"}", code));
    expect_error(a2, "name_invalid");
    host_cmd(h, "{\"type\":\"end\"}");
    json_decref(expect(b, "game_over"));
    json_decref(expect(b, "review"));

    /* Flooding one connection is rate limited; others are unaffected. */
    int limited = 0;
    struct wsc *y = conn();
    for (int i = 0; i < 80; i++)
        ASSERT_OK(wsc_sendf(y, "{\"type\":\"ping\",\"req\":%d}", i));
    for (int i = 0; i < 80; i++) {
        char *m = wsc_recv(y, T);
        ASSERT(m);
        limited += strstr(m, "rate_limited") != NULL;
        free(m);
        if (limited)
            break;
    }
    ASSERT_GE(limited, 1);
    ASSERT_OK(wsc_send(b, "{\"type\":\"ping\",\"req\":1}"));
    json_decref(expect(b, "pong"));
    wsc_free(a), wsc_free(a2), wsc_free(b), wsc_free(h), wsc_free(x), wsc_free(y);
    stop_server();
}

/* Writes a pack of `n` questions with near-maximal text into a fresh dir. */
static void write_big_pack(char dir[64], int n)
{
    snprintf(dir, 64, "/tmp/quizd-test-XXXXXX");
    ASSERT(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/big.json", dir);
    FILE *f = fopen(path, "w");
    ASSERT(f);
    char pad[1801];
    memset(pad, 'x', 1800);
    pad[1800] = 0;
    fprintf(f, "{\"format\":\"quizd-pack/1\",\"title\":\"Big\",\"questions\":[");
    for (int i = 0; i < n; i++)
        fprintf(f, "%s{\"id\":\"b%d\",\"category\":\"C\",\"prompt\":\"%.900s\",\"code\":\"%s%s\","
                   "\"options\":[\"right\",\"w1\",\"w2\",\"w3\"],\"correct\":0,\"explanation\":\"%s\","
                   "\"time_s\":60}",
                i ? "," : "", i, pad, pad, pad, pad);
    fprintf(f, "]}");
    fclose(f);
}

static void test_slow_reader_is_closed_not_buffered(void)
{
    char code[8], htok[40], dir[64], arg[128];
    write_big_pack(dir, 50);
    snprintf(arg, sizeof arg, "--packs=%s", dir);
    const char *a[] = {"--no-corpus", arg, NULL};
    ASSERT_OK(proc_start_quizd(&srv, a, 10000));
    struct wsc *h = conn();
    ASSERT_OK(wsc_send(h, "{\"type\":\"create_room\",\"pack\":\"big\",\"count\":50}"));
    json_decref(expect(h, "room_created"));
    snprintf(code, sizeof code, "%s", "");
    (void)htok;
    json_t *lob = expect(h, "lobby");
    snprintf(code, sizeof code, "%s", sget(lob, "code"));
    json_decref(lob);
    /* A reader with a tiny window that never reads. */
    struct wsc *slow = wsc_connect_rcvbuf(srv.port, "/ws", T, 2048);
    ASSERT(slow);
    ASSERT_OK(wsc_sendf(slow, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"Slow\"}", code));
    struct wsc *ok = join(code, "Reader", NULL, NULL);
    host_cmd(h, "{\"type\":\"start\"}");
    bool dropped = false;
    for (int q = 0; q < 50 && !dropped; q++) {
        /* The reading player sees every question in full, undisturbed. */
        json_t *qm = expect(ok, "question");
        ASSERT_EQ(iget(qm, "index"), q);
        json_decref(qm);
        host_cmd(h, "{\"type\":\"next\"}");
        host_cmd(h, "{\"type\":\"next\"}");
        json_decref(expect(ok, "leaderboard"));
        char *hh, *bb;
        ASSERT_EQ(http_get(srv.port, "/healthz", &hh, &bb, T), 200);
        dropped = strstr(bb, "\"connections\":2") != NULL;
        free(hh), free(bb);
        if (!dropped && q < 49)
            host_cmd(h, "{\"type\":\"next\"}");
    }
    ASSERT(dropped);   /* the server closed the reader that fell behind */
    ASSERT_OK(wsc_send(ok, "{\"type\":\"ping\"}"));
    json_decref(expect(ok, "pong"));
    wsc_free(slow), wsc_free(ok), wsc_free(h);
    stop_server();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ASSERT_EQ(system(cmd), 0);
}

/* The ranked entry of player `id` in a leaderboard/game_over/report list. */
static json_t *entry_of(json_t *list, long long id)
{
    for (size_t i = 0; i < json_array_size(list); i++)
        if (iget(json_array_get(list, i), "player_id") == id)
            return json_array_get(list, i);
    FAIL_AT("player %lld is not listed", id);
    return NULL;
}

/* Leaderboard entries carry the movement since the previous question
 * (prev_rank: null on the first), the points gained this round and the
 * streak, each equal to what the player's own result said; at the end the
 * host alone gets a report: questions hardest first with the most chosen
 * wrong option, players in ranking order; a resumed host gets it again. */
static void test_leaderboard_deltas_and_host_report(void)
{
    char code[8], htok[40];
    start_server();
    struct wsc *h = create_room(",\"count\":3,\"seconds\":30", code, htok);
    long long id[3];
    struct wsc *pl[3] = {join(code, "Ada", &id[0], NULL), join(code, "Bob", &id[1], NULL),
                         join(code, "Cy", &id[2], NULL)};
    host_cmd(h, "{\"type\":\"start\"}");
    long long prev_rank[3] = {0, 0, 0};
    int wrong_q0 = -1;
    for (int q = 0; q < 3; q++) {
        int right = question_right(pl[0], q);
        for (int i = 1; i < 3; i++)
            ASSERT_EQ(question_right(pl[i], q), right);
        /* q0: only Ada is right (Bob and Cy pick the same wrong option);
         * q1 and q2: Bob and Cy are right, Ada wrong. */
        int wrong = (right + 1) % 3;
        if (q == 0)
            wrong_q0 = wrong;
        for (int i = 0; i < 3; i++)
            answer(pl[i], q, (q == 0) == (i == 0) ? right : wrong);
        long long points[3], streak[3];
        for (int i = 0; i < 3; i++) {
            json_decref(expect(pl[i], "reveal"));
            json_t *res = expect(pl[i], "result");
            points[i] = iget(res, "points");
            streak[i] = iget(res, "streak");
            json_decref(res);
        }
        json_t *rv = expect(h, "reveal");
        ASSERT_EQ(iget(rv, "answered"), 3);
        ASSERT_EQ(iget(rv, "answerable"), 3);
        json_decref(rv);
        host_cmd(h, "{\"type\":\"next\"}");
        json_t *lb = expect(h, "leaderboard");
        json_t *top = json_object_get(lb, "top");
        for (int i = 0; i < 3; i++) {
            json_t *e = entry_of(top, id[i]);
            ASSERT_EQ(iget(e, "gained"), points[i]);
            ASSERT_EQ(iget(e, "streak"), streak[i]);
            if (q == 0)
                ASSERT(json_is_null(json_object_get(e, "prev_rank")));
            else
                ASSERT_EQ(iget(e, "prev_rank"), prev_rank[i]);
            prev_rank[i] = iget(e, "rank");
        }
        ASSERT_EQ(iget(entry_of(top, id[1]), "streak"), q == 0 ? 0 : q);
        json_decref(lb);
        for (int i = 0; i < 3; i++)
            json_decref(expect(pl[i], "leaderboard"));
        host_cmd(h, "{\"type\":\"next\"}");
    }
    json_t *go = expect(h, "game_over");
    json_t *top = json_object_get(go, "top");
    ASSERT_EQ(iget(entry_of(top, id[1]), "best_streak"), 2);
    json_t *rp = expect(h, "report");
    json_t *qs = json_object_get(rp, "questions");
    ASSERT_EQ(json_array_size(qs), 3);
    /* q0 (1 of 3 right) is the hardest; q1 and q2 (2 of 3) keep their order. */
    long long order[3] = {0, 1, 2};
    for (size_t k = 0; k < 3; k++) {
        json_t *r = json_array_get(qs, k);
        ASSERT_EQ(iget(r, "index"), order[k]);
        ASSERT_EQ(iget(r, "answered"), 3);
        ASSERT_EQ(iget(r, "answerable"), 3);
        ASSERT_EQ(iget(r, "correct_count"), k == 0 ? 1 : 2);
        double share = json_real_value(json_object_get(r, "share_correct"));
        ASSERT(share > (k == 0 ? 0.33 : 0.66) && share < (k == 0 ? 0.34 : 0.67));
        json_t *counts = json_object_get(r, "counts");
        ASSERT_EQ(json_array_size(counts), json_array_size(json_object_get(r, "options")));
        long long c = iget(r, "correct");
        ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(r, "options"), (size_t)c)),
                      "right");
        ASSERT_EQ(json_integer_value(json_array_get(counts, (size_t)c)), k == 0 ? 1 : 2);
        if (k == 0) {
            ASSERT_EQ(iget(r, "wrong"), wrong_q0);
            ASSERT_EQ(json_integer_value(json_array_get(counts, (size_t)wrong_q0)), 2);
        }
    }
    json_t *players = json_object_get(rp, "players");
    ASSERT_EQ(json_array_size(players), 3);
    ASSERT_EQ(iget(rp, "count"), 3);
    ASSERT(json_is_false(json_object_get(rp, "truncated")));
    for (size_t k = 0; k < 3; k++) {
        json_t *e = json_array_get(players, k);
        ASSERT_EQ(iget(e, "player_id"), iget(json_array_get(top, k), "player_id"));
        ASSERT_EQ(iget(e, "correct"), iget(e, "player_id") == id[0] ? 1 : 2);
        ASSERT_EQ(iget(e, "best_streak"), iget(e, "player_id") == id[0] ? 1 : 2);
    }
    json_decref(rp);
    json_decref(go);
    /* Players get no report. */
    for (int i = 0; i < 3; i++) {
        json_decref(expect(pl[i], "game_over"));
        json_decref(expect(pl[i], "review"));
        ASSERT_OK(wsc_send(pl[i], "{\"type\":\"ping\"}"));
        char *next = wsc_recv(pl[i], T);   /* the very next frame: the pong */
        ASSERT(next && strstr(next, "\"type\":\"pong\"") && !strstr(next, "report"));
        free(next);
    }
    /* A host that reloads after the end gets the report again. */
    wsc_free(h);
    h = conn();
    ASSERT_OK(wsc_sendf(h, "{\"type\":\"host_resume\",\"code\":\"%s\",\"host_token\":\"%s\"}", code, htok));
    json_t *st = expect(h, "state");
    ASSERT_STR_EQ(sget(st, "phase"), "finished");
    json_decref(st);
    rp = expect(h, "report");
    ASSERT_EQ(json_array_size(json_object_get(rp, "questions")), 3);
    json_decref(rp);
    for (int i = 0; i < 3; i++)
        wsc_free(pl[i]);
    wsc_free(h);
    stop_server();
}

/* A player who joins during a question is told from which question it
 * plays (first_index), cannot answer the open one, and is not counted as
 * one who could: the host's counts are answered-of-answerable. */
static void test_late_joiner_first_index_and_answerable(void)
{
    char code[8], htok[40];
    start_server();
    struct wsc *h = create_room(",\"count\":2,\"seconds\":60", code, htok);
    struct wsc *a = conn();
    ASSERT_OK(wsc_sendf(a, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"Ada\"}", code));
    json_t *o = expect(a, "joined");
    ASSERT_EQ(iget(o, "first_index"), 0);
    json_decref(o);
    json_decref(expect(a, "state"));
    host_cmd(h, "{\"type\":\"start\"}");
    int right = question_right(a, 0);
    json_decref(expect(h, "question"));
    struct wsc *l = conn();
    ASSERT_OK(wsc_sendf(l, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"Late\"}", code));
    o = expect(l, "joined");
    ASSERT_EQ(iget(o, "first_index"), 1);
    json_decref(o);
    o = expect(l, "state");
    ASSERT_STR_EQ(sget(o, "phase"), "question");
    ASSERT(json_is_false(json_object_get(o, "can_answer")));
    ASSERT_EQ(iget(json_object_get(o, "player"), "first_index"), 1);
    ASSERT_EQ(iget(o, "answerable"), 1);
    json_decref(o);
    answer(a, 0, right);
    /* Ada was the only one who could answer: the question closes. */
    json_t *rv = expect(h, "reveal");
    ASSERT_EQ(iget(rv, "answered"), 1);
    ASSERT_EQ(iget(rv, "answerable"), 1);
    ASSERT_EQ(iget(rv, "players"), 2);
    json_decref(rv);
    host_cmd(h, "{\"type\":\"next\"}");
    host_cmd(h, "{\"type\":\"next\"}");
    json_decref(expect(h, "question"));
    question_right(a, 1);
    int r1 = question_right(l, 1);
    answer(l, 1, r1);
    for (;;) {
        o = expect(h, "answers");
        long long n = iget(o, "answered");
        ASSERT_EQ(iget(o, "answerable"), 2);
        json_decref(o);
        if (n == 1)
            break;
    }
    wsc_free(a), wsc_free(l), wsc_free(h);
    stop_server();
}

static void play_again_expect_lobby(struct wsc *c, const char *role, long long total)
{
    json_t *st = expect(c, "state");
    ASSERT_STR_EQ(sget(st, "phase"), "lobby");
    ASSERT_STR_EQ(sget(st, "role"), role);
    ASSERT_EQ(iget(st, "total"), total);
    ASSERT_EQ(iget(st, "index"), -1);
    json_t *p = json_object_get(st, "player");
    if (p) {
        ASSERT_EQ(iget(p, "score"), 0);
        ASSERT_EQ(iget(p, "streak"), 0);
        ASSERT_EQ(iget(p, "first_index"), 0);
    }
    json_decref(st);
}

/* Play again: only the host, only once the game is over; the same players
 * stay connected, scores reset, a new pack selection (categories) and
 * count apply, and the new game plays through. */
static void test_play_again_same_room_same_players(void)
{
    char code[8], htok[40];
    start_server();
    struct wsc *h = create_room(",\"count\":1,\"seconds\":60", code, htok);
    long long ida, idb;
    struct wsc *a = join(code, "Ada", &ida, NULL);
    struct wsc *b = join(code, "Bob", &idb, NULL);
    ASSERT_OK(wsc_send(h, "{\"type\":\"play_again\",\"req\":7}"));
    json_t *e = expect(h, "error");
    ASSERT_STR_EQ(sget(e, "code"), "bad_phase");
    ASSERT_EQ(iget(e, "req"), 7);
    json_decref(e);
    host_cmd(h, "{\"type\":\"start\"}");
    int right = question_right(a, 0);
    question_right(b, 0);
    answer(a, 0, right);
    answer(b, 0, right);
    host_cmd(h, "{\"type\":\"next\"}");
    host_cmd(h, "{\"type\":\"next\"}");
    json_decref(expect(h, "game_over"));
    json_decref(expect(h, "report"));
    json_decref(expect(a, "review"));
    json_decref(expect(b, "review"));
    ASSERT_OK(wsc_send(a, "{\"type\":\"play_again\"}"));
    expect_error(a, "not_host");
    ASSERT_OK(wsc_send(h, "{\"type\":\"play_again\",\"categories\":[\"Nope\"]}"));
    expect_error(h, "bad_message");
    /* Only Alpha's two questions, both of them. */
    /* (max_players above the server's cap is ignored: the room keeps its size.) */
    host_cmd(h, "{\"type\":\"play_again\",\"pack\":\"test\",\"categories\":[\"Alpha\"],\"count\":5,\"max_players\":99999}");
    play_again_expect_lobby(h, "host", 2);
    play_again_expect_lobby(a, "player", 2);
    play_again_expect_lobby(b, "player", 2);
    host_cmd(h, "{\"type\":\"start\"}");
    long long score_a = 0;
    for (int q = 0; q < 2; q++) {
        json_t *qm = expect(h, "question");
        ASSERT_STR_EQ(sget(qm, "category"), "Alpha");
        json_decref(qm);
        right = question_right(a, q);
        question_right(b, q);
        answer(a, q, right);
        answer(b, q, (right + 1) % 3);
        json_t *res = expect(a, "result");
        score_a += iget(res, "points");
        ASSERT_EQ(iget(res, "score"), score_a);   /* counted from 0 again */
        json_decref(res);
        host_cmd(h, "{\"type\":\"next\"}");
        host_cmd(h, "{\"type\":\"next\"}");
    }
    json_t *go = expect(h, "game_over");
    json_t *top = json_object_get(go, "top");
    ASSERT_EQ(iget(json_array_get(top, 0), "player_id"), ida);
    ASSERT_EQ(iget(json_array_get(top, 0), "score"), score_a);
    ASSERT_EQ(iget(json_array_get(top, 1), "score"), 0);
    ASSERT_EQ(iget(go, "questions"), 2);
    json_decref(go);
    wsc_free(a), wsc_free(b), wsc_free(h);
    stop_server();
}

static struct test_case tests[] = {
    {"full_game_three_players", test_full_game_three_players},
    {"player_resumes_mid_question_after_answering", test_player_resumes_mid_question_after_answering},
    {"every_error_code", test_every_error_code},
    {"slow_reader_is_closed_not_buffered", test_slow_reader_is_closed_not_buffered},
    {"leaderboard_deltas_and_host_report", test_leaderboard_deltas_and_host_report},
    {"late_joiner_first_index_and_answerable", test_late_joiner_first_index_and_answerable},
    {"play_again_same_room_same_players", test_play_again_same_room_same_players},
};

TEST_MAIN(tests)
