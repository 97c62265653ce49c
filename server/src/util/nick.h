/* Nicknames: validation, normalisation and the look-alike key, with ICU
 * (normalizer2, uchar properties and the uspoof checker of UTS #39) rather
 * than hand-written tables. Plain C API; ICU stays inside nick.c. */
#ifndef QZ_NICK_H
#define QZ_NICK_H
#include <stdbool.h>
#include <stddef.h>

enum nick_err {
    NICK_OK = 0,
    NICK_EMPTY,        /* nothing left after trimming white space */
    NICK_TOO_LONG,     /* over NICK_MAX_CP code points (after NFC) or NICK_MAX_INPUT bytes */
    NICK_BAD_UTF8,     /* not well-formed UTF-8, or a NUL byte */
    NICK_CONTROL,      /* control, bidi control, line or paragraph separator */
    NICK_INVISIBLE,    /* default-ignorable (outside emoji and script joiners), blank, unassigned, private use */
    NICK_COMBINING,    /* a combining mark with no base, or more than NICK_MAX_MARKS in a row */
    NICK_NO_VISIBLE,   /* no letter, digit or emoji at all */
    NICK_MIXED_SCRIPT, /* scripts mixed beyond UTS #39 "moderately restrictive", or mixed digit systems */
};

#define NICK_MAX_CP 24
#define NICK_MAX_BYTES (NICK_MAX_CP * 4)
#define NICK_MAX_INPUT 512   /* longer raw input is refused before any work */
#define NICK_MAX_MARKS 4     /* Thai, Devanagari, Vietnamese need at most 3 */

/* Validates `in[0..n)` and writes the nickname as shown to everyone: white
 * space trimmed, NFC, NUL-terminated, at most NICK_MAX_BYTES bytes. `out` is
 * untouched unless NICK_OK is returned. */
enum nick_err nick_normalize(const char *in, size_t n, char out[NICK_MAX_BYTES + 1]);
/* One sentence for players ("name contains invisible characters"); never NULL. */
const char *nick_strerror(enum nick_err e);

/* The uniqueness key of a nickname (valid UTF-8): the UTS #39 confusable
 * skeleton of its NFKC_Casefold form with white space removed, so that
 * "Ada", "ADA", "Ａｄａ" and a Cyrillic "Аda" share one key. Returns a
 * malloc'd string the caller frees; never NULL. */
char *nick_key(const char *name);
/* True when a and b are the same name up to NFKC case folding and white
 * space: the same name typed differently, not merely a look-alike. */
bool nick_same(const char *a, const char *b);

#endif
