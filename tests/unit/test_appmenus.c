/* qubes.GetAppmenus output parser (dom0/tools/appmenus_parse.c): normal
 * output as the agent writes it, then each rule a hostile qube could test:
 * ids that are paths or options, unknown and ignored keys (Exec, Icon),
 * control and bidi characters, invalid UTF-8, overlong lines and values,
 * NULs, too many lines and applications. */
#include "dom0/tools/appmenus_parse.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct appmenus_app apps[APPMENUS_MAX_APPS];
static struct appmenus_stats st;

static size_t parse(const char *s)
{
    return appmenus_parse(s, strlen(s), apps, APPMENUS_MAX_APPS, &st);
}

static void test_normal(void **state)
{
    (void)state;
    size_t n = parse("firefox-esr.desktop:Name=Firefox ESR\n"
                     "firefox-esr.desktop:GenericName=Web Browser\n"
                     "firefox-esr.desktop:Comment=Browse the World Wide Web\n"
                     "firefox-esr.desktop:Categories=Network;WebBrowser;\n"
                     "firefox-esr.desktop:Exec=/usr/lib/firefox-esr/firefox-esr %u\n"
                     "debian-xterm.desktop:Name=XTerm\n"
                     "debian-xterm.desktop:Terminal=false\n"
                     "org.gnome.Calculator.desktop:Name=Calculator\n");
    assert_int_equal(n, 3);
    assert_string_equal(apps[0].id, "firefox-esr");
    assert_string_equal(apps[0].name, "Firefox ESR");
    assert_string_equal(apps[0].generic_name, "Web Browser");
    assert_string_equal(apps[0].comment, "Browse the World Wide Web");
    assert_string_equal(apps[0].categories, "Network;WebBrowser;");
    assert_string_equal(apps[1].id, "debian-xterm");
    assert_false(apps[1].terminal);
    assert_string_equal(apps[2].id, "org.gnome.Calculator");
    assert_int_equal(st.lines, 8);
    assert_int_equal(st.skipped, 0);
    assert_false(st.truncated);
}

static void test_drops_nameless_and_hidden(void **state)
{
    (void)state;
    size_t n = parse("a.desktop:Comment=no name\n"
                     "b.desktop:Name=B\nb.desktop:NoDisplay=true\n"
                     "c.desktop:Name=C\nc.desktop:NoDisplay=false\n"
                     "d.desktop:Name=D\nd.desktop:Terminal=true\n");
    assert_int_equal(n, 2);
    assert_string_equal(apps[0].id, "c");
    assert_string_equal(apps[1].id, "d");
    assert_true(apps[1].terminal);
}

static void test_ids(void **state)
{
    (void)state;
    assert_true(appmenus_id_ok("a", 1));
    assert_true(appmenus_id_ok("org.gnome.Terminal_x+y-z", 24));
    assert_false(appmenus_id_ok("", 0));
    assert_false(appmenus_id_ok("..", 2));
    assert_false(appmenus_id_ok(".hidden", 7));
    assert_false(appmenus_id_ok("-rf", 3));
    assert_false(appmenus_id_ok("a/b", 3));
    assert_false(appmenus_id_ok("a b", 3));
    assert_false(appmenus_id_ok("a;b", 3));
    assert_false(appmenus_id_ok("a%b", 3));
    assert_false(appmenus_id_ok("caf\xc3\xa9", 5));
    char big[APPMENUS_ID_MAX + 2];
    memset(big, 'x', sizeof(big));
    assert_true(appmenus_id_ok(big, APPMENUS_ID_MAX));
    assert_false(appmenus_id_ok(big, APPMENUS_ID_MAX + 1));

    size_t n = parse("../x.desktop:Name=up\n"
                     "/etc/passwd.desktop:Name=abs\n"
                     "a/b.desktop:Name=sub\n"
                     "x.desktop.desktop:Name=double\n"
                     "nosuffix:Name=no\n"
                     ".desktop:Name=empty\n"
                     "ok.desktop:Name=ok\n");
    assert_int_equal(n, 2);
    assert_string_equal(apps[0].id, "x.desktop");
    assert_string_equal(apps[1].id, "ok");
    assert_int_equal(st.skipped, 5);
}

static void test_keys(void **state)
{
    (void)state;
    size_t n = parse("a.desktop:Name=A\n"
                     "a.desktop:Exec=sh -c 'rm -rf ~'\n"
                     "a.desktop:Icon=/etc/shadow\n"
                     "a.desktop:Name[de]=Ah\n"
                     "a.desktop:X-Evil=1\n"
                     "a.desktop:TryExec=x\n"
                     "a.desktop:Name=second\n"
                     "a.desktop:NoEquals\n"
                     "a.desktop:=empty key\n");
    assert_int_equal(n, 1);
    assert_string_equal(apps[0].name, "A"); /* the first value wins */
    assert_int_equal(st.skipped, 5);
    /* nothing of Exec or Icon is kept anywhere */
    for (size_t i = 0; i < sizeof(apps[0]); i++)
        assert_false(memcmp((char *)&apps[0] + i, "rm -rf", 6) == 0);
}

static void test_sanitize(void **state)
{
    (void)state;
    char out[64];

    assert_int_equal(appmenus_sanitize("  plain  ", 9, out, sizeof(out)), 0);
    assert_string_equal(out, "plain");
    assert_int_equal(appmenus_sanitize("a\tb\x1b[31mc", 10, out, sizeof(out)), 0);
    assert_string_equal(out, "a b [31mc");
    assert_int_equal(appmenus_sanitize("x\x7fy", 3, out, sizeof(out)), 0);
    assert_string_equal(out, "x y");
    /* U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LEFT-TO-RIGHT ISOLATE */
    assert_int_equal(appmenus_sanitize("a\xe2\x80\xaex\xe2\x81\xa6", 8, out, sizeof(out)), 0);
    assert_string_equal(out, "a x");
    /* C1 control U+009B (CSI) */
    assert_int_equal(appmenus_sanitize("a\xc2\x9b"
                                       "b",
                                       4, out, sizeof(out)),
                     0);
    assert_string_equal(out, "a b");
    /* U+2028 LINE SEPARATOR */
    assert_int_equal(appmenus_sanitize("a\xe2\x80\xa8"
                                       "b",
                                       5, out, sizeof(out)),
                     0);
    assert_string_equal(out, "a b");
    /* UTF-8 kept */
    assert_int_equal(appmenus_sanitize("caf\xc3\xa9 \xe6\x97\xa5", 9, out, sizeof(out)), 0);
    assert_string_equal(out, "caf\xc3\xa9 \xe6\x97\xa5");
    /* invalid UTF-8: overlong, lone continuation, truncated, surrogate */
    assert_int_equal(appmenus_sanitize("\xc0\xaf", 2, out, sizeof(out)), -1);
    assert_string_equal(out, "");
    assert_int_equal(appmenus_sanitize("a\x80", 2, out, sizeof(out)), -1);
    assert_int_equal(appmenus_sanitize("a\xe6\x97", 3, out, sizeof(out)), -1);
    assert_int_equal(appmenus_sanitize("\xed\xa0\x80", 3, out, sizeof(out)), -1);
    /* cut at a character boundary */
    assert_int_equal(appmenus_sanitize("\xc3\xa9\xc3\xa9\xc3\xa9", 6, out, 6), 0);
    assert_string_equal(out, "\xc3\xa9\xc3\xa9");
}

static void test_values_in_lines(void **state)
{
    (void)state;
    size_t n = parse("a.desktop:Name=\x1b]0;evil\x07 App\n"
                     "b.desktop:Name=bad \xff utf8\n"
                     "c.desktop:Name=C\r\n"
                     "c.desktop:Categories=Good;Bad Word;X-Ok;../x;;Also_Ok\n");
    assert_int_equal(n, 2);
    assert_string_equal(apps[0].name, "]0;evil  App");
    assert_string_equal(apps[1].name, "C");
    assert_string_equal(apps[1].categories, "Good;X-Ok;Also_Ok;");
    assert_int_equal(st.skipped, 1);
}

static void test_limits(void **state)
{
    (void)state;
    /* an overlong line is skipped; a long value is cut */
    size_t big = APPMENUS_MAX_LINE + 100, n;
    char *s = malloc(big + 1100);
    assert_non_null(s);
    strcpy(s, "a.desktop:Name=");
    memset(s + strlen(s), 'x', big);
    strcpy(s + 15 + big, "\nb.desktop:Name=");
    memset(s + strlen(s), 'y', 1000);
    n = appmenus_parse(s, 15 + big + 16 + 1000, apps, APPMENUS_MAX_APPS, &st);
    assert_int_equal(n, 1);
    assert_string_equal(apps[0].id, "b");
    assert_int_equal(strlen(apps[0].name), APPMENUS_VALUE_MAX);
    assert_int_equal(st.skipped, 1);
    free(s);

    /* a NUL in a line */
    static const char nul[] = "a.desktop:Name=A\0B\nb.desktop:Name=B\n";
    n = appmenus_parse(nul, sizeof(nul) - 1, apps, APPMENUS_MAX_APPS, &st);
    assert_int_equal(n, 1);
    assert_string_equal(apps[0].id, "b");

    /* too many lines: the rest is ignored */
    size_t lines = APPMENUS_MAX_LINES + 10, len = 0;
    s = malloc(lines * 32);
    assert_non_null(s);
    for (size_t i = 0; i < lines; i++)
        len += (size_t)sprintf(s + len, "app%zu.desktop:Comment=c\n", i % 50);
    n = appmenus_parse(s, len, apps, APPMENUS_MAX_APPS, &st);
    assert_int_equal(n, 0); /* none has a Name */
    assert_int_equal(st.lines, APPMENUS_MAX_LINES);
    assert_true(st.truncated);

    /* too many applications: the first ones are kept */
    len = 0;
    for (size_t i = 0; i < APPMENUS_MAX_APPS + 5; i++)
        len += (size_t)sprintf(s + len, "app%zu.desktop:Name=A\n", i);
    n = appmenus_parse(s, len, apps, 10, &st);
    assert_int_equal(n, 10);
    assert_string_equal(apps[9].id, "app9");
    assert_true(st.truncated);
    free(s);

    /* empty input, blank lines, no final newline */
    assert_int_equal(appmenus_parse("", 0, apps, APPMENUS_MAX_APPS, &st), 0);
    assert_int_equal(parse("\n\n\na.desktop:Name=A"), 1);
    assert_int_equal(st.skipped, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal),   cmocka_unit_test(test_drops_nameless_and_hidden),
        cmocka_unit_test(test_ids),      cmocka_unit_test(test_keys),
        cmocka_unit_test(test_sanitize), cmocka_unit_test(test_values_in_lines),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
