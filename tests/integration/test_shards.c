/* One shard as a plain process: --shard validation, every room code it
 * creates starts with its id, and the room code in the WebSocket URL
 * (/ws?room=CODE, as the web client sends it for join and resume) is
 * accepted for players and the host; a data directory written by one shard
 * is refused (exit 1, saying how to fix it) by a quizd with another. The
 * proxy in front of several shards is test_haproxy.c. */
#include "igame.h"
#include <sys/wait.h>

static void test_bad_shard_ids_exit_2(void)
{
    /* Lower case, two characters, empty, and characters the alphabet leaves out. */
    static const char *bad[] = {"--shard=k", "--shard=KK", "--shard=", "--shard=0", "--shard=I",
                                "--shard"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char cmd[1024];
        /* Bounded: a regressed check would leave quizd serving, not exiting. */
        snprintf(cmd, sizeof cmd, "timeout 10 %s --no-corpus %s >/dev/null 2>&1", proc_quizd_path(),
                 bad[i]);
        int st = system(cmd);
        ASSERT(WIFEXITED(st));
        if (WEXITSTATUS(st) != 2)
            FAIL_AT("%s exited %d, expected 2", bad[i], WEXITSTATUS(st));
    }
}

static void test_shard_codes_and_room_in_url(void)
{
    static const char *extra[] = {"--shard=Q", NULL};
    struct proc p;
    itest_start(&p, extra);
    struct igame_seat host[5] = {0};
    struct wsc *h[5];
    for (int i = 0; i < 5; i++) {
        h[i] = igame_create(p.port, 2, &host[i]);
        ASSERT_EQ(host[i].code[0], 'Q');
    }
    /* A player joins with the code in the URL, the host re-attaches the same way. */
    struct igame_seat ada = {0};
    struct wsc *a = igame_join(p.port, host[2].code, "Ada", &ada);
    wsc_free(h[2]);
    char phase[16];
    h[2] = igame_host_resume(p.port, &host[2], phase);
    ASSERT_STR_EQ(phase, "lobby");
    igame_host_cmd(h[2], "start");
    int right = igame_question(a, 0);
    igame_answer(a, 0, right);
    ASSERT(igame_result_score(a) > 0);
    /* The player drops and resumes with its token through /ws?room=CODE. */
    wsc_free(a);
    a = igame_join(p.port, host[2].code, NULL, &ada);
    json_t *st = igame_expect(a, "state");
    ASSERT_STR_EQ(sget(st, "phase"), "reveal");
    ASSERT(iget(json_object_get(st, "player"), "score") > 0);
    json_decref(st);
    wsc_free(a);
    for (int i = 0; i < 5; i++)
        wsc_free(h[i]);
    itest_stop(&p);
}

/* quizd's exit status and the first 4 KB of its stderr with `opts`. */
static int run_quizd(const char *opts, char *err, size_t n)
{
    char cmd[2048];
    /* Bounded: a regressed check would leave quizd serving, not exiting. */
    snprintf(cmd, sizeof cmd, "timeout 10 %s --no-corpus --packs=%s/tests/data/packs --port=0"
             " --bind=127.0.0.1 %s 2>&1 >/dev/null", proc_quizd_path(), getenv("QZ_SOURCE_DIR"), opts);
    FILE *f = popen(cmd, "r");
    ASSERT(f);
    size_t got = fread(err, 1, n - 1, f);
    err[got] = '\0';
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Issue 14: --data reused with another --shard restored rooms whose codes
 * the proxy routes to a different shard. Now the directory remembers its
 * shard, and another one (or none) exits 1 naming the shard and the fix. */
static void test_data_of_another_shard_is_refused(void)
{
    char dir[] = "/tmp/qz-shard-data-XXXXXX", data[64], opt[96], err[4096];
    ASSERT(mkdtemp(dir));
    snprintf(data, sizeof data, "--data=%s", dir);
    static const char *sh[] = {"--shard=K", NULL, NULL};
    sh[1] = data;
    struct proc p;
    itest_start(&p, sh);
    struct igame_seat host = {0};
    struct wsc *h = igame_create(p.port, 2, &host);
    ASSERT_EQ(host.code[0], 'K');
    wsc_free(h);
    itest_stop(&p);

    snprintf(opt, sizeof opt, "%s --shard=M", data);
    ASSERT_EQ(run_quizd(opt, err, sizeof err), 1);
    ASSERT_CONTAINS(err, "written by shard K");
    ASSERT_CONTAINS(err, "--shard K");
    ASSERT_CONTAINS(err, "data directory of its own");
    ASSERT_EQ(run_quizd(data, err, sizeof err), 1);   /* no --shard at all */
    ASSERT_CONTAINS(err, "written by shard K");

    /* The same shard again: it starts, and the room is still there. */
    itest_start(&p, sh);
    struct igame_seat back = host;
    char phase[16];
    h = igame_host_resume(p.port, &back, phase);
    ASSERT_STR_EQ(phase, "lobby");
    wsc_free(h);
    itest_stop(&p);
    proc_rm_tree(dir);
}

static struct test_case tests[] = {
    {"bad_shard_ids_exit_2", test_bad_shard_ids_exit_2},
    {"shard_codes_and_room_in_url", test_shard_codes_and_room_in_url},
    {"data_of_another_shard_is_refused", test_data_of_another_shard_is_refused},
};

TEST_MAIN(tests)
