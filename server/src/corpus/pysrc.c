/* Python source analysis: see pysrc.h. */
#include "pysrc.h"
#include "util/xmalloc.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>


long py_comment_at(const char *s)
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

char *py_rtrim_dup(const char *s, size_t n)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return xstrndup(s, n);
}

/* A tiny Python literal recogniser: returns the end of the literal at s or NULL. */
const char *py_literal_end(const char *s, int depth)
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
            p = py_literal_end(p, depth + 1);
            if (!p)
                return NULL;
            while (*p == ' ')
                p++;
            if (close == '}' && *p == ':') {
                p = py_literal_end(p + 1, depth + 1);
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

struct stmt {
    int first, last;   /* line indexes in the block */
};

void py_idents(const char *s, struct strv *out, bool skip_attrs)
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
void py_defines(const char *line, struct strv *out)
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
        py_idents(part, &tmp, true);
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
                py_idents(lhs, &tmp, true);
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

bool py_is_builtin(const char *n)
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
char *py_minimal_snippet(char **lines, int n_lines, int t, int *n_out)
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
        long c = py_comment_at(l);
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
        py_defines(defl, &defs[s]);
    }
    py_idents(lines[t], &need, true);
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
                py_idents(lines[st[s].first], &ids, true);
                for (size_t k = 0; k < ids.n && !include; k++) {
                    if (!sv_has(&need, ids.v[k]) || py_is_builtin(ids.v[k]))
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
                py_idents(lines[i], &ids, true);
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
                    py_idents(lines[i], &local, true);
    struct strv tgt = {0};
    py_idents(lines[t], &tgt, true);
    for (size_t k = 0; k < tgt.n && ok; k++)
        if (!sv_has(&have, tgt.v[k]) && !py_is_builtin(tgt.v[k]) && !sv_has(&local, tgt.v[k]))
            ok = false;
    for (size_t k = 0; k < need.n && ok; k++)
        if (!sv_has(&have, need.v[k]) && !py_is_builtin(need.v[k]) && !sv_has(&local, need.v[k]))
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
            long c = py_comment_at(lines[i]);
            char *l = py_rtrim_dup(lines[i], c >= 0 ? (size_t)c : strlen(lines[i]));
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
