/* Small text utilities for derivation: a growable string, sentence
 * splitting, whole-word search and a deterministic hash for picks. */
#ifndef QZ_TEXT_H
#define QZ_TEXT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sbuf {
    char *s;
    size_t len, cap;
};

void sb_init(struct sbuf *b);
void sb_add(struct sbuf *b, const char *s);
void sb_addn(struct sbuf *b, const char *s, size_t n);
void sb_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the string (caller owns it) and resets b. */
char *sb_take(struct sbuf *b);

struct strv {
    char **v;
    size_t n, cap;
};

void sv_push(struct strv *v, const char *s);     /* copies s */
void sv_push_take(struct strv *v, char *s);      /* takes s */
bool sv_has(const struct strv *v, const char *s);
void sv_free(struct strv *v);

/* Splits prose into sentences (". " + capital etc.; e.g./i.e./vs./etc. kept). */
void split_sentences(const char *text, struct strv *out);
/* Whole-word occurrence (word chars are [A-Za-z0-9_]); returns a pointer or NULL. */
const char *find_word(const char *hay, const char *word);
size_t count_word(const char *hay, const char *word);
/* FNV-1a 32-bit of a|b, for deterministic choices. */
uint32_t fnv2(const char *a, const char *b);
/* Fills idx[0..n) with 0..n-1 ordered by fnv2(salt, strs[i]): the
 * deterministic "random" order used for every pick and shuffle. */
void hash_order(const char *salt, char *const *strs, size_t n, size_t *idx);
/* Collapses runs of white space and trims. Returns a malloc'd copy. */
char *squash_ws(const char *s);
/* Truncates at a sentence or word boundary to at most max bytes (adds "…"). */
char *clip(const char *s, size_t max);
bool is_word_char(char c);

#endif
