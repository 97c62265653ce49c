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

const char *derive__gate(const struct qz_question *q)
{
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
    return derive__gate(q);
}
