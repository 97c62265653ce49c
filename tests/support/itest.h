/* Helpers shared by the integration tests that drive quizd over real
 * WebSockets: start it on the test packs, read typed fields, wait for a
 * message of a given type (bounded by ITEST_T). Include after test.h. */
#ifndef QZ_ITEST_H
#define QZ_ITEST_H

#include "proc.h"
#include "test.h"
#include "wsc.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#define ITEST_T proc_timeout(4000)

/* Starts quizd with --no-corpus and tests/data/packs, then `extra` (NULL or a
 * NULL-terminated list of at most 12 options). */
static inline void itest_start(struct proc *p, const char *const *extra)
{
    static char packs_arg[1024];
    const char *a[16];
    size_t n = 0;
    snprintf(packs_arg, sizeof packs_arg, "--packs=%s/tests/data/packs", getenv("QZ_SOURCE_DIR"));
    a[n++] = "--no-corpus";
    a[n++] = packs_arg;
    for (; extra && *extra && n < 15; extra++)
        a[n++] = *extra;
    a[n] = NULL;
    ASSERT_OK(proc_start_quizd(p, a, 10000));
}

static inline void itest_stop(struct proc *p)
{
    ASSERT_EQ(proc_stop(p, SIGTERM, 5000), 0);
}

/* The next message of `type` (others are skipped); fails the test after ITEST_T. */
static inline json_t *itest_expect(struct wsc *c, const char *type)
{
    json_t *o = wsc_expect(c, type, ITEST_T);
    if (!o)
        FAIL_AT("expected a '%s' message", type);
    return o;
}

static inline const char *sget(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static inline long long iget(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

#endif
