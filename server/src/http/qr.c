/* QR SVG with libqrencode. */
#include "qr.h"
#include "util/xmalloc.h"
#include <qrencode.h>
#include <stdio.h>
#include <string.h>

char *qr_svg(const char *text, size_t *len)
{
    size_t tl = strlen(text);
    if (tl == 0 || tl > QR_TEXT_MAX)
        return NULL;
    QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!qr)
        return NULL;
    int w = qr->width, quiet = 4, size = w + 2 * quiet;
    size_t cap = 256 + (size_t)w * (size_t)w * 16;
    char *s = xmalloc(cap);
    size_t n = (size_t)snprintf(s, cap,
                                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                                "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
                                "fill=\"#fff\"/><path fill=\"#000\" d=\"",
                                size, size, size, size);
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            if (qr->data[y * w + x] & 1)
                n += (size_t)snprintf(s + n, cap - n, "M%d %dh1v1h-1z", x + quiet, y + quiet);
    n += (size_t)snprintf(s + n, cap - n, "\"/></svg>");
    QRcode_free(qr);
    *len = n;
    return s;
}
