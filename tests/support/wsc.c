#define _GNU_SOURCE
#include "wsc.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static struct in_addr source;   /* INADDR_ANY: the kernel's choice */
static struct in_addr dest;     /* INADDR_ANY: 127.0.0.1 */

static void set_addr(struct in_addr *a, const char *ipv4)
{
    a->s_addr = htonl(INADDR_ANY);
    if (ipv4 && inet_pton(AF_INET, ipv4, a) != 1) {
        fprintf(stderr, "wsc: bad address %s\n", ipv4);
        abort();
    }
}

void wsc_set_dest(const char *ipv4)
{
    set_addr(&dest, ipv4);
}

void wsc_set_source(const char *ipv4)
{
    set_addr(&source, ipv4);
}

static int tcp_connect_rb(int port, int timeout_ms, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (source.s_addr != htonl(INADDR_ANY)) {
        struct sockaddr_in s = {.sin_family = AF_INET, .sin_addr = source};
        if (bind(fd, (struct sockaddr *)&s, sizeof s) < 0) {
            fprintf(stderr, "wsc: cannot bind the source address: %s\n", strerror(errno));
            close(fd);
            return -1;
        }
    }
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (dest.s_addr != htonl(INADDR_ANY))
        a.sin_addr = dest;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    struct pollfd p = {fd, POLLOUT, 0};
    if (poll(&p, 1, timeout_ms) != 1) {
        close(fd);
        return -1;
    }
    int err = 0;
    socklen_t l = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
    if (err) {
        close(fd);
        return -1;
    }
    return fd;
}

static int tcp_connect(int port, int timeout_ms)
{
    return tcp_connect_rb(port, timeout_ms, 0);
}

static int send_all(int fd, const void *data, size_t n, int timeout_ms)
{
    const unsigned char *p = data;
    long long deadline = mono_ms() + timeout_ms;
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        long long left = deadline - mono_ms();
        struct pollfd pf = {fd, POLLOUT, 0};
        if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
            return -1;
    }
    return 0;
}

/* Reads more bytes into c->buf; returns >0 read, 0 timeout, -1 EOF/error. */
static int fill(struct wsc *c, long long deadline)
{
    long long left = deadline - mono_ms();
    if (left < 0)
        left = 0;
    struct pollfd pf = {c->fd, POLLIN, 0};
    int r = poll(&pf, 1, (int)left);
    if (r <= 0)
        return 0;
    if (c->cap - c->len < 65536) {
        c->cap = c->cap * 2 + 65536;
        c->buf = realloc(c->buf, c->cap);
    }
    ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        c->closed = true;
        return -1;
    }
    c->len += (size_t)n;
    return (int)n;
}

struct wsc *wsc_connect(int port, const char *path, int timeout_ms)
{
    return wsc_connect_rcvbuf(port, path, timeout_ms, 0);
}

struct wsc *wsc_connect_rcvbuf(int port, const char *path, int timeout_ms, int rcvbuf)
{
    return wsc_connect_ex(port, path, NULL, timeout_ms, rcvbuf, NULL);
}

struct wsc *wsc_connect_ex(int port, const char *path, const char *headers, int timeout_ms,
                           int rcvbuf, int *status)
{
    if (status)
        *status = -1;
    int fd = tcp_connect_rb(port, timeout_ms, rcvbuf);
    if (fd < 0) {
        fprintf(stderr, "wsc: connect to port %d failed\n", port);
        return NULL;
    }
    struct wsc *c = calloc(1, sizeof *c);
    c->fd = fd;
    char req[8192], def[256];   /* room for a test's long headers */
    if (!headers) {
        snprintf(def, sizeof def, "Host: 127.0.0.1:%d\r\nOrigin: http://127.0.0.1:%d\r\n", port,
                 port);
        headers = def;
    }
    snprintf(req, sizeof req,
             "GET %s HTTP/1.1\r\n%sUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
             path, headers);
    long long deadline = mono_ms() + timeout_ms;
    if (send_all(fd, req, strlen(req), timeout_ms) < 0)
        goto fail;
    for (;;) {
        if (c->len >= 4) {
            unsigned char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
            if (end) {
                size_t hl = (size_t)(end - c->buf) + 4;
                if (status && c->len >= 12)
                    *status = atoi((char *)c->buf + 9);
                if (c->len < 12 || memcmp(c->buf + 9, "101", 3)) {
                    fprintf(stderr, "wsc: handshake refused: %.40s\n", (char *)c->buf);
                    goto fail;
                }
                memmove(c->buf, c->buf + hl, c->len - hl);
                c->len -= hl;
                return c;
            }
        }
        if (fill(c, deadline) <= 0 || mono_ms() > deadline) {
            fprintf(stderr, "wsc: handshake timed out or closed\n");
            goto fail;
        }
    }
fail:
    wsc_free(c);
    return NULL;
}

void wsc_free(struct wsc *c)
{
    if (!c)
        return;
    close(c->fd);
    free(c->buf);
    free(c);
}

/* Appends one masked client frame to out (room for n + 14 bytes); returns its length. */
static size_t encode_frame(unsigned char *out, int opcode, bool fin, const unsigned char *data,
                           size_t n)
{
    size_t h = 0;
    out[h++] = (unsigned char)((fin ? 0x80 : 0) | opcode);
    if (n < 126) {
        out[h++] = (unsigned char)(0x80 | n);
    } else if (n < 65536) {
        out[h++] = 0x80 | 126;
        out[h++] = (unsigned char)(n >> 8);
        out[h++] = (unsigned char)n;
    } else {
        out[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            out[h++] = (unsigned char)((uint64_t)n >> (8 * i));
    }
    unsigned char mask[4];
    if (getrandom(mask, 4, 0) != 4)
        memset(mask, 0x5a, 4);
    memcpy(out + h, mask, 4);
    h += 4;
    for (size_t i = 0; i < n; i++)
        out[h + i] = data[i] ^ mask[i & 3];
    return h + n;
}

static int send_frame(struct wsc *c, int opcode, bool fin, const unsigned char *data, size_t n)
{
    unsigned char *out = malloc(n + 14);
    size_t len = encode_frame(out, opcode, fin, data, n);
    int rc = send_all(c->fd, out, len, 5000);
    free(out);
    return rc;
}

int wsc_send_many(struct wsc *c, const char *const *texts, size_t n)
{
    size_t cap = 0, len = 0;
    for (size_t i = 0; i < n; i++)
        cap += strlen(texts[i]) + 14;
    unsigned char *out = malloc(cap ? cap : 1);
    for (size_t i = 0; i < n; i++)
        len += encode_frame(out + len, 1, true, (const unsigned char *)texts[i], strlen(texts[i]));
    int rc = send_all(c->fd, out, len, 5000);
    free(out);
    return rc;
}

int wsc_send_len(struct wsc *c, const char *data, size_t len, int opcode)
{
    return send_frame(c, opcode, true, (const unsigned char *)data, len);
}

int wsc_send(struct wsc *c, const char *text)
{
    return wsc_send_len(c, text, strlen(text), 1);
}

int wsc_send_fragmented(struct wsc *c, const char *text, int parts)
{
    size_t n = strlen(text), step = (n + (size_t)parts - 1) / (size_t)parts, off = 0;
    int i = 0;
    while (off < n) {
        size_t k = n - off < step ? n - off : step;
        if (send_frame(c, i == 0 ? 1 : 0, off + k == n, (const unsigned char *)text + off, k))
            return -1;
        off += k;
        i++;
    }
    return 0;
}

int wsc_sendf(struct wsc *c, const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return wsc_send(c, buf);
}

/* Parses one complete frame from c->buf; returns 1 with the frame, 0 if incomplete. */
static int parse_frame(struct wsc *c, int *opcode, bool *fin, unsigned char **payload, size_t *plen,
                       size_t *consumed)
{
    if (c->len < 2)
        return 0;
    unsigned char *b = c->buf;
    *fin = b[0] & 0x80;
    *opcode = b[0] & 0x0f;
    uint64_t n = b[1] & 0x7f;
    size_t h = 2;
    if (n == 126) {
        if (c->len < 4)
            return 0;
        n = (uint64_t)b[2] << 8 | b[3];
        h = 4;
    } else if (n == 127) {
        if (c->len < 10)
            return 0;
        n = 0;
        for (int i = 0; i < 8; i++)
            n = n << 8 | b[2 + i];
        h = 10;
    }
    if (c->len < h + n)
        return 0;
    *payload = b + h;
    *plen = (size_t)n;
    *consumed = h + (size_t)n;
    return 1;
}

char *wsc_recv(struct wsc *c, int timeout_ms)
{
    long long deadline = mono_ms() + timeout_ms;
    char *msg = NULL;
    size_t mlen = 0;
    for (;;) {
        int opcode;
        bool fin;
        unsigned char *p;
        size_t n, used;
        while (parse_frame(c, &opcode, &fin, &p, &n, &used)) {
            if (opcode == 8) {
                c->close_code = n >= 2 ? (p[0] << 8 | p[1]) : 1005;
                c->closed = true;
                memmove(c->buf, c->buf + used, c->len - used);
                c->len -= used;
                free(msg);
                return NULL;
            }
            if (opcode == 9) {   /* ping: answer with pong */
                send_frame(c, 10, true, p, n);
                c->pings++;
            } else if (opcode == 1 || opcode == 2 || opcode == 0) {
                msg = realloc(msg, mlen + n + 1);
                memcpy(msg + mlen, p, n);
                mlen += n;
                msg[mlen] = '\0';
                if (fin) {
                    memmove(c->buf, c->buf + used, c->len - used);
                    c->len -= used;
                    return msg;
                }
            }
            memmove(c->buf, c->buf + used, c->len - used);
            c->len -= used;
        }
        if (c->closed || mono_ms() >= deadline) {
            free(msg);
            return NULL;
        }
        if (fill(c, deadline) < 0) {
            free(msg);
            return NULL;
        }
    }
}

json_t *wsc_expect(struct wsc *c, const char *type, int timeout_ms)
{
    long long deadline = mono_ms() + timeout_ms;
    for (;;) {
        long long left = deadline - mono_ms();
        if (left <= 0)
            return NULL;
        char *m = wsc_recv(c, (int)left);
        if (!m)
            return NULL;
        json_t *o = json_loads(m, 0, NULL);
        free(m);
        if (!o)
            continue;
        const char *t = json_string_value(json_object_get(o, "type"));
        if (t && !strcmp(t, type))
            return o;
        json_decref(o);
    }
}

int wsc_wait_close(struct wsc *c, int timeout_ms)
{
    long long deadline = mono_ms() + timeout_ms;
    while (!c->closed) {
        long long left = deadline - mono_ms();
        if (left <= 0)
            return -1;
        free(wsc_recv(c, (int)left));
    }
    return c->close_code ? c->close_code : 1006;
}

int http_get(int port, const char *path, char **headers, char **body, int timeout_ms)
{
    char req[1024];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n",
             path, port);
    return http_raw(port, req, strlen(req), headers, body, timeout_ms);
}

/* Reads one reply from fd like http_get (until EOF or the announced
 * content-length, by timeout_ms) and closes fd. */
static int http_read_reply(int fd, char **headers, char **body, int timeout_ms)
{
    struct wsc c = {.fd = fd};
    long long deadline = mono_ms() + timeout_ms;
    for (;;) {
        int r = fill(&c, deadline);
        if (r < 0)
            break;
        if (r == 0 && mono_ms() >= deadline)
            break;
        if (c.len) {
            c.buf[c.len < c.cap ? c.len : c.cap - 1] = 0;
            unsigned char *e = memmem(c.buf, c.len, "\r\n\r\n", 4);
            if (e) {
                size_t hl = (size_t)(e - c.buf) + 4;
                char *cl = strcasestr((char *)c.buf, "content-length:");
                if (cl && cl < (char *)e && c.len >= hl + strtoul(cl + 15, NULL, 10))
                    break;
            }
        }
    }
    close(fd);
    if (!c.len) {
        free(c.buf);
        return -1;
    }
    c.buf = realloc(c.buf, c.len + 1);
    c.buf[c.len] = 0;
    unsigned char *e = memmem(c.buf, c.len, "\r\n\r\n", 4);
    int status = -1;
    sscanf((char *)c.buf, "HTTP/1.%*d %d", &status);
    if (e) {
        *headers = strndup((char *)c.buf, (size_t)(e - c.buf) + 2);
        *body = strdup((char *)e + 4);
    }
    free(c.buf);
    return status;
}

int http_raw(int port, const char *req, size_t len, char **headers, char **body, int timeout_ms)
{
    *headers = *body = NULL;
    int fd = tcp_connect(port, timeout_ms);
    if (fd < 0)
        return -1;
    if (send_all(fd, req, len, timeout_ms) < 0) {
        close(fd);
        return -1;
    }
    return http_read_reply(fd, headers, body, timeout_ms);
}

void http_raw_many(int port, const char *const *reqs, size_t n, int *status, int timeout_ms)
{
    int *fd = calloc(n, sizeof *fd);
    if (!fd)
        abort();
    for (size_t i = 0; i < n; i++) {
        fd[i] = tcp_connect(port, timeout_ms);
        if (fd[i] >= 0 && send_all(fd[i], reqs[i], strlen(reqs[i]), timeout_ms) < 0) {
            close(fd[i]);
            fd[i] = -1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        char *h = NULL, *b = NULL;
        status[i] = fd[i] < 0 ? -1 : http_read_reply(fd[i], &h, &b, timeout_ms);
        free(h);
        free(b);
    }
    free(fd);
}

int wsc_tcp_open(int port, int timeout_ms)
{
    return tcp_connect(port, timeout_ms);
}

int http_exchange(int fd, const char *req, int timeout_ms)
{
    if (send_all(fd, req, strlen(req), timeout_ms) < 0)
        return -1;
    struct wsc c = {.fd = fd};
    long long deadline = mono_ms() + timeout_ms;
    int status = -1;
    for (;;) {
        if (fill(&c, deadline) < 0 || mono_ms() >= deadline)
            break;
        unsigned char *e = c.len ? memmem(c.buf, c.len, "\r\n\r\n", 4) : NULL;
        if (!e)
            continue;
        c.buf[c.len < c.cap ? c.len : c.cap - 1] = 0;
        size_t hl = (size_t)(e - c.buf) + 4;
        char *cl = strcasestr((char *)c.buf, "content-length:");
        size_t body = cl && cl < (char *)e ? strtoul(cl + 15, NULL, 10) : 0;
        if (c.len >= hl + body) {
            sscanf((char *)c.buf, "HTTP/1.%*d %d", &status);
            break;
        }
    }
    free(c.buf);
    return status;
}
