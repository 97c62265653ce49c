/* Error codes shared by every module: 0 is success, negative values are QZ_E*.
 * The string form of each code is the wire name used in PROTOCOL.md. */
#ifndef QZ_ERR_H
#define QZ_ERR_H

enum qz_err {
    QZ_OK = 0,
    QZ_EBADJSON = -1,       /* frame is not a JSON object */
    QZ_EBADMSG = -2,        /* wrong type or missing/invalid field */
    QZ_EUNKNOWNTYPE = -3,   /* "type" names no request */
    QZ_ENOROOM = -4,        /* room code matches no live room */
    QZ_ENAMETAKEN = -5,     /* nickname already used in the room */
    QZ_ENAMEINVALID = -6,   /* nickname empty, too long, bad UTF-8, control chars, kicked */
    QZ_EROOMFULL = -7,      /* max_players reached */
    QZ_EROOMLOCKED = -8,    /* host locked joining */
    QZ_ENOTHOST = -9,       /* host-only request from a non-host connection */
    QZ_EPHASE = -10,        /* request not valid in the current phase */
    QZ_ETOOLATE = -11,      /* answer after the deadline */
    QZ_EANSWERED = -12,     /* second answer to the same question */
    QZ_EBADCHOICE = -13,    /* choice outside the options */
    QZ_EBADTOKEN = -14,     /* unknown or revoked token */
    QZ_ERATELIMIT = -15,    /* too many requests */
    QZ_ENOTFOUND = -16,     /* generic lookup failure (files, packs, players) */
    QZ_EIO = -17,           /* file or socket error */
    QZ_EINVAL = -18,        /* invalid argument (programmer or config) */
    QZ_ENAMELOOKALIKE = -19, /* nickname looks like (confusable with) one in the room */
};

/* Slots of a table indexed by -code, 0 (QZ_OK) to the last code above. */
#define QZ_ERR_SLOTS (1 - QZ_ENAMELOOKALIKE)

/* Returns the wire name of `err` ("bad_json", ...); never NULL. */
const char *qz_strerror(int err);

#endif
