/* The socket-free parts of http/: the MIME map and QR SVG bounds. */
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

static struct test_case tests[] = {
    {"mime_types", test_mime_types},
    {"qr_bounds", test_qr_bounds},
};

TEST_MAIN(tests)
