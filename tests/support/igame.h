/* Game steps over real WebSockets against any port (one quizd, or HAProxy in
 * front of shards), with the room code in the URL as the web client puts it
 * (/ws?room=CODE for join and resume; plain /ws to create a room). Every
 * wait is bounded by ITEST_T. Uses tests/data/packs/test.json, whose right
 * option is literally "right". Include after itest.h. */
#ifndef QZ_IGAME_H
#define QZ_IGAME_H

#include "itest.h"
#include <string.h>
#include <time.h>

struct igame_seat {
    char code[8];
    char token[40];               /* host token or player token */
    long long id;                 /* player id (players) */
};

/* The next message of `type`; an error reply on the way fails the test with
 * its code (wsc_expect would skip it and time out). */
static inline json_t *igame_expect(struct wsc *c, const char *type)
{
    long long left = ITEST_T;
    while (left > 0) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        char *m = wsc_recv(c, (int)left);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        left -= (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        if (!m)
            break;
        json_t *o = json_loads(m, 0, NULL);
        free(m);
        const char *t = o ? sget(o, "type") : NULL;
        if (t && !strcmp(t, type))
            return o;
        if (t && !strcmp(t, "error") && strcmp(type, "error"))
            FAIL_AT("expected '%s', got error %s (%s)", type, sget(o, "code"), sget(o, "message"));
        json_decref(o);
    }
    FAIL_AT("expected a '%s' message (closed: %d, close code %d)", type, c->closed, c->close_code);
    return NULL;
}

static inline struct wsc *igame_connect(int port, const char *code)
{
    char path[32];
    if (code)
        snprintf(path, sizeof path, "/ws?room=%s", code);
    else
        snprintf(path, sizeof path, "/ws");
    struct wsc *c = wsc_connect(port, path, ITEST_T);
    if (!c)
        FAIL_AT("cannot connect to port %d path %s", port, path);
    return c;
}

static inline void igame_expect_error(struct wsc *c, const char *code)
{
    json_t *o = igame_expect(c, "error");
    if (strcmp(sget(o, "code"), code))
        FAIL_AT("expected error %s, got %s (%s)", code, sget(o, "code"), sget(o, "message"));
    json_decref(o);
}

/* Creates a room of `count` questions on the test pack (no auto-advance). */
static inline struct wsc *igame_create(int port, int count, struct igame_seat *host)
{
    struct wsc *h = igame_connect(port, NULL);
    ASSERT_OK(wsc_sendf(h, "{\"type\":\"create_room\",\"req\":1,\"pack\":\"test\",\"count\":%d,"
                           "\"seconds\":60}", count));
    json_t *o = igame_expect(h, "room_created");
    snprintf(host->code, sizeof host->code, "%s", sget(o, "code"));
    snprintf(host->token, sizeof host->token, "%s", sget(o, "host_token"));
    ASSERT_EQ(strlen(host->code), 6);
    json_decref(o);
    return h;
}

/* Joins `code` with a name, or resumes a seat when seat->token is set. */
static inline struct wsc *igame_join(int port, const char *code, const char *name,
                                     struct igame_seat *seat)
{
    struct wsc *c = igame_connect(port, code);
    if (seat->token[0])
        ASSERT_OK(wsc_sendf(c, "{\"type\":\"join\",\"code\":\"%s\",\"token\":\"%s\",\"req\":2}",
                            code, seat->token));
    else
        ASSERT_OK(wsc_sendf(c, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"%s\",\"req\":2}",
                            code, name));
    json_t *o = igame_expect(c, "joined");
    snprintf(seat->code, sizeof seat->code, "%s", code);
    snprintf(seat->token, sizeof seat->token, "%s", sget(o, "token"));
    seat->id = iget(o, "player_id");
    json_decref(o);
    return c;
}

/* Re-attaches the host; returns the connection and the state's phase in phase[16]. */
static inline struct wsc *igame_host_resume(int port, const struct igame_seat *host,
                                            char phase[16])
{
    struct wsc *h = igame_connect(port, host->code);
    ASSERT_OK(wsc_sendf(h, "{\"type\":\"host_resume\",\"code\":\"%s\",\"host_token\":\"%s\","
                           "\"req\":3}", host->code, host->token));
    json_t *o = igame_expect(h, "state");
    ASSERT_STR_EQ(sget(o, "role"), "host");
    snprintf(phase, 16, "%s", sget(o, "phase"));
    json_decref(o);
    return h;
}

static inline void igame_host_cmd(struct wsc *h, const char *type)
{
    ASSERT_OK(wsc_sendf(h, "{\"type\":\"%s\",\"req\":4}", type));
    json_decref(igame_expect(h, "ack"));
}

/* Receives question `index` and returns the display index of "right";
 * *wrong (if not NULL) gets the index of another option. */
static inline int igame_question_wrong(struct wsc *c, int index, int *wrong)
{
    json_t *o = igame_expect(c, "question");
    ASSERT_EQ(iget(o, "index"), index);
    json_t *opts = json_object_get(o, "options");
    int right = -1;
    for (size_t i = 0; i < json_array_size(opts); i++)
        if (!strcmp(json_string_value(json_array_get(opts, i)), "right"))
            right = (int)i;
    ASSERT(right >= 0);
    if (wrong)
        *wrong = (right + 1) % (int)json_array_size(opts);
    json_decref(o);
    return right;
}

static inline int igame_question(struct wsc *c, int index)
{
    return igame_question_wrong(c, index, NULL);
}

static inline void igame_answer(struct wsc *c, int index, int choice)
{
    ASSERT_OK(wsc_sendf(c, "{\"type\":\"answer\",\"index\":%d,\"choice\":%d,\"req\":5}", index,
                        choice));
    json_t *o = igame_expect(c, "answer_ack");
    ASSERT_EQ(iget(o, "index"), index);
    json_decref(o);
}

/* The player's score in its next `result`. */
static inline long long igame_result_score(struct wsc *c)
{
    json_t *o = igame_expect(c, "result");
    long long s = iget(o, "score");
    json_decref(o);
    return s;
}

#endif
