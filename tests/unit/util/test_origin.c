/* Origin and Host rules (util/origin.c): same-origin and listed origins
 * pass, other sites and rebound DNS names do not, absent headers pass. */
#include "test.h"
#include "util/origin.h"

static const char *const allowed[] = {"https://quiz.example", "http://Projector.Example:8080/"};

static void test_origin_same_origin_or_listed(void)
{
    ASSERT(origin_allowed(NULL, "127.0.0.1:8080", NULL, 0));          /* native client */
    ASSERT(origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080", NULL, 0));
    ASSERT(origin_allowed("HTTP://LocalHost:8080", "localhost:8080", NULL, 0));
    ASSERT(origin_allowed("http://192.168.1.5", "192.168.1.5:80", NULL, 0));  /* default port */
    ASSERT(origin_allowed("https://quiz.lan", "quiz.lan:443", NULL, 0));
    ASSERT(origin_allowed("http://[::1]:8080", "[::1]:8080", NULL, 0));
    ASSERT(!origin_allowed("http://evil.example", "192.168.1.5:8080", NULL, 0));
    ASSERT(!origin_allowed("http://192.168.1.5:9999", "192.168.1.5:8080", NULL, 0));
    ASSERT(!origin_allowed("https://192.168.1.5:8080", "192.168.1.5", NULL, 0));
    ASSERT(!origin_allowed("http://127.0.0.1:8080", NULL, NULL, 0));   /* no Host to match */
    ASSERT(!origin_allowed("null", "127.0.0.1:8080", NULL, 0));
    ASSERT(!origin_allowed("file://", "127.0.0.1:8080", NULL, 0));
    ASSERT(!origin_allowed("http://a b", "a b", NULL, 0));
    ASSERT(origin_allowed("https://quiz.example", "192.168.1.5:8080", allowed, 2));
    ASSERT(origin_allowed("https://quiz.example:443", "192.168.1.5:8080", allowed, 2));
    ASSERT(origin_allowed("http://projector.example:8080", "10.0.0.2", allowed, 2));
    ASSERT(!origin_allowed("http://quiz.example", "192.168.1.5:8080", allowed, 2));  /* scheme */
    ASSERT(!origin_allowed("https://quiz.example.evil.example", "x", allowed, 2));
    const char *null_ok[] = {"null"};
    ASSERT(origin_allowed("null", "127.0.0.1", null_ok, 1));
}

static void test_host_rejects_rebound_names(void)
{
    ASSERT(host_allowed(NULL, NULL, 0));
    ASSERT(host_allowed("127.0.0.1:8080", NULL, 0));
    ASSERT(host_allowed("192.168.1.5", NULL, 0));
    ASSERT(host_allowed("[::1]:8080", NULL, 0));
    ASSERT(host_allowed("[fe80::1]", NULL, 0));
    ASSERT(host_allowed("localhost:8080", NULL, 0));
    ASSERT(host_allowed("quizbox:8080", NULL, 0));            /* single-label LAN name */
    ASSERT(host_allowed("quizbox.local", NULL, 0));
    ASSERT(host_allowed("app.localhost", NULL, 0));
    ASSERT(!host_allowed("evil.example", NULL, 0));
    ASSERT(!host_allowed("evil.example:8080", NULL, 0));
    ASSERT(!host_allowed("127.0.0.1.evil.example", NULL, 0));
    ASSERT(!host_allowed("::1", NULL, 0));                     /* unbracketed IPv6 */
    ASSERT(!host_allowed("", NULL, 0));
    ASSERT(host_allowed("quiz.example", allowed, 2));
    ASSERT(host_allowed("Projector.example:8080", allowed, 2));
    ASSERT(!host_allowed("other.example", allowed, 2));
}

static void test_normalize_validates_configuration(void)
{
    char out[64];
    ASSERT(origin_normalize("HTTP://Quiz.Example:80/", out, sizeof out));
    ASSERT_STR_EQ(out, "http://quiz.example");
    ASSERT(origin_normalize("https://quiz.example:8443", out, sizeof out));
    ASSERT_STR_EQ(out, "https://quiz.example:8443");
    ASSERT(!origin_normalize("quiz.example", out, sizeof out));
    ASSERT(!origin_normalize("ftp://quiz.example", out, sizeof out));
    ASSERT(!origin_normalize("http://", out, sizeof out));
    ASSERT(!origin_normalize("http://quiz.example/path", out, sizeof out));
    ASSERT(!origin_normalize("http://quiz.example", out, 8));   /* does not fit */
}

static struct test_case tests[] = {
    {"origin_same_origin_or_listed", test_origin_same_origin_or_listed},
    {"host_rejects_rebound_names", test_host_rejects_rebound_names},
    {"normalize_validates_configuration", test_normalize_validates_configuration},
};

TEST_MAIN(tests)
