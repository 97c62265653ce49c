/* JSON bodies of the HTTP API (/healthz, /api/info, /api/packs and the JSON
 * errors): the same codec rules as the WebSocket messages, and jansson stays
 * in protocol/. Each encoder returns a malloc'd string the caller frees. */
#ifndef QZ_API_H
#define QZ_API_H
#include "core/question.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct api_health {
    bool stopping;
    const char *version;
    uint64_t uptime_s;
    size_t rooms, connections;     /* connections: established WebSockets */
    size_t http_connections;       /* other open sockets: HTTP, pending upgrades, raw */
    uint64_t refused_connections;  /* refused at a connection cap since start */
    const char *data;              /* "saved", "not_saved" (the store failed) or "off" */
    size_t unsaved_rooms;          /* live rooms whose results are no longer saved */
    uint64_t store_failures;       /* failed or skipped writes since start */
};

char *api_enc_health(const struct api_health *h, size_t *len);
/* packs[0] is the default pack. */
char *api_enc_packs(struct qz_pack *const *packs, size_t n, size_t *len);
char *api_enc_info(const char *version, const char *const *lan_urls, size_t n_urls,
                   unsigned max_players, size_t *len);
/* {"error": message} */
char *api_enc_error(const char *message, size_t *len);

#endif
