/* Abuse limits (util/limit.c): token bucket refill and cost, the
 * once-a-second log gate, and the per-address table's lifetime rules. */
#include "test.h"
#include "util/limit.h"

static void test_bucket_burst_then_refill(void)
{
    struct bucket b;
    bucket_init(&b, 4, 1000);
    for (int i = 0; i < 4; i++)
        ASSERT(bucket_take(&b, 1000, 1, 4, 2));
    ASSERT(!bucket_take(&b, 1000, 1, 4, 2));
    ASSERT(!bucket_take(&b, 1499, 1, 4, 2));   /* 2/s: one credit after 500 ms */
    ASSERT(bucket_take(&b, 1500, 1, 4, 2));
    ASSERT(!bucket_take(&b, 1500, 1, 4, 2));
    ASSERT(!bucket_take(&b, 2000, 2, 4, 2));   /* cost 2 needs two credits */
    ASSERT(bucket_take(&b, 2500, 2, 4, 2));
    ASSERT(!bucket_is_full(&b, 3000, 4, 2));
    ASSERT(bucket_is_full(&b, 4500, 4, 2));
    ASSERT(bucket_take(&b, 100000, 4, 4, 2));  /* refill is capped at the burst */
    ASSERT(!bucket_take(&b, 100000, 1, 4, 2));
    ASSERT(!bucket_take(&b, 50, 1, 4, 2));     /* a clock going back refills nothing */
    ASSERT(!bucket_can(&b, 100000, 1, 4, 2));
    ASSERT(bucket_can(&b, 100500, 1, 4, 2));   /* looking takes nothing */
    ASSERT(bucket_can(&b, 100500, 1, 4, 2));
    ASSERT(!bucket_can(&b, 100500, 2, 4, 2));
}

static void test_log_gate_once_per_interval(void)
{
    struct log_gate g = {0};
    uint64_t dropped = 99;
    ASSERT(log_gate_pass(&g, 5000, 1000, &dropped));
    ASSERT_EQ(dropped, 0);
    for (int i = 0; i < 1000; i++)
        ASSERT(!log_gate_pass(&g, 5000 + (uint64_t)i % 1000, 1000, &dropped));
    ASSERT(log_gate_pass(&g, 6000, 1000, &dropped));
    ASSERT_EQ(dropped, 1000);
    ASSERT(log_gate_pass(&g, 9000, 1000, &dropped));
    ASSERT_EQ(dropped, 0);
}

static void test_addrtab_counts_and_sweeps(void)
{
    struct addrtab *t = addrtab_create(100000);
    struct addr_entry *a = addrtab_get(t, "10.0.0.1", 0, 20, 20);
    struct addr_entry *b = addrtab_get(t, "::1", 0, 20, 20);
    ASSERT(a != b);
    ASSERT_EQ(addrtab_get(t, "10.0.0.1", 10, 20, 20), a);   /* same address, same entry */
    ASSERT_EQ(addrtab_len(t), 2);
    ASSERT(bucket_take(&a->misses, 10, 20, 20, 1));          /* starts full */
    ASSERT(!bucket_take(&a->misses, 10, 1, 20, 1));
    ASSERT(bucket_take(&b->misses, 10, 1, 20, 1));           /* per address, not shared */
    a->conns = 1;
    b->rooms = 1;
    ASSERT_EQ(addrtab_sweep(t, 1000000, 60000), 0);          /* in use: kept */
    a->conns = 0;
    a->proxied = 1;                                          /* a trusted proxy's socket */
    ASSERT_EQ(addrtab_sweep(t, 1000000, 60000), 0);
    a->proxied = 0;
    ASSERT_EQ(addrtab_sweep(t, 30000, 60000), 0);            /* touched too recently */
    ASSERT_EQ(addrtab_sweep(t, 1000000, 60000), 1);
    ASSERT(!addrtab_find(t, "10.0.0.1"));
    ASSERT_EQ(addrtab_find(t, "::1"), b);                    /* re-indexed after the swap */
    /* Many addresses: every one found again after sweeping half. */
    char name[ADDR_MAX];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "192.168.%d.%d", i / 256, i % 256);
        addrtab_get(t, name, (uint64_t)i, 20, 20)->conns = (uint32_t)(i % 2);
    }
    ASSERT_EQ(addrtab_sweep(t, 10000000, 60000), 2500);
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "192.168.%d.%d", i / 256, i % 256);
        struct addr_entry *e = addrtab_find(t, name);
        ASSERT_EQ(e != NULL, i % 2);
        if (e)
            ASSERT_STR_EQ(e->addr, name);
    }
    addrtab_destroy(t);
    addrtab_destroy(NULL);
}

/* A full table hands new addresses one shared entry, found again by its
 * name (exports look entries up by it), until a sweep makes room. */
static void test_addrtab_is_bounded(void)
{
    struct addrtab *t = addrtab_create(3);
    struct addr_entry *a = addrtab_get(t, "10.0.0.1", 0, 20, 20);
    addrtab_get(t, "10.0.0.2", 0, 20, 20)->conns = 1;
    addrtab_get(t, "10.0.0.3", 0, 20, 20)->conns = 1;
    struct addr_entry *o = addrtab_get(t, "10.0.0.4", 0, 20, 20);
    ASSERT_STR_EQ(o->addr, ADDRTAB_OVERFLOW);
    ASSERT_EQ(addrtab_get(t, "2001:db8::/64", 0, 20, 20), o);   /* shared */
    ASSERT_EQ(addrtab_get(t, "10.0.0.1", 0, 20, 20), a);        /* known ones keep theirs */
    ASSERT_EQ(addrtab_len(t), 3);
    ASSERT(!addrtab_find(t, "10.0.0.4"));
    ASSERT_EQ(addrtab_find(t, ADDRTAB_OVERFLOW), o);
    ASSERT(bucket_take(&o->misses, 0, 20, 20, 1));
    ASSERT(!bucket_take(&addrtab_get(t, "10.0.0.5", 0, 20, 20)->misses, 0, 1, 20, 1));
    o->conns = 1;
    ASSERT_EQ(addrtab_sweep(t, 1000000, 60000), 1);   /* 10.0.0.1 goes; the overflow entry stays */
    ASSERT_EQ(addrtab_find(t, ADDRTAB_OVERFLOW), o);
    struct addr_entry *e = addrtab_get(t, "10.0.0.4", 1000000, 20, 20);
    ASSERT(e != o);
    ASSERT_STR_EQ(e->addr, "10.0.0.4");
    addrtab_destroy(t);
}

static struct test_case tests[] = {
    {"bucket_burst_then_refill", test_bucket_burst_then_refill},
    {"log_gate_once_per_interval", test_log_gate_once_per_interval},
    {"addrtab_counts_and_sweeps", test_addrtab_counts_and_sweeps},
    {"addrtab_is_bounded", test_addrtab_is_bounded},
};

TEST_MAIN(tests)
