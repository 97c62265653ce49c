/* IP literals and X-Forwarded-For (util/forwarded.c): only a bare IPv4 or
 * IPv6 literal in the last entry names a client; everything else is refused
 * so the caller keeps the peer address. */
#include "test.h"
#include "util/forwarded.h"

#include <string.h>
#include <sys/socket.h>

static const char *fmt(const struct ip_addr *a)
{
    static char s[ADDR_MAX];
    ip_addr_format(a, s);
    return s;
}

static void test_ip_addr_parse_accepts_literals_only(void)
{
    struct ip_addr a, b;
    ASSERT(ip_addr_parse("127.0.0.1", &a));
    ASSERT_EQ(a.family, AF_INET);
    ASSERT_STR_EQ(fmt(&a), "127.0.0.1");
    ASSERT(ip_addr_parse("2001:DB8:0:0::1", &a));
    ASSERT_EQ(a.family, AF_INET6);
    ASSERT_STR_EQ(fmt(&a), "2001:db8::1");
    /* An IPv4-mapped address is the IPv4 client it maps. */
    ASSERT(ip_addr_parse("::ffff:10.1.2.3", &a));
    ASSERT(ip_addr_parse("10.1.2.3", &b));
    ASSERT(ip_addr_equal(&a, &b));
    ASSERT_STR_EQ(fmt(&a), "10.1.2.3");
    static const char *bad[] = {"", " 1.2.3.4", "1.2.3.4 ", "1.2.3", "1.2.3.4.5", "256.1.1.1",
                                "01.2.3.4", "1.2.3.4:80", "[::1]", "::1%lo", "fe80::1%eth0",
                                "10.0.0.0/8", "localhost", "unknown", "0x7f.0.0.1", "1.2.3.-4",
                                "::ffff:zz", "1:2:3:4:5:6:7:8:9",
                                "0000:0000:0000:0000:0000:0000:0000:0000:0000:0001"};
    memset(&a, 0x5a, sizeof a);
    b = a;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (ip_addr_parse(bad[i], &a))
            FAIL_AT("'%s' parsed as %s", bad[i], fmt(&a));
        ASSERT(!memcmp(&a, &b, sizeof a));   /* untouched */
    }
    /* A NUL inside the length is not the end of the literal. */
    ASSERT(!ip_addr_parse_n("1.2.3.4\0x", 9, &a));
    ASSERT(ip_addr_parse_n("1.2.3.4,5", 7, &a));
    ASSERT_STR_EQ(fmt(&a), "1.2.3.4");
}

static bool net(const char *s, struct ip_net *n)
{
    return ip_net_parse_n(s, strlen(s), n);
}

static void test_ip_net_matches_addresses_and_blocks(void)
{
    struct ip_net l[3];
    struct ip_addr a;
    ASSERT(net("127.0.0.1", &l[0]));
    ASSERT_EQ(l[0].bits, 32);
    ASSERT(net("::1", &l[1]));
    ASSERT_EQ(l[1].bits, 128);
    ASSERT(net("10.88.0.0/16", &l[2]));
    ASSERT(ip_addr_parse("::ffff:127.0.0.1", &a));
    ASSERT(ip_net_in(&a, l, 3));
    ASSERT(ip_addr_parse("0:0::1", &a));
    ASSERT(ip_net_in(&a, l, 3));
    ASSERT(ip_addr_parse("10.88.255.7", &a));
    ASSERT(ip_net_in(&a, l, 3));
    ASSERT(ip_addr_parse("10.89.0.1", &a));
    ASSERT(!ip_net_in(&a, l, 3));
    ASSERT(ip_addr_parse("127.0.0.2", &a));
    ASSERT(!ip_net_in(&a, l, 3));
    ASSERT(!ip_net_in(&a, l, 0));
    /* The same leading bytes in another family are another address. */
    ASSERT(ip_addr_parse("a58::", &a));
    ASSERT(!ip_net_in(&a, l, 3));
    /* Odd prefix lengths, both families, and the whole space. */
    ASSERT(net("192.168.0.0/23", &l[0]));
    ASSERT(ip_addr_parse("192.168.1.255", &a));
    ASSERT(ip_net_in(&a, l, 1));
    ASSERT(ip_addr_parse("192.168.2.0", &a));
    ASSERT(!ip_net_in(&a, l, 1));
    ASSERT(net("2001:db8::/33", &l[0]));
    ASSERT(ip_addr_parse("2001:db8:7fff::1", &a));
    ASSERT(ip_net_in(&a, l, 1));
    ASSERT(ip_addr_parse("2001:db8:8000::1", &a));
    ASSERT(!ip_net_in(&a, l, 1));
    ASSERT(net("0.0.0.0/0", &l[0]));
    ASSERT(ip_addr_parse("203.0.113.9", &a));
    ASSERT(ip_net_in(&a, l, 1));
    static const char *bad[] = {"10.0.0.1/8", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/08",
                                "10.0.0.0/-1", "10.0.0.0/8/8", "/8", "10.0.0.0/ 8", "10.0.0.0/1000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (net(bad[i], &l[0]))
            FAIL_AT("'%s' parsed as a block", bad[i]);
}

static void test_xff_takes_the_last_entry(void)
{
    struct ip_addr a;
    ASSERT(xff_last("203.0.113.7", &a));
    ASSERT_STR_EQ(fmt(&a), "203.0.113.7");
    /* What the client sent comes first; the proxy appended the last one. */
    ASSERT(xff_last("127.0.0.1, 10.0.0.1,203.0.113.7", &a));
    ASSERT_STR_EQ(fmt(&a), "203.0.113.7");
    ASSERT(xff_last("garbage, \t2001:db8::7 \t", &a));
    ASSERT_STR_EQ(fmt(&a), "2001:db8::7");
    /* Two header lines, as lws joins them ("a, b" + " c"). */
    ASSERT(xff_last("6.6.6.6, 7.7.7.7, 198.51.100.1", &a));
    ASSERT_STR_EQ(fmt(&a), "198.51.100.1");
}

static void test_xff_refuses_a_malformed_last_entry(void)
{
    static const char *bad[] = {"", " ", ",", "1.2.3.4,", "1.2.3.4, ", "unknown",
                                "1.2.3.4, unknown", "1.2.3.4:5678", "[2001:db8::1]:443",
                                "1.2.3.4 5.6.7.8", "for=1.2.3.4", "\"1.2.3.4\"", "_hidden",
                                "10.0.0.1;proto=http", "1.2.3.4\r\n"};
    struct ip_addr a;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (xff_last(bad[i], &a))
            FAIL_AT("X-Forwarded-For '%s' named %s", bad[i], fmt(&a));
}

/* The budgets' key: IPv4 as written, IPv6 by its /64 (a home line's or a
 * VM's whole block is one client). */
static void test_client_key_is_the_v6_slash_64(void)
{
    char k1[ADDR_MAX], k2[ADDR_MAX];
    struct ip_addr a, b;
    ASSERT(ip_addr_parse("203.0.113.7", &a));
    ip_addr_client_key(&a, k1);
    ASSERT_STR_EQ(k1, "203.0.113.7");
    ASSERT(ip_addr_parse("::ffff:203.0.113.7", &a));
    ip_addr_client_key(&a, k1);
    ASSERT_STR_EQ(k1, "203.0.113.7");
    ASSERT(ip_addr_parse("2001:db8:1:2:aaaa:bbbb:cccc:dddd", &a));
    ASSERT(ip_addr_parse("2001:db8:1:2::1", &b));
    ip_addr_client_key(&a, k1);
    ip_addr_client_key(&b, k2);
    ASSERT_STR_EQ(k1, "2001:db8:1:2::/64");
    ASSERT_STR_EQ(k2, k1);
    ASSERT(ip_addr_parse("2001:db8:1:3::1", &b));
    ip_addr_client_key(&b, k2);
    ASSERT_STR_EQ(k2, "2001:db8:1:3::/64");
    ASSERT(ip_addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &a));
    ip_addr_client_key(&a, k1);
    ASSERT_STR_EQ(k1, "ffff:ffff:ffff:ffff::/64");
}

static struct test_case tests[] = {
    {"ip_addr_parse_accepts_literals_only", test_ip_addr_parse_accepts_literals_only},
    {"ip_net_matches_addresses_and_blocks", test_ip_net_matches_addresses_and_blocks},
    {"xff_takes_the_last_entry", test_xff_takes_the_last_entry},
    {"xff_refuses_a_malformed_last_entry", test_xff_refuses_a_malformed_last_entry},
    {"client_key_is_the_v6_slash_64", test_client_key_is_the_v6_slash_64},
};

TEST_MAIN(tests)
