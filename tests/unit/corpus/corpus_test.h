/* Helpers shared by the corpus module's unit tests: files of the source
 * tree, whole-file reads, the bundled corpus parsed or derived once. */
#ifndef QZ_CORPUS_TEST_H
#define QZ_CORPUS_TEST_H
#include "corpus/derive.h"
#include "corpus/pack.h"
#include "corpus/parse.h"
#include "test.h"
#include "util/xmalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UNUSED __attribute__((unused))

/* A path under the source tree (QZ_SOURCE_DIR); caller frees. */
static UNUSED char *src_path(const char *rel)
{
    return xasprintf("%s/%s", getenv("QZ_SOURCE_DIR"), rel);
}

/* A whole file of at most 1 MiB, NUL-terminated; caller frees. */
static UNUSED char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        FAIL_AT("cannot open %s", path);
    char *b = xmalloc(1 << 20);
    *len = fread(b, 1, (1 << 20) - 1, f);
    b[*len] = 0;
    fclose(f);
    return b;
}

/* Writes text to a fresh temporary file; returns its path (caller removes and frees). */
static UNUSED char *write_temp(const char *text)
{
    char *path = xasprintf("/tmp/quizd-test-%d-XXXXXX", (int)getpid());
    int fd = mkstemp(path);
    if (fd < 0)
        FAIL_AT("mkstemp failed");
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n)
        FAIL_AT("short write to %s", path);
    close(fd);
    return path;
}

/* The bundled corpus derived with its review files; no problem may be reported. */
static UNUSED struct qz_pack *derive_bundled(struct derive_stats *st, bool reviewed)
{
    char *c = src_path("server/data/corpus/senior-python-interview.txt");
    char *e = src_path("server/data/review/errata.txt");
    char *o = src_path("server/data/review/overrides.json");
    struct derive_paths dp = {.corpus = c, .errata = reviewed ? e : NULL, .overrides = reviewed ? o : NULL};
    struct report rep;
    report_init(&rep);
    struct qz_pack *p = derive_pack(&dp, st, &rep);
    ASSERT(p);
    if (rep.n) {
        report_print(&rep, stderr);
        FAIL_AT("derivation reported %zu problems (stale overrides?)", rep.n);
    }
    report_cleanup(&rep);
    free(c), free(e), free(o);
    return p;
}

/* Derives a small corpus given as text, without review files. */
static UNUSED struct qz_pack *derive_text(const char *text, struct derive_stats *st)
{
    char *path = write_temp(text);
    struct derive_paths dp = {.corpus = path};
    struct report rep;
    report_init(&rep);
    struct qz_pack *p = derive_pack(&dp, st, &rep);
    if (!p) {
        report_print(&rep, stderr);
        FAIL_AT("small corpus did not derive");
    }
    report_cleanup(&rep);
    remove(path);
    free(path);
    return p;
}

/* Served questions of a kind in p. */
static UNUSED size_t count_kind(const struct qz_pack *p, const char *kind)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++)
        n += !strcmp(p->q[i].kind, kind);
    return n;
}

#endif
