/* Parser for the scraped interview page (see parse.h). The page lost its
 * HTML: code is undelimited, so each line is classified on its own and
 * runs of code lines are merged into blocks. */
#include "parse.h"
#include "repair.h"
#include "util/xmalloc.h"
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool starts(const char *s, const char *p)
{
    return !strncmp(s, p, strlen(p));
}

static bool blank_line(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

static bool is_count_line(const char *s)
{
    if (!isdigit((unsigned char)*s))
        return false;
    while (isdigit((unsigned char)*s))
        s++;
    return !strcmp(s, " questions") || !strcmp(s, " question");
}

/* "  • text" */
static bool is_bullet(const char *s)
{
    return starts(s, "  \xE2\x80\xA2 ") || starts(s, "\xE2\x80\xA2 ");
}

/* "  12. text" -> number, else 0 */
static int numbered_item(const char *s)
{
    if (!starts(s, "  "))
        return 0;
    s += 2;
    if (!isdigit((unsigned char)*s))
        return 0;
    int n = atoi(s);
    while (isdigit((unsigned char)*s))
        s++;
    return (s[0] == '.' && s[1] == ' ') ? n : 0;
}

static int count_words(const char *s, int *plain)
{
    int words = 0, pl = 0;
    const char *p = s;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        words++;
        bool is_plain = true;
        int letters = 0;
        for (const char *q = w; q < p; q++) {
            unsigned char c = (unsigned char)*q;
            if (isalpha(c) || c >= 0x80)
                letters++;
            else if (!(c == ',' || c == '.' || c == '\'' || c == ';' || c == ':' || c == '?' ||
                       c == '!' || c == '-' || c == '(' || c == ')' || c == '"'))
                is_plain = false;
        }
        if (is_plain && letters > 0)
            pl++;
    }
    if (plain)
        *plain = pl;
    return words;
}

/* Prose-looking: mostly plain words, several of them, sentence ending. */
static bool wordy(const char *s)
{
    int plain, words = count_words(s, &plain);
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        n--;
    if (words < 5 || !n)
        return false;
    char last = s[n - 1];
    bool end = strchr(".:?!)\"", last) != NULL;
    return end && plain * 100 >= words * 45;
}

static const char *code_starts[] = {
    "def ", "class ", "import ", "from ", "return ", "return\n", "if ", "elif ", "else:",
    "for ", "while ", "with ", "try:", "except", "finally:", "raise ", "async ", "await ",
    "yield", "lambda", "@", "print(", "assert ", "del ", "pass", "global ", "nonlocal ",
    "FROM ", "RUN ", "COPY ", "CMD ", "WORKDIR ", "ENV ", "EXPOSE ", "ENTRYPOINT ", "ARG ",
    "USER ", "pip ", "pytest", "python ", "python3 ", "uvicorn ", "gunicorn ", "docker ",
    "celery ", "mypy ", "ruff ", "black ", "git ", "curl ", "$ ", ">>> ", "...", "}", "]", ")",
    "*", "--", NULL};

int parse_is_code_line(const char *s)
{
    if (blank_line(s))
        return 0;
    if (s[0] == ' ' || s[0] == '\t')
        return 1;
    if (s[0] == '#')
        return 1;
    /* Box-drawing trees (directory layouts). */
    if (starts(s, "\xE2\x94\x9C") || starts(s, "\xE2\x94\x94") || starts(s, "\xE2\x94\x82"))
        return 1;
    int plain, words = count_words(s, &plain);
    size_t n = strlen(s);
    /* Prose that merely starts like code ("@dataclass (Python 3.7+) auto-generates ..."). */
    if (words >= 10 && wordy(s) && s[n - 1] == '.')
        return 0;
    /* "Label: text" paragraphs with a prose body are prose. */
    const char *colon = strstr(s, ": ");
    if (colon && colon - s <= 70 && !memchr(s, '=', (size_t)(colon - s)) && isalpha((unsigned char)s[0]) &&
        count_words(colon + 2, NULL) >= 4 && wordy(colon + 2) && !starts(s, "def ") &&
        !starts(s, "class "))
        return 0;
    for (int i = 0; code_starts[i]; i++)
        if (starts(s, code_starts[i]))
            return 1;
    /* INI/TOML section headers. */
    if (s[0] == '[' && s[n - 1] == ']' && !strchr(s, ' '))
        return 1;
    /* Inline comment after a short code-like left part. */
    const char *hash = strstr(s, "  # ");
    if (!hash)
        hash = strstr(s, " # ");
    if (hash) {
        char left[512];
        size_t l = (size_t)(hash - s) < sizeof left - 1 ? (size_t)(hash - s) : sizeof left - 1;
        memcpy(left, s, l);
        left[l] = 0;
        if (count_words(left, NULL) < 8 || !wordy(left))
            return 1;
    }
    /* Assignment (not comparison) or a call as the whole line. */
    const char *eq = strstr(s, " = ");
    if (eq)
        eq++;
    else
        eq = strchr(s, '=');
    if (eq && eq > s && eq[1] != '=' && eq[-1] != '=' && eq[-1] != '!' && eq[-1] != '<' &&
        eq[-1] != '>') {
        bool ident = true;
        for (const char *p = s; p < eq; p++)
            if (!(isalnum((unsigned char)*p) || strchr("_.[]'\", ()*:+-|", *p)))
                ident = false;
        int lw = 0;
        for (const char *p = s; p < eq; p++)
            lw += (*p == ' ' && p + 1 < eq && p[1] != ' ');
        if (ident && (lw <= 1 || !wordy(s)))
            return 1;
    }
    if (!wordy(s)) {
        char last = s[n - 1];
        if (strchr("(,\\[{:)", last) && (words < 8 || !isupper((unsigned char)s[0])))
            return 1;
        if (isalpha((unsigned char)s[0]) && strchr(s, '(') && s[n - 1] == ')' && !strchr(s, ' '))
            return 1;
        /* Short identifier-ish lines: "x is y", "a == b", "app = ..." */
        if (words <= 4 && (strstr(s, "==") || strstr(s, "()") || strchr(s, '_') || strchr(s, '.')) &&
            !isupper((unsigned char)s[0]))
            return 1;
    }
    return 0;
}

/* Room for element n of an array that grows one element at a time: the
 * capacity doubles whenever n reaches a power of two (1, 2, 4, ...), so
 * appending n elements copies O(n) bytes in all, not O(n^2). */
static void *grow(void *v, size_t n, size_t size)
{
    if (n & (n - 1))
        return v;
    return xrealloc(v, (n ? 2 * n : 1) * size);
}

static void push_block(struct cquestion *q, enum block_kind k, const char *text, int l0, int l1, int num)
{
    q->blocks = grow(q->blocks, q->n_blocks, sizeof *q->blocks);
    struct block *b = &q->blocks[q->n_blocks++];
    b->kind = k;
    b->text = xstrdup(text);
    b->line_start = l0;
    b->line_end = l1;
    b->number = num;
}

/* Counts triple quotes in a line to track strings spanning lines. */
static int triple_quotes(const char *s)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, "\"\"\"")) || (p = NULL); p += 3)
        n++;
    for (const char *p = s; (p = strstr(p, "'''")); p += 3)
        n++;
    return n;
}

static void build_blocks(struct cquestion *q, char **lines, int from, int to)
{
    /* from..to are 0-based line indexes of the answer (inclusive..exclusive). */
    int i = from;
    bool in_str = false;
    while (i < to) {
        const char *s = lines[i];
        if (blank_line(s)) {
            i++;
            continue;
        }
        int num;
        if (!in_str && is_bullet(s)) {
            const char *t = strstr(s, "\xE2\x80\xA2 ") + 4;
            push_block(q, BLK_BULLET, t, i + 1, i + 1, 0);
            i++;
            continue;
        }
        if (!in_str && (num = numbered_item(s))) {
            const char *t = strchr(s, '.') + 2;
            push_block(q, BLK_NUMBERED, t, i + 1, i + 1, num);
            i++;
            continue;
        }
        if (in_str || parse_is_code_line(s)) {
            /* Merge a run of code lines; blank lines stay inside when more code follows. */
            size_t cap = 1024, len = 0;
            char *buf = xmalloc(cap);
            int start = i, last = i, blank_to = i;
            while (i < to) {
                const char *l = lines[i];
                bool code;
                if (i < blank_to) {
                    code = true;   /* inside a blank run already found to be followed by code */
                } else if (blank_line(l)) {
                    /* The whole run of blank lines is looked past once (a rescan
                     * from each of its lines would be quadratic in its length). */
                    int j = i + 1;
                    while (j < to && blank_line(lines[j]))
                        j++;
                    if (j >= to || !(in_str || parse_is_code_line(lines[j])) || is_bullet(lines[j]) ||
                        numbered_item(lines[j]))
                        break;
                    blank_to = j;
                    code = true;
                } else {
                    code = in_str || parse_is_code_line(l);
                }
                if (!code)
                    break;
                size_t ll = strlen(l);
                while (len + ll + 2 > cap)
                    cap *= 2, buf = xrealloc(buf, cap);
                memcpy(buf + len, l, ll);
                len += ll;
                buf[len++] = '\n';
                if (triple_quotes(l) % 2)
                    in_str = !in_str;
                if (!blank_line(l))
                    last = i;
                i++;
            }
            /* Trim the trailing newline(s). */
            while (len && buf[len - 1] == '\n')
                len--;
            buf[len] = 0;
            push_block(q, BLK_CODE, buf, start + 1, last + 1, 0);
            free(buf);
            in_str = false;
            continue;
        }
        push_block(q, BLK_PROSE, s, i + 1, i + 1, 0);
        i++;
    }
}

static bool is_heading(const char *s, int expected, const char **title)
{
    if (!isdigit((unsigned char)s[0]))
        return false;
    int n = 0;
    const char *p = s;
    while (isdigit((unsigned char)*p) && p - s < 2)
        n = n * 10 + (*p++ - '0');
    if (n != expected || !isupper((unsigned char)*p))
        return false;
    *title = p;
    return true;
}

int corpus_parse(const char *text, size_t len, struct corpus *c)
{
    memset(c, 0, sizeof *c);
    size_t rlen;
    char *fixed = repair_mojibake(text, len, &rlen, &c->repaired);
    /* Split into lines (the file may lack a trailing newline; CRLF tolerated). */
    for (char *p = fixed, *e; p && *p; p = e ? e + 1 : NULL) {
        e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l && p[l - 1] == '\r')
            l--;
        c->lines = grow(c->lines, c->n_lines, sizeof *c->lines);
        c->lines[c->n_lines++] = xstrndup(p, l);
        if (!e)
            break;
    }
    free(fixed);
    /* Pass 1: category headings at i where lines[i+2] is "N questions". */
    size_t *cat_at = NULL, ncat = 0;
    for (size_t i = 0; i + 2 < c->n_lines; i++)
        if (!blank_line(c->lines[i]) && blank_line(c->lines[i + 1]) && is_count_line(c->lines[i + 2])) {
            cat_at = grow(cat_at, ncat, sizeof *cat_at);
            cat_at[ncat++] = i;
        }
    if (!ncat) {
        free(cat_at);
        return -1;
    }
    c->cats = xcalloc(ncat, sizeof *c->cats);
    c->n_cats = ncat;
    for (size_t k = 0; k < ncat; k++) {
        struct category *cat = &c->cats[k];
        cat->name = xstrdup(c->lines[cat_at[k]]);
        cat->index = (int)k + 1;
        cat->declared = atoi(c->lines[cat_at[k] + 2]);
        size_t from = cat_at[k] + 3, to = k + 1 < ncat ? cat_at[k + 1] : c->n_lines;
        int expected = 1;
        int q_line = -1;
        for (size_t i = from; i <= to; i++) {
            const char *t = NULL;
            bool head = i < to && is_heading(c->lines[i], expected, &t);
            if (head || i == to) {
                if (q_line >= 0) {
                    struct cquestion *q = &cat->qs[cat->n_qs - 1];
                    build_blocks(q, c->lines, q_line + 1, (int)i);
                }
                if (head) {
                    cat->qs = grow(cat->qs, cat->n_qs, sizeof *cat->qs);
                    struct cquestion *q = &cat->qs[cat->n_qs++];
                    memset(q, 0, sizeof *q);
                    q->number = expected++;
                    q->line = (int)i + 1;
                    q->title = xstrdup(t);
                    q_line = (int)i;
                }
            }
        }
    }
    free(cat_at);
    return 0;
}

void corpus_free(struct corpus *c)
{
    for (size_t k = 0; k < c->n_cats; k++) {
        struct category *cat = &c->cats[k];
        for (size_t i = 0; i < cat->n_qs; i++) {
            for (size_t b = 0; b < cat->qs[i].n_blocks; b++)
                free(cat->qs[i].blocks[b].text);
            free(cat->qs[i].blocks);
            free(cat->qs[i].title);
        }
        free(cat->qs);
        free(cat->name);
    }
    free(c->cats);
    for (size_t i = 0; i < c->n_lines; i++)
        free(c->lines[i]);
    free(c->lines);
    memset(c, 0, sizeof *c);
}

size_t corpus_question_count(const struct corpus *c)
{
    size_t n = 0;
    for (size_t k = 0; k < c->n_cats; k++)
        n += c->cats[k].n_qs;
    return n;
}
