/* The quality gates: each rule refuses the case it names (a case that
 * passes without the rule) and lets a good question through; the repair
 * picks another distractor set rather than serving a cue. */
#include "corpus_test.h"
#include "derive_int.h"

static struct lexicon lex;

static void load_lexicon(void)
{
    if (lex.n_pools)
        return;
    char *path = src_path("server/data/lexicon/pools.json");
    struct report rep;
    report_init(&rep);
    ASSERT_OK(lex_load_pools(&lex, path, &rep));
    ASSERT_EQ(rep.n, 0);
    report_cleanup(&rep);
    free(path);
}

static struct qz_question mkq(const char *kind, const char *prompt, const char *a, const char *b,
                               const char *c, const char *d)
{
    struct qz_question q;
    memset(&q, 0, sizeof q);
    q.kind = (char *)kind;
    q.category = (char *)"Core Python";
    q.prompt = (char *)prompt;
    q.options[0] = (char *)a;
    q.options[1] = (char *)b;
    q.options[2] = (char *)c;
    q.options[3] = (char *)d;
    q.n_options = d ? 4 : c ? 3 : 2;
    q.correct = 0;
    q.explanation = (char *)"asyncio.Lock lets one task at a time into the critical section.";
    return q;
}

static void test_good_question_passes(void)
{
    struct qz_question q = mkq("cloze", "Fill in the blank: “Use ____ for coordination.”", "asyncio.Lock",
                               "asyncio.Event", "asyncio.Queue", "asyncio.Future");
    ASSERT(derive_check_gates(&q) == NULL);
}

static void test_option_rules(void)
{
    struct qz_question q;
    q = mkq("cloze", "Pick one", "Lock", "lock ", "Event", "Queue");
    ASSERT_STR_EQ(derive_check_gates(&q), "duplicate options");
    q = mkq("define", "Which one?", "Queue", "asyncio.Queue", "Pipe", "Shared memory");
    ASSERT_STR_EQ(derive_check_gates(&q), "an option is contained in another");
    q = mkq("cloze", "Fill in the blank: “Use ____ to memoise.”", "@lru_cache", "@functools.lru_cache",
            "@cached_property", "@cache_page");
    ASSERT_STR_EQ(derive_check_gates(&q), "two options name the same thing");
    q = mkq("cloze", "Fill in the blank: “Use ____ to memoise.”", "@lru_cache", "@cached_property",
            "@cache_page", NULL);
    ASSERT_STR_EQ(derive_check_gates(&q), "fewer than four options");
    q = mkq("tool", "Which one?", "A very long correct option that stands out", "short", "tiny", "brief");
    ASSERT_STR_EQ(derive_check_gates(&q), "the correct option is much longer than the others");
    q = mkq("cloze", "Broken \xCE\xB2\xE2\x82\xAC\xE2\x80\x9D text", "a1", "b2", "c3", "d4");
    ASSERT_STR_EQ(derive_check_gates(&q), "damaged text");
    /* Code results may legitimately contain one another ([1, 2] vs [1, 2, 3]). */
    q = mkq("code_output", "What does it evaluate to?", "[1, 2]", "[1, 2, 3]", "[2]", "[1]");
    q.explanation = (char *)"[1, 2] — the default list is shared between calls.";
    ASSERT(derive_check_gates(&q) == NULL);
}

static void test_surface_cues(void)
{
    load_lexicon();
    struct qz_question q;
    /* A word of the prompt only the answer repeats: "attr" / "Attribute access". */
    q = mkq("define", "Which group holds the attr hooks? “__getattr__, __setattr__”", "Attribute access",
            "Container", "Callable", "Comparison");
    ASSERT_STR_EQ(derive_check_gates(&q), "surface cue: only the answer shares a word with the prompt or code");
    /* A prefix: "microcontrollers" / "MicroPython". */
    q = mkq("define", "Which one is this? “Lean Python 3 for microcontrollers.”", "MicroPython", "Jython",
            "IronPython", "PyPy");
    ASSERT_STR_EQ(derive_check_gates(&q), "surface cue: only the answer shares a word with the prompt or code");
    /* When a distractor shares a word too, the word is no cue. */
    q = mkq("define", "Which one is this? “Lean Python 3 for microcontrollers.”", "MicroPython",
            "Microsoft Python", "IronPython", "PyPy");
    ASSERT(derive_check_gates(&q) == NULL);
    /* The category is on screen: "FastAPI" in the FastAPI category. */
    q = mkq("cloze", "Fill in the blank: “____'s DI system uses Depends().”", "FastAPI", "Starlette",
            "Django", "Flask");
    q.category = (char *)"FastAPI";
    ASSERT_STR_EQ(derive_check_gates(&q), "surface cue: only the answer shares a word with the prompt or code");
    /* A partner in the code: __aexit__ shown, __aenter__ asked. */
    q = mkq("code_blank", "Which special method fills the blank (____) in this code?", "__aenter__",
            "__enter__", "__getattr__", "__call__");
    q.code = (char *)"class Conn:\n    async def ____(self):\n        return self\n    async def __aexit__(self, *e):\n        pass";
    ASSERT(derive_check_gates(&q) == NULL);   /* the public gate has no lexicon: no pairs */
    ASSERT_STR_EQ(derive__gate(&lex, &q), "surface cue: the prompt or code shows the answer's partner");
    /* Singled out by form: a lower-case phrase among names. */
    q = mkq("define", "Which one is this? “For homogeneous numeric data.”", "array module", "NumPy",
            "Pandas", "Polars");
    ASSERT_STR_EQ(derive_check_gates(&q), "surface cue: the answer alone differs in form or case");
    /* The odd one out: three "... middleware" and the answer not. */
    q = mkq("define", "Which one is this? “executes your business logic, renders a template”",
            "View function/class", "Exception middleware", "View middleware", "Response middleware");
    ASSERT_STR_EQ(derive_check_gates(&q), "surface cue: the distractors share a word the answer lacks");
    /* A word the answer shares too is no cue. */
    q = mkq("define", "Which one is this? “runs before every view”",
            "Security middleware", "Exception middleware", "View middleware", "Response middleware");
    ASSERT(derive_check_gates(&q) == NULL);
}

static void test_explanation_rules(void)
{
    struct qz_question q = mkq("code_blank", "Which name fills the blank (____) in this code?", "asyncio.run",
                               "asyncio.gather", "asyncio.wait", "asyncio.sleep");
    q.explanation = (char *)"The line is: asyncio.run(main())";
    ASSERT_STR_EQ(derive_check_gates(&q), "the explanation restates the line");
    q.explanation = (char *)"Positional-only parameters (Python 3.8+, / separator):";
    ASSERT_STR_EQ(derive_check_gates(&q), "the explanation is a heading cut at ':'");
    q = mkq("code_output", "What does it evaluate to?", "16", "17", "15", "32");
    q.explanation = (char *)"16.";
    ASSERT_STR_EQ(derive_check_gates(&q), "the explanation only states the result");
    q.explanation = (char *)"16: count was 11 after the first call and step adds 5.";
    ASSERT(derive_check_gates(&q) == NULL);
}

static void test_repair_picks_a_set_without_cue(void)
{
    load_lexicon();
    struct ctx x;
    memset(&x, 0, sizeof x);
    x.lex = lex;
    struct cand c;
    memset(&c, 0, sizeof c);
    c.q = mkq("code_blank", "Which Django name fills the blank (____) in this code?", NULL, NULL, NULL, NULL);
    c.q.id = (char *)"code_blank-c06-q01-01";
    c.q.code = (char *)"Order.objects.annotate(count=____('items'))";
    c.q.explanation = (char *)"Count counts related rows per object.";
    struct strv cands = {0};
    sv_push(&cands, "Sum");
    sv_push(&cands, "Avg");
    sv_push(&cands, "Max");
    sv_push(&cands, "Counter");   /* shares "count" too: the only set without a cue uses it */
    ASSERT_OK(derive__finish_options(&x, &c, "Count", &cands));
    ASSERT(c.gate == NULL);
    bool has = false;
    for (int i = 0; i < 4; i++)
        has |= !strcmp(c.q.options[i], "Counter");
    ASSERT(has);
    ASSERT_STR_EQ(c.q.options[c.q.correct], "Count");
    for (int i = 0; i < 4; i++)
        free(c.q.options[i]);
    /* Without such a distractor the question is refused, with the reason. */
    sv_free(&cands);
    sv_push(&cands, "Sum");
    sv_push(&cands, "Avg");
    sv_push(&cands, "Max");
    c.gate = NULL;
    ASSERT_EQ(derive__finish_options(&x, &c, "Count", &cands), -1);
    ASSERT_STR_EQ(c.gate, "surface cue: only the answer shares a word with the prompt or code");
    for (int i = 0; i < c.q.n_options; i++)
        free(c.q.options[i]);
    sv_free(&cands);
}

/* A word shared by an option and a text, the text walked token by token:
 * equal words and prefixes count, camelCase humps and 63-character runs
 * split tokens, template words never count, and an echo at the very end
 * of a long text of distinct words is found. */
static void test_shares_word(void)
{
    ASSERT(derive__shares_word("BackgroundTasks", "use tasks here"));
    ASSERT(derive__shares_word("background", "runBackgroundJobs()"));
    ASSERT(derive__shares_word("cov", "coverage report"));
    ASSERT(!derive__shares_word("coverage", "cov report"));
    ASSERT(!derive__shares_word("python", "Python code"));
    ASSERT(!derive__shares_word("ab", "ab ab"));
    ASSERT(!derive__shares_word("lock", ""));
    char run[63 + 5 + 1];
    memset(run, 'q', 63);
    strcpy(run + 63, "tasks");
    ASSERT(derive__shares_word("tasks", run));
    enum { WORDS = 20000 };
    char *text = xmalloc(WORDS * 8 + 16);
    char *w = text;
    for (int i = 0; i < WORDS; i++)
        w += sprintf(w, "zq%05d ", i);
    ASSERT(!derive__shares_word("Semaphore", text));
    strcpy(w, "semaphores");
    ASSERT(derive__shares_word("Semaphore", text));
    free(text);
}

static void test_zz_cleanup(void)
{
    lex_free(&lex);
}

static struct test_case tests[] = {
    {"good_question_passes", test_good_question_passes},
    {"option_rules", test_option_rules},
    {"surface_cues", test_surface_cues},
    {"explanation_rules", test_explanation_rules},
    {"repair_picks_a_set_without_cue", test_repair_picks_a_set_without_cue},
    {"shares_word", test_shares_word},
    {"zz_cleanup", test_zz_cleanup},
};

TEST_MAIN(tests)
