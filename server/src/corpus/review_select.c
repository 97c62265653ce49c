/* Review-file selection by the corpus's content hash: see review.h. */
#include "review.h"
#include "util/err.h"
#include "util/xmalloc.h"
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void review_sha256_hex(const void *buf, size_t len, char out[REVIEW_HASH_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) || n != 32) {
        fprintf(stderr, "quizd: SHA-256 unavailable\n");   /* a broken libcrypto: no safe fallback */
        abort();
    }
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int review_sha256_file(const char *path, char out[REVIEW_HASH_HEX])
{
    struct report rep;
    report_init(&rep);
    size_t len;
    char *buf = pack_read_file(path, &len, &rep);
    report_cleanup(&rep);
    if (!buf)
        return QZ_EIO;
    review_sha256_hex(buf, len, out);
    free(buf);
    return 0;
}

/* A manifest file name: plain, relative, no directory climbing. */
static bool safe_name(const char *s)
{
    return s && s[0] && s[0] != '/' && !strstr(s, "..") && strlen(s) < 256;
}

int review_select(const char *corpus_path, const char *review_dir, struct review_files *out,
                  struct report *rep)
{
    memset(out, 0, sizeof *out);
    if (review_sha256_file(corpus_path, out->sha256))
        return QZ_EIO;
    char *mpath = xasprintf("%s/%s", review_dir, REVIEW_MANIFEST);
    FILE *f = fopen(mpath, "r");
    if (!f) {
        free(mpath);
        return 0;   /* no review directory: unreviewed output */
    }
    fclose(f);
    int rc = 0;
    json_error_t je;
    json_t *root = json_load_file(mpath, JSON_REJECT_DUPLICATES, &je);
    json_t *arr = root ? json_object_get(root, "corpora") : NULL;
    const char *fmt = root ? json_string_value(json_object_get(root, "format")) : NULL;
    if (!root) {
        report_add(rep, "%s:%d: json: %s", mpath, je.line, je.text);
        rc = QZ_EINVAL;
        goto out;
    }
    if (!fmt || strcmp(fmt, REVIEW_FORMAT) || !json_is_array(arr)) {
        report_add(rep, "%s: format: must be \"%s\" with a \"corpora\" array", mpath, REVIEW_FORMAT);
        rc = QZ_EINVAL;
        goto out;
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);
        const char *h = json_string_value(json_object_get(e, "sha256"));
        if (!h || strlen(h) != 64) {
            report_add(rep, "%s:%zu: sha256: must be 64 hex digits", mpath, i + 1);
            rc = QZ_EINVAL;
            goto out;
        }
        if (strcmp(h, out->sha256))
            continue;
        const char *names[3] = {json_string_value(json_object_get(e, "errata")),
                                json_string_value(json_object_get(e, "overrides")),
                                json_string_value(json_object_get(e, "stamps"))};
        char **dst[3] = {&out->errata, &out->overrides, &out->stamps};
        for (int k = 0; k < 3; k++) {
            if (!names[k])
                continue;
            if (!safe_name(names[k])) {
                report_add(rep, "%s:%zu: file: \"%s\" must be a plain name inside %s", mpath, i + 1,
                           names[k], review_dir);
                rc = QZ_EINVAL;
                goto out;
            }
            *dst[k] = xasprintf("%s/%s", review_dir, names[k]);
        }
        out->matched = true;
        break;
    }
out:
    if (rc) {
        char keep[REVIEW_HASH_HEX];
        memcpy(keep, out->sha256, sizeof keep);
        review_files_cleanup(out);
        memcpy(out->sha256, keep, sizeof keep);
    }
    json_decref(root);
    free(mpath);
    return rc;
}

void review_files_cleanup(struct review_files *f)
{
    free(f->errata);
    free(f->overrides);
    free(f->stamps);
    memset(f, 0, sizeof *f);
}
