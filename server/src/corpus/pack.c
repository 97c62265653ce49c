/* quizd-pack/1 reader, validator and writer (format in protocol/PACKS.md). */
#include "pack.h"
#include "util/err.h"
#include "util/utf8.h"
#include "util/xmalloc.h"
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

void report_init(struct report *r)
{
    memset(r, 0, sizeof *r);
}

void report_cleanup(struct report *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->lines[i]);
    free(r->lines);
    memset(r, 0, sizeof *r);
}

void report_add(struct report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->lines = xrealloc(r->lines, r->cap * sizeof *r->lines);
    }
    r->lines[r->n++] = xstrdup(buf);
}

void report_print(const struct report *r, FILE *f)
{
    for (size_t i = 0; i < r->n; i++)
        fprintf(f, "%s\n", r->lines[i]);
}

static bool blank(const char *s)
{
    if (!s)
        return true;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

static void trimmed_fold(const char *s, char *out, size_t cap)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n >= cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    out[n] = '\0';
}

size_t pack_check_question(const struct qz_question *q, const char *file, size_t num,
                           struct report *rep)
{
    size_t before = rep->n;
#define BAD(field, ...)                                                                            \
    do {                                                                                           \
        char m_[512];                                                                              \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                                      \
        report_add(rep, "%s:%zu: %s: %s", file, num, field, m_);                                   \
    } while (0)
    if (blank(q->id))
        BAD("id", "required, a non-empty string");
    else if (strlen(q->id) > 64)
        BAD("id", "longer than 64 characters");
    else
        for (const char *c = q->id; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                  *c == '-' || *c == '_' || *c == '.')) {
                BAD("id", "only letters, digits, '-', '_' and '.' are allowed");
                break;
            }
    if (blank(q->kind) || strlen(q->kind) > 32)
        BAD("kind", "required, 1 to 32 characters");
    if (blank(q->category) || strlen(q->category) > 80)
        BAD("category", "required, 1 to 80 characters");
    if (blank(q->prompt))
        BAD("prompt", "required, a non-empty string");
    else if (strlen(q->prompt) > PACK_MAX_PROMPT)
        BAD("prompt", "longer than %d bytes", PACK_MAX_PROMPT);
    if (q->code && strlen(q->code) > PACK_MAX_CODE)
        BAD("code", "longer than %d bytes", PACK_MAX_CODE);
    if (q->n_options < QZ_MIN_OPTIONS || q->n_options > QZ_MAX_OPTIONS)
        BAD("options", "must have 2 to 4 options, has %d", q->n_options);
    for (int i = 0; i < q->n_options && i < QZ_MAX_OPTIONS; i++) {
        char f[32];
        snprintf(f, sizeof f, "options[%d]", i);
        if (blank(q->options[i]))
            BAD(f, "must be a non-empty string");
        else if (strlen(q->options[i]) > PACK_MAX_OPTION)
            BAD(f, "longer than %d bytes", PACK_MAX_OPTION);
        for (int j = 0; j < i; j++) {
            char a[PACK_MAX_OPTION + 1], b[PACK_MAX_OPTION + 1];
            if (!q->options[i] || !q->options[j])
                continue;
            trimmed_fold(q->options[i], a, sizeof a);
            trimmed_fold(q->options[j], b, sizeof b);
            if (!strcmp(a, b))
                BAD(f, "duplicates options[%d]", j);
        }
    }
    if (q->correct < 0 || q->correct >= q->n_options)
        BAD("correct", "must be an index of options (0 to %d)", q->n_options - 1);
    if (!q->explanation)
        BAD("explanation", "required string (may be empty)");
    else if (strlen(q->explanation) > PACK_MAX_EXPLANATION)
        BAD("explanation", "longer than %d bytes", PACK_MAX_EXPLANATION);
    if (q->difficulty < 1 || q->difficulty > 3)
        BAD("difficulty", "must be 1, 2 or 3");
    if (q->time_s < 5 || q->time_s > 240)
        BAD("time_s", "must be 5 to 240 seconds");
    if (q->source.number < 0)
        BAD("source.number", "must not be negative");
#undef BAD
    return rep->n - before;
}

size_t pack_validate(const struct qz_pack *p, const char *file, struct report *rep)
{
    size_t before = rep->n;
    if (blank(p->title))
        report_add(rep, "%s: title: required, a non-empty string", file);
    if (p->n == 0)
        report_add(rep, "%s: questions: the pack has no question", file);
    for (size_t i = 0; i < p->n; i++) {
        pack_check_question(&p->q[i], file, i + 1, rep);
        for (size_t j = 0; j < i && p->q[i].id; j++)
            if (p->q[j].id && !strcmp(p->q[i].id, p->q[j].id)) {
                report_add(rep, "%s:%zu: id: duplicates the id of question %zu", file, i + 1, j + 1);
                break;
            }
    }
    return rep->n - before;
}

/* Reads an optional string member into *out (copied); reports wrong types. */
static void opt_str(json_t *o, const char *k, char **out, const char *file, size_t num,
                    struct report *rep)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v))
        return;
    if (!json_is_string(v)) {
        if (num)
            report_add(rep, "%s:%zu: %s: must be a string", file, num, k);
        else
            report_add(rep, "%s: %s: must be a string", file, k);
        return;
    }
    *out = xstrdup(json_string_value(v));
}

static int opt_int(json_t *o, const char *k, int def, const char *file, size_t num,
                   struct report *rep)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v))
        return def;
    if (!json_is_integer(v) || json_integer_value(v) < -1000000 || json_integer_value(v) > 1000000) {
        report_add(rep, "%s:%zu: %s: must be an integer", file, num, k);
        return def;
    }
    return (int)json_integer_value(v);
}

static void parse_question(json_t *o, struct qz_question *q, const char *file, size_t num,
                           struct report *rep)
{
    if (!json_is_object(o)) {
        report_add(rep, "%s:%zu: question: must be an object", file, num);
        return;
    }
    opt_str(o, "id", &q->id, file, num, rep);
    opt_str(o, "kind", &q->kind, file, num, rep);
    opt_str(o, "category", &q->category, file, num, rep);
    opt_str(o, "prompt", &q->prompt, file, num, rep);
    opt_str(o, "code", &q->code, file, num, rep);
    opt_str(o, "explanation", &q->explanation, file, num, rep);
    if (!q->kind)
        q->kind = xstrdup("imported");
    json_t *opts = json_object_get(o, "options");
    if (!json_is_array(opts)) {
        report_add(rep, "%s:%zu: options: required, an array of 2 to 4 strings", file, num);
    } else {
        size_t n = json_array_size(opts);
        q->n_options = (int)(n > QZ_MAX_OPTIONS ? QZ_MAX_OPTIONS + 1 : n);
        for (size_t i = 0; i < n && i < QZ_MAX_OPTIONS; i++) {
            json_t *s = json_array_get(opts, i);
            if (!json_is_string(s))
                report_add(rep, "%s:%zu: options[%zu]: must be a string", file, num, i);
            else
                q->options[i] = xstrdup(json_string_value(s));
        }
    }
    json_t *c = json_object_get(o, "correct");
    if (!c || !json_is_integer(c)) {
        report_add(rep, "%s:%zu: correct: required integer index of the right option", file, num);
        q->correct = 0;
    } else {
        long long v = json_integer_value(c);
        q->correct = (v < -1 || v > 100) ? -1 : (int)v;
    }
    q->difficulty = opt_int(o, "difficulty", 2, file, num, rep);
    q->time_s = opt_int(o, "time_s", 0, file, num, rep);
    json_t *src = json_object_get(o, "source");
    if (src && !json_is_null(src)) {
        if (!json_is_object(src)) {
            report_add(rep, "%s:%zu: source: must be an object", file, num);
        } else {
            opt_str(src, "category", &q->source.category, file, num, rep);
            opt_str(src, "title", &q->source.title, file, num, rep);
            q->source.number = opt_int(src, "number", 0, file, num, rep);
        }
    }
    if (!q->source.category && q->category)
        q->source.category = xstrdup(q->category);
    if (q->time_s == 0)
        q->time_s = pack_suggest_time(q);
}

static char *base_id(const char *name)
{
    const char *b = strrchr(name, '/');
    b = b ? b + 1 : name;
    size_t n = strlen(b);
    if (n > 5 && !strcasecmp(b + n - 5, ".json"))
        n -= 5;
    if (n > 64)
        n = 64;
    return xstrndup(b, n);
}

struct qz_pack *pack_load_buffer(const char *buf, size_t len, const char *name, struct report *rep)
{
    json_error_t jerr;
    size_t before = rep->n;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        report_add(rep, "%s:%d: json: %s", name, jerr.line, jerr.text);
        rep->bad_input = true;
        return NULL;
    }
    struct qz_pack *p = NULL;
    if (!json_is_object(root)) {
        report_add(rep, "%s: pack: the top level must be an object", name);
        rep->bad_input = true;
        goto out;
    }
    json_t *fmt = json_object_get(root, "format");
    if (!json_is_string(fmt) || strcmp(json_string_value(fmt), PACK_FORMAT)) {
        report_add(rep, "%s: format: must be \"%s\"", name, PACK_FORMAT);
        rep->bad_input = true;
        goto out;
    }
    char *id = NULL, *title = NULL, *source = NULL;
    opt_str(root, "id", &id, name, 0, rep);
    opt_str(root, "title", &title, name, 0, rep);
    opt_str(root, "source", &source, name, 0, rep);
    if (!id)
        id = base_id(name);
    p = qz_pack_create(id, title, source);
    free(id);
    free(title);
    free(source);
    json_t *qs = json_object_get(root, "questions");
    if (!json_is_array(qs)) {
        report_add(rep, "%s: questions: required, an array", name);
        goto out;
    }
    if (json_array_size(qs) > PACK_MAX_QUESTIONS) {
        report_add(rep, "%s: questions: more than %d", name, PACK_MAX_QUESTIONS);
        goto out;
    }
    for (size_t i = 0; i < json_array_size(qs); i++)
        parse_question(json_array_get(qs, i), qz_pack_add(p), name, i + 1, rep);
    pack_validate(p, name, rep);
out:
    json_decref(root);
    if (rep->n != before) {
        qz_pack_destroy(p);
        return NULL;
    }
    qz_pack_index(p);
    return p;
}

char *pack_read_file(const char *path, size_t *len, struct report *rep)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        report_add(rep, "%s: file: cannot open", path);
        rep->bad_input = true;
        return NULL;
    }
    /* The buffer grows with what is read (from the file's size when it
     * has one), never past the limit: a 2 KB file costs 2 KB, not 16 MiB. */
    struct stat sb;
    size_t cap = 4096;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size >= 0)
        cap = (size_t)sb.st_size < PACK_MAX_BYTES ? (size_t)sb.st_size + 1 : PACK_MAX_BYTES + 1;
    char *buf = xmalloc(cap + 1);
    size_t n = 0;
    for (;;) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || n > PACK_MAX_BYTES)
            break;
        cap = cap * 2 > PACK_MAX_BYTES + 1 ? PACK_MAX_BYTES + 1 : cap * 2;
        buf = xrealloc(buf, cap + 1);
    }
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed) {
        free(buf);
        report_add(rep, "%s: file: read error", path);
        rep->bad_input = true;
        return NULL;
    }
    if (n > PACK_MAX_BYTES) {
        free(buf);
        report_add(rep, "%s: file: larger than %u bytes", path, PACK_MAX_BYTES);
        rep->bad_input = true;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

struct qz_pack *pack_load_file(const char *path, struct report *rep)
{
    size_t n;
    char *buf = pack_read_file(path, &n, rep);
    if (!buf)
        return NULL;
    struct qz_pack *p = pack_load_buffer(buf, n, path, rep);
    free(buf);
    return p;
}

static json_t *nstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

int pack_write_file(const struct qz_pack *p, const char *path)
{
    json_t *qs = json_array();
    for (size_t i = 0; i < p->n; i++) {
        const struct qz_question *q = &p->q[i];
        json_t *opts = json_array();
        for (int k = 0; k < q->n_options; k++)
            json_array_append_new(opts, json_string(q->options[k]));
        json_t *o = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:i,s:o,s:{s:o,s:i,s:o},s:i,s:i}", "id",
                              nstr(q->id), "kind", nstr(q->kind), "category", nstr(q->category),
                              "prompt", nstr(q->prompt), "code", nstr(q->code), "options", opts,
                              "correct", q->correct, "explanation", nstr(q->explanation), "source",
                              "category", nstr(q->source.category), "number", q->source.number,
                              "title", nstr(q->source.title), "difficulty", q->difficulty,
                              "time_s", q->time_s);
        json_array_append_new(qs, o);
    }
    json_t *root = json_pack("{s:s,s:s,s:s,s:s,s:o}", "format", PACK_FORMAT, "id", p->id, "title",
                             p->title, "source", p->source, "questions", qs);
    int rc;
    if (!strcmp(path, "-"))
        rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ? QZ_EIO : 0;
    else
        rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ? QZ_EIO : 0;
    if (!strcmp(path, "-"))
        fputc('\n', stdout);
    json_decref(root);
    return rc;
}

int pack_suggest_time(const struct qz_question *q)
{
    size_t chars = q->prompt ? utf8_count(q->prompt, strlen(q->prompt)) : 0;
    for (int i = 0; i < q->n_options && i < QZ_MAX_OPTIONS; i++)
        if (q->options[i])
            chars += utf8_count(q->options[i], strlen(q->options[i]));
    /* About 15 characters a second of careful reading, plus 5 s to decide. */
    int t = 5 + (int)(chars / 15);
    if (q->code) {
        int lines = 1;
        for (const char *c = q->code; *c; c++)
            lines += *c == '\n';
        t += 10 + 10 * (lines / 5);
    }
    t = (t + 4) / 5 * 5;
    if (t < 10)
        t = 10;
    if (t > 60)
        t = 60;
    return t;
}
