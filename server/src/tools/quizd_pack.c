/* quizd-pack: derive, import, validate and show question packs.
 *   quizd-pack derive CORPUS [--stats] [-o PACK] [--errata F] [--overrides F] [--unreviewed]
 *   quizd-pack import opentdb|aiken|csv FILE -o PACK [--title T] [--id ID]
 *   quizd-pack validate PACK...
 *   quizd-pack show PACK [--id ID | --random N --seed S]
 *   quizd-pack review list [--unstamped] [--stale] [--category C] [--offset N --limit K]
 *   quizd-pack review stamp ID... [--verdict good|weak]
 *   quizd-pack review check
 *   quizd-pack review prune
 * Exit codes: 0 ok, 1 problems found in a pack (validate), 2 bad usage or bad input
 * (unreadable file, not JSON, not a pack, not a corpus). */
#include "corpus/derive.h"
#include "corpus/import.h"
#include "corpus/pack.h"
#include "corpus/review.h"
#include "corpus/stamps.h"
#include "util/err.h"
#include "util/xmalloc.h"
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qz/version.h"
#ifndef QZ_DATA_DIR
#define QZ_DATA_DIR "server/data"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "Usage:\n"
            "  quizd-pack derive CORPUS [--stats] [-o PACK] [--errata FILE] [--overrides FILE] [--unreviewed]\n"
            "  quizd-pack import opentdb|aiken|csv FILE -o PACK [--title TITLE] [--id ID]\n"
            "  quizd-pack validate PACK...\n"
            "  quizd-pack show PACK [--id ID | --random N --seed S]\n"
            "  quizd-pack review list [--unstamped] [--stale] [--category C] [--offset N --limit K]\n"
            "  quizd-pack review stamp ID... [--verdict good|weak]\n"
            "  quizd-pack review check\n"
            "  quizd-pack review prune\n"
            "  (review takes --corpus FILE, default the bundled corpus)\n\n"
            "derive writes the reviewed pack: the errata list and overrides that\n"
            "%s/review/manifest.json lists for CORPUS's SHA-256 apply (or those given).\n"
            "Problems are reported as file:question-number: field: message.\n",
            QZ_DATA_DIR);
}

static int cmd_derive(int argc, char **argv)
{
    static const struct option o[] = {{"stats", no_argument, NULL, 's'},
                                      {"output", required_argument, NULL, 'o'},
                                      {"errata", required_argument, NULL, 'e'},
                                      {"overrides", required_argument, NULL, 'r'},
                                      {"unreviewed", no_argument, NULL, 'u'},
                                      {NULL, 0, NULL, 0}};
    bool stats = false, unreviewed = false;
    const char *out = NULL, *errata = NULL, *overrides = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "so:", o, NULL)) != -1) {
        switch (c) {
        case 's': stats = true; break;
        case 'o': out = optarg; break;
        case 'e': errata = optarg; break;
        case 'r': overrides = optarg; break;
        case 'u': unreviewed = true; break;
        default: usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "quizd-pack derive: exactly one CORPUS file is required\n");
        return 2;
    }
    const char *corpus = argv[optind];
    struct report rep;
    report_init(&rep);
    /* Review files: given explicitly, else those the review manifest lists
     * for this corpus's content hash (the same choice quizd makes). */
    struct review_files rf = {0};
    if (!unreviewed && review_select(corpus, QZ_DATA_DIR "/review", &rf, &rep) == QZ_EIO) {
        report_print(&rep, stderr);
        report_cleanup(&rep);
        return 2;
    }
    if (!errata && !unreviewed)
        errata = rf.errata;
    if (!overrides && !unreviewed)
        overrides = rf.overrides;
    struct derive_paths dp = {.corpus = corpus, .errata = unreviewed ? NULL : errata,
                              .overrides = unreviewed ? NULL : overrides};
    struct derive_stats st;
    struct qz_pack *p = derive_pack(&dp, &st, &rep);
    review_files_cleanup(&rf);
    report_print(&rep, stderr);
    if (!p) {
        report_cleanup(&rep);
        return 2;
    }
    if (stats) {
        derive_stats_print(&st, stdout);
        printf("%-32s %8s\n", "category", "served");
        for (size_t i = 0; i < p->n_cats; i++)
            printf("%-32s %8d\n", p->cats[i].name, p->cats[i].questions);
    }
    int rc = 0;
    if (out || !stats)
        rc = pack_write_file(p, out ? out : "-") ? 2 : 0;
    if (rc)
        fprintf(stderr, "quizd-pack: cannot write %s\n", out);
    qz_pack_destroy(p);
    report_cleanup(&rep);
    return rc;
}

static int cmd_import(int argc, char **argv)
{
    static const struct option o[] = {{"output", required_argument, NULL, 'o'},
                                      {"title", required_argument, NULL, 't'},
                                      {"id", required_argument, NULL, 'i'},
                                      {NULL, 0, NULL, 0}};
    const char *out = NULL, *title = NULL, *id = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", o, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 't': title = optarg; break;
        case 'i': id = optarg; break;
        default: usage(stderr); return 2;
        }
    }
    if (optind + 2 != argc || !out) {
        fprintf(stderr, "quizd-pack import: FORMAT FILE and -o PACK are required\n");
        return 2;
    }
    enum import_format fmt;
    if (import_format_parse(argv[optind], &fmt)) {
        fprintf(stderr, "quizd-pack import: unknown format '%s' (opentdb, aiken or csv)\n", argv[optind]);
        return 2;
    }
    struct report rep;
    report_init(&rep);
    size_t skipped = 0;
    struct qz_pack *p = import_file(fmt, argv[optind + 1], title, id, &rep, &skipped);
    report_print(&rep, stderr);
    int rc = 2;
    if (p) {
        rc = pack_write_file(p, out) ? 2 : 0;
        fprintf(stderr, "imported %zu questions, skipped %zu -> %s\n", p->n, skipped, out);
        qz_pack_destroy(p);
    }
    report_cleanup(&rep);
    return rc;
}

static int cmd_validate(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "quizd-pack validate: at least one PACK is required\n");
        return 2;
    }
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        struct report rep;
        report_init(&rep);
        struct qz_pack *p = pack_load_file(argv[i], &rep);
        if (p) {
            printf("%s: ok, %zu questions in %zu categories\n", argv[i], p->n, p->n_cats);
            qz_pack_destroy(p);
        } else {
            report_print(&rep, stdout);
            /* 2: not readable or not a pack at all; 1: a pack with problems. */
            rc = rep.bad_input ? 2 : rc ? rc : 1;
        }
        report_cleanup(&rep);
    }
    return rc;
}

/* Review details printed under a question by `review list` (NULL in show). */
struct review_info {
    int line;                        /* source line in the corpus */
    const char *hash;                /* content hash */
    const char *stamp;               /* "good", "weak", "none" or "stale (was good)" */
};

static void show_question(const struct qz_question *q, size_t num, const struct review_info *ri)
{
    printf("#%zu  %s  [%s · %s · difficulty %d · %d s]\n", num, q->id, q->kind, q->category,
           q->difficulty, q->time_s);
    printf("    %s\n", q->prompt);
    if (q->code) {
        printf("    ```\n");
        const char *s = q->code;
        while (*s) {
            const char *e = strchr(s, '\n');
            size_t l = e ? (size_t)(e - s) : strlen(s);
            printf("    %.*s\n", (int)l, s);
            s += l + (e != NULL);
        }
        printf("    ```\n");
    }
    for (int i = 0; i < q->n_options; i++)
        printf("    %c %c) %s\n", i == q->correct ? '*' : ' ', 'A' + i, q->options[i]);
    printf("    why: %s\n", q->explanation);
    if (q->source.category)
        printf("    source: %s #%d %s\n", q->source.category, q->source.number,
               q->source.title ? q->source.title : "");
    if (ri)
        printf("    line: %d   hash: %s   stamp: %s\n", ri->line, ri->hash, ri->stamp);
    printf("\n");
}

static int cmd_show(int argc, char **argv)
{
    static const struct option o[] = {{"id", required_argument, NULL, 'i'},
                                      {"random", required_argument, NULL, 'r'},
                                      {"seed", required_argument, NULL, 's'},
                                      {NULL, 0, NULL, 0}};
    const char *id = NULL;
    long nrand = -1;
    unsigned long long seed = 1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
        switch (c) {
        case 'i': id = optarg; break;
        case 'r': nrand = strtol(optarg, NULL, 10); break;
        case 's': seed = strtoull(optarg, NULL, 10); break;
        default: usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc || nrand == 0 || nrand < -1) {
        fprintf(stderr, "quizd-pack show: exactly one PACK is required (and --random N > 0)\n");
        return 2;
    }
    struct report rep;
    report_init(&rep);
    struct qz_pack *p = pack_load_file(argv[optind], &rep);
    if (!p) {
        report_print(&rep, stderr);
        report_cleanup(&rep);
        return 2;
    }
    report_cleanup(&rep);
    int rc = 0;
    printf("%s — %s (%zu questions)\n\n", p->id, p->title, p->n);
    if (id) {
        size_t i = 0;
        while (i < p->n && strcmp(p->q[i].id, id))
            i++;
        if (i == p->n) {
            fprintf(stderr, "quizd-pack show: no question with id %s\n", id);
            rc = 2;
        } else {
            show_question(&p->q[i], i + 1, NULL);
        }
    } else if (nrand > 0) {
        /* A seeded partial Fisher-Yates over the indices. */
        size_t *idx = xmalloc(p->n * sizeof *idx);
        for (size_t i = 0; i < p->n; i++)
            idx[i] = i;
        unsigned long long s = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        for (size_t i = 0; i < p->n && i < (size_t)nrand; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t j = i + (size_t)((s >> 33) % (p->n - i));
            size_t t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
            show_question(&p->q[idx[i]], idx[i] + 1, NULL);
        }
        free(idx);
    } else {
        for (size_t i = 0; i < p->n; i++)
            show_question(&p->q[i], i + 1, NULL);
    }
    qz_pack_destroy(p);
    return rc;
}


#define BUNDLED_CORPUS QZ_DATA_DIR "/corpus/senior-python-interview.txt"

/* The served pack of a corpus with its review files, the source line of
 * each question and the stamps (empty when the file does not exist yet). */
struct reviewed {
    struct qz_pack *pack;
    int *lines;
    struct review_files rf;
    struct stamps stamps;
};

static int reviewed_load(const char *corpus, struct reviewed *r)
{
    memset(r, 0, sizeof *r);
    struct report rep;
    report_init(&rep);
    int rc = 2;
    if (review_select(corpus, QZ_DATA_DIR "/review", &r->rf, &rep) || !r->rf.stamps) {
        report_print(&rep, stderr);
        fprintf(stderr, "quizd-pack review: %s has no stamps file in %s/review/manifest.json\n", corpus,
                QZ_DATA_DIR);
        goto out;
    }
    struct derive_paths dp = {.corpus = corpus, .errata = r->rf.errata, .overrides = r->rf.overrides,
                              .lines = &r->lines};
    struct derive_stats st;
    r->pack = derive_pack(&dp, &st, &rep);
    if (!r->pack)
        goto out;
    FILE *f = fopen(r->rf.stamps, "r");
    if (f) {
        fclose(f);
        if (stamps_load(r->rf.stamps, &r->stamps, &rep))
            goto out;
    }
    rc = 0;
out:
    report_print(&rep, stderr);
    report_cleanup(&rep);
    return rc;
}

static void reviewed_free(struct reviewed *r)
{
    qz_pack_destroy(r->pack);
    free(r->lines);
    review_files_cleanup(&r->rf);
    stamps_free(&r->stamps);
}

static int cmd_review(int argc, char **argv)
{
    static const struct option o[] = {{"unstamped", no_argument, NULL, 'u'},
                                      {"stale", no_argument, NULL, 's'},
                                      {"category", required_argument, NULL, 'c'},
                                      {"offset", required_argument, NULL, 'o'},
                                      {"limit", required_argument, NULL, 'l'},
                                      {"verdict", required_argument, NULL, 'v'},
                                      {"corpus", required_argument, NULL, 'C'},
                                      {NULL, 0, NULL, 0}};
    if (argc < 2 || (strcmp(argv[1], "list") && strcmp(argv[1], "stamp") && strcmp(argv[1], "check") &&
                     strcmp(argv[1], "prune"))) {
        fprintf(stderr, "quizd-pack review: list, stamp, check or prune is required\n");
        return 2;
    }
    const char *sub = argv[1];
    bool unstamped = false, stale = false;
    const char *category = NULL, *verdict = "good", *corpus = BUNDLED_CORPUS;
    long offset = 0, limit = -1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", o, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'u': unstamped = true; break;
        case 's': stale = true; break;
        case 'c': category = optarg; break;
        case 'o':
        case 'l': {
            long v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v < 0) {
                fprintf(stderr, "quizd-pack review: --%s needs a number >= 0\n", c == 'o' ? "offset" : "limit");
                return 2;
            }
            *(c == 'o' ? &offset : &limit) = v;
            break;
        }
        case 'v': verdict = optarg; break;
        case 'C': corpus = optarg; break;
        default: usage(stderr); return 2;
        }
    }
    char **rest = argv + 1 + optind;
    int n_rest = argc - 1 - optind;
    if (!stamp_verdict_ok(verdict)) {
        fprintf(stderr, "quizd-pack review: --verdict must be good or weak (reject with an override)\n");
        return 2;
    }
    if ((strcmp(sub, "stamp") && n_rest) || (!strcmp(sub, "stamp") && !n_rest)) {
        fprintf(stderr, "quizd-pack review %s: %s\n", sub,
                strcmp(sub, "stamp") ? "takes no ID" : "at least one ID is required");
        return 2;
    }
    struct reviewed r;
    if (reviewed_load(corpus, &r)) {
        reviewed_free(&r);
        return 2;
    }
    int rc = 0;
    const struct qz_pack *p = r.pack;
    if (!strcmp(sub, "stamp")) {
        for (int i = 0; i < n_rest; i++) {
            size_t k = 0;
            while (k < p->n && strcmp(p->q[k].id, rest[i]))
                k++;
            if (k == p->n) {
                fprintf(stderr, "quizd-pack review stamp: %s is not a served question\n", rest[i]);
                rc = 2;
            }
        }
        for (int i = 0; i < n_rest && !rc; i++)
            for (size_t k = 0; k < p->n; k++)
                if (!strcmp(p->q[k].id, rest[i])) {
                    char h[REVIEW_HASH_HEX];
                    stamp_hash(&p->q[k], h);
                    stamps_set(&r.stamps, rest[i], verdict, h);
                }
        if (!rc && stamps_save(&r.stamps, r.rf.stamps)) {
            fprintf(stderr, "quizd-pack review stamp: cannot write %s\n", r.rf.stamps);
            rc = 2;
        }
        if (!rc)
            printf("stamped %d question%s %s in %s\n", n_rest, n_rest == 1 ? "" : "s", verdict, r.rf.stamps);
        reviewed_free(&r);
        return rc;
    }
    if (!strcmp(sub, "prune")) {
        size_t removed = stamps_prune(&r.stamps, p);
        if (removed && stamps_save(&r.stamps, r.rf.stamps)) {
            fprintf(stderr, "quizd-pack review prune: cannot write %s\n", r.rf.stamps);
            rc = 2;
        } else {
            printf("removed %zu stamp%s of questions no longer served from %s\n", removed,
                   removed == 1 ? "" : "s", r.rf.stamps);
        }
        reviewed_free(&r);
        return rc;
    }
    size_t shown = 0, matched = 0, n_missing = 0, n_stale = 0, n_orphaned = 0;
    for (size_t i = 0; i < p->n; i++) {
        const struct qz_question *q = &p->q[i];
        enum stamp_state s = stamps_state(&r.stamps, q);
        n_missing += s == STAMP_MISSING;
        n_stale += s == STAMP_STALE;
        if (!strcmp(sub, "check")) {
            if (s != STAMP_CURRENT)
                printf("%s %s\n", s == STAMP_MISSING ? "unstamped" : "stale", q->id);
            continue;
        }
        if ((unstamped || stale) && !((unstamped && s == STAMP_MISSING) || (stale && s == STAMP_STALE)))
            continue;
        if (category && strcmp(q->category, category))
            continue;
        if ((long)matched++ < offset || (limit >= 0 && (long)shown >= limit))
            continue;
        char h[REVIEW_HASH_HEX], st[32];
        stamp_hash(q, h);
        const struct stamp *sp = stamps_find(&r.stamps, q->id);
        snprintf(st, sizeof st, "%s%s%s", s == STAMP_STALE ? "stale (was " : "", sp ? sp->verdict : "none",
                 s == STAMP_STALE ? ")" : "");
        struct review_info ri = {r.lines ? r.lines[i] : 0, h, st};
        show_question(q, i + 1, &ri);
        shown++;
    }
    if (!strcmp(sub, "check")) {
        for (size_t i = 0; i < r.stamps.n; i++)
            if (stamp_orphaned(&r.stamps.v[i], p)) {
                printf("orphaned %s (not served: quizd-pack review prune)\n", r.stamps.v[i].id);
                n_orphaned++;
            }
        printf("%zu served, %zu stamped and current, %zu unstamped, %zu stale, %zu orphaned stamps\n", p->n,
               p->n - n_missing - n_stale, n_missing, n_stale, n_orphaned);
        rc = n_missing || n_stale || n_orphaned ? 1 : 0;
    } else {
        fprintf(stderr, "%zu of %zu matching questions shown (%zu served, %zu unstamped, %zu stale)\n", shown,
                matched, p->n, n_missing, n_stale);
    }
    reviewed_free(&r);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("quizd-pack %s\n", QZ_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "derive"))
        return cmd_derive(argc - 1, argv + 1);
    if (!strcmp(argv[1], "import"))
        return cmd_import(argc - 1, argv + 1);
    if (!strcmp(argv[1], "validate"))
        return cmd_validate(argc - 1, argv + 1);
    if (!strcmp(argv[1], "show"))
        return cmd_show(argc - 1, argv + 1);
    if (!strcmp(argv[1], "review"))
        return cmd_review(argc - 1, argv + 1);
    fprintf(stderr, "quizd-pack: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
