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
