/* GET /metrics over real sockets: Prometheus' own promtool accepts the
 * output (Debian's prometheus package), the counters move during a game,
 * and --metrics loopback|any|off decides who may read it. */
#include "igame.h"
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROMTOOL "/usr/bin/promtool"

static char *scrape(int port)
{
    char *hd, *body;
    int st = http_get(port, "/metrics", &hd, &body, ITEST_T);
    if (st != 200)
        FAIL_AT("GET /metrics: status %d", st);
    ASSERT_CONTAINS(hd, "text/plain; version=0.0.4");
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

/* promtool check metrics reads the exposition on stdin; 0 when it is clean. */
static void promtool_accepts(const char *text)
{
    if (access(PROMTOOL, X_OK))
        FAIL_AT("%s is missing: install Debian's prometheus package (./test.sh does)", PROMTOOL);
    char path[] = "/tmp/quizd-metrics-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    size_t len = strlen(text);
    ASSERT_EQ(write(fd, text, len), (ssize_t)len);
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "%s check metrics < %s", PROMTOOL, path);
    int st = system(cmd);
    unlink(path);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        FAIL_AT("promtool check metrics failed (status %d)", st);
}

static void test_promtool_accepts_and_counters_move(void)
{
    struct proc p;
    itest_start(&p, NULL);
    char *before = scrape(p.port);
    promtool_accepts(before);
    ASSERT_EQ(sample(before, "quizd_messages_received_total{type=\"answer\"}"), 0);
    ASSERT_EQ(sample(before, "quizd_answer_ack_seconds_count"), 0);
    ASSERT(sample(before, "process_resident_memory_bytes") > 1e6);

    struct igame_seat host = {0}, ada = {0}, bob = {0};
    struct wsc *h = igame_create(p.port, 2, &host);
    struct wsc *a = igame_join(p.port, host.code, "Ada", &ada);
    struct wsc *b = igame_join(p.port, host.code, "Bob", &bob);
    struct wsc *stray = igame_connect(p.port, NULL);
    ASSERT_OK(wsc_send(stray, "{\"type\":\"join\",\"code\":\"222222\",\"name\":\"X\"}"));
    igame_expect_error(stray, "room_not_found");
    ASSERT_OK(wsc_send(stray, "not json"));
    igame_expect_error(stray, "bad_json");
    igame_host_cmd(h, "start");
    int wb, ra = igame_question(a, 0);
    igame_question_wrong(b, 0, &wb);
    json_decref(igame_expect(h, "question"));
    igame_answer(a, 0, ra);
    igame_answer(b, 0, wb);
    json_decref(igame_expect(h, "reveal"));

    char *during = scrape(p.port);
    promtool_accepts(during);
    ASSERT_EQ(sample(during, "quizd_messages_received_total{type=\"answer\"}"), 2);
    ASSERT_EQ(sample(during, "quizd_messages_received_total{type=\"join\"}"), 3);
    ASSERT_EQ(sample(during, "quizd_messages_received_total{type=\"invalid\"}"), 1);
    ASSERT_EQ(sample(during, "quizd_messages_sent_total{type=\"question\"}"), 3);
    ASSERT_EQ(sample(during, "quizd_messages_sent_total{type=\"answer_ack\"}"), 2);
    ASSERT_EQ(sample(during, "quizd_messages_sent_total{type=\"result\"}"), 2);
    ASSERT(sample(during, "quizd_sent_bytes_total{type=\"question\"}") > 3 * 50);
    ASSERT_EQ(sample(during, "quizd_answer_ack_seconds_count"), 2);
    ASSERT_EQ(sample(during, "quizd_answer_ack_seconds_bucket{le=\"+Inf\"}"), 2);
    ASSERT(sample(during, "quizd_fanout_seconds_count") >= 2);   /* question, reveal */
    ASSERT_EQ(sample(during, "quizd_errors_total{code=\"room_not_found\"}"), 1);
    ASSERT_EQ(sample(during, "quizd_errors_total{code=\"bad_json\"}"), 1);
    ASSERT_EQ(sample(during, "quizd_rooms{phase=\"reveal\"}"), 1);
    ASSERT_EQ(sample(during, "quizd_players"), 2);
    ASSERT_EQ(sample(during, "quizd_players_connected"), 2);
    ASSERT_EQ(sample(during, "quizd_websockets"), 4);
    ASSERT_EQ(sample(during, "quizd_websockets_opened_total"), 4);
    ASSERT(sample(during, "process_cpu_seconds_total") > 0);
    /* Persistence (proc_start_quizd gives every test its own --data). */
    ASSERT_EQ(sample(during, "quizd_store_enabled"), 1);
    ASSERT(sample(during, "quizd_store_commits_total") >= 1);
    ASSERT_EQ(sample(during, "quizd_store_commit_seconds_count"),
              sample(during, "quizd_store_commits_total"));
    ASSERT_EQ(sample(during, "quizd_store_failures_total"), 0);
    ASSERT(sample(during, "quizd_store_queue_records") >= 0);
    ASSERT_EQ(sample(during, "quizd_rooms_unsaved"), 0);

    /* A player drops: the gauges follow. */
    wsc_free(b);
    double connected = 2;
    for (int i = 0; i < 200 && connected != 1; i++) {   /* the close reaches quizd */
        char *t = scrape(p.port);
        connected = sample(t, "quizd_players_connected");
        free(t);
        if (connected != 1)
            poll(NULL, 0, 10);
    }
    ASSERT_EQ(connected, 1);
    free(before);
    free(during);
    wsc_free(a);
    wsc_free(h);
    wsc_free(stray);
    itest_stop(&p);
}

/* This machine's first non-loopback IPv4 address, or false. */
static bool lan_address(struct in_addr *out)
{
    struct ifaddrs *ifa, *i;
    bool found = false;
    if (getifaddrs(&ifa))
        return false;
    for (i = ifa; i && !found; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET) {
            struct in_addr a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
            if ((ntohl(a.s_addr) >> 24) != 127) {
                *out = a;
                found = true;
            }
        }
    freeifaddrs(ifa);
    return found;
}

/* GET /metrics to addr:port (so the peer address is addr); the status. */
static int status_via(struct in_addr addr, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = addr};
    ASSERT(fd >= 0);
    ASSERT_OK(connect(fd, (struct sockaddr *)&sa, sizeof sa));
    const char req[] = "GET /metrics HTTP/1.1\r\nHost: quizd\r\nConnection: close\r\n\r\n";
    ASSERT_EQ(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
    char buf[64] = {0};
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    ASSERT_EQ(poll(&pf, 1, ITEST_T), 1);
    ASSERT(read(fd, buf, sizeof buf - 1) > 12);
    close(fd);
    int st = -1;
    sscanf(buf, "HTTP/1.%*d %d", &st);
    return st;
}

static void test_access_and_no_data(void)
{
    struct proc p;
    struct in_addr lan;
    bool have_lan = lan_address(&lan);
    static const char *dflt[] = {"--bind=0.0.0.0", NULL};
    itest_start(&p, dflt);   /* loopback is the default */
    free(scrape(p.port));
    if (have_lan)
        ASSERT_EQ(status_via(lan, p.port), 403);
    else
        fprintf(stderr, "note: no non-loopback IPv4 address here: the 403 for others is not checked\n");
    itest_stop(&p);

    static const char *any[] = {"--bind=0.0.0.0", "--metrics=any", NULL};
    itest_start(&p, any);
    free(scrape(p.port));
    if (have_lan)
        ASSERT_EQ(status_via(lan, p.port), 200);
    itest_stop(&p);

    static const char *nodata[] = {"--no-data", NULL};
    itest_start(&p, nodata);
    char *t = scrape(p.port);
    promtool_accepts(t);
    ASSERT_EQ(sample(t, "quizd_store_enabled"), 0);
    ASSERT_EQ(sample(t, "quizd_store_commit_seconds_count"), 0);
    free(t);
    itest_stop(&p);

    static const char *off[] = {"--metrics=off", NULL};
    itest_start(&p, off);
    char *hd, *body;
    ASSERT_EQ(http_get(p.port, "/metrics", &hd, &body, ITEST_T), 404);
    free(hd);
    free(body);
    itest_stop(&p);

    char cmd[512];
    /* Bounded: a regressed check would leave quizd serving, not exiting. */
    snprintf(cmd, sizeof cmd, "timeout 10 %s --no-corpus --metrics=public >/dev/null 2>&1",
             proc_quizd_path());
    int st = system(cmd);
    ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 2);
}

static struct test_case tests[] = {
    {"promtool_accepts_and_counters_move", test_promtool_accepts_and_counters_move},
    {"access_and_no_data", test_access_and_no_data},
};

TEST_MAIN(tests)
