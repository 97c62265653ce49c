/* The keepalive sweep over real sockets, with a short interval
 * (--keepalive-ms): a client that answers pings stays connected across
 * several intervals, one that never reads (so never answers) is closed,
 * and one that only sends messages needs no pong. */
#include "proc.h"
#include "test.h"
#include "wsc.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define T proc_timeout(8000)
/* Ping after 1.2 s of silence, close 400 ms later: the answering client has
 * 400 ms to pong, which holds on a loaded CI machine under ASan (300 ms,
 * with a 100 ms window, did not). */
#define INTERVAL_MS "1200"
#define PINGS 2             /* 2 intervals: well past the 1.6 s hangup */

static struct proc srv;

static long long mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits (bounded) for EOF or a reset on c's socket, reading and discarding
 * without answering anything: true once the server closed it. */
static bool closed_by_server(struct wsc *c, int timeout_ms)
{
    long long deadline = mono_ms() + timeout_ms;
    char buf[4096];
    for (;;) {
        long long left = deadline - mono_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {c->fd, POLLIN, 0};
        if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
            return false;
        if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        ssize_t n = read(c->fd, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return true;
        if (n < 0 && errno != EINTR && errno != EAGAIN)
            return false;
    }
}

static int healthz_connections(void)
{
    char *h, *b;
    ASSERT_EQ(http_get(srv.port, "/healthz", &h, &b, T), 200);
    json_t *o = json_loads(b, 0, NULL);
    ASSERT(o);
    int n = (int)json_integer_value(json_object_get(o, "connections"));
    json_decref(o);
    free(h), free(b);
    return n;
}

static void test_silent_peer_is_closed_answering_peer_stays(void)
{
    const char *a[] = {"--keepalive-ms=" INTERVAL_MS, NULL};
    ASSERT_OK(proc_start_quizd(&srv, a, 10000));
    struct wsc *dead = wsc_connect(srv.port, "/ws", T);
    ASSERT(dead);
    struct wsc *live = wsc_connect(srv.port, "/ws", T);
    ASSERT(live);
    struct wsc *talker = wsc_connect(srv.port, "/ws", T);
    ASSERT(talker);
    /* live answers every ping (wsc does, while receiving); talker sends a
     * message whenever it got a ping's worth of silence and never pongs:
     * any frame counts as a sign of life. */
    long long deadline = mono_ms() + T;
    while (live->pings < PINGS) {
        ASSERT(mono_ms() < deadline);
        char *m = wsc_recv(live, 50);   /* pumps the socket; pings are answered inside */
        ASSERT(!m);                      /* nobody sends it messages */
        ASSERT(!live->closed);
        ASSERT_OK(wsc_send(talker, "{\"type\":\"ping\"}"));
    }
    /* The silent peer got its ping and no answer: the server closed it. */
    ASSERT(closed_by_server(dead, T));
    /* The other two are still served. */
    ASSERT_OK(wsc_send(live, "{\"type\":\"ping\",\"req\":1}"));
    json_t *o = wsc_expect(live, "pong", T);
    ASSERT(o);
    json_decref(o);
    o = wsc_expect(talker, "pong", T);
    ASSERT(o);
    json_decref(o);
    ASSERT(!talker->closed);
    ASSERT_EQ(healthz_connections(), 2);
    wsc_free(dead), wsc_free(live), wsc_free(talker);
    ASSERT_EQ(proc_stop(&srv, SIGTERM, 5000), 0);
}

static void test_bad_interval_exits_2(void)
{
    static const char *bad[] = {"--keepalive-ms=99", "--keepalive-ms=3600001", "--keepalive-ms=x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "%s %s >/dev/null 2>&1", proc_quizd_path(), bad[i]);
        int st = system(cmd);
        ASSERT(WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 2);
    }
}

static struct test_case tests[] = {
    {"silent_peer_is_closed_answering_peer_stays", test_silent_peer_is_closed_answering_peer_stays},
    {"bad_interval_exits_2", test_bad_interval_exits_2},
};

TEST_MAIN(tests)
