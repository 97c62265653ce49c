#define _GNU_SOURCE   /* memmem */
/* Shutdown at 15,000 connections (issue 11, item 8; README: "SIGTERM closes
 * every connection with 1001 and exits 0 within 2 s"). The clients live in
 * this process, quizd in its own (each has a 20,000-descriptor limit), so
 * CTest runs this test alone (RUN_SERIAL). Every client answers the close
 * frame as a browser does; every one must get 1001 and quizd must exit 0.
 * The time to exit is printed (timing belongs to bench/run, not here: it
 * bounds nothing on a shared machine). */
#include "itest.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N_CONN 15000
#define IN_FLIGHT 500   /* handshakes at once (the listen backlog is finite) */

static const char HANDSHAKE[] =
    "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

enum state { CONNECTING, AWAIT_101, OPEN, CLOSED };

struct client {
    int fd;
    enum state st;
    int close_code;   /* from the server's close frame; 0 if none came */
    unsigned char buf[256];
    size_t len;
};

static struct client *cl;
static struct proc srv;

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The CPU time quizd used so far (utime + stime), in ms. */
static long long child_cpu_ms(pid_t pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    ASSERT(f);
    ASSERT(fgets(line, sizeof line, f));
    fclose(f);
    unsigned long long ut = 0, st = 0;
    const char *p = strrchr(line, ')');   /* the command may hold spaces */
    ASSERT(p);
    ASSERT_EQ(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st), 2);
    return (long long)((ut + st) * 1000 / (unsigned long long)sysconf(_SC_CLK_TCK));
}

static void open_client(int ep, int i)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        FAIL_AT("socket %d: %s", i, strerror(errno));
    if (connect(fd, (struct sockaddr *)&a, sizeof a) && errno != EINPROGRESS)
        FAIL_AT("connect %d: %s", i, strerror(errno));
    cl[i] = (struct client){.fd = fd, .st = CONNECTING};
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)i};
    ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
}

/* Reads what arrived; parses the 101, then a close frame (answered with a
 * masked close echoing the code, as RFC 6455 5.5.1 asks). */
static void on_readable(struct client *c)
{
    for (;;) {
        ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN)) {
            c->st = CLOSED;
            return;
        }
        if (r < 0)
            return;
        c->len += (size_t)r;
        if (c->st == AWAIT_101) {
            unsigned char *e = memmem(c->buf, c->len, "\r\n\r\n", 4);
            if (!e)
                continue;
            if (memcmp(c->buf, "HTTP/1.1 101", 12))
                FAIL_AT("handshake refused: %.40s", (char *)c->buf);
            size_t hl = (size_t)(e - c->buf) + 4;
            memmove(c->buf, c->buf + hl, c->len - hl);
            c->len -= hl;
            c->st = OPEN;
        }
        if (c->st == OPEN && c->len >= 2) {
            size_t plen = c->buf[1] & 0x7f;
            if ((c->buf[0] & 0x0f) != 0x8)
                FAIL_AT("unexpected frame opcode %d before the close", c->buf[0] & 0x0f);
            if (c->len < 2 + plen)
                continue;
            c->close_code = plen >= 2 ? c->buf[2] << 8 | c->buf[3] : 1005;
            unsigned char echo[8] = {0x88, 0x80 | 2, 0, 0, 0, 0, c->buf[2], c->buf[3]};
            (void)!send(c->fd, echo, sizeof echo, MSG_NOSIGNAL);   /* zero mask */
            c->len = 0;
            c->st = CLOSED;
            return;
        }
        if (c->len == sizeof c->buf)
            FAIL_AT("unexpected data from the server");
    }
}

static void test_sigterm_closes_15000_with_1001(void)
{
    static const char *a[] = {"--max-per-address=0", "--keepalive-ms=600000", NULL};
    itest_start(&srv, a);
    cl = calloc(N_CONN, sizeof *cl);
    int ep = epoll_create1(0);
    ASSERT(ep >= 0);
    struct epoll_event evs[256];
    int opened = 0, open_now = 0, pending = 0;
    long long deadline = mono_ms() + proc_timeout(60000), t0 = mono_ms();
    while (open_now < N_CONN) {
        while (opened < N_CONN && pending < IN_FLIGHT) {
            open_client(ep, opened++);
            pending++;
        }
        int n = epoll_wait(ep, evs, 256, 100);
        for (int k = 0; k < n; k++) {
            struct client *c = &cl[evs[k].data.u32];
            if (c->st == CONNECTING && (evs[k].events & EPOLLOUT)) {
                if (evs[k].events & (EPOLLERR | EPOLLHUP))
                    FAIL_AT("connect %u failed", evs[k].data.u32);
                ASSERT_EQ(send(c->fd, HANDSHAKE, strlen(HANDSHAKE), MSG_NOSIGNAL),
                          (long)strlen(HANDSHAKE));
                c->st = AWAIT_101;
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = evs[k].data.u32};
                ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev));
            } else if (evs[k].events & EPOLLIN) {
                on_readable(c);
                if (c->st == OPEN) {
                    open_now++;
                    pending--;
                } else if (c->st == CLOSED) {
                    FAIL_AT("connection %u closed during the handshake", evs[k].data.u32);
                }
            }
        }
        if (mono_ms() > deadline)
            FAIL_AT("only %d of %d connections open after the deadline", open_now, N_CONN);
    }
    char *h, *b;
    ASSERT_EQ(http_get(srv.port, "/healthz", &h, &b, proc_timeout(4000)), 200);
    char want[64];
    snprintf(want, sizeof want, "\"connections\":%d", N_CONN);
    ASSERT_CONTAINS(b, want);
    free(h), free(b);
    fprintf(stderr, "%d WebSockets open in %lld ms\n", N_CONN, mono_ms() - t0);

    /* SIGTERM; answer the close frames while quizd shuts down. */
    long long cpu_before = child_cpu_ms(srv.pid), t_sig = mono_ms(), t_exit = -1;
    int status = -1, closed = 0;
    ASSERT_OK(kill(srv.pid, SIGTERM));
    long long cpu_shutdown = -1;
    deadline = t_sig + proc_timeout(20000);
    while ((t_exit < 0 || closed < N_CONN) && mono_ms() < deadline) {
        int n = epoll_wait(ep, evs, 256, 20);
        for (int k = 0; k < n; k++) {
            struct client *c = &cl[evs[k].data.u32];
            if (c->st != OPEN)
                continue;
            on_readable(c);
            if (c->st == CLOSED) {
                closed++;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
            }
        }
        struct rusage ru;
        if (t_exit < 0 && wait4(srv.pid, &status, WNOHANG, &ru) == srv.pid) {
            t_exit = mono_ms();
            cpu_shutdown = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000LL +
                           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000 - cpu_before;
        }
    }
    if (t_exit < 0) {
        kill(srv.pid, SIGKILL);
        waitpid(srv.pid, &status, 0);
        FAIL_AT("quizd did not exit within %d ms of SIGTERM", proc_timeout(20000));
    }
    int got_1001 = 0, other = 0;
    for (int i = 0; i < N_CONN; i++) {
        if (cl[i].close_code == 1001)
            got_1001++;
        else if (other++ < 3)
            fprintf(stderr, "connection %d: close code %d\n", i, cl[i].close_code);
        close(cl[i].fd);
    }
    fprintf(stderr,
            "SIGTERM at %d connections: exit after %lld ms (quizd CPU %lld ms), %d closed with "
            "1001, %d not\n",
            N_CONN, t_exit - t_sig, cpu_shutdown, got_1001, N_CONN - got_1001);
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    ASSERT_EQ(got_1001, N_CONN);
    close(ep);
    free(cl);
    srv.pid = 0;
}

static struct test_case tests[] = {
    {"sigterm_closes_15000_with_1001", test_sigterm_closes_15000_with_1001},
};

TEST_MAIN(tests)
