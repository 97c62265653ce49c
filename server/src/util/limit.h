/* Abuse limits as plain data, time passed in (issue 11, items 3-5): a token
 * bucket, a once-per-interval log gate, and a table of per-address counters
 * (connections, live rooms, failed room lookups) shared by every connection from
 * one address. No I/O and no clock, so each rule has unit tests. */
#ifndef QZ_LIMIT_H
#define QZ_LIMIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Token bucket of `burst` credits refilled at `per_sec`. Credits are kept
 * in thousandths so a refill of less than one credit is not lost. */
struct bucket {
    uint64_t t_ms;    /* last refill */
    uint32_t milli;   /* credits * 1000 */
};

/* Starts full at `now`. */
void bucket_init(struct bucket *b, unsigned burst, uint64_t now_ms);
/* Refills to `now`, then takes `cost` credits if there are enough. */
bool bucket_take(struct bucket *b, uint64_t now_ms, unsigned cost, unsigned burst,
                 unsigned per_sec);
/* Refills to `now` and tells whether `cost` credits are there, taking none. */
bool bucket_can(struct bucket *b, uint64_t now_ms, unsigned cost, unsigned burst,
                unsigned per_sec);
/* True when the bucket would be full at `now` (nothing left to remember). */
bool bucket_is_full(const struct bucket *b, uint64_t now_ms, unsigned burst, unsigned per_sec);

/* Lets one log line through per interval and counts the rest, so a
 * condition that repeats 200,000 times a second is logged once a second
 * with how many repeats were dropped. */
struct log_gate {
    uint64_t next_ms;     /* 0 = the next line passes */
    uint64_t suppressed;  /* lines dropped since the last one let through */
};

/* True when a line may be logged at `now`; then *dropped is the number of
 * lines suppressed since the previous one (and the count restarts). */
bool log_gate_pass(struct log_gate *g, uint64_t now_ms, uint64_t interval_ms, uint64_t *dropped);

#define ADDR_MAX 48   /* INET6_ADDRSTRLEN (46) rounded up */

/* What the server counts per remote address. */
struct addr_entry {
    char addr[ADDR_MAX];
    uint32_t conns;          /* open connections (HTTP or WebSocket) of this client */
    uint32_t proxied;        /* sockets of a --trusted-proxy at this address, uncapped */
    uint32_t rooms;          /* live rooms created from this address */
    struct bucket misses;    /* join/host_resume lookups that found nothing */
    struct bucket qr_draws;  /* QR codes drawn for it (not served from the cache) */
    uint64_t touched_ms;     /* last time an entry was fetched */
};

struct addrtab;

/* The entry every address beyond a full table shares (addrtab_create):
 * not an IP literal, so no client has it. */
#define ADDRTAB_OVERFLOW "overflow"

/* Creates an empty table of at most `max` addresses. Never returns NULL.
 * Free with addrtab_destroy. */
struct addrtab *addrtab_create(size_t max);
void addrtab_destroy(struct addrtab *t);   /* NULL-safe */
/* Returns the entry of `addr` (created zeroed, buckets full, when new) and
 * marks it touched at `now`; a new address while the table holds `max`
 * gets the one ADDRTAB_OVERFLOW entry instead, whose counts and budgets all
 * such addresses share until sweeps make room (a flood of fresh addresses
 * costs no memory past `max`, and buys no fresh budgets). The pointer stays valid until a sweep removes
 * the entry, which never happens while conns, proxied or rooms is non-zero. */
struct addr_entry *addrtab_get(struct addrtab *t, const char *addr, uint64_t now_ms,
                               unsigned miss_burst, unsigned qr_burst);
/* Returns the entry of `addr` (ADDRTAB_OVERFLOW included) or NULL, without
 * creating or touching it. */
struct addr_entry *addrtab_find(const struct addrtab *t, const char *addr);
/* Removes entries with no connection (conns, proxied) and no room untouched
 * for idle_ms:
 * their buckets have refilled by then if idle_ms covers a full refill.
 * Returns how many were removed. */
size_t addrtab_sweep(struct addrtab *t, uint64_t now_ms, uint64_t idle_ms);
size_t addrtab_len(const struct addrtab *t);   /* addresses held, the overflow entry not counted */

#endif
