#include "origin.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define AUTH_MAX 300   /* host names are at most 253 bytes, plus a port */

/* Lowercases host[:port] into out, dropping the port when it is the
 * scheme's default; false on characters no authority contains. */
static bool norm_authority(const char *a, size_t n, const char *default_port, char *out,
                           size_t outsz)
{
    if (n == 0 || n + 1 > outsz)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == ':' || c == '[' || c == ']' || c == '_'))
            return false;
        out[i] = c;
    }
    out[n] = '\0';
    /* The port is what follows the last ':' outside brackets. */
    char *colon = strrchr(out, ':');
    char *bracket = strrchr(out, ']');
    if (colon && (!bracket || colon > bracket) && default_port && !strcmp(colon + 1, default_port))
        *colon = '\0';
    return true;
}

bool origin_normalize(const char *origin, char *out, size_t outsz)
{
    const char *scheme, *port;
    size_t skip;
    if (!strncasecmp(origin, "http://", 7))
        scheme = "http://", port = "80", skip = 7;
    else if (!strncasecmp(origin, "https://", 8))
        scheme = "https://", port = "443", skip = 8;
    else
        return false;
    const char *a = origin + skip;
    size_t n = strlen(a);
    if (n && a[n - 1] == '/')
        n--;   /* tolerate a trailing slash in configuration */
    char auth[AUTH_MAX];
    if (!norm_authority(a, n, port, auth, sizeof auth))
        return false;
    int w = snprintf(out, outsz, "%s%s", scheme, auth);
    return w > 0 && (size_t)w < outsz;
}

bool origin_allowed(const char *origin, const char *host, const char *const *allowed,
                    size_t n_allowed)
{
    if (!origin)
        return true;
    char o[AUTH_MAX + 16], x[AUTH_MAX + 16];
    if (!strcmp(origin, "null")) {
        for (size_t i = 0; i < n_allowed; i++)
            if (!strcmp(allowed[i], "null"))
                return true;
        return false;
    }
    if (!origin_normalize(origin, o, sizeof o))
        return false;
    for (size_t i = 0; i < n_allowed; i++)
        if (origin_normalize(allowed[i], x, sizeof x) && !strcmp(o, x))
            return true;
    if (!host)
        return false;
    bool https = !strncmp(o, "https://", 8);
    char h[AUTH_MAX];
    if (!norm_authority(host, strlen(host), https ? "443" : "80", h, sizeof h))
        return false;
    return !strcmp(o + (https ? 8 : 7), h);
}

/* host[:port] -> host, brackets of an IPv6 literal removed. */
static bool host_part(const char *host, char *out, size_t outsz)
{
    char a[AUTH_MAX];
    if (!norm_authority(host, strlen(host), NULL, a, sizeof a))
        return false;
    char *end;
    if (a[0] == '[') {
        end = strchr(a, ']');
        if (!end || (end[1] && end[1] != ':'))
            return false;
        *end = '\0';
        snprintf(out, outsz, "%s", a + 1);
        return true;
    }
    end = strchr(a, ':');
    if (end && strchr(end + 1, ':'))
        return false;   /* an unbracketed IPv6 literal is not a valid Host */
    if (end)
        *end = '\0';
    snprintf(out, outsz, "%s", a);
    return out[0] != '\0';
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

bool host_allowed(const char *host, const char *const *allowed, size_t n_allowed)
{
    if (!host)
        return true;
    char h[AUTH_MAX];
    unsigned char addr[16];
    if (!host_part(host, h, sizeof h))
        return false;
    if (inet_pton(AF_INET, h, addr) == 1 || inet_pton(AF_INET6, h, addr) == 1)
        return true;
    if (!strchr(h, '.') || !strcmp(h, "localhost") || ends_with(h, ".local") ||
        ends_with(h, ".localhost"))
        return true;
    for (size_t i = 0; i < n_allowed; i++) {
        char o[AUTH_MAX + 16], ah[AUTH_MAX];
        if (!origin_normalize(allowed[i], o, sizeof o))
            continue;
        const char *auth = strstr(o, "://") + 3;
        if (host_part(auth, ah, sizeof ah) && !strcmp(ah, h))
            return true;
    }
    return false;
}
