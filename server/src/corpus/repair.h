/* Repair of UTF-8 text that was decoded as Windows-1253 (with cp1252
 * fallbacks) and re-encoded as UTF-8: "β€”" -> "—", "β”œ" -> "├", "Γ—" -> "×".
 * The rule is general: a run of characters whose cp1253 bytes form one valid
 * UTF-8 sequence is replaced by the character it encodes; everything else,
 * including characters that were never damaged (└ ← • · 🐍), is kept. */
#ifndef QZ_REPAIR_H
#define QZ_REPAIR_H
#include <stddef.h>

/* Returns a malloc'd repaired copy of s[0..n) (NUL-terminated, length in
 * *out_len if non-NULL) and the number of repaired sequences in *fixed. */
char *repair_mojibake(const char *s, size_t n, size_t *out_len, size_t *fixed);
/* True if s still contains a damaged sequence that repair would change. */
int repair_has_damage(const char *s);

#endif
