/* Review stamps: a reader's verdict on one served question, tied to the
 * hash of exactly what was read (prompt, code, options, answer,
 * explanation), so any later change to the question makes its stamp stale.
 * File format quizd-stamps/1:
 *   {"format": "quizd-stamps/1",
 *    "stamps": [{"id": "...", "verdict": "good", "hash": "<64 hex>"}, ...]}
 * kept sorted by id so diffs stay small. */
#ifndef QZ_STAMPS_H
#define QZ_STAMPS_H
#include "core/question.h"
#include "corpus/pack.h"
#include "corpus/review.h"

#define STAMPS_FORMAT "quizd-stamps/1"
#define STAMPS_MAX 20000

struct stamp {
    char *id;                        /* owned */
    char verdict[8];                 /* "good" or "weak" */
    char hash[REVIEW_HASH_HEX];      /* stamp_hash of the question when it was read */
};

/* Owns its stamps; free with stamps_free. */
struct stamps {
    struct stamp *v;
    size_t n, cap;
};

enum stamp_state {
    STAMP_CURRENT,   /* stamped at the question's current content */
    STAMP_MISSING,   /* never stamped */
    STAMP_STALE,     /* stamped, but the question changed since */
};

/* The content hash of a question: SHA-256 over its prompt, code, options,
 * correct index and explanation (each field length-prefixed). */
void stamp_hash(const struct qz_question *q, char out[REVIEW_HASH_HEX]);
/* True for a verdict a stamp may carry. */
bool stamp_verdict_ok(const char *v);

/* Loads path into s (empty on entry). Returns 0, or QZ_EIO / QZ_EINVAL with
 * every problem in rep. */
int stamps_load(const char *path, struct stamps *s, struct report *rep);
/* Writes s (sorted by id) to path atomically (temporary file + rename).
 * Returns 0 or QZ_EIO. */
int stamps_save(struct stamps *s, const char *path);
const struct stamp *stamps_find(const struct stamps *s, const char *id);
/* Adds or refreshes the stamp for id. */
void stamps_set(struct stamps *s, const char *id, const char *verdict, const char hash[REVIEW_HASH_HEX]);
enum stamp_state stamps_state(const struct stamps *s, const struct qz_question *q);
/* True when no question of p has the stamp's id: a stamp left by a question
 * that was rejected, renamed or is no longer derived. */
bool stamp_orphaned(const struct stamp *st, const struct qz_pack *p);
/* Removes every orphaned stamp (order kept). Returns how many were removed. */
size_t stamps_prune(struct stamps *s, const struct qz_pack *p);
void stamps_free(struct stamps *s);

#endif
