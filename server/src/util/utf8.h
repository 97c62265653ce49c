/* UTF-8 helpers for untrusted text (nicknames, imported packs); nickname rules are in nick.h. */
#ifndef QZ_UTF8_H
#define QZ_UTF8_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes one code point at s[0..n); returns its length (1-4) and stores it in
 * *cp, or returns 0 for an invalid, overlong, surrogate or truncated sequence. */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* True if s[0..n) is well-formed UTF-8 with no NUL byte. */
bool utf8_valid(const char *s, size_t n);
/* Number of code points in valid UTF-8 s[0..n). */
size_t utf8_count(const char *s, size_t n);
/* Appends the UTF-8 encoding of cp to out (at least 4 bytes free); returns bytes written. */
size_t utf8_encode(uint32_t cp, char *out);

#endif
