#include "question.h"
#include "../util/xmalloc.h"
#include <stdlib.h>
#include <string.h>

struct qz_pack *qz_pack_create(const char *id, const char *title, const char *source)
{
    struct qz_pack *p = xcalloc(1, sizeof *p);
    p->id = xstrdup(id ? id : "");
    p->title = xstrdup(title ? title : "");
    p->source = xstrdup(source ? source : "");
    return p;
}

void qz_question_clear(struct qz_question *q)
{
    free(q->id);
    free(q->kind);
    free(q->category);
    free(q->prompt);
    free(q->code);
    for (int i = 0; i < QZ_MAX_OPTIONS; i++)
        free(q->options[i]);
    free(q->explanation);
    free(q->source.category);
    free(q->source.title);
    memset(q, 0, sizeof *q);
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void qz_question_copy(struct qz_question *d, const struct qz_question *s)
{
    *d = *s;
    d->id = dup_or_null(s->id);
    d->kind = dup_or_null(s->kind);
    d->category = dup_or_null(s->category);
    d->prompt = dup_or_null(s->prompt);
    d->code = dup_or_null(s->code);
    for (int i = 0; i < QZ_MAX_OPTIONS; i++)
        d->options[i] = dup_or_null(s->options[i]);
    d->explanation = dup_or_null(s->explanation);
    d->source.category = dup_or_null(s->source.category);
    d->source.title = dup_or_null(s->source.title);
}

void qz_pack_destroy(struct qz_pack *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        qz_question_clear(&p->q[i]);
    free(p->q);
    for (size_t i = 0; i < p->n_cats; i++)
        free(p->cats[i].name);
    free(p->cats);
    free(p->id);
    free(p->title);
    free(p->source);
    free(p);
}

struct qz_question *qz_pack_add(struct qz_pack *p)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->q = xrealloc(p->q, p->cap * sizeof *p->q);
    }
    struct qz_question *q = &p->q[p->n++];
    memset(q, 0, sizeof *q);
    return q;
}

void qz_pack_index(struct qz_pack *p)
{
    for (size_t i = 0; i < p->n_cats; i++)
        free(p->cats[i].name);
    free(p->cats);
    p->cats = NULL;
    p->n_cats = 0;
    for (size_t i = 0; i < p->n; i++) {
        const char *c = p->q[i].category ? p->q[i].category : "";
        size_t j = 0;
        while (j < p->n_cats && strcmp(p->cats[j].name, c))
            j++;
        if (j == p->n_cats) {
            p->cats = xrealloc(p->cats, (p->n_cats + 1) * sizeof *p->cats);
            p->cats[j].name = xstrdup(c);
            p->cats[j].questions = 0;
            p->n_cats++;
        }
        p->cats[j].questions++;
    }
}
