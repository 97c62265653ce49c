/* File name extension -> Content-Type for the static files we serve. */
#ifndef QZ_MIME_H
#define QZ_MIME_H

/* The type for `path`'s extension, or NULL for one we do not serve. */
const char *mime_type(const char *path);

#endif
