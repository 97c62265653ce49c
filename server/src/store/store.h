/* The store: every game in one SQLite database (WAL), written by one writer
 * thread with group commit, so the loop never waits on the disk.
 *
 * The loop appends compact records (store_room, store_event, ...) to a
 * buffer of its own, without a lock; each gets a sequence number. Once per
 * loop iteration (before it waits for I/O) store_flush hands the batch to
 * the writer under a mutex (a buffer swap) and wakes it. The writer takes
 * the whole pending batch, writes it in one transaction with prepared statements, and
 * then publishes the last committed sequence number and calls the notify
 * callback (from the writer thread: the caller wakes its loop with it,
 * e.g. uv_async_send). What depends on a record is sent once
 * store_committed() has reached its number.
 *
 * Restore reads the database synchronously at start (store_load), before
 * the writer runs. Ownership: store_open returns a store freed by
 * store_close; every string passed in is copied. */
#ifndef QZ_STORE_H
#define QZ_STORE_H
#include "core/question.h"
#include "util/metrics.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION 4
#define STORE_HASH_HEX 64            /* SHA-256 in hex */
#define STORE_KEEP_DAYS 30           /* default --keep-days */
#define STORE_COMMIT_GAP_US 2000     /* group commit: at most one transaction per 2 ms */
#define STORE_CLOCK_MS 500           /* the writer records the game clock at most this often */
#define STORE_CLOCK_FIRST_MS 10000   /* a new database's game clock starts here, not at 0
                                        (the rooms' throttles read 0 as "never") */
#define STORE_BUSY_MS 5000           /* SQLite's busy timeout per attempt (a `.backup` holds the lock) */
#define STORE_RETRY_MS 10000         /* a batch failing with BUSY/FULL/IOERR is retried this long */
#define STORE_RETRY_MAX_BACKOFF_MS 1000
#define STORE_RETRY_MAX_BYTES (64u << 20) /* a batch kept for retries grows at most this big */
#define STORE_PROBE_MS 2000          /* once failed, how often the writer tries to mark the lost rooms */
#define STORE_DB_NAME "quizd.db"
#define STORE_LOCK_NAME "quizd.lock"   /* flock'd by the one quizd using the directory */
#define STORE_WAL_PAGES 16384        /* the writer checkpoints itself only past 64 MiB of WAL */
#define STORE_WAL_LIMIT_BYTES (4 * 1024 * 1024) /* journal_size_limit: the WAL file is cut back to this when rewound */

enum store_sync { STORE_SYNC_NORMAL, STORE_SYNC_FULL };

struct store_options {
    const char *dir;                 /* created 0700 when missing */
    enum store_sync sync;
    unsigned keep_days;              /* finished rooms older than this are purged at start */
    unsigned max_mb;                 /* 0 = no cap; past it writes fail like a full disk */
    int64_t epoch_ms;                /* wall clock now, for the purge */
    unsigned busy_ms, retry_ms;      /* 0 = STORE_BUSY_MS, STORE_RETRY_MS (tests shorten them) */
    char shard;                      /* --shard of this quizd, '\0' = none: the database
                                      * records the first one and refuses another */
};

/* What the replay needs, in the order it happened. */
enum store_ev {
    SEV_JOIN = 1,     /* player, name, token hash */
    SEV_RESUME,       /* player */
    SEV_DISCONNECT,   /* player */
    SEV_START,
    SEV_ANSWER,       /* player, a = question index, b = choice */
    SEV_NEXT,
    SEV_KICK,         /* player */
    SEV_LOCK,         /* a = locked */
    SEV_END,
    SEV_TICK,         /* a timed transition ran */
};

struct store;

/* Opens (creating and migrating) DIR/quizd.db, holding an exclusive lock
 * on DIR/quizd.lock until store_close (another process holding it: refused).
 * A database written by another shard (o->shard; none counts as one) is
 * refused too: its rooms' codes would be routed elsewhere. On failure
 * returns NULL and writes a one-line reason, with the way out, into why. */
struct store *store_open(const struct store_options *o, char *why, size_t why_len);
/* Starts the writer thread; notify(arg) is called from it after each commit. */
void store_start(struct store *s, void (*notify)(void *arg), void *arg);
/* From now on the writer calls no notify (safe against a concurrent call). */
void store_stop_notify(struct store *s);
/* Writes what is pending, records the clock, stops the writer and closes
 * the database. NULL-safe. */
void store_close(struct store *s);

/* The game clock the last run reached (STORE_CLOCK_FIRST_MS for a new database; never before
 * a recorded event's time), and the
 * offset the writer adds to CLOCK_MONOTONIC ms to record the clock. */
uint64_t store_last_clock(const struct store *s);
const char *store_path(const struct store *s);   /* DIR/quizd.db */
void store_set_clock_offset(struct store *s, int64_t offset_ms);

/* Appends, from the loop only. Each returns its record's sequence number;
 * nothing reaches the writer before store_flush. */
uint32_t store_new_room_id(struct store *s);
uint64_t store_room(struct store *s, uint32_t room, const char *code, const char *host_hash,
                    const char *pack_id, const char *pack_hash, uint64_t seed,
                    const char *settings_json, int64_t created_epoch_ms);
uint64_t store_question(struct store *s, uint32_t room, int index, const char *question_id,
                        const char *option_order);
uint64_t store_event(struct store *s, uint32_t room, enum store_ev kind, uint64_t t,
                     uint32_t player, int a, int b, const char *name, const char *token_hash);
uint64_t store_answer(struct store *s, uint32_t room, uint64_t t, uint32_t player, int index,
                      int choice, int64_t recv_epoch_ms, uint32_t time_ms);
/* A closed question's scores: STORE_SCORE_BYTES per answering player, in
 * increasing player id (store_score_pack), in one row. */
#define STORE_SCORE_BYTES 7
uint64_t store_scores(struct store *s, uint32_t room, int index, const unsigned char *data,
                      size_t len);
void store_score_pack(unsigned char out[STORE_SCORE_BYTES], uint32_t player, unsigned points,
                      bool correct);
/* Looks a player up in a question's scores; false when it did not answer. */
bool store_score_find(const unsigned char *data, size_t len, uint32_t player, unsigned *points,
                      bool *correct);
/* `played`: questions closed so far (what exports and reviews show). */
uint64_t store_phase(struct store *s, uint32_t room, const char *phase, int played);
/* The room is over (finished, or closed unfinished): never restored again. */
uint64_t store_finish(struct store *s, uint32_t room, const char *phase, int played,
                      int64_t epoch_ms);
uint64_t store_result(struct store *s, uint32_t room, unsigned rank, uint32_t player,
                      int64_t score, unsigned correct, unsigned best_streak);

/* Hands what was appended to the writer and wakes it (loop only; cheap
 * when nothing is pending). */
void store_flush(struct store *s);

/* The last sequence number appended (loop only). */
uint64_t store_appended(struct store *s);
/* Thread-safe reads. */
uint64_t store_committed(struct store *s);
/* Writes failed and stayed failed past the retries (disk full, I/O error):
 * nothing is saved now. The records of that time are dropped, and so are
 * the later ones of every room that existed by then: once a write works
 * again the writer marks those rooms finished with phase "unsaved" (never
 * restored: their record has a hole) and store_failed turns false; rooms
 * created after that are saved. */
bool store_failed(struct store *s);
/* Records settled: committed, or dropped because the store failed. What
 * waited for a record may go out once it is settled (after telling the
 * clients when it was dropped). Thread-safe. */
uint64_t store_settled(struct store *s);
/* Whether a game deadline runs (the loop says so when it changes): only
 * then does the writer record the clock without a batch; either way at
 * most every STORE_CLOCK_MS (a restart resumes after the last recorded
 * event's time in any case). Thread-safe. */
void store_clock_wanted(struct store *s, bool wanted);
/* What the writer did since the start, for /metrics, /healthz and tests. */
struct store_stats {
    uint64_t commits;              /* transactions that wrote records */
    uint64_t clock_writes;         /* transactions that recorded only the clock */
    uint64_t retries;              /* attempts failed with a transient error, retried */
    uint64_t failures;             /* batches not written (counted, never silent) */
    struct metrics_hist commit_s;  /* seconds per transaction that wrote records */
};
/* One consistent snapshot of the figures above. Thread-safe. */
void store_stats(struct store *s, struct store_stats *out);

/* The exporter's checkpoint copied every frame of the WAL back (export.c).
 * SQLite rewinds the WAL only when the writer begins a transaction with no
 * frame left to copy, and under steady load the writer has always appended
 * during that checkpoint: after its next commit the writer runs its own
 * passive checkpoint (the few frames since, off the ack path), and the
 * WAL starts over at the transaction after. Thread-safe. */
void store_wal_backfilled(struct store *s);

/* Restore: every unfinished room, oldest first, with its events in order.
 * The callbacks get borrowed strings valid during the call. Returns 0 or -1. */
struct store_room_row {
    uint32_t id;
    const char *code, *host_hash, *pack_id, *pack_hash, *settings_json;
    uint64_t seed;
};
struct store_event_row {
    enum store_ev kind;
    uint64_t t;
    uint32_t player;
    int a, b;
    const char *name, *token_hash;
};
struct store_loader {
    void *arg;
    /* returns a handle passed to on_event and on_done, NULL to skip the room */
    void *(*on_room)(void *arg, const struct store_room_row *r);
    void (*on_event)(void *arg, void *room, const struct store_event_row *e);
    void (*on_done)(void *arg, void *room);
};
int store_load(struct store *s, const struct store_loader *l);

/* SHA-256 in lowercase hex of n bytes (OpenSSL). out gets 65 bytes. */
void store_hash_hex(const void *data, size_t n, char out[STORE_HASH_HEX + 1]);
/* The content hash of a pack: every question's id, text, options, answer,
 * category and time, so a restore knows it replays the same questions. */
void store_pack_hash(const struct qz_pack *p, char out[STORE_HASH_HEX + 1]);

#endif
