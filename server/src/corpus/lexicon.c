/* The corpus's Python lexicon: see lexicon.h. */
#include "lexicon.h"
#include "util/err.h"
#include "util/xmalloc.h"
#include <jansson.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_generic_decorator(const char *d)
{
    return !strcmp(d, "@decorator") || !strcmp(d, "@my_decorator") || !strncmp(d, "@app.", 5) ||
           !strncmp(d, "@router.", 8) || !strncmp(d, "@celery", 7) || strlen(d) < 3;
}

static void scan_terms(struct lexicon *x, const char *s, bool code_line)
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

void lex_build(struct lexicon *x, const struct corpus *c)
{
    memset(x, 0, sizeof *x);
    for (size_t k = 0; k < c->n_cats; k++)
        for (size_t i = 0; i < c->cats[k].n_qs; i++) {
            const struct cquestion *q = &c->cats[k].qs[i];
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

static const struct lex_occ *occ_of(const struct lexicon *cx, const char *t)
{
    struct lexicon *x = (struct lexicon *)cx;   /* the cache is filled lazily */
    for (size_t i = 0; i < x->n_occ; i++)
        if (!strcmp(x->occ[i].term, t))
            return &x->occ[i];
    x->occ = xrealloc(x->occ, (x->n_occ + 1) * sizeof *x->occ);
    struct lex_occ *o = &x->occ[x->n_occ++];
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

bool lex_cooccur(const struct lexicon *x, const char *a, const char *b)
{
    occ_of(x, a);   /* fill both first: a second fill may move the array */
    occ_of(x, b);
    const struct lex_occ *oa = occ_of(x, a), *ob = occ_of(x, b);
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


enum term_class lex_classify(const struct lexicon *x, const char *t)
{
    if (sv_has(&x->dunder_m, t))
        return LEX_DUNDER_M;
    if (sv_has(&x->dunder_a, t))
        return LEX_DUNDER_A;
    if (sv_has(&x->decorators, t))
        return LEX_DECORATOR;
    if (sv_has(&x->exceptions, t))
        return LEX_EXCEPTION;
    if (sv_has(&x->api, t))
        return LEX_API;
    for (size_t i = 0; i < x->imported.n; i++) {
        const char *tab = strchr(x->imported.v[i], '\t');
        if (tab && !strcmp(tab + 1, t))
            return LEX_IMPORTED;
    }
    return LEX_NONE;
}

/* Same-type pool for a term (APIs: the same module first). */
void lex_pool_for(const struct lexicon *x, const char *t, enum term_class tc, struct strv *pool)
{
    const struct strv *src = tc == LEX_DUNDER_M   ? &x->dunder_m
                             : tc == LEX_DUNDER_A ? &x->dunder_a
                             : tc == LEX_DECORATOR ? &x->decorators
                             : tc == LEX_EXCEPTION ? &x->exceptions
                                                  : &x->api;
    if (tc == LEX_IMPORTED) {
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
    if (tc == LEX_API) {
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
char *lex_first_term(const struct lexicon *x, const char *s, enum term_class *tc)
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
        enum term_class c = lex_classify(x, t);
        if (c != LEX_NONE && count_word(s, t) == 1) {
            *tc = c;
            return t;
        }
        free(t);
        p = e > p ? e - 1 : p;
    }
    return NULL;
}

int lex_pick(const struct lexicon *x, const char *salt, const char *answer, struct strv *pool,
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
        if (no_cooccur && lex_cooccur(x, answer, d))
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


void lex_free(struct lexicon *x)
{
    sv_free(&x->sentences);
    sv_free(&x->dunder_m);
    sv_free(&x->dunder_a);
    sv_free(&x->decorators);
    sv_free(&x->exceptions);
    sv_free(&x->api);
    sv_free(&x->imported);
    for (size_t i = 0; i < x->n_occ; i++) {
        free(x->occ[i].term);
        free(x->occ[i].ids);
    }
    free(x->occ);
    for (size_t i = 0; i < x->n_pools; i++) {
        free(x->pools[i].kind);
        free(x->pools[i].role);
        sv_free(&x->pools[i].members);
        sv_free(&x->pools[i].near);
    }
    free(x->pools);
    free(x->members);
    sv_free(&x->pairs);
    memset(x, 0, sizeof *x);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

#define LEX_FORMAT "quizd-lexicon/1"
#define LEX_MAX_TERM 80

/* Copies a JSON array of short strings into out; false if it is not one. */
static bool string_array(json_t *a, struct strv *out)
{
    if (a && !json_is_array(a))
        return false;
    for (size_t i = 0; i < json_array_size(a); i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (!s || !s[0] || strlen(s) > LEX_MAX_TERM || strchr(s, '\t'))
            return false;
        sv_push(out, s);
    }
    return true;
}

int lex_load_pools(struct lexicon *x, const char *path, struct report *rep)
{
    size_t len;
    char *buf = pack_read_file(path, &len, rep);
    if (!buf)
        return QZ_EIO;
    json_error_t je;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    free(buf);
    int rc = 0;
    const char *fmt = root ? json_string_value(json_object_get(root, "format")) : NULL;
    json_t *pools = root ? json_object_get(root, "pools") : NULL;
    if (!root) {
        report_add(rep, "%s:%d: json: %s", path, je.line, je.text);
        return QZ_EINVAL;
    }
    if (!fmt || strcmp(fmt, LEX_FORMAT) || !json_is_array(pools)) {
        report_add(rep, "%s: format: must be \"%s\" with a \"pools\" array", path, LEX_FORMAT);
        rc = QZ_EINVAL;
        goto out;
    }
    x->pools = xcalloc(json_array_size(pools) + 1, sizeof *x->pools);
    for (size_t i = 0; i < json_array_size(pools); i++) {
        json_t *p = json_array_get(pools, i);
        const char *kind = json_string_value(json_object_get(p, "kind"));
        const char *role = json_string_value(json_object_get(p, "role"));
        struct lex_pool *lp = &x->pools[x->n_pools++];
        lp->kind = xstrdup(kind ? kind : "");
        lp->role = xstrdup(role ? role : "");
        if (!kind || !role || !string_array(json_object_get(p, "members"), &lp->members) ||
            lp->members.n < 2 || !string_array(json_object_get(p, "near"), &lp->near)) {
            report_add(rep, "%s: pools[%zu]: kind, role and members (2 or more short strings) are required",
                       path, i);
            rc = QZ_EINVAL;
            goto out;
        }
    }
    json_t *pairs = json_object_get(root, "pairs");
    for (size_t i = 0; i < json_array_size(pairs); i++) {
        struct strv two = {0};
        bool ok = string_array(json_array_get(pairs, i), &two) && two.n == 2;
        if (ok)
            sv_push_take(&x->pairs, xasprintf("%s\t%s", two.v[0], two.v[1]));
        sv_free(&two);
        if (!ok) {
            report_add(rep, "%s: pairs[%zu]: must be two short strings", path, i);
            rc = QZ_EINVAL;
            goto out;
        }
    }
    for (size_t i = 0; i < x->n_pools; i++)
        x->n_members += x->pools[i].members.n;
    x->members = xmalloc((x->n_members + 1) * sizeof *x->members);
    x->n_members = 0;
    for (size_t i = 0; i < x->n_pools; i++)
        for (size_t k = 0; k < x->pools[i].members.n; k++)
            x->members[x->n_members++] = x->pools[i].members.v[k];
    qsort(x->members, x->n_members, sizeof *x->members, cmp_str);
out:
    if (rc) {
        struct lexicon keep = *x;
        /* Drop only the pools: the corpus part stays usable. */
        for (size_t i = 0; i < keep.n_pools; i++) {
            free(keep.pools[i].kind);
            free(keep.pools[i].role);
            sv_free(&keep.pools[i].members);
            sv_free(&keep.pools[i].near);
        }
        free(keep.pools);
        sv_free(&x->pairs);
        x->pools = NULL;
        x->n_pools = 0;
    }
    json_decref(root);
    return rc;
}

const char *lex_kind_of(const struct lexicon *x, const char *t)
{
    /* Every word of the corpus is looked up: a sorted index first. */
    if (!x->members || !bsearch(&t, x->members, x->n_members, sizeof *x->members, cmp_str))
        return NULL;
    for (size_t i = 0; i < x->n_pools; i++)
        if (sv_has(&x->pools[i].members, t))
            return x->pools[i].kind;
    return NULL;
}

static void add_members(const struct lex_pool *p, const char *t, struct strv *out)
{
    for (size_t k = 0; k < p->members.n; k++)
        if (strcmp(p->members.v[k], t) && !sv_has(out, p->members.v[k]))
            sv_push(out, p->members.v[k]);
}

void lex_typed_pool(const struct lexicon *x, const char *t, struct strv *out)
{
    for (size_t i = 0; i < x->n_pools; i++) {
        const struct lex_pool *p = &x->pools[i];
        if (!sv_has(&p->members, t))
            continue;
        add_members(p, t, out);
        for (size_t n = 0; n < p->near.n; n++)
            for (size_t j = 0; j < x->n_pools; j++)
                if (!strcmp(x->pools[j].role, p->near.v[n]) && !strcmp(x->pools[j].kind, p->kind))
                    add_members(&x->pools[j], t, out);
        return;   /* the first pool listing t is its role */
    }
}

bool lex_are_partners(const struct lexicon *x, const char *a, const char *b)
{
    size_t la = strlen(a);
    for (size_t i = 0; i < x->pairs.n; i++) {
        const char *p = x->pairs.v[i], *tab = strchr(p, '\t');
        if ((!strncmp(p, a, la) && p + la == tab && !strcmp(tab + 1, b)) ||
            (!strncmp(p, b, strlen(b)) && p + strlen(b) == tab && !strcmp(tab + 1, a)))
            return true;
    }
    return false;
}
