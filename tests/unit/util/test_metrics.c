/* The Prometheus text writers: sample lines, families, cumulative histogram
 * buckets with +Inf, sum and count, and a buffer that grows. */
#include "test.h"
#include "util/metrics.h"
#include <stdlib.h>
#include <string.h>

static void test_samples_and_families(void)
{
    struct metrics_buf b = {0};
    metrics_family(&b, "quizd_x_total", "counter", "Things.");
    metrics_sample(&b, "quizd_x_total", "type=\"join\"", 3);
    metrics_sample(&b, "quizd_y", NULL, 0.5);
    metrics_sample(&b, "quizd_z", "", 12345678901.0);
    ASSERT_STR_EQ(b.s, "# HELP quizd_x_total Things.\n# TYPE quizd_x_total counter\n"
                       "quizd_x_total{type=\"join\"} 3\nquizd_y 0.5\nquizd_z 12345678901\n");
    free(b.s);
}

static void test_histogram_is_cumulative(void)
{
    static const double le[] = {0.25, 1, 4};   /* binary fractions: an exact sum */
    struct metrics_hist h;
    metrics_hist_init(&h, le, 3);
    metrics_hist_observe(&h, 0.125);
    metrics_hist_observe(&h, 0.25);    /* on the bound: counts in it */
    metrics_hist_observe(&h, 2);
    metrics_hist_observe(&h, 8);       /* above every bound: +Inf only */
    struct metrics_buf b = {0};
    metrics_hist_write(&b, "q_s", &h);
    ASSERT_STR_EQ(b.s, "q_s_bucket{le=\"0.25\"} 2\nq_s_bucket{le=\"1\"} 2\n"
                       "q_s_bucket{le=\"4\"} 3\nq_s_bucket{le=\"+Inf\"} 4\n"
                       "q_s_sum 10.375\nq_s_count 4\n");
    free(b.s);
}

static void test_buffer_grows(void)
{
    struct metrics_buf b = {0};
    for (int i = 0; i < 5000; i++)
        metrics_sample(&b, "quizd_many", "k=\"v\"", i);
    ASSERT(b.len > 5000 * 16 && strlen(b.s) == b.len);
    ASSERT(strstr(b.s, "quizd_many{k=\"v\"} 4999\n"));
    free(b.s);
}

static struct test_case tests[] = {
    {"samples_and_families", test_samples_and_families},
    {"histogram_is_cumulative", test_histogram_is_cumulative},
    {"buffer_grows", test_buffer_grows},
};

TEST_MAIN(tests)
