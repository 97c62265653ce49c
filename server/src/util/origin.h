/* Origin and Host checks for a LAN server (issue 11, item 6): a web page on
 * another site must not drive /ws from a player's browser, and a DNS name
 * rebound to the server's address must not read /api. Pure string rules;
 * the adapter passes the header values. */
#ifndef QZ_ORIGIN_H
#define QZ_ORIGIN_H
#include <stdbool.h>
#include <stddef.h>

/* Whether a WebSocket upgrade with header `origin` (NULL when absent) and
 * `host` (NULL when absent) may proceed. No Origin at all passes: native
 * clients, tests and the load generator send none, and a browser always
 * sends one. Otherwise the origin must be same-origin with Host (scheme
 * default ports ignored, case-insensitive) or equal one of `allowed`
 * ("http://quiz.example:8080", compared after the same normalisation).
 * "null" passes only if listed. */
bool origin_allowed(const char *origin, const char *host, const char *const *allowed,
                    size_t n_allowed);

/* Whether an HTTP request with header `host` (NULL when absent) may read
 * the API. An attacker's DNS-rebinding name is a public multi-label domain:
 * IP literals, names without a dot, "localhost", names under ".local" or
 * ".localhost", and the hosts of `allowed` origins pass; others do not.
 * A missing Host (HTTP/1.0 tools) passes. */
bool host_allowed(const char *host, const char *const *allowed, size_t n_allowed);

/* Normalises an origin ("HTTP://Quiz.Example:80" -> "http://quiz.example")
 * into out[0..outsz); false when it is not scheme://host[:port] with an
 * http or https scheme, or does not fit. Used to validate --allowed-origin. */
bool origin_normalize(const char *origin, char *out, size_t outsz);

#endif
