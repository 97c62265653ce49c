/* The user-facing texts. */
#include "qz/texts.h"
#include "util/err.h"
#include <stdio.h>

static const char *const texts[TEXT_COUNT_] = {
    [TEXT_ALREADY_IN_ROOM] = "this connection already belongs to a room",
    [TEXT_NO_SUCH_PACK] = "pack: no pack with that id",
    [TEXT_NO_QUESTION_IN_CATEGORIES] = "categories: no question in the chosen categories",
    [TEXT_NO_SUCH_ROOM] = "no room with that code",
    [TEXT_ROOM_CLOSED] = "the room was closed",
    [TEXT_RESULTS_NOT_SAVED] = "The server can no longer save this game (its disk is full or"
                               " failing): answers are still taken but not kept. The game goes"
                               " on; after a restart it will not resume, or resume from when"
                               " saving stopped.",
    [TEXT_NOT_HOST_TOKEN] = "host_token: not this room's host token",
    [TEXT_HOST_RESUMED_ELSEWHERE] = "the host resumed on another connection",
    [TEXT_PLAYER_JOINED_ELSEWHERE] = "you joined from another tab or device",
    [TEXT_NOT_HOST] = "only the room's host can do that",
    [TEXT_START_NEEDS_PLAYER] = "wait for at least one player to join",
    [TEXT_ALREADY_STARTED] = "the game has already started",
    [TEXT_NOTHING_TO_ADVANCE] = "nothing to advance: the game is not running",
    [TEXT_NO_SUCH_PLAYER] = "player_id: no such player in this room",
    [TEXT_ALREADY_FINISHED] = "the game has already finished",
    [TEXT_PLAY_AGAIN_NOT_FINISHED] = "a new game can start once this one has finished",
    [TEXT_ANSWER_NEEDS_JOIN] = "join a room as a player before answering",
    [TEXT_RATE_LIMITED] = "too many messages: slow down",
    [TEXT_TOO_MANY_GUESSES] = "too many unknown room codes from your network: wait a minute",
    [TEXT_TOO_MANY_ROOMS] = "the server has too many rooms open: try again later",
    [TEXT_TOO_MANY_ROOMS_HERE] = "too many rooms are open from your network: end one first",
    [TEXT_BINARY_FRAME] = "binary frames are not accepted; send JSON text",
    [TEXT_CLOSE_GOING_AWAY] = "server shutting down",
    [TEXT_CLOSE_TOO_LARGE] = "message too large",
    [TEXT_CLOSE_POLICY] = "policy violation",
    [TEXT_HTTP_ONLY_GET] = "only GET, HEAD and OPTIONS are supported",
    [TEXT_HTTP_URI_TOO_LONG] = "the request URI is too long",
    [TEXT_HTTP_QR_TEXT] = "text: 1 to 512 bytes required",
    [TEXT_HTTP_QR_BUSY] = "too many QR codes requested: retry in a second",
    [TEXT_HTTP_NO_BODY] = "request bodies are not accepted",
    [TEXT_HTTP_BAD_HOST] = "this server does not answer to that host name (see --allowed-origin)",
    [TEXT_HTTP_NOT_FOUND] = "not found",
    [TEXT_HTTP_METRICS_LOOPBACK] = "/metrics answers only on this machine (see --metrics)",
    [TEXT_HTTP_NEED_TOKEN] = "send the room's token as 'Authorization: Bearer TOKEN'",
    [TEXT_HTTP_NO_DATA] = "this server keeps no results (it was started with --no-data)",
    [TEXT_HTTP_NOT_FOUND_PAGE] =
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Not found - quizd</title>"
        "<link rel=\"stylesheet\" href=\"/style.css\"><main class=\"card\"><h1>Not found</h1>"
        "<p>There is nothing at this address. <a href=\"/\">Go to the start page</a>.</p></main></html>",
};

const char *proto_text(enum proto_text t)
{
    return (unsigned)t < TEXT_COUNT_ && texts[t] ? texts[t] : "";
}

const char *proto_text_join_refused(int rc)
{
    switch (rc) {
    case QZ_ENAMETAKEN: return "that name is already taken in this room";
    case QZ_ENAMELOOKALIKE: return "that name looks too much like one already in this room";
    case QZ_ENAMEINVALID: return "that name was removed from this room by the host";
    case QZ_EROOMFULL: return "the room is full";
    case QZ_EROOMLOCKED: return "the host has locked this room";
    case QZ_EBADTOKEN: return "token: not valid in this room (kicked or unknown)";
    case QZ_EPHASE: return "the game has finished";
    default: return NULL;
    }
}

const char *proto_text_answer_refused(int rc)
{
    switch (rc) {
    case QZ_ETOOLATE: return "the time for this question is up";
    case QZ_EANSWERED: return "you already answered this question";
    case QZ_EBADCHOICE: return "choice: not one of the options";
    case QZ_EPHASE: return "index: that question is not open";
    default: return NULL;
    }
}

void proto_text_max_players(char *buf, size_t size, unsigned cap)
{
    snprintf(buf, size, "max_players: this server allows at most %u", cap);
}
