/* The socket-free parts of http/: the MIME map, QR SVG bounds, and who
 * frees an export's reply when its connection goes. */
#include "http/http.h"
#include "http/mime.h"
#include "http/qr.h"
#include "test.h"
#include <stdlib.h>
#include <string.h>

static void test_mime_types(void)
{
    ASSERT_STR_EQ(mime_type("/x/index.html"), "text/html; charset=utf-8");
    ASSERT_STR_EQ(mime_type("a.mjs"), "text/javascript; charset=utf-8");
    ASSERT_STR_EQ(mime_type("a.webmanifest"), "application/manifest+json");
    ASSERT(mime_type("README") == NULL);
    ASSERT(mime_type("a.exe") == NULL);
    ASSERT(mime_type("dir.js/file") == NULL);   /* the dot is in a folder name */
}

static void test_qr_bounds(void)
{
    size_t n = 0;
    char *s = qr_svg("http://192.168.1.20:8080/?code=ABC234", &n);
    ASSERT(s);
    ASSERT_EQ(n, strlen(s));
    ASSERT(!strncmp(s, "<svg", 4));
    ASSERT_CONTAINS(s, "</svg>");
    free(s);
    char big[QR_TEXT_MAX + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ASSERT(qr_svg(big, &n) == NULL);           /* 513 bytes */
    big[QR_TEXT_MAX] = '\0';
    s = qr_svg(big, &n);                        /* 512 bytes */
    ASSERT(s);
    free(s);
    ASSERT(qr_svg("", &n) == NULL);
}

static char *svg_of(const char *s, size_t *n)
{
    *n = strlen(s);
    char *d = malloc(*n + 1);
    memcpy(d, s, *n + 1);
    return d;
}

/* LRU: bounded by entries and by bytes, a hit becomes the most recent. */
static void test_qr_cache_lru(void)
{
    struct qr_cache *c = qr_cache_create(3, 100);
    size_t n;
    char *s;
    s = svg_of("<a>", &n), qr_cache_put(c, "a", s, n);
    s = svg_of("<b>", &n), qr_cache_put(c, "b", s, n);
    s = svg_of("<c>", &n), qr_cache_put(c, "c", s, n);
    ASSERT_STR_EQ(qr_cache_get(c, "a", &n), "<a>");   /* a is now the most recent */
    ASSERT_EQ(n, 3);
    s = svg_of("<d>", &n), qr_cache_put(c, "d", s, n);   /* 4 > 3 entries: b goes */
    ASSERT_EQ(qr_cache_len(c), 3);
    ASSERT(qr_cache_get(c, "b", &n) == NULL);
    ASSERT(qr_cache_get(c, "a", &n) && qr_cache_get(c, "c", &n) && qr_cache_get(c, "d", &n));
    s = svg_of("<a again>", &n), qr_cache_put(c, "a", s, n);   /* already there: kept once */
    ASSERT_STR_EQ(qr_cache_get(c, "a", &n), "<a>");
    char big[91];
    memset(big, 'x', 90);
    big[90] = '\0';
    /* Most recent first: a, d, c. 90 more bytes: one entry must go (c). */
    s = svg_of(big, &n), qr_cache_put(c, "big", s, n);
    ASSERT_EQ(qr_cache_len(c), 3);
    ASSERT(qr_cache_get(c, "c", &n) == NULL);
    /* big, a, d hold 96 bytes; 9 more: two go, by entries then by bytes (d, a). */
    s = svg_of("<0123456>", &n), qr_cache_put(c, "e", s, n);
    ASSERT_EQ(n, 9);
    ASSERT_EQ(qr_cache_len(c), 2);
    ASSERT(qr_cache_get(c, "big", &n) && n == 90);
    ASSERT(qr_cache_get(c, "e", &n) && !qr_cache_get(c, "a", &n) && !qr_cache_get(c, "d", &n));
    char huge[102];
    memset(huge, 'y', 101);
    huge[101] = '\0';
    s = svg_of(huge, &n), qr_cache_put(c, "huge", s, n);   /* over the whole budget: not kept */
    ASSERT(qr_cache_get(c, "huge", &n) == NULL);
    ASSERT_EQ(qr_cache_len(c), 2);
    qr_cache_destroy(c);
    qr_cache_destroy(NULL);
}

/* The client left after its export's reply was ready but before
 * WRITEABLE sent it: the wait and its body are freed then, not leaked
 * (LeakSanitizer checks it in the ASan build). */
static void test_wait_abandoned_when_ready_is_freed(void)
{
    struct http_wait *w = calloc(1, sizeof *w);
    ASSERT(w);
    w->wsi = (struct lws *)w;   /* never dereferenced */
    w->body = strdup("{\"error\":\"no such room\"}");
    w->len = strlen(w->body);
    w->ready = true;
    http_wait_abandon(w);
    /* not ready yet: left to http_wait_done, which frees it without a connection */
    w = calloc(1, sizeof *w);
    ASSERT(w);
    w->wsi = (struct lws *)w;
    http_wait_abandon(w);
    ASSERT(w->wsi == NULL);
    w->body = strdup("late");
    http_wait_done(w);
}

static struct test_case tests[] = {
    {"wait_abandoned_when_ready_is_freed", test_wait_abandoned_when_ready_is_freed},
    {"mime_types", test_mime_types},
    {"qr_bounds", test_qr_bounds},
    {"qr_cache_lru", test_qr_cache_lru},
};

TEST_MAIN(tests)
