/* Each family of kinds on a small hand-written corpus
 * (tests/unit/corpus/small-corpus.txt): the kind derives, from the lines
 * meant for it, with the answer the text states. */
#include "corpus_test.h"

static struct qz_pack *small;
static struct derive_stats small_st;

static const struct qz_question *find_q(const char *kind, const char *needle)
{
    if (!small) {
        char *path = src_path("tests/unit/corpus/small-corpus.txt");
        size_t len;
        char *text = slurp(path, &len);
        small = derive_text(text, &small_st);
        free(text);
        free(path);
    }
    for (size_t i = 0; i < small->n; i++) {
        const struct qz_question *q = &small->q[i];
        if (!strcmp(q->kind, kind) && (strstr(q->prompt, needle) || (q->code && strstr(q->code, needle))))
            return q;
    }
    FAIL_AT("no %s question mentioning \"%s\"", kind, needle);
}

static const char *answer(const struct qz_question *q)
{
    return q->options[q->correct];
}

static void test_code_output_asks_the_commented_line(void)
{
    const struct qz_question *q = find_q("code_output", "sorted(nums)  # ?");
    ASSERT_STR_EQ(answer(q), "[1, 2, 3]");
    ASSERT_CONTAINS(q->code, "nums = [3, 1, 2]");
    ASSERT_EQ(q->n_options, 4);
}

static void test_cloze_blanks_a_typed_term(void)
{
    const struct qz_question *q = find_q("cloze", "yields items one at a time");
    ASSERT_STR_EQ(answer(q), "__next__");
    ASSERT_CONTAINS(q->prompt, "____");
}

static void test_define_masks_the_described_term(void)
{
    const struct qz_question *q = find_q("define", "lazy iterator");
    ASSERT_STR_EQ(answer(q), "Generator");
    ASSERT(!strstr(q->prompt, "Generator"));
}

static void test_tool_asks_for_the_listed_name(void)
{
    const struct qz_question *q = find_q("tool", "sampling without code changes");
    ASSERT_STR_EQ(answer(q), "py-spy");
}

static void test_version_orders_the_options(void)
{
    const struct qz_question *q = find_q("version", "match statement");
    ASSERT_STR_EQ(answer(q), "Python 3.10");
    for (int i = 1; i < q->n_options; i++)
        ASSERT_EQ(atoi(q->options[i - 1] + 9) + 1, atoi(q->options[i] + 9));   /* "Python 3.N" */
}

static void test_order_asks_the_next_step(void)
{
    const struct qz_question *q = find_q("order", "Check sys.modules cache");
    ASSERT_STR_EQ(answer(q), "Find the module spec with finders");
}

static void test_complexity_states_the_subject(void)
{
    const struct qz_question *q = find_q("complexity", "Lookups in a dict");
    ASSERT_STR_EQ(answer(q), "O(1)");
}

static void test_zz_cleanup(void)
{
    qz_pack_destroy(small);
}

static struct test_case tests[] = {
    {"code_output_asks_the_commented_line", test_code_output_asks_the_commented_line},
    {"cloze_blanks_a_typed_term", test_cloze_blanks_a_typed_term},
    {"define_masks_the_described_term", test_define_masks_the_described_term},
    {"tool_asks_for_the_listed_name", test_tool_asks_for_the_listed_name},
    {"version_orders_the_options", test_version_orders_the_options},
    {"order_asks_the_next_step", test_order_asks_the_next_step},
    {"complexity_states_the_subject", test_complexity_states_the_subject},
    {"zz_cleanup", test_zz_cleanup},
};

TEST_MAIN(tests)
