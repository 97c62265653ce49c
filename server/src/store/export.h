/* Exports: results (JSON, CSV) and a player's review of a game, read from
 * the store's database by a reader thread of their own (WAL lets it read
 * while the writer writes), so the loop never runs a query.
 *
 * The loop submits a struct export_query (export_submit, which takes it);
 * the reader fills status and body and calls notify(arg) from its thread;
 * the loop then takes the finished ones (export_take_done) and owns them
 * again (free with export_query_free). Every EXPORT_CHECKPOINT_S the reader
 * also checkpoints the WAL (passive: it never blocks the writer). */
#ifndef QZ_EXPORT_H
#define QZ_EXPORT_H
#include "core/question.h"
#include "store.h"
#include <stddef.h>

#define EXPORT_CHECKPOINT_S 1    /* the reader checkpoints the WAL this often, exports or not */

enum export_kind { EXPORT_RESULTS_JSON, EXPORT_RESULTS_CSV, EXPORT_REVIEW };

struct export_query {
    enum export_kind kind;
    char code[16];
    char token[80];            /* the bearer token in clear; only its hash is compared */
    void *owner;               /* the caller's */
    unsigned status;           /* 200, 403 (not this room's token), 404 (no such room), 500 */
    const char *type;          /* MIME type of body */
    char *body;                /* malloc'd */
    size_t len;
    struct export_query *next;
};

struct exporter;

/* Opens a read-only connection on the store's database and starts the
 * reader; `packs` (borrowed, immutable) give the questions' texts. */
struct exporter *exporter_open(struct store *s, struct qz_pack *const *packs, size_t n_packs,
                               void (*notify)(void *arg), void *arg);
/* Stops the reader; unfinished and untaken queries are freed, and their
 * owners with free_owner (when not NULL). NULL-safe. */
void exporter_close(struct exporter *x, void (*free_owner)(void *owner));
/* From now on the reader calls no notify. */
void exporter_stop_notify(struct exporter *x);
void export_submit(struct exporter *x, struct export_query *q);
struct export_query *export_take_done(struct exporter *x);
void export_query_free(struct export_query *q);

/* The export itself, on a connection of the caller's (the reader thread
 * calls it; tests call it directly). Fills q->status, type and body. */
struct sqlite3;
void export_run(struct sqlite3 *db, struct qz_pack *const *packs, size_t n_packs,
                struct export_query *q);

#endif
