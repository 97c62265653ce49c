/* The game core with an injected clock: phases, scoring at exact times,
 * streaks, ranking ties, early close, late join, kick, resume, shuffling. */
#include "core/game.h"
#include "test.h"
#include "util/err.h"
#include "util/xmalloc.h"

static struct qz_pack *make_pack(int n)
{
    struct qz_pack *p = qz_pack_create("t", "Test", "unit");
    for (int i = 0; i < n; i++) {
        struct qz_question *q = qz_pack_add(p);
        q->id = xasprintf("q%d", i);
        q->kind = xstrdup("imported");
        q->category = xstrdup(i % 2 ? "Odd" : "Even");
        q->prompt = xasprintf("Question %d", i);
        q->n_options = 4;
        for (int k = 0; k < 4; k++)
            q->options[k] = xasprintf("%s %d", k == 0 ? "right" : "wrong", k);
        q->correct = 0;
        q->explanation = xstrdup("because");
        q->difficulty = 1;
        q->time_s = 30;
    }
    qz_pack_index(p);
    return p;
}

static int correct_choice(struct game *g)
{
    return game_correct_display(g, game_index(g));
}

static int wrong_choice(struct game *g)
{
    return (correct_choice(g) + 1) % 4;
}

static struct game *make_game(struct qz_pack *p, unsigned count, unsigned seconds,
                              enum game_scoring sc)
{
    struct game_settings s;
    game_settings_default(&s);
    s.count = count;
    s.seconds = seconds;
    s.scoring = sc;
    int err = 1;
    struct game *g = game_create(p, &s, 42, &err);
    ASSERT(g);
    ASSERT_OK(err);
    return g;
}

static uint32_t join(struct game *g, const char *name, qz_ms now)
{
    char tok[GAME_TOKEN_LEN + 1];
    static unsigned n;
    snprintf(tok, sizeof tok, "%032x", ++n);
    uint32_t id = 0;
    ASSERT_OK(game_join(g, name, tok, now, &id));
    return id;
}

static bool has_event(struct game *g, enum game_event_type t)
{
    const struct game_event *ev;
    size_t n = game_take_events(g, &ev);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        found |= ev[i].type == t;
    return found;
}

static void test_classic_points_at_exact_times(void)
{
    ASSERT_EQ(game_points_classic(0, 20000), 1000);
    ASSERT_EQ(game_points_classic(499, 20000), 1000);   /* full points under 0.5 s */
    ASSERT_EQ(game_points_classic(500, 20000), 988);    /* round(1000*(1-0.025/2)) = 987.5 -> 988 */
    ASSERT_EQ(game_points_classic(10000, 20000), 750);
    ASSERT_EQ(game_points_classic(20000, 20000), 500);  /* at the deadline: half */
    ASSERT_EQ(game_points_classic(2000, 30000), 967);   /* Kahoot's worked example */
    ASSERT_EQ(game_points_classic(15000, 30000), 750);
    ASSERT_EQ(game_points_classic(29000, 30000), 517);
    ASSERT_EQ(game_points_classic(99999, 30000), 500);  /* never below half, never negative */
}

static void test_streak_bonus(void)
{
    ASSERT_EQ(game_streak_bonus(0), 0);
    ASSERT_EQ(game_streak_bonus(1), 0);
    ASSERT_EQ(game_streak_bonus(2), 100);
    ASSERT_EQ(game_streak_bonus(5), 400);
    ASSERT_EQ(game_streak_bonus(6), 500);
    ASSERT_EQ(game_streak_bonus(40), 500);
}

static void test_full_game_phases_and_scores(void)
{
    struct qz_pack *p = make_pack(5);
    struct game *g = make_game(p, 3, 20, SCORING_CLASSIC);
    ASSERT_EQ(game_phase(g), GAME_LOBBY);
    ASSERT_EQ(game_start(g, 0), QZ_EPHASE);   /* nobody joined */
    uint32_t a = join(g, "Ada", 0), b = join(g, "Bob", 0);
    ASSERT(has_event(g, GEV_LOBBY));
    ASSERT_OK(game_start(g, 1000));
    ASSERT(has_event(g, GEV_QUESTION));
    ASSERT_EQ(game_phase(g), GAME_QUESTION);
    ASSERT_EQ(game_index(g), 0);
    ASSERT_EQ(game_question_deadline(g), 21000);
    ASSERT_EQ(game_next_deadline(g), 21001);

    /* Ada right at 0.4 s, Bob wrong. */
    ASSERT_OK(game_answer(g, a, 0, correct_choice(g), 1400));
    ASSERT_EQ(game_phase(g), GAME_QUESTION);
    ASSERT_OK(game_answer(g, b, 0, wrong_choice(g), 5000));
    ASSERT_EQ(game_phase(g), GAME_REVEAL);   /* all answered: early close */
    ASSERT(has_event(g, GEV_REVEAL));
    ASSERT_EQ(game_player(g, a)->score, 1000);
    ASSERT_EQ(game_player(g, b)->score, 0);
    ASSERT_EQ(game_player(g, a)->rank, 1);
    ASSERT_EQ(game_player(g, b)->rank, 2);
    ASSERT_EQ(game_player(g, b)->gap_to_next, 1000);
    ASSERT_EQ(game_player(g, b)->ahead, a);   /* "1,000 points behind Ada" */
    ASSERT_EQ(game_player(g, a)->ahead, 0);
    ASSERT_EQ(game_option_count(g, correct_choice(g)), 1);

    ASSERT_OK(game_next(g, 6000));
    ASSERT_EQ(game_phase(g), GAME_LEADERBOARD);
    ASSERT_OK(game_next(g, 7000));
    ASSERT_EQ(game_phase(g), GAME_QUESTION);
    ASSERT_EQ(game_index(g), 1);
    /* Ada right again at 10 s: 750 + streak 2 bonus 100. Bob times out. */
    ASSERT_OK(game_answer(g, a, 1, correct_choice(g), 17000));
    game_tick(g, 27000);            /* the deadline itself still accepts answers */
    ASSERT_EQ(game_phase(g), GAME_QUESTION);
    game_tick(g, 27001);
    ASSERT_EQ(game_phase(g), GAME_REVEAL);
    ASSERT_EQ(game_player(g, a)->score, 1000 + 850);
    ASSERT_EQ(game_player(g, a)->streak, 2);
    ASSERT_EQ(game_player(g, b)->streak, 0);
    ASSERT_OK(game_next(g, 28000));
    ASSERT_OK(game_next(g, 29000));
    ASSERT_OK(game_answer(g, b, 2, correct_choice(g), 29000 + 20000));   /* exactly at T */
    ASSERT_OK(game_answer(g, a, 2, wrong_choice(g), 29000 + 100));
    ASSERT_EQ(game_player(g, b)->score, 500);
    ASSERT_EQ(game_player(g, a)->streak, 0);
    ASSERT_OK(game_next(g, 50000));
    ASSERT_OK(game_next(g, 51000));   /* leaderboard after the last question ends the game */
    ASSERT_EQ(game_phase(g), GAME_FINISHED);
    ASSERT(has_event(g, GEV_GAME_OVER));
    ASSERT_EQ(game_next(g, 52000), QZ_EPHASE);
    game_destroy(g);
    qz_pack_destroy(p);
}

static void test_answer_errors(void)
{
    struct qz_pack *p = make_pack(3);
    struct game *g = make_game(p, 2, 10, SCORING_CLASSIC);
    uint32_t a = join(g, "Ada", 0);
    join(g, "Bob", 0);
    ASSERT_EQ(game_answer(g, a, 0, 0, 0), QZ_EPHASE);   /* lobby */
    ASSERT_OK(game_start(g, 0));
    ASSERT_EQ(game_answer(g, a, 1, 0, 10), QZ_EPHASE);  /* not the open question */
    ASSERT_EQ(game_answer(g, a, 0, 7, 10), QZ_EBADCHOICE);
    ASSERT_EQ(game_answer(g, a, 0, -1, 10), QZ_EBADCHOICE);
    ASSERT_EQ(game_answer(g, a, 0, 0, 10001), QZ_ETOOLATE);
    ASSERT_OK(game_answer(g, a, 0, 1, 100));
    ASSERT_EQ(game_answer(g, a, 0, 2, 200), QZ_EANSWERED);
    ASSERT_EQ(game_answer(g, 99, 0, 2, 200), QZ_EBADTOKEN);
    game_tick(g, 10001);
    ASSERT_EQ(game_phase(g), GAME_REVEAL);
    ASSERT_EQ(game_answer(g, a, 0, 0, 10002), QZ_EANSWERED);
    game_destroy(g);
    qz_pack_destroy(p);
}

static void test_late_answer_after_close_is_too_late(void)
{
    struct qz_pack *p = make_pack(3);
    struct game *g = make_game(p, 2, 10, SCORING_CLASSIC);
    uint32_t a = join(g, "Ada", 0), b = join(g, "Bob", 0);
    ASSERT_OK(game_start(g, 0));
    ASSERT_OK(game_answer(g, a, 0, 0, 100));
    game_tick(g, 10001);
    ASSERT_EQ(game_answer(g, b, 0, 0, 10002), QZ_ETOOLATE);
    ASSERT_EQ(game_player(g, b)->score, 0);
    game_destroy(g);
    qz_pack_destroy(p);
}

static void test_ties_share_rank_and_order_by_time_then_join(void)
{
    struct qz_pack *p = make_pack(3);
    struct game *g = make_game(p, 1, 20, SCORING_ACCURACY);
    uint32_t a = join(g, "A", 0), b = join(g, "B", 0), c = join(g, "C", 0), d = join(g, "D", 0);
    ASSERT_OK(game_start(g, 0));
    ASSERT_OK(game_answer(g, d, 0, correct_choice(g), 3000));
    ASSERT_OK(game_answer(g, b, 0, correct_choice(g), 1000));
    ASSERT_OK(game_answer(g, c, 0, correct_choice(g), 1000));
    ASSERT_OK(game_answer(g, a, 0, wrong_choice(g), 500));
    const uint32_t *ids;
    ASSERT_EQ(game_ranking(g, &ids), 4);
    /* accuracy: all 1000; B and C tie (same time) -> both rank 1, listed by join order. */
    ASSERT_EQ(ids[0], b);
    ASSERT_EQ(ids[1], c);
    ASSERT_EQ(ids[2], d);
    ASSERT_EQ(ids[3], a);
    ASSERT_EQ(game_player(g, b)->rank, 1);
    ASSERT_EQ(game_player(g, c)->rank, 1);
    ASSERT_EQ(game_player(g, d)->rank, 3);
    ASSERT_EQ(game_player(g, a)->rank, 4);
    ASSERT_EQ(game_player(g, d)->score, 1000);
    ASSERT_EQ(game_player(g, a)->gap_to_next, 1000);
    game_destroy(g);
    qz_pack_destroy(p);
}

static void test_early_close_ignores_later_joiners_and_offline(void)
{
    struct qz_pack *p = make_pack(3);
    struct game *g = make_game(p, 2, 20, SCORING_CLASSIC);
    uint32_t a = join(g, "A", 0), b = join(g, "B", 0);
    game_disconnect(g, b, 0);   /* offline at the open: does not hold it open */
    ASSERT_OK(game_start(g, 0));
    uint32_t late = join(g, "Late", 100);
    ASSERT_EQ(game_player(g, late)->first_q, 1);
    ASSERT_EQ(game_answer(g, late, 0, 0, 200), QZ_EPHASE);   /* joins at the next question */
    ASSERT_OK(game_answer(g, a, 0, 0, 300));
    ASSERT_EQ(game_phase(g), GAME_REVEAL);
    ASSERT_OK(game_next(g, 400));
    ASSERT_OK(game_next(g, 500));
    ASSERT_EQ(game_index(g), 1);
    ASSERT(game_player(g, late)->eligible);
    ASSERT_OK(game_answer(g, late, 1, correct_choice(g), 600));
    ASSERT_EQ(game_phase(g), GAME_QUESTION);   /* A has not answered yet */
    ASSERT_OK(game_answer(g, a, 1, correct_choice(g), 700));
    ASSERT_EQ(game_phase(g), GAME_REVEAL);
    game_destroy(g);
    qz_pack_destroy(p);
}

static void test_resume_mid_question_keeps_answer_and_score(void)
{
    struct qz_pack *p = make_pack(3);
    struct game *g = make_game(p, 2, 20, SCORING_CLASSIC);
    uint32_t a = join(g, "A", 0);
    join(g, "B", 0);
    ASSERT_OK(game_start(g, 0));
    ASSERT_OK(game_answer(g, a, 0, correct_choice(g), 100));
    char tok[GAME_TOKEN_LEN + 1];
    snprintf(tok, sizeof tok, "%s", game_player(g, a)->token);
    game_disconnect(g, a, 200);
    ASSERT(!game_player(g, a)->connected);
    uint32_t again = 0;
    ASSERT_OK(game_resume(g, tok, 300, &again));
    ASSERT_EQ(again, a);
    ASSERT(game_player(g, a)->connected);
    ASSERT_EQ(game_answer(g, a, 0, 1, 400), QZ_EANSWERED);   /* answer state survived */
    ASSERT_EQ(game_player(g, a)->score, 0);                   /* scored at the close */
    ASSERT_OK(game_next(g, 500));
    ASSERT_EQ(game_player(g, a)->score, 1000);
    ASSERT_EQ(game_resume(g, "00000000000000000000000000000000", 0, &again), QZ_EBADTOKEN);
    game_destroy(g);
    qz_pack_destroy(p);
}

/* Issue 11 item 2: seats answering every option must look the same as a
 * seat that did not answer until the question closes. */
static void test_scores_move_only_when_question_closes(void)
{
    struct qz_pack *p = make_pack(3);
    struct game *g = make_game(p, 2, 20, SCORING_CLASSIC);
    uint32_t seat[4];
    const char *names[] = {"S0", "S1", "S2", "S3"};
    for (int i = 0; i < 4; i++)
        seat[i] = join(g, names[i], 0);
    uint32_t idle = join(g, "Idle", 0);   /* holds the question open */
    ASSERT_OK(game_start(g, 0));
    /* Question 0 once closed, so streaks and ranks are non-trivial. */
    ASSERT_OK(game_answer(g, seat[0], 0, correct_choice(g), 100));
    ASSERT_OK(game_next(g, 1000));
    ASSERT_OK(game_next(g, 2000));
    ASSERT_OK(game_next(g, 3000));
    ASSERT_EQ(game_phase(g), GAME_QUESTION);
    struct game_player before[5];
    for (uint32_t id = 1; id <= 5; id++)
        before[id - 1] = *game_player(g, id);
    for (int i = 0; i < 4; i++)
        ASSERT_OK(game_answer(g, seat[i], 1, i, 3100 + (qz_ms)i));
    ASSERT_EQ(game_phase(g), GAME_QUESTION);
    for (uint32_t id = 1; id <= 5; id++) {
        const struct game_player *now = game_player(g, id);
        ASSERT_EQ(now->score, before[id - 1].score);
        ASSERT_EQ(now->streak, before[id - 1].streak);
        ASSERT_EQ(now->best_streak, before[id - 1].best_streak);
        ASSERT_EQ(now->correct, before[id - 1].correct);
        ASSERT_EQ(now->rank, before[id - 1].rank);
        ASSERT_EQ(now->gap_to_next, before[id - 1].gap_to_next);
        ASSERT_EQ(now->answers[1].points, 0);
        ASSERT_EQ(now->answers[1].correct, 0);
    }
    const uint32_t *ids;
    size_t n = game_ranking(g, &ids);
    uint32_t order[5];
    ASSERT_EQ(n, 5);
    memcpy(order, ids, sizeof order);
    /* A late joiner recomputes the ranking mid-question: still no change. */
    uint32_t late = join(g, "Late", 3200);
    for (uint32_t id = 1; id <= 5; id++)
        ASSERT_EQ(game_player(g, id)->rank, before[id - 1].rank);
    n = game_ranking(g, &ids);
    ASSERT_EQ(n, 6);
    ASSERT(!memcmp(order, ids, sizeof order));
    ASSERT_EQ(ids[5], late);

    ASSERT_OK(game_next(g, 4000));   /* close: now the right seat scores */
    int right = correct_choice(g);
    for (int i = 0; i < 4; i++) {
        const struct game_player *q = game_player(g, seat[i]);
        ASSERT_EQ(q->answers[1].correct, i == right);
        ASSERT_EQ(q->score > before[seat[i] - 1].score, i == right);
    }
    ASSERT_EQ(game_player(g, idle)->score, 0);
    game_destroy(g);
    qz_pack_destroy(p);
}

static void test_names_unique_case_insensitively_and_caps(void)
{
    struct qz_pack *p = make_pack(3);
    struct game_settings s;
    game_settings_default(&s);
    s.max_players = 2;
    int err;
    struct game *g = game_create(p, &s, 1, &err);
    uint32_t id;
    join(g, "Ada", 0);
    ASSERT_EQ(game_join(g, "ADA", "11111111111111111111111111111111", 0, &id), QZ_ENAMETAKEN);
    join(g, "Bob", 0);
    ASSERT_EQ(game_join(g, "Cy", "22222222222222222222222222222222", 0, &id), QZ_EROOMFULL);
    ASSERT_OK(game_lock(g, true));
    ASSERT(game_locked(g));
    ASSERT_EQ(game_join(g, "Di", "33333333333333333333333333333333", 0, &id), QZ_EROOMLOCKED);
    game_destroy(g);
    qz_pack_destroy(p);
}

/* Issue 11 item 7: uniqueness by look-alike key, not by ASCII case. */
static void test_lookalike_names_collide(void)
{
    struct qz_pack *p = make_pack(3);
    struct game *g = make_game(p, 2, 20, SCORING_CLASSIC);
    uint32_t id;
    const char *tok = "55555555555555555555555555555555";
    join(g, "Ada", 0);
    join(g, "pace", 0);
    ASSERT_EQ(game_join(g, "\uff21\uff44\uff41", tok, 0, &id), QZ_ENAMETAKEN);   /* fullwidth */
    ASSERT_EQ(game_join(g, "ada", tok, 0, &id), QZ_ENAMETAKEN);
    ASSERT_EQ(game_join(g, "\u0410da", tok, 0, &id), QZ_ENAMELOOKALIKE);           /* Cyrillic A */
    ASSERT_EQ(game_join(g, "\u0440\u0430\u0441\u0435", tok, 0, &id), QZ_ENAMELOOKALIKE);
    ASSERT_EQ(game_player_count(g), 2);
    uint32_t m = join(g, "Mallory", 0);
    ASSERT_OK(game_kick(g, m, 10));
    ASSERT_EQ(game_join(g, "Mallory", tok, 20, &id), QZ_ENAMEINVALID);
    ASSERT_EQ(game_join(g, "MaIlory", tok, 20, &id), QZ_ENAMEINVALID);             /* capital I */
    ASSERT_EQ(game_join(g, "\u041callory", tok, 20, &id), QZ_ENAMEINVALID);       /* Cyrillic Em */
    ASSERT_EQ(game_join(g, "MALLORY", tok, 20, &id), QZ_ENAMEINVALID);
    join(g, "Malloy", 30);   /* a different name still gets in */
    game_destroy(g);
    qz_pack_destroy(p);
}

static void test_kick_revokes_token_and_name(void)
{
    struct qz_pack *p = make_pack(3);
    struct game *g = make_game(p, 2, 20, SCORING_CLASSIC);
    uint32_t a = join(g, "Ada", 0), b = join(g, "Bob", 0);
    char tok[GAME_TOKEN_LEN + 1];
    snprintf(tok, sizeof tok, "%s", game_player(g, b)->token);
    ASSERT_OK(game_start(g, 0));
    ASSERT_OK(game_answer(g, a, 0, 0, 10));
    ASSERT_EQ(game_phase(g), GAME_QUESTION);
    ASSERT_OK(game_kick(g, b, 20));   /* the only player left to answer: closes */
    ASSERT(has_event(g, GEV_KICKED));
    ASSERT_EQ(game_phase(g), GAME_REVEAL);
    uint32_t id;
    ASSERT_EQ(game_resume(g, tok, 30, &id), QZ_EBADTOKEN);
    ASSERT_EQ(game_join(g, "bob", "44444444444444444444444444444444", 30, &id), QZ_ENAMEINVALID);
    ASSERT_EQ(game_player_count(g), 1);
    ASSERT_EQ(game_kick(g, b, 40), QZ_ENOTFOUND);
    ASSERT_EQ(game_kick(g, 999, 40), QZ_ENOTFOUND);
    game_destroy(g);
    qz_pack_destroy(p);
}

static void test_end_early_and_auto_advance(void)
{
    struct qz_pack *p = make_pack(4);
    struct game_settings s;
    game_settings_default(&s);
    s.count = 3;
    s.seconds = 5;
    s.auto_advance = true;
    s.reveal_ms = 1000;
    s.leaderboard_ms = 2000;
    int err;
    struct game *g = game_create(p, &s, 7, &err);
    uint32_t a = join(g, "A", 0);
    ASSERT_OK(game_start(g, 0));
    game_tick(g, 5001);
    ASSERT_EQ(game_phase(g), GAME_REVEAL);
    ASSERT_EQ(game_next_deadline(g), 6001);
    game_tick(g, 6001);
    ASSERT_EQ(game_phase(g), GAME_LEADERBOARD);
    game_tick(g, 8001);
    ASSERT_EQ(game_phase(g), GAME_QUESTION);
    ASSERT_EQ(game_index(g), 1);
    ASSERT_OK(game_answer(g, a, 1, correct_choice(g), 8100));
    ASSERT_EQ(game_phase(g), GAME_REVEAL);
    ASSERT_OK(game_end(g, 8200));
    ASSERT_EQ(game_phase(g), GAME_FINISHED);
    ASSERT_EQ(game_end(g, 8300), QZ_EPHASE);
    ASSERT_EQ(game_next_deadline(g), 0);
    game_destroy(g);
    qz_pack_destroy(p);
}

static void test_draw_without_repeats_categories_and_shuffle(void)
{
    struct qz_pack *p = make_pack(20);
    struct game_settings s;
    game_settings_default(&s);
    s.count = 50;
    s.categories[0] = "Odd";
    s.n_categories = 1;
    int err;
    struct game *g = game_create(p, &s, 99, &err);
    ASSERT_EQ(game_total(g), 10);   /* only the 10 "Odd" questions exist */
    bool seen[20] = {false};
    int moved = 0;
    for (int i = 0; i < 10; i++) {
        const struct qz_question *q = game_question(g, i);
        ASSERT_STR_EQ(q->category, "Odd");
        int k = atoi(q->id + 1);
        ASSERT(!seen[k]);
        seen[k] = true;
        /* the correct option follows the shuffle */
        ASSERT_STR_EQ(game_option(g, i, game_correct_display(g, i)), "right 0");
        moved += game_correct_display(g, i) != 0;
    }
    ASSERT(moved > 0);
    /* Same seed, same game. */
    struct game *g2 = game_create(p, &s, 99, &err);
    for (int i = 0; i < 10; i++)
        ASSERT_STR_EQ(game_question(g, i)->id, game_question(g2, i)->id);
    game_destroy(g2);
    s.categories[0] = "None";
    ASSERT(game_create(p, &s, 1, &err) == NULL);
    ASSERT_EQ(err, QZ_EBADMSG);
    game_destroy(g);
    qz_pack_destroy(p);
}

/* One question per source answer while the selection has enough answers:
 * 30 questions from 6 answers (5 each) give a 6-question game six answers,
 * a 12-question game each answer twice; unnumbered questions are their own
 * sources; over seeds every question still gets drawn. */
static void test_draw_spreads_over_source_answers(void)
{
    struct qz_pack *p = make_pack(30);
    for (int i = 0; i < 30; i++) {
        p->q[i].source.category = xstrdup("Core");
        p->q[i].source.number = 1 + i % 6;
    }
    for (uint64_t seed = 1; seed <= 20; seed++) {
        for (unsigned count = 6; count <= 12; count += 6) {
            struct game_settings s;
            game_settings_default(&s);
            s.count = count;
            int err;
            struct game *g = game_create(p, &s, seed, &err);
            ASSERT(g);
            int per[7] = {0};
            for (unsigned i = 0; i < count; i++)
                per[game_question(g, i)->source.number]++;
            for (int a = 1; a <= 6; a++)
                ASSERT_EQ(per[a], (int)count / 6);
            game_destroy(g);
        }
    }
    bool drawn[30] = {false};
    for (uint64_t seed = 1; seed <= 200; seed++) {
        struct game_settings s;
        game_settings_default(&s);
        s.count = 6;
        int err;
        struct game *g = game_create(p, &s, seed, &err);
        for (int i = 0; i < 6; i++)
            drawn[atoi(game_question(g, i)->id + 1)] = true;
        game_destroy(g);
    }
    for (int i = 0; i < 30; i++)
        ASSERT(drawn[i]);
    qz_pack_destroy(p);
    /* Without source numbers nothing is held back: all 20 can be drawn. */
    p = make_pack(20);
    struct game *g = make_game(p, 20, 20, SCORING_CLASSIC);
    ASSERT_EQ(game_total(g), 20);
    game_destroy(g);
    qz_pack_destroy(p);
}

static void test_large_room_ranking(void)
{
    struct qz_pack *p = make_pack(2);
    struct game_settings s;
    game_settings_default(&s);
    s.count = 1;
    s.max_players = 10000;
    int err;
    struct game *g = game_create(p, &s, 3, &err);
    char name[32], tok[GAME_TOKEN_LEN + 1];
    for (int i = 0; i < 10000; i++) {
        uint32_t id;
        snprintf(name, sizeof name, "player%d", i);
        snprintf(tok, sizeof tok, "%032d", i);
        ASSERT_OK(game_join(g, name, tok, 0, &id));
    }
    ASSERT_OK(game_start(g, 0));
    for (uint32_t id = 1; id <= 10000; id++)
        ASSERT_OK(game_answer(g, id, 0, id % 2 ? correct_choice(g) : wrong_choice(g), id));
    ASSERT_EQ(game_phase(g), GAME_REVEAL);
    const uint32_t *ids;
    ASSERT_EQ(game_ranking(g, &ids), 10000);
    ASSERT_EQ(ids[0], 1);
    ASSERT_EQ(game_player(g, 2)->rank, 5001);
    game_destroy(g);
    qz_pack_destroy(p);
}

/* Answerable counts those who joined before the question opened (offline
 * ones included: they may come back), not later joiners; a kick takes the
 * player out of both answerable and answered. Stats stay per question. */
static void test_answerable_excludes_late_joiners_and_kicked(void)
{
    struct qz_pack *p = make_pack(3);
    struct game *g = make_game(p, 2, 20, SCORING_CLASSIC);
    uint32_t a = join(g, "A", 0), b = join(g, "B", 0), c = join(g, "C", 0);
    game_disconnect(g, c, 0);
    ASSERT_OK(game_start(g, 0));
    ASSERT_EQ(game_answerable(g), 3);
    join(g, "Late", 10);
    ASSERT_EQ(game_answerable(g), 3);
    ASSERT_OK(game_answer(g, b, 0, wrong_choice(g), 20));
    ASSERT_EQ(game_answered(g), 1);
    ASSERT_OK(game_kick(g, b, 30));
    ASSERT_EQ(game_answerable(g), 2);
    ASSERT_EQ(game_answered(g), 0);
    ASSERT(!game_qstats(g, 0));   /* still open */
    ASSERT_OK(game_answer(g, a, 0, correct_choice(g), 40));
    ASSERT_EQ(game_phase(g), GAME_REVEAL);
    const struct game_qstats *st = game_qstats(g, 0);
    ASSERT(st);
    ASSERT_EQ(st->answered, 1);
    ASSERT_EQ(st->answerable, 2);
    ASSERT_EQ(st->counts[correct_choice(g)], 1);
    ASSERT(!game_qstats(g, 1));
    game_destroy(g);
    qz_pack_destroy(p);
}

/* prev_rank is the rank after the previous question (0 on the first). */
static void test_prev_rank_follows_the_previous_question(void)
{
    struct qz_pack *p = make_pack(3);
    struct game *g = make_game(p, 2, 20, SCORING_ACCURACY);
    uint32_t a = join(g, "A", 0), b = join(g, "B", 0);
    ASSERT_OK(game_start(g, 0));
    ASSERT_OK(game_answer(g, a, 0, correct_choice(g), 10));
    ASSERT_OK(game_answer(g, b, 0, wrong_choice(g), 20));
    ASSERT_EQ(game_player(g, a)->prev_rank, 0);
    ASSERT_EQ(game_player(g, a)->rank, 1);
    ASSERT_EQ(game_player(g, b)->rank, 2);
    ASSERT_OK(game_next(g, 30));
    ASSERT_OK(game_next(g, 40));
    ASSERT_OK(game_answer(g, b, 1, correct_choice(g), 50));
    ASSERT_OK(game_answer(g, a, 1, wrong_choice(g), 60));
    /* 1000 each; B's correct answers took less time in total. */
    ASSERT_EQ(game_player(g, b)->rank, 1);
    ASSERT_EQ(game_player(g, b)->prev_rank, 2);
    ASSERT_EQ(game_player(g, a)->prev_rank, 1);
    game_destroy(g);
    qz_pack_destroy(p);
}

/* Play again: only when finished; the same ids, names, tokens and removals;
 * everything about the last game reset; a selection with no question
 * leaves the finished game as it was. */
static void test_restart_keeps_players_and_resets_the_game(void)
{
    struct qz_pack *p = make_pack(6);
    struct game *g = make_game(p, 2, 20, SCORING_CLASSIC);
    uint32_t a = join(g, "A", 0), b = join(g, "B", 0), k = join(g, "K", 0);
    struct game_settings s;
    game_settings_default(&s);
    s.count = 5;
    ASSERT_EQ(game_restart(g, p, &s, 7), QZ_EPHASE);
    ASSERT_OK(game_kick(g, k, 0));
    ASSERT_OK(game_start(g, 0));
    ASSERT_OK(game_answer(g, a, 0, correct_choice(g), 100));
    ASSERT_OK(game_end(g, 200));
    ASSERT(game_player(g, a)->score > 0);
    char tok[GAME_TOKEN_LEN + 1];
    snprintf(tok, sizeof tok, "%s", game_player(g, a)->token);
    s.categories[0] = "Missing";
    s.n_categories = 1;
    ASSERT_EQ(game_restart(g, p, &s, 7), QZ_EBADMSG);
    ASSERT_EQ(game_phase(g), GAME_FINISHED);
    s.categories[0] = "Odd";
    (void)has_event(g, GEV_LOBBY);   /* drop the events so far */
    ASSERT_OK(game_restart(g, p, &s, 7));
    ASSERT(has_event(g, GEV_RESTART));
    ASSERT_EQ(game_phase(g), GAME_LOBBY);
    ASSERT_EQ(game_index(g), -1);
    ASSERT_EQ(game_total(g), 3);   /* the three Odd questions of six */
    for (int i = 0; i < 3; i++)
        ASSERT_STR_EQ(game_question(g, i)->category, "Odd");
    ASSERT_EQ(game_player(g, a)->score, 0);
    ASSERT_EQ(game_player(g, a)->best_streak, 0);
    ASSERT_EQ(game_player(g, a)->rank, 0);
    ASSERT_EQ(game_player_count(g), 2);
    uint32_t again = 0;
    ASSERT_OK(game_resume(g, tok, 300, &again));
    ASSERT_EQ(again, a);
    ASSERT_EQ(game_join(g, "K", "ffffffffffffffffffffffffffffffff", 300, &again), QZ_ENAMEINVALID);
    ASSERT_OK(game_start(g, 400));
    ASSERT_OK(game_answer(g, b, 0, correct_choice(g), 500));
    ASSERT_OK(game_answer(g, a, 0, wrong_choice(g), 600));
    ASSERT_EQ(game_phase(g), GAME_REVEAL);
    ASSERT_EQ(game_player(g, b)->rank, 1);
    ASSERT_EQ(game_player(g, a)->score, 0);
    game_destroy(g);
    qz_pack_destroy(p);
}

static struct test_case tests[] = {
    {"classic_points_at_exact_times", test_classic_points_at_exact_times},
    {"streak_bonus", test_streak_bonus},
    {"full_game_phases_and_scores", test_full_game_phases_and_scores},
    {"answer_errors", test_answer_errors},
    {"late_answer_after_close_is_too_late", test_late_answer_after_close_is_too_late},
    {"ties_share_rank_and_order_by_time_then_join", test_ties_share_rank_and_order_by_time_then_join},
    {"early_close_ignores_later_joiners_and_offline", test_early_close_ignores_later_joiners_and_offline},
    {"resume_mid_question_keeps_answer_and_score", test_resume_mid_question_keeps_answer_and_score},
    {"scores_move_only_when_question_closes", test_scores_move_only_when_question_closes},
    {"names_unique_case_insensitively_and_caps", test_names_unique_case_insensitively_and_caps},
    {"lookalike_names_collide", test_lookalike_names_collide},
    {"kick_revokes_token_and_name", test_kick_revokes_token_and_name},
    {"end_early_and_auto_advance", test_end_early_and_auto_advance},
    {"draw_without_repeats_categories_and_shuffle", test_draw_without_repeats_categories_and_shuffle},
    {"draw_spreads_over_source_answers", test_draw_spreads_over_source_answers},
    {"large_room_ranking", test_large_room_ranking},
    {"answerable_excludes_late_joiners_and_kicked", test_answerable_excludes_late_joiners_and_kicked},
    {"prev_rank_follows_the_previous_question", test_prev_rank_follows_the_previous_question},
    {"restart_keeps_players_and_resets_the_game", test_restart_keeps_players_and_resets_the_game},
};

TEST_MAIN(tests)
