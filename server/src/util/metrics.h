/* Prometheus text exposition (format 0.0.4): a fixed-bucket histogram and
 * the writers for families, samples and histograms. Names and label values
 * are the caller's constants (never network input), so nothing is escaped.
 * The registry is the caller's: whoever owns a counter renders it. */
#ifndef QZ_METRICS_H
#define QZ_METRICS_H
#include <stddef.h>
#include <stdint.h>

#define METRICS_HIST_MAX 16   /* upper bounds per histogram, +Inf excluded */

struct metrics_hist {
    const double *le;         /* ascending upper bounds (borrowed, static) */
    size_t n;
    uint64_t bucket[METRICS_HIST_MAX];   /* observations <= le[i] (not cumulative) */
    uint64_t count;
    double sum;
};

/* Seconds from 100 us to 10 s: latency inside one process. */
extern const double METRICS_LATENCY_S[];
extern const size_t METRICS_LATENCY_N;

/* n <= METRICS_HIST_MAX; `le` must outlive h. */
void metrics_hist_init(struct metrics_hist *h, const double *le, size_t n);
void metrics_hist_observe(struct metrics_hist *h, double v);

/* A growing text buffer; the caller frees `s` (NUL-terminated). */
struct metrics_buf {
    char *s;
    size_t len, cap;
};

/* "# HELP" and "# TYPE" lines; type is counter, gauge or histogram. */
void metrics_family(struct metrics_buf *b, const char *name, const char *type, const char *help);
/* One sample: name{labels} value; labels is NULL or `k="v",...`. */
void metrics_sample(struct metrics_buf *b, const char *name, const char *labels, double v);
/* The _bucket (cumulative, with +Inf), _sum and _count lines of h. */
void metrics_hist_write(struct metrics_buf *b, const char *name, const struct metrics_hist *h);

#endif
