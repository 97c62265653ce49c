/* Internals shared by the files of the rooms module (registry and fan-out
 * in rooms.c, request handlers in dispatch.c). Not for other modules. */
#ifndef QZ_ROOMS_INT_H
#define QZ_ROOMS_INT_H
#include "rooms.h"

struct room {
    struct rooms *rs;
    struct room *hnext;           /* hash chain */
    char code[PROTO_CODE_LEN + 1];
    char host_hash[STORE_HASH_HEX + 1]; /* SHA-256 of the host token: never kept in clear */
    uint32_t store_id;            /* its id in the store; 0 without one */
    char (*player_hash)[STORE_HASH_HEX + 1]; /* per player id - 1: its token's hash, kept
                                                to record the players again on play_again */
    size_t player_hash_cap;
    bool unsaved_told;            /* the host was told results are no longer saved */
    bool timed;                   /* a game deadline is armed (counted in rs->n_timed) */
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
    /* persistence (persist.c) */
    struct store *store;
    char (*pack_hash)[STORE_HASH_HEX + 1];   /* one per pack */
    uint64_t last_seq, committed;  /* last record appended; last known committed */
    struct held {
        struct member *m;         /* NULL once its connection is gone */
        struct frame *f;
        uint64_t seq;
    } *held;
    size_t held_head, held_len, held_cap;
    bool store_failed;            /* as of the last rooms_durable */
    size_t n_unsaved;             /* live rooms told their results are not saved */
    size_t n_timed;               /* rooms with a deadline: the store keeps the clock then */
};

static inline qz_ms rooms__now(struct rooms *rs)
{
    return rs->env.now(rs->env.arg);
}

/* nhex (even, <= GAME_TOKEN_LEN) random hex digits and a NUL into out. */
void rooms__random_hex(struct rooms *rs, char *out, size_t nhex);

/* Registry and membership (rooms.c). rooms__add makes a code and a host
 * token (its clear text into host_token, its hash into the room); with
 * `code` and `host_hash` (a restore) it takes those. */
struct room *rooms__add(struct rooms *rs, struct game *g, const char *pack_id,
                        char host_token[GAME_TOKEN_LEN + 1]);
struct room *rooms__add_restored(struct rooms *rs, struct game *g, const char *pack_id,
                                 const char *code, const char *host_hash);
/* The key a game keeps for a token: its SHA-256's first GAME_TOKEN_LEN hex digits. */
void rooms__token_key(const char *token, char key[GAME_TOKEN_LEN + 1]);
void rooms__remove(struct room *r, const char *why, bool notify);
void rooms__attach(struct room *r, struct member *m, enum member_role role, uint32_t player);
void rooms__detach(struct member *m);
struct member *rooms__player(struct room *r, uint32_t id);

/* Delivery (rooms.c). rooms__send_new takes ownership of the malloc'd json. */
void rooms__send(struct rooms *rs, struct member *m, struct frame *f);
void rooms__send_new(struct rooms *rs, struct member *m, char *json, size_t len);
/* The same for a frame that depends on no record (a pong, a refused request). */
void rooms__send_new_unrecorded(struct rooms *rs, struct member *m, char *json, size_t len);
void rooms__error(struct rooms *rs, struct member *m, int code, const char *msg, bool has_req,
                  int64_t req);
/* Counts an error reply of `code` for /metrics (every error rooms send). */
void rooms__count_error(struct rooms *rs, int code);
/* Sends what the last game_* call produced; t0_ns is when the request started. */
void rooms__process(struct room *r, uint64_t t0_ns);
void rooms__schedule_throttle(struct room *r);
void rooms__arm_timer(struct room *r);

/* Persistence (persist.c); each is a no-op without a store. */
void rooms__persist_init(struct rooms *rs);
void rooms__persist_cleanup(struct rooms *rs);
void rooms__rec_created(struct room *r, uint64_t seed, const struct game_settings *st);
void rooms__rec_event(struct room *r, enum store_ev kind, uint32_t player, int a, int b);
void rooms__rec_join(struct room *r, uint32_t player, const char *name, const char *token_hash);
void rooms__rec_answer(struct room *r, uint32_t player, int index, int choice);
void rooms__rec_reveal(struct room *r);
void rooms__rec_phase(struct room *r);
void rooms__rec_game_over(struct room *r);
void rooms__rec_closed(struct room *r);
/* Play again: the game that just restarted gets its own record (the last one
 * is finished), with every player joined again as it is now (removed, away,
 * the lock), so a restore replays it like any game. */
void rooms__rec_restarted(struct room *r, uint64_t seed);
/* Queues f for m when it `depends` on something not yet committed, or
 * when earlier frames for m are still held. */
bool rooms__hold(struct rooms *rs, struct member *m, struct frame *f, bool depends);
void rooms__forget_member(struct rooms *rs, struct member *m);
/* Once the store failed: tells r's host (again, e.g. after a resume). */
void rooms__tell_unsaved(struct room *r);
/* Counts r among the rooms with a running deadline (or not); the store
 * records the idle clock only while there is one. */
void rooms__set_timed(struct room *r, bool timed);
void rooms__flush_lobby(struct room *r);
/* A state snapshot for member m (host or player) of its room (dispatch.c). */
void rooms__send_state(struct rooms *rs, struct member *m);

#endif
