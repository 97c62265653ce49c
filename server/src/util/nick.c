/* Nicknames with ICU. Why each rule exists (issue 11, item 7): a name must
 * look like what it is, and two names that look alike must not both be in a
 * room, or a player can impersonate another (or a kicked player come back).
 *
 * - NFC is what everyone is shown, so "e" + U+0301 and "é" are one name.
 * - Default-ignorable and format characters render as nothing and are
 *   refused, except where a script or an emoji needs them: a variation
 *   selector after an emoji, ZWJ inside an emoji sequence or after a virama,
 *   ZWNJ in an Arabic-script joining context or after a virama (the
 *   CONTEXTJ rules of RFC 5892), and the tag characters of a flag sequence.
 * - Combining marks need a base and at most NICK_MAX_MARKS in a row (zalgo).
 * - At least one letter, digit or emoji: U+3164, U+2800 or a lone mark are
 *   not names.
 * - Script mixing is checked with uspoof at USPOOF_MODERATELY_RESTRICTIVE
 *   (Latin with Han/Kana/Hangul or with one other script, but not with
 *   Cyrillic or Greek), plus mixed digit systems.
 * - Uniqueness compares skeleton(NFKC_Casefold(skeleton(name))): the first
 *   skeleton keeps case-sensitive confusions ("I" vs "l"), the folding makes
 *   case, width and compatibility forms one, the second skeleton maps what
 *   folding produced ("m" and "rn"). */
#include "nick.h"
#include "utf8.h"
#include "xmalloc.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CP_BRAILLE_BLANK 0x2800   /* So, not default-ignorable, yet renders blank */
#define CP_ZWNJ 0x200C
#define CP_ZWJ 0x200D
#define CP_VS15 0xFE0E
#define CP_VS16 0xFE0F
#define CP_BLACK_FLAG 0x1F3F4     /* base of the emoji tag sequences (subdivision flags) */
#define CP_TAG_FIRST 0xE0020
#define CP_TAG_LAST 0xE007E
#define CP_CANCEL_TAG 0xE007F
#define CCC_VIRAMA 9

/* ICU data is linked in (libicudata): a failure here is a broken install. */
static void icu_check(UErrorCode st, const char *what)
{
    if (U_FAILURE(st)) {
        fprintf(stderr, "quizd: ICU %s failed: %s\n", what, u_errorName(st));
        abort();
    }
}

/* One checker for the process: uspoof_check2 and uspoof_getSkeleton are
 * const operations, and the server has a single thread. Never freed (ICU's
 * own data caches live as long). */
static const USpoofChecker *checker(void)
{
    static USpoofChecker *sc;
    if (!sc) {
        UErrorCode st = U_ZERO_ERROR;
        sc = uspoof_open(&st);
        uspoof_setChecks(sc, USPOOF_RESTRICTION_LEVEL | USPOOF_INVISIBLE | USPOOF_MIXED_NUMBERS,
                         &st);
        uspoof_setRestrictionLevel(sc, USPOOF_MODERATELY_RESTRICTIVE);
        icu_check(st, "uspoof_open");
    }
    return sc;
}

static bool has(UChar32 c, UProperty p)
{
    return u_hasBinaryProperty(c, p);
}

static bool is_tag_spec(UChar32 c)
{
    return c >= CP_TAG_FIRST && c <= CP_TAG_LAST;
}

static int joining_type(UChar32 c)
{
    return u_getIntPropertyValue(c, UCHAR_JOINING_TYPE);
}

static bool is_mark(UChar32 c)
{
    return (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0;
}

/* Whether the default-ignorable or format character c[i] is one a script or
 * an emoji sequence needs (see the file comment). */
static bool joiner_allowed(const UChar32 *c, size_t n, size_t i)
{
    UChar32 x = c[i];
    bool after_virama = i > 0 && u_getCombiningClass(c[i - 1]) == CCC_VIRAMA;
    if (x == CP_VS15 || x == CP_VS16)
        return i > 0 && has(c[i - 1], UCHAR_EMOJI);
    if (x == CP_ZWJ) {
        if (after_virama)
            return true;
        size_t j = i;   /* the emoji before, past its presentation selector and modifier */
        while (j > 0 && (c[j - 1] == CP_VS16 || has(c[j - 1], UCHAR_EMOJI_MODIFIER)))
            j--;
        return j > 0 && has(c[j - 1], UCHAR_EXTENDED_PICTOGRAPHIC) && i + 1 < n &&
               has(c[i + 1], UCHAR_EXTENDED_PICTOGRAPHIC);
    }
    if (x == CP_ZWNJ) {
        if (after_virama)
            return true;
        size_t j = i, k = i + 1;
        while (j > 0 && joining_type(c[j - 1]) == U_JT_TRANSPARENT)
            j--;
        while (k < n && joining_type(c[k]) == U_JT_TRANSPARENT)
            k++;
        if (j == 0 || k == n)
            return false;
        int l = joining_type(c[j - 1]), r = joining_type(c[k]);
        return (l == U_JT_LEFT_JOINING || l == U_JT_DUAL_JOINING) &&
               (r == U_JT_RIGHT_JOINING || r == U_JT_DUAL_JOINING);
    }
    if (is_tag_spec(x) || x == CP_CANCEL_TAG) {
        size_t j = i, k = i;
        while (j > 0 && is_tag_spec(c[j - 1]))
            j--;
        while (k < n && is_tag_spec(c[k]))
            k++;
        return j > 0 && c[j - 1] == CP_BLACK_FLAG && k < n && c[k] == CP_CANCEL_TAG && k > j;
    }
    return false;
}

/* Checks each code point of the trimmed NFC name c[0..n). */
static enum nick_err check_code_points(const UChar32 *c, size_t n)
{
    unsigned marks = 0;
    bool visible = false;
    for (size_t i = 0; i < n; i++) {
        UChar32 x = c[i];
        int8_t gc = u_charType(x);
        if (gc == U_CONTROL_CHAR || gc == U_LINE_SEPARATOR || gc == U_PARAGRAPH_SEPARATOR ||
            has(x, UCHAR_BIDI_CONTROL))
            return NICK_CONTROL;
        if (has(x, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) || gc == U_FORMAT_CHAR) {
            if (!joiner_allowed(c, n, i))
                return NICK_INVISIBLE;
            continue;   /* an allowed joiner neither starts nor extends a run of marks */
        }
        if (gc == U_UNASSIGNED || gc == U_PRIVATE_USE_CHAR || gc == U_SURROGATE ||
            has(x, UCHAR_NONCHARACTER_CODE_POINT) || x == CP_BRAILLE_BLANK)
            return NICK_INVISIBLE;
        if (is_mark(x)) {
            if (i == 0 || u_isUWhiteSpace(c[i - 1]) || ++marks > NICK_MAX_MARKS)
                return NICK_COMBINING;
            continue;
        }
        marks = 0;
        if ((U_GET_GC_MASK(x) & (U_GC_L_MASK | U_GC_N_MASK)) ||
            has(x, UCHAR_EXTENDED_PICTOGRAPHIC) || has(x, UCHAR_REGIONAL_INDICATOR))
            visible = true;
    }
    return visible ? NICK_OK : NICK_NO_VISIBLE;
}

enum nick_err nick_normalize(const char *in, size_t n, char out[NICK_MAX_BYTES + 1])
{
    /* Every buffer is bounded by NICK_MAX_INPUT: UTF-16 needs at most one unit
     * per input byte, and NFC expands a string at most threefold. */
    UChar u[NICK_MAX_INPUT], nfc[3 * NICK_MAX_INPUT];
    UChar32 cps[3 * NICK_MAX_INPUT];
    int32_t ulen = 0, nlen;
    UErrorCode st = U_ZERO_ERROR;
    if (n > NICK_MAX_INPUT)
        return NICK_TOO_LONG;
    if (!utf8_valid(in, n))
        return NICK_BAD_UTF8;
    u_strFromUTF8(u, NICK_MAX_INPUT, &ulen, in, (int32_t)n, &st);
    icu_check(st, "u_strFromUTF8");
    const UNormalizer2 *nfc2 = unorm2_getNFCInstance(&st);
    icu_check(st, "unorm2_getNFCInstance");
    nlen = unorm2_normalize(nfc2, u, ulen, nfc, (int32_t)(sizeof nfc / sizeof *nfc), &st);
    if (st == U_BUFFER_OVERFLOW_ERROR)
        return NICK_TOO_LONG;   /* cannot happen within the bound; never abort on input */
    icu_check(st, "unorm2_normalize");

    size_t ncp = 0, start = 0, end;
    for (int32_t i = 0; i < nlen;) {
        UChar32 x;
        U16_NEXT(nfc, i, nlen, x);
        cps[ncp++] = x;
    }
    end = ncp;
    while (start < end && u_isUWhiteSpace(cps[start]))
        start++;
    while (end > start && u_isUWhiteSpace(cps[end - 1]))
        end--;
    if (start == end)
        return NICK_EMPTY;
    enum nick_err e = check_code_points(cps + start, end - start);
    if (e != NICK_OK)
        return e;
    if (end - start > NICK_MAX_CP)
        return NICK_TOO_LONG;

    /* Back to UTF-16 for the spoof checker, then to UTF-8 for the caller. */
    int32_t tlen = 0;
    for (size_t i = start; i < end; i++)
        U16_APPEND_UNSAFE(u, tlen, cps[i]);
    int32_t failed = uspoof_check2(checker(), u, tlen, NULL, &st);
    icu_check(st, "uspoof_check2");
    if (failed & USPOOF_INVISIBLE)
        return NICK_COMBINING;   /* the same non-spacing mark twice on one base */
    if (failed & (USPOOF_RESTRICTION_LEVEL | USPOOF_MIXED_NUMBERS))
        return NICK_MIXED_SCRIPT;
    int32_t olen = 0;
    char tmp[NICK_MAX_BYTES + 1];
    u_strToUTF8(tmp, (int32_t)sizeof tmp, &olen, u, tlen, &st);
    if (st == U_BUFFER_OVERFLOW_ERROR || st == U_STRING_NOT_TERMINATED_WARNING ||
        olen > NICK_MAX_BYTES)
        return NICK_TOO_LONG;
    icu_check(st, "u_strToUTF8");
    memcpy(out, tmp, (size_t)olen + 1);
    return NICK_OK;
}

const char *nick_strerror(enum nick_err e)
{
    switch (e) {
    case NICK_OK: return "ok";
    case NICK_EMPTY: return "name is empty";
    case NICK_TOO_LONG: return "name is longer than 24 characters";
    case NICK_BAD_UTF8: return "name is not valid UTF-8";
    case NICK_CONTROL: return "name contains control characters";
    case NICK_INVISIBLE: return "name contains invisible characters";
    case NICK_COMBINING: return "name has a combining mark without a letter, or too many marks";
    case NICK_NO_VISIBLE: return "name needs at least one letter, digit or emoji";
    case NICK_MIXED_SCRIPT: return "name mixes look-alike alphabets (for example Latin and Cyrillic)";
    }
    return "name is invalid";
}

/* ---- keys: heap buffers, sized by ICU's preflighting ---- */

static UChar *to_u16(const char *s, int32_t *len)
{
    UErrorCode st = U_ZERO_ERROR;
    u_strFromUTF8WithSub(NULL, 0, len, s, -1, 0xFFFD, NULL, &st);
    UChar *u = xmalloc(((size_t)*len + 1) * sizeof *u);
    st = U_ZERO_ERROR;
    u_strFromUTF8WithSub(u, *len + 1, len, s, -1, 0xFFFD, NULL, &st);
    icu_check(st, "u_strFromUTF8WithSub");
    return u;
}

static char *to_u8(const UChar *u, int32_t len)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t n = 0;
    u_strToUTF8WithSub(NULL, 0, &n, u, len, 0xFFFD, NULL, &st);
    char *s = xmalloc((size_t)n + 1);
    st = U_ZERO_ERROR;
    u_strToUTF8WithSub(s, n + 1, &n, u, len, 0xFFFD, NULL, &st);
    icu_check(st, "u_strToUTF8WithSub");
    return s;
}

/* Replaces *u (owned) by its skeleton. */
static void skeleton(UChar **u, int32_t *len)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t n = uspoof_getSkeleton(checker(), 0, *u, *len, NULL, 0, &st);
    UChar *out = xmalloc(((size_t)n + 1) * sizeof *out);
    st = U_ZERO_ERROR;
    *len = uspoof_getSkeleton(checker(), 0, *u, *len, out, n + 1, &st);
    icu_check(st, "uspoof_getSkeleton");
    free(*u);
    *u = out;
}

/* Replaces *u (owned) by NFKC_Casefold(*u) with white space removed. */
static void fold(UChar **u, int32_t *len)
{
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *cf = unorm2_getNFKCCasefoldInstance(&st);
    icu_check(st, "unorm2_getNFKCCasefoldInstance");
    int32_t n = unorm2_normalize(cf, *u, *len, NULL, 0, &st);
    UChar *out = xmalloc(((size_t)n + 1) * sizeof *out);
    st = U_ZERO_ERROR;
    n = unorm2_normalize(cf, *u, *len, out, n + 1, &st);
    icu_check(st, "unorm2_normalize");
    int32_t w = 0;
    for (int32_t i = 0; i < n;) {
        int32_t at = i;
        UChar32 x;
        U16_NEXT(out, i, n, x);
        if (!u_isUWhiteSpace(x))
            while (at < i)
                out[w++] = out[at++];
    }
    free(*u);
    *u = out;
    *len = w;
}

char *nick_key(const char *name)
{
    int32_t len;
    UChar *u = to_u16(name, &len);
    skeleton(&u, &len);
    fold(&u, &len);
    skeleton(&u, &len);
    char *k = to_u8(u, len);
    free(u);
    return k;
}

bool nick_same(const char *a, const char *b)
{
    int32_t la, lb;
    UChar *ua = to_u16(a, &la), *ub = to_u16(b, &lb);
    fold(&ua, &la);
    fold(&ub, &lb);
    bool same = la == lb && !memcmp(ua, ub, (size_t)la * sizeof *ua);
    free(ua);
    free(ub);
    return same;
}
