/* Importers for packs people already have. Each skips (and reports) what it
 * cannot use instead of failing the whole file:
 *   opentdb  Open Trivia DB JSON: results[] (HTML entities decoded; boolean -> 2 options)
 *   aiken    Aiken text: question, "A. option" lines, "ANSWER: B"
 *   csv      question,option1..option4,correct,time_s,explanation,category (header row,
 *            correct 1-based, UTF-8 with or without BOM, RFC 4180 quoting) */
#ifndef QZ_IMPORT_H
#define QZ_IMPORT_H
#include "corpus/pack.h"

enum import_format { IMPORT_OPENTDB, IMPORT_AIKEN, IMPORT_CSV };

int import_format_parse(const char *name, enum import_format *out);
/* Imports buf; returns a pack (possibly empty: check ->n) or NULL when the
 * file as a whole is unusable. Problems go to rep as "name:N: field: msg";
 * *skipped counts questions left out. title/id may be NULL (derived from name). */
struct qz_pack *import_buffer(enum import_format f, const char *buf, size_t len, const char *name,
                              const char *title, const char *id, struct report *rep, size_t *skipped);
struct qz_pack *import_file(enum import_format f, const char *path, const char *title, const char *id,
                            struct report *rep, size_t *skipped);
/* Decodes HTML entities (named ones in common use, decimal and hex). Returns malloc'd. */
char *html_decode(const char *s);

#endif
