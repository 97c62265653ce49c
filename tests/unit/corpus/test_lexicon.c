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
    ASSERT_EQ(lex_classify(&lex, "__len__"), LEX_DUNDER_M);
    ASSERT_EQ(lex_classify(&lex, "__enter__"), LEX_DUNDER_A);
    ASSERT_EQ(lex_classify(&lex, "@dataclass"), LEX_DECORATOR);
    ASSERT_EQ(lex_classify(&lex, "IndexError"), LEX_EXCEPTION);
    ASSERT_EQ(lex_classify(&lex, "asyncio.Lock"), LEX_API);
    ASSERT_EQ(lex_classify(&lex, "Timer"), LEX_NONE);
}

static void test_api_pool_is_one_module(void)
{
    load();
    struct strv pool = {0};
    lex_pool_for(&lex, "asyncio.Lock", LEX_API, &pool);
    ASSERT_GE(pool.n, 2);
    for (size_t i = 0; i < pool.n; i++)
        ASSERT(!strncmp(pool.v[i], "asyncio.", 8));
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

static void test_typed_pools_from_data(void)
{
    load();
    char *path = src_path("server/data/lexicon/pools.json");
    struct report rep;
    report_init(&rep);
    ASSERT_OK(lex_load_pools(&lex, path, &rep));
    ASSERT_EQ(rep.n, 0);
    ASSERT_STR_EQ(lex_kind_of(&lex, "__aenter__"), "special method");
    ASSERT_STR_EQ(lex_kind_of(&lex, "@dataclass"), "decorator");
    ASSERT(lex_kind_of(&lex, "Timer") == NULL);
    /* Same kind and role: class decorators with class decorators only. */
    struct strv pool = {0};
    lex_typed_pool(&lex, "@dataclass", &pool);
    ASSERT_GE(pool.n, 3);
    ASSERT(!sv_has(&pool, "@dataclass"));
    ASSERT(sv_has(&pool, "@total_ordering"));
    ASSERT(!sv_has(&pool, "@pytest.fixture"));
    ASSERT(!sv_has(&pool, "@property"));
    sv_free(&pool);
    /* A term in two pools takes its first pool only (asyncio.Lock: no Semaphore). */
    lex_typed_pool(&lex, "asyncio.Lock", &pool);
    ASSERT(sv_has(&pool, "asyncio.Event"));
    ASSERT(!sv_has(&pool, "asyncio.Semaphore"));
    sv_free(&pool);
    ASSERT(lex_are_partners(&lex, "__aexit__", "__aenter__"));
    ASSERT(!lex_are_partners(&lex, "__aexit__", "__enter__"));
    report_cleanup(&rep);
    free(path);
}

static void test_bad_pool_files_are_refused(void)
{
    static const char *bad[] = {"{nope", "{\"format\":\"quizd-lexicon/1\"}",
                                "{\"format\":\"quizd-lexicon/1\",\"pools\":[{\"kind\":\"k\",\"role\":\"r\",\"members\":[\"only\"]}]}",
                                "{\"format\":\"quizd-lexicon/1\",\"pools\":[],\"pairs\":[[\"a\"]]}", NULL};
    for (int i = 0; bad[i]; i++) {
        struct lexicon l;
        memset(&l, 0, sizeof l);
        char *path = write_temp(bad[i]);
        struct report rep;
        report_init(&rep);
        ASSERT_NE(lex_load_pools(&l, path, &rep), 0);
        ASSERT_GE(rep.n, 1);
        ASSERT_EQ(l.n_pools, 0);
        report_cleanup(&rep);
        lex_free(&l);
        remove(path);
        free(path);
    }
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
    {"typed_pools_from_data", test_typed_pools_from_data},
    {"bad_pool_files_are_refused", test_bad_pool_files_are_refused},
    {"zz_cleanup", test_zz_cleanup},
};

TEST_MAIN(tests)
