/* One shard as a plain process: --shard validation, every room code it
 * creates starts with its id, and the room code in the WebSocket URL
 * (/ws?room=CODE, as the web client sends it for join and resume) is
 * accepted for players and the host. The proxy in front of several shards
 * is test_haproxy.c. */
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

static struct test_case tests[] = {
    {"bad_shard_ids_exit_2", test_bad_shard_ids_exit_2},
    {"shard_codes_and_room_in_url", test_shard_codes_and_room_in_url},
};

TEST_MAIN(tests)
