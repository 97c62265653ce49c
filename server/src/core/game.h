/* One room's game: players, timed rounds, scoring, ranking. Pure C: no I/O,
 * no clock (every call takes `now`), no global state. The network adapter
 * drains the events a call produced (game_take_events) and encodes them.
 *
 * Players are identified by a uint32_t id (1, 2, ...), never by connection.
 * Pointers returned by queries stay valid until the next mutating call. */
#ifndef QZ_GAME_H
#define QZ_GAME_H
#include "question.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t qz_ms;   /* monotonic milliseconds */

enum game_phase {
    GAME_LOBBY,       /* players join; host may start once one player is in */
    GAME_QUESTION,    /* one question open until its deadline or all answered */
    GAME_REVEAL,      /* correct option, counts, explanation; results sent */
    GAME_LEADERBOARD, /* top 10 shown; next opens the next question or ends */
    GAME_FINISHED,    /* podium and reviews sent; the room is read-only */
};
#define GAME_PHASE_COUNT (GAME_FINISHED + 1)

enum game_scoring {
    SCORING_CLASSIC,  /* 500..1000 by speed (full within 0.5 s) + streak bonus */
    SCORING_ACCURACY, /* 1000 per correct answer; speed only breaks ties */
};

#define GAME_MAX_QUESTIONS 50
#define GAME_MAX_CATEGORIES 32
#define GAME_TOKEN_LEN 32           /* hex characters */
#define GAME_FULL_POINTS_MS 500
#define GAME_REVEAL_MS 8000         /* default auto-advance pause on the reveal */
#define GAME_LEADERBOARD_MS 5000    /* default auto-advance pause on the leaderboard */

struct game_settings {
    unsigned count;          /* questions to play, 1..50 */
    unsigned seconds;        /* per question, 5..240; 0 = each question's time_s */
    enum game_scoring scoring;
    bool auto_advance;       /* reveal -> leaderboard -> next question on timers */
    unsigned max_players;
    unsigned reveal_ms;      /* auto-advance pause on the reveal */
    unsigned leaderboard_ms; /* auto-advance pause on the leaderboard */
    const char *categories[GAME_MAX_CATEGORIES]; /* borrowed; none = all */
    unsigned n_categories;
};

/* Fills the defaults documented in PROTOCOL.md (10 questions, 20 s, classic, ...). */
void game_settings_default(struct game_settings *s);

struct game_answer {
    int8_t choice;           /* display index, -1 = no answer */
    uint8_t correct;         /* set when the question closes, 0 until then */
    uint16_t points;         /* set when the question closes, 0 until then */
    uint32_t time_ms;        /* from question sent to answer received */
};

/* Read-only view of a player. Score, streaks, correct count and rank change
 * only when a question closes, never on an answer, so no query made while a
 * question is open reveals whether an answer was right. */
struct game_player {
    uint32_t id;
    char name[97];
    char token[GAME_TOKEN_LEN + 1];
    bool connected;
    bool kicked;
    bool eligible;           /* connected when the open question was sent */
    unsigned first_q;        /* first question index this player may answer */
    int64_t score;
    unsigned streak, best_streak, correct;
    uint64_t correct_time_ms;
    unsigned rank;           /* after the last reveal; 0 before any */
    unsigned prev_rank;      /* rank before the last question closed; 0 = none (first question) */
    int64_t gap_to_next;     /* points behind the player just ahead */
    uint32_t ahead;          /* id of the player just ahead; 0 for the leader or before any reveal */
    struct game_answer *answers; /* one per question in the game */
};

enum game_event_type {
    GEV_LOBBY,        /* player list or lock changed */
    GEV_QUESTION,     /* a question opened */
    GEV_ANSWERS,      /* answered count changed (host progress) */
    GEV_REVEAL,       /* question closed: reveal + per-player results */
    GEV_LEADERBOARD,  /* leaderboard shown */
    GEV_GAME_OVER,    /* podium + per-player reviews */
    GEV_KICKED,       /* `player` was removed */
    GEV_RESTART,      /* the host started a new game in the room: back to the lobby */
};

/* What happened to one played question, kept for the end-of-game report. */
struct game_qstats {
    unsigned counts[QZ_MAX_OPTIONS]; /* answers per display option */
    unsigned answered;               /* players who answered */
    unsigned answerable;             /* players who could answer (joined before it opened) */
};

struct game_event {
    enum game_event_type type;
    uint32_t player;
};

struct game;

/* Creates a room playing questions drawn from `pack`, which it borrows (the
 * pack must outlive the game). `seed` drives question choice and option
 * shuffling. Returns NULL and stores QZ_EBADMSG in *err when no question of
 * the chosen categories exists. Free with game_destroy. */
struct game *game_create(const struct qz_pack *pack, const struct game_settings *s, uint64_t seed,
                         int *err);
void game_destroy(struct game *g);   /* NULL-safe */

/* Queries. */
enum game_phase game_phase(const struct game *g);
const char *game_phase_name(enum game_phase p);
const struct game_settings *game_settings(const struct game *g);
const struct qz_pack *game_pack(const struct game *g);   /* the pack it draws from */
bool game_locked(const struct game *g);
size_t game_total(const struct game *g);          /* questions in this game */
int game_index(const struct game *g);             /* current question, -1 before the first */
const struct qz_question *game_question(const struct game *g, int index);
/* Option text in display order for question `index` (options are shuffled per room). */
const char *game_option(const struct game *g, int index, int display);
int game_correct_display(const struct game *g, int index);
qz_ms game_question_opened(const struct game *g);
qz_ms game_question_deadline(const struct game *g);
unsigned game_question_time_ms(const struct game *g, int index);
unsigned game_answered(const struct game *g);     /* answers to the open/last question */
/* Players who may answer the open/last question (game_may_answer at its
 * opening, less those kicked since): late joiners are not counted. */
unsigned game_answerable(const struct game *g);
/* Counts of played question `index` (closed ones only); NULL otherwise. */
const struct game_qstats *game_qstats(const struct game *g, int index);
unsigned game_option_count(const struct game *g, int display); /* after reveal */
size_t game_player_count(const struct game *g);   /* excluding kicked */
size_t game_player_slots(const struct game *g);   /* ids are 1..slots */
const struct game_player *game_player(const struct game *g, uint32_t id); /* NULL if unknown */
/* Players in ranking order (after the last reveal; join order before). */
size_t game_ranking(const struct game *g, const uint32_t **ids);
/* The one rule for who takes part in question `index`: a known, not kicked
 * player who joined before it opened. Only they may answer it, and only they
 * get a result for it (and see it in a state snapshot). */
bool game_may_answer(const struct game *g, uint32_t id, int index);
/* Whether player `id` gets a review when the game is over: known and not kicked. */
bool game_gets_review(const struct game *g, uint32_t id);
/* When the next timed transition is due, or 0 when none is pending. */
qz_ms game_next_deadline(const struct game *g);

/* Commands. Each returns 0 or a negative QZ_E* and appends events. */
/* Adds a player named `name` (already checked by nick_normalize). Names are
 * compared by nick_key: the same name up to case, width and white space is
 * QZ_ENAMETAKEN, a look-alike of a present one QZ_ENAMELOOKALIKE, the name
 * or a look-alike of a kicked player QZ_ENAMEINVALID. */
int game_join(struct game *g, const char *name, const char *token, qz_ms now, uint32_t *id);
int game_resume(struct game *g, const char *token, qz_ms now, uint32_t *id);
void game_disconnect(struct game *g, uint32_t id, qz_ms now);
int game_start(struct game *g, qz_ms now);
int game_answer(struct game *g, uint32_t id, int index, int choice, qz_ms now);
int game_next(struct game *g, qz_ms now);
int game_kick(struct game *g, uint32_t id, qz_ms now);
int game_lock(struct game *g, bool locked);
int game_end(struct game *g, qz_ms now);
/* Play again: a finished game goes back to the lobby with the same players
 * (ids, names, tokens, connections, removals) and everything else reset:
 * scores, streaks, answers, a new draw of questions from `pack` (borrowed,
 * like game_create's) under settings `s` (max_players is kept). Returns 0,
 * QZ_EPHASE unless finished, QZ_EBADMSG (game unchanged) when the
 * categories select no question. Emits GEV_RESTART. */
int game_restart(struct game *g, const struct qz_pack *pack, const struct game_settings *s,
                 uint64_t seed);
/* Runs due timed transitions (deadline, auto-advance). */
void game_tick(struct game *g, qz_ms now);

/* Scoring (exposed for tests and documentation). */
unsigned game_points_classic(uint64_t t_ms, uint64_t limit_ms);
unsigned game_streak_bonus(unsigned streak);

/* Moves the pending events out: returns how many and points *ev at them;
 * they stay valid until the next call into the game. */
size_t game_take_events(struct game *g, const struct game_event **ev);

#endif
