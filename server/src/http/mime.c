/* The MIME map: only what the web client ships (lws 4.1.6 answers 415 for
 * types it does not know, so we never leave it to lws). */
#include "mime.h"
#include <stddef.h>
#include <string.h>

const char *mime_type(const char *path)
{
    static const char *map[][2] = {
        {".html", "text/html; charset=utf-8"},   {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},               {".png", "image/png"},
        {".ico", "image/x-icon"},                {".json", "application/json"},
        {".webmanifest", "application/manifest+json"}, {".woff2", "font/woff2"},
        {".woff", "font/woff"},                  {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json"},           {".webp", "image/webp"},
        {".jpg", "image/jpeg"},                  {".md", "text/markdown; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/'))
        return NULL;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(dot, map[i][0]))
            return map[i][1];
    return NULL;
}
