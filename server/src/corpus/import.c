#include "import.h"
#include "text.h"
#include "util/utf8.h"
#include "util/xmalloc.h"
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int import_format_parse(const char *name, enum import_format *out)
{
    if (!strcmp(name, "opentdb"))
        *out = IMPORT_OPENTDB;
    else if (!strcmp(name, "aiken"))
        *out = IMPORT_AIKEN;
    else if (!strcmp(name, "csv"))
        *out = IMPORT_CSV;
    else
        return -1;
    return 0;
}

char *html_decode(const char *s)
{
    static const struct { const char *n; unsigned cp; } ents[] = {
        {"quot", 34}, {"amp", 38}, {"apos", 39}, {"lt", 60}, {"gt", 62}, {"nbsp", 160},
        {"iexcl", 161}, {"cent", 162}, {"pound", 163}, {"euro", 0x20AC}, {"yen", 165},
        {"copy", 169}, {"reg", 174}, {"deg", 176}, {"plusmn", 177}, {"sup2", 178}, {"sup3", 179},
        {"micro", 181}, {"middot", 183}, {"frac14", 188}, {"frac12", 189}, {"frac34", 190},
        {"iquest", 191}, {"times", 215}, {"divide", 247}, {"shy", 173}, {"laquo", 171},
        {"raquo", 187}, {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"lsquo", 0x2018},
        {"rsquo", 0x2019}, {"hellip", 0x2026}, {"ndash", 0x2013}, {"mdash", 0x2014},
        {"trade", 0x2122}, {"pi", 0x3C0}, {"Pi", 0x3A0}, {"alpha", 0x3B1}, {"beta", 0x3B2},
        {"gamma", 0x3B3}, {"Delta", 0x394}, {"delta", 0x3B4}, {"Omega", 0x3A9}, {"szlig", 223},
        {"Agrave", 192}, {"Aacute", 193}, {"Acirc", 194}, {"Atilde", 195}, {"Auml", 196},
        {"Aring", 197}, {"AElig", 198}, {"Ccedil", 199}, {"Egrave", 200}, {"Eacute", 201},
        {"Ecirc", 202}, {"Euml", 203}, {"Iacute", 205}, {"Ntilde", 209}, {"Oacute", 211},
        {"Ouml", 214}, {"Oslash", 216}, {"Uacute", 218}, {"Uuml", 220}, {"agrave", 224},
        {"aacute", 225}, {"acirc", 226}, {"atilde", 227}, {"auml", 228}, {"aring", 229},
        {"aelig", 230}, {"ccedil", 231}, {"egrave", 232}, {"eacute", 233}, {"ecirc", 234},
        {"euml", 235}, {"igrave", 236}, {"iacute", 237}, {"icirc", 238}, {"iuml", 239},
        {"ntilde", 241}, {"ograve", 242}, {"oacute", 243}, {"ocirc", 244}, {"otilde", 245},
        {"ouml", 246}, {"oslash", 248}, {"ugrave", 249}, {"uacute", 250}, {"ucirc", 251},
        {"uuml", 252}, {"yacute", 253}, {"yuml", 255}, {"scaron", 0x161}, {"Scaron", 0x160},
        {"oelig", 0x153}, {"OElig", 0x152}, {"rarr", 0x2192}, {"larr", 0x2190}, {"hearts", 0x2665},
    };
    struct sbuf b;
    sb_init(&b);
    for (const char *p = s; *p;) {
        if (*p == '&') {
            const char *semi = strchr(p, ';');
            if (semi && semi - p <= 10) {
                unsigned cp = 0;
                if (p[1] == '#') {
                    cp = (p[2] == 'x' || p[2] == 'X') ? (unsigned)strtoul(p + 3, NULL, 16)
                                                      : (unsigned)strtoul(p + 2, NULL, 10);
                } else {
                    for (size_t i = 0; i < sizeof ents / sizeof ents[0]; i++)
                        if (strlen(ents[i].n) == (size_t)(semi - p - 1) &&
                            !strncmp(p + 1, ents[i].n, (size_t)(semi - p - 1)))
                            cp = ents[i].cp;
                }
                if (cp && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF)) {
                    char u[4];
                    sb_addn(&b, u, utf8_encode(cp, u));
                    p = semi + 1;
                    continue;
                }
            }
        }
        sb_addn(&b, p, 1);
        p++;
    }
    return sb_take(&b);
}

static char *base_name(const char *name)
{
    const char *b = strrchr(name, '/');
    b = b ? b + 1 : name;
    const char *dot = strrchr(b, '.');
    size_t n = dot && dot > b ? (size_t)(dot - b) : strlen(b);
    char *id = xstrndup(b, n > 64 ? 64 : n);
    for (char *p = id; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.'))
            *p = '-';
    return id;
}

/* Shared: trims, checks with the pack validator, keeps or drops the question. */
static void finish_question(struct qz_pack *p, const char *name, size_t num, struct report *rep,
                            size_t *skipped)
{
    struct qz_question *q = &p->q[p->n - 1];
    if (!q->kind)
        q->kind = xstrdup("imported");
    if (!q->category || !q->category[0]) {
        free(q->category);
        q->category = xstrdup("General");
    }
    if (!q->source.category)
        q->source.category = xstrdup(q->category);
    if (!q->explanation)
        q->explanation = xstrdup("");
    if (!q->difficulty)
        q->difficulty = 2;
    if (!q->time_s)
        q->time_s = pack_suggest_time(q);
    if (!q->id)
        q->id = xasprintf("%s-%zu", p->id, num);
    if (pack_check_question(q, name, num, rep)) {
        qz_question_clear(q);
        p->n--;
        (*skipped)++;
    }
}

static char *trim_dup(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return xstrndup(s, n);
}

static struct qz_pack *import_opentdb(const char *buf, size_t len, const char *name, struct qz_pack *p,
                                      struct report *rep, size_t *skipped)
{
    json_error_t je;
    json_t *root = json_loadb(buf, len, 0, &je);
    if (!root) {
        report_add(rep, "%s:%d: json: %s", name, je.line, je.text);
        qz_pack_destroy(p);
        return NULL;
    }
    json_t *res = json_object_get(root, "results");
    if (!json_is_array(res)) {
        report_add(rep, "%s: results: required, an array (is this Open Trivia DB JSON?)", name);
        json_decref(root);
        qz_pack_destroy(p);
        return NULL;
    }
    json_t *rc = json_object_get(root, "response_code");
    if (rc && json_integer_value(rc) != 0)
        report_add(rep, "%s: response_code: %lld (the API did not return questions)", name,
                   (long long)json_integer_value(rc));
    for (size_t i = 0; i < json_array_size(res); i++) {
        json_t *o = json_array_get(res, i);
        size_t num = i + 1;
        const char *type = json_string_value(json_object_get(o, "type"));
        const char *qt = json_string_value(json_object_get(o, "question"));
        const char *ca = json_string_value(json_object_get(o, "correct_answer"));
        json_t *inc = json_object_get(o, "incorrect_answers");
        if (!qt || !ca || !json_is_array(inc)) {
            report_add(rep, "%s:%zu: question: needs question, correct_answer and incorrect_answers", name, num);
            (*skipped)++;
            continue;
        }
        bool boolean = type && !strcmp(type, "boolean");
        if (type && !boolean && strcmp(type, "multiple")) {
            report_add(rep, "%s:%zu: type: \"%s\" is not supported (multiple or boolean)", name, num, type);
            (*skipped)++;
            continue;
        }
        size_t ni = json_array_size(inc);
        if (ni + 1 > QZ_MAX_OPTIONS || ni < 1) {
            report_add(rep, "%s:%zu: incorrect_answers: 1 to 3 are supported, found %zu", name, num, ni);
            (*skipped)++;
            continue;
        }
        struct qz_question *q = qz_pack_add(p);
        q->prompt = html_decode(qt);
        q->kind = xstrdup("imported");
        const char *cat = json_string_value(json_object_get(o, "category"));
        q->category = html_decode(cat ? cat : "General");
        const char *d = json_string_value(json_object_get(o, "difficulty"));
        q->difficulty = !d ? 2 : !strcmp(d, "easy") ? 1 : !strcmp(d, "hard") ? 3 : 2;
        char *correct = html_decode(ca);
        if (boolean) {
            /* Always "True" then "False", as players expect. */
            q->n_options = 2;
            q->options[0] = xstrdup("True");
            q->options[1] = xstrdup("False");
            q->correct = !strcasecmp(correct, "True") ? 0 : 1;
            free(correct);
        } else {
            /* Place the correct answer at a stable, hash-chosen position. */
            int n = (int)ni + 1, pos = (int)(fnv2(qt, ca) % (uint32_t)n), k = 0;
            q->n_options = n;
            for (int j = 0; j < n; j++) {
                if (j == pos) {
                    q->options[j] = correct;
                    q->correct = j;
                } else {
                    const char *w = json_string_value(json_array_get(inc, (size_t)k++));
                    q->options[j] = html_decode(w ? w : "");
                }
            }
        }
        q->explanation = xasprintf("The answer is: %s.", q->options[q->correct]);
        finish_question(p, name, num, rep, skipped);
    }
    json_decref(root);
    return p;
}

static bool option_line(const char *l, char *letter, const char **text)
{
    if (!isupper((unsigned char)l[0]) || (l[1] != '.' && l[1] != ')') || l[2] != ' ')
        return false;
    *letter = l[0];
    *text = l + 3;
    return true;
}

static struct qz_pack *import_aiken(const char *buf, size_t len, const char *name, struct qz_pack *p,
                                    struct report *rep, size_t *skipped)
{
    char *text = xstrndup(buf, len);
    size_t num = 0;
    struct sbuf question;
    sb_init(&question);
    char *opts[26] = {0};
    int nopt = 0, qline = 0, ln = 0;
    char *save = NULL;
    bool bad = false;
    for (char *l = text;; ) {
        char *e = strchr(l, '\n');
        if (e)
            *e = 0;
        ln++;
        size_t n = strlen(l);
        if (n && l[n - 1] == '\r')
            l[--n] = 0;
        char letter;
        const char *ot;
        char *t = trim_dup(l, n);
        if (!strncasecmp(t, "ANSWER:", 7)) {
            num++;
            const char *a = t + 7;
            while (*a == ' ')
                a++;
            int ci = isupper((unsigned char)*a) ? *a - 'A' : -1;
            if (!question.len || nopt < 2) {
                report_add(rep, "%s:%zu: question: needs a question line and 2 to 4 options (line %d)", name, num, ln);
                (*skipped)++;
            } else if (nopt > QZ_MAX_OPTIONS) {
                report_add(rep, "%s:%zu: options: %d options; at most 4 are supported (line %d)", name, num, nopt, qline);
                (*skipped)++;
            } else if (ci < 0 || ci >= nopt) {
                report_add(rep, "%s:%zu: correct: ANSWER names no option (line %d)", name, num, ln);
                (*skipped)++;
            } else if (bad) {
                report_add(rep, "%s:%zu: options: letters must run A, B, C, D (line %d)", name, num, qline);
                (*skipped)++;
            } else {
                struct qz_question *q = qz_pack_add(p);
                q->prompt = squash_ws(question.s);
                q->n_options = nopt;
                for (int i = 0; i < nopt; i++) {
                    q->options[i] = opts[i];
                    opts[i] = NULL;
                }
                q->correct = ci;
                finish_question(p, name, num, rep, skipped);
            }
            for (int i = 0; i < 26; i++) {
                free(opts[i]);
                opts[i] = NULL;
            }
            nopt = 0;
            bad = false;
            free(question.s);
            sb_init(&question);
        } else if (option_line(t, &letter, &ot) && question.len) {
            if (nopt < 26) {
                if (letter != 'A' + nopt)
                    bad = true;
                opts[nopt++] = xstrdup(ot);
            }
        } else if (*t) {
            if (nopt) {   /* a question line after options without ANSWER */
                num++;
                report_add(rep, "%s:%zu: answer: no \"ANSWER:\" line before line %d", name, num, ln);
                (*skipped)++;
                for (int i = 0; i < 26; i++) {
                    free(opts[i]);
                    opts[i] = NULL;
                }
                nopt = 0;
                free(question.s);
                sb_init(&question);
            }
            if (!question.len)
                qline = ln;
            if (question.len)
                sb_add(&question, " ");
            sb_add(&question, t);
        }
        free(t);
        if (!e)
            break;
        l = e + 1;
    }
    (void)save;
    if (question.len) {
        num++;
        report_add(rep, "%s:%zu: answer: the file ends without an \"ANSWER:\" line", name, num);
        (*skipped)++;
    }
    for (int i = 0; i < 26; i++)
        free(opts[i]);
    free(question.s);
    free(text);
    return p;
}

/* RFC 4180 record reader: returns fields of one record, advancing *pos. */
static int csv_record(const char *s, size_t len, size_t *pos, struct strv *fields, int *line)
{
    sv_free(fields);
    if (*pos >= len)
        return 0;
    struct sbuf f;
    sb_init(&f);
    bool quoted = false, any = false;
    size_t i = *pos;
    for (; i < len; i++) {
        char c = s[i];
        any = true;
        if (quoted) {
            if (c == '"') {
                if (i + 1 < len && s[i + 1] == '"') {
                    sb_addn(&f, "\"", 1);
                    i++;
                } else {
                    quoted = false;
                }
            } else {
                if (c == '\n')
                    (*line)++;
                sb_addn(&f, &c, 1);
            }
        } else if (c == '"' && f.len == 0) {
            quoted = true;
        } else if (c == ',') {
            sv_push_take(fields, sb_take(&f));
        } else if (c == '\r') {
            continue;
        } else if (c == '\n') {
            (*line)++;
            i++;
            break;
        } else {
            sb_addn(&f, &c, 1);
        }
    }
    sv_push_take(fields, sb_take(&f));
    *pos = i;
    return any ? 1 : 0;
}

static struct qz_pack *import_csv(const char *buf, size_t len, const char *name, struct qz_pack *p,
                                  struct report *rep, size_t *skipped)
{
    size_t pos = 0;
    if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
        pos = 3;
    if (!utf8_valid(buf + pos, len - pos)) {
        report_add(rep, "%s: file: not valid UTF-8 (save the CSV as UTF-8)", name);
        qz_pack_destroy(p);
        return NULL;
    }
    struct strv f = {0};
    int line = 1;
    if (!csv_record(buf, len, &pos, &f, &line)) {
        report_add(rep, "%s: header: the file is empty", name);
        qz_pack_destroy(p);
        return NULL;
    }
    static const char *cols[] = {"question", "option1", "option2", "option3", "option4",
                                 "correct", "time_s", "explanation", "category"};
    int at[9];
    for (int k = 0; k < 9; k++) {
        at[k] = -1;
        for (size_t i = 0; i < f.n; i++) {
            char *h = trim_dup(f.v[i], strlen(f.v[i]));
            if (!strcasecmp(h, cols[k]))
                at[k] = (int)i;
            free(h);
        }
    }
    if (at[0] < 0 || at[1] < 0 || at[2] < 0 || at[5] < 0) {
        report_add(rep, "%s:1: header: needs at least question, option1, option2 and correct "
                        "(question,option1,option2,option3,option4,correct,time_s,explanation,category)",
                   name);
        sv_free(&f);
        qz_pack_destroy(p);
        return NULL;
    }
    size_t num = 0;
    while (csv_record(buf, len, &pos, &f, &line)) {
        bool empty = true;
        for (size_t i = 0; i < f.n; i++)
            empty &= f.v[i][strspn(f.v[i], " \t")] == 0;
        if (empty)
            continue;
        num++;
#define COL(k) (at[k] >= 0 && (size_t)at[k] < f.n ? f.v[at[k]] : "")
        struct qz_question *q = qz_pack_add(p);
        q->prompt = trim_dup(COL(0), strlen(COL(0)));
        int n = 0;
        int map[4] = {-1, -1, -1, -1};
        for (int k = 1; k <= 4; k++) {
            char *o = trim_dup(COL(k), strlen(COL(k)));
            if (*o) {
                map[k - 1] = n;
                q->options[n++] = o;
            } else {
                free(o);
            }
        }
        q->n_options = n;
        char *cs = trim_dup(COL(5), strlen(COL(5)));
        char *end;
        long c = strtol(cs, &end, 10);
        if (!*cs || *end || c < 1 || c > 4 || map[c - 1] < 0) {
            report_add(rep, "%s:%zu: correct: \"%s\" is not the 1-based number of a filled option", name, num, cs);
            q->correct = -1;
        } else {
            q->correct = map[c - 1];
        }
        free(cs);
        char *ts = trim_dup(COL(6), strlen(COL(6)));
        if (*ts) {
            long t = strtol(ts, &end, 10);
            q->time_s = (*end || t < 5 || t > 240) ? -1 : (int)t;
        }
        free(ts);
        q->explanation = trim_dup(COL(7), strlen(COL(7)));
        q->category = trim_dup(COL(8), strlen(COL(8)));
#undef COL
        if (q->correct < 0) {
            qz_question_clear(q);
            p->n--;
            (*skipped)++;
            continue;
        }
        finish_question(p, name, num, rep, skipped);
    }
    sv_free(&f);
    return p;
}

struct qz_pack *import_buffer(enum import_format fmt, const char *buf, size_t len, const char *name,
                              const char *title, const char *id, struct report *rep, size_t *skipped)
{
    char *bid = id ? xstrdup(id) : base_name(name);
    struct qz_pack *p = qz_pack_create(bid, title ? title : bid, name);
    free(bid);
    *skipped = 0;
    switch (fmt) {
    case IMPORT_OPENTDB: p = import_opentdb(buf, len, name, p, rep, skipped); break;
    case IMPORT_AIKEN: p = import_aiken(buf, len, name, p, rep, skipped); break;
    case IMPORT_CSV: p = import_csv(buf, len, name, p, rep, skipped); break;
    }
    if (p) {
        /* Ids must be unique: number duplicates. */
        for (size_t i = 0; i < p->n; i++)
            for (size_t j = 0; j < i; j++)
                if (!strcmp(p->q[i].id, p->q[j].id)) {
                    char *nid = xasprintf("%s-%zu", p->q[i].id, i + 1);
                    free(p->q[i].id);
                    p->q[i].id = nid;
                }
        qz_pack_index(p);
        if (p->n == 0)
            report_add(rep, "%s: questions: no usable question was found", name);
    }
    return p;
}

struct qz_pack *import_file(enum import_format fmt, const char *path, const char *title, const char *id,
                            struct report *rep, size_t *skipped)
{
    size_t n;
    *skipped = 0;
    char *buf = pack_read_file(path, &n, rep);
    if (!buf)
        return NULL;
    struct qz_pack *p = import_buffer(fmt, buf, n, path, title, id, rep, skipped);
    free(buf);
    return p;
}
