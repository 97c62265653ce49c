/* Client addresses behind a reverse proxy (issue 14): IP literals for
 * --trusted-proxy and the last entry of an X-Forwarded-For header. Plain
 * data, no I/O, so every rule has unit tests. */
#ifndef QZ_FORWARDED_H
#define QZ_FORWARDED_H
#include <stdbool.h>
#include <stddef.h>

#include "util/limit.h"   /* ADDR_MAX */

/* One IPv4 or IPv6 address; an IPv4-mapped IPv6 address (::ffff:a.b.c.d)
 * is kept as the IPv4 address it maps, so both spellings are one client. */
struct ip_addr {
    int family;               /* AF_INET or AF_INET6 */
    unsigned char b[16];      /* network order; 4 bytes used for AF_INET */
};

/* Parses a bare IPv4 (dotted quad) or IPv6 literal of at most ADDR_MAX - 1
 * bytes: no brackets, port, zone (%eth0), prefix or surrounding space.
 * Returns false (and leaves *out alone) for anything else. */
bool ip_addr_parse(const char *s, struct ip_addr *out);
/* Same, from `len` bytes that need not be NUL-terminated. */
bool ip_addr_parse_n(const char *s, size_t len, struct ip_addr *out);
/* The canonical text form (inet_ntop) into out[ADDR_MAX]. */
void ip_addr_format(const struct ip_addr *a, char out[ADDR_MAX]);

/* The leading bits of an IPv6 address that name one client for the
 * per-address budgets: a home line or a cloud VM holds a whole /64, so its
 * 2^64 addresses are one client. */
#define IP_V6_CLIENT_BITS 64
/* The budget key of a client address into out[ADDR_MAX]: an IPv4 address
 * as ip_addr_format writes it, an IPv6 one as its /IP_V6_CLIENT_BITS
 * block ("2001:db8:1:2::/64"). */
void ip_addr_client_key(const struct ip_addr *a, char out[ADDR_MAX]);
bool ip_addr_equal(const struct ip_addr *a, const struct ip_addr *b);

/* An address block: `bits` leading bits of `a` (32 or 128 = one address). */
struct ip_net {
    struct ip_addr a;         /* its bits past `bits` are zero */
    unsigned bits;
};
/* Parses ADDR or ADDR/BITS from `len` bytes (ADDR as ip_addr_parse takes
 * it; BITS 0-32 for IPv4, 0-128 for IPv6, no leading zero, and no bit set
 * past them: 10.0.0.1/8 is refused as a likely typo). */
bool ip_net_parse_n(const char *s, size_t len, struct ip_net *out);
/* Whether a lies in one of list[0..n). */
bool ip_net_in(const struct ip_addr *a, const struct ip_net *list, size_t n);

/* The client a proxy names in X-Forwarded-For: the LAST comma-separated
 * entry of `value` (the one the nearest proxy appended; entries before it
 * are whatever the client sent), stripped of spaces and tabs, which must be
 * an IP literal as ip_addr_parse takes it. Returns false for an empty,
 * malformed or "unknown" last entry: the caller keeps the peer address. */
bool xff_last(const char *value, struct ip_addr *out);

#endif
