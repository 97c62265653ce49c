/* Every user-facing text the server sends: error messages in `error`
 * frames, close reasons and HTTP error pages. One place, so the wording is
 * reviewed (and one day translated) without reading the adapter. */
#ifndef QZ_TEXTS_H
#define QZ_TEXTS_H
#include <stddef.h>

enum proto_text {
    TEXT_ALREADY_IN_ROOM,          /* create/join/resume on a connection in a room */
    TEXT_NO_SUCH_PACK,
    TEXT_NO_QUESTION_IN_CATEGORIES,
    TEXT_NO_SUCH_ROOM,
    TEXT_ROOM_CLOSED,              /* the room went away under its members */
    TEXT_RESULTS_NOT_SAVED,        /* the store failed (disk full): notice to host and players */
    TEXT_NOT_HOST_TOKEN,
    TEXT_HOST_RESUMED_ELSEWHERE,   /* told to the host connection that was replaced */
    TEXT_PLAYER_JOINED_ELSEWHERE,  /* told to the player connection that was replaced */
    TEXT_NOT_HOST,
    TEXT_START_NEEDS_PLAYER,
    TEXT_ALREADY_STARTED,
    TEXT_NOTHING_TO_ADVANCE,
    TEXT_NO_SUCH_PLAYER,
    TEXT_ALREADY_FINISHED,
    TEXT_PLAY_AGAIN_NOT_FINISHED,  /* play_again before the game is over */
    TEXT_ANSWER_NEEDS_JOIN,
    TEXT_RATE_LIMITED,
    TEXT_TOO_MANY_GUESSES,         /* the address named too many rooms that do not exist */
    TEXT_TOO_MANY_ROOMS,           /* the server's room cap */
    TEXT_TOO_MANY_ROOMS_HERE,      /* the address's room cap */
    TEXT_BINARY_FRAME,
    TEXT_CLOSE_GOING_AWAY,         /* close reasons (short: they travel in a close frame) */
    TEXT_CLOSE_TOO_LARGE,
    TEXT_CLOSE_POLICY,
    TEXT_HTTP_ONLY_GET,            /* HTTP JSON errors */
    TEXT_HTTP_URI_TOO_LONG,
    TEXT_HTTP_QR_TEXT,
    TEXT_HTTP_QR_BUSY,             /* the address drew too many uncached QR codes */
    TEXT_HTTP_NO_BODY,             /* a request carried a body: nothing here takes one */
    TEXT_HTTP_BAD_HOST,            /* the API under a host name that is not ours */
    TEXT_HTTP_NOT_FOUND,
    TEXT_HTTP_METRICS_LOOPBACK,    /* /metrics from another host under --metrics loopback */
    TEXT_HTTP_NEED_TOKEN,          /* an export without Authorization: Bearer */
    TEXT_HTTP_NO_DATA,             /* an export from a server started with --no-data */
    TEXT_HTTP_NOT_FOUND_PAGE,      /* the HTML 404 page */
    TEXT_COUNT_
};

/* Returns the text; never NULL. */
const char *proto_text(enum proto_text t);
/* Why a join or resume was refused with `rc` (QZ_E*); NULL when the code has no text. */
const char *proto_text_join_refused(int rc);
/* Why an answer was refused with `rc` (QZ_E*); NULL when the code has no text. */
const char *proto_text_answer_refused(int rc);
/* "max_players: this server allows at most <cap>" into buf (NUL-terminated). */
void proto_text_max_players(char *buf, size_t size, unsigned cap);

#endif
