/* A minimal blocking WebSocket/HTTP client for tests and the benchmark:
 * real RFC 6455 framing over a TCP socket on 127.0.0.1, every wait bounded. */
#ifndef QZ_WSC_H
#define QZ_WSC_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct wsc {
    int fd;
    unsigned char *buf;   /* received, unparsed bytes */
    size_t len, cap;
    int close_code;       /* set when a close frame arrived, else 0 */
    bool closed;          /* peer closed (close frame or EOF) */
    unsigned pings;       /* pings received (and answered) so far */
};

/* Every later connection (WebSocket or HTTP) leaves from this IPv4 address
 * (e.g. "127.0.0.2": the loopback takes any 127/8 source), so one test can
 * play several clients; NULL = the kernel's choice. The string is copied. */
void wsc_set_source(const char *ipv4);
/* Every later connection goes to this IPv4 address instead of 127.0.0.1
 * (NULL = 127.0.0.1 again). The string is copied. */
void wsc_set_dest(const char *ipv4);

/* Connects and completes the handshake; NULL on failure (message on stderr). */
struct wsc *wsc_connect(int port, const char *path, int timeout_ms);
/* Same, with SO_RCVBUF set before connecting (a slow reader's small window). */
struct wsc *wsc_connect_rcvbuf(int port, const char *path, int timeout_ms, int rcvbuf);
/* Same, with `headers` ("Host: ...\r\nOrigin: ...\r\n") instead of the
 * default same-origin Host and Origin lines, SO_RCVBUF if rcvbuf > 0, and the
 * handshake's HTTP status stored in *status (-1 if none arrived). */
struct wsc *wsc_connect_ex(int port, const char *path, const char *headers, int timeout_ms,
                           int rcvbuf, int *status);
void wsc_free(struct wsc *c);
/* Sends one text frame (masked, as clients must); 0 or -1. */
int wsc_send(struct wsc *c, const char *text);
int wsc_send_len(struct wsc *c, const char *data, size_t len, int opcode);
/* Sends `text` split into `parts` frames (first text, then continuation). */
int wsc_send_fragmented(struct wsc *c, const char *text, int parts);
/* Several text frames in one send(): the server reads them together. */
int wsc_send_many(struct wsc *c, const char *const *texts, size_t n);
int wsc_sendf(struct wsc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Receives the next text message (malloc'd, NUL-terminated) or NULL on
 * timeout/close (c->closed and c->close_code tell which). */
char *wsc_recv(struct wsc *c, int timeout_ms);
/* Receives messages until one has "type" == type; others are skipped (and
 * passed to `seen` if non-NULL). Returns the parsed object or NULL. */
json_t *wsc_expect(struct wsc *c, const char *type, int timeout_ms);
/* Waits until the peer closes; returns the close code (or -1 on timeout, 1006 on EOF). */
int wsc_wait_close(struct wsc *c, int timeout_ms);

/* One HTTP/1.1 GET with Connection: close. Returns the status code or -1;
 * *headers and *body are malloc'd (caller frees). */
int http_get(int port, const char *path, char **headers, char **body, int timeout_ms);
/* Sends the raw bytes req[0..len) on a new connection and reads the reply
 * like http_get (until EOF or the announced content-length). */
int http_raw(int port, const char *req, size_t len, char **headers, char **body, int timeout_ms);
/* A TCP connection (from the wsc_set_source address, to wsc_set_dest's),
 * for http_exchange; close(2) it. -1 on failure. */
int wsc_tcp_open(int port, int timeout_ms);
/* Sends req on fd and reads one reply: its headers and the body its
 * Content-Length announces (none for a 101), leaving fd open for the
 * next request. Returns the status code, or -1. */
int http_exchange(int fd, const char *req, int timeout_ms);
/* Each of the n NUL-terminated requests on its own new connection, every one
 * sent before any reply is read, so the server meets them back to back
 * whatever the client's round trips cost; status[i] gets reqs[i]'s status
 * code, or -1. */
void http_raw_many(int port, const char *const *reqs, size_t n, int *status, int timeout_ms);

#endif
