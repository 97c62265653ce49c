/* The Dockerfile, docker-compose.yml and docker-compose.sharded.yml built
 * and run for real with Debian's podman and podman-compose (the machine
 * notes in shared/research/containers-here.md say how): the image is built
 * from this tree, one container and the one-service compose answer and play
 * a game, and the sharded topology (HAProxy + two shards) routes rooms of
 * both shards, plays a game through the proxy, trusts X-Forwarded-For from
 * HAProxy's pinned address only (not from the host), and brings a room back with
 * its score after its shard's container restarts (one data volume each). What it needs is installed
 * when missing (as root); it is skipped, saying why, only where podman
 * cannot run a container, where the Debian mirror is unreachable, and in
 * sanitizer builds (the image does not depend on them). Container,
 * project and image tag names carry the test's pid (two runs never share
 * one; the tags are removed at the end, the layers stay cached), every
 * command is bounded by timeout(1), and an aborted run takes its
 * containers down (its log directory is kept for the failure). */
#include "igame.h"
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char dir[64];   /* containers.conf, logs, the base image's root */
static char src[1024]; /* the source tree (build context) */

/* Bounds of one command, in seconds: installs, debootstrap and image builds;
 * everything else (run, stop, compose up of built images, restart). */
#define CMD_LONG_S 900
#define CMD_S 180

/* This run's names (the pid appended), and whether anything may be up. */
static char one_name[48], project1[48], project2[48];
static char image[64], haproxy_image[64];   /* this run's tags (QUIZD_IMAGE, QUIZD_HAPROXY_IMAGE) */
static char net_name[64], net_prefix[16];  /* the sharded project's network, its QUIZD_NET */
static bool started;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Runs a shell command, at most `secs` seconds (timeout(1) then kills its
 * process group), with its output appended to the log; its status (124:
 * timed out). */
static int sh_for(int secs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sh_for(int secs, const char *fmt, ...)
{
    char cmd[4096], full[4096 + 1024 + 128], limit[16];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "cd '%s' && { %s ; } >>'%s/log' 2>&1", src, cmd, dir);
    snprintf(limit, sizeof limit, "%d", secs);
    pid_t p = fork();
    if (p < 0)
        return 128;
    if (p == 0) {
        execl("/usr/bin/timeout", "timeout", "-k", "10", limit, "/bin/sh", "-c", full, (char *)NULL);
        _exit(127);
    }
    int st;
    while (waitpid(p, &st, 0) < 0)
        if (errno != EINTR)
            return 128;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}
#define sh(...) sh_for(CMD_S, __VA_ARGS__)

/* Takes down whatever this run may have started (names are this run's). */
static void take_down(void)
{
    if (!started)
        return;
    started = false;
    sh("podman rm -f %s", one_name);
    sh("podman-compose -p %s down -v", project1);
    sh("podman-compose -f docker-compose.sharded.yml -p %s down -v", project2);
    if (net_name[0])
        sh("podman network rm -f %s", net_name);
    /* Only the names go: the image stays as the next build's cache. */
    sh("podman untag %s; podman untag %s", image, haproxy_image);
}

/* A failed assertion aborts: the containers go, the log directory stays. */
static void on_abort(int sig)
{
    take_down();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Skipped: the reason, the log's tail, and the temporary directory removed. */
static void skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void skip(const char *fmt, ...)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "tail -n 20 '%s/log' >&2 2>/dev/null", dir);
    if (system(cmd)) { /* the tail is only a courtesy */ }
    va_list ap;
    va_start(ap, fmt);
    fputs("SKIPPED: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    sh("rm -rf '%s'", dir);
}

static void must(int status, const char *what)
{
    if (status != 0) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "tail -n 40 '%s/log' >&2", dir);
        if (system(cmd)) { /* the tail is only a courtesy */ }
        FAIL_AT("%s failed (status %d; log in %s/log)", what, status, dir);
    }
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    ASSERT(fd >= 0);
    ASSERT_OK(bind(fd, (struct sockaddr *)&a, sizeof a));
    ASSERT_OK(getsockname(fd, (struct sockaddr *)&a, &l));
    close(fd);
    return ntohs(a.sin_port);
}

/* Polls GET path on port until it answers `want`, bounded. */
static void wait_status(int port, const char *path, int want, int ms)
{
    long long deadline = now_ms() + proc_timeout(ms);
    int st = -1;
    for (;;) {
        char *h, *b;
        st = http_get(port, path, &h, &b, 2000);
        free(h);
        free(b);
        if (st == want)
            return;
        if (now_ms() > deadline)
            FAIL_AT("GET %s on port %d: status %d, expected %d", path, port, st, want);
        poll(NULL, 0, 200);
    }
}

/* A one-question game on the test pack (mounted at /packs) through `port`;
 * returns the room code's first character. */
static char play_game(int port)
{
    struct igame_seat host = {0}, ada = {0};
    struct wsc *h = igame_create(port, 1, &host);
    struct wsc *a = igame_join(port, host.code, "Ada", &ada);
    igame_host_cmd(h, "start");
    igame_answer(a, 0, igame_question(a, 0));
    ASSERT(igame_result_score(a) > 0);
    igame_host_cmd(h, "next");   /* leaderboard */
    igame_host_cmd(h, "next");   /* podium */
    json_decref(igame_expect(a, "game_over"));
    /* The player reloads after the game: the seat is still there. */
    wsc_free(a);
    a = igame_join(port, host.code, NULL, &ada);
    json_t *st = igame_expect(a, "state");
    ASSERT_STR_EQ(sget(st, "phase"), "finished");
    json_decref(st);
    wsc_free(a);
    wsc_free(h);
    return host.code[0];
}

/* A room on shard A with a scored player; shard A's container restarts;
 * the player resumes through HAProxy with the score (its data volume). */
static void shard_restart_keeps_the_room(int port, const char *project)
{
    struct igame_seat host = {0}, ada = {0};
    struct wsc *extra[8];
    int n = 0;
    struct wsc *h = NULL;
    for (int i = 0; i < 8 && !h; i++) {
        struct wsc *c = igame_create(port, 2, &host);
        if (host.code[0] == 'A')
            h = c;
        else
            extra[n++] = c;
    }
    ASSERT(h);
    struct wsc *a = igame_join(port, host.code, "Ada", &ada);
    igame_host_cmd(h, "start");
    igame_answer(a, 0, igame_question(a, 0));
    long long score = igame_result_score(a);
    ASSERT(score > 0);
    must(sh("podman restart -t 5 %s_shard-a_1", project), "podman restart (shard A)");
    ASSERT(wsc_wait_close(a, ITEST_T) > 0);   /* told: the connection ends */
    wsc_free(a);
    wait_status(port, "/api/rooms/A22222/x", 404, 30000);
    a = igame_join(port, host.code, NULL, &ada);
    json_t *st = igame_expect(a, "state");
    ASSERT_EQ(iget(json_object_get(st, "player"), "score"), score);
    json_decref(st);
    wsc_free(a);
    wsc_free(h);
    for (int i = 0; i < n; i++)
        wsc_free(extra[i]);
}

/* The IPv4 address of container `name` on its one network into out[n], or
 * fails. */
static void container_ip(const char *name, char *out, size_t n)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "timeout 30 podman inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' %s",
             name);
    FILE *f = popen(cmd, "r");
    ASSERT(f);
    if (!fgets(out, (int)n, f))
        out[0] = '\0';
    pclose(f);
    out[strcspn(out, "\n")] = '\0';
    if (!out[0])
        FAIL_AT("no address for container %s", name);
}

/* The sharded project's network, created here with a subnet of this run's
 * (QUIZD_NET): podman-compose 1.0 ignores the compose file's ipam, and two
 * runs at once never share a block. Tries the next block while one is
 * taken. */
static void create_sharded_network(void)
{
    snprintf(net_name, sizeof net_name, "%s_default", project2);
    for (int k = 0; k < 50; k++) {
        snprintf(net_prefix, sizeof net_prefix, "10.231.%ld", ((long)getpid() + k) % 250 + 1);
        if (!sh("podman network create --subnet %s.0/24 %s", net_prefix, net_name)) {
            setenv("QUIZD_NET", net_prefix, 1);
            return;
        }
    }
    net_name[0] = '\0';
    FAIL_AT("no free 10.231.N.0/24 for the sharded project's network");
}

/* The shards trust X-Forwarded-For from HAProxy's pinned address only: it
 * is QUIZD_NET.2, and the host, which reaches shard A's container address
 * from the network's gateway, cannot pick its address with the header: a
 * fresh one on every bogus join still runs out of its one budget. */
static void only_haproxy_is_trusted(const char *project)
{
    char want[32], ip[64], name[96];
    snprintf(want, sizeof want, "%s.2", net_prefix);
    snprintf(name, sizeof name, "%s_haproxy_1", project);
    container_ip(name, ip, sizeof ip);
    ASSERT_STR_EQ(ip, want);
    snprintf(name, sizeof name, "%s_shard-a_1", project);
    container_ip(name, ip, sizeof ip);
    wsc_set_dest(ip);
    int tries = 0;
    for (bool limited = false; !limited; tries++) {
        if (tries == 100)
            FAIL_AT("100 bogus joins straight to shard A (%s) with a forged X-Forwarded-For, "
                    "none refused: the host is trusted", ip);
        char hd[256];
        snprintf(hd, sizeof hd, "Host: %s:8080\r\nOrigin: http://%s:8080\r\n"
                 "X-Forwarded-For: 10.0.%d.%d\r\n", ip, ip, tries / 250, tries % 250);
        struct wsc *c = wsc_connect_ex(8080, "/ws?room=A22222", hd, ITEST_T, 0, NULL);
        if (!c)
            FAIL_AT("cannot reach shard A at %s:8080", ip);
        ASSERT_OK(wsc_sendf(c, "{\"type\":\"join\",\"code\":\"A22222\",\"name\":\"G%d\"}", tries));
        json_t *o = wsc_expect(c, "error", ITEST_T);
        ASSERT(o);
        const char *code = sget(o, "code");
        limited = !strcmp(code, "rate_limited");
        if (!limited && strcmp(code, "room_not_found"))
            FAIL_AT("bogus join %d straight to shard A: %s", tries, code);
        json_decref(o);
        wsc_free(c);
    }
    ASSERT_GE(tries, 31);
    wsc_set_dest(NULL);
}

#define BASE_IMAGE "docker.io/library/debian:bookworm-slim"
#define DEBIAN_MIRROR "http://deb.debian.org/debian/dists/bookworm/Release"

/* Every tool, the base image and one container actually run, or false (the
 * test skipped, saying why) when podman cannot run containers here or the
 * Debian mirror the images need is unreachable. */
static bool podman_runs(void)
{
    static const char pkgs[] = "podman podman-compose debootstrap runc "
                               "golang-github-containernetworking-plugin-dnsname";
    if (sh("for p in %s; do dpkg-query -W -f='${Status}' $p 2>/dev/null | "
           "grep -q 'install ok installed' || exit 1; done", pkgs)) {
        if (geteuid() != 0) {
            skip("podman is not installed and this is not root (apt-get install %s)", pkgs);
            return false;
        }
        if (sh_for(CMD_LONG_S, "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
                               "--no-install-recommends %s", pkgs) &&
            sh_for(CMD_LONG_S, "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install "
                               "-y -qq --no-install-recommends %s", pkgs)) {
            skip("podman could not be installed (apt-get failed: no Debian mirror?)");
            return false;
        }
    }
    /* The images install Debian packages (and the base comes from
     * debootstrap when missing): without the mirror nothing can be built. */
    if (sh("python3 -c 'import urllib.request; urllib.request.urlopen(\"%s\", timeout=20)'",
           DEBIAN_MIRROR)) {
        skip("the Debian mirror is unreachable (%s): the images cannot be built", DEBIAN_MIRROR);
        return false;
    }
    /* No registry here: the Dockerfiles' base comes from debootstrap (once). */
    if (sh("podman image exists " BASE_IMAGE) &&
        sh_for(CMD_LONG_S, "rm -rf '%s/rootfs' && debootstrap --variant=minbase bookworm '%s/rootfs' && "
                           "tar -C '%s/rootfs' -c . | podman import - " BASE_IMAGE "; "
                           "s=$?; rm -rf '%s/rootfs'; exit $s", dir, dir, dir, dir)) {
        skip("the " BASE_IMAGE " base image could not be made with debootstrap");
        return false;
    }
    /* podman info succeeds where no container can start (no user namespaces,
     * no cgroups, a runtime that fails): run one. */
    if (sh("podman run --rm --network none " BASE_IMAGE " true")) {
        skip("podman cannot run a container here (podman run --rm " BASE_IMAGE " true failed)");
        return false;
    }
    return true;
}

/* The project's own images, built from this tree. */
static void build_images(void)
{
    must(sh_for(CMD_LONG_S, "podman build --pull=never --network host -t %s .", image),
         "podman build (Dockerfile)");
    must(sh_for(CMD_LONG_S, "podman build --pull=never --network host -f deploy/haproxy.Dockerfile "
                            "-t %s .", haproxy_image),
         "podman build (deploy/haproxy.Dockerfile)");
}

static void test_images_compose_and_sharded_compose(void)
{
    if (getenv("QZ_TEST_SANITIZED")) {
        fprintf(stderr, "SKIPPED: sanitizer build (the images do not depend on it; the normal build runs this)\n");
        return;
    }
    snprintf(src, sizeof src, "%s", getenv("QZ_SOURCE_DIR"));
    snprintf(dir, sizeof dir, "/tmp/quizd-containers-XXXXXX");
    ASSERT(mkdtemp(dir));
    /* The machine's quirks (crun and the default rlimits fail here) go in a
     * containers.conf of the test's own, not in /etc. */
    char conf[128];
    snprintf(conf, sizeof conf, "%s/containers.conf", dir);
    FILE *f = fopen(conf, "w");
    ASSERT(f);
    fputs("[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=4096:4096\"]\n"
          "[engine]\nruntime = \"runc\"\n", f);
    fclose(f);
    setenv("CONTAINERS_CONF", conf, 1);
    if (!podman_runs())
        return;
    snprintf(one_name, sizeof one_name, "quizd-test-one-%ld", (long)getpid());
    snprintf(project1, sizeof project1, "quizdtest1p%ld", (long)getpid());
    snprintf(project2, sizeof project2, "quizdtest2p%ld", (long)getpid());
    snprintf(image, sizeof image, "localhost/quizd:test-%ld", (long)getpid());
    snprintf(haproxy_image, sizeof haproxy_image, "localhost/quizd-haproxy:test-%ld", (long)getpid());
    /* The compose files name their images from these (podman-compose runs
     * with this environment): a concurrent run's build never swaps them. */
    setenv("QUIZD_IMAGE", image, 1);
    setenv("QUIZD_HAPROXY_IMAGE", haproxy_image, 1);
    started = true;   /* from here an abort or an exit takes this run's containers down */
    atexit(take_down);
    signal(SIGABRT, on_abort);
    long long t0 = now_ms();
    build_images();
    fprintf(stderr, "images built in %.0f s\n", (double)(now_ms() - t0) / 1000);

    /* 1. One container, as `docker run` would. */
    int port = free_port();
    must(sh("podman run -d --rm --name %s -p 127.0.0.1:%d:8080 "
            "-v '%s/tests/data/packs:/packs:ro' %s", one_name, port, src, image),
         "podman run");
    wait_status(port, "/healthz", 200, 30000);
    play_game(port);
    must(sh("podman stop -t 5 %s", one_name), "podman stop");

    /* 2. docker-compose.yml: the one-container default. */
    port = free_port();
    must(sh_for(CMD_LONG_S, "QUIZD_PORT=%d QUIZD_PACKS=./tests/data/packs podman-compose -p %s up -d",
                port, project1),
         "podman-compose up");
    wait_status(port, "/healthz", 200, 30000);
    char *hd, *body;
    ASSERT_EQ(http_get(port, "/api/packs", &hd, &body, ITEST_T), 200);
    ASSERT_CONTAINS(body, "\"id\":\"python\"");   /* the bundled corpus, derived in the image */
    free(hd);
    free(body);
    play_game(port);
    must(sh("podman-compose -p %s down -v", project1), "podman-compose down");

    /* 3. docker-compose.sharded.yml: HAProxy and two shards. */
    port = free_port();
    create_sharded_network();
    must(sh_for(CMD_LONG_S, "QUIZD_PORT=%d QUIZD_PACKS=./tests/data/packs podman-compose "
                            "-f docker-compose.sharded.yml -p %s up -d", port, project2),
         "podman-compose up (sharded)");
    /* Routed once quizd, not HAProxy (503), answers for each shard. */
    wait_status(port, "/api/rooms/A22222/x", 404, 30000);
    wait_status(port, "/api/rooms/B22222/x", 404, 30000);
    wait_status(port, "/metrics", 404, 5000);   /* never through the proxy */
    bool seen_a = false, seen_b = false;
    for (int i = 0; i < 6 && !(seen_a && seen_b); i++) {
        char s = play_game(port);
        seen_a |= s == 'A';
        seen_b |= s == 'B';
    }
    ASSERT(seen_a && seen_b);
    shard_restart_keeps_the_room(port, project2);
    /* Last: the host's guesses there use up the budget of the address
     * HAProxy sees the test's own clients at (the same gateway). */
    only_haproxy_is_trusted(project2);
    must(sh("podman-compose -f docker-compose.sharded.yml -p %s down -v", project2),
         "podman-compose down (sharded)");
    sh("podman network rm -f %s", net_name);   /* podman-compose 1.0 may leave it */
    net_name[0] = '\0';
    must(sh("podman untag %s && podman untag %s", image, haproxy_image), "podman untag");
    started = false;
    fprintf(stderr, "containers test took %.0f s\n", (double)(now_ms() - t0) / 1000);
    sh("rm -rf '%s'", dir);
}

static struct test_case tests[] = {
    {"images_compose_and_sharded_compose", test_images_compose_and_sharded_compose},
};

TEST_MAIN(tests)
