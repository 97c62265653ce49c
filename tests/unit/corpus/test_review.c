/* Review-file selection by content hash: the same corpus spelled relative
 * or absolute gets the same files, other content gets none, and a malformed
 * or path-climbing manifest is refused. */
#include "corpus/review.h"
#include "corpus_test.h"
#include "util/err.h"
#include <sys/stat.h>

static void test_sha256_known_vector(void)
{
    char h[REVIEW_HASH_HEX];
    review_sha256_hex("abc", 3, h);
    ASSERT_STR_EQ(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_bundled_corpus_selected_by_content(void)
{
    char *abs = src_path("server/data/corpus/senior-python-interview.txt");
    char *dir = src_path("server/data/review");
    struct review_files a, b;
    struct report rep;
    report_init(&rep);
    ASSERT_OK(review_select(abs, dir, &a, &rep));
    ASSERT(a.matched);
    ASSERT(a.errata && a.overrides && a.stamps);
    ASSERT_CONTAINS(a.overrides, "/overrides.json");
    /* The same file through a relative path with a detour. */
    ASSERT_OK(chdir(getenv("QZ_SOURCE_DIR")));
    ASSERT_OK(review_select("server/data/../data/corpus/senior-python-interview.txt", dir, &b, &rep));
    ASSERT(b.matched);
    ASSERT_STR_EQ(a.sha256, b.sha256);
    ASSERT_STR_EQ(a.overrides, b.overrides);
    ASSERT_EQ(rep.n, 0);
    review_files_cleanup(&a);
    review_files_cleanup(&b);
    report_cleanup(&rep);
    free(abs), free(dir);
}

static void test_other_content_gets_no_review(void)
{
    char *dir = src_path("server/data/review");
    char *other = write_temp("Core Python\n\n1 questions\n1What?\n\nAn answer.\n");
    struct review_files f;
    struct report rep;
    report_init(&rep);
    ASSERT_OK(review_select(other, dir, &f, &rep));
    ASSERT(!f.matched);
    ASSERT(f.errata == NULL && f.overrides == NULL && f.stamps == NULL);
    ASSERT_EQ(strlen(f.sha256), 64);
    ASSERT_EQ(review_select("/nonexistent/corpus.txt", dir, &f, &rep), QZ_EIO);
    remove(other);
    free(other), free(dir);
    report_cleanup(&rep);
}

static char *manifest_dir(const char *manifest)
{
    char *dir = xasprintf("/tmp/quizd-review-%d-XXXXXX", (int)getpid());
    ASSERT(mkdtemp(dir));
    char *m = xasprintf("%s/%s", dir, REVIEW_MANIFEST);
    FILE *f = fopen(m, "w");
    ASSERT(f);
    fputs(manifest, f);
    fclose(f);
    free(m);
    return dir;
}

static void remove_dir(char *dir)
{
    char *m = xasprintf("%s/%s", dir, REVIEW_MANIFEST);
    remove(m);
    rmdir(dir);
    free(m);
    free(dir);
}

static void test_bad_manifests_are_refused(void)
{
    char *corpus = write_temp("x");
    char h[REVIEW_HASH_HEX];
    review_sha256_hex("x", 1, h);
    const char *bad[] = {"{nope", "{\"format\":\"other\",\"corpora\":[]}",
                         "{\"format\":\"quizd-review/1\",\"corpora\":[{\"sha256\":\"short\"}]}", NULL};
    for (int i = 0; bad[i]; i++) {
        char *dir = manifest_dir(bad[i]);
        struct review_files f;
        struct report rep;
        report_init(&rep);
        ASSERT_EQ(review_select(corpus, dir, &f, &rep), QZ_EINVAL);
        ASSERT(!f.matched && !f.overrides);
        ASSERT_GE(rep.n, 1);
        report_cleanup(&rep);
        remove_dir(dir);
    }
    char *climb = xasprintf("{\"format\":\"quizd-review/1\",\"corpora\":[{\"sha256\":\"%s\","
                            "\"overrides\":\"../../etc/passwd\"}]}", h);
    char *dir = manifest_dir(climb);
    struct review_files f;
    struct report rep;
    report_init(&rep);
    ASSERT_EQ(review_select(corpus, dir, &f, &rep), QZ_EINVAL);
    ASSERT_CONTAINS(rep.lines[0], "must be a plain name");
    report_cleanup(&rep);
    remove_dir(dir);
    free(climb);
    remove(corpus);
    free(corpus);
}

static struct test_case tests[] = {
    {"sha256_known_vector", test_sha256_known_vector},
    {"bundled_corpus_selected_by_content", test_bundled_corpus_selected_by_content},
    {"other_content_gets_no_review", test_other_content_gets_no_review},
    {"bad_manifests_are_refused", test_bad_manifests_are_refused},
};

TEST_MAIN(tests)
