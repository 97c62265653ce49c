/* Encode-once frames. */
#include "qz/frame.h"
#include "util/xmalloc.h"
#include <stdlib.h>
#include <string.h>

struct frame *frame_copy(const char *s, size_t len)
{
    struct frame *f = xmalloc(sizeof *f + FRAME_HEADROOM + len + 1);
    f->refs = 1;
    f->len = (uint32_t)len;
    f->type_tag = 0;
    memcpy(f->buf + FRAME_HEADROOM, s, len);
    f->buf[FRAME_HEADROOM + len] = '\0';
    return f;
}

struct frame *frame_take(char *s, size_t len)
{
    struct frame *f = frame_copy(s, len);
    free(s);
    return f;
}

struct frame *frame_ref(struct frame *f)
{
    f->refs++;
    return f;
}

void frame_unref(struct frame *f)
{
    if (f && --f->refs == 0)
        free(f);
}
