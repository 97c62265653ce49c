/* Review stamps: see stamps.h. */
#include "stamps.h"
#include "text.h"
#include "util/err.h"
#include "util/xmalloc.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "<length>:<bytes>;" so that no two different questions hash alike. */
static void add_field(struct sbuf *b, const char *s)
{
    char len[32];
    size_t n = s ? strlen(s) : 0;
    snprintf(len, sizeof len, "%zu:", n);
    sb_add(b, len);
    if (n)
        sb_addn(b, s, n);
    sb_add(b, ";");
}

void stamp_hash(const struct qz_question *q, char out[REVIEW_HASH_HEX])
{
    struct sbuf b;
    sb_init(&b);
    add_field(&b, q->prompt);
    add_field(&b, q->code);
    for (int i = 0; i < q->n_options; i++)
        add_field(&b, q->options[i]);
    char c[16];
    snprintf(c, sizeof c, "%d", q->correct);
    add_field(&b, c);
    add_field(&b, q->explanation);
    review_sha256_hex(b.s, b.len, out);
    free(b.s);
}

bool stamp_verdict_ok(const char *v)
{
    return v && (!strcmp(v, "good") || !strcmp(v, "weak"));
}

static bool hex64(const char *h)
{
    if (!h || strlen(h) != 64)
        return false;
    for (; *h; h++)
        if (!strchr("0123456789abcdef", *h))
            return false;
    return true;
}

int stamps_load(const char *path, struct stamps *s, struct report *rep)
{
    memset(s, 0, sizeof *s);
    size_t len;
    char *buf = pack_read_file(path, &len, rep);
    if (!buf)
        return QZ_EIO;
    json_error_t je;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    free(buf);
    if (!root) {
        report_add(rep, "%s:%d: json: %s", path, je.line, je.text);
        return QZ_EINVAL;
    }
    int rc = 0;
    const char *fmt = json_string_value(json_object_get(root, "format"));
    json_t *arr = json_object_get(root, "stamps");
    if (!fmt || strcmp(fmt, STAMPS_FORMAT) || !json_is_array(arr) || json_array_size(arr) > STAMPS_MAX) {
        report_add(rep, "%s: format: must be \"%s\" with a \"stamps\" array (at most %d)", path,
                   STAMPS_FORMAT, STAMPS_MAX);
        rc = QZ_EINVAL;
        goto out;
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);
        const char *id = json_string_value(json_object_get(e, "id"));
        const char *verdict = json_string_value(json_object_get(e, "verdict"));
        const char *hash = json_string_value(json_object_get(e, "hash"));
        if (!id || !id[0] || strlen(id) > 200 || !stamp_verdict_ok(verdict) || !hex64(hash)) {
            report_add(rep, "%s:%zu: stamp: id, verdict (good or weak) and hash (64 hex digits) are required",
                       path, i + 1);
            rc = QZ_EINVAL;
            continue;
        }
        if (stamps_find(s, id)) {
            report_add(rep, "%s:%zu: id: %s is stamped twice", path, i + 1, id);
            rc = QZ_EINVAL;
            continue;
        }
        stamps_set(s, id, verdict, hash);
    }
out:
    json_decref(root);
    if (rc)
        stamps_free(s);
    return rc;
}

static int by_id(const void *a, const void *b)
{
    return strcmp(((const struct stamp *)a)->id, ((const struct stamp *)b)->id);
}

int stamps_save(struct stamps *s, const char *path)
{
    qsort(s->v, s->n, sizeof *s->v, by_id);
    char *tmp = xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        free(tmp);
        return QZ_EIO;
    }
    /* One stamp per line: reviews show up as one-line diffs. */
    fprintf(f, "{\n  \"format\": \"%s\",\n  \"stamps\": [", STAMPS_FORMAT);
    for (size_t i = 0; i < s->n; i++) {
        json_t *id = json_string(s->v[i].id);
        char *ids = json_dumps(id, JSON_ENCODE_ANY);
        fprintf(f, "%s\n    {\"id\": %s, \"verdict\": \"%s\", \"hash\": \"%s\"}", i ? "," : "", ids,
                s->v[i].verdict, s->v[i].hash);
        free(ids);
        json_decref(id);
    }
    fprintf(f, "\n  ]\n}\n");
    bool ok = !ferror(f);
    ok &= fclose(f) == 0;
    if (ok)
        ok = rename(tmp, path) == 0;
    else
        remove(tmp);
    free(tmp);
    return ok ? 0 : QZ_EIO;
}

const struct stamp *stamps_find(const struct stamps *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i].id, id))
            return &s->v[i];
    return NULL;
}

void stamps_set(struct stamps *s, const char *id, const char *verdict, const char hash[REVIEW_HASH_HEX])
{
    struct stamp *st = (struct stamp *)stamps_find(s, id);
    if (!st) {
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 64;
            s->v = xrealloc(s->v, s->cap * sizeof *s->v);
        }
        st = &s->v[s->n++];
        st->id = xstrdup(id);
    }
    snprintf(st->verdict, sizeof st->verdict, "%s", verdict);
    memcpy(st->hash, hash, REVIEW_HASH_HEX);
    st->hash[REVIEW_HASH_HEX - 1] = 0;
}

enum stamp_state stamps_state(const struct stamps *s, const struct qz_question *q)
{
    const struct stamp *st = stamps_find(s, q->id);
    if (!st)
        return STAMP_MISSING;
    char h[REVIEW_HASH_HEX];
    stamp_hash(q, h);
    return strcmp(h, st->hash) ? STAMP_STALE : STAMP_CURRENT;
}

bool stamp_orphaned(const struct stamp *st, const struct qz_pack *p)
{
    for (size_t k = 0; k < p->n; k++)
        if (!strcmp(p->q[k].id, st->id))
            return false;
    return true;
}

size_t stamps_prune(struct stamps *s, const struct qz_pack *p)
{
    size_t kept = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (stamp_orphaned(&s->v[i], p)) {
            free(s->v[i].id);
            continue;
        }
        s->v[kept++] = s->v[i];
    }
    size_t removed = s->n - kept;
    s->n = kept;
    return removed;
}

void stamps_free(struct stamps *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].id);
    free(s->v);
    memset(s, 0, sizeof *s);
}
