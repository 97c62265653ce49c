/* QR codes as SVG, for the join URL on the projector. */
#ifndef QZ_QR_H
#define QZ_QR_H
#include <stddef.h>

#define QR_TEXT_MAX 512           /* longest text encoded */

/* A malloc'd SVG of `text` drawn as one path (caller frees), length in
 * *len; NULL when text is empty, longer than QR_TEXT_MAX or not encodable. */
char *qr_svg(const char *text, size_t *len);

/* What /api/qr.svg may draw (issue 11, item 8: an uncached code costs about
 * 1.3 ms, so 758 requests a second saturated the loop). Drawn codes are
 * kept in an LRU cache, and each address may draw at most QR_DRAW_BURST
 * codes at once, refilled at QR_DRAW_PER_SEC; past that, 429. Served from
 * the cache (the projector asks for the same join URL), nothing is counted. */
#define QR_CACHE_ENTRIES 128
#define QR_CACHE_BYTES (2u << 20)
#define QR_DRAW_PER_SEC 10
#define QR_DRAW_BURST 20

/* An LRU cache of SVGs by text, bounded by entries and by bytes. */
struct qr_cache;

/* Never returns NULL. Free with qr_cache_destroy (NULL-safe). */
struct qr_cache *qr_cache_create(size_t max_entries, size_t max_bytes);
void qr_cache_destroy(struct qr_cache *c);
/* The SVG of `text` (borrowed, valid until the next qr_cache_put) and its
 * length, made the most recently used; NULL when not cached. */
const char *qr_cache_get(struct qr_cache *c, const char *text, size_t *len);
/* Keeps `svg` (taken) for `text`, evicting the least recently used entries
 * until both bounds hold; an SVG larger than max_bytes is freed, not kept. */
void qr_cache_put(struct qr_cache *c, const char *text, char *svg, size_t len);
size_t qr_cache_len(const struct qr_cache *c);

#endif
