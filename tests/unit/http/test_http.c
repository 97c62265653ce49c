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
};

TEST_MAIN(tests)
