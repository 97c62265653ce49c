/* Python source analysis for derivation: comments, literals, identifiers,
 * the names a statement binds, and the smallest runnable snippet a code line
 * needs. Line-based heuristics over the corpus's examples, not a parser. */
#ifndef QZ_PYSRC_H
#define QZ_PYSRC_H
#include "corpus/text.h"
#include <stdbool.h>
#include <stddef.h>

/* Index of a '#' starting a comment (outside strings), or -1. */
long py_comment_at(const char *s);
/* Copy of s[0..n) without trailing blanks (caller frees). */
char *py_rtrim_dup(const char *s, size_t n);
/* End of the Python literal at s (after leading spaces), or NULL if s does
 * not start with a literal; depth bounds nesting. */
const char *py_literal_end(const char *s, int depth);
/* Appends each distinct identifier of s (outside strings and comments) to
 * out; attribute names after '.' are skipped when skip_attrs. */
void py_idents(const char *s, struct strv *out, bool skip_attrs);
/* Appends the names a statement's first line binds (def, class, import,
 * for/with targets, assignment targets). */
void py_defines(const char *line, struct strv *out);
/* True for builtins, keywords and names every snippet may use. */
bool py_is_builtin(const char *n);
/* Builds the minimal snippet for target line t of lines[0..n_lines): the
 * latest definitions of the names it needs (transitively) and the statements
 * that mutate them, comments stripped. Returns a malloc'd string and its line
 * count in *n_out, or NULL when a name stays unresolved. */
char *py_minimal_snippet(char **lines, int n_lines, int t, int *n_out);

#endif
