/* The corpus module: encoding repair, the page parser's structure and traps,
 * derivation invariants and targets, stable ids, the pack validator, and
 * the three importers against golden files (malformed items included). */
#include "corpus/derive.h"
#include "corpus/import.h"
#include "corpus/pack.h"
#include "corpus/parse.h"
#include "corpus/repair.h"
#include "test.h"
#include "util/xmalloc.h"
#include <jansson.h>
#include <strings.h>
#include <unistd.h>

static char *src_path(const char *rel)
{
    return xasprintf("%s/%s", getenv("QZ_SOURCE_DIR"), rel);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        FAIL_AT("cannot open %s", path);
    char *b = xmalloc(1 << 20);
    *len = fread(b, 1, (1 << 20) - 1, f);
    b[*len] = 0;
    fclose(f);
    return b;
}

static void test_repair_each_sequence(void)
{
    static const char *cases[][2] = {
        {"a \xCE\xB2\xE2\x82\xAC\xE2\x80\x9D b", "a \xE2\x80\x94 b"},         /* β€” -> — */
        {"\xCE\xB2\xE2\x80\x9D\xE2\x82\xAC", "\xE2\x94\x80"},                 /* β”€ -> ─ */
        {"\xCE\xB2\xE2\x80\x9D\xE2\x80\x9A", "\xE2\x94\x82"},                 /* β”‚ -> │ */
        {"x \xCE\xB2\xE2\x80\xA0\xE2\x80\x99 y", "x \xE2\x86\x92 y"},         /* β†’ -> → */
        {"\xCE\xB2\xE2\x80\x9D\xC5\x93\xCE\xB2\xE2\x80\x9D\xE2\x82\xAC", "\xE2\x94\x9C\xE2\x94\x80"}, /* β”œ (cp1252 œ) */
        {"5 \xCE\x93\xE2\x80\x94 faster", "5 \xC3\x97 faster"},               /* Γ— -> × */
        {"O(n\xCE\x92\xC2\xB2)", "O(n\xC2\xB2)"},                             /* Β² -> ² */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t fixed = 0;
        char *r = repair_mojibake(cases[i][0], strlen(cases[i][0]), NULL, &fixed);
        ASSERT_STR_EQ(r, cases[i][1]);
        ASSERT(fixed >= 1);
        ASSERT(!repair_has_damage(r));
        free(r);
    }
}

static void test_repair_keeps_undamaged_text(void)
{
    const char *ok = "plain ASCII, \xE2\x94\x94\xE2\x94\x80\xE2\x94\x80 tree \xE2\x86\x90 arrow "
                     "\xE2\x80\xA2 bullet \xC2\xB7 dot \xF0\x9F\x90\x8D snake 5\xE2\x80\x93" "10 "
                     "\xCE\xB1\xCE\xB2\xCE\xB3 greek";
    size_t fixed = 7;
    char *r = repair_mojibake(ok, strlen(ok), NULL, &fixed);
    ASSERT_STR_EQ(r, ok);
    ASSERT_EQ(fixed, 0);
    free(r);
}

static struct corpus parsed;

static void load_corpus(void)
{
    if (parsed.n_cats)
        return;
    size_t len;
    char *p = src_path("server/data/corpus/senior-python-interview.txt");
    char *b = slurp(p, &len);
    ASSERT_OK(corpus_parse(b, len, &parsed));
    free(b);
    free(p);
}

static const struct cquestion *cq(int cat, int num)
{
    return &parsed.cats[cat - 1].qs[num - 1];
}

static void test_parser_structure(void)
{
    load_corpus();
    static const char *names[] = {"Core Python", "Python Internals & Memory", "Async & Concurrency",
                                  "Type Hints & Protocols", "FastAPI", "Django & ORM", "Testing",
                                  "Performance & Optimization", "Design Patterns in Python",
                                  "Data Structures & Algorithms", "AI / ML Integration"};
    static const int counts[] = {14, 10, 10, 8, 10, 10, 8, 6, 6, 5, 10};
    ASSERT_EQ(parsed.n_cats, 11);
    ASSERT_EQ(corpus_question_count(&parsed), 97);
    for (int i = 0; i < 11; i++) {
        ASSERT_STR_EQ(parsed.cats[i].name, names[i]);
        ASSERT_EQ(parsed.cats[i].n_qs, counts[i]);
        ASSERT_EQ(parsed.cats[i].declared, counts[i]);
    }
    ASSERT_EQ(parsed.repaired, 414);
    ASSERT_CONTAINS(cq(1, 1)->title, "What is the difference between is and ==");
    /* No page residue inside answers. */
    for (size_t k = 0; k < parsed.n_cats; k++)
        for (size_t i = 0; i < parsed.cats[k].n_qs; i++)
            for (size_t b = 0; b < parsed.cats[k].qs[i].n_blocks; b++) {
                const char *t = parsed.cats[k].qs[i].blocks[b].text;
                ASSERT(!strstr(t, "No questions match your search"));
                ASSERT(!strstr(t, " questions\n"));
                ASSERT(!repair_has_damage(t));
            }
}

static const struct block *find_block(const struct cquestion *q, const char *needle)
{
    for (size_t b = 0; b < q->n_blocks; b++)
        if (strstr(q->blocks[b].text, needle))
            return &q->blocks[b];
    return NULL;
}

static void test_parser_tricky_cases(void)
{
    load_corpus();
    /* An answer that starts with code (FastAPI #4). */
    ASSERT_EQ(cq(5, 4)->blocks[0].kind, BLK_CODE);
    ASSERT_CONTAINS(cq(5, 4)->blocks[0].text, "from fastapi import BackgroundTasks");
    /* Code running straight into the next heading: Core #3 ends in code, #4 parses. */
    const struct cquestion *c3 = cq(1, 3);
    ASSERT_EQ(c3->blocks[c3->n_blocks - 1].kind, BLK_CODE);
    ASSERT_CONTAINS(cq(1, 4)->title, "What are Python decorators?");
    /* WORKDIR /app stays inside the Dockerfile code block. */
    const struct block *b = find_block(cq(5, 8), "WORKDIR /app");
    ASSERT(b);
    ASSERT_EQ(b->kind, BLK_CODE);
    ASSERT_CONTAINS(b->text, "FROM python:3.12-slim");
    /* The box-drawing tree survives repair, in one code block. */
    b = find_block(cq(5, 5), "\xE2\x94\x9C");
    ASSERT(b);
    ASSERT_EQ(b->kind, BLK_CODE);
    ASSERT_CONTAINS(b->text, "\xE2\x94\x94");
    ASSERT_CONTAINS(b->text, "\xE2\x94\x82");
    /* Prose that starts like code stays prose. */
    b = find_block(cq(1, 9), "auto-generates __init__");
    ASSERT(b);
    ASSERT_EQ(b->kind, BLK_PROSE);
    /* Bullets lose their marker; numbered items keep their number. */
    ASSERT(find_block(cq(1, 13), "sys.modules cache"));
    ASSERT_EQ(find_block(cq(1, 13), "sys.modules cache")->kind, BLK_NUMBERED);
    ASSERT_EQ(find_block(cq(1, 13), "sys.modules cache")->number, 1);
}

static struct qz_pack *derive(struct derive_stats *st)
{
    char *c = src_path("server/data/corpus/senior-python-interview.txt");
    char *e = src_path("server/data/review/errata.txt");
    char *o = src_path("server/data/review/overrides.json");
    struct derive_paths dp = {c, e, o};
    struct report rep;
    report_init(&rep);
    struct qz_pack *p = derive_pack(&dp, st, &rep);
    ASSERT(p);
    if (rep.n) {
        report_print(&rep, stderr);
        FAIL_AT("derivation reported %zu problems (stale overrides?)", rep.n);
    }
    report_cleanup(&rep);
    free(c), free(e), free(o);
    return p;
}

static void test_derived_pack_meets_targets(void)
{
    struct derive_stats st;
    struct qz_pack *p = derive(&st);
    ASSERT_GE(p->n, 250);
    ASSERT_EQ(p->n_cats, 11);
    for (size_t i = 0; i < p->n_cats; i++)
        if (p->cats[i].questions < 8)
            FAIL_AT("category %s has only %d questions", p->cats[i].name, p->cats[i].questions);
    ASSERT_GE(st.sources_used, 75);
    ASSERT_GE(st.n_kinds, 6);
    ASSERT(st.rejected_by_review > 0);
    struct report rep;
    report_init(&rep);
    ASSERT_EQ(pack_validate(p, "derived", &rep), 0);
    report_cleanup(&rep);
    qz_pack_destroy(p);
}

static void test_derived_questions_pass_gates(void)
{
    struct derive_stats st;
    struct qz_pack *p = derive(&st);
    for (size_t i = 0; i < p->n; i++) {
        const struct qz_question *q = &p->q[i];
        ASSERT(strcmp(q->kind, "category"));   /* never shipped */
        ASSERT(q->n_options >= 2 && q->n_options <= 4);
        ASSERT(q->correct >= 0 && q->correct < q->n_options);
        ASSERT(q->explanation && strlen(q->explanation) > 0);
        ASSERT(q->source.number >= 1 && q->source.title);
        ASSERT(q->time_s >= 10 && q->time_s <= 60);
        ASSERT(q->difficulty >= 1 && q->difficulty <= 3);
        const char *fields[] = {q->prompt, q->code, q->explanation, q->options[0], q->options[1],
                                q->options[2], q->options[3], q->source.title};
        for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
            if (fields[k] && repair_has_damage(fields[k]))
                FAIL_AT("%s: damaged text: %s", q->id, fields[k]);
        size_t lc = strlen(q->options[q->correct]), longest = 0;
        for (int k = 0; k < q->n_options; k++) {
            if (k != q->correct && strlen(q->options[k]) > longest)
                longest = strlen(q->options[k]);
            for (int j = 0; j < q->n_options; j++)
                if (j != k && !strcasecmp(q->options[j], q->options[k]))
                    FAIL_AT("%s: duplicate options", q->id);
        }
        if (lc > 25 && lc * 10 > longest * 16)
            FAIL_AT("%s: correct option is a length giveaway", q->id);
        /* The correct option never appears in the question's code as the marked answer. */
        if (q->code && !strcmp(q->kind, "code_blank"))
            ASSERT_CONTAINS(q->code, "____");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(p->q[j].id, q->id))
                FAIL_AT("duplicate id %s", q->id);
    }
    qz_pack_destroy(p);
}

static void test_ids_are_stable(void)
{
    struct derive_stats a, b;
    struct qz_pack *p1 = derive(&a), *p2 = derive(&b);
    ASSERT_EQ(p1->n, p2->n);
    for (size_t i = 0; i < p1->n; i++) {
        ASSERT_STR_EQ(p1->q[i].id, p2->q[i].id);
        ASSERT_STR_EQ(p1->q[i].options[p1->q[i].correct], p2->q[i].options[p2->q[i].correct]);
    }
    /* A known question keeps its id and answer across machines and runs. */
    bool found = false;
    for (size_t i = 0; i < p1->n; i++)
        if (!strcmp(p1->q[i].id, "version-c03-q02-01")) {
            ASSERT_CONTAINS(p1->q[i].prompt, "TaskGroup");
            ASSERT_STR_EQ(p1->q[i].options[p1->q[i].correct], "Python 3.11");
            found = true;
        }
    ASSERT(found);
    qz_pack_destroy(p1);
    qz_pack_destroy(p2);
}

static void test_errata_and_overrides_apply(void)
{
    struct derive_stats st;
    struct qz_pack *p = derive(&st);
    ASSERT(st.errata_skipped >= 1);
    for (size_t i = 0; i < p->n; i++) {
        ASSERT(strcmp(p->q[i].id, "cloze-c05-q01-01"));   /* rejected by review */
        ASSERT(!strstr(p->q[i].prompt, "virtual threads"));
        if (!strcmp(p->q[i].id, "version-c08-q04-01"))
            ASSERT_CONTAINS(p->q[i].prompt, "functools.cache");
    }
    qz_pack_destroy(p);
}

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

static void cleanup(void)
{
    corpus_free(&parsed);
}

static void test_zz_cleanup(void)
{
    cleanup();
}

static struct test_case tests[] = {
    {"repair_each_sequence", test_repair_each_sequence},
    {"repair_keeps_undamaged_text", test_repair_keeps_undamaged_text},
    {"parser_structure", test_parser_structure},
    {"parser_tricky_cases", test_parser_tricky_cases},
    {"derived_pack_meets_targets", test_derived_pack_meets_targets},
    {"derived_questions_pass_gates", test_derived_questions_pass_gates},
    {"ids_are_stable", test_ids_are_stable},
    {"errata_and_overrides_apply", test_errata_and_overrides_apply},
    {"validator_reports_every_problem", test_validator_reports_every_problem},
    {"each_quality_gate", test_each_quality_gate},
    {"import_opentdb", test_import_opentdb},
    {"import_aiken", test_import_aiken},
    {"import_csv", test_import_csv},
    {"zz_cleanup", test_zz_cleanup},
};

TEST_MAIN(tests)
