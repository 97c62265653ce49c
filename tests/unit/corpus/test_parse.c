/* Encoding repair and the page parser: every damaged sequence, undamaged
 * text kept, the bundled corpus's structure and its parsing traps. */
#include "corpus/repair.h"
#include "corpus_test.h"

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

/* A run of blank lines inside code stays in the code block, however long
 * (it is looked past once, not rescanned from each of its lines); a run
 * followed by prose ends the block. Over 100,000 lines: the arrays grow
 * geometrically. */
static void test_parser_long_blank_runs(void)
{
    enum { RUN = 100000 };
    const char *head = "Core\n\n1 questions\n1What is x?\nx = 1\n";
    const char *mid = "y = 2\n\n\n";
    const char *tail = "This answer ends here with one plain sentence of prose.\n";
    size_t n = strlen(head) + RUN + strlen(mid) + strlen(tail);
    char *text = xmalloc(n + 1);
    char *w = text;
    w += sprintf(w, "%s", head);
    memset(w, '\n', RUN);
    w += RUN;
    w += sprintf(w, "%s%s", mid, tail);
    ASSERT_EQ((size_t)(w - text), n);
    struct corpus c;
    ASSERT_OK(corpus_parse(text, n, &c));
    free(text);
    ASSERT_EQ(c.n_lines, (size_t)(4 + 1 + RUN + 3 + 1));
    ASSERT_EQ(c.n_cats, 1);
    ASSERT_EQ(c.cats[0].n_qs, 1);
    const struct cquestion *q = &c.cats[0].qs[0];
    ASSERT_EQ(q->n_blocks, 2);
    ASSERT_EQ(q->blocks[0].kind, BLK_CODE);
    ASSERT_EQ(strlen(q->blocks[0].text), strlen("x = 1") + RUN + 1 + strlen("y = 2"));
    ASSERT(!strncmp(q->blocks[0].text, "x = 1\n", 6));
    ASSERT_STR_EQ(q->blocks[0].text + 5 + RUN + 1, "y = 2");
    ASSERT_EQ(q->blocks[0].line_start, 5);
    ASSERT_EQ(q->blocks[0].line_end, 5 + RUN + 1);
    ASSERT_EQ(q->blocks[1].kind, BLK_PROSE);
    ASSERT_STR_EQ(q->blocks[1].text, "This answer ends here with one plain sentence of prose.");
    corpus_free(&c);
}

static void test_zz_cleanup(void)
{
    corpus_free(&parsed);
}

static struct test_case tests[] = {
    {"repair_each_sequence", test_repair_each_sequence},
    {"repair_keeps_undamaged_text", test_repair_keeps_undamaged_text},
    {"parser_structure", test_parser_structure},
    {"parser_tricky_cases", test_parser_tricky_cases},
    {"parser_long_blank_runs", test_parser_long_blank_runs},
    {"zz_cleanup", test_zz_cleanup},
};

TEST_MAIN(tests)
