/* quizd-pack/1 JSON packs: load with full validation, write, report.
 * Every problem is reported as "file:question-number: field: message"
 * (question numbers are 1-based; pack-level problems omit the number). */
#ifndef QZ_PACK_H
#define QZ_PACK_H
#include "core/question.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define PACK_FORMAT "quizd-pack/1"
#define PACK_MAX_BYTES (16u << 20)
#define PACK_MAX_QUESTIONS 10000
#define PACK_MAX_PROMPT 1000
#define PACK_MAX_OPTION 300
#define PACK_MAX_CODE 4000
#define PACK_MAX_EXPLANATION 2000

/* Collected problems; owns its lines. */
struct report {
    char **lines;
    size_t n, cap;
    bool bad_input;     /* set when the input is not readable or not a pack/corpus at all */
};

void report_init(struct report *r);
void report_cleanup(struct report *r);
void report_add(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report_print(const struct report *r, FILE *f);

/* Checks one question's fields; appends problems prefixed "file:num: ". Returns problems added. */
size_t pack_check_question(const struct qz_question *q, const char *file, size_t num,
                           struct report *rep);

/* Reads a whole file of at most PACK_MAX_BYTES (NUL-terminated, length in
 * *len). Returns a malloc'd buffer, or NULL with the problem in rep. */
char *pack_read_file(const char *path, size_t *len, struct report *rep);
/* Loads and validates a pack file. Returns the pack (caller destroys) when it
 * has no problem, else NULL with every problem in rep. The pack id is the
 * "id" field, else the file name without ".json". */
struct qz_pack *pack_load_file(const char *path, struct report *rep);
/* Same for a buffer; `name` is used in reports and as the fallback id. */
struct qz_pack *pack_load_buffer(const char *buf, size_t len, const char *name, struct report *rep);
/* Validates a whole pack in memory (ids unique, every question checked). */
size_t pack_validate(const struct qz_pack *p, const char *file, struct report *rep);
/* Writes p as pretty JSON to path ("-" = stdout). Returns 0 or QZ_EIO. */
int pack_write_file(const struct qz_pack *p, const char *path);
/* Suggested answer time from reading length: 10..60 s, +10 s per 5 code lines. */
int pack_suggest_time(const struct qz_question *q);

#endif
