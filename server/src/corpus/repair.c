#include "repair.h"
#include "util/utf8.h"
#include "util/xmalloc.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* cp1253 byte 0x80+i -> Unicode; bytes cp1253 leaves undefined take their
 * cp1252 meaning (the damaging decoder did, e.g. 0x9C -> U+0153), else the
 * C1 control of the same value. Generated from Python's codecs. */
static const uint16_t CP1253_HIGH[128] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    0x00A0, 0x0385, 0x0386, 0x00A3, 0x00A4, 0x00A5, 0x00A6, 0x00A7,
    0x00A8, 0x00A9, 0x00AA, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x2015,
    0x00B0, 0x00B1, 0x00B2, 0x00B3, 0x0384, 0x00B5, 0x00B6, 0x00B7,
    0x0388, 0x0389, 0x038A, 0x00BB, 0x038C, 0x00BD, 0x038E, 0x038F,
    0x0390, 0x0391, 0x0392, 0x0393, 0x0394, 0x0395, 0x0396, 0x0397,
    0x0398, 0x0399, 0x039A, 0x039B, 0x039C, 0x039D, 0x039E, 0x039F,
    0x03A0, 0x03A1, 0x00D2, 0x03A3, 0x03A4, 0x03A5, 0x03A6, 0x03A7,
    0x03A8, 0x03A9, 0x03AA, 0x03AB, 0x03AC, 0x03AD, 0x03AE, 0x03AF,
    0x03B0, 0x03B1, 0x03B2, 0x03B3, 0x03B4, 0x03B5, 0x03B6, 0x03B7,
    0x03B8, 0x03B9, 0x03BA, 0x03BB, 0x03BC, 0x03BD, 0x03BE, 0x03BF,
    0x03C0, 0x03C1, 0x03C2, 0x03C3, 0x03C4, 0x03C5, 0x03C6, 0x03C7,
    0x03C8, 0x03C9, 0x03CA, 0x03CB, 0x03CC, 0x03CD, 0x03CE, 0x00FF,
};

/* The cp1253 byte for code point cp, or -1 if cp has no single-byte form. */
static int cp1253_byte(uint32_t cp)
{
    if (cp < 0x80)
        return (int)cp;
    for (int i = 0; i < 128; i++)
        if (CP1253_HIGH[i] == cp)
            return 0x80 + i;
    return -1;
}

/* Tries to repair one sequence starting at s[i]; on success returns the
 * number of input bytes consumed and writes the original character. */
static size_t try_repair(const unsigned char *s, size_t n, char *out, size_t *outlen)
{
    uint32_t cp;
    size_t l = utf8_decode(s, n, &cp);
    if (!l || cp < 0x80)
        return 0;
    int lead = cp1253_byte(cp);
    if (lead < 0xC2 || lead > 0xF4)
        return 0;
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    unsigned char bytes[4] = {(unsigned char)lead};
    size_t pos = l;
    for (size_t k = 1; k < need; k++) {
        uint32_t c2;
        size_t l2 = utf8_decode(s + pos, n - pos, &c2);
        if (!l2)
            return 0;
        int b = cp1253_byte(c2);
        if (b < 0x80 || b > 0xBF)
            return 0;
        bytes[k] = (unsigned char)b;
        pos += l2;
    }
    uint32_t orig;
    if (utf8_decode(bytes, need, &orig) != need)
        return 0;
    memcpy(out, bytes, need);
    *outlen = need;
    return pos;
}

char *repair_mojibake(const char *s, size_t n, size_t *out_len, size_t *fixed)
{
    const unsigned char *u = (const unsigned char *)s;
    char *out = xmalloc(n + 1);
    size_t o = 0, i = 0, nfix = 0;
    while (i < n) {
        char buf[4];
        size_t bl;
        size_t used = try_repair(u + i, n - i, buf, &bl);
        if (used) {
            memcpy(out + o, buf, bl);
            o += bl;
            i += used;
            nfix++;
            continue;
        }
        uint32_t cp;
        size_t l = utf8_decode(u + i, n - i, &cp);
        if (!l)
            l = 1;   /* invalid byte: copied as is, the caller validates */
        memcpy(out + o, s + i, l);
        o += l;
        i += l;
    }
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    if (fixed)
        *fixed = nfix;
    return out;
}

int repair_has_damage(const char *s)
{
    size_t n = strlen(s), fixed = 0;
    char *r = repair_mojibake(s, n, NULL, &fixed);
    free(r);
    return fixed > 0;
}
