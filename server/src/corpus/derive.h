/* Question derivation from an interview-style text corpus: encoding repair,
 * parsing into categories/questions/blocks, deterministic derivation of
 * multiple-choice questions by several kinds, quality gates, errata and
 * reviewed overrides. No network code. */
#ifndef QZ_DERIVE_H
#define QZ_DERIVE_H
#include "core/question.h"
#include "corpus/pack.h"
#include <stddef.h>

#define DERIVE_MAX_KINDS 16

struct derive_stats {
    size_t categories, questions, blocks;
    size_t generated, gated, errata_skipped, rejected_by_review, edited_by_review, served;
    size_t sources_used;                 /* source answers with >= 1 served question */
    size_t served_edited;                /* served questions an edit touched */
    size_t served_authored;              /* served questions written by hand (none yet) */
    struct {
        const char *kind;
        size_t before, after;            /* derived / served */
        size_t gated;                    /* refused by a gate or the errata */
    } kinds[DERIVE_MAX_KINDS];
    size_t n_kinds;
    struct {
        const char *reason;
        size_t n;
    } gates[16];
    size_t n_gates;
    double ms;                           /* wall time of the whole derivation */
    double cpu_ms;                       /* its CPU time (what the start-up budget limits) */
};

struct derive_paths {
    const char *corpus;                  /* the text corpus */
    const char *errata;                  /* NULL = none */
    const char *overrides;               /* NULL = none (unreviewed output) */
    const char *lexicon;                 /* typed pools; NULL = the bundled lexicon/pools.json */
    int **lines;                         /* optional: receives a malloc'd array, the source line
                                          * of each served question (caller frees) */
};

/* Derives the reviewed pack from the corpus. Returns NULL (problems in rep)
 * when the corpus cannot be read or parsed. The caller destroys the pack. */
struct qz_pack *derive_pack(const struct derive_paths *paths, struct derive_stats *st,
                            struct report *rep);
/* The same from the corpus text already in memory (len bytes, borrowed:
 * the caller keeps and frees it); paths->corpus only names it in problems
 * and in the pack's source. st->ms and st->cpu_ms time the derivation
 * from this text. */
struct qz_pack *derive_pack_buffer(const char *text, size_t len, const struct derive_paths *paths,
                                   struct derive_stats *st, struct report *rep);
void derive_stats_print(const struct derive_stats *st, FILE *f);
/* The quality gates applied to every derived question: returns the reason a
 * question is refused (duplicate or contained options, an answer given away
 * by the prompt, a length giveaway, damaged text), or NULL. */
const char *derive_check_gates(const struct qz_question *q);
/* The i-th kind the engine derives (0-based), or NULL past the last. */
const char *derive_kind_name(size_t i);

#endif
