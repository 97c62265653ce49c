/* QR codes as SVG, for the join URL on the projector. */
#ifndef QZ_QR_H
#define QZ_QR_H
#include <stddef.h>

#define QR_TEXT_MAX 512           /* longest text encoded */

/* A malloc'd SVG of `text` drawn as one path (caller frees), length in
 * *len; NULL when text is empty, longer than QR_TEXT_MAX or not encodable. */
char *qr_svg(const char *text, size_t *len);

#endif
