#include "text.h"
#include "util/xmalloc.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_init(struct sbuf *b)
{
    b->s = NULL;
    b->len = b->cap = 0;
}

void sb_addn(struct sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sb_add(struct sbuf *b, const char *s)
{
    sb_addn(b, s, strlen(s));
}

void sb_addf(struct sbuf *b, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof tmp)
        n = (int)sizeof tmp - 1;
    sb_addn(b, tmp, (size_t)(n > 0 ? n : 0));
}

char *sb_take(struct sbuf *b)
{
    char *s = b->s ? b->s : xstrdup("");
    sb_init(b);
    return s;
}

void sv_push_take(struct strv *v, char *s)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 8;
        v->v = xrealloc(v->v, v->cap * sizeof *v->v);
    }
    v->v[v->n++] = s;
}

void sv_push(struct strv *v, const char *s)
{
    sv_push_take(v, xstrdup(s));
}

bool sv_has(const struct strv *v, const char *s)
{
    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->v[i], s))
            return true;
    return false;
}

void sv_free(struct strv *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->v[i]);
    free(v->v);
    v->v = NULL;
    v->n = v->cap = 0;
}

bool is_word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static bool abbrev_before(const char *text, const char *dot)
{
    static const char *abbr[] = {"e.g", "i.e", "vs", "etc", "approx", "Mr", "Dr", "cf", NULL};
    for (int i = 0; abbr[i]; i++) {
        size_t n = strlen(abbr[i]);
        if ((size_t)(dot - text) >= n && !strncmp(dot - n, abbr[i], n) &&
            (dot - n == text || !is_word_char(dot[-(long)n - 1])))
            return true;
    }
    return false;
}

void split_sentences(const char *text, struct strv *out)
{
    const char *start = text, *p = text;
    while (*p) {
        if ((*p == '.' || *p == '?' || *p == '!') && p[1] == ' ') {
            char n = p[2];
            bool next_ok = isupper((unsigned char)n) || n == '_' || n == '@' || n == '"' ||
                           isdigit((unsigned char)n) || (unsigned char)n >= 0x80;
            if (next_ok && !(*p == '.' && abbrev_before(text, p))) {
                char *s = xstrndup(start, (size_t)(p - start) + 1);
                sv_push_take(out, s);
                start = p + 2;
                p += 2;
                continue;
            }
        }
        p++;
    }
    while (*start == ' ')
        start++;
    if (*start)
        sv_push(out, start);
}

const char *find_word(const char *hay, const char *word)
{
    size_t n = strlen(word);
    if (!n)
        return NULL;
    for (const char *p = hay; (p = strstr(p, word)); p++) {
        bool left = p == hay || !is_word_char(p[-1]) || !is_word_char(word[0]);
        bool right = !is_word_char(p[n]) || !is_word_char(word[n - 1]);
        if (left && right)
            return p;
    }
    return NULL;
}

size_t count_word(const char *hay, const char *word)
{
    size_t c = 0, n = strlen(word);
    for (const char *p = hay; (p = find_word(p, word)); p += n)
        c++;
    return c;
}

uint32_t fnv2(const char *a, const char *b)
{
    uint32_t h = 2166136261u;
    for (const char *p = a; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h = (h ^ '|') * 16777619u;
    for (const char *p = b; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h;
}

char *squash_ws(const char *s)
{
    struct sbuf b;
    sb_init(&b);
    bool sp = false;
    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n') {
            sp = true;
            continue;
        }
        if (sp)
            sb_add(&b, " ");
        sp = false;
        sb_addn(&b, s, 1);
    }
    return sb_take(&b);
}

char *clip(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return xstrdup(s);
    /* Prefer the last sentence end before max, then the last space. */
    size_t cut = 0;
    for (size_t i = max / 2; i + 1 < max; i++)
        if ((s[i] == '.' || s[i] == '?' || s[i] == '!') && s[i + 1] == ' ')
            cut = i + 1;
    if (cut)
        return xstrndup(s, cut);
    cut = max;
    while (cut > max / 2 && s[cut] != ' ')
        cut--;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    char *r = xmalloc(cut + 4);
    memcpy(r, s, cut);
    memcpy(r + cut, "\xE2\x80\xA6", 4);
    return r;
}

/* Fills idx[0..n) with 0..n-1 ordered by fnv2(salt, strs[i]): the
 * deterministic "random" order used for every pick and shuffle. */
void hash_order(const char *salt, char *const *strs, size_t n, size_t *idx)
{
    uint32_t *key = xmalloc((n ? n : 1) * sizeof *key);
    for (size_t i = 0; i < n; i++) {
        key[i] = fnv2(salt, strs[i]);
        idx[i] = i;
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && key[idx[j]] < key[idx[j - 1]]; j--) {
            size_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    free(key);
}

