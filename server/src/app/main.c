/* quizd: the quiz server. Parses options, derives the bundled corpus, loads
 * packs, then runs one libuv loop until SIGINT/SIGTERM. */
#include <uv.h>

#include "corpus/derive.h"
#include "corpus/pack.h"
#include "corpus/review.h"
#include "net/keepalive.h"
#include "http/http.h"
#include "net/server.h"
#include "process.h"
#include "store/store.h"
#include "qz/proto.h"
#include "rooms/rooms.h"
#include "qz/version.h"
#include "util/log.h"
#include "util/origin.h"
#include "util/xmalloc.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef QZ_DATA_DIR
#define QZ_DATA_DIR "server/data"
#endif
#ifndef QZ_WEB_ROOT
#define QZ_WEB_ROOT "web-client"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: quizd [OPTION]...\n"
            "Multiplayer quiz server: players join rooms from a browser.\n\n"
            "  -p, --port=PORT          listen on PORT (default 8080; 0 = any free port)\n"
            "  -b, --bind=ADDR          listen address (default 0.0.0.0: phones on the LAN can join)\n"
            "  -w, --web-root=DIR       web client directory (default %s)\n"
            "  -c, --corpus=FILE        text corpus to derive the default pack from\n"
            "                           (default %s/corpus/senior-python-interview.txt)\n"
            "      --no-corpus          do not derive the bundled corpus; serve --packs only\n"
            "  -P, --packs=DIR          load every *.json pack in DIR (default %s/packs)\n"
            "      --max-players=N      hard cap on players per room (default %u)\n"
            "      --room-idle=SECONDS  remove rooms idle this long with no host (default %u)\n"
            "      --reveal-ms=MS       auto-advance pause on the answer reveal (default %u)\n"
            "      --leaderboard-ms=MS  auto-advance pause on the leaderboard (default %u)\n"
            "      --keepalive-ms=MS    ping a connection silent this long, close it a third\n"
            "                           later without an answer (default %u)\n"
            "      --public-url=URL     join URL shown on the projector, e.g. http://192.168.1.20:8080/\n"
            "                           (when players reach the server through NAT or Docker)\n"
            "      --max-connections=N  WebSockets at once (default: the file limit minus %d)\n"
            "      --max-per-address=N  open sockets from one address, 0 = no cap (default %u;\n"
            "                           a venue's phones may share one NAT address)\n"
            "      --http-timeout=S     close sockets that are not WebSockets after S seconds\n"
            "                           (raw, slow or idle HTTP; default %u)\n"
            "      --max-rooms=N        live rooms, 0 = no cap (default %u)\n"
            "      --max-rooms-per-address=N  live rooms created from one address (default %u)\n"
            "      --empty-room-idle=S  remove a hostless room no player joined after S seconds\n"
            "                           (default %u)\n"
            "      --allowed-origin=URL also accept /ws from pages of URL (scheme://host[:port]),\n"
            "                           and API requests for its host; repeatable. Same-origin\n"
            "                           pages and clients sending no Origin are always accepted\n"
            "      --data=DIR           keep every game in DIR/quizd.db (SQLite; default ./data,\n"
            "                           created owner-only); rooms resume after a restart\n"
            "      --no-data            keep games in memory only (lost when quizd stops)\n"
            "      --keep-days=N        purge finished games older than N days at start\n"
            "                           (default %u; 0 = keep forever)\n"
            "      --data-max-mb=N      stop saving past N MiB, as on a full disk (default: no cap)\n"
            "      --data-sync=MODE     normal (default: an acknowledged answer survives kill -9\n"
            "                           and crashes of quizd) or full (also power loss, slower)\n"
            "      --data-retry-ms=N    retry a write failing on a full disk, I/O error or a held\n"
            "                           lock this long before results stop being saved (default %u)\n"
            "      --metrics=WHO        who may read GET /metrics (Prometheus): loopback (the\n"
            "                           default: this machine only), any, or off\n"
            "      --shard=ID           run as shard ID, one character of %s: every\n"
            "                           room code starts with ID, so a proxy can route\n"
            "                           by it (deploy/haproxy)\n"
            "      --trusted-proxy=ADDR a reverse proxy in front of quizd: an IPv4\n"
            "                           address or ADDR/BITS block (repeatable, or separated by\n"
            "                           commas; IPv6 is accepted but never matches, quizd\n"
            "                           listens on IPv4). On its connections the client is the last\n"
            "                           X-Forwarded-For entry, and that client's per-address\n"
            "                           limits apply (the proxy's when the header is missing or\n"
            "                           malformed). Other peers' X-Forwarded-For is ignored\n"
            "  -l, --log-level=LEVEL    error, warn, info (default) or debug\n"
            "  -h, --help               show this help and exit\n"
            "  -V, --version            show the version and exit\n",
            QZ_WEB_ROOT, QZ_DATA_DIR, QZ_DATA_DIR, SERVER_MAX_PLAYERS_CAP, SERVER_ROOM_IDLE_S,
            GAME_REVEAL_MS, GAME_LEADERBOARD_MS, KA_PING_MS, SERVER_FD_RESERVE + SERVER_HTTP_RESERVE,
            SERVER_MAX_PER_ADDR, SERVER_HTTP_TIMEOUT_S, SERVER_MAX_ROOMS, SERVER_MAX_ROOMS_PER_ADDR,
            SERVER_EMPTY_ROOM_IDLE_S, STORE_KEEP_DAYS, STORE_RETRY_MS, PROTO_CODE_ALPHABET);
}

static int bad_value(const char *opt, const char *val, const char *why)
{
    fprintf(stderr, "quizd: invalid value '%s' for --%s: %s (see --help)\n", val, opt, why);
    return 2;
}

static int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return -1;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* --trusted-proxy: a comma-separated list of IP addresses or blocks added to list[*n]
 * (at most SERVER_MAX_TRUSTED_PROXIES in all). Returns 0, or 2 after the
 * message. */
static int add_trusted_proxies(const char *arg, struct ip_net *list, size_t *n)
{
    const char *p = arg;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (*n == SERVER_MAX_TRUSTED_PROXIES) {
            char why[48];
            snprintf(why, sizeof why, "too many (at most %d)", SERVER_MAX_TRUSTED_PROXIES);
            return bad_value("trusted-proxy", arg, why);
        }
        if (!ip_net_parse_n(p, len, &list[*n]))
            return bad_value("trusted-proxy", arg,
                             "expected IPv4 or IPv6 addresses or ADDR/BITS blocks separated by commas, "
                             "e.g. 127.0.0.1 or 10.88.0.0/16");
        ++*n;
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

/* What --trusted-proxy likely does not mean as given, said once at start:
 * an IPv4 /0 block lets every peer pick the address it is charged as; an
 * IPv6 entry never matches, since quizd listens on IPv4 only (IPv4-mapped
 * entries are IPv4 and do). */
static void warn_trusted_proxies(const struct ip_net *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char a[ADDR_MAX];
        ip_addr_format(&list[i].a, a);
        if (list[i].a.family != AF_INET)
            log_warn("trusted_proxy_never_matches entry=%s/%u (quizd listens on IPv4 only)", a,
                     list[i].bits);
        else if (list[i].bits == 0)
            log_warn("trusted_proxy_everyone block=%s/0 (every peer may choose the address it is "
                     "charged as with X-Forwarded-For)", a);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every *.json in dir (sorted by name). Bad packs are reported and skipped. */
static void load_pack_dir(const char *dir, bool explicit_dir, struct qz_pack ***packs, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (explicit_dir)
            log_warn("packs_dir_unreadable dir=%s err=\"%s\"", dir, strerror(errno));
        return;
    }
    char **names = NULL;
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".json") && e->d_name[0] != '.') {
            names = xrealloc(names, (nn + 1) * sizeof *names);
            names[nn++] = xasprintf("%s/%s", dir, e->d_name);
        }
    }
    closedir(d);
    if (nn)
        qsort(names, nn, sizeof *names, cmp_str);
    for (size_t i = 0; i < nn; i++) {
        struct report rep;
        report_init(&rep);
        struct qz_pack *p = pack_load_file(names[i], &rep);
        bool dup = false;
        for (size_t k = 0; p && k < *n; k++)
            dup |= !strcmp((*packs)[k]->id, p->id);
        if (p && !dup) {
            *packs = xrealloc(*packs, (*n + 1) * sizeof **packs);
            (*packs)[(*n)++] = p;
            log_info("pack_loaded file=%s id=%s questions=%zu", names[i], p->id, p->n);
        } else if (p) {
            log_warn("pack_skipped file=%s reason=\"duplicate id %s\"", names[i], p->id);
            qz_pack_destroy(p);
        } else {
            log_warn("pack_skipped file=%s problems=%zu", names[i], rep.n);
            for (size_t k = 0; k < rep.n && k < 20; k++)
                log_warn("pack_problem %s", rep.lines[k]);
        }
        report_cleanup(&rep);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},       {"bind", required_argument, NULL, 'b'},
        {"web-root", required_argument, NULL, 'w'},   {"corpus", required_argument, NULL, 'c'},
        {"no-corpus", no_argument, NULL, 1},          {"packs", required_argument, NULL, 'P'},
        {"max-players", required_argument, NULL, 2},  {"room-idle", required_argument, NULL, 3},
        {"reveal-ms", required_argument, NULL, 4},    {"leaderboard-ms", required_argument, NULL, 5}, {"public-url", required_argument, NULL, 6},
        {"max-connections", required_argument, NULL, 7},
        {"max-per-address", required_argument, NULL, 8},
        {"http-timeout", required_argument, NULL, 9},
        {"max-rooms", required_argument, NULL, 10},
        {"max-rooms-per-address", required_argument, NULL, 11},
        {"empty-room-idle", required_argument, NULL, 12},
        {"allowed-origin", required_argument, NULL, 13},
        {"keepalive-ms", required_argument, NULL, 14},
        {"data", required_argument, NULL, 15},
        {"no-data", no_argument, NULL, 16},
        {"keep-days", required_argument, NULL, 17},
        {"data-max-mb", required_argument, NULL, 18},
        {"data-sync", required_argument, NULL, 19},
        {"data-retry-ms", required_argument, NULL, 20},
        {"shard", required_argument, NULL, 21},
        {"metrics", required_argument, NULL, 22},
        {"trusted-proxy", required_argument, NULL, 23},
        {"log-level", required_argument, NULL, 'l'},  {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},          {NULL, 0, NULL, 0},
    };
    struct server_config cfg;
    const char *corpus = QZ_DATA_DIR "/corpus/senior-python-interview.txt";
    const char *packs_dir = QZ_DATA_DIR "/packs";
    bool packs_explicit = false, no_corpus = false, no_data = false;
    struct store_options so = {.dir = "data", .keep_days = STORE_KEEP_DAYS};
    unsigned long v;
    int c;
    static const char *origins[SERVER_MAX_ALLOWED_ORIGINS];
    static char origin_store[SERVER_MAX_ALLOWED_ORIGINS][320];
    static struct ip_net proxies[SERVER_MAX_TRUSTED_PROXIES];

    server_config_default(&cfg);
    cfg.web_root = QZ_WEB_ROOT;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":p:b:w:c:P:l:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (parse_uint(optarg, 0, 65535, &v))
                return bad_value("port", optarg, "expected 0 to 65535");
            cfg.port = (int)v;
            break;
        case 'b': {
            struct in_addr a;
            if (inet_aton(optarg, &a) == 0)
                return bad_value("bind", optarg, "expected an IPv4 address such as 0.0.0.0");
            cfg.bind = optarg;
            break;
        }
        case 'w': cfg.web_root = optarg; break;
        case 'c': corpus = optarg; break;
        case 1: no_corpus = true; break;
        case 'P':
            packs_dir = optarg;
            packs_explicit = true;
            break;
        case 2:
            if (parse_uint(optarg, 1, PROTO_MAX_PLAYERS, &v)) {
                char why[48];
                snprintf(why, sizeof why, "expected 1 to %d", PROTO_MAX_PLAYERS);
                return bad_value("max-players", optarg, why);
            }
            cfg.max_players_cap = (unsigned)v;
            break;
        case 3:
            if (parse_uint(optarg, 1, 7 * 86400, &v))
                return bad_value("room-idle", optarg, "expected 1 to 604800 seconds");
            cfg.room_idle_s = (unsigned)v;
            break;
        case 4:
        case 5:
            if (parse_uint(optarg, 0, 600000, &v))
                return bad_value(c == 4 ? "reveal-ms" : "leaderboard-ms", optarg,
                                 "expected 0 to 600000");
            if (c == 4)
                cfg.reveal_ms = (unsigned)v;
            else
                cfg.leaderboard_ms = (unsigned)v;
            break;
        case 6:
            if (strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8))
                return bad_value("public-url", optarg, "expected a URL starting with http:// or https://");
            cfg.public_url = optarg;
            break;
        case 7:
        case 8:
        case 10:
        case 11:
            if (parse_uint(optarg, c == 7 ? 1 : 0, 10000000, &v))
                return bad_value(c == 7 ? "max-connections" : c == 8 ? "max-per-address"
                                 : c == 10 ? "max-rooms" : "max-rooms-per-address",
                                 optarg, c == 7 ? "expected 1 to 10000000" : "expected 0 (no cap) to 10000000");
            *(c == 7 ? &cfg.max_connections : c == 8 ? &cfg.max_per_addr
              : c == 10 ? &cfg.max_rooms : &cfg.max_rooms_per_addr) = (unsigned)v;
            break;
        case 9:
        case 12:
            if (parse_uint(optarg, 1, 7 * 86400, &v))
                return bad_value(c == 9 ? "http-timeout" : "empty-room-idle", optarg,
                                 "expected 1 to 604800 seconds");
            *(c == 9 ? &cfg.http_timeout_s : &cfg.empty_room_idle_s) = (unsigned)v;
            break;
        case 13:
            if (cfg.n_allowed_origins == SERVER_MAX_ALLOWED_ORIGINS)
                return bad_value("allowed-origin", optarg, "too many (at most 16)");
            if (strcmp(optarg, "null") &&
                !origin_normalize(optarg, origin_store[cfg.n_allowed_origins],
                                  sizeof origin_store[0]))
                return bad_value("allowed-origin", optarg,
                                 "expected scheme://host[:port], e.g. https://quiz.example");
            if (!strcmp(optarg, "null"))
                snprintf(origin_store[cfg.n_allowed_origins], sizeof origin_store[0], "null");
            origins[cfg.n_allowed_origins] = origin_store[cfg.n_allowed_origins];
            cfg.n_allowed_origins++;
            cfg.allowed_origins = origins;
            break;
        case 14:
            if (parse_uint(optarg, KA_MIN_MS, KA_MAX_MS, &v)) {
                char why[48];
                snprintf(why, sizeof why, "expected %d to %d", KA_MIN_MS, KA_MAX_MS);
                return bad_value("keepalive-ms", optarg, why);
            }
            cfg.keepalive_ms = (unsigned)v;
            break;
        case 15: so.dir = optarg; break;
        case 16: no_data = true; break;
        case 17:
        case 18:
            if (parse_uint(optarg, 0, c == 17 ? 36500 : 1048576, &v))
                return bad_value(c == 17 ? "keep-days" : "data-max-mb", optarg,
                                 c == 17 ? "expected 0 to 36500 days" : "expected 0 to 1048576 MiB");
            *(c == 17 ? &so.keep_days : &so.max_mb) = (unsigned)v;
            break;
        case 19:
            if (!strcmp(optarg, "normal"))
                so.sync = STORE_SYNC_NORMAL;
            else if (!strcmp(optarg, "full"))
                so.sync = STORE_SYNC_FULL;
            else
                return bad_value("data-sync", optarg, "expected normal or full");
            break;
        case 20:
            if (parse_uint(optarg, 1, 600000, &v))
                return bad_value("data-retry-ms", optarg, "expected 1 to 600000 ms");
            so.retry_ms = (unsigned)v;
            break;
        case 21:
            if (!rooms_shard_valid(optarg)) {
                char why[80];
                snprintf(why, sizeof why, "expected one character of %s", PROTO_CODE_ALPHABET);
                return bad_value("shard", optarg, why);
            }
            cfg.shard = optarg[0];
            break;
        case 22:
            if (!strcmp(optarg, "loopback"))
                cfg.metrics_access = HTTP_METRICS_LOOPBACK;
            else if (!strcmp(optarg, "any"))
                cfg.metrics_access = HTTP_METRICS_ANY;
            else if (!strcmp(optarg, "off"))
                cfg.metrics_access = HTTP_METRICS_OFF;
            else
                return bad_value("metrics", optarg, "expected loopback, any or off");
            break;
        case 23:
            if (add_trusted_proxies(optarg, proxies, &cfg.n_trusted_proxies))
                return 2;
            cfg.trusted_proxies = proxies;
            break;
        case 'l': {
            int l = log_level_parse(optarg);
            if (l < 0)
                return bad_value("log-level", optarg, "expected error, warn, info or debug");
            log_level_current = l;
            break;
        }
        case 'h': usage(stdout); return 0;
        case 'V': printf("quizd %s\n", QZ_VERSION); return 0;
        case ':':
            fprintf(stderr, "quizd: option '%s' needs a value (see --help)\n", argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "quizd: unknown option '%s' (see --help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "quizd: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    warn_trusted_proxies(proxies, cfg.n_trusted_proxies);

    struct qz_pack **packs = NULL;
    size_t n_packs = 0;
    if (!no_corpus) {
        struct derive_stats st;
        struct report rep;
        report_init(&rep);
        /* The review files apply by the corpus's content hash (corpus/review.h);
         * a malformed manifest is reported in rep and logged below. */
        struct review_files rf;
        review_select(corpus, QZ_DATA_DIR "/review", &rf, &rep);
        struct derive_paths dp = {.corpus = corpus, .errata = rf.errata, .overrides = rf.overrides};
        struct qz_pack *p = derive_pack(&dp, &st, &rep);
        review_files_cleanup(&rf);
        if (!p) {
            report_print(&rep, stderr);
            fprintf(stderr, "quizd: cannot derive questions from %s (use --corpus or --no-corpus)\n",
                    corpus);
            report_cleanup(&rep);
            return 1;
        }
        for (size_t i = 0; i < rep.n; i++)
            log_warn("derive_problem %s", rep.lines[i]);
        report_cleanup(&rep);
        log_info("corpus_derived file=%s questions=%zu categories=%zu ms=%.1f", corpus, p->n,
                 p->n_cats, st.ms);
        packs = xmalloc(sizeof *packs);
        packs[n_packs++] = p;
    }
    load_pack_dir(packs_dir, packs_explicit, &packs, &n_packs);
    if (n_packs == 0) {
        fprintf(stderr, "quizd: no question pack to serve (the corpus is disabled and %s has no valid pack)\n",
                packs_dir);
        free(packs);
        return 1;
    }

    struct store *store = NULL;
    if (!no_data) {
        char why[1024];
        so.epoch_ms = (int64_t)time(NULL) * 1000;
        so.shard = cfg.shard;
        store = store_open(&so, why, sizeof why);
        if (!store) {
            log_err("data_unusable dir=%s reason=\"%s\"", so.dir, why);
            fprintf(stderr, "quizd: %s\n(choose another directory with --data DIR, or --no-data to keep"
                            " games in memory only)\n", why);
            for (size_t i = 0; i < n_packs; i++)
                qz_pack_destroy(packs[i]);
            free(packs);
            return 1;
        }
    }
    cfg.store = store;

    uv_loop_t loop;
    struct shutdown sd;
    uv_loop_init(&loop);
    shutdown_init(&sd, &loop);
    shutdown_configure(&sd, &cfg);
    process_raise_nofile();
    struct server *srv = server_create(&loop, &cfg, packs, n_packs);
    shutdown_attach(&sd, srv);
    if (!server_exit_code(srv))
        process_print_banner(&cfg, server_port(srv));
    uv_run(&loop, UV_RUN_DEFAULT);
    int rc = server_exit_code(srv);
    server_destroy(srv);
    store_close(store);   /* after the loop: every record made is written */
    shutdown_cleanup(&sd, &loop);
    if (uv_loop_close(&loop) != 0) {
        log_err("loop_close_failed reason=\"handles still open\"");
        rc = rc ? rc : 1;
    }
    for (size_t i = 0; i < n_packs; i++)
        qz_pack_destroy(packs[i]);
    free(packs);
    if (!rc)
        log_info("stopped cleanly");
    return rc;
}
