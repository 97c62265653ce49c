/* IP literals and X-Forwarded-For (forwarded.h). */
#include "util/forwarded.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool ip_addr_parse_n(const char *s, size_t len, struct ip_addr *out)
{
    char buf[ADDR_MAX];
    unsigned char b[16];
    if (len == 0 || len >= sizeof buf)
        return false;
    /* Only digits, dots, hex digits and colons: no space, bracket, zone
     * (%), prefix (/) or NUL inside `len` to cut the copy short. */
    for (size_t i = 0; i < len; i++)
        if (!s[i] || !strchr("0123456789abcdefABCDEF.:", s[i]))
            return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    struct ip_addr a = {0};
    if (inet_pton(AF_INET, buf, b) == 1) {
        a.family = AF_INET;
        memcpy(a.b, b, 4);
    } else if (inet_pton(AF_INET6, buf, b) == 1) {
        if (!memcmp(b, v4_mapped, sizeof v4_mapped)) {
            a.family = AF_INET;
            memcpy(a.b, b + 12, 4);
        } else {
            a.family = AF_INET6;
            memcpy(a.b, b, 16);
        }
    } else {
        return false;
    }
    *out = a;
    return true;
}

bool ip_addr_parse(const char *s, struct ip_addr *out)
{
    return ip_addr_parse_n(s, strlen(s), out);
}

void ip_addr_format(const struct ip_addr *a, char out[ADDR_MAX])
{
    if (!inet_ntop(a->family == AF_INET ? AF_INET : AF_INET6, a->b, out, ADDR_MAX))
        out[0] = '\0';   /* cannot happen: ADDR_MAX exceeds INET6_ADDRSTRLEN */
}

_Static_assert(IP_V6_CLIENT_BITS % 8 == 0 && IP_V6_CLIENT_BITS <= 128, "a whole-byte IPv6 prefix");

void ip_addr_client_key(const struct ip_addr *a, char out[ADDR_MAX])
{
    if (a->family == AF_INET) {
        ip_addr_format(a, out);
        return;
    }
    struct ip_addr m = *a;
    memset(m.b + IP_V6_CLIENT_BITS / 8, 0, 16 - IP_V6_CLIENT_BITS / 8);
    ip_addr_format(&m, out);
    size_t n = strlen(out);
    snprintf(out + n, ADDR_MAX - n, "/%d", IP_V6_CLIENT_BITS);
}

bool ip_addr_equal(const struct ip_addr *a, const struct ip_addr *b)
{
    return a->family == b->family && !memcmp(a->b, b->b, a->family == AF_INET ? 4 : 16);
}

/* Whether a and b agree on their first `bits` bits. */
static bool prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, whole))
        return false;
    unsigned char mask = (unsigned char)(0xff00 >> rest);
    return !rest || ((a[whole] ^ b[whole]) & mask) == 0;
}

bool ip_net_parse_n(const char *s, size_t len, struct ip_net *out)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    struct ip_net n;
    if (!ip_addr_parse_n(s, alen, &n.a))
        return false;
    unsigned max = n.a.family == AF_INET ? 32 : 128;
    n.bits = max;
    if (slash) {
        const char *d = slash + 1, *end = s + len;
        unsigned v = 0;
        if (d == end || end - d > 3 || (*d == '0' && end - d > 1))
            return false;
        for (; d < end; d++) {
            if (*d < '0' || *d > '9')
                return false;
            v = v * 10 + (unsigned)(*d - '0');
        }
        if (v > max)
            return false;
        n.bits = v;
        /* Host bits set: the block is not what was meant. */
        for (unsigned i = v; i < max; i++)
            if (n.a.b[i / 8] & (0x80 >> (i % 8)))
                return false;
    }
    *out = n;
    return true;
}

bool ip_net_in(const struct ip_addr *a, const struct ip_net *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a->family == list[i].a.family && prefix_equal(a->b, list[i].a.b, list[i].bits))
            return true;
    return false;
}

bool xff_last(const char *value, struct ip_addr *out)
{
    const char *comma = strrchr(value, ',');
    const char *s = comma ? comma + 1 : value, *e = s + strlen(s);
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    return ip_addr_parse_n(s, (size_t)(e - s), out);
}
