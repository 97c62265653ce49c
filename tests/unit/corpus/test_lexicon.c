/* The corpus lexicon: terms are classified by type, pools hold one type,
 * and picks skip the answer, its look-alikes and co-occurring alternatives. */
#include "corpus/lexicon.h"
#include "corpus_test.h"

static struct corpus parsed;
static struct lexicon lex;

static void load(void)
{
    if (parsed.n_cats)
        return;
    char *path = src_path("tests/unit/corpus/small-corpus.txt");
    size_t len;
    char *text = slurp(path, &len);
    ASSERT_OK(corpus_parse(text, len, &parsed));
    lex_build(&lex, &parsed);
    free(text);
    free(path);
}

static void test_classifies_each_type(void)
{
    load();
    ASSERT_EQ(lex_classify(&lex, "__enter__"), LEX_DUNDER_M);
    ASSERT_EQ(lex_classify(&lex, "__next__"), LEX_DUNDER_A);
    ASSERT_EQ(lex_classify(&lex, "@dataclass"), LEX_DECORATOR);
    ASSERT_EQ(lex_classify(&lex, "KeyError"), LEX_EXCEPTION);
    ASSERT_EQ(lex_classify(&lex, "functools.wraps"), LEX_API);
    ASSERT_EQ(lex_classify(&lex, "Timer"), LEX_NONE);
}

static void test_api_pool_is_one_module(void)
{
    load();
    struct strv pool = {0};
    lex_pool_for(&lex, "functools.wraps", LEX_API, &pool);
    ASSERT_GE(pool.n, 3);
    for (size_t i = 0; i < pool.n; i++)
        ASSERT(!strncmp(pool.v[i], "functools.", 10));
    sv_free(&pool);
}

static void test_pick_skips_answer_and_context(void)
{
    load();
    struct strv pool = {0};
    sv_push(&pool, "functools.wraps");
    sv_push(&pool, "functools.wraps_more");
    sv_push(&pool, "functools.partial");
    sv_push(&pool, "functools.reduce");
    char *out[3];
    int n = lex_pick(&lex, "salt", "functools.wraps", &pool, "uses functools.reduce here", false, out, 3);
    ASSERT_EQ(n, 1);
    ASSERT_STR_EQ(out[0], "functools.partial");
    free(out[0]);
    sv_free(&pool);
}

static void test_zz_cleanup(void)
{
    lex_free(&lex);
    corpus_free(&parsed);
}

static struct test_case tests[] = {
    {"classifies_each_type", test_classifies_each_type},
    {"api_pool_is_one_module", test_api_pool_is_one_module},
    {"pick_skips_answer_and_context", test_pick_skips_answer_and_context},
    {"zz_cleanup", test_zz_cleanup},
};

TEST_MAIN(tests)
