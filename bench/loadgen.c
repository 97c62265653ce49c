/* quizd load generator: simulated players speaking the real protocol over
 * real WebSockets on 127.0.0.1, driven by one epoll loop.
 *
 * Targets: "quizd" and "node" (the Node ws baseline) play whole games:
 * hosts create rooms, players join, every question is received, answered
 * after a seeded random think time within the deadline, acknowledged, and
 * followed by reveal/result/leaderboard. "floor" only measures fan-out: a
 * control connection sends "go" and the floor server send()s one frame to all.
 *
 * Latency of a broadcast = receipt time at a player - the time the trigger
 * (start/next/go) was sent by the host, both CLOCK_MONOTONIC on this machine.
 * Every loop is bounded in count and in time (--timeout) and stops by itself.
 * Results are one JSON object on stdout. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum cstate { C_CONNECTING, C_HANDSHAKE, C_OPEN, C_CLOSED };
enum role { R_HOST, R_PLAYER, R_CONTROL };

struct conn {
    int fd;
    enum cstate st;
    enum role role;
    int room;
    int player;             /* index within the room */
    unsigned char *rbuf;
    size_t rlen, rcap;
    char *wbuf;             /* pending output (rarely used) */
    size_t wlen, woff;
    bool joined;
    int answered_q;         /* last question index answered, -1 */
    int64_t answer_due;     /* µs, 0 = none */
    int64_t answer_sent;
    int q_index;
    int n_options;
};

struct room {
    struct conn *host;
    char code[8];
    int players, joined;
    int q;                  /* current question index */
    int phase;              /* 0 lobby, 1 question, 2 reveal, 3 leaderboard, 4 over */
    int64_t t_trigger;      /* when start/next was sent */
    int answers_acked, reveals;
    int64_t t_last_answer;  /* the answer that closed the question (latest sent) */
    bool done;
    int64_t start_at;       /* µs: when the host sends start (staggered rooms) */
};

struct samples {
    double *v;
    size_t n, cap;
};

static void push(struct samples *s, double x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = x;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(struct samples *s, double p)
{
    if (!s->n)
        return -1;
    qsort(s->v, s->n, sizeof *s->v, cmpd);
    size_t i = (size_t)(p / 100.0 * (double)(s->n - 1) + 0.5);
    return s->v[i];
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t rng;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* ---- options ---- */
static const char *target = "quizd";
static int port, n_rooms = 1, n_players = 100, n_questions = 3, seconds = 20, think_ms = 2000;
/* --pid=A[,B...]: the server's processes (HAProxy and its shards in
 * bench/run --shards); CPU and RSS are their sums, CPU also per process. */
/* HAProxy plus one shard per room-code character (bench/run --shards takes
 * at most 23, the letters; the code alphabet has 31): more is refused. */
#define MAX_PIDS 32
static int server_pids[MAX_PIDS], n_pids;
static int timeout_s = 120, server_pid, stagger_ms;
static int epfd;
static struct conn *conns;
static size_t n_conns;
static struct room *rooms;

/* ---- metrics ---- */
static struct samples lat_question, lat_ack, lat_leader, lat_reveal;
static long answers_sent, answers_acked, answers_rejected, frames_received, joins_ok, join_errors;
static int64_t t_join_start, t_join_end;
static long pending_answers;

/* ---- /proc ---- */
static double pid_cpu_s(int pid)
{
    if (!pid)
        return 0;
    char p[64], buf[1024];
    snprintf(p, sizeof p, "/proc/%d/stat", pid);
    FILE *f = fopen(p, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *s = strrchr(buf, ')');
    if (!s)
        return 0;
    unsigned long ut = 0, st = 0;
    /* fields after ')': state(3) ... utime(14) stime(15) */
    int field = 2;
    for (char *t = strtok(s + 2, " "); t; t = strtok(NULL, " ")) {
        field++;
        if (field == 14)
            ut = strtoul(t, NULL, 10);
        if (field == 15) {
            st = strtoul(t, NULL, 10);
            break;
        }
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double proc_cpu_s(void)
{
    double s = 0;
    for (int i = 0; i < n_pids; i++)
        s += pid_cpu_s(server_pids[i]);
    return s;
}

static long pid_rss_kb(int pid)
{
    if (!pid)
        return 0;
    char p[64], line[256];
    snprintf(p, sizeof p, "/proc/%d/status", pid);
    FILE *f = fopen(p, "r");
    if (!f)
        return 0;
    long kb = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = atol(line + 6);
    fclose(f);
    return kb;
}

static long proc_rss_kb(void)
{
    long kb = 0;
    for (int i = 0; i < n_pids; i++)
        kb += pid_rss_kb(server_pids[i]);
    return kb;
}

/* ---- sockets ---- */

static void flush_out(struct conn *c)
{
    while (c->woff < c->wlen) {
        ssize_t w = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
        if (w > 0) {
            c->woff += (size_t)w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
            epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
            return;
        }
        c->st = C_CLOSED;
        return;
    }
    c->wlen = c->woff = 0;
}

static void out(struct conn *c, const char *data, size_t n)
{
    if (c->wlen + n > 65536 * 4) {   /* bounded: a stuck server is a failure */
        c->st = C_CLOSED;
        return;
    }
    c->wbuf = realloc(c->wbuf, c->wlen + n);
    memcpy(c->wbuf + c->wlen, data, n);
    c->wlen += n;
    flush_out(c);
}

static void send_text(struct conn *c, const char *text)
{
    size_t n = strlen(text);
    unsigned char hdr[8 + 4 + 128];
    size_t h = 0;
    hdr[h++] = 0x81;
    if (n < 126) {
        hdr[h++] = (unsigned char)(0x80 | n);
    } else {
        hdr[h++] = 0x80 | 126;
        hdr[h++] = (unsigned char)(n >> 8);
        hdr[h++] = (unsigned char)n;
    }
    uint32_t key = (uint32_t)rnd();
    unsigned char mk[4];
    memcpy(mk, &key, 4);
    memcpy(hdr + h, mk, 4);
    h += 4;
    char *buf = malloc(h + n);
    memcpy(buf, hdr, h);
    for (size_t i = 0; i < n; i++)
        buf[h + i] = (char)(text[i] ^ mk[i & 3]);
    out(c, buf, h + n);
    free(buf);
}

static struct conn *open_conn(enum role role, int room, int player)
{
    struct conn *c = &conns[n_conns++];
    memset(c, 0, sizeof *c);
    c->role = role;
    c->room = room;
    c->player = player;
    c->answered_q = -1;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        perror("socket");
        exit(1);
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connect(c->fd, (struct sockaddr *)&a, sizeof a);
    c->st = C_CONNECTING;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
    return c;
}

static void on_connected(struct conn *c)
{
    char req[320], path[32] = "/ws";
    /* A player's socket names its room, as the web client's does: behind
     * HAProxy that routes it to the room's shard. */
    if (c->role == R_PLAYER && c->room >= 0 && rooms[c->room].code[0] && strcmp(target, "floor"))
        snprintf(path, sizeof path, "/ws?room=%s", rooms[c->room].code);
    snprintf(req, sizeof req,
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
             path, port);
    c->st = C_HANDSHAKE;
    out(c, req, strlen(req));
    struct epoll_event ev = {.events = EPOLLIN | (c->wlen ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static const char *field_str(const char *m, const char *key, char *out_buf, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(m, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    size_t i = 0;
    while (p[i] && p[i] != '"' && i + 1 < cap) {
        out_buf[i] = p[i];
        i++;
    }
    out_buf[i] = 0;
    return out_buf;
}

static long field_int(const char *m, const char *key, long def)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(m, pat);
    return p ? strtol(p + strlen(pat), NULL, 10) : def;
}

/* Number of strings in the "options" array (escapes honoured). */
static int count_options(const char *m)
{
    const char *p = strstr(m, "\"options\":[");
    if (!p)
        return 4;
    p += 11;
    int n = 0;
    bool in = false;
    for (; *p; p++) {
        if (in) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                in = false;
        } else if (*p == '"') {
            in = true;
            n++;
        } else if (*p == ']') {
            break;
        }
    }
    return n > 0 ? n : 4;
}

static void host_trigger(struct room *r, const char *type)
{
    char msg[64];
    snprintf(msg, sizeof msg, "{\"type\":\"%s\"}", type);
    r->t_trigger = now_us();
    send_text(r->host, msg);
}

static int players_total(void)
{
    return n_rooms * n_players;
}

static void on_message(struct conn *c, char *m, size_t len)
{
    (void)len;
    char type[32];
    frames_received++;
    if (!field_str(m, "type", type, sizeof type))
        return;
    int64_t now = now_us();
    struct room *r = c->room >= 0 ? &rooms[c->room] : NULL;
    if (c->role == R_HOST) {
        if (!strcmp(type, "room_created")) {
            field_str(m, "code", r->code, sizeof r->code);
        } else if (!strcmp(type, "reveal") && r->phase == 1) {
            r->phase = 2;
            host_trigger(r, "next");   /* to the leaderboard */
        } else if (!strcmp(type, "leaderboard") && r->phase == 2) {
            r->phase = 3;
            if (r->q + 1 >= n_questions) {
                r->phase = 4;
                r->done = true;
            } else {
                r->q++;
                r->phase = 1;
                host_trigger(r, "next");
            }
        }
        return;
    }
    if (c->role == R_CONTROL)
        return;
    if (!strcmp(type, "joined")) {
        c->joined = true;
        r->joined++;
        joins_ok++;
        t_join_end = now;
    } else if (!strcmp(type, "question")) {
        if (!strcmp(target, "floor")) {
            push(&lat_question, (double)(now - rooms[0].t_trigger) / 1000.0);
            rooms[0].answers_acked++;
            return;
        }
        push(&lat_question, (double)(now - r->t_trigger) / 1000.0);
        c->q_index = (int)field_int(m, "index", 0);
        c->n_options = count_options(m);
        if (!c->answer_due)
            pending_answers++;
        c->answer_due = now + (int64_t)(rnd() % (uint64_t)(think_ms + 1)) * 1000;
    } else if (!strcmp(type, "answer_ack")) {
        answers_acked++;
        push(&lat_ack, (double)(now - c->answer_sent) / 1000.0);
    } else if (!strcmp(type, "error")) {
        char code[32] = "";
        field_str(m, "code", code, sizeof code);
        if (!c->joined)
            join_errors++;
        else
            answers_rejected++;
    } else if (!strcmp(type, "reveal")) {
        push(&lat_reveal, (double)(now - r->t_last_answer) / 1000.0);
    } else if (!strcmp(type, "leaderboard")) {
        push(&lat_leader, (double)(now - r->t_trigger) / 1000.0);
    }
}

/* Parses complete server frames (unmasked) out of c->rbuf. */
static void parse_frames(struct conn *c)
{
    size_t off = 0;
    while (c->rlen - off >= 2) {
        unsigned char *b = c->rbuf + off;
        uint64_t n = b[1] & 0x7f;
        size_t h = 2;
        if (n == 126) {
            if (c->rlen - off < 4)
                break;
            n = (uint64_t)b[2] << 8 | b[3];
            h = 4;
        } else if (n == 127) {
            if (c->rlen - off < 10)
                break;
            n = 0;
            for (int i = 0; i < 8; i++)
                n = n << 8 | b[2 + i];
            h = 10;
        }
        if (c->rlen - off < h + n)
            break;
        int op = b[0] & 0x0f;
        if (op == 1) {
            char save = (char)b[h + n];
            b[h + n] = 0;
            on_message(c, (char *)b + h, (size_t)n);
            b[h + n] = (unsigned char)save;
        } else if (op == 8) {
            c->st = C_CLOSED;
        } else if (op == 9) {   /* ping -> pong */
            unsigned char pong[2 + 4 + 125];
            pong[0] = 0x8A;
            pong[1] = (unsigned char)(0x80 | (n & 0x7f));
            memset(pong + 2, 0, 4);
            memcpy(pong + 6, b + h, (size_t)n);
            out(c, (char *)pong, 6 + (size_t)n);
        }
        off += h + (size_t)n;
    }
    if (off) {
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
    }
}

static void on_readable(struct conn *c)
{
    for (;;) {
        if (c->rcap - c->rlen < 16384) {
            c->rcap = c->rcap ? c->rcap * 2 : 32768;
            c->rbuf = realloc(c->rbuf, c->rcap);
        }
        ssize_t r = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
        if (r > 0) {
            c->rlen += (size_t)r;
            if (c->st == C_HANDSHAKE) {
                void *e = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
                if (!e)
                    continue;
                if (c->rlen < 12 || memcmp(c->rbuf + 9, "101", 3)) {
                    c->st = C_CLOSED;
                    return;
                }
                size_t hl = (size_t)((unsigned char *)e - c->rbuf) + 4;
                memmove(c->rbuf, c->rbuf + hl, c->rlen - hl);
                c->rlen -= hl;
                c->st = C_OPEN;
                struct room *rm = c->room >= 0 ? &rooms[c->room] : NULL;
                char msg[256];
                if (c->role == R_HOST) {
                    snprintf(msg, sizeof msg,
                             "{\"type\":\"create_room\",\"count\":%d,\"seconds\":%d,\"max_players\":%d}",
                             n_questions, seconds, n_players < 1 ? 1 : n_players);
                    send_text(c, msg);
                } else if (c->role == R_PLAYER && strcmp(target, "floor")) {
                    snprintf(msg, sizeof msg, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"p%d\"}",
                             rm->code, c->player);
                    send_text(c, msg);
                } else if (c->role == R_PLAYER) {
                    c->joined = true;
                    joins_ok++;
                    t_join_end = now_us();
                }
            }
            if (c->st == C_OPEN)
                parse_frames(c);
            continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EINTR))
            c->st = C_CLOSED;
        return;
    }
}

static void run_until(bool (*done)(void), int64_t deadline, int inflight_limit, int *next_conn,
                      int n_total, void (*opener)(int))
{
    struct epoll_event evs[512];
    while (!done()) {
        int64_t now = now_us();
        if (now > deadline) {
            fprintf(stderr, "loadgen: phase timed out\n");
            return;
        }
        /* Keep at most inflight_limit handshakes in flight. */
        if (opener) {
            /* players opened but not yet joined (or refused) */
            int inflight = *next_conn - (int)(joins_ok + join_errors);
            while (*next_conn < n_total && inflight < inflight_limit) {
                opener((*next_conn)++);
                inflight++;
            }
        }
        /* Staggered room starts. */
        int64_t next_due = now + 50000;
        for (int i = 0; i < n_rooms && stagger_ms; i++) {
            struct room *rm = &rooms[i];
            if (rm->phase != 0 || !rm->start_at || rm->done)
                continue;
            if (rm->start_at <= now) {
                rm->phase = 1;
                host_trigger(rm, "start");
            } else if (rm->start_at < next_due) {
                next_due = rm->start_at;
            }
        }
        /* Due answers. */
        for (size_t i = 0; i < n_conns && pending_answers; i++) {
            struct conn *c = &conns[i];
            if (!c->answer_due)
                continue;
            if (c->answer_due <= now) {
                char msg[96];
                snprintf(msg, sizeof msg, "{\"type\":\"answer\",\"index\":%d,\"choice\":%d}", c->q_index,
                         (int)(rnd() % (uint64_t)(c->n_options ? c->n_options : 4)));
                c->answer_sent = now_us();
                if (c->room >= 0)
                    rooms[c->room].t_last_answer = c->answer_sent;
                c->answer_due = 0;
                pending_answers--;
                answers_sent++;
                send_text(c, msg);
            } else if (c->answer_due < next_due) {
                next_due = c->answer_due;
            }
        }
        int wait_ms = (int)((next_due - now_us()) / 1000);
        if (wait_ms < 0)
            wait_ms = 0;
        if (wait_ms > 50)
            wait_ms = 50;
        int n = epoll_wait(epfd, evs, 512, wait_ms);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c->st == C_CLOSED)
                continue;
            if (c->st == C_CONNECTING && (evs[i].events & EPOLLOUT)) {
                int err = 0;
                socklen_t l = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
                if (err) {
                    c->st = C_CLOSED;
                    continue;
                }
                on_connected(c);
                continue;
            }
            if (evs[i].events & EPOLLOUT) {
                flush_out(c);
                if (!c->wlen) {
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
                }
            }
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                on_readable(c);
        }
    }
}

static bool hosts_ready(void)
{
    for (int i = 0; i < n_rooms; i++)
        if (!rooms[i].code[0])
            return false;
    return true;
}

static bool all_joined(void)
{
    return joins_ok + join_errors >= players_total();
}

static bool games_done(void)
{
    for (int i = 0; i < n_rooms; i++)
        if (!rooms[i].done)
            return false;
    return true;
}

static bool floor_round_done(void)
{
    return rooms[0].answers_acked >= players_total();
}

static void open_player(int i)
{
    open_conn(R_PLAYER, i / n_players, i % n_players);
}

/* Syscalls of the server during the join phase and the game phase, counted
 * by the kernel's syscall tracepoints through `perf stat -p` (--perf=PATH),
 * one perf per phase. perf starts with its counters disabled and is enabled
 * and disabled over a control pipe (each command acknowledged), so exactly
 * the phase is counted. */
#define PERF_EVENTS "raw_syscalls:sys_enter,syscalls:sys_enter_epoll_ctl,syscalls:sys_enter_sendto," \
                    "syscalls:sys_enter_sendmsg,syscalls:sys_enter_write,syscalls:sys_enter_writev," \
                    "syscalls:sys_enter_epoll_wait,syscalls:sys_enter_poll,syscalls:sys_enter_read," \
                    "syscalls:sys_enter_recvfrom,syscalls:sys_enter_futex,syscalls:sys_enter_pwrite64," \
                    "syscalls:sys_enter_fcntl,syscalls:sys_enter_clock_nanosleep,syscalls:sys_enter_sched_yield"
static const char *perf_bin;
static pid_t perf_pid;
static int perf_ctl = -1, perf_ack = -1;
static char perf_out[64];

static int perf_cmd(const char *cmd)
{
    char a[16];
    if (write(perf_ctl, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
        return -1;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t n = 0;
    while (n < 4) {   /* "ack\n", bounded by 10 s */
        ssize_t r = read(perf_ack, a + n, sizeof a - n);
        if (r <= 0)
            return -1;
        n += (size_t)r;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > 10)
            return -1;
    }
    return strncmp(a, "ack", 3) ? -1 : 0;
}

static void perf_start(void)
{
    int c[2], k[2];
    if (!perf_bin || !server_pid || pipe(c) || pipe(k))
        return;
    snprintf(perf_out, sizeof perf_out, "/tmp/quizd-perf-%d.txt", (int)getpid());
    perf_pid = fork();
    if (perf_pid == 0) {
        char pid[16], ctl[48];
        close(c[1]);
        close(k[0]);
        snprintf(pid, sizeof pid, "%d", server_pid);
        snprintf(ctl, sizeof ctl, "fd:%d,%d", c[0], k[1]);
        execlp(perf_bin, perf_bin, "stat", "-x,", "-D", "-1", "--control", ctl, "-e", PERF_EVENTS,
               "-p", pid, "-o", perf_out, (char *)NULL);
        _exit(127);
    }
    close(c[0]);
    close(k[1]);
    perf_ctl = c[1];
    perf_ack = k[0];
    if (perf_pid < 0 || perf_cmd("enable\n") < 0) {
        fprintf(stderr, "loadgen: perf stat could not count the server's syscalls\n");
        if (perf_pid > 0)
            kill(perf_pid, SIGKILL), waitpid(perf_pid, NULL, 0);
        perf_pid = 0;
    }
}

/* Stops counting and writes "<name>":{...}, for the result into out
 * (empty when perf is not counting). */
static void perf_stop(const char *name_out, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    if (!perf_pid)
        return;
    perf_cmd("disable\n");
    kill(perf_pid, SIGINT);
    waitpid(perf_pid, NULL, 0);
    close(perf_ctl);
    close(perf_ack);
    FILE *f = fopen(perf_out, "r");
    if (!f)
        return;
    char line[256];
    bool first = true;
    o += (size_t)snprintf(out + o, cap - o, "\"%s\":{", name_out);
    while (fgets(line, sizeof line, f)) {
        char *v = line, *e = strstr(line, ",,");
        if (line[0] == '#' || !e)
            continue;
        *e = '\0';
        char *name = e + 2, *end = strchr(name, ',');
        if (!end)
            continue;
        *end = '\0';
        char *colon = strrchr(name, ':');
        const char *key = !strcmp(name, "raw_syscalls:sys_enter") ? "total"
                          : colon && !strncmp(colon + 1, "sys_enter_", 10) ? colon + 11 : name;
        if (o < cap)
            o += (size_t)snprintf(out + o, cap - o, "%s\"%s\":%lld", first ? "" : ",", key,
                                  v[0] == '<' ? 0LL : atoll(v));
        first = false;
    }
    if (o < cap)
        snprintf(out + o, cap - o, "},");
    if (o >= cap)
        out[0] = '\0';   /* truncated: report nothing rather than bad JSON */
    fclose(f);
    unlink(perf_out);
    perf_pid = 0;
}

static void print_samples(const char *name, struct samples *s, bool comma)
{
    printf("\"%s\":{\"n\":%zu,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}%s", name, s->n, pct(s, 50),
           pct(s, 99), pct(s, 100), comma ? "," : "");
}

int main(int argc, char **argv)
{
    static const struct option o[] = {
        {"port", required_argument, NULL, 'p'},      {"target", required_argument, NULL, 't'},
        {"rooms", required_argument, NULL, 'r'},     {"players", required_argument, NULL, 'n'},
        {"questions", required_argument, NULL, 'q'}, {"seconds", required_argument, NULL, 's'},
        {"think-ms", required_argument, NULL, 'k'},  {"seed", required_argument, NULL, 'S'},
        {"pid", required_argument, NULL, 'P'},       {"timeout", required_argument, NULL, 'T'},
        {"stagger-ms", required_argument, NULL, 'G'}, {"perf", required_argument, NULL, 'F'},
        {NULL, 0, NULL, 0}};
    int c;
    uint64_t seed = 1;
    while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
        switch (c) {
        case 'p': port = atoi(optarg); break;
        case 't': target = optarg; break;
        case 'r': n_rooms = atoi(optarg); break;
        case 'n': n_players = atoi(optarg); break;
        case 'q': n_questions = atoi(optarg); break;
        case 's': seconds = atoi(optarg); break;
        case 'k': think_ms = atoi(optarg); break;
        case 'S': seed = strtoull(optarg, NULL, 10); break;
        case 'P':
            for (char *t = strtok(optarg, ","); t; t = strtok(NULL, ",")) {
                if (n_pids == MAX_PIDS) {
                    fprintf(stderr, "loadgen: --pid takes at most %d processes\n", MAX_PIDS);
                    return 2;
                }
                server_pids[n_pids++] = atoi(t);
            }
            server_pid = n_pids ? server_pids[0] : 0;   /* perf counts the first */
            break;
        case 'T': timeout_s = atoi(optarg); break;
        case 'G': stagger_ms = atoi(optarg); break;
        case 'F': perf_bin = optarg; break;
        default:
            fprintf(stderr, "usage: loadgen --port P --target quizd|node|floor [--rooms R] [--players N] "
                            "[--questions Q] [--seconds S] [--think-ms MS] [--seed S] [--pid PID[,PID...]] [--timeout S] "
                            "[--perf PERF]\n");
            return 2;
        }
    }
    if (!port || n_rooms < 1 || n_players < 1 || n_questions < 1) {
        fprintf(stderr, "loadgen: --port and positive counts are required\n");
        return 2;
    }
    rng = seed * 2654435761u + 88172645463325252ull;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if ((rlim_t)(players_total() + n_rooms + 16) > rl.rlim_cur) {
        fprintf(stderr, "loadgen: %d connections exceed the fd limit %lu\n", players_total() + n_rooms,
                (unsigned long)rl.rlim_cur);
        return 2;
    }
    epfd = epoll_create1(EPOLL_CLOEXEC);
    conns = calloc((size_t)players_total() + (size_t)n_rooms + 1, sizeof *conns);
    rooms = calloc((size_t)n_rooms, sizeof *rooms);
    int64_t deadline = now_us() + (int64_t)timeout_s * 1000000;
    bool floor = !strcmp(target, "floor");

    double cpu0 = proc_cpu_s();
    long rss0 = proc_rss_kb();
    int next = 0;
    if (!floor) {
        for (int i = 0; i < n_rooms; i++) {
            rooms[i].players = n_players;
            rooms[i].host = open_conn(R_HOST, i, -1);
        }
        run_until(hosts_ready, deadline, 0, &next, 0, NULL);
    } else {
        rooms[0].host = open_conn(R_CONTROL, -1, -1);
        strcpy(rooms[0].code, "FLOOR");
    }
    /* The join phase is counted too: syscalls per join. */
    static char perf_join[1024], perf_game[1024];
    perf_start();
    t_join_start = now_us();
    run_until(all_joined, deadline, 256, &next, players_total(), open_player);
    perf_stop("server_syscalls_join", perf_join, sizeof perf_join);
    double join_s = (double)(t_join_end - t_join_start) / 1e6;
    double cpu_join = proc_cpu_s() - cpu0;
    long rss_idle = proc_rss_kb();

    perf_start();
    double cpu1 = proc_cpu_s();
    double cpu_start_by_pid[MAX_PIDS];
    for (int i = 0; i < n_pids; i++)
        cpu_start_by_pid[i] = pid_cpu_s(server_pids[i]);
    int64_t t_game = now_us();
    long frames0 = frames_received;
    if (!floor) {
        /* Rooms are not in lockstep in real life: starts are spread evenly
         * over --stagger-ms (0 = all at once); later rounds drift apart by
         * themselves with the players' think times. */
        int64_t t_base = now_us();
        for (int i = 0; i < n_rooms; i++) {
            rooms[i].phase = 1;
            rooms[i].q = 0;
            rooms[i].start_at = t_base + (n_rooms > 1 ? (int64_t)stagger_ms * 1000 * i / n_rooms : 0);
            if (rooms[i].start_at <= t_base)
                host_trigger(&rooms[i], "start");
            else
                rooms[i].phase = 0;
        }
        run_until(games_done, deadline, 0, &next, 0, NULL);
    } else {
        for (int q = 0; q < n_questions && now_us() < deadline; q++) {
            rooms[0].answers_acked = 0;
            rooms[0].t_trigger = now_us();
            send_text(rooms[0].host, "go");
            run_until(floor_round_done, deadline, 0, &next, 0, NULL);
        }
    }
    double game_s = (double)(now_us() - t_game) / 1e6;
    double cpu_game = proc_cpu_s() - cpu1;
    double cpu_end_by_pid[MAX_PIDS];
    for (int i = 0; i < n_pids; i++)
        cpu_end_by_pid[i] = pid_cpu_s(server_pids[i]);
    perf_stop("server_syscalls", perf_game, sizeof perf_game);
    long frames = frames_received - frames0;

    printf("{\"target\":\"%s\",\"rooms\":%d,\"players_per_room\":%d,\"questions\":%d,", target, n_rooms,
           n_players, n_questions);
    printf("\"joined\":%ld,\"join_errors\":%ld,\"join_s\":%.3f,\"joins_per_s\":%.1f,", joins_ok, join_errors,
           join_s, join_s > 0 ? (double)joins_ok / join_s : 0);
    printf("\"answers_sent\":%ld,\"answers_acked\":%ld,\"answers_rejected\":%ld,\"answers_lost\":%ld,",
           answers_sent, answers_acked, answers_rejected, answers_sent - answers_acked - answers_rejected);
    print_samples("question_fanout", &lat_question, true);
    print_samples("answer_ack", &lat_ack, true);
    print_samples("reveal", &lat_reveal, true);
    print_samples("leaderboard", &lat_leader, true);
    printf("\"frames_received\":%ld,\"game_s\":%.3f,\"server_cpu_join_s\":%.3f,\"server_cpu_game_s\":%.3f,", frames,
           game_s, cpu_join, cpu_game);
    printf("\"deliveries_per_cpu_s\":%.0f,", cpu_game > 0 ? (double)frames / cpu_game : 0);
    printf("\"server_cpu_game_s_by_pid\":[");
    for (int i = 0; i < n_pids; i++)
        printf("%s%.3f", i ? "," : "", cpu_end_by_pid[i] - cpu_start_by_pid[i]);
    printf("],");
    printf("%s%s", perf_join, perf_game);
    printf("\"server_rss_before_kb\":%ld,\"server_rss_idle_kb\":%ld,\"rss_per_conn_bytes\":%.0f,\"completed\":%s}\n",
           rss0, rss_idle, players_total() ? (double)(rss_idle - rss0) * 1024.0 / players_total() : 0,
           (floor ? floor_round_done() : games_done()) ? "true" : "false");
    for (size_t i = 0; i < n_conns; i++) {
        /* RST on close: no TIME_WAIT pile-up between runs. */
        struct linger lg = {1, 0};
        setsockopt(conns[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(conns[i].fd);
        free(conns[i].rbuf);
        free(conns[i].wbuf);
    }
    free(conns);
    free(rooms);
    return 0;
}
