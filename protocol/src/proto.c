/* Wire codec. Decoding validates every field against PROTOCOL.md and copies
 * it into fixed-size struct fields; encoders build JSON once per message. */
#include "qz/proto.h"
#include "util/err.h"
#include "util/nick.h"
#include "util/utf8.h"
#include "util/xmalloc.h"
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char PROTO_CODE_ALPHABET[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

bool proto_code_char(char c)
{
    return c && strchr(PROTO_CODE_ALPHABET, c) != NULL;
}

static const char *type_names[] = {
    [PT_CREATE_ROOM] = "create_room", [PT_HOST_RESUME] = "host_resume", [PT_JOIN] = "join",
    [PT_START] = "start",             [PT_ANSWER] = "answer",           [PT_NEXT] = "next",
    [PT_KICK] = "kick",               [PT_LOCK] = "lock",               [PT_END] = "end",
    [PT_PING] = "ping",               [PT_PLAY_AGAIN] = "play_again",
};
_Static_assert(sizeof type_names / sizeof type_names[0] == PT_COUNT,
               "PT_COUNT follows the last request type");

static const char *out_names[] = {
    [PO_ERROR] = "error",       [PO_ACK] = "ack",           [PO_PONG] = "pong",
    [PO_ROOM_CREATED] = "room_created", [PO_JOINED] = "joined", [PO_LOBBY] = "lobby",
    [PO_QUESTION] = "question", [PO_ANSWERS] = "answers",   [PO_ANSWER_ACK] = "answer_ack",
    [PO_REVEAL] = "reveal",     [PO_RESULT] = "result",     [PO_LEADERBOARD] = "leaderboard",
    [PO_GAME_OVER] = "game_over", [PO_REVIEW] = "review",   [PO_KICKED] = "kicked",
    [PO_STATE] = "state",       [PO_NOTICE] = "notice",     [PO_REPORT] = "report",
    [PO_OTHER] = "other",
};
_Static_assert(sizeof out_names / sizeof out_names[0] == PO_COUNT, "a name per message type");

const char *proto_out_name(enum proto_out t)
{
    return out_names[t];
}

enum proto_out proto_out_type(const unsigned char *payload, size_t len)
{
    static const char pre[] = "{\"type\":\"";
    const size_t np = sizeof pre - 1;
    if (len <= np || memcmp(payload, pre, np))
        return PO_OTHER;
    for (int t = 0; t < PO_OTHER; t++) {
        size_t n = strlen(out_names[t]);
        if (len > np + n && !memcmp(payload + np, out_names[t], n) && payload[np + n] == '"')
            return (enum proto_out)t;
    }
    return PO_OTHER;
}

enum proto_out proto_frame_type(struct frame *f)
{
    if (!f->type_tag)
        f->type_tag = (uint8_t)(proto_out_type(frame_payload(f), f->len) + 1);
    return (enum proto_out)(f->type_tag - 1);
}

const char *proto_type_name(enum proto_type t)
{
    return type_names[t];
}

static int fail(struct proto_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct proto_error *e, int code, const char *fmt, ...)
{
    va_list ap;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return code;
}

/* Optional integer field within [lo, hi]. Returns 1 if present, 0 if absent, <0 on error. */
static int get_int(json_t *o, const char *k, long long lo, long long hi, long long *out,
                   struct proto_error *e)
{
    json_t *v = json_object_get(o, k);
    *out = 0;   /* defined on every path (GCC's Release build could not prove it) */
    if (!v)
        return 0;
    if (!json_is_integer(v))
        return fail(e, QZ_EBADMSG, "%s: must be an integer", k);
    long long x = json_integer_value(v);
    if (x < lo || x > hi)
        return fail(e, QZ_EBADMSG, "%s: must be between %lld and %lld", k, lo, hi);
    *out = x;
    return 1;
}

static int need_int(json_t *o, const char *k, long long lo, long long hi, long long *out,
                    struct proto_error *e)
{
    int r = get_int(o, k, lo, hi, out, e);
    if (r == 0)
        return fail(e, QZ_EBADMSG, "%s: required integer is missing", k);
    return r;
}

/* Optional string field copied into out[cap]; max bytes = cap - 1. */
static int get_str(json_t *o, const char *k, char *out, size_t cap, struct proto_error *e)
{
    json_t *v = json_object_get(o, k);
    if (!v)
        return 0;
    if (!json_is_string(v))
        return fail(e, QZ_EBADMSG, "%s: must be a string", k);
    size_t n = json_string_length(v);
    if (n >= cap)
        return fail(e, QZ_EBADMSG, "%s: longer than %zu bytes", k, cap - 1);
    if (!utf8_valid(json_string_value(v), n))
        return fail(e, QZ_EBADMSG, "%s: contains a NUL character", k);
    memcpy(out, json_string_value(v), n);
    out[n] = '\0';
    return 1;
}

/* Room codes are case-insensitive on input; malformed ones match no room. */
static int get_code(json_t *o, char out[PROTO_CODE_LEN + 1], struct proto_error *e)
{
    json_t *v = json_object_get(o, "code");
    if (!v || !json_is_string(v))
        return fail(e, QZ_EBADMSG, "code: required string is missing");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n != PROTO_CODE_LEN)
        return fail(e, QZ_ENOROOM, "no room with that code (codes have 6 characters)");
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        if (!proto_code_char(c))
            return fail(e, QZ_ENOROOM, "no room with that code");
        out[i] = c;
    }
    out[n] = '\0';
    return 1;
}

static int get_token(json_t *o, const char *k, bool required, char out[GAME_TOKEN_LEN + 1],
                     struct proto_error *e)
{
    json_t *v = json_object_get(o, k);
    out[0] = '\0';
    if (!v || json_is_null(v)) {
        if (required)
            return fail(e, QZ_EBADMSG, "%s: required string is missing", k);
        return 0;
    }
    if (!json_is_string(v))
        return fail(e, QZ_EBADMSG, "%s: must be a string", k);
    const char *s = json_string_value(v);
    if (json_string_length(v) != GAME_TOKEN_LEN)
        return fail(e, QZ_EBADTOKEN, "%s: unknown token", k);
    for (int i = 0; i < GAME_TOKEN_LEN; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return fail(e, QZ_EBADTOKEN, "%s: unknown token", k);
    memcpy(out, s, GAME_TOKEN_LEN + 1);
    return 1;
}

static int decode_create(json_t *o, struct proto_req *r, struct proto_error *e)
{
    long long x;
    int rc;
    if ((rc = get_str(o, "pack", r->u.create.pack, sizeof r->u.create.pack, e)) < 0)
        return rc;
    json_t *cats = json_object_get(o, "categories");
    if (cats && !json_is_null(cats)) {
        if (!json_is_array(cats))
            return fail(e, QZ_EBADMSG, "categories: must be an array of strings");
        if (json_array_size(cats) > GAME_MAX_CATEGORIES)
            return fail(e, QZ_EBADMSG, "categories: at most %d", GAME_MAX_CATEGORIES);
        for (size_t i = 0; i < json_array_size(cats); i++) {
            json_t *c = json_array_get(cats, i);
            size_t cap = sizeof r->u.create.categories[0];
            if (!json_is_string(c) || json_string_length(c) == 0 || json_string_length(c) >= cap)
                return fail(e, QZ_EBADMSG, "categories[%zu]: must be a non-empty string", i);
            memcpy(r->u.create.categories[i], json_string_value(c), json_string_length(c) + 1);
            r->u.create.n_categories++;
        }
    }
    if ((rc = get_int(o, "count", 1, GAME_MAX_QUESTIONS, &x, e)) < 0)
        return rc;
    if ((r->u.create.has_count = rc))
        r->u.create.count = (unsigned)x;
    if ((rc = get_int(o, "seconds", 0, 240, &x, e)) < 0)
        return rc;
    if (rc && x != 0 && x < 5)
        return fail(e, QZ_EBADMSG, "seconds: must be 0 (each question's own) or 5 to 240");
    if ((r->u.create.has_seconds = rc))
        r->u.create.seconds = (unsigned)x;
    if ((rc = get_int(o, "max_players", 1, PROTO_MAX_PLAYERS, &x, e)) < 0)
        return rc;
    if ((r->u.create.has_max = rc))
        r->u.create.max_players = (unsigned)x;
    json_t *s = json_object_get(o, "scoring");
    if (s) {
        if (json_is_string(s) && !strcmp(json_string_value(s), "classic"))
            r->u.create.scoring = SCORING_CLASSIC;
        else if (json_is_string(s) && !strcmp(json_string_value(s), "accuracy"))
            r->u.create.scoring = SCORING_ACCURACY;
        else
            return fail(e, QZ_EBADMSG, "scoring: must be \"classic\" or \"accuracy\"");
        r->u.create.has_scoring = true;
    }
    json_t *a = json_object_get(o, "auto_advance");
    if (a) {
        if (!json_is_boolean(a))
            return fail(e, QZ_EBADMSG, "auto_advance: must be a boolean");
        r->u.create.has_auto = true;
        r->u.create.auto_advance = json_is_true(a);
    }
    return 0;
}

static int decode_body(json_t *o, const char *type, struct proto_req *r, struct proto_error *e)
{
    long long x;
    int rc;
    size_t nt = sizeof type_names / sizeof type_names[0];
    size_t t = 0;
    while (t < nt && strcmp(type_names[t], type))
        t++;
    if (t == nt)
        return fail(e, QZ_EUNKNOWNTYPE, "type: unknown message type");
    r->type = (enum proto_type)t;
    switch (r->type) {
    case PT_CREATE_ROOM:
    case PT_PLAY_AGAIN:
        return decode_create(o, r, e);
    case PT_HOST_RESUME:
        if ((rc = get_code(o, r->u.resume.code, e)) < 0)
            return rc;
        return get_token(o, "host_token", true, r->u.resume.token, e) < 0 ? e->code : 0;
    case PT_JOIN: {
        if ((rc = get_code(o, r->u.join.code, e)) < 0)
            return rc;
        if (get_token(o, "token", false, r->u.join.token, e) < 0)
            return e->code;
        json_t *n = json_object_get(o, "name");
        if (r->u.join.token[0] && (!n || json_is_null(n))) {
            r->u.join.name[0] = '\0';   /* resuming: the name is already known */
            return 0;
        }
        if (!n || !json_is_string(n))
            return fail(e, QZ_EBADMSG, "name: required string is missing");
        if (json_string_length(n) > 512)
            return fail(e, QZ_ENAMEINVALID, "%s", nick_strerror(NICK_TOO_LONG));
        enum nick_err ne = nick_normalize(json_string_value(n), json_string_length(n), r->u.join.name);
        if (ne != NICK_OK)
            return fail(e, QZ_ENAMEINVALID, "%s", nick_strerror(ne));
        return 0;
    }
    case PT_ANSWER:
        if ((rc = need_int(o, "index", 0, GAME_MAX_QUESTIONS, &x, e)) < 0)
            return rc;
        r->u.answer.index = (int)x;
        json_t *c = json_object_get(o, "choice");
        if (!c || !json_is_integer(c))
            return fail(e, QZ_EBADMSG, "choice: required integer is missing");
        x = json_integer_value(c);
        r->u.answer.choice = (x < 0 || x > 255) ? -1 : (int)x;
        return 0;
    case PT_KICK:
        if ((rc = need_int(o, "player_id", 1, UINT32_MAX, &x, e)) < 0)
            return rc;
        r->u.kick.player_id = (uint32_t)x;
        return 0;
    case PT_LOCK: {
        json_t *l = json_object_get(o, "locked");
        if (!l || !json_is_boolean(l))
            return fail(e, QZ_EBADMSG, "locked: required boolean is missing");
        r->u.lock.locked = json_is_true(l);
        return 0;
    }
    case PT_PING: {
        json_t *tv = json_object_get(o, "t");
        if (tv && !json_is_null(tv)) {
            if (!json_is_number(tv) || !isfinite(json_number_value(tv)))
                return fail(e, QZ_EBADMSG, "t: must be a number");
            r->u.ping.has_t = true;
            r->u.ping.t = json_number_value(tv);
        }
        return 0;
    }
    case PT_START:
    case PT_NEXT:
    case PT_END:
        return 0;
    }
    return fail(e, QZ_EUNKNOWNTYPE, "type: unknown message type");
}

int proto_decode(const char *buf, size_t len, struct proto_req *out, struct proto_error *e)
{
    json_error_t jerr;
    memset(out, 0, sizeof *out);
    memset(e, 0, sizeof *e);
    if (len > PROTO_MAX_FRAME)
        return fail(e, QZ_EBADMSG, "frame longer than %d bytes", PROTO_MAX_FRAME);
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return fail(e, QZ_EBADJSON, "not valid JSON: %s", jerr.text);
    int rc;
    if (!json_is_object(root)) {
        rc = fail(e, QZ_EBADJSON, "frame must be a JSON object");
        goto out;
    }
    json_t *req = json_object_get(root, "req");
    if (req) {
        if (!json_is_integer(req)) {
            rc = fail(e, QZ_EBADMSG, "req: must be an integer");
            goto out;
        }
        out->has_req = e->has_req = true;
        out->req = e->req = json_integer_value(req);
    }
    json_t *type = json_object_get(root, "type");
    if (!type || !json_is_string(type)) {
        rc = fail(e, QZ_EBADMSG, "type: required string is missing");
        goto out;
    }
    rc = decode_body(root, json_string_value(type), out, e);
out:
    json_decref(root);
    return rc;
}

/* ---------------- encoders ---------------- */

static char *dump(json_t *o, size_t *len)
{
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s) {
        fprintf(stderr, "quizd: json_dumps failed\n");
        abort();
    }
    *len = strlen(s);
    return s;
}

static void set_req(json_t *o, bool has_req, int64_t req)
{
    if (has_req)
        json_object_set_new(o, "req", json_integer(req));
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

char *proto_enc_error(int code, const char *message, bool has_req, int64_t req, size_t *len)
{
    json_t *o = json_pack("{s:s,s:s,s:s}", "type", "error", "code", qz_strerror(code),
                          "message", message ? message : qz_strerror(code));
    set_req(o, has_req, req);
    return dump(o, len);
}

char *proto_enc_ack(int64_t req, bool has_req, size_t *len)
{
    json_t *o = json_pack("{s:s}", "type", "ack");
    set_req(o, has_req, req);
    return dump(o, len);
}

char *proto_enc_pong(bool has_req, int64_t req, bool has_t, double t, int64_t now_epoch, size_t *len)
{
    json_t *o = json_pack("{s:s,s:I}", "type", "pong", "now_ms", (json_int_t)now_epoch);
    json_object_set_new(o, "t", has_t ? json_real(t) : json_null());
    set_req(o, has_req, req);
    return dump(o, len);
}

static json_t *settings_json(const struct game *g, const char *pack_id)
{
    const struct game_settings *s = game_settings(g);
    json_t *cats = json_array();
    for (unsigned i = 0; i < s->n_categories; i++)
        json_array_append_new(cats, json_string(s->categories[i]));
    json_t *o = json_pack("{s:I,s:I,s:s,s:b,s:I,s:o}", "count", (json_int_t)game_total(g),
                          "seconds", (json_int_t)s->seconds, "scoring",
                          s->scoring == SCORING_CLASSIC ? "classic" : "accuracy", "auto_advance",
                          s->auto_advance, "max_players", (json_int_t)s->max_players,
                          "categories", cats);
    json_object_set_new(o, "pack", json_string(pack_id ? pack_id : game_pack(g)->id));
    return o;
}

char *proto_enc_room_created(const char *code, const char *host_token, const struct game *g,
                             const char *pack_id, bool has_req, int64_t req, size_t *len)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:o}", "type", "room_created", "code", code, "host_token",
                          host_token, "settings", settings_json(g, pack_id));
    set_req(o, has_req, req);
    return dump(o, len);
}

char *proto_enc_joined(const struct game_player *p, const char *token, const char *code,
                       bool has_req, int64_t req, size_t *len)
{
    json_t *o = json_pack("{s:s,s:I,s:s,s:s,s:s,s:I}", "type", "joined", "player_id",
                          (json_int_t)p->id, "token", token, "name", p->name, "code", code,
                          "first_index", (json_int_t)p->first_q);
    set_req(o, has_req, req);
    return dump(o, len);
}

static json_t *lobby_json(const struct game *g, const char *code, size_t max_list)
{
    json_t *players = json_array();
    size_t slots = game_player_slots(g), listed = 0, count = game_player_count(g);
    /* List the most recent joiners first when truncating for phones. */
    size_t start = 0;
    if (count > max_list) {
        size_t seen = 0;
        for (size_t i = slots; i-- > 0;) {
            if (game_player(g, (uint32_t)i + 1)->kicked)
                continue;
            if (++seen == max_list) {
                start = i;
                break;
            }
        }
    }
    for (size_t i = start; i < slots && listed < max_list; i++) {
        const struct game_player *p = game_player(g, (uint32_t)i + 1);
        if (p->kicked)
            continue;
        json_array_append_new(players, json_pack("{s:I,s:s,s:b,s:I}", "id", (json_int_t)p->id,
                                                 "name", p->name, "connected", p->connected,
                                                 "score", (json_int_t)p->score));
        listed++;
    }
    return json_pack("{s:s,s:s,s:o,s:b,s:I,s:b,s:s}", "type", "lobby", "code", code, "players",
                     players, "locked", game_locked(g), "count", (json_int_t)count, "truncated",
                     listed < count, "phase", game_phase_name(game_phase(g)));
}

char *proto_enc_lobby(const struct game *g, const char *code, size_t max_list, size_t *len)
{
    return dump(lobby_json(g, code, max_list), len);
}

static json_t *options_json(const struct game *g, int qi)
{
    json_t *a = json_array();
    const struct qz_question *q = game_question(g, qi);
    for (int d = 0; d < q->n_options; d++)
        json_array_append_new(a, json_string(game_option(g, qi, d)));
    return a;
}

/* Never contains the correct option: this is what players see while answering. */
static json_t *question_json(const struct game *g, const struct proto_clock *c, qz_ms now)
{
    int qi = game_index(g);
    const struct qz_question *q = game_question(g, qi);
    json_t *o = json_pack("{s:s,s:i,s:I,s:s,s:s,s:o,s:I,s:I,s:I,s:i,s:s}", "type", "question",
                          "index", qi, "total", (json_int_t)game_total(g), "category",
                          q->category ? q->category : "", "prompt", q->prompt, "options",
                          options_json(g, qi), "time_ms",
                          (json_int_t)game_question_time_ms(g, qi), "deadline_ms",
                          (json_int_t)((int64_t)game_question_deadline(g) + c->epoch_offset_ms),
                          "now_ms", (json_int_t)((int64_t)now + c->epoch_offset_ms), "difficulty",
                          q->difficulty, "kind", q->kind ? q->kind : "");
    json_object_set_new(o, "code", str_or_null(q->code));
    return o;
}

char *proto_enc_question(const struct game *g, const struct proto_clock *c, qz_ms now, size_t *len)
{
    return dump(question_json(g, c, now), len);
}

char *proto_enc_answers(const struct game *g, size_t *len)
{
    return dump(json_pack("{s:s,s:i,s:I,s:I,s:I}", "type", "answers", "index", game_index(g),
                          "answered", (json_int_t)game_answered(g), "answerable",
                          (json_int_t)game_answerable(g), "players",
                          (json_int_t)game_player_count(g)),
                len);
}

char *proto_enc_answer_ack(int index, int choice, bool has_req, int64_t req, size_t *len)
{
    json_t *o = json_pack("{s:s,s:i,s:i}", "type", "answer_ack", "index", index, "choice", choice);
    set_req(o, has_req, req);
    return dump(o, len);
}

static json_t *source_json(const struct qz_question *q)
{
    return json_pack("{s:s,s:i,s:o}", "category", q->source.category ? q->source.category : "",
                     "number", q->source.number, "title", str_or_null(q->source.title));
}

static json_t *reveal_json(const struct game *g)
{
    int qi = game_index(g);
    const struct qz_question *q = game_question(g, qi);
    json_t *counts = json_array();
    for (int d = 0; d < q->n_options; d++)
        json_array_append_new(counts, json_integer(game_option_count(g, d)));
    return json_pack("{s:s,s:i,s:i,s:o,s:s,s:o,s:I,s:I,s:I}", "type", "reveal", "index", qi,
                     "correct", game_correct_display(g, qi), "counts", counts, "explanation",
                     q->explanation ? q->explanation : "", "source", source_json(q), "answered",
                     (json_int_t)game_answered(g), "answerable", (json_int_t)game_answerable(g),
                     "players", (json_int_t)game_player_count(g));
}

char *proto_enc_reveal(const struct game *g, size_t *len)
{
    return dump(reveal_json(g), len);
}

/* The name of the player just ahead in the ranking, null for the leader. */
static json_t *ahead_json(const struct game *g, const struct game_player *p)
{
    const struct game_player *a = p->ahead ? game_player(g, p->ahead) : NULL;
    return a ? json_string(a->name) : json_null();
}

static json_t *result_json(const struct game *g, uint32_t player)
{
    const struct game_player *p = game_player(g, player);
    int qi = game_index(g);
    const struct game_answer *a = &p->answers[qi];
    json_t *o = json_pack("{s:s,s:i,s:b,s:I,s:I,s:I,s:I,s:I,s:I}", "type", "result", "index", qi,
                          "correct", a->correct, "points", (json_int_t)a->points, "streak",
                          (json_int_t)p->streak, "score", (json_int_t)p->score, "rank",
                          (json_int_t)p->rank, "gap_to_next", (json_int_t)p->gap_to_next,
                          "players", (json_int_t)game_player_count(g));
    json_object_set_new(o, "chosen", a->choice >= 0 ? json_integer(a->choice) : json_null());
    json_object_set_new(o, "ahead", ahead_json(g, p));
    return o;
}

char *proto_enc_result(const struct game *g, uint32_t player, size_t *len)
{
    return dump(result_json(g, player), len);
}

/* Points player `p` gained on the last closed question (0 if it could not
 * answer it). */
static json_int_t gained(const struct game *g, const struct game_player *p)
{
    int qi = game_index(g);
    if (!game_qstats(g, qi) || !game_may_answer(g, p->id, qi))
        return 0;
    return p->answers[qi].points;
}

/* One ranked player: what the leaderboard shows, with the movement since
 * the previous question (prev_rank null on the first or for a player
 * ranked for the first time) and the points this round. */
static json_t *ranked_json(const struct game *g, const struct game_player *p)
{
    json_t *o = json_pack("{s:I,s:I,s:s,s:I,s:I,s:b,s:I,s:I,s:I}", "rank", (json_int_t)p->rank,
                          "player_id", (json_int_t)p->id, "name", p->name, "score",
                          (json_int_t)p->score, "correct", (json_int_t)p->correct, "connected",
                          p->connected, "gained", gained(g, p), "streak", (json_int_t)p->streak,
                          "best_streak", (json_int_t)p->best_streak);
    json_object_set_new(o, "prev_rank",
                        p->prev_rank ? json_integer(p->prev_rank) : json_null());
    return o;
}

static json_t *top_json(const struct game *g, size_t n)
{
    const uint32_t *ids;
    size_t total = game_ranking(g, &ids);
    json_t *a = json_array();
    for (size_t i = 0; i < total && i < n; i++)
        json_array_append_new(a, ranked_json(g, game_player(g, ids[i])));
    return a;
}

static json_t *leaderboard_json(const struct game *g)
{
    return json_pack("{s:s,s:i,s:I,s:o,s:I}", "type", "leaderboard", "index", game_index(g),
                     "total", (json_int_t)game_total(g), "top", top_json(g, PROTO_TOP_N), "players",
                     (json_int_t)game_player_count(g));
}

char *proto_enc_leaderboard(const struct game *g, size_t *len)
{
    return dump(leaderboard_json(g), len);
}

static json_t *game_over_json(const struct game *g)
{
    return json_pack("{s:s,s:o,s:I,s:I}", "type", "game_over", "top", top_json(g, PROTO_TOP_N),
                     "questions", (json_int_t)(game_index(g) + 1), "players",
                     (json_int_t)game_player_count(g));
}

char *proto_enc_game_over(const struct game *g, size_t *len)
{
    return dump(game_over_json(g), len);
}

char *proto_enc_review(const struct game *g, uint32_t player, size_t *len)
{
    const struct game_player *p = game_player(g, player);
    json_t *missed = json_array();
    int played = game_index(g) + 1;
    json_int_t took_part = 0;
    for (int qi = 0; qi < played; qi++) {
        if (!game_may_answer(g, player, qi))
            continue;   /* joined later: not part of this player's game */
        took_part++;
        const struct game_answer *a = &p->answers[qi];
        if (a->correct)
            continue;
        const struct qz_question *q = game_question(g, qi);
        json_t *m = json_pack("{s:i,s:s,s:o,s:i,s:s,s:o,s:s}", "index", qi, "prompt", q->prompt,
                              "options", options_json(g, qi), "correct",
                              game_correct_display(g, qi), "explanation",
                              q->explanation ? q->explanation : "", "source", source_json(q),
                              "category", q->category ? q->category : "");
        json_object_set_new(m, "chosen", a->choice >= 0 ? json_integer(a->choice) : json_null());
        json_object_set_new(m, "code", str_or_null(q->code));
        json_array_append_new(missed, m);
    }
    json_t *o = json_pack("{s:s,s:o,s:I,s:I,s:I,s:I,s:I}", "type", "review", "missed", missed,
                          "correct", (json_int_t)p->correct, "questions",
                          took_part,
                          "score", (json_int_t)p->score, "rank", (json_int_t)p->rank,
                          "best_streak", (json_int_t)p->best_streak);
    return dump(o, len);
}

/* Share correct of a report row as a fraction of those who could answer. */
static double share_correct(const struct game *g, int qi)
{
    const struct game_qstats *st = game_qstats(g, qi);
    int c = game_correct_display(g, qi);
    return st->answerable ? (double)st->counts[c] / st->answerable : 0.0;
}

static const struct game *report_game;   /* qsort has no context argument */

static int hardest_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    double sx = share_correct(report_game, x), sy = share_correct(report_game, y);
    if (sx != sy)
        return sx < sy ? -1 : 1;
    return x < y ? -1 : 1;
}

char *proto_enc_report(const struct game *g, size_t *len)
{
    int played = 0;
    while (game_qstats(g, played))
        played++;
    int order[GAME_MAX_QUESTIONS];
    for (int i = 0; i < played; i++)
        order[i] = i;
    report_game = g;
    qsort(order, (size_t)played, sizeof order[0], hardest_cmp);
    report_game = NULL;
    json_t *qs = json_array();
    for (int k = 0; k < played; k++) {
        int qi = order[k];
        const struct qz_question *q = game_question(g, qi);
        const struct game_qstats *st = game_qstats(g, qi);
        int c = game_correct_display(g, qi), wrong = -1;
        json_t *counts = json_array();
        for (int d = 0; d < q->n_options; d++) {
            json_array_append_new(counts, json_integer(st->counts[d]));
            if (d != c && st->counts[d] > 0 && (wrong < 0 || st->counts[d] > st->counts[wrong]))
                wrong = d;
        }
        json_t *o = json_pack("{s:i,s:s,s:s,s:o,s:i,s:o,s:I,s:I,s:I,s:f}", "index", qi, "prompt",
                              q->prompt, "category", q->category ? q->category : "", "options",
                              options_json(g, qi), "correct", c, "counts", counts, "answered",
                              (json_int_t)st->answered, "answerable", (json_int_t)st->answerable,
                              "correct_count", (json_int_t)st->counts[c], "share_correct",
                              share_correct(g, qi));
        json_object_set_new(o, "wrong", wrong >= 0 ? json_integer(wrong) : json_null());
        json_array_append_new(qs, o);
    }
    const uint32_t *ids;
    size_t total = game_ranking(g, &ids);
    json_t *players = json_array();
    for (size_t i = 0; i < total && i < PROTO_REPORT_PLAYERS; i++)
        json_array_append_new(players, ranked_json(g, game_player(g, ids[i])));
    return dump(json_pack("{s:s,s:o,s:o,s:I,s:b}", "type", "report", "questions", qs, "players",
                          players, "count", (json_int_t)game_player_count(g), "truncated",
                          total > PROTO_REPORT_PLAYERS),
                len);
}

char *proto_enc_notice(const char *notice, const char *message, size_t *len)
{
    return dump(json_pack("{s:s,s:s,s:s}", "type", "notice", "notice", notice, "message", message),
                len);
}

char *proto_enc_kicked(size_t *len)
{
    return dump(json_pack("{s:s,s:s}", "type", "kicked", "message",
                          "The host removed you from this room."),
                len);
}

char *proto_enc_state(const struct game *g, const char *code, uint32_t player,
                      const struct proto_clock *c, qz_ms now, bool has_req, int64_t req, size_t *len)
{
    enum game_phase ph = game_phase(g);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:i,s:o,s:o}", "type", "state", "phase",
                          game_phase_name(ph), "code", code, "role", player ? "player" : "host",
                          "total", (json_int_t)game_total(g), "index", game_index(g), "settings",
                          settings_json(g, NULL), "lobby",
                          lobby_json(g, code, player ? PROTO_LOBBY_LIST_PLAYERS : (size_t)-1));
    set_req(o, has_req, req);
    if (player) {
        const struct game_player *p = game_player(g, player);
        json_object_set_new(o, "player", json_pack("{s:I,s:s,s:I,s:I,s:I,s:I,s:I}", "id",
                                                   (json_int_t)p->id, "name", p->name, "score",
                                                   (json_int_t)p->score, "streak",
                                                   (json_int_t)p->streak, "rank",
                                                   (json_int_t)p->rank, "gap_to_next",
                                                   (json_int_t)p->gap_to_next, "first_index",
                                                   (json_int_t)p->first_q));
        json_object_set_new(json_object_get(o, "player"), "ahead", ahead_json(g, p));
    }
    int qi = game_index(g);
    if (ph == GAME_QUESTION) {
        json_object_set_new(o, "question", question_json(g, c, now));
        json_object_set_new(o, "answered_count", json_integer(game_answered(g)));
        json_object_set_new(o, "answerable", json_integer(game_answerable(g)));
        if (player) {
            const struct game_player *p = game_player(g, player);
            bool may = game_may_answer(g, player, qi);
            int ch = may ? p->answers[qi].choice : -1;
            json_object_set_new(o, "answered", ch >= 0 ? json_integer(ch) : json_null());
            json_object_set_new(o, "can_answer", json_boolean(may));
        }
    }
    if (ph == GAME_REVEAL || ph == GAME_LEADERBOARD) {
        json_t *qj = question_json(g, c, now);
        json_object_set_new(o, "question", qj);
        json_object_set_new(o, "reveal", reveal_json(g));
        if (player && game_may_answer(g, player, qi))
            json_object_set_new(o, "result", result_json(g, player));
    }
    if (ph == GAME_LEADERBOARD)
        json_object_set_new(o, "leaderboard", leaderboard_json(g));
    if (ph == GAME_FINISHED)
        json_object_set_new(o, "game_over", game_over_json(g));
    return dump(o, len);
}
