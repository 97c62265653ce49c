/* Prose kinds: cloze (a typed term blanked in a sentence), define (a run of
 * "Label: description" siblings) and tool ("Label: Name (purpose); ..."). */
#include "derive_int.h"
#include "pysrc.h"
#include "repair.h"
#include "util/xmalloc.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool starts_with_pronoun(const char *s)
{
    static const char *pr[] = {"It ", "This ", "They ", "These ", "That ", "Those ", "Its ", NULL};
    for (int i = 0; pr[i]; i++)
        if (!strncmp(s, pr[i], strlen(pr[i])))
            return true;
    return false;
}

/* The first pool term occurring exactly once in s (a copy), or NULL. */
static char *pool_term(const struct lexicon *lex, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (p > s && (is_word_char(p[-1]) || p[-1] == '.'))
            continue;
        if (!(isalpha((unsigned char)*p) || *p == '_' || *p == '@'))
            continue;
        const char *e = p + (*p == '@');
        while (is_word_char(*e) || (*e == '.' && is_word_char(e[1])))
            e++;
        char *t = xstrndup(p, (size_t)(e - p));
        if (lex_kind_of(lex, t) && count_word(s, t[0] == '@' ? t + 1 : t) == 1)
            return t;
        free(t);
        p = e > p ? e - 1 : p;
    }
    return NULL;
}

/* The token next to position p in s going forward (dir 1) or back (-1),
 * across one list separator (", ", " or ", " and ", "/"); NULL if none. */
static char *list_neighbour(const char *s, const char *p, int dir)
{
    static const char *seps[] = {", ", " or ", " and ", "/", ", or ", ", and ", NULL};
    for (int i = 0; seps[i]; i++) {
        size_t n = strlen(seps[i]);
        const char *q;
        if (dir > 0) {
            if (strncmp(p, seps[i], n))
                continue;
            q = p + n;
            const char *e = q;
            while (is_word_char(*e) || *e == '@' || *e == '.')
                e++;
            return e > q ? xstrndup(q, (size_t)(e - q)) : NULL;
        }
        if ((size_t)(p - s) < n || strncmp(p - n, seps[i], n))
            continue;
        const char *e = p - n, *b = e;
        while (b > s && (is_word_char(b[-1]) || b[-1] == '@' || b[-1] == '.'))
            b--;
        return e > b ? xstrndup(b, (size_t)(e - b)) : NULL;
    }
    return NULL;
}

/* The blank is one item of an enumeration of names ("A, ____, or C"): any
 * of them could fill it, so the sentence does not determine the answer. */
static bool in_enumeration(const struct lexicon *lex, const char *s, const char *t)
{
    const char *at = strstr(s, t);
    if (!at)
        return false;
    for (int dir = -1; dir <= 1; dir += 2) {
        char *nb = list_neighbour(s, dir > 0 ? at + strlen(t) : at, dir);
        bool name = nb && (lex_kind_of(lex, nb) || nb[0] == '@' || !strncmp(nb, "__", 2) ||
                           strchr(nb, '.') || strchr(nb, '_'));
        free(nb);
        if (name)
            return true;
    }
    return false;
}

void derive__cloze(struct ctx *x, size_t bi)
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
        char *t = pool_term(&x->lex, s);
        if (!t)
            continue;
        /* Context: the excerpt must name its subject and determine one option. */
        bool pronoun = starts_with_pronoun(s);
        const char *at = strstr(s, t);
        size_t tl = strlen(t);
        /* An example in parentheses, after "e.g.", a possessive ("____'s
         * Depends" names its owner) or a slash pair ("____/Uvicorn"). */
        bool example = at && ((at > s && at[-1] == '(' && at[tl] == ')') ||
                              (at - s >= 5 && !strncmp(at - 5, "e.g. ", 5)) || !strncmp(at + tl, "'s ", 3) ||
                              at[tl] == '/' || (at > s && at[-1] == '/'));
        if (in_enumeration(&x->lex, s, t) || derive__is_fragment(s) || example ||
            ((pronoun || n < 70) && i == 0)) {
            free(t);
            continue;
        }
        char *blanked = derive__replace_once(s, t[0] == '@' ? t : t, "____");
        /* The sentence before it usually names the subject ("Note: not all
         * objects support weak references. Classes need a ____ slot."). */
        char *shown;
        size_t pl = i > 0 ? strlen(ss.v[i - 1]) : 0;
        if (i > 0 && pl + n <= 300 && ss.v[i - 1][pl - 1] != ':')
            shown = xasprintf("%s %s", ss.v[i - 1], blanked);
        else
            shown = xstrdup(blanked);
        if (find_word(shown, t[0] == '@' ? t + 1 : t)) {   /* the answer shows elsewhere */
            free(blanked), free(shown), free(t);
            continue;
        }
        struct strv pool = {0}, cands = {0};
        lex_typed_pool(&x->lex, t, &pool);
        char *d[12];
        int nd = lex_pick(&x->lex, s, t, &pool, shown, false, d, 12);
        for (int k = 0; k < nd; k++)
            sv_push_take(&cands, d[k]);
        sv_free(&pool);
        struct cand *c = derive__new_cand(x, "cloze", bl->line_start, bl->line_end);
        c->q.prompt = xasprintf("Fill in the blank: “%s”", shown);
        /* The sentence states the rule; a following one only when it is about the term too. */
        char *more = i + 1 < ss.n && find_word(ss.v[i + 1], t[0] == '@' ? t + 1 : t) ? ss.v[i + 1] : NULL;
        char *ex = more ? xasprintf("%s %s", s, more) : xstrdup(s);
        c->q.explanation = clip(ex, 600);
        free(ex);
        derive__finish_options(x, c, t, &cands);
        sv_free(&cands);
        made += c->gate == NULL;
        free(blanked), free(shown), free(t);
    }
    sv_free(&ss);
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
    if (!bl) {
        /* "Label:" with nothing after it: no pair, and nothing for the caller to free. */
        free(*label), free(*body);
        *label = *body = NULL;
        return false;
    }
    return true;
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
            char *r = derive__replace_once(out, words.v[i], "___");
            free(out);
            out = r;
        }
    }
    sv_free(&words);
    return out;
}

void derive__define(struct ctx *x, size_t bi)
{
    (void)bi;   /* per answer: reads the whole of x->cq */
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
        /* The heading is the block right before the run, ending in ':'. */
        if (i > 0 && q->blocks[i - 1].kind == BLK_PROSE) {
            size_t hl = strlen(q->blocks[i - 1].text);
            if (hl && q->blocks[i - 1].text[hl - 1] == ':')
                heading = q->blocks[i - 1].text;
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
                char *odesc[4] = {descs.v[k]};
                int no = 1;
                for (size_t dist = 1; dist < terms.n && no < 4; dist++) {
                    if (k + dist < terms.n) {
                        odesc[no] = descs.v[k + dist];
                        opts[no++] = xstrdup(terms.v[k + dist]);
                    }
                    if (no < 4 && k >= dist) {
                        odesc[no] = descs.v[k - dist];
                        opts[no++] = xstrdup(terms.v[k - dist]);
                    }
                }
                struct cand *c = derive__new_cand(x, "define", lines[k], lines[k]);
                /* The prompt says what kind of thing is asked: the list's heading,
                 * else the source question it answers. */
                if (heading && strlen(heading) <= 70) {
                    char *hc = clip(heading, 80);
                    size_t hl = strlen(hc);
                    while (hl && (hc[hl - 1] == ':' || hc[hl - 1] == ' '))
                        hc[--hl] = 0;
                    c->q.prompt = xasprintf("%s — which one is this? “%s”", hc, masked);
                    free(hc);
                } else {
                    char *tc = clip(x->cq->title, 140);
                    c->q.prompt = xasprintf("In answer to “%s” — which one is this? “%s”", tc, masked);
                    free(tc);
                }
                derive__set_options(c, opts, no);
                /* The why: this entry, then what each other option is instead. */
                c->q.explanation = derive__contrast_why(&c->q, opts, odesc, no, CONTRAST_WHY_MAX);
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

void derive__tool(struct ctx *x, size_t bi)
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
                sv_push_take(&names, py_rtrim_dup(items.v[i], (size_t)(par - items.v[i])));
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
            char *odesc[4] = {purposes.v[i]};
            int no = 1;
            for (size_t k = 1; k < names.n && no < 4; k++) {
                odesc[no] = purposes.v[(i + k) % names.n];
                opts[no++] = xstrdup(names.v[(i + k) % names.n]);
            }
            struct cand *c = derive__new_cand(x, "tool", bl->line_start, bl->line_end);
            c->q.prompt = xasprintf("%s — which one is listed for “%s”?", label, purposes.v[i]);
            derive__set_options(c, opts, no);
            /* The why: the answer's purpose, then each other option's. */
            c->q.explanation = derive__contrast_why(&c->q, opts, odesc, no, CONTRAST_WHY_MAX);
            made++;
        }
        sv_free(&names), sv_free(&purposes), sv_free(&items);
        free(label), free(body);
    }
    sv_free(&sents);
}
