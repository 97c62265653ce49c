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
