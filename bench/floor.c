/* The floor: the least work a server can do to put one frame on N sockets.
 * Accepts WebSocket connections (RFC 6455 handshake), and whenever any
 * client sends a text frame "go", send()s one pre-encoded question-sized
 * frame to every other connection in a plain loop. quizd's fan-out is
 * reported as a ratio to this, measured in the same run. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXC 65536

struct cl {
    int fd;
    int open;
    unsigned char buf[4096];
    size_t len;
};

static struct cl *cls[MAXC];
static int fds[MAXC], nfds_open;
static unsigned char frame[512];
static size_t frame_len;
static volatile sig_atomic_t stop;

static void b64(const unsigned char *in, size_t n, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = t[v >> 18 & 63];
        out[o++] = t[v >> 12 & 63];
        out[o++] = i + 1 < n ? t[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? t[v & 63] : '=';
    }
    out[o] = 0;
}

static void broadcast(int except)
{
    for (int i = 0; i < nfds_open; i++) {
        if (fds[i] == except)
            continue;
        /* Plain blocking-free send; the benchmark's frames are small. */
        send(fds[i], frame, frame_len, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
}

static void on_stop(int s)
{
    (void)s;
    stop = 1;
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 0;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    const char *payload = "{\"type\":\"question\",\"index\":0,\"total\":10,\"category\":\"Core Python\","
                          "\"prompt\":\"What does the expression marked # ? evaluate to?\","
                          "\"options\":[\"[1, 2]\",\"[1]\",\"[2]\",\"[2, 1]\"],\"time_ms\":20000,"
                          "\"deadline_ms\":1795526821000,\"now_ms\":1795526801000,\"difficulty\":2,"
                          "\"kind\":\"code_output\",\"code\":\"def f(x, l=[]):\\n    l.append(x)\\n    return l\\nf(1)\\nf(2)  # ?\"}";
    size_t n = strlen(payload);
    frame[0] = 0x81;
    frame[1] = 126;
    frame[2] = (unsigned char)(n >> 8);
    frame[3] = (unsigned char)n;
    memcpy(frame + 4, payload, n);
    frame_len = 4 + n;

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 4096)) {
        perror("floor: bind");
        return 1;
    }
    socklen_t al = sizeof a;
    getsockname(ls, (struct sockaddr *)&a, &al);
    printf("floor listening port=%d\n", ntohs(a.sin_port));
    fflush(stdout);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    struct epoll_event evs[256];
    while (!stop) {
        int k = epoll_wait(ep, evs, 256, 200);
        for (int i = 0; i < k; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (c >= MAXC) {
                        close(c);
                        continue;
                    }
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    cls[c] = calloc(1, sizeof *cls[c]);
                    cls[c]->fd = c;
                    struct epoll_event e2 = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &e2);
                }
                continue;
            }
            struct cl *c = cls[fd];
            ssize_t r = recv(fd, c->buf + c->len, sizeof c->buf - c->len, 0);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN)
                    continue;
                if (c->open)
                    for (int j = 0; j < nfds_open; j++)
                        if (fds[j] == fd) {
                            fds[j] = fds[--nfds_open];
                            break;
                        }
                close(fd);
                free(c);
                cls[fd] = NULL;
                continue;
            }
            c->len += (size_t)r;
            if (!c->open) {
                char *e = memmem(c->buf, c->len, "\r\n\r\n", 4);
                if (!e)
                    continue;
                char *k2 = strcasestr((char *)c->buf, "Sec-WebSocket-Key:");
                char key[128] = "";
                if (k2)
                    sscanf(k2 + 18, " %60s", key);
                strcat(key, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
                unsigned char sha[20];
                SHA1((unsigned char *)key, strlen(key), sha);
                char acc[64], resp[256];
                b64(sha, 20, acc);
                int rl2 = snprintf(resp, sizeof resp,
                                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                   "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", acc);
                send(fd, resp, (size_t)rl2, MSG_NOSIGNAL);
                c->open = 1;
                fds[nfds_open++] = fd;
                size_t hl = (size_t)(e - (char *)c->buf) + 4;
                memmove(c->buf, c->buf + hl, c->len - hl);
                c->len -= hl;
            }
            /* Client frames are masked; a 2-byte "go" triggers a broadcast. */
            while (c->len >= 6) {
                size_t plen = c->buf[1] & 0x7f;
                if (plen >= 126 || c->len < 6 + plen)
                    break;
                unsigned char *mk = c->buf + 2, *p = c->buf + 6;
                char msg[128];
                for (size_t j = 0; j < plen && j < sizeof msg - 1; j++)
                    msg[j] = (char)(p[j] ^ mk[j & 3]);
                msg[plen < sizeof msg - 1 ? plen : sizeof msg - 1] = 0;
                if ((c->buf[0] & 0x0f) == 1 && !strcmp(msg, "go"))
                    broadcast(fd);
                memmove(c->buf, c->buf + 6 + plen, c->len - 6 - plen);
                c->len -= 6 + plen;
            }
        }
    }
    return 0;
}
