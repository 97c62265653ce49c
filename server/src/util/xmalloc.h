/* Allocation that never returns NULL: out of memory aborts with a message
 * (as redis zmalloc and h2o_mem_alloc do), so callers never check. */
#ifndef QZ_XMALLOC_H
#define QZ_XMALLOC_H
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a malloc'd printf-formatted string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
