/* Nickname rules (util/nick.c): NFC and trimming, invisible, control,
 * combining and mixed-script names refused, real names of many scripts and
 * emoji kept, and the look-alike key that makes impostors collide. */
#include "test.h"
#include "util/nick.h"

static enum nick_err norm(const char *in, char out[NICK_MAX_BYTES + 1])
{
    return nick_normalize(in, strlen(in), out);
}

static void accepts(const char *in, const char *want)
{
    char out[NICK_MAX_BYTES + 1];
    enum nick_err e = norm(in, out);
    if (e != NICK_OK)
        FAIL_AT("\"%s\" refused: %s", in, nick_strerror(e));
    ASSERT_STR_EQ(out, want);
}

static void refuses(const char *in, enum nick_err want)
{
    char out[NICK_MAX_BYTES + 1] = "untouched";
    enum nick_err e = norm(in, out);
    if (e != want)
        FAIL_AT("\"%s\": got \"%s\", want \"%s\"", in, nick_strerror(e), nick_strerror(want));
    ASSERT_STR_EQ(out, "untouched");
}

static void test_keeps_names_of_every_script_and_emoji(void)
{
    accepts("Ada", "Ada");
    accepts("  Zoë 🐍  ", "Zoë 🐍");
    accepts("Zoe\u0308", "Zo\u00eb");                  /* NFC: e + diaeresis is ë */
    accepts("José", "José");
    accepts("Nguyễn Thị", "Nguyễn Thị");
    accepts("小明", "小明");
    accepts("田中さくら", "田中さくら");                /* Han + Hiragana */
    accepts("민수", "민수");
    accepts("علي", "علي");
    accepts("Ali علي", "Ali علي");                      /* Latin + one other script */
    accepts("می\u200cخواهم", "می\u200cخواهم");         /* Persian ZWNJ between joining letters */
    accepts("अर्जुन", "अर्जुन");
    accepts("\u0915\u094d\u200d\u0937", "\u0915\u094d\u200d\u0937"); /* ZWJ after a virama */
    accepts("สมชาย", "สมชาย");
    accepts("Иван", "Иван");                            /* one script alone is fine */
    accepts("Ελένη", "Ελένη");
    accepts("🐍", "🐍");
    accepts("❤\ufe0f", "❤\ufe0f");                     /* emoji presentation selector */
    accepts("👩\u200d💻", "👩\u200d💻");                /* ZWJ sequence */
    accepts("🏳\ufe0f\u200d🌈", "🏳\ufe0f\u200d🌈");
    accepts("👍🏽", "👍🏽");
    accepts("🇫🇷 Team", "🇫🇷 Team");
    accepts("1\ufe0f\u20e3", "1\ufe0f\u20e3");          /* keycap */
    accepts("🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F",
            "🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F"); /* England */
    accepts("Ada2", "Ada2");
    accepts("x🐍x🐍x🐍x🐍x🐍x🐍x🐍x🐍x🐍x🐍x🐍x🐍", "x🐍x🐍x🐍x🐍x🐍x🐍x🐍x🐍x🐍x🐍x🐍x🐍");
}

static void test_refuses_invisible_characters(void)
{
    refuses("A\u200bda", NICK_INVISIBLE);       /* zero-width space */
    refuses("Ada\u200b", NICK_INVISIBLE);
    refuses("\u200bAda", NICK_INVISIBLE);
    refuses("Ada\u200c", NICK_INVISIBLE);       /* ZWNJ outside a joining context */
    refuses("Mallory\u200c", NICK_INVISIBLE);
    refuses("A\u200dda", NICK_INVISIBLE);       /* ZWJ outside an emoji sequence */
    refuses("Ad\u00ada", NICK_INVISIBLE);       /* soft hyphen */
    refuses("Ada\ufe0f", NICK_INVISIBLE);       /* variation selector on a letter */
    refuses("Ada\U000E0100", NICK_INVISIBLE);
    refuses("Ada\u2060", NICK_INVISIBLE);       /* word joiner */
    refuses("Ada\u034f", NICK_INVISIBLE);       /* combining grapheme joiner */
    refuses("\u3164", NICK_INVISIBLE);          /* Hangul filler */
    refuses("Ada\u3164", NICK_INVISIBLE);
    refuses("\u2800", NICK_INVISIBLE);          /* Braille blank */
    refuses("Ada\u2800", NICK_INVISIBLE);
    refuses("Ada\ue000", NICK_INVISIBLE);       /* private use */
    refuses("Ada\u0378", NICK_INVISIBLE);       /* unassigned */
    refuses("🏴\U000E0067\U000E0062", NICK_INVISIBLE); /* tag run never cancelled */
    refuses("Ada\U000E0067\U000E007F", NICK_INVISIBLE); /* tags without the flag */
}

static void test_refuses_controls_and_bidi(void)
{
    refuses("a\u202eb", NICK_CONTROL);
    refuses("Ada\u200e", NICK_CONTROL);         /* left-to-right mark */
    refuses("Ada\u200f", NICK_CONTROL);
    refuses("Ada\u061c", NICK_CONTROL);         /* Arabic letter mark */
    refuses("Ada\u2066x", NICK_CONTROL);
    refuses("a\tb", NICK_CONTROL);
    refuses("a\u2028b", NICK_CONTROL);
    refuses("a\x7f" "b", NICK_CONTROL);
}

static void test_refuses_lone_and_excess_marks(void)
{
    refuses("\u0301", NICK_COMBINING);
    refuses("\u0301Ada", NICK_COMBINING);
    refuses("Ada \u0301", NICK_COMBINING);
    refuses("Z\u0351\u0352\u0353\u0354\u0355algo", NICK_COMBINING);
    refuses("a\u0308\u0308", NICK_COMBINING);   /* the same mark twice (uspoof) */
    accepts("a\u0323\u0302", "\u1ead");          /* two marks compose: fine */
}

static void test_refuses_names_without_letters(void)
{
    refuses("...", NICK_NO_VISIBLE);
    refuses("-_-", NICK_NO_VISIBLE);
    refuses("\u00a0\u3000", NICK_EMPTY);         /* white space only: trimmed away */
    refuses("   ", NICK_EMPTY);
    refuses("", NICK_EMPTY);
}

static void test_refuses_mixed_scripts(void)
{
    refuses("\u0410da", NICK_MIXED_SCRIPT);     /* Cyrillic A + Latin */
    refuses("\u0391da", NICK_MIXED_SCRIPT);     /* Greek Alpha + Latin */
    refuses("\u041callory", NICK_MIXED_SCRIPT); /* Cyrillic Em + Latin */
    refuses("12\u0661", NICK_MIXED_SCRIPT);     /* ASCII and Arabic-Indic digits */
}

static void test_length_and_encoding(void)
{
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    refuses(big, NICK_TOO_LONG);
    refuses("xxxxxxxxxxxxxxxxxxxxxxxxx", NICK_TOO_LONG);   /* 25 */
    accepts("xxxxxxxxxxxxxxxxxxxxxxxx", "xxxxxxxxxxxxxxxxxxxxxxxx");
    refuses("Ad\xff", NICK_BAD_UTF8);
    refuses("Ad\xc0\xaf", NICK_BAD_UTF8);       /* overlong */
    char nul[] = "Ad\0a";
    char out[NICK_MAX_BYTES + 1];
    ASSERT_EQ(nick_normalize(nul, 4, out), NICK_BAD_UTF8);
}

static bool same_key(const char *a, const char *b)
{
    char *ka = nick_key(a), *kb = nick_key(b);
    bool same = !strcmp(ka, kb);
    free(ka);
    free(kb);
    return same;
}

static void test_lookalikes_share_a_key(void)
{
    const char *ada[] = {"ADA", "ada", "\uff21\uff44\uff41", "\u0410da", "\u0430d\u0430",
                         "A da", "Ada\u200b", "\u0391da"};
    for (size_t i = 0; i < sizeof ada / sizeof *ada; i++)
        if (!same_key("Ada", ada[i]))
            FAIL_AT("\"%s\" does not collide with \"Ada\"", ada[i]);
    ASSERT(same_key("Mallory", "MaIlory"));                     /* capital I for l */
    ASSERT(same_key("Mallory", "\u041callory"));                 /* Cyrillic Em */
    ASSERT(same_key("mallory", "rnallory"));
    ASSERT(same_key("pace", "\u0440\u0430\u0441\u0435"));       /* all Cyrillic */
    ASSERT(same_key("B0b", "Bob"));
    ASSERT(same_key("❤\ufe0f", "❤"));
    ASSERT(!same_key("Ada", "Adam"));
    ASSERT(!same_key("Bob", "Rob"));
    ASSERT(!same_key("小明", "小朋"));
    ASSERT(!same_key("Zoë", "Zoe"));
    ASSERT(!same_key("Иван", "Иванна"));
}

static void test_same_name_versus_lookalike(void)
{
    ASSERT(nick_same("Ada", "ADA"));
    ASSERT(nick_same("Ada", "\uff21\uff44\uff41"));
    ASSERT(nick_same("Ada Lovelace", "ada  lovelace"));
    ASSERT(!nick_same("pace", "\u0440\u0430\u0441\u0435"));
    ASSERT(!nick_same("Mallory", "MaIlory"));
}

static struct test_case tests[] = {
    {"keeps_names_of_every_script_and_emoji", test_keeps_names_of_every_script_and_emoji},
    {"refuses_invisible_characters", test_refuses_invisible_characters},
    {"refuses_controls_and_bidi", test_refuses_controls_and_bidi},
    {"refuses_lone_and_excess_marks", test_refuses_lone_and_excess_marks},
    {"refuses_names_without_letters", test_refuses_names_without_letters},
    {"refuses_mixed_scripts", test_refuses_mixed_scripts},
    {"length_and_encoding", test_length_and_encoding},
    {"lookalikes_share_a_key", test_lookalikes_share_a_key},
    {"same_name_versus_lookalike", test_same_name_versus_lookalike},
};

TEST_MAIN(tests)
