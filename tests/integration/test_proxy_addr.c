/* --trusted-proxy over real sockets, straight to quizd (the HAProxy path is
 * test_haproxy's): X-Forwarded-For from a peer that is not trusted changes
 * nothing, a malformed one from a trusted peer falls back to the peer, a
 * valid last entry gets that client its own budgets (WebSocket joins, the
 * socket cap, rooms, HTTP exports and QR codes alike), even at the proxy's
 * own address, an IPv6 client is its /64, a kept-alive socket of the proxy
 * moves from client to client, and /metrics looks at the TCP peer only.
 * Clients leave from several loopback addresses (127.0.0.2, ...). */
#include "igame.h"
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>

/* The lookup budget, ROOMS_MISS_BURST lookups refilled at
 * ROOMS_MISS_PER_SEC, and the QR one, QR_DRAW_BURST refilled at
 * QR_DRAW_PER_SEC (rooms/rooms.h, http/qr.h). */
#define MISS_BURST 30
#define MISS_PER_SEC 1
#define QR_BURST 20
#define QR_PER_SEC 10
/* Tries before a guesser must have been cut off. */
#define GUESS_TRIES 100
/* Rounds of requests sent after a budget ran out: it may let one through
 * only as it refills. */
#define AFTER_TRIES 15

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The most requests one budget of `burst`, refilled at per_sec, can have
 * let through since t0_ms (when it was full at best): a correct server
 * stays within it however slowly the requests ran, while a second budget
 * for the same client lets through a whole burst more. */
static long long budget_max(int burst, int per_sec, long long t0_ms)
{
    return burst + (mono_ms() - t0_ms) * per_sec / 1000 + 1;
}

/* A WebSocket from the current source address with `xff` as X-Forwarded-For
 * header lines ("X-Forwarded-For: ...\r\n"..., or "" for none). */
static struct wsc *connect_xff(int port, const char *path, const char *xff)
{
    char hd[4500];
    snprintf(hd, sizeof hd, "Host: 127.0.0.1:%d\r\nOrigin: http://127.0.0.1:%d\r\n%s", port, port,
             xff);
    int st;
    struct wsc *c = wsc_connect_ex(port, path, hd, ITEST_T, 0, &st);
    if (!c)
        FAIL_AT("upgrade with '%.80s' failed (status %d)", xff, st);
    return c;
}

/* One join on a fresh connection; returns the reply's type or error code
 * ("room_not_found", "rate_limited", "joined", ...), malloc'd. */
static char *join_reply(int port, const char *code, const char *xff)
{
    char path[32];
    snprintf(path, sizeof path, "/ws?room=%s", code);
    static int seq;   /* a new name each time: a name is taken once per room */
    struct wsc *c = connect_xff(port, path, xff);
    ASSERT_OK(wsc_sendf(c, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"G%d\"}", code, ++seq));
    char *m = wsc_recv(c, ITEST_T);
    if (!m)
        FAIL_AT("no reply to a join (closed %d)", c->closed);
    json_t *o = json_loads(m, 0, NULL);
    free(m);
    ASSERT(o);
    const char *t = sget(o, "type");
    char *r = strdup(!strcmp(t, "error") ? sget(o, "code") : t);
    json_decref(o);
    wsc_free(c);
    return r;
}

static bool reply_is(char *r, const char *want)
{
    bool ok = !strcmp(r, want);
    if (!ok)
        fprintf(stderr, "reply %s, expected %s\n", r, want);
    free(r);
    return ok;
}

/* tmpl with every '#' replaced by the decimal i, into out[n]. */
static void fill_in(const char *tmpl, int i, char *out, size_t n)
{
    size_t k = 0;
    for (; *tmpl && k + 12 < n; tmpl++)
        if (*tmpl == '#')
            k += (size_t)snprintf(out + k, n - k, "%d", i);
        else
            out[k++] = *tmpl;
    out[k] = '\0';
}

/* Guesses a missing room with xff_tmpl ('#' = the try's number) until one
 * is refused; returns the tries it took, or fails. */
static int guess_until_limited(int port, const char *xff_tmpl)
{
    for (int i = 0; i < GUESS_TRIES; i++) {
        char xff[4400];
        fill_in(xff_tmpl, i, xff, sizeof xff);
        char *r = join_reply(port, "ZZZZZZ", xff);
        if (!strcmp(r, "rate_limited")) {
            free(r);
            return i;
        }
        if (strcmp(r, "room_not_found"))
            FAIL_AT("guess %d with '%.60s': unexpected %s", i, xff, r);
        free(r);
    }
    FAIL_AT("%d guesses (X-Forwarded-For like '%.60s') and none was refused", GUESS_TRIES, xff_tmpl);
    return -1;
}

/* GET an export of a missing room with a token and `xff`: 404 while the
 * client has budget, 429 when it has none. */
static int export_status(int port, const char *xff)
{
    char req[1024], *h, *b;
    snprintf(req, sizeof req,
             "GET /api/rooms/ZZZZZZ/results.json HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
             "Authorization: Bearer x\r\n%sConnection: close\r\n\r\n",
             port, xff);
    int st = http_raw(port, req, strlen(req), &h, &b, ITEST_T);
    free(h);
    free(b);
    return st;
}

/* A join of a missing room: true when it was looked up (room_not_found),
 * false when refused (rate_limited). */
static bool join_looked_up(int port, const char *xff)
{
    char *r = join_reply(port, "ZZZZZZ", xff);
    bool looked = !strcmp(r, "room_not_found");
    if (!looked && strcmp(r, "rate_limited"))
        FAIL_AT("join with '%.60s': unexpected %s", xff, r);
    free(r);
    return looked;
}

/* The same for an export: 404 looked up, 429 refused. */
static bool export_looked_up(int port, const char *xff)
{
    int st = export_status(port, xff);
    if (st != 404 && st != 429)
        FAIL_AT("export with '%.60s': status %d", xff, st);
    return st == 404;
}

/* A peer that is not a trusted proxy cannot pick its address: a fresh
 * X-Forwarded-For on every guess still runs out of the one budget. */
static void test_untrusted_forwarded_for_is_ignored(void)
{
    struct proc p;
    static const char *a[] = {"--trusted-proxy=127.0.0.9", NULL};
    itest_start(&p, a);
    wsc_set_source("127.0.0.2");
    long long t0 = mono_ms();
    int n = guess_until_limited(p.port, "X-Forwarded-For: 10.0.#.#\r\n");
    ASSERT_GE(n, MISS_BURST);
    /* Exports naming other clients still draw on that one budget. */
    for (int i = 0; i < AFTER_TRIES; i++) {
        char xff[64];
        snprintf(xff, sizeof xff, "X-Forwarded-For: 10.1.2.%d\r\n", i);
        n += export_looked_up(p.port, xff);
    }
    ASSERT(n <= budget_max(MISS_BURST, MISS_PER_SEC, t0));
    /* Another address is not affected. */
    wsc_set_source("127.0.0.3");
    ASSERT(reply_is(join_reply(p.port, "ZZZZZZ", ""), "room_not_found"));
    wsc_set_source(NULL);
    itest_stop(&p);
}

/* From a trusted peer, only a well-formed last entry names a client; every
 * malformed header (a port, a zone, a trailing comma, "unknown", a block,
 * an empty value, 3,000 bytes of junk) counts against the peer itself, and
 * nothing crashes. The last entry wins over what a client put first. */
static void test_trusted_proxy_last_entry_or_peer(void)
{
    struct proc p;
    static const char *a[] = {"--trusted-proxy=127.0.0.5,127.0.0.2", NULL};
    itest_start(&p, a);
    struct igame_seat host = {0};
    struct wsc *h = igame_create(p.port, 2, &host);
    wsc_set_source("127.0.0.2");

    static const char *malformed[] = {
        "X-Forwarded-For: 10.0.0.#:80\r\n",  "X-Forwarded-For: 10.0.#.#, \r\n",
        "X-Forwarded-For: unknown\r\n",       "X-Forwarded-For: [::#]\r\n",
        "X-Forwarded-For: fe80::#%eth0\r\n",  "X-Forwarded-For: 10.#.0.0/16\r\n",
        "X-Forwarded-For: \r\n",              "X-Forwarded-For: 10.0.#\r\n",
        "X-Forwarded-For: 1#.0.0.1 x\r\n",    "X-Forwarded-For: for=10.0.0.#\r\n",
    };
    char junk[3100];
    size_t jl = (size_t)snprintf(junk, sizeof junk, "X-Forwarded-For: ");
    memset(junk + jl, 'x', 3000);
    snprintf(junk + jl + 3000, sizeof junk - jl - 3000, "\r\n");
    long long t0 = mono_ms();
    int tries = 0;
    for (int i = 0; i < GUESS_TRIES; i++) {
        char xff[3200];
        fill_in(i % 11 == 10 ? junk : malformed[i % 11], i, xff, sizeof xff);
        char *r = join_reply(p.port, "ZZZZZZ", xff);
        tries++;
        bool limited = !strcmp(r, "rate_limited");
        if (!limited && strcmp(r, "room_not_found"))
            FAIL_AT("guess %d with '%.60s': unexpected %s", i, xff, r);
        free(r);
        if (limited)
            break;
    }
    ASSERT_GE(tries, MISS_BURST + 1);
    ASSERT(tries < GUESS_TRIES);
    /* The peer's own requests, without the header (joins and exports), and
     * a header whose last entry names the peer share that budget: what they
     * get through is only what it refilled. */
    int passed = tries - 1;
    for (int i = 0; i < AFTER_TRIES; i++)
        passed += join_looked_up(p.port, "") + export_looked_up(p.port, "") +
                  join_looked_up(p.port, "X-Forwarded-For: 10.9.9.7, 127.0.0.2\r\n");
    ASSERT(passed <= budget_max(MISS_BURST, MISS_PER_SEC, t0));
    /* A client the proxy names has its own budget, for joins and exports. */
    ASSERT(reply_is(join_reply(p.port, host.code, "X-Forwarded-For: 127.0.0.2, 10.9.9.9\r\n"),
                    "joined"));
    ASSERT(reply_is(join_reply(p.port, host.code,
                               "X-Forwarded-For: 127.0.0.2\r\nX-Forwarded-For: 10.9.9.8\r\n"),
                    "joined"));
    ASSERT_EQ(export_status(p.port, "X-Forwarded-For: 10.9.9.10\r\n"), 404);
    ASSERT_EQ(export_status(p.port, "X-Forwarded-For: ::ffff:10.9.9.11\r\n"), 404);
    wsc_set_source(NULL);
    /* The server is fine: the host still plays. */
    igame_host_cmd(h, "start");
    wsc_free(h);
    itest_stop(&p);
}

/* A trusted proxy's clients each get --max-per-address sockets, counted
 * when their upgrade names them; the proxy itself is not capped. */
static void test_per_address_cap_is_the_clients(void)
{
    struct proc p;
    static const char *a[] = {"--trusted-proxy=127.0.0.2", "--max-per-address=3", NULL};
    itest_start(&p, a);
    wsc_set_source("127.0.0.2");
    struct wsc *c[8];
    for (int i = 0; i < 3; i++)
        c[i] = connect_xff(p.port, "/ws", "X-Forwarded-For: 10.0.0.1\r\n");
    char hd[256];
    snprintf(hd, sizeof hd, "Host: 127.0.0.1:%d\r\nOrigin: http://127.0.0.1:%d\r\n"
                            "X-Forwarded-For: 10.0.0.1\r\n", p.port, p.port);
    int st = 0;
    struct wsc *x = wsc_connect_ex(p.port, "/ws", hd, ITEST_T, 0, &st);
    ASSERT(x == NULL);
    ASSERT_EQ(st, 503);
    /* Other clients of the same proxy, and the proxy's own requests. */
    for (int i = 3; i < 8; i++)
        c[i] = connect_xff(p.port, "/ws", i < 6 ? "X-Forwarded-For: 10.0.0.2\r\n" : "");
    wsc_free(c[0]);   /* a socket of 10.0.0.1 closes: it may open one again */
    long long left = ITEST_T;
    while (!(x = wsc_connect_ex(p.port, "/ws", hd, ITEST_T, 0, &st)) && left > 0) {
        poll(NULL, 0, 20);   /* the close reaches quizd asynchronously */
        left -= 20;
    }
    ASSERT(x != NULL);
    wsc_free(x);
    for (int i = 1; i < 8; i++)
        wsc_free(c[i]);
    wsc_set_source(NULL);
    itest_stop(&p);
}

/* An upgrade naming `xff` ("" for none) on a new connection: its status
 * (101, or 503 past the cap). The socket stays open (*fd) on a 101. */
static int upgrade_status(int port, const char *xff, int *fd)
{
    char req[512];
    snprintf(req, sizeof req,
             "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: http://127.0.0.1:%d\r\n"
             "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n%s\r\n", port, port, xff);
    *fd = wsc_tcp_open(port, ITEST_T);
    ASSERT(*fd >= 0);
    int st = http_exchange(*fd, req, ITEST_T);
    if (st != 101) {
        close(*fd);
        *fd = -1;
    }
    return st;
}

/* Polls until an upgrade naming `xff` gets 101 (closes reach quizd
 * asynchronously), bounded by ITEST_T; returns its socket, or fails. */
static int upgrade_when_free(int port, const char *xff)
{
    int fd;
    for (long long left = ITEST_T; upgrade_status(port, xff, &fd) != 101; left -= 20) {
        if (left <= 0)
            FAIL_AT("an upgrade naming '%.40s' is still refused", xff);
        poll(NULL, 0, 20);
    }
    return fd;
}

/* A client at the proxy's own address (a proxy chain in front, or a client
 * on the proxy's machine) is charged as any client: capped too. Only
 * requests without a usable header are the proxy's own, uncapped. */
static void test_a_client_at_the_proxys_address_is_capped(void)
{
    struct proc p;
    static const char *a[] = {"--trusted-proxy=127.0.0.2", "--max-per-address=1", NULL};
    itest_start(&p, a);
    wsc_set_source("127.0.0.2");
    const char *self = "X-Forwarded-For: 127.0.0.2\r\n";
    int held, fd, own[3];
    ASSERT_EQ(upgrade_status(p.port, self, &held), 101);
    ASSERT_EQ(upgrade_status(p.port, self, &fd), 503);
    ASSERT_EQ(upgrade_status(p.port, "X-Forwarded-For: 127.0.0.2, 10.0.0.1, 127.0.0.2\r\n", &fd),
              503);
    for (int i = 0; i < 3; i++)   /* the proxy's own: no cap */
        ASSERT_EQ(upgrade_status(p.port, i ? "X-Forwarded-For: junk\r\n" : "", &own[i]), 101);
    close(held);
    close(upgrade_when_free(p.port, self));
    for (int i = 0; i < 3; i++)
        close(own[i]);
    wsc_set_source(NULL);
    itest_stop(&p);
}

/* A create_room on a fresh socket naming `xff`: the reply's type or error
 * code, malloc'd; the socket stays open in *out (its room lives while the
 * host is connected). */
static char *create_reply(int port, const char *xff, struct wsc **out)
{
    struct wsc *c = connect_xff(port, "/ws", xff);
    ASSERT_OK(wsc_sendf(c, "{\"type\":\"create_room\",\"req\":1,\"pack\":\"test\",\"count\":2,"
                           "\"seconds\":60}"));
    char *m = wsc_recv(c, ITEST_T);
    if (!m)
        FAIL_AT("no reply to a create_room (closed %d)", c->closed);
    json_t *o = json_loads(m, 0, NULL);
    free(m);
    ASSERT(o);
    const char *t = sget(o, "type");
    char *r = strdup(!strcmp(t, "error") ? sget(o, "code") : t);
    json_decref(o);
    *out = c;
    return r;
}

/* --max-rooms-per-address behind the proxy is each client's: A at its cap
 * leaves B, and the proxy's own requests, theirs. */
static void test_rooms_per_address_is_the_clients(void)
{
    struct proc p;
    static const char *a[] = {"--trusted-proxy=127.0.0.2", "--max-rooms-per-address=1", NULL};
    itest_start(&p, a);
    wsc_set_source("127.0.0.2");
    const char *A = "X-Forwarded-For: 10.0.0.1\r\n";
    struct wsc *c[4];
    ASSERT(reply_is(create_reply(p.port, A, &c[0]), "room_created"));
    ASSERT(reply_is(create_reply(p.port, A, &c[1]), "rate_limited"));
    ASSERT(reply_is(create_reply(p.port, "X-Forwarded-For: 10.0.0.2\r\n", &c[2]), "room_created"));
    ASSERT(reply_is(create_reply(p.port, "", &c[3]), "room_created"));
    for (int i = 0; i < 4; i++)
        wsc_free(c[i]);
    wsc_set_source(NULL);
    itest_stop(&p);
}

/* An IPv6 client behind the proxy is its /64: another address of the same
 * block shares its cap (and budgets), the next block does not. */
static void test_an_ipv6_client_is_its_slash_64(void)
{
    struct proc p;
    static const char *a[] = {"--trusted-proxy=127.0.0.2", "--max-per-address=1", NULL};
    itest_start(&p, a);
    wsc_set_source("127.0.0.2");
    int held, fd, other;
    ASSERT_EQ(upgrade_status(p.port, "X-Forwarded-For: 2001:db8:1:2::1\r\n", &held), 101);
    ASSERT_EQ(upgrade_status(p.port, "X-Forwarded-For: 2001:db8:1:2:ffff::9\r\n", &fd), 503);
    ASSERT_EQ(upgrade_status(p.port, "X-Forwarded-For: 2001:db8:1:3::1\r\n", &other), 101);
    close(held);
    close(other);
    wsc_set_source(NULL);
    itest_stop(&p);
}

/* One kept-alive socket of the proxy carries one client's request, then
 * another's: the socket counts against the second from then on, and
 * against the first no more (HAProxy's http-reuse makes this routine). A
 * request with an unusable header on it hands it back to the proxy. */
static void test_a_reused_proxy_socket_moves_to_its_next_client(void)
{
    struct proc p;
    static const char *a[] = {"--trusted-proxy=127.0.0.2", "--max-per-address=1", NULL};
    itest_start(&p, a);
    wsc_set_source("127.0.0.2");
    const char *A = "X-Forwarded-For: 10.0.0.1\r\n", *B = "X-Forwarded-For: 10.0.0.2\r\n";
    char req[512];
    int fd;

    /* S: a QR code for A, then the upgrade of B. */
    int s = wsc_tcp_open(p.port, ITEST_T);
    ASSERT(s >= 0);
    snprintf(req, sizeof req, "GET /api/qr.svg?text=http://10.0.0.2:8080/?room=KEEP01 HTTP/1.1\r\n"
             "Host: 127.0.0.1:%d\r\n%s\r\n", p.port, A);
    ASSERT_EQ(http_exchange(s, req, ITEST_T), 200);
    snprintf(req, sizeof req,
             "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: http://127.0.0.1:%d\r\n"
             "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n%s\r\n", p.port, p.port, B);
    ASSERT_EQ(http_exchange(s, req, ITEST_T), 101);
    ASSERT_EQ(upgrade_status(p.port, B, &fd), 503);   /* S is B's one socket now */
    int a1 = upgrade_when_free(p.port, A);            /* and no longer A's */
    close(a1);

    /* T: a QR code for B's neighbour C, then one with a malformed header:
     * back to the proxy's, so C may open its one socket while T is open. */
    const char *C = "X-Forwarded-For: 10.0.0.3\r\n";
    int t = wsc_tcp_open(p.port, ITEST_T);
    ASSERT(t >= 0);
    snprintf(req, sizeof req, "GET /api/qr.svg?text=http://10.0.0.2:8080/?room=KEEP02 HTTP/1.1\r\n"
             "Host: 127.0.0.1:%d\r\n%s\r\n", p.port, C);
    ASSERT_EQ(http_exchange(t, req, ITEST_T), 200);
    snprintf(req, sizeof req, "GET /api/qr.svg?text=http://10.0.0.2:8080/?room=KEEP02 HTTP/1.1\r\n"
             "Host: 127.0.0.1:%d\r\nX-Forwarded-For: 10.0.0.3:80\r\n\r\n", p.port);
    ASSERT_EQ(http_exchange(t, req, ITEST_T), 200);
    int c1 = upgrade_when_free(p.port, C);
    close(c1);

    /* Everything closed: nobody keeps a count. */
    close(s);
    close(t);
    close(upgrade_when_free(p.port, A));
    close(upgrade_when_free(p.port, B));
    close(upgrade_when_free(p.port, C));
    wsc_set_source(NULL);
    itest_stop(&p);
}

/* n QR requests with `xff`, for codes first..first+n-1 (none cached), sent
 * at once (http_raw_many); returns how many got 200, failing on anything
 * but 200 and 429. */
static int qr_burst(int port, int first, int n, const char *xff)
{
    char req[QR_BURST * 4][512];
    const char *reqs[QR_BURST * 4];
    int st[QR_BURST * 4], ok = 0;
    ASSERT(n <= QR_BURST * 4);
    for (int i = 0; i < n; i++) {
        snprintf(req[i], sizeof req[i],
                 "GET /api/qr.svg?text=http://10.0.0.2:8080/?room=Q%05d HTTP/1.1\r\n"
                 "Host: 127.0.0.1:%d\r\n%sConnection: close\r\n\r\n", first + i, port, xff);
        reqs[i] = req[i];
    }
    http_raw_many(port, reqs, (size_t)n, st, ITEST_T);
    for (int i = 0; i < n; i++) {
        if (st[i] != 200 && st[i] != 429)
            FAIL_AT("QR request %d with '%.40s': status %d", first + i, xff, st[i]);
        ok += st[i] == 200;
    }
    return ok;
}

/* The QR budget (QR_DRAW_BURST codes, then 429) is per client behind a
 * trusted proxy: one client drawing past it leaves the next one, and the
 * proxy's own requests, a whole budget. Each burst reaches quizd at once,
 * so the refill between its requests is what quizd's own handling takes. */
static void test_qr_budget_is_the_clients(void)
{
    struct proc p;
    static const char *a[] = {"--trusted-proxy=127.0.0.2", NULL};
    itest_start(&p, a);
    wsc_set_source("127.0.0.2");
    long long t0 = mono_ms();
    int n = QR_BURST * 4;
    int ok = qr_burst(p.port, 0, n, "X-Forwarded-For: 10.7.7.7\r\n");
    ASSERT_GE(ok, QR_BURST);
    ASSERT(ok <= budget_max(QR_BURST, QR_PER_SEC, t0));
    ASSERT(ok < n);   /* 80 draws took quizd under 6 s: some were refused */
    /* A full budget each: a fresh client, and the proxy itself. */
    ASSERT_EQ(qr_burst(p.port, n, QR_BURST, "X-Forwarded-For: 10.7.7.8\r\n"), QR_BURST);
    ASSERT_EQ(qr_burst(p.port, n + QR_BURST, QR_BURST, ""), QR_BURST);
    wsc_set_source(NULL);
    itest_stop(&p);
}

/* This machine's first non-loopback IPv4 address, or false. */
static bool lan_address(char out[INET_ADDRSTRLEN])
{
    struct ifaddrs *ifa, *i;
    bool found = false;
    if (getifaddrs(&ifa))
        return false;
    for (i = ifa; i && !found; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET) {
            struct in_addr a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
            found = (ntohl(a.s_addr) >> 24) != 127 && inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN);
        }
    freeifaddrs(ifa);
    return found;
}

static int metrics_status(int port, const char *xff)
{
    char req[512], *h, *b;
    snprintf(req, sizeof req, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%sConnection: close\r\n\r\n",
             port, xff);
    int st = http_raw(port, req, strlen(req), &h, &b, ITEST_T);
    free(h);
    free(b);
    return st;
}

/* --metrics=loopback asks the TCP peer: a trusted proxy on loopback naming
 * a remote client still reads it, and a trusted peer elsewhere naming
 * 127.0.0.1 does not. */
static void test_metrics_loopback_is_the_tcp_peer(void)
{
    char lan[INET_ADDRSTRLEN], trusted[64];
    bool have_lan = lan_address(lan);
    snprintf(trusted, sizeof trusted, "--trusted-proxy=127.0.0.2%s%s", have_lan ? "," : "",
             have_lan ? lan : "");
    struct proc p;
    const char *a[] = {"--bind=0.0.0.0", trusted, NULL};
    itest_start(&p, a);
    wsc_set_source("127.0.0.2");
    ASSERT_EQ(metrics_status(p.port, "X-Forwarded-For: 203.0.113.5\r\n"), 200);
    if (have_lan) {
        wsc_set_source(lan);
        wsc_set_dest(lan);
        ASSERT_EQ(metrics_status(p.port, "X-Forwarded-For: 127.0.0.1\r\n"), 403);
        ASSERT_EQ(metrics_status(p.port, ""), 403);
        wsc_set_dest(NULL);
    } else {
        fprintf(stderr, "note: no non-loopback IPv4 address here: X-Forwarded-For: 127.0.0.1 "
                        "from a remote trusted peer is not checked\n");
    }
    wsc_set_source(NULL);
    itest_stop(&p);
}

static void test_bad_option_values_exit_2(void)
{
    static const char *bad[] = {"--trusted-proxy=", "--trusted-proxy=localhost",
                                "--trusted-proxy=127.0.0.1,", "--trusted-proxy=10.0.0.1/8",
                                "--trusted-proxy=1.2.3.4:80", "--trusted-proxy=[::1]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "timeout 10 %s --no-corpus --no-data '%s' >/dev/null 2>&1",
                 proc_quizd_path(), bad[i]);
        int st = system(cmd);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 2)
            FAIL_AT("%s: status %d, expected exit 2", bad[i], st);
    }
}

/* Said at start: a block of everybody, and IPv6 entries, which never match
 * (quizd listens on IPv4); nothing about the others. */
static void test_odd_trusted_proxies_are_warned_about(void)
{
    char cmd[1024], out[4096];
    /* No pack to serve: quizd exits right after reading its options. */
    snprintf(cmd, sizeof cmd, "timeout 10 %s --no-corpus --no-data --packs=/nonexistent "
             "--trusted-proxy=0.0.0.0/0,2001:db8::/32,::ffff:10.0.0.1,10.0.0.0/8 2>&1",
             proc_quizd_path());
    FILE *f = popen(cmd, "r");
    ASSERT(f);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    pclose(f);
    ASSERT_CONTAINS(out, "trusted_proxy_everyone block=0.0.0.0/0");
    ASSERT_CONTAINS(out, "trusted_proxy_never_matches entry=2001:db8::/32");
    ASSERT(!strstr(out, "10.0.0.1/"));
    ASSERT(!strstr(out, "10.0.0.0/8"));
}

static struct test_case tests[] = {
    {"untrusted_forwarded_for_is_ignored", test_untrusted_forwarded_for_is_ignored},
    {"trusted_proxy_last_entry_or_peer", test_trusted_proxy_last_entry_or_peer},
    {"per_address_cap_is_the_clients", test_per_address_cap_is_the_clients},
    {"qr_budget_is_the_clients", test_qr_budget_is_the_clients},
    {"a_client_at_the_proxys_address_is_capped", test_a_client_at_the_proxys_address_is_capped},
    {"an_ipv6_client_is_its_slash_64", test_an_ipv6_client_is_its_slash_64},
    {"rooms_per_address_is_the_clients", test_rooms_per_address_is_the_clients},
    {"a_reused_proxy_socket_moves_to_its_next_client",
     test_a_reused_proxy_socket_moves_to_its_next_client},
    {"metrics_loopback_is_the_tcp_peer", test_metrics_loopback_is_the_tcp_peer},
    {"bad_option_values_exit_2", test_bad_option_values_exit_2},
    {"odd_trusted_proxies_are_warned_about", test_odd_trusted_proxies_are_warned_about},
};

TEST_MAIN(tests)
