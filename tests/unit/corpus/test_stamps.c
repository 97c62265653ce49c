/* Review stamps: the content hash covers every field a reader judged, a
 * stamp goes stale when any of them changes, files round-trip sorted, and
 * malformed files are refused. */
#include "corpus/stamps.h"
#include "corpus_test.h"
#include "util/err.h"

static struct qz_question sample(void)
{
    struct qz_question q;
    memset(&q, 0, sizeof q);
    q.id = (char *)"cloze-c01-q01-01";
    q.prompt = (char *)"Fill in the blank: “== calls ____.”";
    q.code = NULL;
    q.options[0] = (char *)"__eq__";
    q.options[1] = (char *)"__hash__";
    q.options[2] = (char *)"__ne__";
    q.options[3] = (char *)"__lt__";
    q.n_options = 4;
    q.correct = 0;
    q.explanation = (char *)"== compares values by calling __eq__.";
    return q;
}

static void test_hash_covers_every_judged_field(void)
{
    struct qz_question q = sample(), r;
    char h0[REVIEW_HASH_HEX], h[REVIEW_HASH_HEX];
    stamp_hash(&q, h0);
    ASSERT_EQ(strlen(h0), 64);
    r = q; r.prompt = (char *)"Fill in the blank: “!= calls ____.”";
    stamp_hash(&r, h); ASSERT(strcmp(h, h0));
    r = q; r.code = (char *)"a == b";
    stamp_hash(&r, h); ASSERT(strcmp(h, h0));
    r = q; r.options[2] = (char *)"__gt__";
    stamp_hash(&r, h); ASSERT(strcmp(h, h0));
    r = q; r.correct = 1;
    stamp_hash(&r, h); ASSERT(strcmp(h, h0));
    r = q; r.explanation = (char *)"Something else.";
    stamp_hash(&r, h); ASSERT(strcmp(h, h0));
    /* Field boundaries count: moving text between fields changes the hash. */
    r = q; r.prompt = (char *)"Fill in the blank: “== calls ____.”a"; r.code = NULL;
    struct qz_question t = q; t.code = (char *)"a";
    char h1[REVIEW_HASH_HEX], h2[REVIEW_HASH_HEX];
    stamp_hash(&r, h1);
    stamp_hash(&t, h2);
    ASSERT(strcmp(h1, h2));
    /* The id and timing are not content. */
    r = q; r.id = (char *)"other"; r.time_s = 99;
    stamp_hash(&r, h); ASSERT_STR_EQ(h, h0);
}

static void test_state_and_round_trip(void)
{
    struct qz_question q = sample();
    struct stamps s = {0};
    ASSERT_EQ(stamps_state(&s, &q), STAMP_MISSING);
    char h[REVIEW_HASH_HEX];
    stamp_hash(&q, h);
    stamps_set(&s, "zz-last", "weak", h);
    stamps_set(&s, q.id, "good", h);
    ASSERT_EQ(stamps_state(&s, &q), STAMP_CURRENT);
    char *path = write_temp("");
    ASSERT_OK(stamps_save(&s, path));
    stamps_free(&s);
    struct report rep;
    report_init(&rep);
    ASSERT_OK(stamps_load(path, &s, &rep));
    ASSERT_EQ(s.n, 2);
    ASSERT_STR_EQ(s.v[0].id, "cloze-c01-q01-01");   /* sorted by id */
    ASSERT_STR_EQ(s.v[1].verdict, "weak");
    ASSERT_EQ(stamps_state(&s, &q), STAMP_CURRENT);
    q.explanation = (char *)"A changed explanation.";
    ASSERT_EQ(stamps_state(&s, &q), STAMP_STALE);
    stamps_free(&s);
    report_cleanup(&rep);
    remove(path);
    free(path);
}

static void test_prune_drops_only_orphans(void)
{
    struct qz_question q[2] = {sample(), sample()};
    q[1].id = (char *)"define-c02-q01-01";
    struct qz_pack p = {.q = q, .n = 2};
    struct stamps s = {0};
    char h[REVIEW_HASH_HEX];
    stamp_hash(&q[0], h);
    stamps_set(&s, "aa-rejected", "weak", h);
    stamps_set(&s, q[0].id, "good", h);
    stamps_set(&s, "code-gone", "good", h);
    stamps_set(&s, q[1].id, "weak", h);   /* stale, but its question is served */
    stamps_set(&s, "zz-renamed", "good", h);
    ASSERT(stamp_orphaned(&s.v[0], &p));
    ASSERT(!stamp_orphaned(&s.v[1], &p));
    ASSERT_EQ(stamps_prune(&s, &p), 3);
    ASSERT_EQ(s.n, 2);
    ASSERT_STR_EQ(s.v[0].id, "cloze-c01-q01-01");   /* order kept */
    ASSERT_STR_EQ(s.v[1].id, "define-c02-q01-01");
    ASSERT_EQ(stamps_prune(&s, &p), 0);
    struct qz_pack none = {0};
    ASSERT_EQ(stamps_prune(&s, &none), 2);
    ASSERT_EQ(s.n, 0);
    stamps_free(&s);
}

static void test_bad_files_are_refused(void)
{
    const char *h = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char *dup = xasprintf("{\"format\":\"quizd-stamps/1\",\"stamps\":[{\"id\":\"a\",\"verdict\":\"good\",\"hash\":\"%s\"},"
                          "{\"id\":\"a\",\"verdict\":\"good\",\"hash\":\"%s\"}]}", h, h);
    char *badv = xasprintf("{\"format\":\"quizd-stamps/1\",\"stamps\":[{\"id\":\"a\",\"verdict\":\"bad\",\"hash\":\"%s\"}]}", h);
    const char *cases[] = {"{nope", "{\"format\":\"x\",\"stamps\":[]}",
                           "{\"format\":\"quizd-stamps/1\",\"stamps\":[{\"id\":\"a\",\"verdict\":\"good\",\"hash\":\"XYZ\"}]}",
                           dup, badv, NULL};
    for (int i = 0; cases[i]; i++) {
        char *path = write_temp(cases[i]);
        struct stamps s;
        struct report rep;
        report_init(&rep);
        ASSERT_EQ(stamps_load(path, &s, &rep), QZ_EINVAL);
        ASSERT_EQ(s.n, 0);
        ASSERT_GE(rep.n, 1);
        report_cleanup(&rep);
        remove(path);
        free(path);
    }
    struct stamps s;
    struct report rep;
    report_init(&rep);
    ASSERT_EQ(stamps_load("/nonexistent/stamps.json", &s, &rep), QZ_EIO);
    report_cleanup(&rep);
    free(dup);
    free(badv);
}

static void test_bundled_stamps_file_loads(void)
{
    char *path = src_path("server/data/review/stamps.json");
    struct stamps s;
    struct report rep;
    report_init(&rep);
    ASSERT_OK(stamps_load(path, &s, &rep));
    stamps_free(&s);
    report_cleanup(&rep);
    free(path);
}

static struct test_case tests[] = {
    {"hash_covers_every_judged_field", test_hash_covers_every_judged_field},
    {"state_and_round_trip", test_state_and_round_trip},
    {"prune_drops_only_orphans", test_prune_drops_only_orphans},
    {"bad_files_are_refused", test_bad_files_are_refused},
    {"bundled_stamps_file_loads", test_bundled_stamps_file_loads},
};

TEST_MAIN(tests)
