/* The write path over real sockets: a player whose socket is full (its
 * receiver stops reading) gets every message whole and in order once it
 * reads again, including a frame larger than the socket (a partial write
 * whose remainder libwebsockets holds) and replies queued behind it; the
 * rest of the room is not held up meanwhile. */
#include "itest.h"
#include <signal.h>
#include <unistd.h>

#define T proc_timeout(4000)
#define QUESTIONS 50
#define PINGS 10

static struct proc srv;

static json_t *expect(struct wsc *c, const char *type)
{
    return itest_expect(c, type);
}

static void host_cmd(struct wsc *h, const char *json)
{
    ASSERT_OK(wsc_send(h, json));
    json_decref(expect(h, "ack"));
}

static void round_trip(struct wsc *c)
{
    ASSERT_OK(wsc_send(c, "{\"type\":\"ping\"}"));
    json_decref(expect(c, "pong"));
}

/* A pack of `n` questions with near-maximal text, in a fresh directory. */
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

static void test_choked_reader_gets_everything_in_order(void)
{
    char dir[64], arg[128], code[8];
    write_big_pack(dir, QUESTIONS);
    snprintf(arg, sizeof arg, "--packs=%s", dir);
    const char *a[] = {"--no-corpus", arg, NULL};
    ASSERT_OK(proc_start_quizd(&srv, a, 10000));
    struct wsc *h = wsc_connect(srv.port, "/ws", T);
    ASSERT(h);
    ASSERT_OK(wsc_sendf(h, "{\"type\":\"create_room\",\"pack\":\"big\",\"count\":%d}", QUESTIONS));
    json_t *o = expect(h, "room_created");
    snprintf(code, sizeof code, "%s", json_string_value(json_object_get(o, "code")));
    json_decref(o);
    /* The slow player: a tiny receive window; it never answers, so its
     * review lists all 50 questions (about 320 KB in one frame). */
    struct wsc *slow = wsc_connect_rcvbuf(srv.port, "/ws", T, 2048);
    ASSERT(slow);
    ASSERT_OK(wsc_sendf(slow, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"Slow\"}", code));
    json_decref(expect(slow, "joined"));
    struct wsc *ok = wsc_connect(srv.port, "/ws", T);
    ASSERT(ok);
    ASSERT_OK(wsc_sendf(ok, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"Reader\"}", code));
    json_decref(expect(ok, "joined"));
    host_cmd(h, "{\"type\":\"start\"}");
    for (int q = 0; q < QUESTIONS; q++) {
        for (struct wsc *p = slow; p; p = p == slow ? ok : NULL) {
            o = expect(p, "question");
            ASSERT_EQ(json_integer_value(json_object_get(o, "index")), q);
            json_decref(o);
        }
        host_cmd(h, "{\"type\":\"next\"}");   /* reveal + results */
        host_cmd(h, "{\"type\":\"next\"}");   /* leaderboard */
        json_decref(expect(slow, "leaderboard"));
        json_decref(expect(ok, "leaderboard"));
        if (q < QUESTIONS - 1)
            host_cmd(h, "{\"type\":\"next\"}");
    }
    /* From here the slow player reads nothing. The game ends: game_over and
     * the huge review go out; the review cannot fit in the socket. */
    host_cmd(h, "{\"type\":\"next\"}");
    json_decref(expect(ok, "game_over"));
    json_decref(expect(ok, "review"));     /* the reading player is not held up */
    /* Replies to the slow player now queue behind the review's remainder. */
    for (int i = 1; i <= PINGS; i++)
        ASSERT_OK(wsc_sendf(slow, "{\"type\":\"ping\",\"req\":%d}", i));
    /* Two round trips on other connections: the server has read the pings. */
    round_trip(ok);
    round_trip(h);
    /* Now read: game_over, the whole review, then the pongs in order. */
    int next_pong = 1;
    bool game_over = false, review = false;
    while (next_pong <= PINGS) {
        char *m = wsc_recv(slow, T);
        if (!m)
            FAIL_AT("slow reader: connection %s after pong %d",
                    slow->closed ? "closed" : "timed out", next_pong - 1);
        json_t *j = json_loads(m, 0, NULL);
        ASSERT(j);   /* every frame arrives whole: no interleaving inside a frame */
        const char *type = json_string_value(json_object_get(j, "type"));
        if (!strcmp(type, "game_over")) {
            ASSERT(!game_over && !review);
            game_over = true;
        } else if (!strcmp(type, "review")) {
            ASSERT(game_over && !review);
            ASSERT_EQ(json_array_size(json_object_get(j, "missed")), QUESTIONS);
            ASSERT_GE(strlen(m), 4 * 65536);   /* larger than the socket can hold */
            review = true;
        } else if (!strcmp(type, "pong")) {
            ASSERT(review);
            ASSERT_EQ(json_integer_value(json_object_get(j, "req")), next_pong);
            next_pong++;
        } else {
            ASSERT(strcmp(type, "error"));   /* e.g. not rate limited */
        }
        json_decref(j);
        free(m);
    }
    ASSERT(game_over && review);
    wsc_free(slow), wsc_free(ok), wsc_free(h);
    ASSERT_EQ(proc_stop(&srv, SIGTERM, 5000), 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ASSERT_EQ(system(cmd), 0);
}

static char *scrape(int port)
{
    char *hd, *body;
    int st = http_get(port, "/metrics", &hd, &body, ITEST_T);
    if (st != 200)
        FAIL_AT("GET /metrics: status %d", st);
    free(hd);
    return body;
}

/* The value of the sample `series` (name{labels} exactly as printed). */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, series, n) && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    FAIL_AT("no sample %s", series);
    return 0;
}

/* Frames written so far (at once or drained) and the socket writes that
 * carried them, from /metrics. */
static void writes_of(int port, double *frames, double *writes)
{
    char *m = scrape(port);
    *frames = sample(m, "quizd_frames_written_total{path=\"at_once\"}") +
              sample(m, "quizd_frames_written_total{path=\"drained\"}");
    *writes = sample(m, "quizd_frame_writes_total");
    free(m);
}

/* Frames read before the pong that answers a ping sent now. */
static int frames_before_pong(struct wsc *c)
{
    ASSERT_OK(wsc_send(c, "{\"type\":\"ping\"}"));
    for (int n = 0;; n++) {
        char *m = wsc_recv(c, T);
        ASSERT(m);
        json_t *j = json_loads(m, 0, NULL);
        ASSERT(j);   /* whole: a batch is frames back to back, none cut */
        bool pong = !strcmp(json_string_value(json_object_get(j, "type")), "pong");
        json_decref(j);
        free(m);
        if (pong)
            return n;
    }
}

/* With --data every broadcast waits for its commit; what one commit
 * releases for an idle connection (the host's `next`: its ack and what
 * the reveal sends everyone) goes out in one socket write per connection,
 * not one per frame, whole and in order. */
static void test_commit_release_is_one_write(void)
{
    char dir[64], arg[128], code[8];
    write_big_pack(dir, 3);
    snprintf(arg, sizeof arg, "--packs=%s", dir);
    const char *a[] = {"--no-corpus", arg, NULL};   /* a fresh --data: see proc.h */
    ASSERT_OK(proc_start_quizd(&srv, a, 10000));
    ASSERT(srv.data_dir[0]);
    struct wsc *h = wsc_connect(srv.port, "/ws", T);
    ASSERT(h);
    ASSERT_OK(wsc_send(h, "{\"type\":\"create_room\",\"pack\":\"big\",\"count\":3}"));
    json_t *o = expect(h, "room_created");
    snprintf(code, sizeof code, "%s", json_string_value(json_object_get(o, "code")));
    json_decref(o);
    struct wsc *p = wsc_connect(srv.port, "/ws", T);
    ASSERT(p);
    ASSERT_OK(wsc_sendf(p, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"P\"}", code));
    json_decref(expect(p, "joined"));
    host_cmd(h, "{\"type\":\"start\"}");
    json_decref(expect(p, "question"));
    round_trip(p);   /* both idle: everything before is written */
    round_trip(h);
    double f0, w0, f1, w1;
    writes_of(srv.port, &f0, &w0);
    ASSERT_OK(wsc_send(h, "{\"type\":\"next\"}"));
    /* the host's ack comes with the same commit's release as the rest */
    int host_frames = 0;
    for (;;) {
        char *m = wsc_recv(h, T);
        ASSERT(m);
        json_t *j = json_loads(m, 0, NULL);
        ASSERT(j);
        host_frames++;
        bool ack = !strcmp(json_string_value(json_object_get(j, "type")), "ack");
        json_decref(j);
        free(m);
        if (ack)
            break;
    }
    writes_of(srv.port, &f1, &w1);
    /* each one's frames, whole, up to the pong replying to a ping sent now */
    int player_frames = frames_before_pong(p);
    host_frames += frames_before_pong(h);
    fprintf(stderr, "commit_release_is_one_write: %g frames in %g writes (host %d, player %d)\n",
            f1 - f0, w1 - w0, host_frames, player_frames);
    ASSERT_GE(player_frames, 2);
    ASSERT_EQ(f1 - f0, host_frames + player_frames);   /* the window holds only those */
    ASSERT_EQ(w1 - w0, 2);                             /* one per connection */
    wsc_free(p), wsc_free(h);
    ASSERT_EQ(proc_stop(&srv, SIGTERM, 5000), 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ASSERT_EQ(system(cmd), 0);
}

static struct test_case tests[] = {
    {"choked_reader_gets_everything_in_order", test_choked_reader_gets_everything_in_order},
    {"commit_release_is_one_write", test_commit_release_is_one_write},
};

TEST_MAIN(tests)
