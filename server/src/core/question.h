/* Plain question data shared by the corpus module (which builds packs) and
 * the game core (which plays them). No I/O, libc only. */
#ifndef QZ_QUESTION_H
#define QZ_QUESTION_H
#include <stddef.h>

#define QZ_MAX_OPTIONS 4
#define QZ_MIN_OPTIONS 2

struct qz_source {
    char *category;   /* owned */
    int number;       /* question number inside the category, 0 if none */
    char *title;      /* owned, may be NULL */
};

/* One multiple-choice question. Every char* is owned by the question. */
struct qz_question {
    char *id;
    char *kind;
    char *category;
    char *prompt;
    char *code;                       /* NULL when the question has no snippet */
    char *options[QZ_MAX_OPTIONS];
    int n_options;                    /* 2..4 */
    int correct;                      /* index into options */
    char *explanation;
    struct qz_source source;
    int difficulty;                   /* 1..3 */
    int time_s;                       /* suggested seconds to answer */
};

struct qz_category_count {
    char *name;                       /* owned */
    int questions;
};

/* A pack owns its questions. Create with qz_pack_create, free with qz_pack_destroy. */
struct qz_pack {
    char *id;
    char *title;
    char *source;
    struct qz_question *q;
    size_t n, cap;
    struct qz_category_count *cats;   /* filled by qz_pack_index */
    size_t n_cats;
};

struct qz_pack *qz_pack_create(const char *id, const char *title, const char *source);
void qz_pack_destroy(struct qz_pack *p);   /* NULL-safe */
/* Appends an empty question and returns it; the pointer is valid until the next append. */
struct qz_question *qz_pack_add(struct qz_pack *p);
/* Frees a question's strings and zeroes it. */
void qz_question_clear(struct qz_question *q);
/* Deep copy of src into dst (dst must be empty). */
void qz_question_copy(struct qz_question *dst, const struct qz_question *src);
/* Rebuilds p->cats (per-category counts, in first-seen order). */
void qz_pack_index(struct qz_pack *p);

#endif
