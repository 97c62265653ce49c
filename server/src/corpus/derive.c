/* Deterministic derivation of multiple-choice questions from a parsed
 * corpus. Kinds (see protocol/PACKS.md and the study they come from):
 *   code_output, code_raises   result comments on top-level code lines
 *   code_blank                 a typed name blanked inside a code excerpt
 *   cloze                      a typed term blanked in a prose sentence
 *   define                     "Label: description" sibling lists
 *   tool                       "Label: Name (purpose); ..." enumerations
 *   version                    "(Python 3.N+)" facts
 *   order                      numbered steps of a lifecycle / pipeline
 *   complexity                 O(...) facts
 * Every candidate passes the quality gates, the errata list and the
 * reviewed overrides before it is served. No randomness: picks use FNV
 * hashes of stable strings, so ids and output are the same everywhere. */
#include "derive.h"
#include "pack.h"
#include "parse.h"
#include "repair.h"
#include "text.h"
#include "util/err.h"
#include "util/xmalloc.h"
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_PER_LINE 2
#define MAX_SNIPPET_LINES 18

struct cand {
    struct qz_question q;
    int line;                  /* source line (for caps and errata) */
    int line_end;
    const char *gate;          /* NULL = accepted */
};

struct occ {
    char *term;
    int *ids;          /* sentence indexes containing the term */
    size_t n;
};

struct ctx {
    struct corpus *c;
    struct occ *occ;   /* co-occurrence cache, filled on demand */
    size_t n_occ;
    const struct category *cat;
    const struct cquestion *cq;
    struct strv sentences;     /* every prose sentence and code line, for co-occurrence */
    struct strv dunder_m, dunder_a, decorators, exceptions;
    struct strv api;           /* "module.name" */
    struct strv imported;      /* "library\tName" from "from library import Name" */
    int *errata;
    size_t n_errata;
    struct cand *v;
    size_t n, cap;
};

/* ------------------------------------------------------------------ */
/* lexicons                                                            */

static bool is_generic_decorator(const char *d)
{
    return !strcmp(d, "@decorator") || !strcmp(d, "@my_decorator") || !strncmp(d, "@app.", 5) ||
           !strncmp(d, "@router.", 8) || !strncmp(d, "@celery", 7) || strlen(d) < 3;
}

static void scan_terms(struct ctx *x, const char *s, bool code_line)
{
    for (const char *p = s; *p; p++) {
        if (p[0] == '_' && p[1] == '_' && (p == s || !is_word_char(p[-1])) && islower((unsigned char)p[2])) {
            const char *e = p + 2;
            while (is_word_char(*e))
                e++;
            if (e - p >= 6 && e[-1] == '_' && e[-2] == '_' && e[-3] != '_') {
                char *t = xstrndup(p, (size_t)(e - p));
                bool method = code_line && strstr(s, "def ") && strstr(s, t) && e[0] == '(';
                struct strv *dst = method ? &x->dunder_m : &x->dunder_a;
                if (!sv_has(dst, t))
                    sv_push(dst, t);
                free(t);
                p = e - 1;
            }
        }
    }
    if (code_line && !strncmp(s, "from ", 5) && strstr(s, " import ")) {
        static const char *libs[] = {"fastapi", "pydantic", "django", "sqlalchemy", "starlette",
                                     "celery", "pytest", "unittest", "langchain", "openai", "typing",
                                     "httpx", "hypothesis", "rest_framework", "anthropic", "numpy",
                                     "pandas", "transformers", "sklearn", "typing_extensions", NULL};
        const char *lib = s + 5;
        size_t ll = strcspn(lib, ". ");
        for (int i = 0; libs[i]; i++) {
            if (strlen(libs[i]) != ll || strncmp(lib, libs[i], ll))
                continue;
            char *names = xstrdup(strstr(s, " import ") + 8), *save = NULL;
            for (char *t = strtok_r(names, ",() ", &save); t; t = strtok_r(NULL, ",() ", &save)) {
                bool upper = false;
                for (char *c2 = t; *c2; c2++)
                    upper |= isupper((unsigned char)*c2) != 0;
                /* Lower-case names (cache, status, select) read as English words. */
                if (!strcmp(t, "as") || strlen(t) < 4 || !isalpha((unsigned char)t[0]) || strchr(t, '#') || !upper)
                    continue;
                char *e = xasprintf("%s\t%s", libs[i], t);
                if (!sv_has(&x->imported, e))
                    sv_push_take(&x->imported, e);
                else
                    free(e);
            }
            free(names);
        }
    }
    if (code_line) {
        const char *q = s;
        while (*q == ' ')
            q++;
        if (*q == '@') {
            const char *e = q + 1;
            while (is_word_char(*e) || *e == '.')
                e++;
            char *t = xstrndup(q, (size_t)(e - q));
            if (!is_generic_decorator(t) && !sv_has(&x->decorators, t))
                sv_push(&x->decorators, t);
            free(t);
        }
    }
    /* Exceptions: CapitalisedError / CapitalisedException. */
    for (const char *p = s; *p; p++) {
        if (isupper((unsigned char)*p) && (p == s || !is_word_char(p[-1]))) {
            const char *e = p;
            while (is_word_char(*e))
                e++;
            size_t n = (size_t)(e - p);
            if (n > 5 && n < 40 && ((n > 5 && !strncmp(e - 5, "Error", 5)) || (n > 9 && !strncmp(e - 9, "Exception", 9)))) {
                char *t = xstrndup(p, n);
                if (!strncmp(t, "Some", 4) || !strncmp(t, "My", 2) || !strncmp(t, "Custom", 6))
                    ;   /* placeholders in examples, not real exceptions */
                else if (!sv_has(&x->exceptions, t))
                    sv_push(&x->exceptions, t);
                free(t);
            }
            p = e > p ? e - 1 : p;
        }
    }
    /* Module APIs. */
    static const char *mods[] = {"asyncio", "functools", "itertools", "collections", "typing",
                                 "contextlib", "dataclasses", "operator", "weakref", "heapq",
                                 "bisect", "threading", "copy", "inspect", NULL};
    for (int m = 0; mods[m]; m++) {
        size_t ml = strlen(mods[m]);
        for (const char *p = s; (p = strstr(p, mods[m])); p += ml) {
            if ((p > s && (is_word_char(p[-1]) || p[-1] == '.')) || p[ml] != '.' || !isalpha((unsigned char)p[ml + 1]))
                continue;
            const char *e = p + ml + 1;
            while (is_word_char(*e))
                e++;
            char *t = xstrndup(p, (size_t)(e - p));
            if (!sv_has(&x->api, t))
                sv_push(&x->api, t);
            free(t);
        }
    }
}

static void build_lexicons(struct ctx *x)
{
    for (size_t k = 0; k < x->c->n_cats; k++)
        for (size_t i = 0; i < x->c->cats[k].n_qs; i++) {
            const struct cquestion *q = &x->c->cats[k].qs[i];
            for (size_t b = 0; b < q->n_blocks; b++) {
                const struct block *bl = &q->blocks[b];
                if (bl->kind == BLK_CODE) {
                    char *copy = xstrdup(bl->text);
                    for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
                        scan_terms(x, line, true);
                        sv_push(&x->sentences, line);
                    }
                    free(copy);
                } else {
                    scan_terms(x, bl->text, false);
                    split_sentences(bl->text, &x->sentences);
                }
            }
        }
}

/* True if a and b appear together in some sentence or code line of the corpus
 * (then they are likely alternatives, not wrong answers). */
static const struct occ *occ_of(const struct ctx *cx, const char *t)
{
    struct ctx *x = (struct ctx *)cx;   /* the cache is filled lazily */
    for (size_t i = 0; i < x->n_occ; i++)
        if (!strcmp(x->occ[i].term, t))
            return &x->occ[i];
    x->occ = xrealloc(x->occ, (x->n_occ + 1) * sizeof *x->occ);
    struct occ *o = &x->occ[x->n_occ++];
    o->term = xstrdup(t);
    o->ids = NULL;
    o->n = 0;
    for (size_t i = 0; i < x->sentences.n; i++)
        if (strstr(x->sentences.v[i], t) && find_word(x->sentences.v[i], t)) {
            o->ids = xrealloc(o->ids, (o->n + 1) * sizeof *o->ids);
            o->ids[o->n++] = (int)i;
        }
    return o;
}

static bool cooccur(const struct ctx *x, const char *a, const char *b)
{
    occ_of(x, a);   /* fill both first: a second fill may move the array */
    occ_of(x, b);
    const struct occ *oa = occ_of(x, a), *ob = occ_of(x, b);
    for (size_t i = 0, j = 0; i < oa->n && j < ob->n;) {
        if (oa->ids[i] == ob->ids[j])
            return true;
        if (oa->ids[i] < ob->ids[j])
            i++;
        else
            j++;
    }
    return false;
}

/* ------------------------------------------------------------------ */
/* candidates                                                          */

static struct cand *new_cand(struct ctx *x, const char *kind, int line, int line_end)
{
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 256;
        x->v = xrealloc(x->v, x->cap * sizeof *x->v);
    }
    struct cand *c = &x->v[x->n++];
    memset(c, 0, sizeof *c);
    int ord = 1;
    for (size_t i = 0; i + 1 < x->n; i++)
        if (x->v[i].q.source.number == x->cq->number && !strcmp(x->v[i].q.kind, kind) &&
            !strcmp(x->v[i].q.category, x->cat->name))
            ord++;
    c->q.id = xasprintf("%s-c%02d-q%02d-%02d", kind, x->cat->index, x->cq->number, ord);
    c->q.kind = xstrdup(kind);
    c->q.category = xstrdup(x->cat->name);
    c->q.source.category = xstrdup(x->cat->name);
    c->q.source.number = x->cq->number;
    c->q.source.title = xstrdup(x->cq->title);
    c->q.difficulty = 2;
    c->line = line;
    c->line_end = line_end ? line_end : line;
    return c;
}

/* Fills idx[0..n) with 0..n-1 ordered by fnv2(salt, strs[i]): the
 * deterministic "random" order used for every pick and shuffle. */
static void hash_order(const char *salt, char *const *strs, size_t n, size_t *idx)
{
    uint32_t *key = xmalloc((n ? n : 1) * sizeof *key);
    for (size_t i = 0; i < n; i++) {
        key[i] = fnv2(salt, strs[i]);
        idx[i] = i;
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && key[idx[j]] < key[idx[j - 1]]; j--) {
            size_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    free(key);
}

/* Sets options: correct first in `opts`, then shuffled deterministically. */
static void set_options(struct cand *c, char **opts, int n)
{
    size_t order[QZ_MAX_OPTIONS];
    hash_order(c->q.id, opts, (size_t)n, order);
    c->q.n_options = n;
    for (int i = 0; i < n; i++) {
        c->q.options[i] = opts[order[i]];
        if (order[i] == 0)
            c->q.correct = i;
    }
}

/* Sets options in the given order (a scale: versions, complexities). */
static void set_options_in_order(struct cand *c, char **opts, int n, int correct)
{
    c->q.n_options = n;
    for (int i = 0; i < n; i++)
        c->q.options[i] = opts[i];
    c->q.correct = correct;
}

/* Picks up to `want` distractors from pool (hash order), skipping excluded ones. */
static int pick(const struct ctx *x, const char *salt, const char *answer, struct strv *pool,
                const char *context, bool no_cooccur, char **out, int want)
{
    int got = 0;
    size_t n = pool->n;
    size_t *idx = xmalloc((n ? n : 1) * sizeof *idx);
    hash_order(salt, pool->v, n, idx);
    for (size_t k = 0; k < n && got < want; k++) {
        const char *d = pool->v[idx[k]];
        if (!strcasecmp(d, answer) || strstr(d, answer) || strstr(answer, d))
            continue;
        if (context && find_word(context, d))
            continue;
        if (no_cooccur && cooccur(x, answer, d))
            continue;
        bool dup = false;
        for (int i = 0; i < got; i++)
            dup |= !strcasecmp(out[i], d);
        if (!dup)
            out[got++] = xstrdup(d);
    }
    free(idx);
    return got;
}

static char *first_sentence(const struct block *bl)
{
    struct strv s = {0};
    split_sentences(bl->text, &s);
    char *r = xstrdup(s.n ? s.v[0] : "");
    sv_free(&s);
    return r;
}

/* First sentence of the next prose block after block index b (or ""). */
static char *next_prose_sentence(const struct cquestion *q, size_t b)
{
    for (size_t i = b + 1; i < q->n_blocks; i++)
        if (q->blocks[i].kind == BLK_PROSE)
            return first_sentence(&q->blocks[i]);
    return xstrdup("");
}

/* ------------------------------------------------------------------ */
/* code results                                                        */

/* Index of a '#' starting a comment (outside strings), or -1. */
static long comment_at(const char *s)
{
    char q = 0;
    for (const char *p = s; *p; p++) {
        if (q) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == q)
                q = 0;
        } else if (*p == '"' || *p == '\'') {
            q = *p;
        } else if (*p == '#') {
            return p - s;
        }
    }
    return -1;
}

static char *rtrim_dup(const char *s, size_t n)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return xstrndup(s, n);
}

/* A tiny Python literal recogniser: returns the end of the literal at s or NULL. */
static const char *lit_end(const char *s, int depth)
{
    while (*s == ' ')
        s++;
    if (depth > 6)
        return NULL;
    if (*s == '"' || *s == '\'') {
        char q = *s;
        for (const char *p = s + 1; *p; p++) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == q)
                return p + 1;
        }
        return NULL;
    }
    if (*s == '-' || isdigit((unsigned char)*s)) {
        const char *p = s + (*s == '-');
        if (!isdigit((unsigned char)*p))
            return NULL;
        while (isdigit((unsigned char)*p) || *p == '.' || *p == '_' || *p == 'e')
            p++;
        return p;
    }
    static const char *kw[] = {"True", "False", "None"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(kw[i]);
        if (!strncmp(s, kw[i], n) && !is_word_char(s[n]))
            return s + n;
    }
    if (*s == '[' || *s == '(' || *s == '{') {
        char close = *s == '[' ? ']' : *s == '(' ? ')' : '}';
        const char *p = s + 1;
        while (*p == ' ')
            p++;
        if (*p == close)
            return p + 1;
        for (;;) {
            p = lit_end(p, depth + 1);
            if (!p)
                return NULL;
            while (*p == ' ')
                p++;
            if (close == '}' && *p == ':') {
                p = lit_end(p + 1, depth + 1);
                if (!p)
                    return NULL;
                while (*p == ' ')
                    p++;
            }
            if (*p == ',') {
                p++;
                while (*p == ' ')
                    p++;
                if (*p == close)
                    return p + 1;
                continue;
            }
            if (*p == close)
                return p + 1;
            return NULL;
        }
    }
    return NULL;
}

static const char *EXC_FAMILY[][3] = {
    {"AttributeError", "NameError", "TypeError"},  {"TypeError", "ValueError", "AttributeError"},
    {"ValueError", "TypeError", "KeyError"},       {"KeyError", "IndexError", "ValueError"},
    {"IndexError", "KeyError", "ValueError"},      {"NameError", "AttributeError", "UnboundLocalError"},
    {"RuntimeError", "TypeError", "ValueError"},   {"UnboundLocalError", "NameError", "TypeError"},
    {"StopIteration", "RuntimeError", "ValueError"}, {"FrozenInstanceError", "AttributeError", "TypeError"},
    {"RecursionError", "RuntimeError", "MemoryError"}, {"ZeroDivisionError", "ValueError", "ArithmeticError"},
};

static const char *hedges[] = {"implementation", "not guaranteed", "often", "typically", "~",
                               " or ", "e.g", "usually", "may ", "might", "depends", "CPython",
                               "intern", "cached", "approx", "varies", "...", "β", NULL};

struct stmt {
    int first, last;   /* line indexes in the block */
};

static void idents(const char *s, struct strv *out, bool skip_attrs)
{
    char q = 0;
    for (const char *p = s; *p; p++) {
        if (q) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == q)
                q = 0;
            continue;
        }
        if (*p == '"' || *p == '\'') {
            q = *p;
            continue;
        }
        if (*p == '#')
            break;
        if ((isalpha((unsigned char)*p) || *p == '_') && (p == s || !is_word_char(p[-1]))) {
            const char *e = p;
            while (is_word_char(*e))
                e++;
            bool attr = p > s && p[-1] == '.';
            if (!(skip_attrs && attr)) {
                char *t = xstrndup(p, (size_t)(e - p));
                if (!sv_has(out, t))
                    sv_push_take(out, t);
                else
                    free(t);
            }
            p = e - 1;
        }
    }
}

/* Names a statement's first line defines. */
static void defines(const char *line, struct strv *out)
{
    const char *s = line;
    if (!strncmp(s, "def ", 4) || !strncmp(s, "class ", 6) || !strncmp(s, "async def ", 10)) {
        s = strchr(s, ' ') + 1;
        if (!strncmp(s, "def ", 4))
            s += 4;
        const char *e = s;
        while (is_word_char(*e))
            e++;
        sv_push_take(out, xstrndup(s, (size_t)(e - s)));
        return;
    }
    if (!strncmp(s, "import ", 7) || !strncmp(s, "from ", 5)) {
        const char *imp = !strncmp(s, "from ", 5) ? strstr(s, " import ") : s;
        if (!imp)
            return;
        imp += !strncmp(s, "from ", 5) ? 8 : 7;
        char *copy = xstrdup(imp), *save = NULL;
        for (char *t = strtok_r(copy, ",()", &save); t; t = strtok_r(NULL, ",()", &save)) {
            while (*t == ' ')
                t++;
            char *as = strstr(t, " as ");
            char *name = as ? as + 4 : t;
            while (*name == ' ')
                name++;
            size_t n = 0;
            while (is_word_char(name[n]) || (!as && name[n] == '.'))
                n++;
            char *nm = xstrndup(name, n);
            char *dot = strchr(nm, '.');
            if (dot)
                *dot = 0;   /* "import a.b" binds a */
            if (*nm)
                sv_push_take(out, nm);
            else
                free(nm);
        }
        free(copy);
        return;
    }
    if (!strncmp(s, "for ", 4) || !strncmp(s, "with ", 5)) {
        const char *k = !strncmp(s, "for ", 4) ? s + 4 : strstr(s, " as ");
        if (!k)
            return;
        if (*k == ' ')
            k += 4;
        struct strv tmp = {0};
        const char *in = strstr(k, " in ");
        char *part = xstrndup(k, in ? (size_t)(in - k) : strcspn(k, ":"));
        idents(part, &tmp, true);
        for (size_t i = 0; i < tmp.n; i++)
            sv_push(out, tmp.v[i]);
        sv_free(&tmp);
        free(part);
        return;
    }
    /* Assignment: targets left of the first top-level '=' that is not a comparison. */
    int depth = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '(' || *p == '[' || *p == '{')
            depth++;
        else if (*p == ')' || *p == ']' || *p == '}')
            depth--;
        else if (*p == '#' || *p == '"' || *p == '\'')
            break;
        else if (*p == '=' && depth == 0 && p[1] != '=' && p > s && !strchr("=!<>+-*/%&|^:", p[-1])) {
            char *lhs = xstrndup(s, (size_t)(p - s));
            if (!strchr(lhs, '.') && !strchr(lhs, '[')) {
                struct strv tmp = {0};
                char *colon = strchr(lhs, ':');   /* annotated: "x: int = 1" */
                if (colon)
                    *colon = 0;
                idents(lhs, &tmp, true);
                for (size_t i = 0; i < tmp.n; i++)
                    sv_push(out, tmp.v[i]);
                sv_free(&tmp);
            }
            free(lhs);
            return;
        }
        else if (*p == '+' && p[1] == '=' && depth == 0)
            return;
    }
}

static bool is_builtin(const char *n)
{
    static const char *b[] = {
        "print", "len", "range", "list", "dict", "set", "tuple", "str", "int", "float", "bool",
        "None", "True", "False", "isinstance", "type", "object", "super", "sum", "min", "max",
        "sorted", "reversed", "enumerate", "zip", "map", "filter", "any", "all", "id", "hash",
        "repr", "abs", "round", "iter", "next", "getattr", "setattr", "hasattr", "callable",
        "frozenset", "bytes", "bytearray", "property", "staticmethod", "classmethod", "vars",
        "dir", "self", "cls", "lambda", "if", "else", "for", "in", "not", "and", "or", "is",
        "return", "def", "class", "import", "from", "as", "with", "yield", "await", "async",
        "pass", "raise", "try", "except", "finally", "while", "del", "global", "nonlocal",
        "assert", "elif", "break", "continue", "Exception", "ValueError", "TypeError",
        "KeyError", "AttributeError", "RuntimeError", "StopIteration", "NotImplementedError",
        "IndexError", "NameError", "ZeroDivisionError", "kwargs", "args", "complex", "divmod",
        "pow", "ord", "chr", "open", "format", "slice", "memoryview", "issubclass", "match",
        "case", "_", "__name__", "__init__", "__class__", "NotImplemented", "Ellipsis", NULL};
    for (int i = 0; b[i]; i++)
        if (!strcmp(b[i], n))
            return true;
    return false;
}

/* Builds a minimal snippet for target line t of block lines[]: the last
 * definitions of the names it needs (transitively), and later statements
 * that mutate them. Returns NULL when a name stays unresolved. */
static char *minimal_snippet(char **lines, int n_lines, int t, int *n_out)
{
    /* Split top-level statements (decorators attach to what follows; open
     * brackets continue a statement). */
    struct stmt st[256];
    int ns = 0, depth = 0;
    for (int i = 0; i < t && ns < 255; i++) {
        const char *l = lines[i];
        bool top = l[0] != ' ' && l[0] != '\t' && l[0] && l[0] != '#' && l[0] != ')' && l[0] != ']' &&
                   l[0] != '}' && depth == 0;
        if (top && !(ns > 0 && lines[st[ns - 1].first][0] == '@' && st[ns - 1].last == i - 1))
            st[ns++] = (struct stmt){i, i};
        else if (ns > 0 && l[0] != '#')
            st[ns - 1].last = i;
        long c = comment_at(l);
        for (long k = 0; l[k] && (c < 0 || k < c); k++) {
            if (strchr("([{", l[k]))
                depth++;
            else if (strchr(")]}", l[k]) && depth > 0)
                depth--;
        }
    }
    bool *keep = xcalloc((size_t)ns + 1, sizeof *keep);
    struct strv need = {0}, have = {0};
    struct strv *defs = xcalloc((size_t)ns + 1, sizeof *defs);
    for (int s = 0; s < ns; s++) {
        const char *defl = lines[st[s].first];
        if (defl[0] == '@')   /* decorated: the def/class line follows */
            for (int i = st[s].first; i <= st[s].last; i++)
                if (lines[i][0] != '@') {
                    defl = lines[i];
                    break;
                }
        defines(defl, &defs[s]);
    }
    idents(lines[t], &need, true);
    /* To a fixpoint: keep the latest definition of every needed name, and
     * statements after it that use the name without defining anything (a
     * mutation "x.append(1)", or a call that changes hidden state "f(1)"). */
    for (bool changed = true; changed;) {
        changed = false;
        for (int s = ns - 1; s >= 0; s--) {
            if (keep[s])
                continue;
            bool include = false;
            for (size_t k = 0; k < defs[s].n && !include; k++) {
                if (!sv_has(&need, defs[s].v[k]))
                    continue;
                bool later = false;
                for (int s2 = s + 1; s2 < ns && !later; s2++)
                    later = keep[s2] && sv_has(&defs[s2], defs[s].v[k]);
                include = !later;
            }
            if (!include && defs[s].n == 0 && !strstr(lines[st[s].first], "Error")) {
                struct strv ids = {0};
                idents(lines[st[s].first], &ids, true);
                for (size_t k = 0; k < ids.n && !include; k++) {
                    if (!sv_has(&need, ids.v[k]) || is_builtin(ids.v[k]))
                        continue;
                    /* only after the kept definition of that name */
                    for (int s2 = 0; s2 < s && !include; s2++)
                        include = keep[s2] && sv_has(&defs[s2], ids.v[k]);
                }
                sv_free(&ids);
            }
            if (!include)
                continue;
            keep[s] = changed = true;
            for (size_t k = 0; k < defs[s].n; k++)
                if (!sv_has(&have, defs[s].v[k]))
                    sv_push(&have, defs[s].v[k]);
            for (int i = st[s].first; i <= st[s].last; i++) {
                struct strv ids = {0};
                idents(lines[i], &ids, true);
                for (size_t k = 0; k < ids.n; k++)
                    if (!sv_has(&need, ids.v[k]))
                        sv_push(&need, ids.v[k]);
                sv_free(&ids);
            }
        }
    }
    for (int s = 0; s < ns; s++)
        sv_free(&defs[s]);
    free(defs);
    /* Every needed name must be defined in the snippet, a parameter/local of an
     * included def (approximated by appearing in an included def's lines), or
     * a builtin. */
    bool ok = true;
    struct strv local = {0};
    for (int s = 0; s < ns; s++)
        if (keep[s])
            for (int i = st[s].first; i <= st[s].last; i++)
                if (lines[i][0] == ' ' || !strncmp(lines[i], "def ", 4) || !strncmp(lines[i], "class ", 6) ||
                    !strncmp(lines[i], "async def", 9) || lines[i][0] == '@' || strstr(lines[i], "lambda") ||
                    strstr(lines[i], " for "))
                    idents(lines[i], &local, true);
    struct strv tgt = {0};
    idents(lines[t], &tgt, true);
    for (size_t k = 0; k < tgt.n && ok; k++)
        if (!sv_has(&have, tgt.v[k]) && !is_builtin(tgt.v[k]) && !sv_has(&local, tgt.v[k]))
            ok = false;
    for (size_t k = 0; k < need.n && ok; k++)
        if (!sv_has(&have, need.v[k]) && !is_builtin(need.v[k]) && !sv_has(&local, need.v[k]))
            ok = false;
    sv_free(&tgt);
    sv_free(&local);
    struct sbuf b;
    sb_init(&b);
    int count = 0;
    for (int s = 0; s < ns && ok; s++) {
        if (!keep[s])
            continue;
        for (int i = st[s].first; i <= st[s].last; i++) {
            long c = comment_at(lines[i]);
            char *l = rtrim_dup(lines[i], c >= 0 ? (size_t)c : strlen(lines[i]));
            bool empty = true;
            for (char *p = l; *p; p++)
                empty &= *p == ' ';
            if (!empty) {
                sb_add(&b, l);
                sb_add(&b, "\n");
                count++;
            }
            free(l);
        }
    }
    free(keep);
    sv_free(&need);
    sv_free(&have);
    if (!ok) {
        free(b.s);
        return NULL;
    }
    *n_out = count;
    return sb_take(&b);
}

static bool forbidden_target(const char *line)
{
    static const char *bad[] = {"getrefcount", "get_threshold", "id(", "co_consts", "getsizeof",
                                "sizeof", "time.", "random", "threading", "multiprocessing",
                                "asyncio", "await ", "input(", "open(", "requests.", "os.",
                                "mock", "Mock", "patch", "dis.", "gc.", "hash(", NULL};
    for (int i = 0; bad[i]; i++)
        if (strstr(line, bad[i]))
            return true;
    return false;
}

/* Plausible wrong results of the same type as `lit`. Returns how many. */
static int value_distractors(const char *lit, const char *snippet, char **out)
{
    int got = 0;
    struct strv cand = {0};
    char buf[1200];
    if (isdigit((unsigned char)lit[0]) || (lit[0] == '-' && isdigit((unsigned char)lit[1]))) {
        if (strchr(lit, '.') || strchr(lit, 'e'))
            return 0;
        long long n = atoll(lit);
        long long alt[] = {n + 1, n - 1, n * 2, n + 2, 0, n - 2, n * 3};
        for (int i = 0; i < 7; i++)
            if (alt[i] != n) {
                snprintf(buf, sizeof buf, "%lld", alt[i]);
                if (!sv_has(&cand, buf))
                    sv_push(&cand, buf);
            }
    } else if (lit[0] == '"' || lit[0] == '\'') {
        size_t n = strlen(lit);
        char *inner = xstrndup(lit + 1, n - 2);
        char q = lit[0];
        char v[4][256];
        snprintf(v[0], sizeof v[0], "%s", inner);
        for (char *p = v[0]; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        snprintf(v[1], sizeof v[1], "%s", inner);
        for (char *p = v[1]; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        snprintf(v[2], sizeof v[2], "%s", inner);
        for (char *p = v[2], prev = ' '; *p; prev = *p, p++)
            *p = (char)(prev == ' ' ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
        size_t il = strlen(inner);
        for (size_t i = 0; i < il && i < 255; i++)
            v[3][i] = inner[il - 1 - i];
        v[3][il < 255 ? il : 255] = 0;
        /* Other string literals of the snippet first: the natural traps. */
        for (const char *p = snippet; *p; p++) {
            if (*p != '"' && *p != '\'')
                continue;
            const char *e = lit_end(p, 0);
            if (!e)
                break;
            snprintf(buf, sizeof buf, "%c%.*s%c", q, (int)(e - p - 2), p + 1, q);
            if (e - p > 2 && strcmp(buf, lit) && !sv_has(&cand, buf))
                sv_push(&cand, buf);
            p = e - 1;
        }
        for (int i = 0; i < 4; i++) {
            snprintf(buf, sizeof buf, "%c%s%c", q, v[i], q);
            if (strcmp(buf, lit) && !sv_has(&cand, buf) && strlen(v[i]) > 0)
                sv_push(&cand, buf);
        }
        free(inner);
    } else if (lit[0] == '[' || lit[0] == '(') {
        /* Split top-level elements. */
        struct strv el = {0};
        char open = lit[0], close = open == '[' ? ']' : ')';
        const char *p = lit + 1;
        while (*p && *p != close) {
            const char *e = lit_end(p, 0);
            if (!e)
                break;
            while (*p == ' ')
                p++;
            sv_push_take(&el, xstrndup(p, (size_t)(e - p)));
            p = e;
            while (*p == ' ' || *p == ',')
                p++;
        }
        if (el.n >= 2 || (el.n == 1 && open == '[')) {
            struct sbuf b;
            /* variants: drop last, drop first, reversed, duplicate last, append first */
            for (int var = 0; var < 5; var++) {
                sb_init(&b);
                sb_addn(&b, &open, 1);
                size_t cnt = 0;
                for (size_t i = 0; i < el.n + 1; i++) {
                    const char *item = NULL;
                    if (var == 0 && i < el.n - 1)
                        item = el.v[i];
                    else if (var == 1 && i >= 1 && i < el.n)
                        item = el.v[i];
                    else if (var == 2 && i < el.n)
                        item = el.v[el.n - 1 - i];
                    else if (var == 3)
                        item = i < el.n ? el.v[i] : el.v[el.n - 1];
                    else if (var == 4)
                        item = i < el.n ? el.v[i] : el.v[0];
                    if (!item)
                        continue;
                    if (cnt++)
                        sb_add(&b, strstr(lit, ", ") ? ", " : ",");
                    sb_add(&b, item);
                }
                if (open == '(' && cnt == 1)
                    sb_add(&b, ",");
                sb_addn(&b, &close, 1);
                char *s = sb_take(&b);
                if (strcmp(s, lit) && !sv_has(&cand, s) && cnt > 0)
                    sv_push_take(&cand, s);
                else
                    free(s);
            }
        }
        sv_free(&el);
    }
    for (size_t i = 0; i < cand.n && got < 3; i++)
        out[got++] = xstrdup(cand.v[i]);
    sv_free(&cand);
    return got;
}

static void derive_code_results(struct ctx *x, size_t bi)
{
    const struct block *bl = &x->cq->blocks[bi];
    char *copy = xstrdup(bl->text);
    char *lines[400];
    int n = 0;
    for (char *p = copy, *e; p && n < 400; p = e ? e + 1 : NULL) {
        e = strchr(p, '\n');
        if (e)
            *e = 0;
        lines[n++] = p;
    }
    for (int t = 0; t < n; t++) {
        const char *l = lines[t];
        if (l[0] == ' ' || l[0] == '#' || !l[0])
            continue;
        long c = comment_at(l);
        if (c <= 0)
            continue;
        char *expr = rtrim_dup(l, (size_t)c);
        const char *com = l + c + 1;
        while (*com == ' ')
            com++;
        bool hedged = false;
        for (int h = 0; hedges[h]; h++)
            hedged |= strstr(com, hedges[h]) != NULL;
        bool assign = false;
        char target[64] = "";
        {
            struct strv d = {0};
            defines(expr, &d);
            if (d.n == 1 && strncmp(expr, "def", 3) && strncmp(expr, "for", 3) && strncmp(expr, "import", 6) &&
                strncmp(expr, "from", 4) && strncmp(expr, "with", 4) && strncmp(expr, "class", 5)) {
                assign = true;
                snprintf(target, sizeof target, "%s", d.v[0]);
            } else if (d.n) {
                hedged = true;
            }
            sv_free(&d);
        }
        bool print = !strncmp(expr, "print(", 6);
        if (hedged || forbidden_target(expr) || strlen(expr) < 3) {
            free(expr);
            continue;
        }
        /* Exception results: "TypeError", "raises TypeError", "AttributeError!" */
        const char *exc = NULL;
        for (size_t k = 0; k < sizeof EXC_FAMILY / sizeof EXC_FAMILY[0]; k++) {
            const char *e = EXC_FAMILY[k][0];
            size_t el = strlen(e);
            const char *pos = strstr(com, e);
            if (pos && (pos == com || !strncasecmp(com, "raises ", 7) || !strncmp(com, "→ ", 4)) &&
                !is_word_char(pos[el]))
                exc = e;
        }
        const char *end = exc ? NULL : lit_end(com, 0);
        if (!exc && !end) {
            free(expr);
            continue;
        }
        char *lit = exc ? xstrdup(exc) : rtrim_dup(com, (size_t)(end - com));
        if (!exc && (!strcmp(lit, "None") || lit[0] == '{')) {
            free(lit);
            free(expr);
            continue;
        }
        /* What follows the literal must be a separator, not more result text. */
        const char *rest = exc ? com + strlen(com) : end;
        while (*rest == ' ')
            rest++;
        if (!exc && *rest && strncmp(rest, "\xE2\x80\x94", 3) && strncmp(rest, "\xE2\x86\x90", 3) &&
            strncmp(rest, "-", 1) && strncmp(rest, "(", 1) && strncmp(rest, "#", 1)) {
            free(lit);
            free(expr);
            continue;
        }
        int sn = 0;
        char *ctx = minimal_snippet(lines, n, t, &sn);
        if (!ctx || sn + 1 > MAX_SNIPPET_LINES) {
            free(ctx);
            free(lit);
            free(expr);
            continue;
        }
        char *code = xasprintf("%s%s  # ?", ctx, expr);
        /* A result already visible in the snippet with a bare attribute target is trivial. */
        bool trivial = sn == 0 && !strchr(expr, '(');
        char *opts[QZ_MAX_OPTIONS] = {0};
        int nd = 0;
        if (exc) {
            opts[0] = xasprintf("Raises %s", exc);
            for (size_t k = 0; k < sizeof EXC_FAMILY / sizeof EXC_FAMILY[0]; k++)
                if (!strcmp(EXC_FAMILY[k][0], exc)) {
                    opts[1] = xstrdup("Runs without error");
                    opts[2] = xasprintf("Raises %s", EXC_FAMILY[k][1]);
                    opts[3] = xasprintf("Raises %s", EXC_FAMILY[k][2]);
                    nd = 3;
                }
        } else if (!strcmp(lit, "True") || !strcmp(lit, "False")) {
            opts[0] = xstrdup(lit);
            opts[1] = xstrdup(!strcmp(lit, "True") ? "False" : "True");
            nd = 1;
        } else {
            opts[0] = xstrdup(lit);
            char *pr = NULL;
            if (print && (lit[0] == '"' || lit[0] == '\'')) {
                /* print shows the text without quotes */
                pr = xstrndup(lit + 1, strlen(lit) - 2);
                free(opts[0]);
                opts[0] = pr;
            }
            char *d[3];
            nd = value_distractors(lit, ctx, d);
            for (int i = 0; i < nd; i++) {
                if (print && (d[i][0] == '"' || d[i][0] == '\'')) {
                    char *u = xstrndup(d[i] + 1, strlen(d[i]) - 2);
                    free(d[i]);
                    d[i] = u;
                }
                opts[i + 1] = d[i];
            }
        }
        if (nd < 1 || trivial) {
            for (int i = 0; i <= nd; i++)
                free(opts[i]);
            free(code), free(ctx), free(lit), free(expr);
            continue;
        }
        struct cand *cd = new_cand(x, exc ? "code_raises" : "code_output", bl->line_start + t,
                                   bl->line_start + t);
        cd->q.code = code;
        if (exc)
            cd->q.prompt = xstrdup("What happens when the line marked “# ?” runs?");
        else if (print)
            cd->q.prompt = xstrdup("What does the line marked “# ?” print?");
        else if (assign)
            cd->q.prompt = xasprintf("What is the value of %s after the line marked “# ?” runs?", target);
        else
            cd->q.prompt = xstrdup("What does the expression marked “# ?” evaluate to?");
        set_options(cd, opts, nd + 1);
        char *why = squash_ws(com);
        char *next = NULL;
        for (size_t pb = bi; pb-- > 0 && !next;)
            if (x->cq->blocks[pb].kind == BLK_PROSE)
                next = first_sentence(&x->cq->blocks[pb]);
        if (!next)
            next = next_prose_sentence(x->cq, bi);
        size_t wl = strlen(why);
        char *ex = xasprintf("Result: %s%s%s%s", why, wl && strchr(".!?", why[wl - 1]) ? "" : ".",
                             next[0] ? " " : "", next);
        cd->q.explanation = clip(ex, 600);
        free(ex), free(why), free(next);
        cd->q.difficulty = sn >= 8 ? 3 : 2;
        free(ctx), free(lit), free(expr);
    }
    free(copy);
}

/* ------------------------------------------------------------------ */
/* typed terms: cloze in prose and blanks in code                      */

enum term_class { TC_DUNDER_M, TC_DUNDER_A, TC_DECORATOR, TC_EXCEPTION, TC_API, TC_IMPORTED, TC_NONE };

static enum term_class classify(const struct ctx *x, const char *t)
{
    if (sv_has(&x->dunder_m, t))
        return TC_DUNDER_M;
    if (sv_has(&x->dunder_a, t))
        return TC_DUNDER_A;
    if (sv_has(&x->decorators, t))
        return TC_DECORATOR;
    if (sv_has(&x->exceptions, t))
        return TC_EXCEPTION;
    if (sv_has(&x->api, t))
        return TC_API;
    for (size_t i = 0; i < x->imported.n; i++) {
        const char *tab = strchr(x->imported.v[i], '\t');
        if (tab && !strcmp(tab + 1, t))
            return TC_IMPORTED;
    }
    return TC_NONE;
}

/* Same-type pool for a term (APIs: the same module first). */
static void pool_for(const struct ctx *x, const char *t, enum term_class tc, struct strv *pool)
{
    const struct strv *src = tc == TC_DUNDER_M   ? &x->dunder_m
                             : tc == TC_DUNDER_A ? &x->dunder_a
                             : tc == TC_DECORATOR ? &x->decorators
                             : tc == TC_EXCEPTION ? &x->exceptions
                                                  : &x->api;
    if (tc == TC_IMPORTED) {
        const char *lib = NULL;
        size_t ll = 0;
        for (size_t i = 0; i < x->imported.n && !lib; i++) {
            const char *tab = strchr(x->imported.v[i], '\t');
            if (!strcmp(tab + 1, t)) {
                lib = x->imported.v[i];
                ll = (size_t)(tab - lib);
            }
        }
        for (size_t i = 0; lib && i < x->imported.n; i++)
            if (!strncmp(x->imported.v[i], lib, ll + 1))
                sv_push(pool, x->imported.v[i] + ll + 1);
        return;
    }
    if (tc == TC_API) {
        const char *dot = strchr(t, '.');
        size_t ml = dot ? (size_t)(dot - t) + 1 : 0;
        for (size_t i = 0; i < src->n; i++)
            if (!strncmp(src->v[i], t, ml))
                sv_push(pool, src->v[i]);
        return;
    }
    for (size_t i = 0; i < src->n; i++)
        sv_push(pool, src->v[i]);
}

/* Finds the first typed term in s occurring exactly once; returns a copy. */
static char *first_term(const struct ctx *x, const char *s, enum term_class *tc)
{
    for (const char *p = s; *p; p++) {
        if (p > s && is_word_char(p[-1]))
            continue;
        if (!(isalpha((unsigned char)*p) || *p == '_' || *p == '@'))
            continue;
        const char *e = p + (*p == '@');
        while (is_word_char(*e) || (*e == '.' && is_word_char(e[1])))
            e++;
        char *t = xstrndup(p, (size_t)(e - p));
        enum term_class c = classify(x, t);
        if (c != TC_NONE && count_word(s, t) == 1) {
            *tc = c;
            return t;
        }
        free(t);
        p = e > p ? e - 1 : p;
    }
    return NULL;
}

static char *replace_once(const char *s, const char *term, const char *with)
{
    const char *p = find_word(s, term);
    if (!p)
        return xstrdup(s);
    struct sbuf b;
    sb_init(&b);
    sb_addn(&b, s, (size_t)(p - s));
    sb_add(&b, with);
    sb_add(&b, p + strlen(term));
    return sb_take(&b);
}

static bool starts_with_pronoun(const char *s)
{
    static const char *pr[] = {"It ", "This ", "They ", "These ", "That ", "Those ", "Its ", NULL};
    for (int i = 0; pr[i]; i++)
        if (!strncmp(s, pr[i], strlen(pr[i])))
            return true;
    return false;
}

static void derive_cloze(struct ctx *x, size_t bi)
{
    const struct block *bl = &x->cq->blocks[bi];
    if (bl->kind == BLK_CODE)
        return;
    struct strv ss = {0};
    split_sentences(bl->text, &ss);
    int made = 0;
    for (size_t i = 0; i < ss.n && made < 2; i++) {
        const char *s = ss.v[i];
        size_t n = strlen(s);
        if (n < 40 || n > 240 || strstr(s, "(dunder)") || strstr(s, "__future__"))
            continue;
        enum term_class tc;
        char *t = first_term(x, s, &tc);
        if (!t)
            continue;
        if (tc == TC_IMPORTED) {
            int caps = 0;
            for (const char *c2 = t; *c2; c2++)
                caps += isupper((unsigned char)*c2) != 0;
            const char *at = find_word(s, t);
            if (caps < 2 && !(at && at[strlen(t)] == '(')) {
                free(t);
                continue;
            }
        }
        struct strv pool = {0};
        pool_for(x, t, tc, &pool);
        char *d[3];
        int nd = pick(x, s, t, &pool, s, true, d, 3);
        sv_free(&pool);
        if (nd < 2) {
            for (int k = 0; k < nd; k++)
                free(d[k]);
            free(t);
            continue;
        }
        char *blanked = replace_once(s, t, "____");
        char *shown;
        if ((n < 70 || starts_with_pronoun(s)) && i > 0)
            shown = xasprintf("%s %s", ss.v[i - 1], blanked);
        else
            shown = xstrdup(blanked);
        struct cand *c = new_cand(x, "cloze", bl->line_start, bl->line_end);
        c->q.prompt = xasprintf("Fill in the blank: “%s”", shown);
        char *opts[4] = {xstrdup(t), d[0], d[1], nd > 2 ? d[2] : NULL};
        set_options(c, opts, nd + 1);
        c->q.explanation = i + 1 < ss.n ? xasprintf("%s %s", s, ss.v[i + 1]) : xstrdup(s);
        {
            char *cl = clip(c->q.explanation, 600);
            free(c->q.explanation);
            c->q.explanation = cl;
        }
        made++;
        free(blanked), free(shown), free(t);
    }
    sv_free(&ss);
}

static void derive_code_blank(struct ctx *x, size_t bi)
{
    const struct block *bl = &x->cq->blocks[bi];
    char *copy = xstrdup(bl->text);
    char *lines[400];
    int n = 0, made = 0;
    for (char *p = copy, *e; p && n < 400; p = e ? e + 1 : NULL) {
        e = strchr(p, '\n');
        if (e)
            *e = 0;
        lines[n++] = p;
    }
    for (int t = 0; t < n && made < 2; t++) {
        const char *l = lines[t];
        const char *q = l;
        while (*q == ' ')
            q++;
        char *term = NULL;
        enum term_class tc = TC_NONE;
        if (*q == '@') {
            const char *e = q + 1;
            while (is_word_char(*e) || *e == '.')
                e++;
            term = xstrndup(q, (size_t)(e - q));
            tc = classify(x, term);
        } else if (!strncmp(q, "def __", 6) || !strncmp(q, "async def __", 12)) {
            const char *s = strstr(q, "__");
            const char *e = s;
            while (is_word_char(*e))
                e++;
            term = xstrndup(s, (size_t)(e - s));
            tc = classify(x, term);
        } else {
            enum term_class c2;
            long cm = comment_at(l);
            char *code_part = xstrndup(l, cm >= 0 ? (size_t)cm : strlen(l));
            bool import_line = !strncmp(q, "from ", 5) || !strncmp(q, "import ", 7);
            char *t2 = import_line ? NULL : first_term(x, code_part, &c2);
            free(code_part);
            if (t2 && (c2 == TC_API || c2 == TC_IMPORTED)) {
                term = t2;
                tc = c2;
            } else {
                free(t2);
            }
        }
        if (term && tc != TC_NONE) {
            const char *at = strstr(l, term);
            int quotes = 0;
            for (const char *c2 = l; at && c2 < at; c2++)
                quotes += *c2 == '"' || *c2 == '\'';
            bool in_string = quotes % 2 == 1;
            bool flag = at && at > l && (at[-1] == '-' || at[-1] == '/');
            bool defname = at && at - l >= 4 && !strncmp(at - 4, "def ", 4) && term[0] != '_';
            bool classname = at && at - l >= 6 && !strncmp(at - 6, "class ", 6);
            /* __init__ in "def ____(self, ...)" is guessable without reading. */
            if (in_string || flag || defname || classname || !strcmp(term, "__init__"))
                tc = TC_NONE;
        }
        if (!term || tc == TC_NONE || tc == TC_DUNDER_A) {
            free(term);
            continue;
        }
        /* Context: the enclosing top-level statement (decorators included),
         * or a window around the line when that is long; comments stripped;
         * the blanked name must not appear elsewhere in it. */
        int from = t, to = t + 1;
        while (from > 0 && (lines[from][0] == ' ' || lines[from][0] == '\0' || lines[from][0] == '#' ||
                            lines[from][0] == ')'))
            from--;
        while (from > 0 && lines[from - 1][0] == '@')
            from--;
        while (to < n && (lines[to][0] == ' ' || lines[to][0] == '\0' || lines[to][0] == '#' ||
                          lines[to][0] == ')' || lines[to - 1][0] == '@'))
            to++;
        if (to - from > 12) {
            from = t - 4 > from ? t - 4 : from;
            to = t + 6 < to ? t + 6 : to;
        }
        struct sbuf b;
        sb_init(&b);
        bool repeated = false;
        int indent = -1;
        for (int i = from; i < to; i++) {
            long cm = comment_at(lines[i]);
            char *ln = rtrim_dup(lines[i], cm >= 0 ? (size_t)cm : strlen(lines[i]));
            int ind = (int)strspn(ln, " ");
            if (!ln[ind]) {
                free(ln);
                continue;
            }
            if (indent < 0 || ind < indent)
                indent = ind;
            free(ln);
        }
        for (int i = from; i < to; i++) {
            long cm = comment_at(lines[i]);
            char *ln = rtrim_dup(lines[i], cm >= 0 ? (size_t)cm : strlen(lines[i]));
            if (!ln[strspn(ln, " ")]) {
                free(ln);
                continue;
            }
            if (i != t && find_word(ln, term[0] == '@' ? term + 1 : term))
                repeated = true;
            char *shown = i == t ? replace_once(ln, term, "____") : xstrdup(ln);
            sb_add(&b, shown + (indent > 0 ? indent : 0));
            sb_add(&b, "\n");
            free(shown);
            free(ln);
        }
        char *code = sb_take(&b);
        if (code[0] && code[strlen(code) - 1] == '\n')
            code[strlen(code) - 1] = 0;
        struct strv pool = {0};
        pool_for(x, term, tc, &pool);
        char *d[3];
        int nd = repeated ? 0 : pick(x, code, term, &pool, bl->text, true, d, 3);
        sv_free(&pool);
        if (nd < 2 || !strstr(code, "____")) {
            for (int k = 0; k < nd; k++)
                free(d[k]);
            free(term), free(code);
            continue;
        }
        struct cand *c = new_cand(x, "code_blank", bl->line_start + t, bl->line_start + t);
        c->q.code = code;
        const char *what = tc == TC_DECORATOR ? "decorator" : tc == TC_DUNDER_M ? "special method" : "name";
        /* No title in the prompt: it often names the answer ("caching" -> @cache_page);
         * players see the category, and the reveal shows the source question. */
        c->q.prompt = xasprintf("Which %s fills the blank (____) in this code?", what);
        char *opts[4] = {xstrdup(term), d[0], d[1], nd > 2 ? d[2] : NULL};
        set_options(c, opts, nd + 1);
        char *ctxs = next_prose_sentence(x->cq, bi);
        char *ln = squash_ws(lines[t]);
        c->q.explanation = xasprintf("The line is: %s%s%s", ln, ctxs[0] ? " — " : "", ctxs);
        free(ln);
        free(ctxs);
        {
            char *cl = clip(c->q.explanation, 600);
            free(c->q.explanation);
            c->q.explanation = cl;
        }
        c->q.difficulty = 2;
        made++;
        free(term);
    }
    free(copy);
}

/* ------------------------------------------------------------------ */
/* "Label: text" lists                                                 */

static const char *GENERIC[] = {
    "rule", "note", "tip", "benefit", "drawback", "when", "key", "best", "gotcha", "performance",
    "strategy", "tools", "tool", "example", "why", "how", "what", "use", "result", "important",
    "warning", "pros", "cons", "advantage", "disadvantage", "solution", "problem", "fix",
    "approach", "pattern", "option", "summary", "bottom", "under", "migration", "comparison",
    "trade", "caveat", "common", "also", "default", "usage", "limitation", "alternative",
    "goal", "reason", "cost", "risk", "avoid", "prefer", "never", "always", "good", "bad",
    "modern", "typical", "recommended", "production", "in practice", "output", "step", "order", NULL};

static bool split_label(const char *s, char **label, char **body)
{
    const char *colon = strstr(s, ": ");
    size_t seplen = 2;
    /* "Strategy — just pass a function:" also labels a term (capitalised, short). */
    const char *dash = strstr(s, " \xE2\x80\x94 ");
    if (dash && (!colon || dash < colon) && isupper((unsigned char)s[0]) && dash - s <= 40) {
        colon = dash;
        seplen = 5;
    }
    if (!colon || colon - s > 60 || colon == s)
        return false;
    char *l = xstrndup(s, (size_t)(colon - s));
    int words = 1;
    for (char *p = l; *p; p++)
        words += *p == ' ';
    bool ok = words <= 5 && !strchr(l, '=') && isalpha((unsigned char)l[0]) && !strstr(l, ". ");
    int depth = 0;
    for (char *p = l; *p; p++)
        depth += (*p == '(') - (*p == ')');
    ok &= depth == 0;
    if (!ok) {
        free(l);
        return false;
    }
    *label = l;
    *body = xstrdup(colon + seplen);
    size_t bl = strlen(*body);
    while (bl && ((*body)[bl - 1] == ':' || (*body)[bl - 1] == ' '))
        (*body)[--bl] = 0;
    return bl > 0;
}

static bool term_like(const char *label)
{
    char low[128];
    size_t n = strlen(label);
    if (n >= sizeof low || n < 2)
        return false;
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)label[i]);
    /* Design-pattern names are terms: "Strategy", "Iterator pattern". */
    static const char *patterns[] = {"strategy", "observer", "singleton", "factory", "adapter",
                                     "command", "template method", "visitor", "builder", NULL};
    for (int i = 0; patterns[i]; i++)
        if (!strcmp(low, patterns[i]))
            return true;
    if (n > 8 && !strcmp(low + n - 8, " pattern") && !strchr(low, ':'))
        return !strchr(low, ' ') || strchr(low, ' ') == low + n - 8;
    for (int i = 0; GENERIC[i]; i++)
        if (find_word(low, GENERIC[i]) || (strlen(GENERIC[i]) > 4 && strstr(low, GENERIC[i])))
            return false;
    static const char *verbs[] = {" is ", " are ", " has ", " vs", " instead of ", " not ", NULL};
    for (int i = 0; verbs[i]; i++)
        if (strstr(low, verbs[i]))
            return false;
    return true;
}

/* Term without trailing "(...)" and call arguments. */
static char *norm_term(const char *label)
{
    char *t = xstrdup(label);
    char *par = strchr(t, '(');
    if (par && par > t)
        *(par[-1] == ' ' ? par - 1 : par) = 0;
    size_t n = strlen(t);
    while (n && t[n - 1] == ' ')
        t[--n] = 0;
    return t;
}

/* Masks the term and its code-like words in a description. */
static char *mask_term(const char *desc, const char *term)
{
    char *out = xstrdup(desc);
    struct strv words = {0};
    sv_push(&words, term);
    char *copy = xstrdup(term);
    for (char *w = strtok(copy, " /"); w; w = strtok(NULL, " /"))
        if (strlen(w) >= 4 || strchr(w, '_') || strchr(w, '.'))
            sv_push(&words, w);
    free(copy);
    for (size_t i = 0; i < words.n; i++) {
        for (int guard = 0; guard < 5; guard++) {
            const char *p = find_word(out, words.v[i]);
            if (!p) {
                /* case-insensitive pass for capitalised sentence starts */
                break;
            }
            char *r = replace_once(out, words.v[i], "___");
            free(out);
            out = r;
        }
    }
    sv_free(&words);
    return out;
}

static void derive_define(struct ctx *x)
{
    const struct cquestion *q = x->cq;
    size_t i = 0;
    while (i < q->n_blocks) {
        /* Collect a run of sibling Label: text blocks of one kind (code may sit between). */
        enum block_kind kind = q->blocks[i].kind;
        if (kind == BLK_CODE) {
            i++;
            continue;
        }
        struct strv terms = {0}, descs = {0};
        int lines[64];
        size_t j = i;
        const char *heading = NULL;
        for (size_t h = i; h-- > 0;)
            if (q->blocks[h].kind == BLK_PROSE) {
                size_t hl = strlen(q->blocks[h].text);
                if (hl && q->blocks[h].text[hl - 1] == ':')
                    heading = q->blocks[h].text;
                break;
            }
        while (j < q->n_blocks && terms.n < 64) {
            const struct block *b = &q->blocks[j];
            if (b->kind == BLK_CODE) {
                j++;
                continue;
            }
            char *label, *body;
            if (b->kind != kind || !split_label(b->text, &label, &body))
                break;
            if (!term_like(label)) {
                free(label), free(body);
                break;
            }
            char *t = norm_term(label);
            lines[terms.n] = b->line_start;
            sv_push_take(&terms, t);
            sv_push_take(&descs, body);
            free(label);
            j++;
        }
        if (terms.n >= 3) {
            for (size_t k = 0; k < terms.n; k++) {
                struct strv first = {0};
                split_sentences(descs.v[k], &first);
                char *d0 = first.n ? xstrdup(first.v[0]) : xstrdup(descs.v[k]);
                if (first.n > 1 && strlen(d0) < 60) {
                    free(d0);
                    d0 = xasprintf("%s %s", first.v[0], first.v[1]);
                }
                sv_free(&first);
                char *cl = clip(d0, 200);
                char *masked = mask_term(cl, terms.v[k]);
                free(d0), free(cl);
                /* Nearest siblings as distractors. */
                char *opts[4] = {xstrdup(terms.v[k])};
                int no = 1;
                for (size_t dist = 1; dist < terms.n && no < 4; dist++) {
                    if (k + dist < terms.n)
                        opts[no++] = xstrdup(terms.v[k + dist]);
                    if (no < 4 && k >= dist)
                        opts[no++] = xstrdup(terms.v[k - dist]);
                }
                struct cand *c = new_cand(x, "define", lines[k], lines[k]);
                if (heading && strlen(heading) <= 70) {
                    char *hc = clip(heading, 80);
                    c->q.prompt = xasprintf("%s Which one is described here? “%s”", hc, masked);
                    free(hc);
                } else {
                    c->q.prompt = xasprintf("Which one is described here? “%s”", masked);
                }
                set_options(c, opts, no);
                char *full = xasprintf("%s: %s", terms.v[k], descs.v[k]);
                c->q.explanation = clip(full, 400);
                free(full);
                free(masked);
            }
        }
        sv_free(&terms);
        sv_free(&descs);
        i = j > i ? j : i + 1;
    }
}

/* Splits "A (x); B (y), C" at top-level separators. */
static void split_items(const char *s, char sep, struct strv *out)
{
    int depth = 0;
    const char *start = s;
    for (const char *p = s;; p++) {
        if (*p == '(')
            depth++;
        else if (*p == ')')
            depth--;
        if ((*p == sep && depth == 0) || !*p) {
            char *it = xstrndup(start, (size_t)(p - start));
            char *sq = squash_ws(it);
            size_t n = strlen(sq);
            while (n && (sq[n - 1] == '.' || sq[n - 1] == ' '))
                sq[--n] = 0;
            if (*sq)
                sv_push_take(out, sq);
            else
                free(sq);
            free(it);
            if (!*p)
                break;
            start = p + 1;
        }
    }
}

static size_t content_overlap(const char *a, const char *b)
{
    size_t common = 0;
    char *copy = xstrdup(a);
    for (char *w = strtok(copy, " ,/"); w; w = strtok(NULL, " ,/"))
        if (strlen(w) >= 4 && find_word(b, w))
            common++;
    free(copy);
    return common;
}

static bool prefix_giveaway(const char *name, const char *purpose)
{
    char lname[128];
    snprintf(lname, sizeof lname, "%s", name);
    for (char *p = lname; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    char *copy = xstrdup(purpose);
    bool give = false;
    for (char *w = strtok(copy, " ,/-()"); w && !give; w = strtok(NULL, " ,/-()")) {
        if (strlen(w) < 4)
            continue;
        char lw[64];
        snprintf(lw, sizeof lw, "%.4s", w);
        for (char *p = lw; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        give = strstr(lname, lw) != NULL;
    }
    free(copy);
    return give;
}

static void derive_tool(struct ctx *x, size_t bi)
{
    const struct block *bl = &x->cq->blocks[bi];
    if (bl->kind == BLK_CODE)
        return;
    struct strv sents = {0};
    split_sentences(bl->text, &sents);
    for (size_t si = 0; si < sents.n; si++) {
        char *label, *body;
        if (!split_label(sents.v[si], &label, &body))
            continue;
        {
            static const char *nontool[] = {"benefit", "drawback", "rule", "note", "gotcha", "when",
                                            "why", "problem", "result", "pros", "cons", NULL};
            char low[128];
            snprintf(low, sizeof low, "%s", label);
            for (char *p2 = low; *p2; p2++)
                *p2 = (char)tolower((unsigned char)*p2);
            bool generic = false;
            for (int g = 0; nontool[g]; g++)
                generic |= strstr(low, nontool[g]) != NULL;
            if (generic) {
                free(label), free(body);
                continue;
            }
        }
        struct strv items = {0};
        split_items(body, ';', &items);
        if (items.n < 3) {
            sv_free(&items);
            split_items(body, ',', &items);
        }
        struct strv names = {0}, purposes = {0};
        int with_purpose = 0;
        for (size_t i = 0; i < items.n; i++) {
            char *par = strchr(items.v[i], '(');
            char *close = par ? strrchr(par, ')') : NULL;
            if (par && close && par > items.v[i]) {
                sv_push_take(&names, rtrim_dup(items.v[i], (size_t)(par - items.v[i])));
                sv_push_take(&purposes, xstrndup(par + 1, (size_t)(close - par - 1)));
                with_purpose++;
            } else {
                sv_push(&names, items.v[i]);
                sv_push(&purposes, "");
            }
        }
        bool names_ok = names.n >= 3 && with_purpose >= 2;
        for (size_t i = 0; i < names.n && names_ok; i++)
            names_ok = strlen(names.v[i]) <= 40 && strlen(names.v[i]) > 1;
        int made = 0;
        for (size_t i = 0; i < names.n && names_ok && made < 4; i++) {
            if (!purposes.v[i][0] || strlen(purposes.v[i]) < 6)
                continue;
            bool ambiguous = false;
            for (size_t k = 0; k < names.n; k++)
                if (k != i && purposes.v[k][0] &&
                    content_overlap(purposes.v[i], purposes.v[k]) * 2 >= 1 + content_overlap(purposes.v[i], purposes.v[i]))
                    ambiguous = true;
            if (ambiguous || prefix_giveaway(names.v[i], purposes.v[i]))
                continue;
            char *opts[4] = {xstrdup(names.v[i])};
            int no = 1;
            for (size_t k = 1; k < names.n && no < 4; k++)
                opts[no++] = xstrdup(names.v[(i + k) % names.n]);
            struct cand *c = new_cand(x, "tool", bl->line_start, bl->line_end);
            c->q.prompt = xasprintf("%s — which one is listed for “%s”?", label, purposes.v[i]);
            set_options(c, opts, no);
            char *full = xasprintf("%s: %s", label, body);
            c->q.explanation = clip(full, 400);
            free(full);
            made++;
        }
        sv_free(&names), sv_free(&purposes), sv_free(&items);
        free(label), free(body);
    }
    sv_free(&sents);
}

/* ------------------------------------------------------------------ */
/* version, order, complexity                                          */

static void derive_version(struct ctx *x, size_t bi)
{
    const struct block *bl = &x->cq->blocks[bi];
    const char *s = bl->text;
    for (const char *p = s; (p = strstr(p, "(Python 3.")); p++) {
        int minor = atoi(p + 10);
        const char *after = p + 10;
        while (isdigit((unsigned char)*after))
            after++;
        if (minor < 5 || minor > 14 || (*after != '+' && *after != ')'))
            continue;
        /* Feature: the phrase before the parenthesis. */
        const char *start = p;
        while (start > s && start[-1] == ' ')
            start--;
        const char *f = start;
        while (f > s && !strchr(";:.(\n", f[-1]) && (f - s < 3 || strncmp(f - 3, "\xE2\x80\x94", 3)) &&
               f[-1] != ',')
            f--;
        while (*f == ' ' || *f == '#')
            f++;
        char *feat = xstrndup(f, (size_t)(start - f));
        char *sq = squash_ws(feat);
        free(feat);
        size_t fl = strlen(sq);
        int words = 1;
        for (char *q = sq; *q; q++)
            words += *q == ' ';
        int caps = 0;
        bool codeish = false;
        for (char *q2 = sq; *q2; q2++) {
            caps += isupper((unsigned char)*q2) != 0;
            codeish |= *q2 == '_' || *q2 == '.' || *q2 == '@';
        }
        /* A feature must be specific: a code name, CamelCase, or a named phrase. */
        bool specific = codeish || caps >= 2 || (words >= 2 && caps >= 1) || words == 1;
        if (fl < 3 || fl > 50 || words > 6 || !specific || (!isalnum((unsigned char)sq[0]) && sq[0] != '@' && sq[0] != '_') ||
            strstr(sq, "virtual threads") || strstr(sq, "recommended") || strstr(sq, "approach") ||
            strstr(sq, "modern") || strstr(sq, "Shared")) {
            free(sq);
            continue;
        }
        if (words == 1 && islower((unsigned char)sq[0])) {
            /* "from functools import cache" -> functools.cache */
            for (size_t k = 0; k < x->sentences.n; k++) {
                const char *ln = x->sentences.v[k];
                if (strncmp(ln, "from ", 5) || !strstr(ln, " import ") || !find_word(strstr(ln, " import "), sq))
                    continue;
                char *mod = xstrndup(ln + 5, strcspn(ln + 5, " "));
                char *q2 = xasprintf("%s.%s", mod, sq);
                free(mod);
                free(sq);
                sq = q2;
                break;
            }
            /* A bare name ("timeout"): qualify it with its module when the corpus knows it. */
            for (size_t k = 0; k < x->api.n; k++) {
                const char *dot = strchr(x->api.v[k], '.');
                if (dot && !strcmp(dot + 1, sq)) {
                    free(sq);
                    sq = xstrdup(x->api.v[k]);
                    break;
                }
            }
        }
        {
            int caps2 = 0;
            bool code2 = false;
            for (char *q2 = sq; *q2; q2++) {
                caps2 += isupper((unsigned char)*q2) != 0;
                code2 |= *q2 == '_' || *q2 == '.' || *q2 == '@';
            }
            if (!strchr(sq, ' ') && !code2 && caps2 < 2) {
                free(sq);
                continue;
            }
        }
        int lo = minor - 1;
        if (lo < 5)
            lo = 5;
        if (lo + 3 > 13)
            lo = 13 - 3;
        if (lo > minor)
            lo = minor;
        if (lo < minor - 3)
            lo = minor - 3;   /* the window always holds the answer */
        /* Four consecutive versions including the answer, in version order. */
        char *opts[4];
        int no = 0, correct = 0;
        for (int v = lo; v < lo + 4 && no < 4; v++) {
            if (v == minor)
                correct = no;
            opts[no++] = xasprintf("Python 3.%d", v);
        }
        struct cand *c = new_cand(x, "version", bl->line_start, bl->line_end);
        c->q.prompt = xasprintf("Since which Python version is this available: “%s”?", sq);
        set_options_in_order(c, opts, no, correct);
        struct strv ss = {0};
        split_sentences(s, &ss);
        const char *ex = s;
        for (size_t k = 0; k < ss.n; k++)
            if (strstr(ss.v[k], "(Python 3.")) {
                ex = ss.v[k];
                break;
            }
        c->q.explanation = clip(ex, 400);
        sv_free(&ss);
        c->q.difficulty = 3;
        free(sq);
    }
}

static char *step_name(const char *item)
{
    const char *cut = strstr(item, " \xE2\x80\x94 ");
    const char *colon = strstr(item, ": ");
    if (!cut || (colon && colon < cut))
        cut = colon;
    char *s = cut ? xstrndup(item, (size_t)(cut - item)) : xstrdup(item);
    char *par = strchr(s, '(');
    if (par && par > s)
        *(par[-1] == ' ' ? par - 1 : par) = 0;
    /* at most 6 words */
    int w = 0;
    for (char *p = s; *p; p++)
        if (*p == ' ' && ++w == 6) {
            *p = 0;
            break;
        }
    size_t n = strlen(s);
    while (n && (s[n - 1] == '.' || s[n - 1] == ' ' || s[n - 1] == ','))
        s[--n] = 0;
    return s;
}

static void derive_order(struct ctx *x)
{
    const struct cquestion *q = x->cq;
    static const char *ORD[] = {"first", "second", "third", "fourth"};
    for (size_t i = 0; i < q->n_blocks; i++) {
        if (q->blocks[i].kind != BLK_NUMBERED || q->blocks[i].number != 1)
            continue;
        size_t j = i;
        while (j < q->n_blocks && q->blocks[j].kind == BLK_NUMBERED &&
               q->blocks[j].number == (int)(j - i) + 1)
            j++;
        size_t n = j - i;
        const char *heading = NULL;
        if (i > 0 && q->blocks[i - 1].kind == BLK_PROSE)
            heading = q->blocks[i - 1].text;
        char low[512];
        snprintf(low, sizeof low, "%s %s", heading ? heading : "", q->title);
        for (char *p = low; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        bool sequence = strstr(low, "order") || strstr(low, "pipeline") || strstr(low, "lifecycle") ||
                        strstr(low, "steps") || strstr(low, "sequence") || strstr(low, "resolution") ||
                        strstr(low, "flow") || strstr(low, "goes through");
        if (n < 4 || n > 10 || !sequence || !heading)
            continue;
        struct strv steps = {0};
        for (size_t k = 0; k < n; k++)
            sv_push_take(&steps, step_name(q->blocks[i + k].text));
        bool ok = true;
        for (size_t k = 0; k < n && ok; k++)
            ok = strlen(steps.v[k]) >= 3 && strlen(steps.v[k]) <= 60;
        struct sbuf chain;
        sb_init(&chain);
        for (size_t k = 0; k < n; k++)
            sb_addf(&chain, "%s%zu. %s", k ? " → " : "", k + 1, steps.v[k]);
        char *chain_s = sb_take(&chain);
        char *hc = clip(heading, 120);
        {
            size_t hl = strlen(hc);
            while (hl && (hc[hl - 1] == ':' || hc[hl - 1] == ' '))
                hc[--hl] = 0;
        }
        int made = 0;
        for (size_t k = 0; ok && k < n && made < 3; k++) {
            char *opts[4];
            int no = 0;
            struct cand *c;
            if (n == 4) {
                opts[no++] = xstrdup(steps.v[k]);
                for (size_t m = 0; m < 4; m++)
                    if (m != k)
                        opts[no++] = xstrdup(steps.v[m]);
                c = new_cand(x, "order", q->blocks[i + k].line_start, q->blocks[i + k].line_start);
                c->q.prompt = xasprintf("%s — which one comes %s (of 4)?", hc, ORD[k]);
            } else {
                if (k + 1 >= n)
                    break;
                opts[no++] = xstrdup(steps.v[k + 1]);
                for (size_t d = 2; no < 4 && d < n; d++) {
                    size_t m = (k + d * 3) % n;
                    if (m != k + 1 && m != k) {
                        bool dup = false;
                        for (int z = 0; z < no; z++)
                            dup |= !strcmp(opts[z], steps.v[m]);
                        if (!dup)
                            opts[no++] = xstrdup(steps.v[m]);
                    }
                }
                c = new_cand(x, "order", q->blocks[i + k + 1].line_start, q->blocks[i + k + 1].line_start);
                c->q.prompt = xasprintf("%s — which step comes right after “%s”?", hc, steps.v[k]);
            }
            set_options(c, opts, no);
            c->q.explanation = clip(chain_s, 600);
            c->q.difficulty = n >= 6 ? 3 : 2;
            made++;
        }
        free(hc);
        free(chain_s);
        sv_free(&steps);
        i = j - 1;
    }
}

static const char *LADDER[] = {"O(1)", "O(log n)", "O(n)", "O(n log n)", "O(n²)"};

static int ladder_at(const char *p)
{
    for (int i = 4; i >= 0; i--)
        if (!strncmp(p, LADDER[i], strlen(LADDER[i])) && !isalnum((unsigned char)p[strlen(LADDER[i])]))
            return i;
    if (!strncmp(p, "O(n^2)", 6))
        return 4;
    return -1;
}

static void derive_complexity(struct ctx *x, size_t bi)
{
    const struct block *bl = &x->cq->blocks[bi];
    if (bl->kind == BLK_CODE)
        return;
    struct strv ss = {0};
    split_sentences(bl->text, &ss);
    int made = 0;
    for (size_t i = 0; i < ss.n && made < 3; i++) {
        const char *s = ss.v[i];
        for (const char *p = s; (p = strstr(p, "O(")) && made < 3; p += 2) {
            int li = ladder_at(p);
            if (li < 0 || (p > s && isalnum((unsigned char)p[-1])))
                continue;
            /* Subject: "X is O(..)" / "X — O(..)" / "X: O(..)" */
            const char *e = p;
            while (e > s && e[-1] == ' ')
                e--;
            const char *subj_end = NULL;
            if (e - s >= 3 && !strncmp(e - 3, " is", 3))
                subj_end = e - 3;
            else if (e - s >= 4 && !strncmp(e - 4, " are", 4))
                subj_end = e - 4;
            else if (e - s >= 3 && !strncmp(e - 3, "\xE2\x80\x94", 3))
                subj_end = e - 3;
            else if (e > s && (e[-1] == ':' || e[-1] == '='))
                subj_end = e - 1;
            if (!subj_end)
                continue;
            const char *b = subj_end;
            int depth = 0;
            while (b > s) {
                char ch = b[-1];
                if (ch == ')')
                    depth++;
                else if (ch == '(') {
                    if (!depth)
                        break;
                    depth--;
                } else if (!depth && (ch == ',' || ch == ';' || (ch == '.' && b[0] == ' ') ||
                                      (ch == ':' && b[0] == ' ') ||
                                      (b - s >= 3 && !strncmp(b - 3, "\xE2\x80\x94", 3))))
                    break;
                b--;
            }
            char *raw = xstrndup(b, (size_t)(subj_end - b));
            char *subj = squash_ws(raw);
            free(raw);
            int words = 1;
            for (char *q = subj; *q; q++)
                words += *q == ' ';
            size_t sl = strlen(subj);
            while (sl && (subj[sl - 1] == ' ' || subj[sl - 1] == ':'))
                subj[--sl] = 0;
            if (!strncmp(subj, "Use ", 4))
                memmove(subj, subj + 4, strlen(subj + 4) + 1);
            bool code_subj = strpbrk(subj, ".([+=") != NULL;
            if (sl < 3 || words > 7 || strstr(subj, "O(") || (words < 2 && !code_subj)) {
                free(subj);
                continue;
            }
            /* For "label: O(1) op" bullets add the operation after the O(). */
            /* Four of the five rungs in ladder order, dropping one far from the answer. */
            char *opts[4];
            int no = 0, correct = 0;
            int skip = li <= 2 ? 4 : 0;
            for (int k = 0; k < 5 && no < 4; k++) {
                if (k == skip)
                    continue;
                if (k == li)
                    correct = no;
                opts[no++] = xstrdup(LADDER[k]);
            }
            struct cand *c = new_cand(x, "complexity", bl->line_start, bl->line_end);
            c->q.prompt = xasprintf("What is the time complexity of: %s?", subj);
            set_options_in_order(c, opts, no, correct);
            c->q.explanation = clip(s, 400);
            c->q.difficulty = 1;
            free(subj);
            made++;
        }
    }
    sv_free(&ss);
}

/* ------------------------------------------------------------------ */
/* gates                                                               */

/* Lower-cased, surrounding white space removed. */
static void lower_copy(const char *s, char *out, size_t cap)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    while (i && (out[i - 1] == ' ' || out[i - 1] == '\t'))
        i--;
    out[i] = 0;
}

static const char *gate(const struct cand *c)
{
    const struct qz_question *q = &c->q;
    bool code_kind = !strncmp(q->kind, "code_", 5) && strcmp(q->kind, "code_blank");
    if (q->n_options < 2)
        return "fewer than two options";
    char lo[QZ_MAX_OPTIONS][512];
    for (int i = 0; i < q->n_options; i++)
        lower_copy(q->options[i], lo[i], sizeof lo[i]);
    for (int i = 0; i < q->n_options; i++)
        for (int j = i + 1; j < q->n_options; j++)
            if (!strcmp(lo[i], lo[j]))
                return "duplicate options";
    for (int i = 0; i < q->n_options && !code_kind; i++)
        for (int j = 0; j < q->n_options; j++)
            if (i != j && find_word(lo[j], lo[i]))
                return "an option is contained in another";
    /* Answer given away: a content word of the correct option in the prompt
     * that appears in no distractor. */
    if (!code_kind && strcmp(q->kind, "version") && strcmp(q->kind, "complexity")) {
        char *copy = xstrdup(q->options[q->correct]);
        char lp[2048];
        lower_copy(q->prompt, lp, sizeof lp);
        const char *why = NULL;
        for (char *w = strtok(copy, " ,()/._-@"); w && !why; w = strtok(NULL, " ,()/._-@")) {
            char lw[128];
            lower_copy(w, lw, sizeof lw);
            if (strlen(lw) < 4 || !find_word(lp, lw))
                continue;
            bool in_distractor = false;
            for (int i = 0; i < q->n_options; i++) {
                char lop[512];
                lower_copy(q->options[i], lop, sizeof lop);
                if (i != q->correct && find_word(lop, lw))
                    in_distractor = true;
            }
            if (!in_distractor)
                why = "the prompt gives the answer away";
        }
        free(copy);
        if (why)
            return why;
    }
    /* Length giveaway. */
    size_t lc = strlen(q->options[q->correct]), longest = 0;
    for (int i = 0; i < q->n_options; i++)
        if (i != q->correct && strlen(q->options[i]) > longest)
            longest = strlen(q->options[i]);
    if (lc > 25 && lc * 10 > longest * 16)
        return "the correct option is much longer than the others";
    /* Nothing damaged may reach players. */
    const char *fields[] = {q->prompt, q->code, q->explanation, q->options[0], q->options[1],
                            q->options[2], q->options[3]};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (fields[i] && repair_has_damage(fields[i]))
            return "damaged text";
    return NULL;
}

const char *derive_check_gates(const struct qz_question *q)
{
    struct cand c;
    memset(&c, 0, sizeof c);
    c.q = *q;   /* shallow: gate() only reads */
    return gate(&c);
}

/* ------------------------------------------------------------------ */
/* errata and overrides                                                */

static void load_errata(struct ctx *x, const char *path, struct report *rep)
{
    if (!path)
        return;
    FILE *f = fopen(path, "r");
    if (!f) {
        report_add(rep, "%s: file: cannot open the errata list", path);
        return;
    }
    char line[512];
    int ln = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        int a, b;
        int n = sscanf(line, "%d-%d", &a, &b);
        if (n < 1 || a <= 0) {
            report_add(rep, "%s:%d: line: expected a corpus line number or range", path, ln);
            continue;
        }
        if (n < 2)
            b = a;
        for (int k = a; k <= b && k < a + 200; k++) {
            x->errata = xrealloc(x->errata, (x->n_errata + 1) * sizeof *x->errata);
            x->errata[x->n_errata++] = k;
        }
    }
    fclose(f);
}

static bool in_errata(const struct ctx *x, int l0, int l1)
{
    for (size_t i = 0; i < x->n_errata; i++)
        if (x->errata[i] >= l0 && x->errata[i] <= l1)
            return true;
    return false;
}

static struct cand *find_cand(struct ctx *x, const char *id)
{
    for (size_t i = 0; i < x->n; i++)
        if (!strcmp(x->v[i].q.id, id))
            return &x->v[i];
    return NULL;
}

/* Overrides: {"format":"quizd-overrides/1","overrides":[{"id","action":"reject"|"edit",
 * "reason", "prompt"?, "options"?: {"1": "text"}, "explanation"?, "difficulty"?}]} */
static void apply_overrides(struct ctx *x, const char *path, struct derive_stats *st, struct report *rep)
{
    if (!path)
        return;
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        report_add(rep, "%s:%d: json: %s", path, je.line, je.text);
        return;
    }
    json_t *arr = json_object_get(root, "overrides");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *o = json_array_get(arr, i);
        const char *id = json_string_value(json_object_get(o, "id"));
        const char *action = json_string_value(json_object_get(o, "action"));
        const char *reason = json_string_value(json_object_get(o, "reason"));
        if (!id || !action || !reason || !reason[0]) {
            report_add(rep, "%s:%zu: override: id, action and reason are required", path, i + 1);
            continue;
        }
        struct cand *c = find_cand(x, id);
        if (!c) {
            report_add(rep, "%s:%zu: id: no derived question %s (stale override)", path, i + 1, id);
            continue;
        }
        if (!strcmp(action, "reject")) {
            if (!c->gate) {
                c->gate = "rejected by review";
                st->rejected_by_review++;
            }
            continue;
        }
        if (strcmp(action, "edit")) {
            report_add(rep, "%s:%zu: action: must be \"reject\" or \"edit\"", path, i + 1);
            continue;
        }
        const char *s;
        if ((s = json_string_value(json_object_get(o, "prompt")))) {
            free(c->q.prompt);
            c->q.prompt = xstrdup(s);
        }
        if ((s = json_string_value(json_object_get(o, "explanation")))) {
            free(c->q.explanation);
            c->q.explanation = xstrdup(s);
        }
        if (json_is_integer(json_object_get(o, "difficulty")))
            c->q.difficulty = (int)json_integer_value(json_object_get(o, "difficulty"));
        json_t *opts = json_object_get(o, "options");
        const char *key;
        json_t *val;
        json_object_foreach(opts, key, val)
        {
            int k = atoi(key);
            if (k >= 0 && k < c->q.n_options && json_is_string(val) && k != c->q.correct) {
                free(c->q.options[k]);
                c->q.options[k] = xstrdup(json_string_value(val));
            } else {
                report_add(rep, "%s:%zu: options.%s: must name a distractor index", path, i + 1, key);
            }
        }
        st->edited_by_review++;
    }
    json_decref(root);
}

/* ------------------------------------------------------------------ */

static void count_kind(struct derive_stats *st, const char *kind, bool after)
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
    if (after)
        st->kinds[i].after++;
    else
        st->kinds[i].before++;
}

static const char *KIND_NAMES[] = {"code_output", "code_raises", "code_blank", "cloze", "define",
                                   "tool", "version", "order", "complexity", NULL};

static const char *kind_static(const char *k)
{
    for (int i = 0; KIND_NAMES[i]; i++)
        if (!strcmp(KIND_NAMES[i], k))
            return KIND_NAMES[i];
    return "other";
}

struct qz_pack *derive_pack(const struct derive_paths *paths, struct derive_stats *st,
                            struct report *rep)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(st, 0, sizeof *st);
    size_t n;
    char *buf = pack_read_file(paths->corpus, &n, rep);
    if (!buf)
        return NULL;
    struct corpus c;
    int rc = corpus_parse(buf, n, &c);
    free(buf);
    if (rc) {
        corpus_free(&c);
        report_add(rep, "%s: corpus: no category heading (\"Name\" / blank / \"N questions\") found",
                   paths->corpus);
        return NULL;
    }
    struct ctx x;
    memset(&x, 0, sizeof x);
    x.c = &c;
    build_lexicons(&x);
    load_errata(&x, paths->errata, rep);
    st->categories = c.n_cats;
    st->questions = corpus_question_count(&c);
    for (size_t k = 0; k < c.n_cats; k++) {
        x.cat = &c.cats[k];
        for (size_t i = 0; i < c.cats[k].n_qs; i++) {
            x.cq = &c.cats[k].qs[i];
            st->blocks += x.cq->n_blocks;
            for (size_t b = 0; b < x.cq->n_blocks; b++) {
                if (x.cq->blocks[b].kind == BLK_CODE) {
                    derive_code_results(&x, b);
                    derive_code_blank(&x, b);
                } else {
                    derive_cloze(&x, b);
                    derive_tool(&x, b);
                    derive_complexity(&x, b);
                }
                derive_version(&x, b);
            }
            derive_define(&x);
            derive_order(&x);
        }
    }
    /* Gates, errata and the per-line cap, in corpus order. */
    struct { int line; int n; } *per_line = xcalloc(x.n + 1, sizeof *per_line);
    size_t n_pl = 0;
    for (size_t i = 0; i < x.n; i++) {
        struct cand *cd = &x.v[i];
        st->generated++;
        count_kind(st, kind_static(cd->q.kind), false);
        if (!cd->q.time_s)
            cd->q.time_s = pack_suggest_time(&cd->q);
        if (!cd->q.explanation)
            cd->q.explanation = xstrdup("");
        if (in_errata(&x, cd->line, cd->line_end)) {
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
            cd->gate = gate(cd);
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
            cd->gate = "more than two questions from one source line";
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
    apply_overrides(&x, paths->overrides, st, rep);

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
            qz_question_clear(&cd->q);
            continue;
        }
        count_kind(st, kind_static(cd->q.kind), true);
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
        *qz_pack_add(p) = cd->q;   /* the pack takes the strings */
    }
    for (size_t i = 1; i <= st->questions; i++)
        st->sources_used += used[i];
    free(used);
    st->served = p->n;
    qz_pack_index(p);
    free(x.v);
    free(x.errata);
    sv_free(&x.sentences);
    sv_free(&x.dunder_m), sv_free(&x.dunder_a), sv_free(&x.decorators), sv_free(&x.exceptions),
        sv_free(&x.api);
    sv_free(&x.imported);
    for (size_t i = 0; i < x.n_occ; i++) {
        free(x.occ[i].term);
        free(x.occ[i].ids);
    }
    free(x.occ);
    corpus_free(&c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    st->ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    return p;
}

void derive_stats_print(const struct derive_stats *st, FILE *f)
{
    fprintf(f, "corpus: %zu categories, %zu questions, %zu blocks\n", st->categories, st->questions,
            st->blocks);
    fprintf(f, "derived: %zu candidates, %zu gated, %zu skipped by errata, %zu rejected and %zu edited by review\n",
            st->generated, st->gated, st->errata_skipped,
            st->rejected_by_review, st->edited_by_review);
    fprintf(f, "served: %zu questions from %zu of %zu source answers (%.1f ms)\n", st->served,
            st->sources_used, st->questions, st->ms);
    for (size_t i = 0; i < st->n_gates; i++)
        fprintf(f, "  gated: %zu x %s\n", st->gates[i].n, st->gates[i].reason);
    fprintf(f, "%-12s %8s %8s\n", "kind", "derived", "served");
    for (size_t i = 0; i < st->n_kinds; i++)
        fprintf(f, "%-12s %8zu %8zu\n", st->kinds[i].kind, st->kinds[i].before, st->kinds[i].after);
}
