#define _GNU_SOURCE
#include "proc.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef QUIZD_BIN
#define QUIZD_BIN "quizd"
#endif

const char *proc_quizd_path(void)
{
    const char *e = getenv("QUIZD");
    return e && *e ? e : QUIZD_BIN;
}

int proc_timeout(int ms)
{
    const char *m = getenv("QZ_TEST_TIMEOUT_MULTIPLIER");
    int k = m ? atoi(m) : 1;
    return ms * (k > 0 ? k : 1);
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int proc_start_quizd(struct proc *p, const char *const *extra, int timeout_ms)
{
    int fds[2];
    const char *argv[64];
    int n = 0;
    /* QZ_VALGRIND=1 runs the server under valgrind: any leak or memory error
     * at shutdown makes it exit 99, which proc_stop reports. */
    if (getenv("QZ_VALGRIND") && *getenv("QZ_VALGRIND") == '1') {
        argv[n++] = "/usr/bin/valgrind";
        argv[n++] = "--quiet";
        argv[n++] = "--error-exitcode=99";
        argv[n++] = "--leak-check=full";
        argv[n++] = "--show-leak-kinds=definite,indirect,possible";
        argv[n++] = "--errors-for-leak-kinds=definite,indirect,possible";
    }
    argv[n++] = proc_quizd_path();
    argv[n++] = "--port=0";
    argv[n++] = "--bind=127.0.0.1";
    int has_data = 0;
    for (int i = 0; extra && extra[i] && n < 61; i++) {
        argv[n++] = extra[i];
        has_data |= !strncmp(extra[i], "--data", 6) || !strcmp(extra[i], "--no-data");
    }
    static char data_arg[80];
    p->data_dir[0] = '\0';
    if (!has_data) {
        snprintf(p->data_dir, sizeof p->data_dir, "/tmp/qz-itest-XXXXXX");
        if (!mkdtemp(p->data_dir))
            return -1;
        snprintf(data_arg, sizeof data_arg, "--data=%s", p->data_dir);
        argv[n++] = data_arg;
    }
    argv[n] = NULL;
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* If the test aborts, the server must not outlive it (ctest would
         * wait for the inherited pipes until its timeout). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fds[1], 1);
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s failed: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    p->pid = pid;
    p->out_fd = fds[0];
    p->port = 0;
    /* Read stdout until "quizd: listening port=N" or the deadline. */
    char buf[4096];
    size_t len = 0;
    long long deadline = mono_ms() + proc_timeout(timeout_ms);
    while (mono_ms() < deadline && len < sizeof buf - 1) {
        struct pollfd pf = {p->out_fd, POLLIN, 0};
        if (poll(&pf, 1, (int)(deadline - mono_ms())) <= 0)
            break;
        ssize_t r = read(p->out_fd, buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = 0;
        char *s = strstr(buf, "listening port=");
        if (s && strchr(s, '\n')) {
            p->port = atoi(s + 15);
            return p->port > 0 ? 0 : -1;
        }
    }
    fprintf(stderr, "quizd did not report readiness: %.200s\n", buf);
    proc_stop(p, SIGKILL, 2000);
    return -1;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void proc_rm_tree(const char *dir)
{
    if (dir && *dir)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int proc_stop(struct proc *p, int sig, int timeout_ms)
{
    if (p->pid <= 0)
        return -1;
    kill(p->pid, sig);
    /* The child's stdout closes when it exits: wait for EOF, bounded. */
    long long deadline = mono_ms() + proc_timeout(timeout_ms);
    char buf[4096];
    int status = 0, result = -1;
    for (;;) {
        long long left = deadline - mono_ms();
        if (left <= 0)
            break;
        struct pollfd pf = {p->out_fd, POLLIN, 0};
        if (poll(&pf, 1, (int)left) <= 0)
            break;
        if (read(p->out_fd, buf, sizeof buf) <= 0) {
            if (waitpid(p->pid, &status, 0) == p->pid)
                result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
    }
    if (result < 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &status, 0);
    }
    close(p->out_fd);
    p->pid = 0;
    proc_rm_tree(p->data_dir);
    p->data_dir[0] = '\0';
    return result;
}
