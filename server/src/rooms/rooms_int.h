/* Internals shared by the files of the rooms module (registry and fan-out
 * in rooms.c, request handlers in dispatch.c). Not for other modules. */
#ifndef QZ_ROOMS_INT_H
#define QZ_ROOMS_INT_H
#include "rooms.h"

struct room {
    struct rooms *rs;
    struct room *hnext;           /* hash chain */
    char code[PROTO_CODE_LEN + 1];
    char host_token[GAME_TOKEN_LEN + 1];
    char pack_id[PROTO_ID_MAX + 1];
    struct game *g;
    struct member *members;       /* host and players */
    struct member *host;
    struct member **by_player;    /* index = player id */
    size_t by_player_cap;
    struct rooms_timer *timer;    /* game deadlines and auto-advance */
    struct rooms_timer *throttle; /* coalesced lobby / progress updates */
    qz_ms last_lobby, last_lobby_players, last_answers, last_activity;
    bool lobby_dirty, lobby_players_dirty, answers_dirty;
    bool had_player;              /* a player ever joined (else it expires fast) */
    struct addr_entry *owner;     /* the creating address; its `rooms` counts this room */
};

struct rooms {
    struct rooms_config cfg;
    struct rooms_env env;
    struct qz_pack *const *packs;
    size_t n_packs;
    struct room **buckets;        /* chained hash table by code */
    size_t n_buckets, n_rooms;
    struct rooms_timer *gc;
    struct rooms_stats stats;
};

static inline qz_ms rooms__now(struct rooms *rs)
{
    return rs->env.now(rs->env.arg);
}

/* nhex (even, <= GAME_TOKEN_LEN) random hex digits and a NUL into out. */
void rooms__random_hex(struct rooms *rs, char *out, size_t nhex);

/* Registry and membership (rooms.c). */
struct room *rooms__add(struct rooms *rs, struct game *g, const char *pack_id);
void rooms__remove(struct room *r, const char *why, bool notify);
void rooms__attach(struct room *r, struct member *m, enum member_role role, uint32_t player);
void rooms__detach(struct member *m);
struct member *rooms__player(struct room *r, uint32_t id);

/* Delivery (rooms.c). rooms__send_new takes ownership of the malloc'd json. */
void rooms__send(struct rooms *rs, struct member *m, struct frame *f);
void rooms__send_new(struct rooms *rs, struct member *m, char *json, size_t len);
void rooms__error(struct rooms *rs, struct member *m, int code, const char *msg, bool has_req,
                  int64_t req);
/* Sends what the last game_* call produced; t0_ns is when the request started. */
void rooms__process(struct room *r, uint64_t t0_ns);
void rooms__schedule_throttle(struct room *r);
void rooms__flush_lobby(struct room *r);

#endif
