/* A tiny test framework in the style of libuv's task.h: assertions print
 * both operands and are never compiled out; each file lists its tests in a
 * table and calls TEST_MAIN. */
#ifndef QZ_TEST_H
#define QZ_TEST_H
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int test_failures;

#define FAIL_AT(...)                                                                               \
    do {                                                                                           \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                            \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

#define ASSERT(c)                                                                                  \
    do {                                                                                           \
        if (!(c))                                                                                  \
            FAIL_AT("assertion failed: %s", #c);                                                   \
    } while (0)
#define ASSERT_EQ(a, b)                                                                            \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_)                                                                              \
            FAIL_AT("%s == %s failed: %lld != %lld", #a, #b, a_, b_);                              \
    } while (0)
#define ASSERT_NE(a, b)                                                                            \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ == b_)                                                                              \
            FAIL_AT("%s != %s failed: both %lld", #a, #b, a_);                                     \
    } while (0)
#define ASSERT_GE(a, b)                                                                            \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ < b_)                                                                               \
            FAIL_AT("%s >= %s failed: %lld < %lld", #a, #b, a_, b_);                               \
    } while (0)
#define ASSERT_LE(a, b)                                                                            \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ > b_)                                                                               \
            FAIL_AT("%s <= %s failed: %lld > %lld", #a, #b, a_, b_);                               \
    } while (0)
#define ASSERT_OK(a) ASSERT_EQ(a, 0)
#define ASSERT_STR_EQ(a, b)                                                                        \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_))                                                          \
            FAIL_AT("%s == %s failed: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)",               \
                    b_ ? b_ : "(null)");                                                           \
    } while (0)
#define ASSERT_CONTAINS(hay, needle)                                                               \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (!h_ || !strstr(h_, n_))                                                                \
            FAIL_AT("%s does not contain \"%s\": \"%.300s\"", #hay, n_, h_ ? h_ : "(null)");       \
    } while (0)

struct test_case {
    const char *name;
    void (*fn)(void);
};

/* Runs every test (or those named on the command line); a failing assertion
 * aborts, so ctest reports the binary as failed with the message above. */
#define TEST_MAIN(table)                                                                           \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        int ran = 0;                                                                               \
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {                            \
            int pick = argc < 2;                                                                   \
            for (int a = 1; a < argc; a++)                                                         \
                pick |= !strcmp(argv[a], table[i].name);                                           \
            if (!pick)                                                                             \
                continue;                                                                          \
            fprintf(stderr, "[ RUN  ] %s\n", table[i].name);                                       \
            table[i].fn();                                                                         \
            fprintf(stderr, "[  OK  ] %s\n", table[i].name);                                       \
            ran++;                                                                                 \
        }                                                                                          \
        fprintf(stderr, "%d passed, 0 failed\n", ran);                                             \
        return ran ? 0 : 1;                                                                        \
    }

#endif
