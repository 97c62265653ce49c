/* The wire codec: JSON text frames <-> C structs. Every limit in PROTOCOL.md
 * is enforced by proto_decode; jansson never leaves this module.
 * Encoders return malloc'd bytes (caller frees) that are sent unchanged to
 * every recipient of a broadcast. */
#ifndef QZ_PROTO_H
#define QZ_PROTO_H
#include "core/game.h"
#include "qz/frame.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_MAX_FRAME 4096
#define PROTO_CODE_LEN 6
#define PROTO_ID_MAX 64
#define PROTO_MAX_PLAYERS 100000      /* largest max_players a request or --max-players may ask */
#define PROTO_TOP_N 10                /* players listed on the leaderboard and the podium */
#define PROTO_LOBBY_LIST_PLAYERS 12   /* names a player's lobby lists (the host sees all) */
#define PROTO_REPORT_PLAYERS 1000     /* player rows in the host's end-of-game report */

enum proto_type {
    PT_CREATE_ROOM,
    PT_HOST_RESUME,
    PT_JOIN,
    PT_START,
    PT_ANSWER,
    PT_NEXT,
    PT_KICK,
    PT_LOCK,
    PT_END,
    PT_PING,
    PT_PLAY_AGAIN,   /* host only: a finished room back to its lobby; body as create_room */
};
#define PT_COUNT (PT_PLAY_AGAIN + 1)   /* keep with the last request type above */

/* What the server sends, by the "type" every encoder below writes first. */
enum proto_out {
    PO_ERROR, PO_ACK, PO_PONG, PO_ROOM_CREATED, PO_JOINED, PO_LOBBY, PO_QUESTION, PO_ANSWERS,
    PO_ANSWER_ACK, PO_REVEAL, PO_RESULT, PO_LEADERBOARD, PO_GAME_OVER, PO_REVIEW, PO_KICKED,
    PO_STATE, PO_NOTICE, PO_REPORT,
    PO_OTHER,        /* a payload that does not start {"type":"<one of the above>" */
};
#define PO_COUNT (PO_OTHER + 1)
const char *proto_out_name(enum proto_out t);
/* The type of an encoded message (a frame's payload), for counting what is
 * sent: a prefix compare, no parsing. */
enum proto_out proto_out_type(const unsigned char *payload, size_t len);
/* The same for a frame, classified once and cached in it (a broadcast's
 * frame is counted once per recipient). */
enum proto_out proto_frame_type(struct frame *f);

/* A decoded request. Owns nothing: every field is a fixed-size copy. */
struct proto_req {
    enum proto_type type;
    bool has_req;
    int64_t req;
    union {
        struct {                             /* create_room and play_again */
            char pack[PROTO_ID_MAX + 1];     /* "" = the server's default pack */
            char categories[GAME_MAX_CATEGORIES][PROTO_ID_MAX * 2 + 1];
            unsigned n_categories;
            bool has_count, has_seconds, has_scoring, has_auto, has_max;
            unsigned count, seconds, max_players;
            enum game_scoring scoring;
            bool auto_advance;
        } create;
        struct {
            char code[PROTO_CODE_LEN + 1];
            char token[GAME_TOKEN_LEN + 1];
        } resume;                            /* host_resume */
        struct {
            char code[PROTO_CODE_LEN + 1];
            char name[97];                   /* trimmed, validated */
            char token[GAME_TOKEN_LEN + 1];  /* "" when absent */
        } join;
        struct {
            int index, choice;
        } answer;
        struct {
            uint32_t player_id;
        } kick;
        struct {
            bool locked;
        } lock;
        struct {
            bool has_t;
            double t;
        } ping;
    } u;
};

struct proto_error {
    int code;            /* QZ_E* */
    char message[160];   /* human-readable, names the field */
    bool has_req;
    int64_t req;         /* echoed when the frame carried a valid "req" */
};

/* Decodes one frame. Returns 0, or a QZ_E* with *err filled. */
int proto_decode(const char *buf, size_t len, struct proto_req *out, struct proto_error *err);
const char *proto_type_name(enum proto_type t);
/* True if c is in the room-code alphabet (no 0/O/1/I/L). */
bool proto_code_char(char c);
extern const char PROTO_CODE_ALPHABET[];

/* Conversion from the core's monotonic clock to epoch milliseconds. */
struct proto_clock {
    int64_t epoch_offset_ms;   /* epoch_ms = mono_ms + offset */
};

/* ---- encoders: each returns a malloc'd compact JSON string, length in *len ---- */
char *proto_enc_error(int code, const char *message, bool has_req, int64_t req, size_t *len);
char *proto_enc_ack(int64_t req, bool has_req, size_t *len);
char *proto_enc_pong(bool has_req, int64_t req, bool has_t, double t, int64_t now_epoch,
                     size_t *len);
char *proto_enc_room_created(const char *code, const char *host_token, const struct game *g,
                             const char *pack_id, bool has_req, int64_t req, size_t *len);
/* `token` is the player's token in clear (the game keeps only its hash). */
char *proto_enc_joined(const struct game_player *p, const char *token, const char *code,
                       bool has_req, int64_t req, size_t *len);
/* Lobby for the host (all players, max_list = SIZE_MAX) or players
 * (PROTO_LOBBY_LIST_PLAYERS, the latest joiners). */
char *proto_enc_lobby(const struct game *g, const char *code, size_t max_list, size_t *len);
char *proto_enc_question(const struct game *g, const struct proto_clock *c, qz_ms now,
                         size_t *len);
char *proto_enc_answers(const struct game *g, size_t *len);
char *proto_enc_answer_ack(int index, int choice, bool has_req, int64_t req, size_t *len);
char *proto_enc_reveal(const struct game *g, size_t *len);
char *proto_enc_result(const struct game *g, uint32_t player, size_t *len);
char *proto_enc_leaderboard(const struct game *g, size_t *len);
char *proto_enc_game_over(const struct game *g, size_t *len);
char *proto_enc_review(const struct game *g, uint32_t player, size_t *len);
/* The host's end-of-game report: every played question (hardest first) and
 * the first PROTO_REPORT_PLAYERS players in ranking order. */
char *proto_enc_report(const struct game *g, size_t *len);
char *proto_enc_kicked(size_t *len);
/* {"type":"notice","notice":NOTICE,"message":...}: something the host should know. */
char *proto_enc_notice(const char *notice, const char *message, size_t *len);
/* Full snapshot for a (re)joining player (player != 0) or the host (player == 0). */
char *proto_enc_state(const struct game *g, const char *code, uint32_t player,
                      const struct proto_clock *c, qz_ms now, bool has_req, int64_t req,
                      size_t *len);

#endif
