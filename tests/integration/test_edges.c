/* Issue 11, item 8 ("Smaller") over real sockets: the WebSocket upgrade is
 * only /ws with subprotocol quizd, binary and oversize frames and invalid
 * UTF-8 get what PROTOCOL.md says, a refused join keeps no room alive, the
 * QR endpoint is cached and rate-limited, HTTP methods, long URIs and long
 * headers get a proper status, h2c is not served, shutdown is prompt. */
#include "itest.h"
#include <stdbool.h>
#include <arpa/inet.h>
#include <netinet/in.h>
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
 * now ignored: the same request is answered over HTTP/1.1. HTTP/2 is not
 * served at all. */
static void test_h2c_upgrade_is_ignored(void)
{
    itest_start(&srv, NULL);
    char req[512], *h, *b;
    snprintf(req, sizeof req,
             "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
             "Connection: Upgrade, HTTP2-Settings\r\n"
             "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n",
             srv.port);
    ASSERT_EQ(http_raw(srv.port, req, strlen(req), &h, &b, T), 200);
    ASSERT(!strncmp(h, "HTTP/1.1 200", 12));
    ASSERT_CONTAINS(b, "\"status\":\"ok\"");
    free(h), free(b);
    /* HTTP/2 with prior knowledge is refused at the preface (lws: 403). */
    static const char pri[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\4\0\0\0\0\0";
    ASSERT_EQ(http_raw(srv.port, pri, sizeof pri - 1, &h, &b, T), 403);
    free(h), free(b);
    itest_stop(&srv);
}

/* Sends a ping and reads every message up to its pong: how many of them
 * were bad_json errors (any other error fails the test). */
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
            FAIL_AT("the room outlived --empty-room-idle=1 by 10 s under %d refused joins",
                    refused);
        poll(NULL, 0, 200);   /* the attacker's pace: 10 credits/s, inside the rate limit */
    }
    ASSERT_GE(refused, 1);
    wsc_free(c);
    itest_stop(&srv);
}

static int qr_status(int i, long long *bytes)
{
    char path[128], *h, *b;
    snprintf(path, sizeof path, "/api/qr.svg?text=http://192.168.1.20:8080/?code=Q%05d", i);
    int st = http_get(srv.port, path, &h, &b, T);
    if (st == 200)
        ASSERT(!strncmp(b, "<svg", 4));
    if (bytes)
        *bytes = (long long)strlen(b);
    free(h), free(b);
    return st;
}

/* An uncached QR code costs ~1.3 ms of the loop: codes once drawn are
 * served from a cache, and one address may draw QR_DRAW_BURST (20) at once,
 * refilled at 10/s; past that it gets 429. The cached join URL is still
 * served to the same address meanwhile. */
static void test_qr_cached_and_rate_limited(void)
{
    itest_start(&srv, NULL);
    long long first = 0, again = 0;
    ASSERT_EQ(qr_status(0, &first), 200);
    for (int i = 0; i < 100; i++)   /* the projector's URL: cached, never limited */
        ASSERT_EQ(qr_status(0, &again), 200);
    ASSERT_EQ(again, first);
    long long t0 = mono_ms();
    int drawn = 1, limited = 0;   /* code 0 was drawn above */
    for (int i = 1; i <= 100; i++) {
        int st = qr_status(i, NULL);
        if (st == 200)
            drawn++;
        else if (st == 429)
            limited++;
        else
            FAIL_AT("qr %d: status %d", i, st);
    }
    long long elapsed = mono_ms() - t0;
    fprintf(stderr, "100 distinct QR codes in %lld ms: %d drawn, %d refused with 429\n", elapsed,
            drawn - 1, limited);
    /* The bucket: 20 at once, then 10 per second of the loop. */
    ASSERT_GE(drawn, 20);
    ASSERT_LE(drawn, 20 + elapsed / 100 + 1);
    ASSERT_EQ(drawn - 1 + limited, 100);
    ASSERT_EQ(qr_status(0, NULL), 200);   /* cached: served while the address is limited */
    itest_stop(&srv);
}

/* Sends `req` on a new connection and reads until the server closes it
 * (*eof true) or T passes (*eof false). Returns what arrived (malloc'd). */
static char *raw_until_close(const char *req, bool *eof)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT(fd >= 0);
    ASSERT_OK(connect(fd, (struct sockaddr *)&a, sizeof a));
    size_t len = strlen(req), off = 0;
    while (off < len) {
        ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (w <= 0)
            break;   /* the server may close before reading all of it */
        off += (size_t)w;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    long long deadline = mono_ms() + T;
    *eof = false;
    for (;;) {
        long long left = deadline - mono_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);
        if (r <= 0) {
            *eof = true;   /* orderly close, or a reset of unread input */
            break;
        }
        n += (size_t)r;
        ASSERT(n < cap - 1);
    }
    buf[n] = '\0';
    close(fd);
    return buf;
}

/* HEAD and OPTIONS are answered (they got 405), other methods get 405 with
 * Allow and the connection closed, a URI of 512 bytes or more gets 414 (it
 * got 405). Headers over lws's 4096-byte header store: lws 4.1.6 drops the
 * connection inside its parser, before any callback (see http.c), so no 431
 * can be sent; this shows it closes at once, with nothing written. */
static void test_http_methods_and_limits(void)
{
    itest_start(&srv, NULL);
    char req[8192], *h, *b;
    bool eof;

    snprintf(req, sizeof req,
             "HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    char *r = raw_until_close(req, &eof);
    ASSERT(eof);
    ASSERT(!strncmp(r, "HTTP/1.1 200", 12));
    ASSERT_CONTAINS(r, "content-length: ");
    ASSERT(strstr(r, "\r\n\r\n")[4] == '\0');   /* headers only */
    free(r);
    snprintf(req, sizeof req,
             "HEAD /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    r = raw_until_close(req, &eof);
    ASSERT(eof && !strncmp(r, "HTTP/1.1 200", 12));
    ASSERT(strstr(r, "\r\n\r\n")[4] == '\0');
    free(r);

    snprintf(req, sizeof req, "OPTIONS /api/packs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    ASSERT_EQ(http_raw(srv.port, req, strlen(req), &h, &b, T), 204);
    ASSERT_CONTAINS(h, "allow: GET, HEAD, OPTIONS");
    free(h), free(b);

    const char *others[] = {"PUT", "DELETE", "PATCH", "POST"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        /* A second request behind it is never answered: the connection closes. */
        snprintf(req, sizeof req,
                 "%s /api/packs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                 "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                 others[i]);
        r = raw_until_close(req, &eof);
        if (!eof || strncmp(r, "HTTP/1.1 405", 12) || !strstr(r, "allow: GET, HEAD, OPTIONS") ||
            strstr(r, "\"status\""))
            FAIL_AT("%s: eof=%d reply \"%.200s\"", others[i], eof, r);
        free(r);
    }

    char path[600];
    memset(path, 'a', sizeof path);
    path[0] = '/';
    path[511] = '\0';   /* 511 bytes: served (a 404 here) */
    ASSERT_EQ(http_get(srv.port, path, &h, &b, T), 404);
    free(h), free(b);
    path[511] = 'a';
    path[512] = '\0';
    ASSERT_EQ(http_get(srv.port, path, &h, &b, T), 414);
    free(h), free(b);

    /* Just under lws's header store, then over it. */
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[3900] = '\0';
    snprintf(req, sizeof req, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: %s\r\n\r\n", big);
    ASSERT_EQ(http_raw(srv.port, req, strlen(req), &h, &b, T), 200);
    free(h), free(b);
    big[3900] = 'x';
    big[sizeof big - 1] = '\0';
    snprintf(req, sizeof req, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: %s\r\n\r\n", big);
    r = raw_until_close(req, &eof);
    ASSERT(eof);
    ASSERT_STR_EQ(r, "");
    free(r);
    ASSERT_EQ(http_get(srv.port, "/healthz", &h, &b, T), 200);   /* and it still serves */
    free(h), free(b);
    itest_stop(&srv);
}

/* Reads until the pong answering ping `t`; false if the connection closed. */
static bool pong_for(struct wsc *c, int t)
{
    for (;;) {
        char *m = wsc_recv(c, T);
        if (!m)
            return false;
        json_t *o = json_loads(m, 0, NULL);
        free(m);
        ASSERT(o);
        bool hit = !strcmp(sget(o, "type"), "pong") &&
                   json_number_value(json_object_get(o, "t")) == t;
        json_decref(o);
        if (hit)
            return true;
    }
}

/* The refusal counter resets once the bucket refills: a client that
 * overruns its rate limit in bursts (100 refused each), pausing for a full
 * refill in between, is never closed, though the bursts add up to more
 * than the 200 refusals that close a flooder; one that never pauses is
 * closed with 1008. */
static void test_rate_limit_refusals_reset(void)
{
    itest_start(&srv, NULL);
    struct wsc *c = wsc_connect(srv.port, "/ws", T);
    ASSERT(c);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 24 + 100; i++)
            ASSERT_OK(wsc_sendf(c, "{\"type\":\"ping\",\"t\":%d}", i));
        poll(NULL, 0, 2200);   /* the client's pause: a full refill (24 at 12/s) */
        ASSERT_OK(wsc_send(c, "{\"type\":\"ping\",\"t\":-1}"));
        if (!pong_for(c, -1))
            FAIL_AT("closed after burst %d (code %d)", round + 1, c->close_code);
    }
    wsc_free(c);
    c = wsc_connect(srv.port, "/ws", T);
    ASSERT(c);
    for (int i = 0; i < 24 + 250; i++)
        if (wsc_sendf(c, "{\"type\":\"ping\",\"t\":%d}", i))
            break;
    /* 1008, or 1006 when pings still unread at the close made the kernel
     * answer with a reset that discarded the close frame. */
    int code = wsc_wait_close(c, T);
    if (code != 1008 && code != 1006)
        FAIL_AT("a flood without pauses: close %d, expected 1008", code);
    wsc_free(c);
    itest_stop(&srv);
}

static struct test_case tests[] = {
    {"upgrade_only_ws_and_quizd", test_upgrade_only_ws_and_quizd},
    {"h2c_upgrade_is_ignored", test_h2c_upgrade_is_ignored},
    {"binary_messages_one_error_and_1009", test_binary_messages_one_error_and_1009},
    {"invalid_utf8_closes_with_1007", test_invalid_utf8_closes_with_1007},
    {"failed_joins_keep_no_room_alive", test_failed_joins_keep_no_room_alive},
    {"qr_cached_and_rate_limited", test_qr_cached_and_rate_limited},
    {"http_methods_and_limits", test_http_methods_and_limits},
    {"rate_limit_refusals_reset", test_rate_limit_refusals_reset},
};

TEST_MAIN(tests)
