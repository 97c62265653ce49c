/* UTF-8 helpers for untrusted text (nicknames, imported packs). */
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

enum nick_err { NICK_OK = 0, NICK_EMPTY, NICK_TOO_LONG, NICK_BAD_UTF8, NICK_CONTROL };
#define NICK_MAX_CP 24
#define NICK_MAX_BYTES (NICK_MAX_CP * 4)
/* Validates and trims a nickname: 1-24 code points after trimming white space,
 * valid UTF-8, no control or bidi-override characters. Writes the trimmed
 * name (NUL-terminated, at most NICK_MAX_BYTES bytes) to out. */
enum nick_err nick_normalize(const char *in, size_t n, char out[NICK_MAX_BYTES + 1]);
const char *nick_strerror(enum nick_err e);
/* Case-insensitive comparison key: ASCII letters folded, other bytes kept. */
void nick_fold(const char *name, char *out, size_t outsz);

#endif
