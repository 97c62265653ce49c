/* Rooms without sockets: an injected clock and timers, a recording
 * transport. Covers lookup by code, encode-once fan-out, who gets a result
 * or a review (the core's rule), lobby throttling, deadlines, kick,
 * host takeover and idle collection. */
#include "rooms/rooms.h"
#include "test.h"
#include "util/err.h"
#include "util/xmalloc.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- the fake environment ---- */

struct rooms_timer {
    rooms_timer_fn *fn;
    void *arg;
    qz_ms due;
    bool active;
};

#define MAX_TIMERS 1024
static struct rooms_timer *timers[MAX_TIMERS];
static size_t n_timers, live_timers;
static qz_ms fake_now;
static uint32_t rnd_state = 1;

struct sent {
    struct member *m;
    struct frame *f;
};
static struct sent *sent;
static size_t n_sent, cap_sent;

static qz_ms f_now(void *a) { (void)a; return fake_now; }
static uint64_t f_now_ns(void *a) { (void)a; return fake_now * 1000000; }

static void f_random(void *a, void *buf, size_t n)
{
    (void)a;
    for (size_t i = 0; i < n; i++) {
        rnd_state = rnd_state * 1103515245u + 12345u;
        ((unsigned char *)buf)[i] = (unsigned char)(rnd_state >> 16);
    }
}

static struct rooms_timer *f_timer_create(void *a, rooms_timer_fn *fn, void *arg)
{
    (void)a;
    ASSERT(n_timers < MAX_TIMERS);
    struct rooms_timer *t = xcalloc(1, sizeof *t);
    t->fn = fn;
    t->arg = arg;
    timers[n_timers++] = t;
    live_timers++;
    return t;
}

static void f_timer_start(struct rooms_timer *t, qz_ms d) { t->due = fake_now + d; t->active = true; }
static void f_timer_stop(struct rooms_timer *t) { t->active = false; }
static bool f_timer_active(const struct rooms_timer *t) { return t->active; }

static void f_timer_destroy(struct rooms_timer *t)
{
    for (size_t i = 0; i < n_timers; i++)
        if (timers[i] == t)
            timers[i] = NULL;
    free(t);
    live_timers--;
}

static void f_send(void *a, struct member *m, struct frame *f)
{
    (void)a;
    if (n_sent == cap_sent) {
        cap_sent = cap_sent ? cap_sent * 2 : 256;
        sent = xrealloc(sent, cap_sent * sizeof *sent);
    }
    sent[n_sent++] = (struct sent){m, frame_ref(f)};
}

static struct member *dropped[16];
static size_t n_dropped;

static void f_drop(void *a, struct member *m)
{
    (void)a;
    ASSERT(n_dropped < 16);
    dropped[n_dropped++] = m;
}

static const struct rooms_env env = {
    .arg = NULL, .now = f_now, .now_ns = f_now_ns, .random = f_random,
    .timer_create = f_timer_create, .timer_start = f_timer_start, .timer_stop = f_timer_stop,
    .timer_active = f_timer_active, .timer_destroy = f_timer_destroy, .send = f_send,
    .drop = f_drop,
};

/* Moves the clock to now + ms, firing due timers in order of their deadlines. */
static void advance(qz_ms ms)
{
    qz_ms target = fake_now + ms;
    for (;;) {
        struct rooms_timer *next = NULL;
        for (size_t i = 0; i < n_timers; i++)
            if (timers[i] && timers[i]->active && timers[i]->due <= target &&
                (!next || timers[i]->due < next->due))
                next = timers[i];
        if (!next)
            break;
        if (next->due > fake_now)
            fake_now = next->due;
        next->active = false;
        next->fn(next->arg);
    }
    fake_now = target;
}

static void clear_sent(void)
{
    for (size_t i = 0; i < n_sent; i++)
        frame_unref(sent[i].f);
    n_sent = 0;
}

static const char *text(const struct sent *s)
{
    return (const char *)frame_payload(s->f);
}

static bool is_type(const struct sent *s, const char *type)
{
    char pat[48];
    snprintf(pat, sizeof pat, "\"type\":\"%s\"", type);
    return strstr(text(s), pat) != NULL;
}

/* How many `type` messages m received (m NULL: anyone). */
static size_t count(struct member *m, const char *type)
{
    size_t n = 0;
    for (size_t i = 0; i < n_sent; i++)
        n += (!m || sent[i].m == m) && is_type(&sent[i], type);
    return n;
}

static const struct sent *last(struct member *m, const char *type)
{
    for (size_t i = n_sent; i-- > 0;)
        if (sent[i].m == m && is_type(&sent[i], type))
            return &sent[i];
    return NULL;
}

/* ---- fixtures ---- */

static struct qz_pack *make_pack(int n)
{
    struct qz_pack *p = qz_pack_create("t", "Test", "unit");
    for (int i = 0; i < n; i++) {
        struct qz_question *q = qz_pack_add(p);
        q->id = xasprintf("q%d", i);
        q->kind = xstrdup("imported");
        q->category = xstrdup("C");
        q->prompt = xasprintf("Question %d", i);
        q->n_options = 4;
        for (int k = 0; k < 4; k++)
            q->options[k] = xasprintf("option %d", k);
        q->correct = 0;
        q->explanation = xstrdup("because");
        q->difficulty = 1;
        q->time_s = 30;
    }
    qz_pack_index(p);
    return p;
}

static struct qz_pack *pack;
static struct rooms *rs;

static void setup_cfg(struct rooms_config cfg)
{
    fake_now = 1000000;
    pack = make_pack(5);
    rs = rooms_create(&cfg, &env, &pack, 1);
}

static void setup(unsigned idle_s)
{
    struct rooms_config cfg = {.max_players_cap = 100, .room_idle_s = idle_s, .reveal_ms = 8000,
                               .leaderboard_ms = 5000, .clock = {0}};
    setup_cfg(cfg);
}

static void teardown(void)
{
    rooms_destroy(rs);
    clear_sent();
    ASSERT_EQ(live_timers, 0);   /* every timer rooms made was destroyed */
    n_timers = 0;
    qz_pack_destroy(pack);
}

static void request(struct member *m, const char *json)
{
    struct proto_req q;
    struct proto_error e;
    ASSERT_OK(proto_decode(json, strlen(json), &q, &e));
    rooms_request(rs, m, &q);
}

/* Creates a room hosted by h; returns its code in code[7]. */
static void create(struct member *h, const char *extra, char code[PROTO_CODE_LEN + 1])
{
    char j[160];
    snprintf(j, sizeof j, "{\"type\":\"create_room\",\"count\":3%s}", extra);
    request(h, j);
    const struct sent *s = last(h, "room_created");
    ASSERT(s);
    const char *c = strstr(text(s), "\"code\":\"");
    ASSERT(c);
    memcpy(code, c + 8, PROTO_CODE_LEN);
    code[PROTO_CODE_LEN] = '\0';
    ASSERT(h->room && h->role == MEMBER_HOST);
}

static void join(struct member *p, const char *code, const char *name)
{
    char j[128];
    snprintf(j, sizeof j, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"%s\"}", code, name);
    request(p, j);
    ASSERT(p->role == MEMBER_PLAYER);
}

/* ---- tests ---- */

static void test_rooms_are_found_by_code_among_many(void)
{
    setup(1800);
    enum { N = 300 };   /* several rehashes of the 64-bucket table */
    static struct member hosts[N];
    static char codes[N][PROTO_CODE_LEN + 1];
    memset(hosts, 0, sizeof hosts);
    for (int i = 0; i < N; i++)
        create(&hosts[i], "", codes[i]);
    ASSERT_EQ(rooms_count(rs), N);
    for (int i = 0; i < N; i++) {
        struct room *r = rooms_find(rs, codes[i]);
        ASSERT(r && r == hosts[i].room);
        ASSERT_STR_EQ(room_code(r), codes[i]);
    }
    /* A code no room has: not found, and a join names the error. */
    const char *none = "222222";
    for (int i = 0; i < N; i++)
        ASSERT(strcmp(codes[i], none) || (none = "333333", strcmp(codes[i], none)));
    ASSERT(rooms_find(rs, none) == NULL);
    struct member stray = {0};
    char j[96];
    snprintf(j, sizeof j, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"X\"}", none);
    request(&stray, j);
    ASSERT_CONTAINS(text(last(&stray, "error")), "room_not_found");
    ASSERT(stray.room == NULL);
    teardown();
}

static void test_a_shard_starts_every_code_with_its_id(void)
{
    ASSERT(rooms_shard_valid("K") && rooms_shard_valid("2") && rooms_shard_valid("Z"));
    ASSERT(!rooms_shard_valid("") && !rooms_shard_valid("KK") && !rooms_shard_valid("k"));
    ASSERT(!rooms_shard_valid("0") && !rooms_shard_valid("1") && !rooms_shard_valid("O") &&
           !rooms_shard_valid("I") && !rooms_shard_valid("L") && !rooms_shard_valid(NULL));
    struct rooms_config cfg = {.max_players_cap = 100, .room_idle_s = 1800, .reveal_ms = 8000,
                               .leaderboard_ms = 5000, .shard = 'K'};
    setup_cfg(cfg);
    enum { N = 200 };
    static struct member hosts[N];
    static char codes[N][PROTO_CODE_LEN + 1];
    memset(hosts, 0, sizeof hosts);
    bool varied = false;
    for (int i = 0; i < N; i++) {
        create(&hosts[i], "", codes[i]);
        ASSERT_EQ(codes[i][0], 'K');
        for (int k = 1; k < PROTO_CODE_LEN; k++)
            ASSERT(strchr(PROTO_CODE_ALPHABET, codes[i][k]));
        varied |= i > 0 && codes[i][1] != codes[0][1];   /* the rest is still random */
    }
    ASSERT(varied);
    ASSERT_EQ(rooms_count(rs), N);   /* N distinct codes */
    for (int i = 0; i < N; i++)
        ASSERT(rooms_find(rs, codes[i]) == hosts[i].room);
    struct member p = {0};
    join(&p, codes[7], "Ann");
    ASSERT(p.room == hosts[7].room);
    teardown();
}

static void test_census_and_stats_for_metrics(void)
{
    setup(1800);
    struct member h1 = {0}, h2 = {0}, a = {0}, b = {0}, stray = {0};
    char c1[8], c2[8];
    create(&h1, "", c1);
    create(&h2, "", c2);
    join(&a, c1, "Ann");
    join(&b, c1, "Bob");
    struct rooms_census cs;
    rooms_take_census(rs, &cs);
    ASSERT_EQ(cs.by_phase[GAME_LOBBY], 2);
    ASSERT_EQ(cs.players, 2);
    ASSERT_EQ(cs.connected, 2);
    ASSERT_EQ(cs.hosts, 2);
    const struct rooms_stats *st = rooms_stats(rs);
    ASSERT_EQ(st->fanout_s.count, 0);
    request(&stray, "{\"type\":\"join\",\"code\":\"222222\",\"name\":\"X\"}");
    request(&a, "{\"type\":\"start\"}");   /* not the host */
    ASSERT_EQ(st->errors[-QZ_ENOROOM], 1);
    ASSERT_EQ(st->errors[-QZ_ENOTHOST], 1);
    request(&h1, "{\"type\":\"start\"}");
    ASSERT_EQ(st->fanout_s.count, 1);         /* the question's broadcast */
    rooms_member_left(rs, &b);
    rooms_member_left(rs, &h2);
    rooms_take_census(rs, &cs);
    ASSERT_EQ(cs.by_phase[GAME_LOBBY], 1);
    ASSERT_EQ(cs.by_phase[GAME_QUESTION], 1);
    ASSERT_EQ(cs.players, 2);                 /* Bob keeps his seat */
    ASSERT_EQ(cs.connected, 1);
    ASSERT_EQ(cs.hosts, 1);
    teardown();
}

static void test_broadcast_is_encoded_once_and_results_follow_the_core(void)
{
    setup(1800);
    struct member h = {0}, a = {0}, b = {0}, late = {0};
    char code[8];
    create(&h, "", code);
    join(&a, code, "Ann");
    join(&b, code, "Bob");
    request(&h, "{\"type\":\"start\"}");
    ASSERT_EQ(count(NULL, "question"), 3);
    struct frame *qf = last(&h, "question")->f;
    ASSERT(last(&a, "question")->f == qf && last(&b, "question")->f == qf);   /* one encoding */
    join(&late, code, "Late");   /* joins while question 0 is open: may not answer it */
    ASSERT(!game_may_answer(room_game(h.room), late.player, 0));
    request(&a, "{\"type\":\"answer\",\"index\":0,\"choice\":1}");
    request(&h, "{\"type\":\"next\"}");   /* closes the question */
    ASSERT_EQ(count(NULL, "reveal"), 4);
    ASSERT_EQ(count(&a, "result"), 1);
    ASSERT_EQ(count(&b, "result"), 1);
    ASSERT_EQ(count(&late, "result"), 0);
    ASSERT_EQ(count(&h, "result"), 0);
    request(&h, "{\"type\":\"end\"}");
    ASSERT_EQ(count(NULL, "game_over"), 4);
    ASSERT_EQ(count(&a, "review"), 1);
    ASSERT_EQ(count(&late, "review"), 1);
    ASSERT_EQ(count(&h, "review"), 0);
    teardown();
}

static void test_lobby_updates_are_throttled(void)
{
    setup(1800);
    struct member h = {0}, p[6];
    memset(p, 0, sizeof p);
    char code[8], name[8];
    create(&h, "", code);
    advance(ROOMS_THROTTLE_MS);
    clear_sent();
    for (int i = 0; i < 6; i++) {
        snprintf(name, sizeof name, "P%d", i);
        join(&p[i], code, name);
        advance(10);
    }
    /* The first join goes out at once (leading edge), the rest are coalesced. */
    ASSERT_EQ(count(&h, "lobby"), 1);
    advance(ROOMS_THROTTLE_MS);
    ASSERT_EQ(count(&h, "lobby"), 2);
    ASSERT_CONTAINS(text(last(&h, "lobby")), "\"count\":6");
    advance(10 * ROOMS_THROTTLE_MS);
    ASSERT_EQ(count(&h, "lobby"), 2);   /* nothing changed, nothing sent */
    teardown();
}

static void test_deadline_and_auto_advance_run_on_the_timer(void)
{
    setup(1800);
    struct member h = {0}, a = {0};
    char code[8];
    create(&h, ",\"seconds\":5,\"auto_advance\":true", code);
    join(&a, code, "Ann");
    request(&h, "{\"type\":\"start\"}");
    advance(5000);                        /* an answer at exactly the deadline still counts */
    ASSERT_EQ(count(&a, "reveal"), 0);
    advance(1);
    ASSERT_EQ(count(&a, "reveal"), 1);
    ASSERT_EQ(count(&a, "result"), 1);
    advance(8000);
    ASSERT_EQ(count(&a, "leaderboard"), 1);
    advance(5000);
    ASSERT_EQ(count(&a, "question"), 2);
    teardown();
}

static void test_kick_and_host_takeover(void)
{
    setup(1800);
    struct member h = {0}, h2 = {0}, a = {0};
    char code[8], j[160];
    create(&h, "", code);
    const char *t = strstr(text(last(&h, "room_created")), "\"host_token\":\"");
    ASSERT(t);
    char tok[GAME_TOKEN_LEN + 1];
    memcpy(tok, t + 14, GAME_TOKEN_LEN);
    tok[GAME_TOKEN_LEN] = '\0';
    join(&a, code, "Ann");
    snprintf(j, sizeof j, "{\"type\":\"kick\",\"player_id\":%u}", a.player);
    request(&h, j);
    ASSERT_EQ(count(&a, "kicked"), 1);
    ASSERT(a.room == NULL && a.role == MEMBER_NONE);
    snprintf(j, sizeof j, "{\"type\":\"host_resume\",\"code\":\"%s\",\"host_token\":\"%s\"}", code, tok);
    request(&h2, j);
    ASSERT(h2.role == MEMBER_HOST && h.room == NULL);
    ASSERT_CONTAINS(text(last(&h, "error")), "another connection");
    ASSERT_EQ(count(&h2, "state"), 1);
    teardown();
}

static void test_idle_rooms_without_host_are_collected(void)
{
    setup(60);
    struct member h = {0}, a = {0}, h2 = {0};
    char code[8], code2[8];
    create(&h, "", code);
    create(&h2, "", code2);
    join(&a, code, "Ann");
    rooms_member_left(rs, &h);   /* the host's connection closed */
    ASSERT_EQ(rooms_count(rs), 2);
    advance(ROOMS_GC_INTERVAL_MS);          /* 30 s idle: kept */
    ASSERT(rooms_find(rs, code));
    advance(ROOMS_GC_INTERVAL_MS);          /* 60 s idle: removed, its player told */
    ASSERT(rooms_find(rs, code) == NULL);
    ASSERT(a.room == NULL);
    ASSERT_CONTAINS(text(last(&a, "error")), "the room was closed");
    ASSERT(rooms_find(rs, code2));          /* a room with its host stays */
    advance(10 * ROOMS_GC_INTERVAL_MS);
    ASSERT(rooms_find(rs, code2));
    ASSERT_EQ(rooms_count(rs), 1);
    teardown();
}

/* Counts `"name":` entries in a message: the names a lobby lists. */
static size_t listed_names(const char *json)
{
    size_t n = 0;
    for (const char *p = json; (p = strstr(p, "\"name\":")); p++)
        n++;
    return n;
}

static void test_players_see_one_lobby_length_everywhere(void)
{
    setup(1800);
    enum { N = PROTO_LOBBY_LIST_PLAYERS + 8 };
    static struct member h, p[N];
    memset(&h, 0, sizeof h);
    memset(p, 0, sizeof p);
    char code[8], name[8];
    create(&h, "", code);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "P%d", i);
        join(&p[i], code, name);
    }
    advance(10 * ROOMS_THROTTLE_MS);
    /* The joiner's snapshot and players' lobby updates list the same number
     * of names (plus the player's own entry in the snapshot); the host sees all. */
    const char *state = text(last(&p[N - 1], "state"));
    ASSERT_CONTAINS(state, "\"truncated\":true");
    ASSERT_EQ(listed_names(state), PROTO_LOBBY_LIST_PLAYERS + 1);
    ASSERT_EQ(listed_names(text(last(&p[0], "lobby"))), PROTO_LOBBY_LIST_PLAYERS);
    ASSERT_EQ(listed_names(text(last(&h, "lobby"))), N);
    teardown();
}

static struct addr_entry *addr_new(void)
{
    struct addr_entry *e = xcalloc(1, sizeof *e);
    bucket_init(&e->misses, ROOMS_MISS_BURST, fake_now);
    return e;
}

static const char *last_error(struct member *m)
{
    const struct sent *s = last(m, "error");
    return s ? text(s) : "";
}

/* Issue 11 item 5: fresh connections from one address share one budget of
 * failed lookups; out of budget, even a real code is refused unseen. */
static void test_guesses_share_an_address_budget(void)
{
    setup(1800);
    struct addr_entry *nat = addr_new(), *other = addr_new();
    struct member h = {0};
    char code[8];
    create(&h, "", code);
    static struct member g[ROOMS_MISS_BURST + 10];
    memset(g, 0, sizeof g);
    int missing = 0, limited = 0;
    for (int i = 0; i < ROOMS_MISS_BURST + 10; i++) {
        g[i].addr = nat;
        request(&g[i], "{\"type\":\"join\",\"code\":\"ZZZZZZ\",\"name\":\"G\"}");
        missing += strstr(last_error(&g[i]), "room_not_found") != NULL;
        limited += strstr(last_error(&g[i]), "rate_limited") != NULL;
    }
    ASSERT_EQ(missing, ROOMS_MISS_BURST);
    ASSERT_EQ(limited, 10);
    struct member hit = {.addr = nat};
    char j[96];
    snprintf(j, sizeof j, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"Hit\"}", code);
    request(&hit, j);
    ASSERT(hit.room == NULL);                       /* no hit while out of budget */
    ASSERT_CONTAINS(last_error(&hit), "rate_limited");
    struct member elsewhere = {.addr = other};
    request(&elsewhere, "{\"type\":\"join\",\"code\":\"ZZZZZZ\",\"name\":\"G\"}");
    ASSERT_CONTAINS(last_error(&elsewhere), "room_not_found");   /* other addresses unaffected */
    advance(2000 / ROOMS_MISS_PER_SEC);             /* two credits back */
    request(&hit, j);
    ASSERT(hit.room != NULL && hit.role == MEMBER_PLAYER);   /* hits cost nothing */
    struct member n1 = {.addr = nat}, n2 = {.addr = nat};
    request(&n1, "{\"type\":\"join\",\"code\":\"ZZZZZZ\",\"name\":\"G\"}");
    ASSERT_CONTAINS(last_error(&n1), "room_not_found");
    request(&n2, "{\"type\":\"join\",\"code\":\"ZZZZZZ\",\"name\":\"G\"}");
    ASSERT_CONTAINS(last_error(&n2), "room_not_found");
    teardown();
    free(nat);
    free(other);
}

static void test_host_resume_wrong_token_looks_like_no_room(void)
{
    setup(1800);
    struct member h = {0}, a = {0}, b = {0};
    char code[8], j[160], ea[512], eb[512];
    create(&h, "", code);
    snprintf(j, sizeof j, "{\"type\":\"host_resume\",\"code\":\"%s\",\"host_token\":\"%s\"}",
             code, "0123456789abcdef0123456789abcdef");
    request(&a, j);
    request(&b, "{\"type\":\"host_resume\",\"code\":\"ZZZZZZ\","
                "\"host_token\":\"0123456789abcdef0123456789abcdef\"}");
    snprintf(ea, sizeof ea, "%s", last_error(&a));
    snprintf(eb, sizeof eb, "%s", last_error(&b));
    ASSERT_CONTAINS(ea, "room_not_found");
    ASSERT_STR_EQ(ea, eb);
    ASSERT(a.room == NULL && h.role == MEMBER_HOST);
    teardown();
}

/* Issue 11 item 4: rooms per address and per server are capped; a room's
 * end gives its address the slot back. */
static void test_room_caps(void)
{
    struct rooms_config cfg = {.max_players_cap = 100, .room_idle_s = 1800, .reveal_ms = 8000,
                               .leaderboard_ms = 5000, .max_rooms = 3, .max_rooms_per_addr = 2};
    setup_cfg(cfg);
    struct addr_entry *x = addr_new(), *y = addr_new();
    struct member h[6] = {{.addr = x}, {.addr = x}, {.addr = x}, {.addr = y}, {.addr = y}, {0}};
    char code[8];
    create(&h[0], "", code);
    create(&h[1], "", code);
    request(&h[2], "{\"type\":\"create_room\"}");
    ASSERT(h[2].room == NULL);
    ASSERT_CONTAINS(last_error(&h[2]), "rate_limited");
    ASSERT_CONTAINS(last_error(&h[2]), "your network");
    ASSERT_EQ(x->rooms, 2);
    create(&h[3], "", code);
    request(&h[4], "{\"type\":\"create_room\"}");   /* the server's cap */
    ASSERT(h[4].room == NULL);
    ASSERT_CONTAINS(last_error(&h[4]), "too many rooms open");
    ASSERT_EQ(rooms_count(rs), 3);
    request(&h[0], "{\"type\":\"end\"}");
    rooms_member_left(rs, &h[0]);
    advance(1800 * 1000 + ROOMS_GC_INTERVAL_MS);   /* h[1] and h[3] still host theirs */
    ASSERT_EQ(rooms_count(rs), 2);
    ASSERT_EQ(x->rooms, 1);
    create(&h[2], "", code);                        /* its slot is back */
    teardown();
    ASSERT_EQ(x->rooms, 0);                         /* destroying rooms releases the count */
    ASSERT_EQ(y->rooms, 0);
    free(x);
    free(y);
}

/* A room no player ever joined goes soon after its host left; one with
 * players waits for room_idle; a refused join is no activity. */
static void test_empty_hostless_rooms_expire_fast(void)
{
    struct rooms_config cfg = {.max_players_cap = 100, .room_idle_s = 600, .reveal_ms = 8000,
                               .leaderboard_ms = 5000, .empty_room_idle_s = 5};
    setup_cfg(cfg);
    struct member h1 = {0}, h2 = {0}, a = {0}, b = {0};
    char empty[8], played[8];
    create(&h1, "", empty);
    create(&h2, "", played);
    join(&a, played, "Ann");
    rooms_member_left(rs, &h1);
    rooms_member_left(rs, &h2);
    advance(4000);
    ASSERT(rooms_find(rs, empty));
    advance(1600);                                  /* 5 s plus one GC period (0.5 s) */
    ASSERT(rooms_find(rs, empty) == NULL);
    ASSERT(rooms_find(rs, played));
    advance(590 * 1000);
    char j[96];                                     /* refused: the name is taken */
    snprintf(j, sizeof j, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"Ann\"}", played);
    request(&b, j);
    ASSERT_CONTAINS(last_error(&b), "name_taken");
    advance(11 * 1000);                             /* 601 s after the host left */
    ASSERT(rooms_find(rs, played) == NULL);
    teardown();
}

/* ---- persistence: frames wait for the commit ---- */

static void wait_commit(struct store *st)
{
    store_flush(st);
    for (int i = 0; i < 2000 && store_committed(st) < store_appended(st); i++) {
        struct timespec ts = {0, 5 * 1000 * 1000};   /* bounded poll of a real condition */
        nanosleep(&ts, NULL);
    }
    ASSERT_GE(store_committed(st), store_appended(st));
    rooms_durable(rs);
}

static void test_frames_wait_for_the_commit(void)
{
    char dir[] = "/tmp/qz-rooms-XXXXXX", cmd[64];
    ASSERT(mkdtemp(dir));
    struct store_options o = {.dir = dir};
    char why[256];
    struct store *st = store_open(&o, why, sizeof why);
    ASSERT(st);
    struct rooms_config cfg = {.max_players_cap = 100, .room_idle_s = 1800, .reveal_ms = 8000,
                               .leaderboard_ms = 5000, .store = st};
    setup_cfg(cfg);
    struct member h = {0}, p = {0}, gone = {0};
    /* the writer is not running yet: nothing can be committed */
    request(&h, "{\"type\":\"create_room\",\"count\":3}");
    ASSERT_EQ(count(&h, "room_created"), 0);
    ASSERT_GE(rooms_held(rs), 1);
    store_start(st, NULL, NULL);
    wait_commit(st);
    ASSERT_EQ(count(&h, "room_created"), 1);
    ASSERT_EQ(rooms_held(rs), 0);
    const char *c = strstr(text(last(&h, "room_created")), "\"code\":\"");
    char code[PROTO_CODE_LEN + 1];
    memcpy(code, c + 8, PROTO_CODE_LEN);
    code[PROTO_CODE_LEN] = '\0';
    join(&p, code, "Ann");
    join(&gone, code, "Bob");
    ASSERT_EQ(count(&p, "joined"), 0);
    rooms_member_left(rs, &gone);   /* its held frames are never delivered */
    ASSERT_EQ(gone.held, 0);
    wait_commit(st);
    ASSERT_EQ(count(&p, "joined"), 1);
    ASSERT_EQ(count(&gone, "joined"), 0);
    request(&h, "{\"type\":\"start\"}");
    ASSERT_EQ(count(&p, "question"), 0);
    wait_commit(st);
    ASSERT_EQ(count(&p, "question"), 1);
    size_t before = n_sent;
    request(&p, "{\"type\":\"answer\",\"index\":0,\"choice\":1}");
    /* the answer_ack waits for the answer's commit (nothing reaches the
     * writer before store_flush, in wait_commit) */
    ASSERT_EQ(count(&p, "answer_ack"), 0);
    wait_commit(st);
    ASSERT_EQ(count(&p, "answer_ack"), 1);
    ASSERT(n_sent > before);
    teardown();
    store_close(st);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ASSERT_OK(system(cmd));
}

/* ---- with a store ---- */

static char store_dir[64];
static struct store *rst;

/* A real store in a fresh directory. Its writer is not started unless the
 * test does: nothing commits, so every frame after a record stays held. */
static void setup_store_with(struct store_options o)
{
    snprintf(store_dir, sizeof store_dir, "/tmp/qz-rooms-XXXXXX");
    ASSERT(mkdtemp(store_dir));
    o.dir = store_dir;
    char why[256] = "";
    rst = store_open(&o, why, sizeof why);
    if (!rst)
        FAIL_AT("store_open: %s", why);
    struct rooms_config cfg = {.max_players_cap = 100, .room_idle_s = 1800, .reveal_ms = 8000,
                               .leaderboard_ms = 5000, .store = rst};
    setup_cfg(cfg);
}

static void setup_store(void)
{
    setup_store_with((struct store_options){0});
}

static void no_notify(void *arg) { (void)arg; }

/* Polls a condition of the writer's (bounded: 20 s). */
static void wait_store(bool (*cond)(void))
{
    store_flush(rst);
    for (int i = 0; i < 2000 && !cond(); i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);   /* polling a real condition, bounded */
    }
    ASSERT(cond());
}

static bool st_failed(void) { return store_failed(rst); }
static bool st_settled(void) { return store_settled(rst) >= store_appended(rst); }

static size_t index_of(struct member *m, const char *type)
{
    for (size_t i = 0; i < n_sent; i++)
        if (sent[i].m == m && is_type(&sent[i], type))
            return i;
    return SIZE_MAX;
}

static void teardown_store(void)
{
    teardown();
    rs = NULL;
    store_close(rst);
    rst = NULL;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", store_dir);
    ASSERT_OK(system(cmd));
}

/* Shutdown order of the server: the registry goes first, lws closes the
 * connections after (on_closed -> rooms_member_left with no registry). A
 * member with a frame still held must not make that touch the registry. */
static void test_member_left_after_destroy_with_held_frames(void)
{
    setup_store();
    struct member h = {0};
    request(&h, "{\"type\":\"create_room\",\"count\":3}");
    ASSERT_EQ(count(&h, "room_created"), 0);   /* held: the room record is not committed */
    ASSERT_GE(h.held, 1);
    ASSERT_GE(rooms_held(rs), 1);
    rooms_destroy(rs);
    rs = NULL;
    ASSERT_EQ(h.held, 0);           /* the registry dropped what it held for h */
    ASSERT(h.room == NULL);
    rooms_member_left(NULL, &h);    /* what lws_context_destroy's close callbacks do */
    teardown_store();
}

/* The store gave up (a full disk past its retries): what waited for the
 * dropped records goes out, but each member is told first that nothing is
 * saved (no durable-looking ack without the notice); a player joining
 * later is told too. */
static void test_failed_store_tells_everyone_before_releasing(void)
{
    setup_store_with((struct store_options){.max_mb = 1, .retry_ms = 20});
    store_start(rst, no_notify, NULL);
    char big[4000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int i = 0; i < 600; i++)
        store_question(rst, 999, i, big, "0123");
    wait_store(st_failed);
    struct member h = {0}, a = {0};
    request(&h, "{\"type\":\"create_room\",\"count\":3}");
    ASSERT_EQ(count(&h, "room_created"), 0);   /* held until its record is settled */
    wait_store(st_settled);
    rooms_durable(rs);
    ASSERT(index_of(&h, "notice") < index_of(&h, "room_created"));
    ASSERT_CONTAINS(text(last(&h, "notice")), "results_not_saved");
    ASSERT_EQ(rooms_unsaved(rs), 1);
    const char *c = strstr(text(last(&h, "room_created")), "\"code\":\"");
    char code[PROTO_CODE_LEN + 1];
    memcpy(code, c + 8, PROTO_CODE_LEN);
    code[PROTO_CODE_LEN] = '\0';
    char j[128];
    snprintf(j, sizeof j, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"Ann\"}", code);
    request(&a, j);
    wait_store(st_settled);
    rooms_durable(rs);
    ASSERT(index_of(&a, "joined") != SIZE_MAX);
    ASSERT(index_of(&a, "joined") < index_of(&a, "notice"));
    rooms_member_left(rs, &a);
    rooms_member_left(rs, &h);
    teardown_store();
}

/* A disk that does not commit: frames for one connection pile up behind
 * its held reply. Past ROOMS_HELD_PER_MEMBER the connection is dropped like
 * a slow consumer and its frames freed, instead of growing without bound;
 * a pong for a connection with nothing held goes at once (no fsync in the
 * round trip clients measure). */
static void test_held_frames_are_capped(void)
{
    setup_store();   /* the writer never runs: nothing commits */
    struct member h = {0}, other = {0};
    n_dropped = 0;
    request(&h, "{\"type\":\"create_room\",\"count\":3}");
    ASSERT_GE(h.held, 1);
    unsigned h0 = h.held;
    request(&other, "{\"type\":\"ping\",\"t\":1}");
    ASSERT_EQ(count(&other, "pong"), 1);   /* nothing held for it: at once */
    for (int i = 0; i < ROOMS_HELD_PER_MEMBER + 10; i++)
        request(&h, "{\"type\":\"ping\",\"t\":1}");   /* behind the held room_created */
    ASSERT_EQ(n_dropped, 1);   /* once, at the cap; what follows goes to a closing connection */
    ASSERT(dropped[0] == &h);
    ASSERT_EQ(h.held, 0);
    /* held up to the cap, one refused at it, the rest after the drop */
    ASSERT_EQ(count(&h, "pong"), 10 + h0 - 1);
    ASSERT_LE(rooms_held(rs), ROOMS_HELD_PER_MEMBER);
    teardown_store();
}

/* The server's game clock starts where the store says (a fresh database
 * included): a room's first answer progress reaches the host at once, not one
 * throttle period late because the clock read as the rooms' "never" (0). */
static void test_fresh_store_clock_is_not_never(void)
{
    setup_store();
    fake_now = store_last_clock(rst);   /* what server.c's clock offset does */
    store_start(rst, no_notify, NULL);
    struct member h = {0};
    request(&h, "{\"type\":\"create_room\",\"count\":3}");
    wait_store(st_settled);
    rooms_durable(rs);
    ASSERT_EQ(count(&h, "room_created"), 1);
    const char *c = strstr(text(last(&h, "room_created")), "\"code\":\"");
    ASSERT(c);
    char j[128], code[PROTO_CODE_LEN + 1];
    memcpy(code, c + 8, PROTO_CODE_LEN);
    code[PROTO_CODE_LEN] = '\0';
    struct member a = {0};
    snprintf(j, sizeof j, "{\"type\":\"join\",\"code\":\"%s\",\"name\":\"Ann\"}", code);
    request(&a, j);
    request(&h, "{\"type\":\"start\"}");
    wait_store(st_settled);
    rooms_durable(rs);
    ASSERT_EQ(count(&a, "question"), 1);
    /* the host's first answer progress goes with the question, at once */
    ASSERT_EQ(count(&h, "answers"), 1);
    rooms_member_left(rs, &a);
    rooms_member_left(rs, &h);
    teardown_store();
}

static struct test_case tests[] = {
    {"fresh_store_clock_is_not_never", test_fresh_store_clock_is_not_never},
    {"held_frames_are_capped", test_held_frames_are_capped},
    {"failed_store_tells_everyone_before_releasing", test_failed_store_tells_everyone_before_releasing},
    {"member_left_after_destroy_with_held_frames", test_member_left_after_destroy_with_held_frames},
    {"frames_wait_for_the_commit", test_frames_wait_for_the_commit},
    {"players_see_one_lobby_length_everywhere", test_players_see_one_lobby_length_everywhere},
    {"rooms_are_found_by_code_among_many", test_rooms_are_found_by_code_among_many},
    {"a_shard_starts_every_code_with_its_id", test_a_shard_starts_every_code_with_its_id},
    {"census_and_stats_for_metrics", test_census_and_stats_for_metrics},
    {"broadcast_is_encoded_once_and_results_follow_the_core",
     test_broadcast_is_encoded_once_and_results_follow_the_core},
    {"lobby_updates_are_throttled", test_lobby_updates_are_throttled},
    {"deadline_and_auto_advance_run_on_the_timer", test_deadline_and_auto_advance_run_on_the_timer},
    {"kick_and_host_takeover", test_kick_and_host_takeover},
    {"idle_rooms_without_host_are_collected", test_idle_rooms_without_host_are_collected},
    {"guesses_share_an_address_budget", test_guesses_share_an_address_budget},
    {"host_resume_wrong_token_looks_like_no_room", test_host_resume_wrong_token_looks_like_no_room},
    {"room_caps", test_room_caps},
    {"empty_hostless_rooms_expire_fast", test_empty_hostless_rooms_expire_fast},
};

TEST_MAIN(tests)
