/* Limits, banner, signals and the shutdown sequence. */
#include "process.h"

#include "http/lan.h"
#include "qz/version.h"
#include "util/log.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

void process_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

void process_print_banner(const struct server_config *cfg, int port)
{
    printf("quizd: listening port=%d\n", port);
    bool any = !strcmp(cfg->bind, "0.0.0.0");
    printf("quizd %s is running. Open this URL in a browser:\n", QZ_VERSION);
    printf("  on this computer:  http://%s:%d/\n", any ? "localhost" : cfg->bind, port);
    if (cfg->public_url && cfg->public_url[0]) {
        printf("  for players:       %s\n", cfg->public_url);
    } else if (any) {
        char a[LAN_MAX_ADDRS][INET_ADDRSTRLEN];
        for (size_t i = 0, n = lan_addresses(a, LAN_MAX_ADDRS); i < n; i++)
            printf("  on your network:   http://%s:%d/   (phones on the same Wi-Fi)\n", a[i], port);
    }
    printf("Press Ctrl-C to stop.\n");
    fflush(stdout);
}

static void finish(struct shutdown *sd)
{
    if (sd->stopped)
        return;
    sd->stopped = true;
    uv_close((uv_handle_t *)&sd->grace, NULL);
    /* Keep catching SIGINT/SIGTERM during teardown (closing the last
     * uv_signal_t restores SIG_DFL), but stop them holding the loop open. */
    uv_unref((uv_handle_t *)&sd->sigint);
    uv_unref((uv_handle_t *)&sd->sigterm);
    server_stop(sd->srv);
}

static void on_grace(uv_timer_t *t)
{
    struct shutdown *sd = t->data;
    log_info("shutdown grace over connections=%zu", server_connections(sd->srv));
    finish(sd);
}

/* The last connection closed: let lws finish the close handshakes' writes
 * in this loop iteration, then stop. */
static void on_drained(void *arg)
{
    struct shutdown *sd = arg;
    if (sd->stopped)
        return;
    uv_timer_stop(&sd->grace);
    uv_timer_start(&sd->grace, on_grace, 0, 0);
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct shutdown *sd = h->data;
    if (sd->stopping || !sd->srv) {
        log_info("signal ignored signal=%d reason=already_stopping", signum);
        return;
    }
    sd->stopping = true;
    log_info("shutdown signal=%s connections=%zu rooms=%zu", signum == SIGINT ? "SIGINT" : "SIGTERM",
             server_connections(sd->srv), server_rooms(sd->srv));
    uv_timer_start(&sd->grace, on_grace, SHUTDOWN_GRACE_MS, 0);
    server_shutdown(sd->srv);
}

void shutdown_init(struct shutdown *sd, uv_loop_t *loop)
{
    memset(sd, 0, sizeof *sd);
    uv_signal_init(loop, &sd->sigint);
    uv_signal_init(loop, &sd->sigterm);
    uv_timer_init(loop, &sd->grace);
    sd->sigint.data = sd->sigterm.data = sd->grace.data = sd;
    uv_signal_start(&sd->sigint, on_signal, SIGINT);
    uv_signal_start(&sd->sigterm, on_signal, SIGTERM);
}

void shutdown_configure(struct shutdown *sd, struct server_config *cfg)
{
    cfg->on_drained = on_drained;
    cfg->on_drained_arg = sd;
}

void shutdown_attach(struct shutdown *sd, struct server *srv)
{
    sd->srv = srv;
    if (server_exit_code(srv)) {
        sd->stopping = true;
        finish(sd);
    }
}

void shutdown_cleanup(struct shutdown *sd, uv_loop_t *loop)
{
    /* Closing the last uv_signal_t restores SIG_DFL: a late second Ctrl-C
     * would then kill us mid-exit. Block, close, ignore, unblock. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, &old);
    uv_close((uv_handle_t *)&sd->sigint, NULL);
    uv_close((uv_handle_t *)&sd->sigterm, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    sigprocmask(SIG_SETMASK, &old, NULL);
}
