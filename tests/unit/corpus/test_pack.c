/* quizd-pack/1 packs and the importers: the validator reports every
 * problem with file:number, and each importer matches its golden files. */
#include "corpus/import.h"
#include "corpus_test.h"
#include <fcntl.h>
#include <jansson.h>

static void test_validator_reports_every_problem(void)
{
    struct report rep;
    report_init(&rep);
    char *path = src_path("tests/data/packs-invalid.json");
    ASSERT(pack_load_file(path, &rep) == NULL);
    ASSERT_EQ(rep.n, 9);
    char want[1200];
    snprintf(want, sizeof want, "%s:2: options: must have 2 to 4 options, has 1", path);
    bool seen = false;
    for (size_t i = 0; i < rep.n; i++)
        seen |= !strcmp(rep.lines[i], want);
    ASSERT(seen);
    snprintf(want, sizeof want, "%s:3: id: duplicates the id of question 1", path);
    seen = false;
    for (size_t i = 0; i < rep.n; i++)
        seen |= !strcmp(rep.lines[i], want);
    ASSERT(seen);
    report_cleanup(&rep);
    free(path);
    /* Not JSON, wrong format marker. */
    report_init(&rep);
    ASSERT(pack_load_buffer("{nope", 5, "x.json", &rep) == NULL);
    ASSERT_CONTAINS(rep.lines[0], "x.json:1: json:");
    report_cleanup(&rep);
    report_init(&rep);
    ASSERT(pack_load_buffer("{\"format\":\"other\"}", 18, "y.json", &rep) == NULL);
    ASSERT_CONTAINS(rep.lines[0], "format: must be");
    report_cleanup(&rep);
}

static void golden(enum import_format fmt, const char *file)
{
    char *dir = src_path("tests/data/import");
    char *in = xasprintf("%s/%s", dir, file);
    size_t len, skipped;
    char *buf = slurp(in, &len);
    struct report rep;
    report_init(&rep);
    struct qz_pack *p = import_buffer(fmt, buf, len, file, NULL, NULL, &rep, &skipped);
    ASSERT(p);
    /* Report lines equal the golden text. */
    char *exp_txt_path = xasprintf("%s/%s.expected.txt", dir, file);
    char *exp_txt = slurp(exp_txt_path, &len);
    struct sbuf_like { char *s; size_t n; } got = {xstrdup(""), 0};
    for (size_t i = 0; i < rep.n; i++) {
        char *t = xasprintf("%s%s\n", got.s, rep.lines[i]);
        free(got.s);
        got.s = t;
    }
    ASSERT_STR_EQ(got.s, exp_txt);
    /* The pack equals the golden pack (written by the CLI from the same file). */
    char *tmp = xasprintf("/tmp/quizd-golden-%d.json", (int)getpid());
    ASSERT_OK(pack_write_file(p, tmp));
    char *exp_json_path = xasprintf("%s/%s.expected.json", dir, file);
    json_t *a = json_load_file(tmp, 0, NULL), *b = json_load_file(exp_json_path, 0, NULL);
    ASSERT(a && b);
    if (!json_equal(a, b))
        FAIL_AT("%s: imported pack differs from %s", file, exp_json_path);
    json_decref(a), json_decref(b);
    remove(tmp);
    free(tmp), free(exp_json_path), free(got.s), free(exp_txt), free(exp_txt_path);
    qz_pack_destroy(p);
    report_cleanup(&rep);
    free(buf), free(in), free(dir);
}

static void test_import_opentdb(void)
{
    golden(IMPORT_OPENTDB, "opentdb.json");
    char *d = html_decode("&quot;A&quot; &amp; &#039;B&#039; &eacute; &#x41; &bogus;");
    ASSERT_STR_EQ(d, "\"A\" & 'B' \xC3\xA9 A &bogus;");
    free(d);
}

static void test_import_aiken(void)
{
    golden(IMPORT_AIKEN, "questions.aiken");
}

static void test_import_csv(void)
{
    golden(IMPORT_CSV, "questions.csv");
    struct report rep;
    report_init(&rep);
    size_t skipped;
    struct qz_pack *p = import_buffer(IMPORT_CSV, "a,b\n1,2\n", 8, "bad.csv", NULL, NULL, &rep, &skipped);
    ASSERT(p == NULL);
    ASSERT_CONTAINS(rep.lines[0], "bad.csv:1: header:");
    report_cleanup(&rep);
}

/* pack_read_file: the whole file, NUL-terminated, whatever its size up to
 * PACK_MAX_BYTES; one byte more is refused; a file without a size (a pipe,
 * /dev/null) is read to its end. */
static void test_read_file_bounds(void)
{
    char *small = write_temp("hello\n");
    struct report rep;
    report_init(&rep);
    size_t n = 0;
    char *b = pack_read_file(small, &n, &rep);
    ASSERT(b);
    ASSERT_EQ(n, 6);
    ASSERT_STR_EQ(b, "hello\n");
    free(b);

    int fd = open(small, O_WRONLY | O_TRUNC);
    ASSERT(fd >= 0);
    ASSERT_OK(ftruncate(fd, PACK_MAX_BYTES));          /* sparse: exactly the limit */
    close(fd);
    b = pack_read_file(small, &n, &rep);
    ASSERT(b);
    ASSERT_EQ(n, PACK_MAX_BYTES);
    ASSERT_EQ(b[n], 0);
    free(b);
    fd = open(small, O_WRONLY);
    ASSERT_OK(ftruncate(fd, (off_t)PACK_MAX_BYTES + 1));
    close(fd);
    ASSERT(!pack_read_file(small, &n, &rep));
    ASSERT(rep.bad_input);
    ASSERT(strstr(rep.lines[rep.n - 1], "larger than"));

    report_cleanup(&rep);
    report_init(&rep);
    b = pack_read_file("/dev/null", &n, &rep);
    ASSERT(b);
    ASSERT_EQ(n, 0);
    free(b);
    ASSERT(!pack_read_file("/nonexistent/quizd", &n, &rep));
    report_cleanup(&rep);
    unlink(small);
    free(small);
}

/* A pack of PACK_MAX_QUESTIONS questions gets past the count (its empty
 * questions are then refused one by one); one more is refused by the count
 * alone (a cap no fuzzer reaches: 30 KB of "{}," is far from any seed). */
static void test_question_count_cap(void)
{
    for (int extra = 0; extra <= 1; extra++) {
        size_t nq = PACK_MAX_QUESTIONS + (size_t)extra;
        char *json = xmalloc(64 + 3 * nq);
        char *w = json + sprintf(json, "{\"format\":\"%s\",\"title\":\"t\",\"questions\":[", PACK_FORMAT);
        for (size_t i = 0; i < nq; i++)
            w += sprintf(w, "%s{}", i ? "," : "");
        strcpy(w, "]}");
        struct report rep;
        report_init(&rep);
        ASSERT(!pack_load_buffer(json, strlen(json), "big.json", &rep));
        ASSERT_GE(rep.n, 1);
        bool count = false;
        for (size_t i = 0; i < rep.n; i++)
            count |= strstr(rep.lines[i], "big.json: questions: more than") != NULL;
        ASSERT_EQ(count, extra == 1);
        if (extra)
            ASSERT_EQ(rep.n, 1);
        report_cleanup(&rep);
        free(json);
    }
}

static struct test_case tests[] = {
    {"read_file_bounds", test_read_file_bounds},
    {"question_count_cap", test_question_count_cap},
    {"validator_reports_every_problem", test_validator_reports_every_problem},
    {"import_opentdb", test_import_opentdb},
    {"import_aiken", test_import_aiken},
    {"import_csv", test_import_csv},
};

TEST_MAIN(tests)
