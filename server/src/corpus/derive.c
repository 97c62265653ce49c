/* Deterministic derivation of multiple-choice questions from a parsed
 * corpus: a driver over a table of families of kinds (kind_code.c,
 * kind_prose.c, kind_facts.c), then the gates (gates.c), the errata list and
 * the reviewed overrides (review.c). No randomness: picks use FNV hashes of
 * stable strings, so ids and output are the same everywhere. */
#include "derive_int.h"
#include "util/xmalloc.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef QZ_DATA_DIR
#define QZ_DATA_DIR "server/data"
#endif
#define DERIVE_LEXICON QZ_DATA_DIR "/lexicon/pools.json"

static void count_kind(struct derive_stats *st, const char *kind, int what)
{
    size_t i = 0;
    while (i < st->n_kinds && strcmp(st->kinds[i].kind, kind))
        i++;
    if (i == st->n_kinds) {
        if (st->n_kinds == DERIVE_MAX_KINDS)
            return;
        st->kinds[i].kind = kind;
        st->kinds[i].before = st->kinds[i].after = 0;
        st->n_kinds++;
    }
    if (what == 1)
        st->kinds[i].after++;
    else if (what == 2)
        st->kinds[i].gated++;
    else
        st->kinds[i].before++;
}

/* The families of kinds, in the order they run over each answer. */
enum deriver_scope {
    PER_BLOCK,      /* called for each block of the answer the family reads */
    PER_ANSWER,     /* called once per answer (runs of sibling blocks) */
};
#define ON_CODE 1u
#define ON_PROSE 2u     /* prose, bullets and numbered items */

static const struct deriver {
    const char *kinds[2];       /* the kinds it produces */
    enum deriver_scope scope;
    unsigned on;                /* PER_BLOCK: which blocks it reads */
    derive_fn *fn;
} DERIVERS[] = {
    {{"code_output", "code_raises"}, PER_BLOCK, ON_CODE, derive__code_results},
    {{"code_blank", NULL}, PER_BLOCK, ON_CODE, derive__code_blank},
    {{"cloze", NULL}, PER_BLOCK, ON_PROSE, derive__cloze},
    {{"tool", NULL}, PER_BLOCK, ON_PROSE, derive__tool},
    {{"complexity", NULL}, PER_BLOCK, ON_PROSE, derive__complexity},
    {{"version", NULL}, PER_BLOCK, ON_CODE | ON_PROSE, derive__version},
    {{"define", NULL}, PER_ANSWER, 0, derive__define},
    {{"order", NULL}, PER_ANSWER, 0, derive__order},
};
#define N_DERIVERS (sizeof DERIVERS / sizeof DERIVERS[0])

const char *derive_kind_name(size_t i)
{
    for (size_t d = 0; d < N_DERIVERS; d++)
        for (size_t k = 0; k < 2 && DERIVERS[d].kinds[k]; k++)
            if (i-- == 0)
                return DERIVERS[d].kinds[k];
    return NULL;
}

/* The table's own copy of a kind name (stats keep pointers to it). */
static const char *kind_static(const char *k)
{
    const char *n;
    for (size_t i = 0; (n = derive_kind_name(i)); i++)
        if (!strcmp(n, k))
            return n;
    return "other";
}

/* Runs every family over the current answer x->cq: block families block by
 * block (in table order for each block), then the per-answer families. */
static void derive_answer(struct ctx *x)
{
    for (size_t b = 0; b < x->cq->n_blocks; b++) {
        unsigned on = x->cq->blocks[b].kind == BLK_CODE ? ON_CODE : ON_PROSE;
        for (size_t d = 0; d < N_DERIVERS; d++)
            if (DERIVERS[d].scope == PER_BLOCK && (DERIVERS[d].on & on))
                DERIVERS[d].fn(x, b);
    }
    for (size_t d = 0; d < N_DERIVERS; d++)
        if (DERIVERS[d].scope == PER_ANSWER)
            DERIVERS[d].fn(x, 0);
}

struct qz_pack *derive_pack(const struct derive_paths *paths, struct derive_stats *st,
                            struct report *rep)
{
    memset(st, 0, sizeof *st);
    if (paths->lines)
        *paths->lines = NULL;
    size_t n;
    char *buf = pack_read_file(paths->corpus, &n, rep);
    if (!buf)
        return NULL;
    struct qz_pack *p = derive_pack_buffer(buf, n, paths, st, rep);
    free(buf);
    return p;
}

struct qz_pack *derive_pack_buffer(const char *text, size_t len, const struct derive_paths *paths,
                                   struct derive_stats *st, struct report *rep)
{
    struct timespec t0, t1, c0, c1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    memset(st, 0, sizeof *st);
    if (paths->lines)
        *paths->lines = NULL;
    struct corpus c;
    int rc = corpus_parse(text, len, &c);
    if (rc) {
        corpus_free(&c);
        report_add(rep, "%s: corpus: no category heading (\"Name\" / blank / \"N questions\") found",
                   paths->corpus);
        return NULL;
    }
    struct ctx x;
    memset(&x, 0, sizeof x);
    x.c = &c;
    lex_build(&x.lex, &c);
    /* Without the typed pools no blank can get same-role distractors: the
     * problem is reported and those kinds derive nothing. */
    lex_load_pools(&x.lex, paths->lexicon ? paths->lexicon : DERIVE_LEXICON, rep);
    derive__load_errata(&x, paths->errata, rep);
    st->categories = c.n_cats;
    st->questions = corpus_question_count(&c);
    for (size_t k = 0; k < c.n_cats; k++) {
        x.cat = &c.cats[k];
        for (size_t i = 0; i < c.cats[k].n_qs; i++) {
            x.cq = &c.cats[k].qs[i];
            st->blocks += x.cq->n_blocks;
            derive_answer(&x);
        }
    }
    /* Gates, errata and the per-line cap, in corpus order. */
    struct { int line; int n; } *per_line = xcalloc(x.n + 1, sizeof *per_line);
    size_t n_pl = 0;
    for (size_t i = 0; i < x.n; i++) {
        struct cand *cd = &x.v[i];
        st->generated++;
        count_kind(st, kind_static(cd->q.kind), 0);
        if (!cd->q.time_s)
            cd->q.time_s = pack_suggest_time(&cd->q);
        if (!cd->q.explanation)
            cd->q.explanation = xstrdup("");
        if (derive__in_errata(&x, cd->line, cd->line_end)) {
            cd->gate = "errata";
            st->errata_skipped++;
            continue;
        }
        struct report tmp;
        report_init(&tmp);
        if (pack_check_question(&cd->q, "derived", i + 1, &tmp))
            cd->gate = "invalid";
        report_cleanup(&tmp);
        if (!cd->gate)
            cd->gate = derive__gate(&x.lex, &cd->q);
        if (cd->gate) {
            st->gated++;
            continue;
        }
        size_t k = 0;
        while (k < n_pl && per_line[k].line != cd->line)
            k++;
        if (k == n_pl)
            per_line[n_pl++].line = cd->line;
        if (++per_line[k].n > MAX_PER_LINE) {
            cd->gate = "another question comes from the same source line";
            st->gated++;
        }
    }
    free(per_line);
    for (size_t i = 0; i < x.n; i++) {
        const char *g = x.v[i].gate;
        if (!g)
            continue;
        size_t k = 0;
        while (k < st->n_gates && strcmp(st->gates[k].reason, g))
            k++;
        if (k == st->n_gates && k < 16) {
            st->gates[k].reason = g;
            st->gates[k].n = 0;
            st->n_gates++;
        }
        if (k < 16)
            st->gates[k].n++;
    }
    derive__apply_overrides(&x, paths->overrides, st, rep);

    struct qz_pack *p = qz_pack_create("python", "Senior Python interview (derived)", paths->corpus);
    {
        const char *b = strrchr(paths->corpus, '/');
        free(p->source);
        p->source = xasprintf("derived from %s", b ? b + 1 : paths->corpus);
    }
    bool *used = xcalloc(st->questions + 1, sizeof *used);
    for (size_t i = 0; i < x.n; i++) {
        struct cand *cd = &x.v[i];
        if (cd->gate) {
            count_kind(st, kind_static(cd->q.kind), 2);
            qz_question_clear(&cd->q);
            continue;
        }
        count_kind(st, kind_static(cd->q.kind), 1);
        st->served_edited += cd->edited;
        /* Source answers are numbered globally for the coverage count. */
        size_t global = 0;
        for (size_t k = 0; k < c.n_cats; k++) {
            if (!strcmp(c.cats[k].name, cd->q.category)) {
                global += (size_t)cd->q.source.number;
                break;
            }
            global += c.cats[k].n_qs;
        }
        if (global <= st->questions)
            used[global] = true;
        if (paths->lines) {
            if (!(p->n & (p->n - 1)))   /* capacity doubles at each power of two */
                *paths->lines = xrealloc(*paths->lines, (p->n ? 2 * p->n : 1) * sizeof **paths->lines);
            (*paths->lines)[p->n] = cd->line;
        }
        *qz_pack_add(p) = cd->q;   /* the pack takes the strings */
    }
    for (size_t i = 1; i <= st->questions; i++)
        st->sources_used += used[i];
    free(used);
    st->served = p->n;
    qz_pack_index(p);
    free(x.v);
    free(x.errata);
    lex_free(&x.lex);
    corpus_free(&c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    st->ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    st->cpu_ms = (double)(c1.tv_sec - c0.tv_sec) * 1e3 + (double)(c1.tv_nsec - c0.tv_nsec) / 1e6;
    return p;
}

void derive_stats_print(const struct derive_stats *st, FILE *f)
{
    fprintf(f, "corpus: %zu categories, %zu questions, %zu blocks\n", st->categories, st->questions,
            st->blocks);
    fprintf(f, "derived: %zu candidates, %zu gated, %zu skipped by errata, %zu rejected and %zu edited by review\n",
            st->generated, st->gated, st->errata_skipped,
            st->rejected_by_review, st->edited_by_review);
    fprintf(f, "served: %zu questions from %zu of %zu source answers (%.1f ms, %.1f ms CPU)\n", st->served,
            st->sources_used, st->questions, st->ms, st->cpu_ms);
    for (size_t i = 0; i < st->n_gates; i++)
        fprintf(f, "  gated: %zu x %s\n", st->gates[i].n, st->gates[i].reason);
    double served = st->served ? (double)st->served : 1.0;
    fprintf(f, "raw engine: %zu of %zu served (%.1f%%) untouched by edits; %zu edited; authored %zu (%.1f%%)\n",
            st->served - st->served_edited - st->served_authored, st->served,
            100.0 * (double)(st->served - st->served_edited - st->served_authored) / served,
            st->served_edited, st->served_authored, 100.0 * (double)st->served_authored / served);
    fprintf(f, "sources covered: %zu of %zu\n", st->sources_used, st->questions);
    fprintf(f, "%-12s %8s %8s %8s\n", "kind", "derived", "gated", "served");
    for (size_t i = 0; i < st->n_kinds; i++)
        fprintf(f, "%-12s %8zu %8zu %8zu\n", st->kinds[i].kind, st->kinds[i].before, st->kinds[i].gated,
                st->kinds[i].after);
}
