/* The wire codec: every golden fixture decodes to the result its name says,
 * decoded fields are exact, and encoders produce the documented fields
 * (never the correct option inside a question). */
#include "core/game.h"
#include "qz/proto.h"
#include "test.h"
#include "util/err.h"
#include "util/xmalloc.h"
#include <dirent.h>
#include <jansson.h>

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ASSERT(f);
    char *b = xmalloc(65536);
    *len = fread(b, 1, 65535, f);
    fclose(f);
    while (*len && (b[*len - 1] == '\n'))
        (*len)--;
    b[*len] = 0;
    return b;
}

static int run_dir(const char *sub, bool valid)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/protocol/fixtures/c2s/%s", getenv("QZ_SOURCE_DIR"), sub);
    DIR *d = opendir(dir);
    ASSERT(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".json"))
            continue;
        char path[2048];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *buf = read_all(path, &len);
        struct proto_req r;
        struct proto_error err;
        int rc = proto_decode(buf, len, &r, &err);
        if (valid) {
            if (rc)
                FAIL_AT("%s: expected ok, got %s (%s)", e->d_name, qz_strerror(rc), err.message);
        } else {
            char want[64];
            const char *u = strstr(e->d_name, "__");
            ASSERT(u);
            snprintf(want, sizeof want, "%.*s", (int)(strlen(u + 2) - 5), u + 2);
            if (!rc || strcmp(qz_strerror(rc), want))
                FAIL_AT("%s: expected %s, got %s (%s)", e->d_name, want, qz_strerror(rc), err.message);
            ASSERT(err.message[0]);
        }
        free(buf);
        n++;
    }
    closedir(d);
    return n;
}

static void test_fixtures_valid(void)
{
    ASSERT_GE(run_dir("valid", true), 15);
}

static void test_fixtures_invalid(void)
{
    ASSERT_GE(run_dir("invalid", false), 25);
}

static int decode(const char *s, struct proto_req *r, struct proto_error *e)
{
    return proto_decode(s, strlen(s), r, e);
}

static void test_decoded_fields(void)
{
    struct proto_req r;
    struct proto_error e;
    ASSERT_OK(decode("{\"type\":\"join\",\"code\":\"abc234\",\"name\":\"  Zoë  \",\"req\":9}", &r, &e));
    ASSERT_EQ(r.type, PT_JOIN);
    ASSERT_STR_EQ(r.u.join.code, "ABC234");
    ASSERT_STR_EQ(r.u.join.name, "Zoë");
    ASSERT(r.has_req);
    ASSERT_EQ(r.req, 9);
    ASSERT_OK(decode("{\"type\":\"create_room\",\"count\":7,\"seconds\":0,\"scoring\":\"accuracy\","
                     "\"categories\":[\"A\",\"B\"],\"max_players\":3}", &r, &e));
    ASSERT(r.u.create.has_count && r.u.create.count == 7);
    ASSERT(r.u.create.has_seconds && r.u.create.seconds == 0);
    ASSERT_EQ(r.u.create.scoring, SCORING_ACCURACY);
    ASSERT_EQ(r.u.create.n_categories, 2);
    ASSERT_STR_EQ(r.u.create.categories[1], "B");
    ASSERT_EQ(r.u.create.max_players, 3);
    /* An error still echoes a valid req. */
    ASSERT_EQ(decode("{\"type\":\"answer\",\"req\":5}", &r, &e), QZ_EBADMSG);
    ASSERT(e.has_req && e.req == 5);
    ASSERT_CONTAINS(e.message, "index");
    /* Oversized input is refused before parsing. */
    char big[PROTO_MAX_FRAME + 10];
    memset(big, ' ', sizeof big);
    ASSERT_EQ(proto_decode(big, sizeof big, &r, &e), QZ_EBADMSG);
    /* Invalid UTF-8 is bad JSON. */
    ASSERT_EQ(decode("{\"type\":\"join\",\"code\":\"ABC234\",\"name\":\"\xff\xfe\"}", &r, &e), QZ_EBADJSON);
}

static struct qz_pack *pack1(void)
{
    struct qz_pack *p = qz_pack_create("t", "T", "unit");
    struct qz_question *q = qz_pack_add(p);
    q->id = xstrdup("q1");
    q->kind = xstrdup("code_output");
    q->category = xstrdup("Core");
    q->prompt = xstrdup("What is printed?");
    q->code = xstrdup("print(1)  # ?");
    q->n_options = 4;
    q->options[0] = xstrdup("1");
    q->options[1] = xstrdup("SECRET-CORRECT");
    q->options[2] = xstrdup("3");
    q->options[3] = xstrdup("4");
    q->correct = 1;
    q->explanation = xstrdup("It prints one.");
    q->source.category = xstrdup("Core");
    q->source.number = 3;
    q->source.title = xstrdup("Printing");
    q->difficulty = 2;
    q->time_s = 20;
    qz_pack_index(p);
    return p;
}

static json_t *parse(char *s)
{
    json_t *o = json_loads(s, 0, NULL);
    ASSERT(o);
    free(s);
    return o;
}

static void test_encoders(void)
{
    struct qz_pack *p = pack1();
    struct game_settings s;
    game_settings_default(&s);
    int err;
    struct game *g = game_create(p, &s, 1, &err);
    uint32_t id;
    ASSERT_OK(game_join(g, "Ada <b>", "0123456789abcdef0123456789abcdef", 0, &id));
    ASSERT_OK(game_start(g, 1000));
    struct proto_clock c = {.epoch_offset_ms = 1700000000000LL};
    size_t len;
    json_t *o = parse(proto_enc_question(g, &c, 1000, &len));
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "type")), "question");
    ASSERT_EQ(json_integer_value(json_object_get(o, "index")), 0);
    ASSERT_EQ(json_integer_value(json_object_get(o, "total")), 1);
    ASSERT_EQ(json_integer_value(json_object_get(o, "time_ms")), 20000);
    ASSERT_EQ(json_integer_value(json_object_get(o, "deadline_ms")), 1700000021000LL);
    ASSERT_EQ(json_integer_value(json_object_get(o, "now_ms")), 1700000001000LL);
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "code")), "print(1)  # ?");
    ASSERT_EQ(json_array_size(json_object_get(o, "options")), 4);
    ASSERT(!json_object_get(o, "correct"));
    ASSERT(!json_object_get(o, "explanation"));
    json_decref(o);
    o = parse(proto_enc_state(g, "ABC234", id, &c, 1500, true, 4, &len));
    char *dumped = json_dumps(o, 0);
    ASSERT(!strstr(dumped, "explanation"));   /* nothing that reveals the answer */
    free(dumped);
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "phase")), "question");
    ASSERT(json_is_null(json_object_get(o, "answered")));
    json_decref(o);

    int right = game_correct_display(g, 0);
    ASSERT_OK(game_answer(g, id, 0, right, 1200));
    o = parse(proto_enc_reveal(g, &len));
    ASSERT_EQ(json_integer_value(json_object_get(o, "correct")), right);
    ASSERT_EQ(json_integer_value(json_array_get(json_object_get(o, "counts"), (size_t)right)), 1);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(o, "source"), "title")), "Printing");
    json_decref(o);
    o = parse(proto_enc_result(g, id, &len));
    ASSERT(json_is_true(json_object_get(o, "correct")));
    ASSERT_EQ(json_integer_value(json_object_get(o, "points")), 1000);
    ASSERT_EQ(json_integer_value(json_object_get(o, "rank")), 1);
    ASSERT_EQ(json_integer_value(json_object_get(o, "gap_to_next")), 0);
    ASSERT(json_is_null(json_object_get(o, "ahead")));   /* the leader has nobody ahead */
    json_decref(o);
    o = parse(proto_enc_leaderboard(g, &len));
    json_t *top = json_object_get(o, "top");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(top, 0), "name")), "Ada <b>");
    json_decref(o);
    ASSERT_OK(game_end(g, 3000));
    o = parse(proto_enc_review(g, id, &len));
    ASSERT_EQ(json_array_size(json_object_get(o, "missed")), 0);
    json_decref(o);
    o = parse(proto_enc_error(QZ_ETOOLATE, NULL, true, 12, &len));
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "code")), "too_late");
    ASSERT_EQ(json_integer_value(json_object_get(o, "req")), 12);
    json_decref(o);
    game_destroy(g);
    qz_pack_destroy(p);
}

/* Counting what is sent reads the "type" the encoders write first. */
static void test_out_type_by_prefix(void)
{
    size_t len;
    char *j = proto_enc_error(QZ_ETOOLATE, NULL, true, 12, &len);
    ASSERT_EQ(proto_out_type((unsigned char *)j, len), PO_ERROR);
    free(j);
    j = proto_enc_ack(3, true, &len);
    ASSERT_EQ(proto_out_type((unsigned char *)j, len), PO_ACK);
    free(j);
    j = proto_enc_pong(false, 0, false, 0, 1700000000000LL, &len);
    ASSERT_EQ(proto_out_type((unsigned char *)j, len), PO_PONG);
    free(j);
    static const struct { const char *s; enum proto_out t; } cases[] = {
        {"{\"type\":\"answer_ack\",\"index\":0}", PO_ANSWER_ACK},
        {"{\"type\":\"answers\",\"index\":0}", PO_ANSWERS},   /* not answer_ack's prefix */
        {"{\"type\":\"state\"}", PO_STATE},
        {"{\"type\":\"stately\"}", PO_OTHER},
        {"{\"type\":\"review", PO_OTHER},                     /* cut short */
        {"{\"kind\":\"state\"}", PO_OTHER},
        {"", PO_OTHER},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ASSERT_EQ(proto_out_type((const unsigned char *)cases[i].s, strlen(cases[i].s)), cases[i].t);
    ASSERT_STR_EQ(proto_out_name(PO_GAME_OVER), "game_over");
    for (int t = 0; t < PO_OTHER; t++) {   /* every name is recognised as itself */
        char msg[64];
        snprintf(msg, sizeof msg, "{\"type\":\"%s\",\"x\":1}", proto_out_name(t));
        ASSERT_EQ(proto_out_type((const unsigned char *)msg, strlen(msg)), t);
    }
    ASSERT_STR_EQ(proto_type_name(PT_COUNT - 1), "play_again");
}

/* A pack of n questions with prompts and options of typical length. */
static struct qz_pack *pack_n(int n)
{
    struct qz_pack *p = qz_pack_create("t", "T", "unit");
    for (int i = 0; i < n; i++) {
        struct qz_question *q = qz_pack_add(p);
        q->id = xasprintf("q%d", i);
        q->kind = xstrdup("define");
        q->category = xstrdup("Core Python");
        q->prompt = xasprintf("Question %d: which of these statements about generators, iterators "
                              "and the iteration protocol is true?", i);
        q->n_options = 4;
        for (int k = 0; k < 4; k++)
            q->options[k] = xasprintf("Option %d of question %d, a typical length", k, i);
        q->correct = 0;
        q->explanation = xstrdup("Because.");
        q->difficulty = 1;
        q->time_s = 20;
    }
    qz_pack_index(p);
    return p;
}

/* The host's report: questions hardest first, every option counted, at
 * most PROTO_REPORT_PLAYERS rows with the total in count. Prints the frame
 * size at 30, 500 and 1,200 players (10 questions, 24-character names). */
static void test_report_order_and_cap(void)
{
    static const unsigned sizes[] = {30, 500, 1200};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        unsigned n = sizes[k];
        struct qz_pack *p = pack_n(10);
        struct game_settings s;
        game_settings_default(&s);
        s.max_players = 5000;
        int err;
        struct game *g = game_create(p, &s, 1, &err);
        ASSERT(g);
        for (unsigned i = 0; i < n; i++) {
            char name[32], tok[GAME_TOKEN_LEN + 1];
            uint32_t id;
            snprintf(name, sizeof name, "Player number %010u", i);
            snprintf(tok, sizeof tok, "%032x", i + 1);
            ASSERT_OK(game_join(g, name, tok, 0, &id));
        }
        qz_ms now = 1000;
        for (int q = 0; q < 10; q++) {
            ASSERT_OK(q ? game_next(g, now) : game_start(g, now));
            int right = game_correct_display(g, q);
            /* Question q: players i < q * n / 10 answer right, the others
             * the option after it; so question 0 is the hardest. */
            for (unsigned i = 0; i < n; i++)
                ASSERT_OK(game_answer(g, i + 1, q, i < q * n / 10 ? right : (right + 1) % 4,
                                      now + i % 1000));
            ASSERT_EQ(game_phase(g), GAME_REVEAL);
            ASSERT_OK(game_next(g, now += 2000));
            now += 2000;
        }
        ASSERT_OK(game_next(g, now));
        ASSERT_EQ(game_phase(g), GAME_FINISHED);
        size_t len;
        char *raw = proto_enc_report(g, &len);
        printf("report players=%u questions=10 bytes=%zu\n", n, len);
        json_t *o = parse(raw);
        json_t *qs = json_object_get(o, "questions");
        ASSERT_EQ(json_array_size(qs), 10);
        for (size_t i = 0; i < 10; i++) {
            json_t *r = json_array_get(qs, i);
            ASSERT_EQ(json_integer_value(json_object_get(r, "index")), (json_int_t)i);
            ASSERT_EQ(json_integer_value(json_object_get(r, "answerable")), n);
            ASSERT_EQ(json_integer_value(json_object_get(r, "correct_count")), i * n / 10);
            json_t *w = json_object_get(r, "wrong");
            int right = game_correct_display(g, (int)i);
            ASSERT_EQ(json_integer_value(w), (right + 1) % 4);
        }
        json_t *players = json_object_get(o, "players");
        ASSERT_EQ(json_array_size(players), n < PROTO_REPORT_PLAYERS ? n : PROTO_REPORT_PLAYERS);
        ASSERT_EQ(json_integer_value(json_object_get(o, "count")), n);
        ASSERT_EQ(json_is_true(json_object_get(o, "truncated")), n > PROTO_REPORT_PLAYERS);
        ASSERT_EQ(json_integer_value(json_object_get(json_array_get(players, 0), "rank")), 1);
        json_decref(o);
        game_destroy(g);
        qz_pack_destroy(p);
    }
}

static struct test_case tests[] = {
    {"out_type_by_prefix", test_out_type_by_prefix},
    {"fixtures_valid", test_fixtures_valid},
    {"fixtures_invalid", test_fixtures_invalid},
    {"decoded_fields", test_decoded_fields},
    {"encoders", test_encoders},
    {"report_order_and_cap", test_report_order_and_cap},
};

TEST_MAIN(tests)
