#include "err.h"

const char *qz_strerror(int err)
{
    switch (err) {
    case QZ_OK: return "ok";
    case QZ_EBADJSON: return "bad_json";
    case QZ_EBADMSG: return "bad_message";
    case QZ_EUNKNOWNTYPE: return "unknown_type";
    case QZ_ENOROOM: return "room_not_found";
    case QZ_ENAMETAKEN: return "name_taken";
    case QZ_ENAMEINVALID: return "name_invalid";
    case QZ_EROOMFULL: return "room_full";
    case QZ_EROOMLOCKED: return "room_locked";
    case QZ_ENOTHOST: return "not_host";
    case QZ_EPHASE: return "bad_phase";
    case QZ_ETOOLATE: return "too_late";
    case QZ_EANSWERED: return "already_answered";
    case QZ_EBADCHOICE: return "bad_choice";
    case QZ_EBADTOKEN: return "bad_token";
    case QZ_ERATELIMIT: return "rate_limited";
    case QZ_ENOTFOUND: return "not_found";
    case QZ_EIO: return "io_error";
    case QZ_EINVAL: return "invalid";
    case QZ_ENAMELOOKALIKE: return "name_lookalike";
    }
    return "unknown_error";
}

const char *qz_strdesc(int err)
{
    switch (err) {
    case QZ_EBADJSON: return "the message is not a JSON object";
    case QZ_EBADMSG: return "the message has a missing or invalid field";
    case QZ_EUNKNOWNTYPE: return "unknown request type";
    case QZ_ENOROOM: return "no room with that code";
    case QZ_ENAMETAKEN: return "that name is already taken in this room";
    case QZ_ENAMEINVALID: return "that name cannot be used";
    case QZ_ENAMELOOKALIKE: return "that name looks like one already in this room";
    case QZ_EROOMFULL: return "the room is full";
    case QZ_EROOMLOCKED: return "the host has locked this room";
    case QZ_ENOTHOST: return "only the room's host can do that";
    case QZ_EPHASE: return "not possible at this point of the game";
    case QZ_ETOOLATE: return "the question is closed";
    case QZ_EANSWERED: return "you already answered this question";
    case QZ_EBADCHOICE: return "that choice is not one of the options";
    case QZ_EBADTOKEN: return "that token is not valid";
    case QZ_ERATELIMIT: return "too many requests; slow down";
    }
    return qz_strerror(err);
}
