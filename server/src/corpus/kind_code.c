/* Code kinds: code_output and code_raises (a top-level line whose comment
 * states its result, asked over the minimal snippet it needs) and code_blank
 * (a typed name blanked inside its enclosing statement). */
#include "derive_int.h"
#include "pysrc.h"
#include "repair.h"
#include "util/xmalloc.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
            const char *e = py_literal_end(p, 0);
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
            const char *e = py_literal_end(p, 0);
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

/* The result stated as a sentence, for a marked line whose comment is the
 * bare result ("# 3"): "It prints 3.", "x is 3.", "It evaluates to 3.",
 * instead of an explanation opening on "3.". A printed string is shown
 * without its quotes, as print shows it. */
static char *result_sentence(const char *lit, bool print, const char *target)
{
    size_t n = strlen(lit);
    char *shown = print && n >= 2 && (lit[0] == '"' || lit[0] == '\'') ? xstrndup(lit + 1, n - 2)
                                                                      : xstrdup(lit);
    size_t sl = strlen(shown);
    const char *stop = sl && strchr(".!?", shown[sl - 1]) ? "" : ".";
    char *r = print    ? xasprintf("It prints %s%s", shown, stop)
              : target ? xasprintf("%s is %s%s", target, shown, stop)
                       : xasprintf("It evaluates to %s%s", shown, stop);
    free(shown);
    return r;
}

void derive__code_results(struct ctx *x, size_t bi)
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
        long c = py_comment_at(l);
        if (c <= 0)
            continue;
        char *expr = py_rtrim_dup(l, (size_t)c);
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
            py_defines(expr, &d);
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
        const char *end = exc ? NULL : py_literal_end(com, 0);
        if (!exc && !end) {
            free(expr);
            continue;
        }
        char *lit = exc ? xstrdup(exc) : py_rtrim_dup(com, (size_t)(end - com));
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
        char *ctx = py_minimal_snippet(lines, n, t, &sn);
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
        struct cand *cd = derive__new_cand(x, exc ? "code_raises" : "code_output", bl->line_start + t,
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
        derive__set_options(cd, opts, nd + 1);
        /* Why: the comment's own reason, then the prose sentence that states
         * the rule for a name the marked line uses (the function or method
         * called), else the sentence introducing the example. */
        char *why = !exc && !*rest ? result_sentence(lit, print, assign ? target : NULL) : squash_ws(com);
        char *rule = derive__best_sentence(x->cq, code);
        for (int k = t - 1; k >= 0 && !rule; k--) {   /* else the example's own heading comment */
            const char *cl = lines[k];
            if (cl[0] != '#')
                continue;
            while (*cl == '#' || *cl == ' ')
                cl++;
            int words = 0;
            for (const char *p = cl; *p; p++)
                words += (p == cl || p[-1] == ' ') && *p != ' ';
            if (words < 4)
                continue;
            /* "BAD — default list is created ONCE ..." -> "Default list is created ONCE ..." */
            const char *dash = strstr(cl, " \xE2\x80\x94 ");
            bool caps = dash && dash - cl <= 6;
            for (const char *p = cl; caps && p < dash; p++)
                caps = isupper((unsigned char)*p) != 0;
            rule = xstrdup(caps ? dash + 5 : cl);
            rule[0] = (char)toupper((unsigned char)rule[0]);
            size_t rl = strlen(rule);
            if (rl && !strchr(".!?", rule[rl - 1])) {
                char *r2 = xasprintf("%s.", rule);
                free(rule);
                rule = r2;
            }
        }
        for (size_t pb = bi; pb-- > 0 && !rule;)   /* else the sentence introducing the example */
            if (x->cq->blocks[pb].kind == BLK_PROSE) {
                char *f0 = derive__first_sentence(&x->cq->blocks[pb]);
                size_t fl = strlen(f0);
                if (fl && f0[fl - 1] != ':' && !derive__is_fragment(f0))
                    rule = f0;
                else
                    free(f0);
            }
        size_t wl = strlen(why);
        char *ex = xasprintf("%s%s%s%s", why, wl && strchr(".!?", why[wl - 1]) ? "" : ".",
                             rule ? " " : "", rule ? rule : "");
        cd->q.explanation = clip(ex, 600);
        free(ex), free(why), free(rule);
        cd->q.difficulty = sn >= 8 ? 3 : 2;
        free(ctx), free(lit), free(expr);
    }
    free(copy);
}

/* The pool term a code line offers for blanking: a decorator, a special
 * method being defined, or the first pool name used once. NULL if none. */
static char *blank_term(const struct lexicon *lex, const char *l)
{
    const char *q = l;
    while (*q == ' ')
        q++;
    char *term = NULL;
    if (*q == '@') {
        const char *e = q + 1;
        while (is_word_char(*e) || *e == '.')
            e++;
        term = xstrndup(q, (size_t)(e - q));
    } else if (!strncmp(q, "def __", 6) || !strncmp(q, "async def __", 12)) {
        const char *b = strstr(q, "__");
        const char *e = b;
        while (is_word_char(*e))
            e++;
        term = xstrndup(b, (size_t)(e - b));
    } else if (strncmp(q, "from ", 5) && strncmp(q, "import ", 7)) {
        long cm = py_comment_at(l);
        char *code = xstrndup(l, cm >= 0 ? (size_t)cm : strlen(l));
        for (const char *p = code; *p && !term; p++) {
            if ((p > code && (is_word_char(p[-1]) || p[-1] == '.')) || !(isalpha((unsigned char)*p) || *p == '_'))
                continue;
            const char *e = p;
            while (is_word_char(*e) || (*e == '.' && is_word_char(e[1])))
                e++;
            char *t = xstrndup(p, (size_t)(e - p));
            if (lex_kind_of(lex, t) && count_word(code, t) == 1)
                term = t;
            else
                free(t);
            p = e > p ? e - 1 : p;
        }
        free(code);
    }
    if (term && !lex_kind_of(lex, term)) {
        free(term);
        return NULL;
    }
    return term;
}

void derive__code_blank(struct ctx *x, size_t bi)
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
        char *term = blank_term(&x->lex, l);
        if (!term)
            continue;
        {
            const char *at = strstr(l, term);
            int quotes = 0;
            for (const char *c2 = l; at && c2 < at; c2++)
                quotes += *c2 == '"' || *c2 == '\'';
            bool in_string = quotes % 2 == 1;
            bool flag = at && at > l && (at[-1] == '-' || at[-1] == '/');
            bool classname = at && at - l >= 6 && !strncmp(at - 6, "class ", 6);
            /* __init__ in "def ____(self, ...)" is guessable without reading. */
            if (!at || in_string || flag || classname || !strcmp(term, "__init__")) {
                free(term);
                continue;
            }
        }
        /* Context: the enclosing top-level statement (decorators included),
         * or a window around the line when that is long, which must still
         * start at a def/class/top-level line; comments stripped; the blanked
         * name must not appear elsewhere in it. */
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
            int top = from;
            to = t + 6 < to ? t + 6 : to;
            /* Keep the enclosing def/class header: the nearest less-indented def/class above t. */
            int ind_t = (int)strspn(lines[t], " ");
            from = t;
            for (int i = t - 1; i >= top; i--) {
                int ind = (int)strspn(lines[i], " ");
                const char *h = lines[i] + ind;
                if (ind < ind_t && (!strncmp(h, "def ", 4) || !strncmp(h, "async def ", 10) ||
                                    !strncmp(h, "class ", 6))) {
                    from = i;
                    break;
                }
            }
            if (to - from > 12 || (from == t && lines[t][0] == ' ')) {
                free(term);
                continue;
            }
        }
        struct sbuf b;
        sb_init(&b);
        bool repeated = false;
        int indent = -1, shown_lines = 0;
        for (int i = from; i < to; i++) {
            long cm = py_comment_at(lines[i]);
            char *ln = py_rtrim_dup(lines[i], cm >= 0 ? (size_t)cm : strlen(lines[i]));
            int ind = (int)strspn(ln, " ");
            if (ln[ind] && (indent < 0 || ind < indent))
                indent = ind;
            free(ln);
        }
        for (int i = from; i < to; i++) {
            long cm = py_comment_at(lines[i]);
            char *ln = py_rtrim_dup(lines[i], cm >= 0 ? (size_t)cm : strlen(lines[i]));
            if (!ln[strspn(ln, " ")]) {
                free(ln);
                continue;
            }
            if (i != t && find_word(ln, term[0] == '@' ? term + 1 : term))
                repeated = true;
            char *shown = i == t ? derive__replace_once(ln, term, "____") : xstrdup(ln);
            sb_add(&b, shown + (indent > 0 ? indent : 0));
            sb_add(&b, "\n");
            shown_lines++;
            free(shown);
            free(ln);
        }
        char *code = sb_take(&b);
        if (code[0] && code[strlen(code) - 1] == '\n')
            code[strlen(code) - 1] = 0;
        /* A one-line snippet ("____(main())") does not determine the answer. */
        char *why = repeated || shown_lines < 2 || !strstr(code, "____") || strstr(code, "\xE2\x80\xA2")
                        ? NULL
                        : derive__rule_sentences(x->cq, term, NULL, 2);
        if (!why) {
            free(term), free(code);
            continue;
        }
        struct strv pool = {0}, cands = {0};
        lex_typed_pool(&x->lex, term, &pool);
        char *d[12];
        int nd = lex_pick(&x->lex, code, term, &pool, code, false, d, 12);
        for (int k = 0; k < nd; k++)
            sv_push_take(&cands, d[k]);
        sv_free(&pool);
        struct cand *c = derive__new_cand(x, "code_blank", bl->line_start + t, bl->line_start + t);
        c->q.code = code;
        /* No title in the prompt: it often names the answer ("caching" -> @cache_page);
         * players see the category, and the reveal shows the source question. */
        c->q.prompt = xasprintf("Which %s fills the blank (____) in this code?", lex_kind_of(&x->lex, term));
        c->q.explanation = why;
        c->q.difficulty = 2;
        derive__finish_options(x, c, term, &cands);
        sv_free(&cands);
        made += c->gate == NULL;
        free(term);
    }
    free(copy);
}
