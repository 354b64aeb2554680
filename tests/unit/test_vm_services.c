/* The checks of the everyday RPC services (vm-agent/services/validate.c):
 * what each accepts, and the hostile inputs each refuses. */
#include "vm-agent/services/validate.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

static int date(const char *s, int64_t *t)
{
    return svc_parse_date(s, strlen(s), t);
}

static void test_date_accepts_date_u_iseconds(void **state)
{
    int64_t t;
    (void)state;

    assert_int_equal(date("2026-11-30T06:42:22+00:00\n", &t), 0);
    assert_int_equal(t, 1796020942);
    assert_int_equal(date("2000-01-01T00:00:00+00:00", &t), 0);
    assert_int_equal(t, 946684800);
    assert_int_equal(date("2024-02-29T23:59:59+00:00", &t), 0);
    assert_int_equal(t, 1709251199);
    assert_int_equal(date("2100-03-01T00:00:00+00:00", &t), 0);
    assert_int_equal(t, 4107542400);
}

static void test_date_agrees_with_gmtime(void **state)
{
    char s[64];
    int64_t t;
    (void)state;

    /* every ~11 days from 2000 to 2400: the leap rules of all centuries */
    for (time_t x = 946684800; x < 13569465600; x += 971311) {
        struct tm tm;
        gmtime_r(&x, &tm);
        strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
        assert_int_equal(date(s, &t), 0);
        assert_int_equal(t, x);
    }
}

static void test_date_refuses_anything_else(void **state)
{
    static const char *bad[] = {
        "",
        "2026-11-30T06:42:22Z",
        "2026-11-30T06:42:22+01:00",
        "2026-11-30 06:42:22+00:00",
        "2026-11-30T06:42:22+00:00\n\n",
        "2026-11-30T06:42:22+00:00 ",
        " 2026-11-30T06:42:22+00:00",
        "1999-12-31T23:59:59+00:00",
        "2026-13-30T06:42:22+00:00",
        "2026-00-30T06:42:22+00:00",
        "2026-11-31T06:42:22+00:00",
        "2026-11-00T06:42:22+00:00",
        "2025-02-29T06:42:22+00:00",
        "2100-02-29T06:42:22+00:00",
        "2026-11-30T24:00:00+00:00",
        "2026-11-30T06:60:22+00:00",
        "2026-11-30T06:42:60+00:00",
        "2026-11-30T06:4a:22+00:00",
        "2026-11-30T-6:42:22+00:00",
        "+026-11-30T06:42:22+00:00",
    };
    int64_t t = 7;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(date(bad[i], &t), -EINVAL);
    assert_int_equal(t, 7);
    /* a NUL inside, with the right length */
    assert_int_equal(svc_parse_date("2026-11-30T06:42:22+00:0\0", 25, &t), -EINVAL);
}

static int url(const char *s, size_t *n)
{
    return svc_check_url(s, strlen(s), n);
}

static void test_url_allowlist(void **state)
{
    size_t n;
    (void)state;

    assert_int_equal(url("https://example.org/a?b=c#d\n", &n), 0);
    assert_int_equal(n, 27);
    assert_int_equal(url("HTTP://example.org", &n), 0);
    assert_int_equal(url("ftp://ftp.debian.org/debian/", &n), 0);
    assert_int_equal(url("mailto:user@example.org", &n), 0);
    assert_int_equal(url("http://[::1]:8080/", &n), 0);
    assert_int_equal(n, 18);
}

static void test_url_refusals(void **state)
{
    static const char *bad[] = {
        "",
        "\n",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,<b>x</b>",
        "-https://example.org",
        "https:example.org",
        "https:///path",
        "https://",
        "https://?q",
        "mailto:",
        "https://example.org/a b",
        "https://example.org/\x1b[31m",
        "https://example.org/\x7f",
        "https://example.org/\xc3\xa9",
        "https://example.org/\nhttps://evil.example/",
        "https://example.org/\r\n",
        "https://example.org/\n\n",
        "example.org",
        "ht!tp://example.org",
    };
    size_t n = 0;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(url(bad[i], &n), -EINVAL);
    assert_int_equal(svc_check_url("http://a\0b", 10, &n), -EINVAL);
    assert_int_equal(n, 0);
}

static void test_url_length_bound(void **state)
{
    size_t n;
    char *u = malloc(SVC_URL_MAX + 2);
    (void)state;

    assert_non_null(u);
    memcpy(u, "http://", 7);
    memset(u + 7, 'a', SVC_URL_MAX - 7);
    u[SVC_URL_MAX] = '\n';
    assert_int_equal(svc_check_url(u, SVC_URL_MAX + 1, &n), 0);
    assert_int_equal(n, SVC_URL_MAX);
    u[SVC_URL_MAX] = 'a';
    u[SVC_URL_MAX + 1] = '\n';
    assert_int_equal(svc_check_url(u, SVC_URL_MAX + 2, &n), -EINVAL);
    free(u);
}

static int app(const char *s)
{
    return svc_check_app_name(s, strlen(s));
}

static void test_app_names(void **state)
{
    char longname[SVC_APP_NAME_MAX + 2];
    (void)state;

    assert_int_equal(app("firefox-esr"), 0);
    assert_int_equal(app("org.gnome.Nautilus"), 0);
    assert_int_equal(app("xterm_2"), 0);
    assert_int_equal(app(""), -EINVAL);
    assert_int_equal(app("../x"), -EINVAL);
    assert_int_equal(app("x/y"), -EINVAL);
    assert_int_equal(app(".hidden"), -EINVAL);
    assert_int_equal(app(".."), -EINVAL);
    assert_int_equal(app("-x"), -EINVAL);
    assert_int_equal(app("a b"), -EINVAL);
    assert_int_equal(app("a+b"), -EINVAL);
    assert_int_equal(app("caf\xc3\xa9"), -EINVAL);
    assert_int_equal(svc_check_app_name("a\0b", 3), -EINVAL);
    memset(longname, 'a', sizeof(longname));
    assert_int_equal(svc_check_app_name(longname, SVC_APP_NAME_MAX), 0);
    assert_int_equal(svc_check_app_name(longname, SVC_APP_NAME_MAX + 1), -EINVAL);
}

static int fname(const char *s)
{
    return svc_check_file_name(s, strlen(s));
}

static void test_file_names(void **state)
{
    char longname[SVC_FILE_NAME_MAX + 2], out[SVC_FILE_NAME_MAX + 1];
    (void)state;

    assert_int_equal(fname("report.pdf"), 0);
    assert_int_equal(fname("Caf\xc3\xa9 menu (2).odt"), 0);
    assert_int_equal(fname(".bashrc"), 0);
    assert_int_equal(fname("-rf"), 0); /* opened by full path: harmless */
    assert_int_equal(fname("..."), 0);
    assert_int_equal(fname(""), -EINVAL);
    assert_int_equal(fname("."), -EINVAL);
    assert_int_equal(fname(".."), -EINVAL);
    assert_int_equal(fname("../../etc/passwd"), -EINVAL);
    assert_int_equal(fname("a/b"), -EINVAL);
    assert_int_equal(fname("a\nb"), -EINVAL);
    assert_int_equal(fname("a\x1b[2Jb"), -EINVAL);
    assert_int_equal(fname("a\x7f"), -EINVAL);
    assert_int_equal(fname("a\xc2\x85"), -EINVAL);     /* U+0085, a C1 control */
    assert_int_equal(fname("a\xc0\xaf"), -EINVAL);     /* overlong '/' */
    assert_int_equal(fname("a\xed\xa0\x80"), -EINVAL); /* a surrogate */
    assert_int_equal(fname("a\xf4\x90\x80\x80"), -EINVAL);
    assert_int_equal(fname("a\xe2\x82"), -EINVAL); /* cut short */
    assert_int_equal(svc_check_file_name("a\0b", 3), -EINVAL);
    memset(longname, 'a', sizeof(longname));
    assert_int_equal(svc_check_file_name(longname, SVC_FILE_NAME_MAX), 0);
    assert_int_equal(svc_check_file_name(longname, SVC_FILE_NAME_MAX + 1), -EINVAL);

    assert_true(svc_file_name_or_default("notes.txt", 9, out, sizeof(out)));
    assert_string_equal(out, "notes.txt");
    assert_false(svc_file_name_or_default("../../etc/passwd", 16, out, sizeof(out)));
    assert_string_equal(out, SVC_DEFAULT_FILE_NAME);
    assert_false(svc_file_name_or_default("", 0, out, sizeof(out)));
    assert_string_equal(out, SVC_DEFAULT_FILE_NAME);
}

static void test_utf8(void **state)
{
    (void)state;
    assert_true(svc_utf8_ok("", 0));
    assert_true(svc_utf8_ok("plain", 5));
    assert_true(svc_utf8_ok("\xf0\x9f\x98\x80 \xe2\x82\xac", 8));
    assert_false(svc_utf8_ok("\xff", 1));
    assert_false(svc_utf8_ok("\x80", 1));
    assert_false(svc_utf8_ok("\xe0\x80\x80", 3));
    assert_false(svc_utf8_ok("\xf8\x88\x80\x80\x80", 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_accepts_date_u_iseconds),
        cmocka_unit_test(test_date_agrees_with_gmtime),
        cmocka_unit_test(test_date_refuses_anything_else),
        cmocka_unit_test(test_url_allowlist),
        cmocka_unit_test(test_url_refusals),
        cmocka_unit_test(test_url_length_bound),
        cmocka_unit_test(test_app_names),
        cmocka_unit_test(test_file_names),
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests_name("vm_services", tests, NULL, NULL);
}
