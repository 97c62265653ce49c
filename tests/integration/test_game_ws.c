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
            }
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

static struct test_case tests[] = {
    {"full_game_three_players", test_full_game_three_players},
    {"player_resumes_mid_question_after_answering", test_player_resumes_mid_question_after_answering},
    {"every_error_code", test_every_error_code},
    {"slow_reader_is_closed_not_buffered", test_slow_reader_is_closed_not_buffered},
};

TEST_MAIN(tests)
