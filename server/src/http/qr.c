/* QR SVG with libqrencode. */
#include "qr.h"
#include "util/xmalloc.h"
#include <qrencode.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *qr_svg(const char *text, size_t *len)
{
    size_t tl = strlen(text);
    if (tl == 0 || tl > QR_TEXT_MAX)
        return NULL;
    QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!qr)
        return NULL;
    int w = qr->width, quiet = 4, size = w + 2 * quiet;
    size_t cap = 256 + (size_t)w * (size_t)w * 16;
    char *s = xmalloc(cap);
    size_t n = (size_t)snprintf(s, cap,
                                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                                "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
                                "fill=\"#fff\"/><path fill=\"#000\" d=\"",
                                size, size, size, size);
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            if (qr->data[y * w + x] & 1)
                n += (size_t)snprintf(s + n, cap - n, "M%d %dh1v1h-1z", x + quiet, y + quiet);
    n += (size_t)snprintf(s + n, cap - n, "\"/></svg>");
    QRcode_free(qr);
    *len = n;
    return s;
}

/* ------------------------------------------------------------------ */
/* the cache: a most-recent-first list, looked up by hash then text (at
 * most QR_CACHE_ENTRIES entries, so a scan of hashes is cheap) */

struct qr_entry {
    struct qr_entry *prev, *next;
    uint64_t hash;
    char *text, *svg;
    size_t len;
};

struct qr_cache {
    struct qr_entry *head, *tail;
    size_t n, bytes, max_entries, max_bytes;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

struct qr_cache *qr_cache_create(size_t max_entries, size_t max_bytes)
{
    struct qr_cache *c = xcalloc(1, sizeof *c);
    c->max_entries = max_entries;
    c->max_bytes = max_bytes;
    return c;
}

static void unlink_entry(struct qr_cache *c, struct qr_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void push_front(struct qr_cache *c, struct qr_entry *e)
{
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static void drop_entry(struct qr_cache *c, struct qr_entry *e)
{
    unlink_entry(c, e);
    c->n--;
    c->bytes -= e->len;
    free(e->text);
    free(e->svg);
    free(e);
}

void qr_cache_destroy(struct qr_cache *c)
{
    if (!c)
        return;
    while (c->head)
        drop_entry(c, c->head);
    free(c);
}

const char *qr_cache_get(struct qr_cache *c, const char *text, size_t *len)
{
    uint64_t h = fnv1a(text);
    for (struct qr_entry *e = c->head; e; e = e->next)
        if (e->hash == h && !strcmp(e->text, text)) {
            unlink_entry(c, e);
            push_front(c, e);
            *len = e->len;
            return e->svg;
        }
    return NULL;
}

void qr_cache_put(struct qr_cache *c, const char *text, char *svg, size_t len)
{
    size_t dummy;
    if (len > c->max_bytes || c->max_entries == 0 || qr_cache_get(c, text, &dummy)) {
        free(svg);   /* too big to keep, or already there */
        return;
    }
    while (c->tail && (c->n + 1 > c->max_entries || c->bytes + len > c->max_bytes))
        drop_entry(c, c->tail);
    struct qr_entry *e = xcalloc(1, sizeof *e);
    e->hash = fnv1a(text);
    e->text = xstrdup(text);
    e->svg = svg;
    e->len = len;
    push_front(c, e);
    c->n++;
    c->bytes += len;
}

size_t qr_cache_len(const struct qr_cache *c)
{
    return c->n;
}
