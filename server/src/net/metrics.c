/* GET /metrics: what one quizd process counts, in the Prometheus text
 * format. Counters live where the events happen (ws.c for the wire,
 * rooms/ for error replies and fan-out, server.c for sockets); this file
 * only renders them, at scrape time. Every name starts quizd_ except the
 * process_* conventions every exporter shares. */
#include "adapter.h"

#include "qz/version.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void counter(struct metrics_buf *b, const char *name, const char *help, double v)
{
    metrics_family(b, name, "counter", help);
    metrics_sample(b, name, NULL, v);
}

static void gauge(struct metrics_buf *b, const char *name, const char *help, double v)
{
    metrics_family(b, name, "gauge", help);
    metrics_sample(b, name, NULL, v);
}

/* One labelled sample per request type, "invalid" for what did not decode. */
static void by_request(struct metrics_buf *b, const char *name, const char *help,
                       const uint64_t v[PT_COUNT + 1])
{
    char l[48];
    metrics_family(b, name, "counter", help);
    for (int t = 0; t <= PT_COUNT; t++) {
        snprintf(l, sizeof l, "type=\"%s\"", t < PT_COUNT ? proto_type_name(t) : "invalid");
        metrics_sample(b, name, l, (double)v[t]);
    }
}

static void by_message(struct metrics_buf *b, const char *name, const char *help,
                       const uint64_t v[PO_COUNT])
{
    char l[48];
    metrics_family(b, name, "counter", help);
    for (int t = 0; t < PO_COUNT; t++) {
        snprintf(l, sizeof l, "type=\"%s\"", proto_out_name(t));
        metrics_sample(b, name, l, (double)v[t]);
    }
}

/* Resident set from /proc/self/statm (pages); 0 where it cannot be read. */
static double rss_bytes(void)
{
    unsigned long size, resident;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    return n == 2 ? (double)resident * (double)sysconf(_SC_PAGESIZE) : 0;
}

char *server__metrics(void *arg, size_t *len)
{
    struct server *srv = arg;
    struct metrics_buf b = {0};
    char l[96];

    metrics_family(&b, "quizd_build_info", "gauge", "The version and shard of this process.");
    snprintf(l, sizeof l, "version=\"%s\",shard=\"%c\"", QZ_VERSION,
             srv->cfg.shard ? srv->cfg.shard : '-');
    metrics_sample(&b, "quizd_build_info", l, 1);
    gauge(&b, "quizd_uptime_seconds", "Seconds since the server started.",
          (double)(server__now(srv) - srv->started_ms) / 1000);

    gauge(&b, "quizd_websockets", "Open WebSocket connections.", (double)srv->n_conn);
    gauge(&b, "quizd_http_connections", "Open sockets that are not WebSockets.",
          (double)(srv->n_sock > srv->n_conn ? srv->n_sock - srv->n_conn : 0));
    counter(&b, "quizd_websockets_opened_total", "WebSockets established since the start.",
            (double)srv->stats.ws_opened);
    counter(&b, "quizd_connections_refused_total",
            "Sockets or upgrades refused by a cap (connections, per address, origin).",
            (double)srv->refused);

    struct rooms_census cs = {0};
    const struct rooms_stats *rst = NULL;
    if (srv->rooms) {
        rooms_take_census(srv->rooms, &cs);
        rst = rooms_stats(srv->rooms);
    }
    metrics_family(&b, "quizd_rooms", "gauge", "Live rooms by phase.");
    for (int p = 0; p < GAME_PHASE_COUNT; p++) {
        snprintf(l, sizeof l, "phase=\"%s\"", game_phase_name(p));
        metrics_sample(&b, "quizd_rooms", l, (double)cs.by_phase[p]);
    }
    gauge(&b, "quizd_players", "Players seated in live rooms (kicked excluded).",
          (double)cs.players);
    gauge(&b, "quizd_players_connected", "Seated players with an open connection.",
          (double)cs.connected);
    gauge(&b, "quizd_hosts_connected", "Live rooms whose host is connected.", (double)cs.hosts);

    by_request(&b, "quizd_messages_received_total", "WebSocket messages received, by type.",
               srv->stats.in_msgs);
    by_request(&b, "quizd_received_bytes_total", "Payload bytes of the messages received.",
               srv->stats.in_bytes);
    by_message(&b, "quizd_messages_sent_total",
               "Messages handed to a connection's send path (one per recipient), by type.",
               srv->stats.out_msgs);
    by_message(&b, "quizd_sent_bytes_total", "Payload bytes of the messages sent.",
               srv->stats.out_bytes);
    metrics_family(&b, "quizd_frames_written_total", "counter",
                   "Frames by write path: at once (idle), queued (busy), drained from the queue.");
    metrics_sample(&b, "quizd_frames_written_total", "path=\"at_once\"", (double)srv->stats.at_once);
    metrics_sample(&b, "quizd_frames_written_total", "path=\"queued\"", (double)srv->stats.queued);
    metrics_sample(&b, "quizd_frames_written_total", "path=\"drained\"", (double)srv->stats.drained);
    counter(&b, "quizd_frame_writes_total",
            "Socket writes (lws_write) carrying those frames: one per frame, or one for a batch "
            "of a request's replies or of what one commit released, written together.",
            (double)srv->stats.writes);
    counter(&b, "quizd_send_queue_drops_total",
            "Connections dropped because their send queue was full (slow consumers).",
            (double)srv->stats.txq_drops);

    metrics_family(&b, "quizd_rate_limited_total", "counter",
                   "Requests refused by a rate limit: a connection's message budget, or the "
                   "rooms' budgets (room creation, failed room lookups per address).");
    metrics_sample(&b, "quizd_rate_limited_total", "scope=\"connection\"",
                   (double)srv->stats.rate_limited);
    metrics_sample(&b, "quizd_rate_limited_total", "scope=\"rooms\"",
                   rst ? (double)rst->errors[-QZ_ERATELIMIT] : 0);
    metrics_family(&b, "quizd_errors_total", "counter", "Error replies sent, by code.");
    for (int k = 1; k < QZ_ERR_SLOTS; k++) {
        snprintf(l, sizeof l, "code=\"%s\"", qz_strerror(-k));
        metrics_sample(&b, "quizd_errors_total", l,
                       (double)(srv->stats.errors[k] + (rst ? rst->errors[k] : 0)));
    }

    metrics_family(&b, "quizd_fanout_seconds", "histogram",
                   "A question, reveal or leaderboard: from its trigger until every copy was "
                   "handed to the connections.");
    if (rst) {
        metrics_hist_write(&b, "quizd_fanout_seconds", &rst->fanout_s);
    } else {
        struct metrics_hist empty;
        metrics_hist_init(&empty, METRICS_LATENCY_S, METRICS_LATENCY_N);
        metrics_hist_write(&b, "quizd_fanout_seconds", &empty);
    }
    metrics_family(&b, "quizd_answer_ack_seconds", "histogram",
                   "An answer: from its last fragment received until its ack was handed to "
                   "the socket or queued; with --data that includes the commit it waits for.");
    metrics_hist_write(&b, "quizd_answer_ack_seconds", &srv->stats.answer_ack_s);

    /* Persistence (store/): absent with --no-data. One snapshot for every
     * figure of the writer: reads under separate locks would let a commit
     * in between make the counter and the histogram disagree. */
    struct store *st = srv->cfg.store;
    struct store_stats ss = {0};
    metrics_hist_init(&ss.commit_s, METRICS_LATENCY_S, METRICS_LATENCY_N);
    if (st)
        store_stats(st, &ss);
    gauge(&b, "quizd_store_enabled", "1 when games are kept in SQLite (--data), 0 with --no-data.",
          st ? 1 : 0);
    gauge(&b, "quizd_store_queue_records",
          "Records appended by the loop and not yet committed by the writer thread.",
          st ? (double)(store_appended(st) - store_committed(st)) : 0);
    gauge(&b, "quizd_store_held_frames",
          "Messages held until what they acknowledge is committed (durable answer_ack).",
          srv->rooms ? (double)rooms_held(srv->rooms) : 0);
    counter(&b, "quizd_store_failures_total",
            "Writes that failed (disk full, I/O error) or batches not written after one.",
            (double)ss.failures);
    gauge(&b, "quizd_rooms_unsaved", "Live rooms whose results are no longer being saved.",
          srv->rooms ? (double)rooms_unsaved(srv->rooms) : 0);
    counter(&b, "quizd_store_commits_total", "Transactions that wrote records.",
            (double)ss.commit_s.count);
    metrics_family(&b, "quizd_store_commit_seconds", "histogram",
                   "One group commit of the writer thread (transactions that wrote records).");
    metrics_hist_write(&b, "quizd_store_commit_seconds", &ss.commit_s);

    struct rusage ru;
    double cpu = 0;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
              (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    counter(&b, "process_cpu_seconds_total", "User and system CPU time spent, in seconds.", cpu);
    gauge(&b, "process_resident_memory_bytes", "Resident memory size in bytes.", rss_bytes());

    *len = b.len;
    return b.s;
}
