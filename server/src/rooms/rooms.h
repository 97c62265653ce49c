/* Rooms: the live games above the core. A registry of rooms by code (hash
 * table), each room's members (host and players), its timers (game
 * deadlines, coalesced lobby/progress updates), idle collection, the
 * request handlers and the fan-out of what the core emitted, encoded once
 * per broadcast. No sockets, no libuv and no libwebsockets: time, timers,
 * randomness and delivery are injected (struct rooms_env), so all of it is
 * unit-tested with a fake clock (tests/unit/rooms/).
 *
 * Ownership: rooms own `struct room` and its game; a connection (net/)
 * owns its `struct member` and lends it to a room while it belongs to one. */
#ifndef QZ_ROOMS_H
#define QZ_ROOMS_H
#include "core/game.h"
#include "qz/frame.h"
#include "qz/proto.h"
#include "util/err.h"
#include "store/store.h"
#include "util/limit.h"
#include "util/metrics.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROOMS_THROTTLE_MS 200       /* lobby and host progress: at most 5 per second */
#define ROOMS_GC_INTERVAL_MS 30000  /* how often idle rooms are looked for (at most) */
/* Failed room lookups (join or host_resume naming no room) per address: a
 * burst for typos behind a venue NAT, then one a second. Guessing a 6-letter
 * code among 1,000 rooms then takes days, not 40 s (issue 11, item 5). */
#define ROOMS_MISS_BURST 30
#define ROOMS_MISS_PER_SEC 1
/* Frames waiting for a commit (a slow or failing disk), per connection and
 * in all: past either the connection is dropped like a slow consumer (its
 * held frames with it; it resumes with its token), so memory stays bounded. */
#define ROOMS_HELD_PER_MEMBER 256
#define ROOMS_HELD_MAX (1u << 20)

enum member_role {
    MEMBER_NONE,     /* connected, in no room */
    MEMBER_HOST,     /* the room's host */
    MEMBER_PLAYER,   /* a player; `player` is its id in the game */
};

struct room;

/* A connection's place in a room, embedded in and owned by the connection. */
struct member {
    struct room *room;            /* NULL while in no room */
    struct member *next, *prev;   /* the room's members; private to rooms */
    uint32_t player;
    uint8_t role;                 /* enum member_role */
    struct addr_entry *addr;      /* its remote address's counters (net/ owns them); NULL = none */
    uint32_t held;                /* frames for it waiting for a commit; private to rooms */
};

struct rooms_timer;               /* the environment's timer */
typedef void rooms_timer_fn(void *arg);

/* What rooms need from the outside world. Every callback gets `arg`. */
struct rooms_env {
    void *arg;
    qz_ms (*now)(void *arg);                /* monotonic ms, the game clock */
    uint64_t (*now_ns)(void *arg);          /* monotonic ns, only for the queued_us log */
    void (*random)(void *arg, void *buf, size_t n);
    /* One-shot timers. timer_start re-arms a pending timer; after
     * timer_destroy the callback never runs. */
    struct rooms_timer *(*timer_create)(void *arg, rooms_timer_fn *fn, void *fn_arg);
    void (*timer_start)(struct rooms_timer *t, qz_ms delay_ms);
    void (*timer_stop)(struct rooms_timer *t);
    bool (*timer_active)(const struct rooms_timer *t);
    void (*timer_destroy)(struct rooms_timer *t);
    /* Delivers `f` to the connection of `m`; takes its own reference if it keeps f. */
    void (*send)(void *arg, struct member *m, struct frame *f);
    /* Closes the connection of `m` (a slow consumer; it may resume with its token). */
    void (*drop)(void *arg, struct member *m);
};

struct rooms_config {
    unsigned max_players_cap;     /* hard cap on a room's max_players */
    unsigned room_idle_s;         /* rooms idle this long with no host are removed */
    unsigned empty_room_idle_s;   /* ... and this long if no player ever joined (0 = room_idle_s) */
    unsigned max_rooms;           /* live rooms on the server (0 = no cap) */
    unsigned max_rooms_per_addr;  /* live rooms created from one address (0 = no cap) */
    unsigned reveal_ms, leaderboard_ms;
    struct proto_clock clock;     /* monotonic -> epoch for the wire */
    /* The shard this process is (--shard): every room code starts with it,
     * so a load balancer routes by the code's first character. '\0' = no
     * shard, all PROTO_CODE_LEN characters random. Must be '\0' or a
     * character of PROTO_CODE_ALPHABET (rooms_shard_valid). */
    char shard;
    /* Persistence (borrowed, NULL = --no-data). With a store every game
     * change is recorded, and what a client is sent after a change waits
     * until the change is committed (rooms_durable). */
    struct store *store;
};

/* Whether `id` may name a shard: exactly one character of PROTO_CODE_ALPHABET. */
bool rooms_shard_valid(const char *id);

struct rooms;

/* What rooms count for /metrics (net/ renders it). */
struct rooms_stats {
    uint64_t errors[QZ_ERR_SLOTS];   /* error replies sent by rooms, by -code */
    struct metrics_hist fanout_s;    /* question, reveal, leaderboard: from the trigger
                                      * (before the core ran) until every copy was
                                      * handed to the connections */
};

/* Live rooms now. */
struct rooms_census {
    size_t by_phase[GAME_PHASE_COUNT];  /* rooms in each phase */
    size_t players;                     /* players in every room (kicked excluded) */
    size_t connected;                   /* ... of them with a connection */
    size_t hosts;                       /* rooms whose host is connected */
};

/* Creates the registry serving `packs` (packs[0] is the default; borrowed,
 * must outlive it); copies cfg and env. Never returns NULL. */
struct rooms *rooms_create(const struct rooms_config *cfg, const struct rooms_env *env,
                           struct qz_pack *const *packs, size_t n_packs);
/* Removes every room (members are detached and not told: the server is
 * stopping) and frees the registry. NULL-safe. */
void rooms_destroy(struct rooms *rs);

size_t rooms_count(const struct rooms *rs);
/* The room with this code, or NULL. */
struct room *rooms_find(struct rooms *rs, const char *code);
const char *room_code(const struct room *r);
const struct game *room_game(const struct room *r);

/* Handles one decoded request from `m`'s connection; replies and fan-out
 * go through env->send. */
void rooms_request(struct rooms *rs, struct member *m, const struct proto_req *q);
/* Delivers f, which depends on no record (an error of the net layer), to
 * m: at once, or behind the frames for m still waiting for a commit, so a
 * connection's frames keep their order. */
void rooms_send_unrecorded(struct rooms *rs, struct member *m, struct frame *f);
/* The connection of `m` is gone: leaves its room (the game is told). rs may
 * be NULL (the registry was destroyed before lws closed the connection). */
void rooms_member_left(struct rooms *rs, struct member *m);
const struct rooms_stats *rooms_stats(const struct rooms *rs);
/* Counts every live room (O(rooms + members): for a scrape, not a hot path). */
void rooms_take_census(const struct rooms *rs, struct rooms_census *out);
/* The store committed more: sends what was waiting for it, and tells the
 * hosts once when results are no longer being saved. Call on the loop. */
void rooms_durable(struct rooms *rs);
/* Rebuilds every unfinished room of the store by replaying its recorded
 * events into the game core; their players and hosts resume with the
 * tokens they hold. Returns how many rooms came back. */
size_t rooms_restore(struct rooms *rs);
/* Live rooms whose results are no longer being saved (the store failed). */
size_t rooms_unsaved(const struct rooms *rs);
/* Frames waiting for a commit. */
size_t rooms_held(const struct rooms *rs);

/* Runs idle collection now (the GC timer does this every ROOMS_GC_INTERVAL_MS). */
void rooms_collect_idle(struct rooms *rs);

#endif
