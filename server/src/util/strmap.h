/* Open-addressing hash map from NUL-terminated string keys (copied) to
 * uint32_t values. Used for nickname and token lookups in rooms of 10,000. */
#ifndef QZ_STRMAP_H
#define QZ_STRMAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strmap_slot {
    char *key;        /* owned; NULL = empty */
    uint32_t val;
};

struct strmap {
    struct strmap_slot *slots;
    size_t cap, len;  /* cap is a power of two */
};

void strmap_init(struct strmap *m);
void strmap_cleanup(struct strmap *m);
/* Inserts or replaces key; copies the key. */
void strmap_put(struct strmap *m, const char *key, uint32_t val);
/* Returns true and stores the value in *val (if non-NULL) when key is present. */
bool strmap_get(const struct strmap *m, const char *key, uint32_t *val);
/* Removes key if present (backward-shift deletion, no tombstones). */
void strmap_del(struct strmap *m, const char *key);

#endif
