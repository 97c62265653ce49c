#include "limit.h"
#include "strmap.h"
#include "xmalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void refill(struct bucket *b, uint64_t now, unsigned burst, unsigned per_sec)
{
    if (now <= b->t_ms)
        return;   /* a clock that did not move (or went back) refills nothing */
    uint64_t add = (now - b->t_ms) * per_sec;   /* credits*1000 per ms */
    uint64_t cap = (uint64_t)burst * 1000u;
    b->milli = (uint32_t)(b->milli + add > cap ? cap : b->milli + add);
    b->t_ms = now;
}

void bucket_init(struct bucket *b, unsigned burst, uint64_t now)
{
    b->t_ms = now;
    b->milli = burst * 1000u;
}

bool bucket_take(struct bucket *b, uint64_t now, unsigned cost, unsigned burst, unsigned per_sec)
{
    refill(b, now, burst, per_sec);
    if (b->milli < cost * 1000u)
        return false;
    b->milli -= cost * 1000u;
    return true;
}

bool bucket_can(struct bucket *b, uint64_t now, unsigned cost, unsigned burst, unsigned per_sec)
{
    refill(b, now, burst, per_sec);
    return b->milli >= cost * 1000u;
}

bool bucket_is_full(const struct bucket *b, uint64_t now, unsigned burst, unsigned per_sec)
{
    struct bucket c = *b;
    refill(&c, now, burst, per_sec);
    return c.milli >= burst * 1000u;
}

bool log_gate_pass(struct log_gate *g, uint64_t now, uint64_t interval, uint64_t *dropped)
{
    if (g->next_ms && now < g->next_ms) {
        g->suppressed++;
        return false;
    }
    *dropped = g->suppressed;
    g->suppressed = 0;
    g->next_ms = now + interval;
    return true;
}

/* Entries are allocated one by one (stable pointers) and listed in `v`;
 * `idx` maps an address to its position in `v`. */
struct addrtab {
    struct strmap idx;
    struct addr_entry **v;
    size_t n, cap, max;
    struct addr_entry *overflow;   /* created when the table first fills; never swept */
};

struct addrtab *addrtab_create(size_t max)
{
    struct addrtab *t = xcalloc(1, sizeof *t);
    strmap_init(&t->idx);
    t->max = max;
    return t;
}

static struct addr_entry *entry_new(const char *addr, uint64_t now, unsigned miss_burst,
                                    unsigned qr_burst)
{
    struct addr_entry *e = xcalloc(1, sizeof *e);
    snprintf(e->addr, sizeof e->addr, "%s", addr);
    bucket_init(&e->misses, miss_burst, now);
    bucket_init(&e->qr_draws, qr_burst, now);
    return e;
}

void addrtab_destroy(struct addrtab *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i]);
    free(t->v);
    free(t->overflow);
    strmap_cleanup(&t->idx);
    free(t);
}

struct addr_entry *addrtab_find(const struct addrtab *t, const char *addr)
{
    uint32_t i;
    if (t->overflow && !strcmp(addr, t->overflow->addr))
        return t->overflow;
    return strmap_get(&t->idx, addr, &i) ? t->v[i] : NULL;
}

struct addr_entry *addrtab_get(struct addrtab *t, const char *addr, uint64_t now,
                               unsigned miss_burst, unsigned qr_burst)
{
    struct addr_entry *e = addrtab_find(t, addr);
    if (!e && t->n >= t->max) {
        if (!t->overflow)
            t->overflow = entry_new(ADDRTAB_OVERFLOW, now, miss_burst, qr_burst);
        e = t->overflow;
    }
    if (!e) {
        e = entry_new(addr, now, miss_burst, qr_burst);
        if (t->n == t->cap) {
            t->cap = t->cap ? t->cap * 2 : 64;
            t->v = xrealloc(t->v, t->cap * sizeof *t->v);
        }
        t->v[t->n] = e;
        strmap_put(&t->idx, e->addr, (uint32_t)t->n);
        t->n++;
    }
    e->touched_ms = now;
    return e;
}

size_t addrtab_sweep(struct addrtab *t, uint64_t now, uint64_t idle_ms)
{
    size_t removed = 0;
    for (size_t i = 0; i < t->n;) {
        struct addr_entry *e = t->v[i];
        if (e->conns || e->proxied || e->rooms || now < e->touched_ms + idle_ms) {
            i++;
            continue;
        }
        strmap_del(&t->idx, e->addr);
        free(e);
        t->v[i] = t->v[--t->n];   /* swap-remove: re-index the moved entry */
        if (i < t->n)
            strmap_put(&t->idx, t->v[i]->addr, (uint32_t)i);
        removed++;
    }
    return removed;
}

size_t addrtab_len(const struct addrtab *t)
{
    return t->n;
}
