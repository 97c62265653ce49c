/* Candidate questions: stable ids, option order, sentence helpers. */
#include "derive_int.h"
#include "pysrc.h"
#include "repair.h"
#include "util/xmalloc.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct cand *derive__new_cand(struct ctx *x, const char *kind, int line, int line_end)
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

void derive__set_options(struct cand *c, char **opts, int n)
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

void derive__set_options_in_order(struct cand *c, char **opts, int n, int correct)
{
    c->q.n_options = n;
    for (int i = 0; i < n; i++)
        c->q.options[i] = opts[i];
    c->q.correct = correct;
}

char *derive__first_sentence(const struct block *bl)
{
    struct strv s = {0};
    split_sentences(bl->text, &s);
    char *r = xstrdup(s.n ? s.v[0] : "");
    sv_free(&s);
    return r;
}

#define CONTRAST_EACH_MAX 120   /* bytes of one other option's entry, at most */
#define CONTRAST_EACH_MIN 40    /* ... and at least: shorter says nothing */

/* s whole if it has at most max bytes, else its longest leading run of
 * whole clauses that fits and says something (at least 12 bytes), else
 * NULL. No ellipsis: a cut entry still reads as a complete phrase
 * ("prediction drift, data drift"). */
static char *clause_clip(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return xstrdup(s);
    /* Strongest boundary first: punctuation; then the start of a relative
     * clause ("an object with __next__ | that yields items"); then of a
     * trailing prepositional phrase ("matches the request path | against
     * urlpatterns"). The longest cut of the strongest kind that fits wins. */
    static const char *const tiers[][11] = {
        {", ", "; ", " \xE2\x80\x94 ", " (", " - ", NULL},
        {" that ", " which ", " whose ", " where ", " when ", NULL},
        {" against ", " with ", " for ", " by ", " in ", " on ", " from ", " to ", " before ", " after ", NULL},
    };
    for (size_t t = 0; t < sizeof tiers / sizeof tiers[0]; t++) {
        size_t best = 0;
        for (size_t i = 12; i <= max && i < n; i++)
            for (size_t c = 0; tiers[t][c]; c++)
                if (!strncmp(s + i, tiers[t][c], strlen(tiers[t][c])))
                    best = i;
        if (best)
            return xstrndup(s, best);
    }
    return NULL;
}

/* What each other option is, cut to `each` bytes at a clause, after the answer's
 * own entry: every other option with a description is named, or NULL when
 * they do not all fit in max (a "why" naming two of three others would
 * read as if the third were also right). */
static char *contrast_with(const struct qz_question *q, char *const *opts, char *const *descs,
                           int n, size_t max, size_t each)
{
    struct sbuf b;
    sb_init(&b);
    sb_addf(&b, "%s: %s", opts[0], descs[0]);
    int told = 0;
    for (int j = 0; j < q->n_options; j++) {
        int k = 1;
        while (k < n && opts[k] != q->options[j])
            k++;
        if (j == q->correct || k == n || !descs[k] || !descs[k][0])
            continue;
        struct strv s = {0};
        split_sentences(descs[k], &s);
        char *one = clause_clip(s.n ? s.v[0] : descs[k], each);
        sv_free(&s);
        if (!one) {   /* no clause fits: at this length the others cannot all be told */
            free(sb_take(&b));
            return NULL;
        }
        size_t l = strlen(one);
        while (l && (one[l - 1] == '.' || one[l - 1] == ' '))
            one[--l] = 0;
        if (told++)
            sb_add(&b, "; ");
        else
            sb_add(&b, b.len && strchr(".!?", b.s[b.len - 1]) ? " The other options: " : ". The other options: ");
        sb_addf(&b, "%s — %s", opts[k], one);
        free(one);
    }
    if (told)
        sb_add(&b, ".");
    char *all = sb_take(&b);
    if (told && strlen(all) > max) {
        free(all);
        return NULL;
    }
    return all;
}

char *derive__contrast_why(const struct qz_question *q, char *const *opts, char *const *descs,
                           int n, size_t max)
{
    /* Each other entry whole up to CONTRAST_EACH_MAX, shortened step by
     * step while they do not all fit, but not below CONTRAST_EACH_MIN. */
    for (size_t each = CONTRAST_EACH_MAX; each >= CONTRAST_EACH_MIN; each -= 10) {
        char *r = contrast_with(q, opts, descs, n, max, each);
        if (r) {
            char *c = clip(r, max);
            free(r);
            return c;
        }
    }
    /* The others do not fit even briefly: the answer's own entry alone. */
    char *own = xasprintf("%s: %s", opts[0], descs[0]);
    char *r = clip(own, max);
    free(own);
    return r;
}

char *derive__next_prose_sentence(const struct cquestion *q, size_t b)
{
    for (size_t i = b + 1; i < q->n_blocks; i++)
        if (q->blocks[i].kind == BLK_PROSE)
            return derive__first_sentence(&q->blocks[i]);
    return xstrdup("");
}

char *derive__replace_once(const char *s, const char *term, const char *with)
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

/* A heading-like "Label: a, b, c" fragment has no verb: not a sentence. */
bool derive__is_fragment(const char *s)
{
    static const char *verbs[] = {" is ", " are ", " was ", " has ", " have ", " use ", " uses ",
                                  " returns ", " calls ", " runs ", " makes ", " lets ", " can ",
                                  " must ", " should ", " will ", " does ", " do ", " need",
                                  " gives ", " provides ", " creates ", " stores ", " replaces ",
                                  " defines ", " Use ", " adds ", " takes ", " means ", NULL};
    char *padded = xasprintf(" %s ", s);
    bool verb = false;
    for (int i = 0; verbs[i] && !verb; i++)
        verb = strstr(padded, verbs[i]) != NULL;
    free(padded);
    return !verb;
}

/* True when the sentence s mentions term, or its last dotted part (at
 * least 4 characters: "Lock" for asyncio.Lock), or the name after '@'. */
static bool plain_word(const char *w)
{
    for (; *w; w++)
        if (!islower((unsigned char)*w))
            return false;
    return true;
}

static bool mentions(const char *s, const char *term)
{
    const char *t = term[0] == '@' ? term + 1 : term;
    /* "@profile" must appear as such: "profile" alone is an English word. */
    if (strstr(s, term) || (!plain_word(t) && find_word(s, t)))
        return true;
    const char *dot = strrchr(t, '.');
    if (dot && strlen(dot + 1) >= 4 && !plain_word(dot + 1) && find_word(s, dot + 1))
        return true;
    return false;
}

char *derive__rule_sentences(const struct cquestion *q, const char *term, const char *skip, int max)
{
    struct sbuf b;
    sb_init(&b);
    int got = 0;
    for (size_t i = 0; i < q->n_blocks && got < max; i++) {
        if (q->blocks[i].kind == BLK_CODE)
            continue;
        struct strv ss = {0};
        split_sentences(q->blocks[i].text, &ss);
        for (size_t k = 0; k < ss.n && got < max; k++) {
            const char *s = ss.v[k];
            size_t n = strlen(s);
            if (n < 25 || s[n - 1] == ':' || (skip && !strcmp(s, skip)) || !mentions(s, term) ||
                derive__is_fragment(s))
                continue;
            sb_addf(&b, "%s%s", got ? " " : "", s);
            got++;
        }
        sv_free(&ss);
    }
    char *r = sb_take(&b);
    if (!got) {
        free(r);
        return NULL;
    }
    char *cl = clip(r, 500);
    free(r);
    return cl;
}

/* Words every prompt template uses: never a cue. */
static const char *STOP[] = {"the", "and", "for", "with", "this", "that", "from", "into", "self",
                             "def", "class", "return", "async", "await", "import", "none", "true",
                             "false", "which", "what", "fill", "blank", "fills", "code", "line",
                             "does", "value", "python", "use", "used", "using", "are", "not", "one",
                             "name", "special", "method", "decorator", "described", "here",
                             "listed", "comes", "step", "after", "api", NULL};

static bool stop_word(const char *w)
{
    for (int i = 0; STOP[i]; i++)
        if (!strcmp(STOP[i], w))
            return true;
    return false;
}

#define TOKEN_MAX 64   /* longer runs are split into tokens of 63 characters */

/* A walk over the tokens of a string (see next_token). */
struct token_walk {
    const char *p;
    bool done;
};

/* The next lower-case alphanumeric token of the walk into w, split at
 * camelCase humps too, tokens under 3 characters and template words
 * skipped; false at the end. */
static bool next_token(struct token_walk *tw, char w[TOKEN_MAX])
{
    size_t n = 0;
    for (; !tw->done; tw->p++) {
        const char *p = tw->p;
        bool hump = n && isupper((unsigned char)*p) && islower((unsigned char)p[-1]);
        if (!isalnum((unsigned char)*p) || hump || n + 1 == TOKEN_MAX) {
            if (n >= 3) {
                w[n] = 0;
                /* The next call resumes at this character with an empty token. */
                if (!stop_word(w))
                    return true;
            }
            n = 0;
        }
        if (!*p) {
            tw->done = true;
            break;
        }
        if (isalnum((unsigned char)*p))
            w[n++] = (char)tolower((unsigned char)*p);
    }
    return false;
}

/* The distinct tokens of s (next_token), in order. */
static void tokens(const char *s, struct strv *out)
{
    struct token_walk tw = {s, false};
    char w[TOKEN_MAX];
    while (next_token(&tw, w))
        if (!sv_has(out, w))
            sv_push(out, w);
}

/* An option token t echoes a text token w: equal, one a prefix (>= 4
 * characters) of the other, or a common prefix of 5 or more. */
static bool echoes(const char *t, const char *w)
{
    size_t lt = strlen(t), lw = strlen(w), c = 0;
    while (t[c] && t[c] == w[c])
        c++;
    /* "cov" / "coverage", "attr" / "Attribute": a whole short token
     * starting a longer word is a cue too. */
    if (c == lt && c == lw)
        return true;
    if (c == lt)
        return c >= 3;
    if (c == lw)
        return c >= 4;
    return c >= 5;
}

bool derive__shares_word(const char *option, const char *text)
{
    /* The option's few tokens against each token of the text as it is
     * walked: linear in the text (collecting the text's distinct tokens
     * first was quadratic in a long code block). */
    struct strv a = {0};
    tokens(option, &a);
    bool r = false;
    struct token_walk tw = {text, false};
    char w[TOKEN_MAX];
    while (a.n && !r && next_token(&tw, w))
        for (size_t i = 0; i < a.n && !r; i++)
            r = echoes(a.v[i], w);
    sv_free(&a);
    return r;
}

bool derive__odd_one_out(const struct qz_question *q)
{
    if (q->n_options < 4)
        return false;
    struct strv ans = {0}, first = {0};
    tokens(q->options[q->correct], &ans);
    int d0 = q->correct == 0 ? 1 : 0;
    tokens(q->options[d0], &first);
    bool odd = false;
    for (size_t w = 0; w < first.n && !odd; w++) {
        if (sv_has(&ans, first.v[w]))
            continue;
        bool all = true;
        for (int i = 0; i < q->n_options && all; i++) {
            if (i == q->correct || i == d0)
                continue;
            struct strv t = {0};
            tokens(q->options[i], &t);
            all = sv_has(&t, first.v[w]);
            sv_free(&t);
        }
        odd = all;
    }
    sv_free(&ans);
    sv_free(&first);
    return odd;
}

int derive__finish_options(struct ctx *x, struct cand *c, const char *answer, const struct strv *cands)
{
    size_t n = cands->n < 10 ? cands->n : 10;
    const char *why = "fewer than four options";
    for (size_t i = 0; i + 2 < n; i++)
        for (size_t j = i + 1; j + 1 < n; j++)
            for (size_t k = j + 1; k < n; k++) {
                struct qz_question q = c->q;
                q.options[0] = (char *)answer;
                q.options[1] = cands->v[i];
                q.options[2] = cands->v[j];
                q.options[3] = cands->v[k];
                q.n_options = 4;
                q.correct = 0;
                const char *g = derive__gate(&x->lex, &q);
                if (g) {
                    why = g;
                    continue;
                }
                char *opts[4] = {xstrdup(answer), xstrdup(cands->v[i]), xstrdup(cands->v[j]),
                                 xstrdup(cands->v[k])};
                derive__set_options(c, opts, 4);
                return 0;
            }
    /* No set without a cue: keep the first set so the reason is counted. */
    char *opts[4] = {xstrdup(answer), NULL, NULL, NULL};
    int no = 1;
    for (size_t i = 0; i < cands->n && no < 4; i++)
        opts[no++] = xstrdup(cands->v[i]);
    derive__set_options(c, opts, no);
    c->gate = why;
    return -1;
}

/* Names that say nothing about the rule a snippet shows: structural
 * keywords and everyday variable names (builtins such as sorted stay). */
static bool generic_name(const char *n)
{
    static const char *plain[] = {"code", "data", "value", "result", "item", "items", "name", "func",
                                  "obj", "key", "text", "line", "self", "cls", "print", "def", "return",
                                  "import", "from", "class", "for", "not", "and", "with", "pass",
                                  "raise", "try", "except", "finally", "while", "del", "assert",
                                  "elif", "else", "break", "continue", "True", "False", "None", NULL};
    for (int i = 0; plain[i]; i++)
        if (!strcmp(plain[i], n))
            return true;
    return false;
}

char *derive__best_sentence(const struct cquestion *q, const char *code)
{
    struct strv ids = {0};
    py_idents(code, &ids, false);
    const char *best = NULL;
    size_t best_score = 0;
    struct strv all = {0};
    for (size_t i = 0; i < q->n_blocks; i++)
        if (q->blocks[i].kind != BLK_CODE)
            split_sentences(q->blocks[i].text, &all);
    for (size_t k = 0; k < all.n; k++) {
        const char *s = all.v[k];
        size_t n = strlen(s);
        if (n < 30 || n > 320 || s[n - 1] == ':' || derive__is_fragment(s))
            continue;
        size_t score = 0;
        for (size_t i = 0; i < ids.n; i++)
            if (strlen(ids.v[i]) >= 3 && !generic_name(ids.v[i]) && find_word(s, ids.v[i]))
                score++;
        if (score > best_score) {
            best_score = score;
            best = s;
        }
    }
    char *r = best ? clip(best, 400) : NULL;
    sv_free(&all);
    sv_free(&ids);
    return r;
}
