/* The quality gates: each gate refuses the case it names and lets a good
 * question through. */
#include "corpus_test.h"

static struct qz_question mkq(const char *kind, const char *prompt, const char *a, const char *b,
                               const char *c, const char *d)
{
    struct qz_question q;
    memset(&q, 0, sizeof q);
    q.kind = (char *)kind;
    q.prompt = (char *)prompt;
    q.options[0] = (char *)a;
    q.options[1] = (char *)b;
    q.options[2] = (char *)c;
    q.options[3] = (char *)d;
    q.n_options = d ? 4 : 3;
    q.correct = 0;
    q.explanation = (char *)"x";
    return q;
}

static void test_each_quality_gate(void)
{
    struct qz_question q;
    q = mkq("cloze", "Fill in the blank: “Use ____ for coordination.”", "asyncio.Lock", "asyncio.Event",
            "asyncio.Queue", "asyncio.sleep");
    ASSERT(derive_check_gates(&q) == NULL);
    q = mkq("cloze", "Pick one", "Lock", "lock ", "Event", NULL);
    ASSERT_STR_EQ(derive_check_gates(&q), "duplicate options");
    q = mkq("define", "Which one?", "Queue", "asyncio.Queue", "Pipe", "Shared memory");
    ASSERT_STR_EQ(derive_check_gates(&q), "an option is contained in another");
    q = mkq("define", "Which one is described here? “line-by-line memory usage”", "memory_profiler",
            "line_profiler", "timeit", "cProfile");
    ASSERT_STR_EQ(derive_check_gates(&q), "the prompt gives the answer away");
    q = mkq("tool", "Which one?", "A very long correct option that stands out", "short", "tiny", "brief");
    ASSERT_STR_EQ(derive_check_gates(&q), "the correct option is much longer than the others");
    q = mkq("cloze", "Broken \xCE\xB2\xE2\x82\xAC\xE2\x80\x9D text", "a1", "b2", "c3", "d4");
    ASSERT_STR_EQ(derive_check_gates(&q), "damaged text");
    /* Code results may legitimately contain one another ([1, 2] vs [1, 2, 3]). */
    q = mkq("code_output", "What does it evaluate to?", "[1, 2]", "[1, 2, 3]", "[2]", "[1]");
    ASSERT(derive_check_gates(&q) == NULL);
}

static struct test_case tests[] = {
    {"each_quality_gate", test_each_quality_gate},
};

TEST_MAIN(tests)
