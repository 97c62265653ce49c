/* Starts the real quizd as a child process on a free port and reads the
 * port back from its first stdout line: readiness without sleeps. */
#ifndef QZ_PROC_H
#define QZ_PROC_H
#include <sys/types.h>

struct proc {
    pid_t pid;
    int out_fd;        /* child's stdout */
    int port;
    char data_dir[64]; /* the fresh --data directory made for it ("" = none) */
};

/* argv_extra: NULL-terminated extra arguments. Unless they name --data or
 * --no-data, the server gets a fresh temporary --data directory, removed
 * by proc_stop: every test runs with persistence on, as users do.
 * Returns 0 or -1. */
int proc_start_quizd(struct proc *p, const char *const *argv_extra, int timeout_ms);
/* Sends sig and waits (bounded) for exit; returns the exit status (0-255),
 * 128+signal when killed by a signal, or -1 on timeout (then SIGKILLs). */
int proc_stop(struct proc *p, int sig, int timeout_ms);
/* Path of the quizd binary under test (QUIZD env, else the build default). */
const char *proc_quizd_path(void);
/* Removes a directory tree (a test's data directory). */
void proc_rm_tree(const char *dir);
/* Scales timeouts for sanitizer/valgrind runs (QZ_TEST_TIMEOUT_MULTIPLIER). */
int proc_timeout(int ms);

#endif
