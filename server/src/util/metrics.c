/* Prometheus text exposition helpers (see metrics.h). */
#include "metrics.h"

#include "xmalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const double METRICS_LATENCY_S[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                    0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5, 10};
const size_t METRICS_LATENCY_N = sizeof METRICS_LATENCY_S / sizeof METRICS_LATENCY_S[0];
_Static_assert(sizeof METRICS_LATENCY_S / sizeof METRICS_LATENCY_S[0] <= METRICS_HIST_MAX,
               "latency buckets fit a histogram");

void metrics_hist_init(struct metrics_hist *h, const double *le, size_t n)
{
    memset(h, 0, sizeof *h);
    h->le = le;
    h->n = n < METRICS_HIST_MAX ? n : METRICS_HIST_MAX;
}

void metrics_hist_observe(struct metrics_hist *h, double v)
{
    for (size_t i = 0; i < h->n; i++)
        if (v <= h->le[i]) {
            h->bucket[i]++;
            break;
        }
    h->count++;
    h->sum += v;
}

__attribute__((format(printf, 2, 3))) static void put(struct metrics_buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (b->s && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        b->cap = b->cap * 2 + (size_t)n + 256;
        b->s = xrealloc(b->s, b->cap);
    }
}

void metrics_family(struct metrics_buf *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Integers print as integers (exact below 10^15), the rest with 15 significant digits. */
static void put_value(struct metrics_buf *b, double v)
{
    put(b, " %.15g\n", v);
}

void metrics_sample(struct metrics_buf *b, const char *name, const char *labels, double v)
{
    if (labels && *labels)
        put(b, "%s{%s}", name, labels);
    else
        put(b, "%s", name);
    put_value(b, v);
}

void metrics_hist_write(struct metrics_buf *b, const char *name, const struct metrics_hist *h)
{
    uint64_t cum = 0;
    for (size_t i = 0; i < h->n; i++) {
        cum += h->bucket[i];
        put(b, "%s_bucket{le=\"%g\"} %llu\n", name, h->le[i], (unsigned long long)cum);
    }
    put(b, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)h->count);
    put(b, "%s_sum", name);
    put_value(b, h->sum);
    put(b, "%s_count %llu\n", name, (unsigned long long)h->count);
}
