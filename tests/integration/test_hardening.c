/* Regression tests for the hostile-probe findings of issue 11, each over real
 * sockets against the real quizd: no score moves on the wire before the
 * reveal, look-alike nicknames are refused. */
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

/* The next direct reply (not a broadcast): answer_ack, ack, joined or error. */
static json_t *expect_reply(struct wsc *c)
{
    static const char *broadcasts[] = {"lobby", "question", "answers", "reveal", "result",
                                       "leaderboard", "game_over", "review", "state"};
    for (;;) {
        char *m = wsc_recv(c, T);
        if (!m)
            FAIL_AT("no reply");
        json_t *o = json_loads(m, 0, NULL);
        free(m);
        ASSERT(o);
        const char *type = json_string_value(json_object_get(o, "type"));
        bool skip = false;
        for (size_t i = 0; i < sizeof broadcasts / sizeof *broadcasts; i++)
            skip |= !strcmp(type, broadcasts[i]);
        if (!skip)
            return o;
        json_decref(o);
    }
}

static struct wsc *create_room(const char *extra, char code[8])
{
    struct wsc *h = conn();
    ASSERT_OK(wsc_sendf(h, "{\"type\":\"create_room\",\"req\":1,\"pack\":\"test\"%s}", extra));
    json_t *o = expect(h, "room_created");
    snprintf(code, 8, "%s", sget(o, "code"));
    ASSERT_EQ(strlen(code), 6);
    json_decref(o);
    return h;
}

/* Sends a join for `name` (a JSON string body, escapes allowed) and returns
 * the reply: "joined" (then the state is consumed) or the error code. */
static char *try_join(struct wsc *c, const char *code, const char *name_json, char token[40],
                      long long *id)
{
    ASSERT_OK(wsc_sendf(c, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"%s\"}", code, name_json));
    for (;;) {
        char *m = wsc_recv(c, T);
        if (!m)
            FAIL_AT("no reply to the join of \"%s\"", name_json);
        json_t *o = json_loads(m, 0, NULL);
        free(m);
        ASSERT(o);
        const char *type = sget(o, "type");
        char *r = NULL;
        if (!strcmp(type, "joined")) {
            if (token)
                snprintf(token, 40, "%s", sget(o, "token"));
            if (id)
                *id = iget(o, "player_id");
            r = strdup("joined");
            json_decref(expect(c, "state"));
        } else if (!strcmp(type, "error")) {
            r = strdup(sget(o, "code"));
            ASSERT(strlen(sget(o, "message")) > 0);
        }
        json_decref(o);
        if (r)
            return r;
    }
}

static struct wsc *join(const char *code, const char *name, char token[40])
{
    struct wsc *c = conn();
    char *r = try_join(c, code, name, token, NULL);
    ASSERT_STR_EQ(r, "joined");
    free(r);
    return c;
}

static void host_cmd(struct wsc *h, const char *json)
{
    ASSERT_OK(wsc_send(h, json));
    json_decref(expect(h, "ack"));
}

/* Every player of a lobby object has score 0. */
static void lobby_scores_zero(json_t *lobby, const char *who)
{
    json_t *pl = json_object_get(lobby, "players");
    for (size_t i = 0; i < json_array_size(pl); i++)
        if (iget(json_array_get(pl, i), "score") != 0)
            FAIL_AT("%s saw player %s with score %lld before the reveal", who,
                    sget(json_array_get(pl, i), "name"), iget(json_array_get(pl, i), "score"));
}

/* Reads `c` until a lobby lists `count` players, checking that no frame on
 * the way carries a score (lobby, state) or a reveal. */
static void watch_until_count(struct wsc *c, long long count, const char *who)
{
    for (;;) {
        char *m = wsc_recv(c, T);
        if (!m)
            FAIL_AT("%s: no lobby with %lld players", who, count);
        json_t *o = json_loads(m, 0, NULL);
        free(m);
        ASSERT(o);
        const char *type = sget(o, "type");
        ASSERT(strcmp(type, "reveal") && strcmp(type, "result"));
        bool done = false;
        if (!strcmp(type, "lobby")) {
            lobby_scores_zero(o, who);
            done = iget(o, "count") == count;
        } else if (!strcmp(type, "state")) {
            lobby_scores_zero(json_object_get(o, "lobby"), who);
        }
        json_decref(o);
        if (done)
            return;
    }
}

/* Issue 11 item 2: four seats answer every option of the open question; a
 * throwaway player then joins (a lobby broadcast) and each seat re-attaches by
 * its token (a state snapshot). Nothing seen by the host, a watcher or the
 * seats themselves may show which seat gained points until the reveal. */
static void test_no_score_moves_before_reveal(void)
{
    char code[8], tok[4][40];
    start_server();
    struct wsc *h = create_room(",\"count\":2,\"seconds\":60", code);
    struct wsc *seat[4];
    const char *names[4] = {"Seat0", "Seat1", "Seat2", "Seat3"};
    for (int i = 0; i < 4; i++)
        seat[i] = join(code, names[i], tok[i]);
    struct wsc *watcher = join(code, "Watcher", NULL);   /* never answers: holds it open */
    watch_until_count(h, 5, "host");
    host_cmd(h, "{\"type\":\"start\"}");
    int choice[4];
    for (int i = 0; i < 4; i++) {
        json_t *q = expect(seat[i], "question");
        choice[i] = i % (int)json_array_size(json_object_get(q, "options"));
        json_decref(q);
        ASSERT_OK(wsc_sendf(seat[i], "{\"type\":\"answer\",\"index\":0,\"choice\":%d}",
                            choice[i]));
        json_t *ack = expect_reply(seat[i]);
        if (strcmp(sget(ack, "type"), "answer_ack"))
            FAIL_AT("seat %d: answer refused: %s %s", i, sget(ack, "code"), sget(ack, "message"));
        json_decref(ack);
    }
    struct wsc *probe = join(code, "Probe", NULL);
    watch_until_count(watcher, 6, "watcher");
    watch_until_count(h, 6, "host");
    long long rank0 = 0;
    for (int i = 0; i < 4; i++) {
        struct wsc *again = conn();
        ASSERT_OK(wsc_sendf(again, "{\"type\":\"join\",\"code\":\"%s\",\"token\":\"%s\"}", code,
                            tok[i]));
        json_decref(expect(again, "joined"));
        json_t *st = expect(again, "state");
        ASSERT_STR_EQ(sget(st, "phase"), "question");
        lobby_scores_zero(json_object_get(st, "lobby"), "resumed seat");
        json_t *me = json_object_get(st, "player");
        ASSERT_EQ(iget(me, "score"), 0);
        ASSERT_EQ(iget(me, "streak"), 0);
        if (i == 0)
            rank0 = iget(me, "rank");
        ASSERT_EQ(iget(me, "rank"), rank0);   /* ties: no seat is ahead */
        ASSERT_EQ(iget(me, "gap_to_next"), 0);
        ASSERT_EQ(iget(st, "answered"), choice[i]);   /* its own choice is kept */
        json_decref(st);
        wsc_free(seat[i]);
        seat[i] = again;
    }
    /* The close scores them: exactly the seat that chose "right" gained. */
    host_cmd(h, "{\"type\":\"next\"}");
    json_t *rv = expect(h, "reveal");
    long long right = iget(rv, "correct");
    json_decref(rv);
    for (int i = 0; i < 4; i++) {
        json_t *res = expect(seat[i], "result");
        if (choice[i] == right)
            ASSERT_GE(iget(res, "points"), 500);
        else
            ASSERT_EQ(iget(res, "points"), 0);
        ASSERT_EQ(iget(res, "score"), iget(res, "points"));
        json_decref(res);
    }
    for (int i = 0; i < 4; i++)
        wsc_free(seat[i]);
    wsc_free(probe), wsc_free(watcher), wsc_free(h);
    stop_server();
}

/* Issue 11 item 7: look-alike and invisible names get a clear error over
 * the wire, and real names of other scripts and emoji still join. */
static void test_lookalike_and_invisible_names_refused(void)
{
    static const struct {
        const char *name;   /* JSON string body */
        const char *reply;
    } cases[] = {
        {"Ada", "joined"},
        {"pace", "joined"},
        {"A\\u200bda", "name_invalid"},                 /* zero-width space */
        {"Ada\\u200c", "name_invalid"},                 /* ZWNJ */
        {"Ad\\u00ada", "name_invalid"},                 /* soft hyphen */
        {"Ada\\u200e", "name_invalid"},                 /* bidi mark */
        {"Ada\\ufe0f", "name_invalid"},                 /* variation selector */
        {"\\u0410da", "name_invalid"},                  /* Cyrillic A beside Latin */
        {"\\u0391da", "name_invalid"},                  /* Greek Alpha beside Latin */
        {"\\uff21\\uff44\\uff41", "name_taken"},      /* fullwidth */
        {"ADA", "name_taken"},
        {"\\u0440\\u0430\\u0441\\u0435", "name_lookalike"}, /* all-Cyrillic "pace" */
        {"\\u3164", "name_invalid"},                    /* Hangul filler */
        {"\\u2800", "name_invalid"},                    /* Braille blank */
        {"\\u0301", "name_invalid"},                    /* lone combining mark */
        {"Z\\u0351\\u0352\\u0353\\u0354\\u0355", "name_invalid"}, /* zalgo */
        {"\\u5c0f\\u660e", "joined"},                  /* CJK */
        {"\\u0639\\u0644\\u064a", "joined"},          /* Arabic */
        {"Zo\\u00eb", "joined"},                        /* accented Latin */
        {"\\ud83d\\udc0d", "joined"},                  /* emoji */
        {"\\u2764\\ufe0f", "joined"},                  /* emoji + presentation selector */
    };
    char code[8];
    start_server();
    struct wsc *h = create_room("", code);
    struct wsc *c[sizeof cases / sizeof *cases];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        c[i] = conn();
        char *r = try_join(c[i], code, cases[i].name, NULL, NULL);
        if (strcmp(r, cases[i].reply))
            FAIL_AT("join \"%s\": got %s, want %s", cases[i].name, r, cases[i].reply);
        free(r);
    }
    /* A kicked name cannot come back as a look-alike. */
    struct wsc *m = conn();
    long long mid = 0;
    char *r = try_join(m, code, "Mallory", NULL, &mid);
    ASSERT_STR_EQ(r, "joined");
    free(r);
    ASSERT_OK(wsc_sendf(h, "{\"type\":\"kick\",\"player_id\":%lld}", mid));
    json_decref(expect(h, "ack"));
    json_decref(expect(m, "kicked"));
    const char *again[] = {"Mallory", "Mallory\\u200c", "\\u041callory", "MaIlory", "MALLORY"};
    for (size_t i = 0; i < sizeof again / sizeof *again; i++) {
        struct wsc *x = conn();
        r = try_join(x, code, again[i], NULL, NULL);
        if (strcmp(r, "name_invalid"))
            FAIL_AT("kicked look-alike \"%s\": got %s", again[i], r);
        free(r);
        wsc_free(x);
    }
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        wsc_free(c[i]);
    wsc_free(m), wsc_free(h);
    stop_server();
}

static struct test_case tests[] = {
    {"no_score_moves_before_reveal", test_no_score_moves_before_reveal},
    {"lookalike_and_invisible_names_refused", test_lookalike_and_invisible_names_refused},
};

TEST_MAIN(tests)
