/* HTTP API bodies. */
#include "qz/api.h"
#include <jansson.h>
#include <string.h>

static char *dump(json_t *o, size_t *len)
{
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    *len = strlen(s);
    return s;
}

char *api_enc_health(const struct api_health *h, size_t *len)
{
    return dump(json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:I}", "status",
                          h->stopping ? "stopping" : "ok", "version", h->version, "uptime_s",
                          (json_int_t)h->uptime_s, "rooms", (json_int_t)h->rooms, "connections",
                          (json_int_t)h->connections, "http_connections",
                          (json_int_t)h->http_connections, "refused_connections",
                          (json_int_t)h->refused_connections, "data",
                          h->data ? h->data : "off", "unsaved_rooms", (json_int_t)h->unsaved_rooms,
                          "store_failures", (json_int_t)h->store_failures),
                len);
}

char *api_enc_packs(struct qz_pack *const *packs, size_t n, size_t *len)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct qz_pack *p = packs[i];
        json_t *cats = json_array();
        for (size_t c = 0; c < p->n_cats; c++)
            json_array_append_new(cats, json_pack("{s:s,s:i}", "name", p->cats[c].name,
                                                  "questions", p->cats[c].questions));
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:I,s:o,s:b}", "id", p->id, "title",
                                             p->title, "source", p->source, "questions",
                                             (json_int_t)p->n, "categories", cats, "default",
                                             i == 0));
    }
    return dump(json_pack("{s:o}", "packs", arr), len);
}

char *api_enc_info(const char *version, const char *const *lan_urls, size_t n_urls,
                   unsigned max_players, size_t *len)
{
    json_t *urls = json_array();
    for (size_t i = 0; i < n_urls; i++)
        json_array_append_new(urls, json_string(lan_urls[i]));
    return dump(json_pack("{s:s,s:o,s:I}", "version", version, "lan_urls", urls, "max_players",
                          (json_int_t)max_players),
                len);
}

char *api_enc_error(const char *message, size_t *len)
{
    return dump(json_pack("{s:s}", "error", message), len);
}
