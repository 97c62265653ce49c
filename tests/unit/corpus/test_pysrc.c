/* Python source analysis: comments outside strings, literal ends, the
 * names a statement binds, and minimal snippets that keep what a line needs. */
#include "corpus/pysrc.h"
#include "corpus_test.h"

static void test_comment_outside_strings(void)
{
    ASSERT_EQ(py_comment_at("x = 1  # one"), 7);
    ASSERT_EQ(py_comment_at("s = '# not'"), -1);
    ASSERT_EQ(py_comment_at("s = \"a\\\"#\"  # yes"), 12);
}

static void test_literal_end(void)
{
    const char *s = "[1, (2, 3), {'a': None}] rest";
    ASSERT_STR_EQ(py_literal_end(s, 0), " rest");
    ASSERT(py_literal_end("foo(1)", 0) == NULL);
    ASSERT_STR_EQ(py_literal_end("-12 x", 0), " x");
    ASSERT(py_literal_end("'open", 0) == NULL);
}

static void test_defines(void)
{
    struct strv d = {0};
    py_defines("from a.b import c as d, e", &d);
    ASSERT_EQ(d.n, 2);
    ASSERT_STR_EQ(d.v[0], "d");
    ASSERT_STR_EQ(d.v[1], "e");
    sv_free(&d);
    py_defines("x, y = 1, 2", &d);
    ASSERT_EQ(d.n, 2);
    sv_free(&d);
    py_defines("async def fetch(url):", &d);
    ASSERT_STR_EQ(d.v[0], "fetch");
    sv_free(&d);
    py_defines("a == b", &d);
    ASSERT_EQ(d.n, 0);
    sv_free(&d);
}

static void test_minimal_snippet_keeps_definitions_and_mutations(void)
{
    char l0[] = "a = []", l1[] = "b = 5", l2[] = "a.append(1)", l3[] = "len(a)  # 1";
    char *lines[] = {l0, l1, l2, l3};
    int n = 0;
    char *s = py_minimal_snippet(lines, 4, 3, &n);
    ASSERT(s);
    ASSERT_STR_EQ(s, "a = []\na.append(1)\n");
    ASSERT_EQ(n, 2);
    free(s);
    /* An unresolved name: no snippet. */
    char m0[] = "print(undefined_thing)  # x";
    char *lines2[] = {m0};
    ASSERT(py_minimal_snippet(lines2, 1, 0, &n) == NULL);
}

static struct test_case tests[] = {
    {"comment_outside_strings", test_comment_outside_strings},
    {"literal_end", test_literal_end},
    {"defines", test_defines},
    {"minimal_snippet_keeps_definitions_and_mutations", test_minimal_snippet_keeps_definitions_and_mutations},
};

TEST_MAIN(tests)
