/* The Python lexicon of a corpus: the typed terms it mentions (special
 * methods, dunder attributes, decorators, exceptions, module APIs, names
 * imported from libraries), which terms occur together, and same-type
 * distractor picks. */
#ifndef QZ_LEXICON_H
#define QZ_LEXICON_H
#include "corpus/pack.h"
#include "corpus/parse.h"
#include "corpus/text.h"
#include <stdbool.h>

enum term_class {
    LEX_DUNDER_M,      /* a special method defined somewhere: __enter__ */
    LEX_DUNDER_A,      /* any other dunder name: __slots__, __dict__ */
    LEX_DECORATOR,     /* @name or @module.name */
    LEX_EXCEPTION,     /* CapitalisedError / CapitalisedException */
    LEX_API,           /* module.name of a known standard module */
    LEX_IMPORTED,      /* a CamelCase name imported from a known library */
    LEX_NONE,
};

struct lex_occ {
    char *term;
    int *ids;          /* sentence indexes containing the term */
    size_t n;
};

/* One typed pool of the data lexicon (server/data/lexicon/pools.json). */
struct lex_pool {
    char *kind;                /* the noun a prompt uses: "special method", "decorator" */
    char *role;                /* "context manager", "class decorator", ... */
    struct strv members;
    struct strv near;          /* roles of the same kind it may borrow from */
};

/* Owns every string; free with lex_free. */
struct lexicon {
    struct lex_pool *pools;    /* from the data file; none until lex_load_pools */
    size_t n_pools;
    struct strv pairs;         /* "a\tb": partners that give each other away */
    char **members;            /* every pool member, sorted, for fast lookup (borrowed) */
    size_t n_members;
    struct strv sentences;     /* every prose sentence and code line, for co-occurrence */
    struct strv dunder_m, dunder_a, decorators, exceptions;
    struct strv api;           /* "module.name" */
    struct strv imported;      /* "library\tName" from "from library import Name" */
    struct lex_occ *occ;       /* co-occurrence cache, filled on demand */
    size_t n_occ;
};

void lex_build(struct lexicon *x, const struct corpus *c);
void lex_free(struct lexicon *x);
/* Loads the typed pools (format quizd-lexicon/1) into x. Returns 0, or
 * QZ_EIO / QZ_EINVAL with the problem in rep (x keeps no pool then). */
int lex_load_pools(struct lexicon *x, const char *path, struct report *rep);
/* The kind noun of the first pool holding t, or NULL when no pool does. */
const char *lex_kind_of(const struct lexicon *x, const char *t);
/* Appends to out every member of the first pool listing t (its role) and of
 * that pool's near roles of the same kind, t itself excluded, each once. */
void lex_typed_pool(const struct lexicon *x, const char *t, struct strv *out);
/* True when a and b are listed partners (either order). */
bool lex_are_partners(const struct lexicon *x, const char *a, const char *b);
/* True if a and b appear together in some sentence or code line of the
 * corpus (then they are likely alternatives, not wrong answers). */
bool lex_cooccur(const struct lexicon *x, const char *a, const char *b);
enum term_class lex_classify(const struct lexicon *x, const char *t);
/* Appends the same-type pool for t to pool (APIs: the same module;
 * imported names: the same library). */
void lex_pool_for(const struct lexicon *x, const char *t, enum term_class tc, struct strv *pool);
/* The first typed term occurring exactly once in s (a copy), its class in *tc. */
char *lex_first_term(const struct lexicon *x, const char *s, enum term_class *tc);
/* Picks up to `want` distractors from pool in hash order of salt, skipping
 * the answer, anything containing it or contained in it, words of context and
 * (when no_cooccur) terms seen together with the answer. Copies into out;
 * returns how many. */
int lex_pick(const struct lexicon *x, const char *salt, const char *answer, struct strv *pool,
             const char *context, bool no_cooccur, char **out, int want);

#endif
