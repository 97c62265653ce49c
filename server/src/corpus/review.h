/* Which review files apply to a corpus, decided by the corpus file's
 * content (SHA-256), never by how its path is spelled. The review directory
 * holds a manifest, quizd-review/1:
 *   {"format": "quizd-review/1",
 *    "corpora": [{"sha256": "<64 hex>", "name": "...", "errata": "errata.txt",
 *                 "overrides": "overrides.json", "stamps": "stamps.json"}]}
 * File names are relative to the review directory. One function serves quizd
 * and quizd-pack. */
#ifndef QZ_REVIEW_H
#define QZ_REVIEW_H
#include "corpus/pack.h"
#include <stdbool.h>
#include <stddef.h>

#define REVIEW_FORMAT "quizd-review/1"
#define REVIEW_MANIFEST "manifest.json"
#define REVIEW_HASH_HEX 65           /* 64 hex digits and a NUL */

/* The review files for one corpus; paths are owned (NULL = none). */
struct review_files {
    bool matched;                    /* the manifest lists this corpus's hash */
    char sha256[REVIEW_HASH_HEX];    /* of the corpus file */
    char *errata, *overrides, *stamps;
};

/* Hashes corpus_path and looks its SHA-256 up in review_dir's manifest.
 * Returns 0 with out filled (out->matched false and no paths when the corpus
 * is not listed or the directory has no manifest), or QZ_EIO when the corpus
 * cannot be read, or QZ_EINVAL with the problem in rep when the manifest
 * exists but is malformed. Free with review_files_cleanup. */
int review_select(const char *corpus_path, const char *review_dir, struct review_files *out,
                  struct report *rep);
void review_files_cleanup(struct review_files *f);

/* SHA-256 of buf as lower-case hex into out. */
void review_sha256_hex(const void *buf, size_t len, char out[REVIEW_HASH_HEX]);
/* SHA-256 of a whole file (at most PACK_MAX_BYTES). Returns 0 or QZ_EIO. */
int review_sha256_file(const char *path, char out[REVIEW_HASH_HEX]);

#endif
