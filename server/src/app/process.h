/* Process concerns of quizd: file-descriptor limit, the stdout banner, and
 * the shutdown sequence driven by SIGINT/SIGTERM. */
#ifndef QZ_PROCESS_H
#define QZ_PROCESS_H
#include "net/server.h"
#include <stdbool.h>
#include <uv.h>

#define SHUTDOWN_GRACE_MS 1500   /* close handshakes get this long before lws is torn down */

/* Raises the soft RLIMIT_NOFILE to the hard one: lws sizes its fd tables
 * from the limit at context creation, so call this before server_create. */
void process_raise_nofile(void);

/* Prints the URLs to open (this computer, the LAN or --public-url). */
void process_print_banner(const struct server_config *cfg, int port);

/* The shutdown sequence: the first SIGINT/SIGTERM starts closing every
 * connection (1001); once none is left, or after SHUTDOWN_GRACE_MS, the
 * server is stopped and uv_run returns. Later signals are logged and
 * ignored, also during the final teardown. */
struct shutdown {
    struct server *srv;
    uv_signal_t sigint, sigterm;
    uv_timer_t grace;
    bool stopping, stopped;
};

/* Starts catching the signals on `loop` (before server_create). */
void shutdown_init(struct shutdown *sd, uv_loop_t *loop);
/* Fills the server config's on_drained hook. */
void shutdown_configure(struct shutdown *sd, struct server_config *cfg);
/* Hands over the server; if it failed to start, stops it at once. */
void shutdown_attach(struct shutdown *sd, struct server *srv);
/* After uv_run returned and server_destroy: closes the signal handles
 * without a window where a late signal would kill the process. */
void shutdown_cleanup(struct shutdown *sd, uv_loop_t *loop);

#endif
