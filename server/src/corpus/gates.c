/* Quality gates every derived question passes before it is served. */
#include "derive_int.h"
#include "pysrc.h"
#include "repair.h"
#include "util/xmalloc.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* The name an option refers to: after '@' and the last dotted part
 * ("@functools.lru_cache" and "@lru_cache" both name lru_cache). */
static const char *base_name(const char *o)
{
    if (o[0] == '@')
        o++;
    const char *dot = strrchr(o, '.');
    return dot && dot[1] ? dot + 1 : o;
}

/* Kinds whose options are values or a scale, not names: form and word
 * cues do not apply. */
static bool value_kind(const char *kind)
{
    return !strcmp(kind, "code_output") || !strcmp(kind, "code_raises") || !strcmp(kind, "version") ||
           !strcmp(kind, "complexity");
}

/* The form of an option: what a player who knows no Python could compare. */
static unsigned form_of(const char *s)
{
    unsigned f = 0;
    f |= (s[0] == '@') << 0;
    f |= (!strncmp(s, "__", 2)) << 1;
    f |= (strchr(s, '.') != NULL) << 2;
    f |= (strchr(s, ' ') != NULL) << 3;
    f |= (isupper((unsigned char)s[s[0] == '@' ? 1 : 0]) != 0) << 4;
    f |= (strchr(s, '(') != NULL) << 5;
    return f;
}

const char *derive__surface_cue(const struct lexicon *lex, const struct qz_question *q)
{
    if (value_kind(q->kind) || q->n_options < 2)
        return NULL;
    const char *ans = q->options[q->correct];
    /* Players see the category too ("FastAPI" answers in the FastAPI category). */
    char *text = xasprintf("%s\n%s\n%s", q->category ? q->category : "", q->prompt ? q->prompt : "",
                           q->code ? q->code : "");
    const char *why = NULL;
    /* A word or prefix that only the answer repeats, judged per part the
     * player reads (category, prompt, quoted excerpt, code): a distractor
     * echoing the source title does not excuse the answer echoing the excerpt. */
    char *quoted = NULL;
    if (q->prompt) {
        const char *qa = strstr(q->prompt, "\xE2\x80\x9C"), *qb = qa ? strstr(qa + 3, "\xE2\x80\x9D") : NULL;
        if (qa && qb)
            quoted = xstrndup(qa + 3, (size_t)(qb - qa - 3));
    }
    const char *parts[] = {q->category, q->prompt, quoted, q->code};
    for (size_t k = 0; k < sizeof parts / sizeof parts[0] && !why; k++) {
        if (!parts[k])
            continue;
        bool any_d = false;
        for (int i = 0; i < q->n_options && !any_d; i++)
            if (i != q->correct && derive__shares_word(q->options[i], parts[k]))
                any_d = true;
        if (!any_d && derive__shares_word(ans, parts[k]))
            why = "surface cue: only the answer shares a word with the prompt or code";
    }
    free(quoted);
    /* A partner shown in the prompt or code that only the answer pairs with. */
    if (!why && lex) {
        bool ans_pair = false, d_pair = false;
        for (size_t k = 0; k < lex->pairs.n; k++) {
            const char *p = lex->pairs.v[k], *tab = strchr(p, '\t');
            char *a = xstrndup(p, (size_t)(tab - p));
            const char *b = tab + 1;
            for (int i = 0; i < q->n_options; i++) {
                const char *o = q->options[i];
                const char *partner = !strcmp(o, a) ? b : !strcmp(o, b) ? a : NULL;
                if (partner && find_word(text, partner[0] == '@' ? partner + 1 : partner)) {
                    if (i == q->correct)
                        ans_pair = true;
                    else
                        d_pair = true;
                }
            }
            free(a);
        }
        if (ans_pair && !d_pair)
            why = "surface cue: the prompt or code shows the answer's partner";
    }
    /* Singled out by form: three distractors alike, the answer not. */
    if (!why && q->n_options == 4) {
        unsigned fd = 0;
        bool alike = true;
        for (int i = 0, first = 1; i < q->n_options; i++) {
            if (i == q->correct)
                continue;
            if (first)
                fd = form_of(q->options[i]), first = 0;
            else
                alike &= form_of(q->options[i]) == fd;
        }
        if (alike && form_of(ans) != fd)
            why = "surface cue: the answer alone differs in form or case";
    }
    if (!why && derive__odd_one_out(q))
        why = "surface cue: the distractors share a word the answer lacks";
    free(text);
    return why;
}

/* An explanation that explains: not a restated line, not a heading cut at
 * ':', not empty. */
static const char *explanation_problem(const struct qz_question *q)
{
    const char *e = q->explanation;
    if (!e || !e[0])
        return "no explanation";
    size_t n = strlen(e);
    while (n && e[n - 1] == ' ')
        n--;
    if (!strncmp(e, "The line is", 11))
        return "the explanation restates the line";
    if (n && e[n - 1] == ':')
        return "the explanation is a heading cut at ':'";
    /* Code kinds say why: more than the bare result ("16.", "TypeError!"). */
    if (value_kind(q->kind) && strcmp(q->kind, "version") && strcmp(q->kind, "complexity")) {
        int words = 0;
        for (const char *p = e; *p; p++)
            words += (p == e || p[-1] == ' ') && *p != ' ';
        if (words < 4)
            return "the explanation only states the result";
    }
    return NULL;
}

const char *derive__gate(const struct lexicon *lex, const struct qz_question *q)
{
    bool code_kind = !strncmp(q->kind, "code_", 5) && strcmp(q->kind, "code_blank");
    if (q->n_options != 4)
        return "fewer than four options";
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
    /* Two spellings of one thing are two right answers. */
    for (int i = 0; i < q->n_options && !code_kind; i++)
        for (int j = i + 1; j < q->n_options; j++)
            if (!strcmp(base_name(q->options[i]), base_name(q->options[j])))
                return "two options name the same thing";
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
    const char *cue = derive__surface_cue(lex, q);
    if (cue)
        return cue;
    const char *ex = explanation_problem(q);
    if (ex)
        return ex;
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
    return derive__gate(NULL, q);
}
