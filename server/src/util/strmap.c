#include "strmap.h"
#include "xmalloc.h"
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a 64 */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

void strmap_init(struct strmap *m)
{
    memset(m, 0, sizeof *m);
}

void strmap_cleanup(struct strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static void grow(struct strmap *m)
{
    struct strmap_slot *old = m->slots;
    size_t oldcap = m->cap;
    m->cap = oldcap ? oldcap * 2 : 16;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].key)
            continue;
        size_t j = hash(old[i].key) & (m->cap - 1);
        while (m->slots[j].key)
            j = (j + 1) & (m->cap - 1);
        m->slots[j] = old[i];
    }
    free(old);
}

void strmap_put(struct strmap *m, const char *key, uint32_t val)
{
    if ((m->len + 1) * 4 > m->cap * 3)
        grow(m);
    size_t j = hash(key) & (m->cap - 1);
    while (m->slots[j].key) {
        if (!strcmp(m->slots[j].key, key)) {
            m->slots[j].val = val;
            return;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->slots[j].key = xstrdup(key);
    m->slots[j].val = val;
    m->len++;
}

bool strmap_get(const struct strmap *m, const char *key, uint32_t *val)
{
    if (!m->cap)
        return false;
    size_t j = hash(key) & (m->cap - 1);
    while (m->slots[j].key) {
        if (!strcmp(m->slots[j].key, key)) {
            if (val)
                *val = m->slots[j].val;
            return true;
        }
        j = (j + 1) & (m->cap - 1);
    }
    return false;
}

void strmap_del(struct strmap *m, const char *key)
{
    if (!m->cap)
        return;
    size_t mask = m->cap - 1, j = hash(key) & mask;
    while (m->slots[j].key && strcmp(m->slots[j].key, key))
        j = (j + 1) & mask;
    if (!m->slots[j].key)
        return;
    free(m->slots[j].key);
    m->slots[j].key = NULL;
    m->len--;
    /* Backward-shift: re-place following entries of the cluster. */
    size_t i = (j + 1) & mask;
    while (m->slots[i].key) {
        struct strmap_slot s = m->slots[i];
        m->slots[i].key = NULL;
        size_t k = hash(s.key) & mask;
        while (m->slots[k].key)
            k = (k + 1) & mask;
        m->slots[k] = s;
        i = (i + 1) & mask;
    }
}
