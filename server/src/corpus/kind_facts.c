/* Fact kinds: version ("(Python 3.N+)"), order (numbered steps of a
 * sequence) and complexity (O(...) facts). */
#include "derive_int.h"
#include "pysrc.h"
#include "repair.h"
#include "util/xmalloc.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void derive__version(struct ctx *x, size_t bi)
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
        while (f < start && (*f == ' ' || *f == '#'))
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
            /* "from functools import cache" -> functools.cache: the import in
             * this answer first, then anywhere in the corpus. */
            for (size_t b2 = 0; b2 < x->cq->n_blocks && islower((unsigned char)sq[0]); b2++) {
                if (x->cq->blocks[b2].kind != BLK_CODE)
                    continue;
                for (const char *ln = x->cq->blocks[b2].text; ln && *ln; ln = strchr(ln, '\n') ? strchr(ln, '\n') + 1 : NULL) {
                    size_t ll = strcspn(ln, "\n");
                    char *l1 = xstrndup(ln, ll);
                    const char *imp = strstr(l1, " import ");
                    if (!strncmp(l1, "from ", 5) && imp && find_word(imp, sq) && !strchr(sq, '.')) {
                        char *mod = xstrndup(l1 + 5, strcspn(l1 + 5, " "));
                        char *q2 = xasprintf("%s.%s", mod, sq);
                        free(mod);
                        free(sq);
                        sq = q2;
                    }
                    free(l1);
                }
            }
            for (size_t k = 0; k < x->lex.sentences.n && !strchr(sq, '.'); k++) {
                const char *ln = x->lex.sentences.v[k];
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
            for (size_t k = 0; k < x->lex.api.n; k++) {
                const char *dot = strchr(x->lex.api.v[k], '.');
                if (dot && !strcmp(dot + 1, sq)) {
                    free(sq);
                    sq = xstrdup(x->lex.api.v[k]);
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
        struct cand *c = derive__new_cand(x, "version", bl->line_start, bl->line_end);
        c->q.prompt = xasprintf("Since which Python version is this available: “%s”?", sq);
        derive__set_options_in_order(c, opts, no, correct);
        /* Why: the sentence stating the fact; in code, its comment line. */
        struct strv ss = {0};
        if (bl->kind == BLK_CODE) {
            const char *ls = p, *le = p;
            while (ls > s && ls[-1] != '\n')
                ls--;
            while (*le && *le != '\n')
                le++;
            while (ls < le && (*ls == ' ' || *ls == '#'))
                ls++;
            sv_push_take(&ss, xstrndup(ls, (size_t)(le - ls)));
        } else {
            split_sentences(s, &ss);
        }
        const char *ex = NULL;
        for (size_t k = 0; k < ss.n && !ex; k++)
            if (strstr(ss.v[k], "(Python 3."))
                ex = ss.v[k];
        c->q.explanation = clip(ex ? ex : "", 400);
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

void derive__order(struct ctx *x, size_t bi)
{
    (void)bi;   /* per answer: reads the whole of x->cq */
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
                c = derive__new_cand(x, "order", q->blocks[i + k].line_start, q->blocks[i + k].line_start);
                c->q.prompt = xasprintf("%s — which one comes %s (of 4)?", hc, ORD[k]);
            } else {
                if (k + 1 >= n)
                    break;
                opts[no++] = xstrdup(steps.v[k + 1]);
                /* Three other steps (never the one asked about), spread over the chain. */
                for (size_t d = 2; no < 4 && d < 2 * n; d++) {
                    size_t m = (k + d * 3) % n;
                    if (m == k + 1 || m == k)
                        continue;
                    bool dup = false;
                    for (int z = 0; z < no; z++)
                        dup |= !strcmp(opts[z], steps.v[m]);
                    if (!dup)
                        opts[no++] = xstrdup(steps.v[m]);
                }
                for (size_t m = 0; no < 4 && m < n; m++) {
                    bool dup = m == k;
                    for (int z = 0; z < no && !dup; z++)
                        dup = !strcmp(opts[z], steps.v[m]);
                    if (!dup)
                        opts[no++] = xstrdup(steps.v[m]);
                }
                c = derive__new_cand(x, "order", q->blocks[i + k + 1].line_start, q->blocks[i + k + 1].line_start);
                c->q.prompt = xasprintf("%s — which step comes right after “%s”?", hc, steps.v[k]);
            }
            derive__set_options(c, opts, no);
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

void derive__complexity(struct ctx *x, size_t bi)
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
            struct cand *c = derive__new_cand(x, "complexity", bl->line_start, bl->line_end);
            c->q.prompt = xasprintf("What is the time complexity of: %s?", subj);
            derive__set_options_in_order(c, opts, no, correct);
            c->q.explanation = clip(s, 400);
            c->q.difficulty = 1;
            free(subj);
            made++;
        }
    }
    sv_free(&ss);
}
