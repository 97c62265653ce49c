/* An encoded server message shared by every recipient: encoded once,
 * reference-counted, with headroom in front of the payload for the
 * WebSocket header (libwebsockets' LWS_PRE; net/ asserts it fits). No JSON
 * and no socket code here: protocol/ produces frames, net/ queues them. */
#ifndef QZ_FRAME_H
#define QZ_FRAME_H
#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADROOM 16

struct frame {
    uint32_t refs;
    uint32_t len;                 /* payload bytes, after the headroom */
    uint8_t type_tag;             /* proto_frame_type's cache: its type + 1; 0 = not yet */
    unsigned char buf[];          /* FRAME_HEADROOM + len + 1 (a NUL, for logs and tests) */
};

/* Makes a frame of the `len` bytes at `s` and frees `s` (a malloc'd string
 * from a proto_enc_* encoder). The caller owns the one reference. */
struct frame *frame_take(char *s, size_t len);
/* Makes a frame holding a copy of `len` bytes at `s`. One reference. */
struct frame *frame_copy(const char *s, size_t len);
struct frame *frame_ref(struct frame *f);   /* returns f */
void frame_unref(struct frame *f);          /* NULL-safe; frees at zero */

static inline unsigned char *frame_payload(struct frame *f)
{
    return f->buf + FRAME_HEADROOM;
}

#endif
