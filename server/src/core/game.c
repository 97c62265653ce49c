/* Game state machine. See game.h for the contract and PROTOCOL.md for the
 * rules as players see them. */
#include "game.h"
#include "../util/err.h"
#include "../util/strmap.h"
#include "../util/nick.h"
#include "../util/xmalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct game {
    const struct qz_pack *pack;
    struct game_settings set;
    char *cat_store[GAME_MAX_CATEGORIES];  /* owned copies of set.categories */

    size_t n_q;
    const struct qz_question **qs;
    uint8_t (*perm)[QZ_MAX_OPTIONS];       /* perm[q][display] = original option index */

    enum game_phase phase;
    int qi;                                /* current question, -1 before the first */
    qz_ms q_open, q_deadline, phase_until;
    unsigned counts[QZ_MAX_OPTIONS];
    unsigned answered;
    unsigned answerable;                   /* players who may answer the open/last question */
    size_t waiting;                        /* eligible players yet to answer */
    struct game_qstats *qstats;            /* one per question, filled when it closes */
    bool locked;

    struct game_player *players;           /* index = id - 1 */
    size_t n_players, cap_players, n_kicked;
    struct strmap names;                   /* nick_key(name) -> id (kicked names stay) */
    struct strmap tokens;                  /* token -> id (revoked on kick) */

    uint32_t *order;                       /* ranking, non-kicked ids */
    size_t n_order;

    struct game_event *ev;
    size_t n_ev, cap_ev;
    bool ev_taken;
};

/* splitmix64: a small, well-mixed PRNG so tests are deterministic under a seed. */
static uint64_t rnd_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static size_t rnd_below(uint64_t *s, size_t n)
{
    return (size_t)(rnd_next(s) % n);
}

void game_settings_default(struct game_settings *s)
{
    memset(s, 0, sizeof *s);
    s->count = 10;
    s->seconds = 20;
    s->scoring = SCORING_CLASSIC;
    s->auto_advance = false;
    s->max_players = 500;
    s->reveal_ms = GAME_REVEAL_MS;
    s->leaderboard_ms = GAME_LEADERBOARD_MS;
}

static void ev_push(struct game *g, enum game_event_type t, uint32_t player)
{
    if (g->ev_taken) {
        g->n_ev = 0;
        g->ev_taken = false;
    }
    if (g->n_ev == g->cap_ev) {
        g->cap_ev = g->cap_ev ? g->cap_ev * 2 : 8;
        g->ev = xrealloc(g->ev, g->cap_ev * sizeof *g->ev);
    }
    g->ev[g->n_ev].type = t;
    g->ev[g->n_ev].player = player;
    g->n_ev++;
}

size_t game_take_events(struct game *g, const struct game_event **ev)
{
    if (g->ev_taken)
        g->n_ev = 0;
    *ev = g->ev;
    g->ev_taken = true;
    return g->n_ev;
}

static bool category_selected(const struct game_settings *s, const char *cat)
{
    if (!s->n_categories)
        return true;
    for (unsigned i = 0; i < s->n_categories; i++)
        if (cat && !strcmp(s->categories[i], cat))
            return true;
    return false;
}

/* The questions of one game, drawn from a pack. */
struct draw {
    size_t n;
    const struct qz_question **qs;
    uint8_t (*perm)[QZ_MAX_OPTIONS];
};

/* Reorders the shuffled idx[0..n) so that each source answer's first
 * question comes before any answer's second, and so on (stable within a
 * round): a game takes one question per source answer while the selection
 * has enough answers, so two questions on the same snippet or list (near
 * duplicates to a player) do not meet in one game. A question without a
 * source number (an imported pack) is a source of its own. */
static void spread_sources(const struct qz_pack *pack, size_t *idx, size_t n)
{
    struct strmap seen;
    strmap_init(&seen);
    uint32_t *round = xmalloc((n ? n : 1) * sizeof *round), max_round = 0;
    for (size_t i = 0; i < n; i++) {
        const struct qz_source *src = &pack->q[idx[i]].source;
        round[i] = 0;
        if (src->number <= 0 || !src->category)
            continue;
        char key[176];   /* a number, a separator and 150 bytes of category at most */
        snprintf(key, sizeof key, "%d\x1f%.150s", src->number, src->category);
        uint32_t r = 0;
        if (strmap_get(&seen, key, &r))
            r++;
        strmap_put(&seen, key, r);
        round[i] = r;
        if (r > max_round)
            max_round = r;
    }
    strmap_cleanup(&seen);
    if (max_round > 0) {   /* a stable counting sort by round */
        size_t *start = xcalloc((size_t)max_round + 2, sizeof *start);
        size_t *out = xmalloc(n * sizeof *out);
        for (size_t i = 0; i < n; i++)
            start[round[i] + 1]++;
        for (uint32_t r = 1; r <= max_round; r++)
            start[r] += start[r - 1];
        for (size_t i = 0; i < n; i++)
            out[start[round[i]]++] = idx[i];
        memcpy(idx, out, n * sizeof *idx);
        free(out);
        free(start);
    }
    free(round);
}

/* Draws without repeats (shuffle the eligible indices, spread them over
 * the source answers, take the first `count`) and shuffles each question's options. Returns QZ_EBADMSG, with
 * nothing allocated, when the categories select no question. */
static int draw_questions(const struct qz_pack *pack, const struct game_settings *s, uint64_t seed,
                          struct draw *d)
{
    size_t *idx = xmalloc((pack->n ? pack->n : 1) * sizeof *idx), n = 0;
    for (size_t i = 0; i < pack->n; i++)
        if (category_selected(s, pack->q[i].category))
            idx[n++] = i;
    if (n == 0) {
        free(idx);
        return QZ_EBADMSG;
    }
    uint64_t rs = seed;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rnd_below(&rs, i + 1);
        size_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    spread_sources(pack, idx, n);
    d->n = s->count < n ? s->count : n;
    d->qs = xmalloc(d->n * sizeof *d->qs);
    d->perm = xmalloc(d->n * sizeof *d->perm);
    for (size_t i = 0; i < d->n; i++) {
        const struct qz_question *q = &pack->q[idx[i]];
        d->qs[i] = q;
        for (int k = 0; k < QZ_MAX_OPTIONS; k++)
            d->perm[i][k] = (uint8_t)k;
        for (int k = q->n_options - 1; k > 0; k--) {
            int j = (int)rnd_below(&rs, (size_t)k + 1);
            uint8_t t = d->perm[i][k];
            d->perm[i][k] = d->perm[i][j];
            d->perm[i][j] = t;
        }
    }
    free(idx);
    return 0;
}

/* Installs settings and a draw; the categories are copied (the new ones
 * first: `s` may point into the game's own copies). */
static void install(struct game *g, const struct qz_pack *pack, const struct game_settings *s,
                    struct draw *d)
{
    char *old[GAME_MAX_CATEGORIES];
    memcpy(old, g->cat_store, sizeof old);
    memset(g->cat_store, 0, sizeof g->cat_store);
    g->set = *s;
    for (unsigned i = 0; i < s->n_categories && i < GAME_MAX_CATEGORIES; i++) {
        g->cat_store[i] = xstrdup(s->categories[i]);
        g->set.categories[i] = g->cat_store[i];
    }
    for (int i = 0; i < GAME_MAX_CATEGORIES; i++)
        free(old[i]);
    free(g->qs);
    free(g->perm);
    free(g->qstats);
    g->pack = pack;
    g->n_q = d->n;
    g->qs = d->qs;
    g->perm = d->perm;
    g->qstats = xcalloc(d->n ? d->n : 1, sizeof *g->qstats);
    g->qi = -1;
}

struct game *game_create(const struct qz_pack *pack, const struct game_settings *s, uint64_t seed,
                         int *err)
{
    struct draw d;
    int rc = draw_questions(pack, s, seed, &d);
    if (err)
        *err = rc;
    if (rc)
        return NULL;
    struct game *g = xcalloc(1, sizeof *g);
    install(g, pack, s, &d);
    g->phase = GAME_LOBBY;
    strmap_init(&g->names);
    strmap_init(&g->tokens);
    return g;
}

void game_destroy(struct game *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_players; i++)
        free(g->players[i].answers);
    free(g->players);
    for (int i = 0; i < GAME_MAX_CATEGORIES; i++)
        free(g->cat_store[i]);
    strmap_cleanup(&g->names);
    strmap_cleanup(&g->tokens);
    free(g->qs);
    free(g->perm);
    free(g->qstats);
    free(g->order);
    free(g->ev);
    free(g);
}

/* ---- queries ---- */

enum game_phase game_phase(const struct game *g) { return g->phase; }
const struct game_settings *game_settings(const struct game *g) { return &g->set; }
const struct qz_pack *game_pack(const struct game *g) { return g->pack; }
bool game_locked(const struct game *g) { return g->locked; }
size_t game_total(const struct game *g) { return g->n_q; }
int game_index(const struct game *g) { return g->qi; }
qz_ms game_question_opened(const struct game *g) { return g->q_open; }
qz_ms game_question_deadline(const struct game *g) { return g->q_deadline; }
unsigned game_answered(const struct game *g) { return g->answered; }
unsigned game_answerable(const struct game *g) { return g->answerable; }

const struct game_qstats *game_qstats(const struct game *g, int index)
{
    int closed = g->phase == GAME_QUESTION ? g->qi : g->qi + 1;
    return index >= 0 && index < closed ? &g->qstats[index] : NULL;
}
size_t game_player_count(const struct game *g) { return g->n_players - g->n_kicked; }
size_t game_player_slots(const struct game *g) { return g->n_players; }

const char *game_phase_name(enum game_phase p)
{
    static const char *n[] = {"lobby", "question", "reveal", "leaderboard", "finished"};
    return n[p];
}

const struct qz_question *game_question(const struct game *g, int index)
{
    if (index < 0 || (size_t)index >= g->n_q)
        return NULL;
    return g->qs[index];
}

const char *game_option(const struct game *g, int index, int display)
{
    const struct qz_question *q = game_question(g, index);
    if (!q || display < 0 || display >= q->n_options)
        return NULL;
    return q->options[g->perm[index][display]];
}

int game_correct_display(const struct game *g, int index)
{
    const struct qz_question *q = game_question(g, index);
    if (!q)
        return -1;
    for (int d = 0; d < q->n_options; d++)
        if (g->perm[index][d] == q->correct)
            return d;
    return -1;
}

unsigned game_question_time_ms(const struct game *g, int index)
{
    const struct qz_question *q = game_question(g, index);
    unsigned s = g->set.seconds;
    if (!s)
        s = (q && q->time_s > 0) ? (unsigned)q->time_s : 20;
    return s * 1000u;
}

unsigned game_option_count(const struct game *g, int display)
{
    return (display >= 0 && display < QZ_MAX_OPTIONS) ? g->counts[display] : 0;
}

const struct game_player *game_player(const struct game *g, uint32_t id)
{
    if (id == 0 || id > g->n_players)
        return NULL;
    return &g->players[id - 1];
}

size_t game_ranking(const struct game *g, const uint32_t **ids)
{
    *ids = g->order;
    return g->n_order;
}

qz_ms game_next_deadline(const struct game *g)
{
    if (g->phase == GAME_QUESTION)
        return g->q_deadline + 1;   /* answers at exactly the deadline still count */
    if (g->set.auto_advance && (g->phase == GAME_REVEAL || g->phase == GAME_LEADERBOARD))
        return g->phase_until;
    return 0;
}

/* ---- scoring and ranking ---- */

unsigned game_points_classic(uint64_t t, uint64_t limit)
{
    if (t < GAME_FULL_POINTS_MS || limit == 0)
        return 1000;
    if (t > limit)
        t = limit;
    /* round(1000 * (1 - (t/T)/2)) in integers: floor((2000T - 1000t + T) / 2T). */
    return (unsigned)((2000 * limit - 1000 * t + limit) / (2 * limit));
}

unsigned game_streak_bonus(unsigned streak)
{
    if (streak < 2)
        return 0;
    unsigned b = 100 * (streak - 1);
    return b > 500 ? 500 : b;
}

static const struct game *sort_game;   /* qsort has no context argument */

static int rank_cmp(const void *a, const void *b)
{
    const struct game_player *x = &sort_game->players[*(const uint32_t *)a - 1];
    const struct game_player *y = &sort_game->players[*(const uint32_t *)b - 1];
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    if (x->correct_time_ms != y->correct_time_ms)
        return x->correct_time_ms < y->correct_time_ms ? -1 : 1;
    return x->id < y->id ? -1 : 1;   /* ids are given in join order */
}

/* Competition ranking (1, 2, 2, 4): equal score and equal total time of
 * correct answers share a rank; join order only orders the list. */
static void compute_ranking(struct game *g)
{
    g->order = xrealloc(g->order, (g->n_players ? g->n_players : 1) * sizeof *g->order);
    g->n_order = 0;
    for (size_t i = 0; i < g->n_players; i++)
        if (!g->players[i].kicked)
            g->order[g->n_order++] = g->players[i].id;
    sort_game = g;
    qsort(g->order, g->n_order, sizeof *g->order, rank_cmp);
    sort_game = NULL;
    for (size_t i = 0; i < g->n_order; i++) {
        struct game_player *p = &g->players[g->order[i] - 1];
        if (i == 0) {
            p->rank = 1;
            p->gap_to_next = 0;
            p->ahead = 0;
            continue;
        }
        struct game_player *prev = &g->players[g->order[i - 1] - 1];
        bool tie = prev->score == p->score && prev->correct_time_ms == p->correct_time_ms;
        p->rank = tie ? prev->rank : (unsigned)i + 1;
        p->gap_to_next = prev->score - p->score;
        p->ahead = prev->id;
    }
}

/* ---- transitions: the only place `phase` changes ---- */

static void set_phase(struct game *g, enum game_phase to)
{
    static const unsigned legal[] = {
        [GAME_LOBBY] = 1u << GAME_QUESTION | 1u << GAME_FINISHED,
        [GAME_QUESTION] = 1u << GAME_REVEAL | 1u << GAME_FINISHED,
        [GAME_REVEAL] = 1u << GAME_LEADERBOARD | 1u << GAME_FINISHED,
        [GAME_LEADERBOARD] = 1u << GAME_QUESTION | 1u << GAME_FINISHED,
        [GAME_FINISHED] = 1u << GAME_LOBBY,   /* play again (game_restart) */
    };
    if (!(legal[g->phase] & (1u << to))) {
        /* A programmer error: never compiled out (unlike assert under NDEBUG). */
        fprintf(stderr, "quizd: illegal phase transition %d -> %d\n", g->phase, to);
        abort();
    }
    g->phase = to;
}

static void open_question(struct game *g, qz_ms now)
{
    set_phase(g, GAME_QUESTION);
    g->qi++;
    g->q_open = now;
    g->q_deadline = now + game_question_time_ms(g, g->qi);
    memset(g->counts, 0, sizeof g->counts);
    g->answered = 0;
    g->answerable = 0;
    g->waiting = 0;
    for (size_t i = 0; i < g->n_players; i++) {
        struct game_player *p = &g->players[i];
        p->eligible = p->connected && !p->kicked && p->first_q <= (unsigned)g->qi;
        if (p->eligible)
            g->waiting++;
        if (game_may_answer(g, p->id, g->qi))
            g->answerable++;
    }
    ev_push(g, GEV_QUESTION, 0);
}

/* Scores one recorded answer to the question being closed. Points, streak,
 * correct count and answer time move only here: while a question is open
 * nothing a client can see (lobby scores, state, ranks) may depend on which
 * option was chosen, or a player holding several seats could answer every
 * option and read which seat gained (issue 11, item 2). */
static void score_answer(struct game *g, struct game_player *p, struct game_answer *a)
{
    const struct qz_question *q = g->qs[g->qi];
    a->correct = a->choice >= 0 && g->perm[g->qi][a->choice] == q->correct;
    a->points = 0;
    if (!a->correct) {
        p->streak = 0;   /* wrong or no answer resets the streak */
        return;
    }
    p->streak++;
    if (p->streak > p->best_streak)
        p->best_streak = p->streak;
    unsigned pts = 1000;
    if (g->set.scoring == SCORING_CLASSIC)
        pts = game_points_classic(a->time_ms, g->q_deadline - g->q_open) +
              game_streak_bonus(p->streak);
    a->points = (uint16_t)pts;
    p->score += pts;
    p->correct++;
    p->correct_time_ms += a->time_ms;
}

static void close_question(struct game *g, qz_ms now)
{
    set_phase(g, GAME_REVEAL);
    int qi = g->qi;
    for (size_t i = 0; i < g->n_players; i++) {
        struct game_player *p = &g->players[i];
        if (p->kicked || p->first_q > (unsigned)qi)
            continue;
        struct game_answer *a = &p->answers[qi];
        if (a->choice >= 0)
            g->counts[a->choice]++;
        score_answer(g, p, a);
    }
    /* Movement on the leaderboard is against the ranking of the previous
     * question (none before the first). */
    for (size_t i = 0; i < g->n_players; i++)
        g->players[i].prev_rank = qi > 0 ? g->players[i].rank : 0;
    compute_ranking(g);
    struct game_qstats *st = &g->qstats[qi];
    memcpy(st->counts, g->counts, sizeof st->counts);
    st->answered = 0;
    for (int d = 0; d < QZ_MAX_OPTIONS; d++)
        st->answered += g->counts[d];
    st->answerable = g->answerable;
    g->phase_until = now + g->set.reveal_ms;
    ev_push(g, GEV_REVEAL, 0);
}

static void finish(struct game *g)
{
    if (g->phase != GAME_REVEAL && g->phase != GAME_LEADERBOARD)
        compute_ranking(g);   /* ended early from the lobby or mid-question */
    set_phase(g, GAME_FINISHED);
    ev_push(g, GEV_GAME_OVER, 0);
}

/* ---- commands ---- */

int game_join(struct game *g, const char *name, const char *token, qz_ms now, uint32_t *id)
{
    (void)now;
    uint32_t other;
    if (g->phase == GAME_FINISHED)
        return QZ_EPHASE;
    if (g->locked)
        return QZ_EROOMLOCKED;
    if (game_player_count(g) >= g->set.max_players)
        return QZ_EROOMFULL;
    char *key = nick_key(name);
    if (strmap_get(&g->names, key, &other)) {
        const struct game_player *o = &g->players[other - 1];
        free(key);
        if (o->kicked)
            return QZ_ENAMEINVALID;   /* the name, or a look-alike of it, was removed */
        return nick_same(name, o->name) ? QZ_ENAMETAKEN : QZ_ENAMELOOKALIKE;
    }
    if (g->n_players == g->cap_players) {
        g->cap_players = g->cap_players ? g->cap_players * 2 : 16;
        g->players = xrealloc(g->players, g->cap_players * sizeof *g->players);
    }
    struct game_player *p = &g->players[g->n_players++];
    memset(p, 0, sizeof *p);
    p->id = (uint32_t)g->n_players;
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->token, sizeof p->token, "%s", token);
    p->connected = true;
    p->first_q = g->phase == GAME_LOBBY ? 0 : (unsigned)(g->qi + 1);
    p->answers = xmalloc((g->n_q ? g->n_q : 1) * sizeof *p->answers);
    for (size_t i = 0; i < g->n_q; i++) {
        memset(&p->answers[i], 0, sizeof p->answers[i]);
        p->answers[i].choice = -1;
    }
    strmap_put(&g->names, key, p->id);
    free(key);
    strmap_put(&g->tokens, p->token, p->id);
    if (g->phase != GAME_LOBBY) {
        /* A late joiner starts with rank after everyone already ranked. */
        compute_ranking(g);
    }
    *id = p->id;
    ev_push(g, GEV_LOBBY, p->id);
    return 0;
}

int game_resume(struct game *g, const char *token, qz_ms now, uint32_t *id)
{
    (void)now;
    uint32_t pid;
    if (!strmap_get(&g->tokens, token, &pid) || g->players[pid - 1].kicked)
        return QZ_EBADTOKEN;
    struct game_player *p = &g->players[pid - 1];
    if (!p->connected) {
        p->connected = true;
        ev_push(g, GEV_LOBBY, pid);
    }
    *id = pid;
    return 0;
}

void game_disconnect(struct game *g, uint32_t id, qz_ms now)
{
    (void)now;
    if (id == 0 || id > g->n_players)
        return;
    struct game_player *p = &g->players[id - 1];
    if (!p->connected || p->kicked)
        return;
    p->connected = false;
    ev_push(g, GEV_LOBBY, id);
}

int game_start(struct game *g, qz_ms now)
{
    if (g->phase != GAME_LOBBY)
        return QZ_EPHASE;
    if (game_player_count(g) == 0)
        return QZ_EPHASE;
    open_question(g, now);
    return 0;
}

int game_answer(struct game *g, uint32_t id, int index, int choice, qz_ms now)
{
    struct game_player *p = id && id <= g->n_players ? &g->players[id - 1] : NULL;
    if (!p || p->kicked)
        return QZ_EBADTOKEN;
    if (g->qi < 0 || index != g->qi || g->phase == GAME_LOBBY || g->phase == GAME_FINISHED)
        return QZ_EPHASE;
    if (!game_may_answer(g, id, index))
        return QZ_EPHASE;    /* joined after this question opened */
    struct game_answer *a = &p->answers[index];
    if (a->choice >= 0)
        return QZ_EANSWERED;
    if (g->phase != GAME_QUESTION || now > g->q_deadline)
        return QZ_ETOOLATE;
    const struct qz_question *q = g->qs[index];
    if (choice < 0 || choice >= q->n_options)
        return QZ_EBADCHOICE;

    /* Only recorded here; close_question scores it (see score_answer). */
    a->choice = (int8_t)choice;
    a->time_ms = (uint32_t)(now - g->q_open);
    g->answered++;
    if (p->eligible && g->waiting > 0)
        g->waiting--;
    ev_push(g, GEV_ANSWERS, id);
    if (g->waiting == 0 && p->eligible)
        close_question(g, now);   /* everyone connected at the open has answered */
    return 0;
}

int game_next(struct game *g, qz_ms now)
{
    switch (g->phase) {
    case GAME_QUESTION:
        close_question(g, now);   /* the host may close a question early */
        return 0;
    case GAME_REVEAL:
        set_phase(g, GAME_LEADERBOARD);
        g->phase_until = now + g->set.leaderboard_ms;
        ev_push(g, GEV_LEADERBOARD, 0);
        return 0;
    case GAME_LEADERBOARD:
        if ((size_t)(g->qi + 1) >= g->n_q)
            finish(g);
        else
            open_question(g, now);
        return 0;
    default:
        return QZ_EPHASE;
    }
}

int game_kick(struct game *g, uint32_t id, qz_ms now)
{
    if (id == 0 || id > g->n_players || g->players[id - 1].kicked)
        return QZ_ENOTFOUND;
    struct game_player *p = &g->players[id - 1];
    if (g->phase == GAME_QUESTION && game_may_answer(g, id, g->qi)) {
        /* No longer one who may answer (nor, if done, one who answered). */
        if (g->answerable > 0)
            g->answerable--;
        if (p->answers[g->qi].choice >= 0 && g->answered > 0)
            g->answered--;
    }
    p->kicked = true;
    p->connected = false;
    g->n_kicked++;
    strmap_del(&g->tokens, p->token);
    ev_push(g, GEV_KICKED, id);
    ev_push(g, GEV_LOBBY, id);
    if (g->phase == GAME_QUESTION && p->eligible && p->answers[g->qi].choice < 0) {
        p->eligible = false;
        if (g->waiting > 0 && --g->waiting == 0)
            close_question(g, now);
    }
    if (g->phase != GAME_LOBBY)
        compute_ranking(g);
    return 0;
}

int game_lock(struct game *g, bool locked)
{
    if (g->phase == GAME_FINISHED)
        return QZ_EPHASE;
    if (g->locked != locked) {
        g->locked = locked;
        ev_push(g, GEV_LOBBY, 0);
    }
    return 0;
}

int game_end(struct game *g, qz_ms now)
{
    (void)now;
    if (g->phase == GAME_FINISHED)
        return QZ_EPHASE;
    if (g->phase == GAME_QUESTION)
        close_question(g, now);   /* score what was answered, then end */
    finish(g);
    return 0;
}

void game_tick(struct game *g, qz_ms now)
{
    qz_ms due = game_next_deadline(g);
    if (!due || now < due)
        return;
    if (g->phase == GAME_QUESTION)
        close_question(g, now);
    else
        game_next(g, now);
}

int game_restart(struct game *g, const struct qz_pack *pack, const struct game_settings *s,
                 uint64_t seed)
{
    if (g->phase != GAME_FINISHED)
        return QZ_EPHASE;
    struct game_settings set = *s;
    set.max_players = g->set.max_players;   /* the room's size does not change */
    struct draw d;
    int rc = draw_questions(pack, &set, seed, &d);
    if (rc)
        return rc;
    install(g, pack, &set, &d);
    for (size_t i = 0; i < g->n_players; i++) {
        struct game_player *p = &g->players[i];
        p->eligible = false;
        p->first_q = 0;
        p->score = 0;
        p->streak = p->best_streak = p->correct = 0;
        p->correct_time_ms = 0;
        p->rank = p->prev_rank = 0;
        p->gap_to_next = 0;
        p->ahead = 0;
        p->answers = xrealloc(p->answers, (g->n_q ? g->n_q : 1) * sizeof *p->answers);
        for (size_t k = 0; k < g->n_q; k++) {
            memset(&p->answers[k], 0, sizeof p->answers[k]);
            p->answers[k].choice = -1;
        }
    }
    g->n_order = 0;   /* join order again until the first reveal */
    memset(g->counts, 0, sizeof g->counts);
    g->answered = g->answerable = 0;
    g->waiting = 0;
    g->q_open = g->q_deadline = g->phase_until = 0;
    set_phase(g, GAME_LOBBY);
    ev_push(g, GEV_RESTART, 0);
    return 0;
}

bool game_may_answer(const struct game *g, uint32_t id, int index)
{
    const struct game_player *p = id && id <= g->n_players ? &g->players[id - 1] : NULL;
    return p && !p->kicked && index >= 0 && p->first_q <= (unsigned)index;
}

bool game_gets_review(const struct game *g, uint32_t id)
{
    const struct game_player *p = id && id <= g->n_players ? &g->players[id - 1] : NULL;
    return p && !p->kicked;
}
