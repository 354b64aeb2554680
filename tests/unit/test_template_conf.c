/* template.conf's parser (dom0/tools/template_conf.c): a good file and its
 * canonical form, then every key with values just inside and just outside
 * its rule, and the file-level limits (size, NUL, long lines, duplicates,
 * unknown and missing keys, an unknown format first). */
#include "dom0/tools/template_conf.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define H64A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H64B "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define H64C "00000000000000000000000000000000000000000000000000000000000000aa"

static const char good[] = "# a Bulkhead template\n"
                           "format=1\n"
                           "name=debian-12\n"
                           "version=1.0.20261130\n"
                           "description=Debian 12 with Bulkhead's agent\n"
                           "built=2026-11-30T06:00:00Z\n"
                           "kernel_version=6.1.0-28-amd64\n"
                           "root_size=33554432\n"
                           "root_sha256=" H64A "\n"
                           "vmlinuz_sha256=" H64B "\n"
                           "initramfs_sha256=" H64C "\n"
                           "\n"
                           "label=black\n"
                           "default_user=user\n";

static char err[512];

static int parse(const char *text, struct tconf *c)
{
    err[0] = 0;
    return tconf_parse(text, strlen(text), c, err, sizeof(err));
}

/* good with the line "key=..." replaced by line (or removed if NULL) */
static char *with(const char *key, const char *line)
{
    static char out[TCONF_SIZE_MAX * 2];
    const char *p = good;
    size_t o = 0, k = strlen(key);

    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = (size_t)(nl - p) + 1;
        if (!strncmp(p, key, k) && p[k] == '=') {
            if (line)
                o += (size_t)sprintf(out + o, "%s\n", line);
        } else {
            memcpy(out + o, p, n);
            o += n;
        }
        p += n;
    }
    out[o] = 0;
    return out;
}

static void refused(const char *key, const char *line, const char *why)
{
    struct tconf c;

    if (parse(with(key, line), &c) != -EINVAL)
        fail_msg("accepted: %s", line ? line : key);
    if (!strstr(err, why))
        fail_msg("%s: wanted '%s' in '%s'", line ? line : key, why, err);
    /* nothing half-parsed is left behind */
    assert_string_equal(c.name, "");
}

static void accepted(const char *key, const char *line)
{
    struct tconf c;

    if (parse(with(key, line), &c) != 0)
        fail_msg("refused %s: %s", line ? line : key, err);
}

static void test_good(void **state)
{
    struct tconf c, c2;
    char out[4096];
    (void)state;

    assert_int_equal(parse(good, &c), 0);
    assert_string_equal(c.name, "debian-12");
    assert_string_equal(c.version, "1.0.20261130");
    assert_string_equal(c.description, "Debian 12 with Bulkhead's agent");
    assert_string_equal(c.built, "2026-11-30T06:00:00Z");
    assert_string_equal(c.kernel_version, "6.1.0-28-amd64");
    assert_int_equal(c.root_size, 33554432);
    assert_int_equal(c.root_sha256[0], 0x01);
    assert_int_equal(c.root_sha256[31], 0xef);
    assert_int_equal(c.vmlinuz_sha256[5], 0xff);
    assert_int_equal(c.initramfs_sha256[31], 0xaa);
    assert_string_equal(c.label, "black");
    assert_string_equal(c.default_user, "user");
    /* the printer's text parses back to the same */
    assert_true(tconf_format(&c, out, sizeof(out)) < sizeof(out));
    assert_int_equal(tconf_parse(out, strlen(out), &c2, err, sizeof(err)), 0);
    assert_memory_equal(&c, &c2, sizeof(c));
    /* a last line without '\n' counts */
    out[strlen(out) - 1] = 0;
    assert_int_equal(tconf_parse(out, strlen(out), &c2, err, sizeof(err)), 0);
    assert_string_equal(c2.default_user, "user");
}

static void test_optional_keys(void **state)
{
    struct tconf c;
    char *t;
    (void)state;

    t = strdup(with("description", NULL));
    assert_non_null(t);
    assert_int_equal(parse(t, &c), 0);
    free(t);
    assert_string_equal(c.description, "");
    assert_int_equal(parse(with("built", NULL), &c), 0);
    assert_string_equal(c.built, "");
    assert_int_equal(parse(with("label", NULL), &c), 0);
    assert_string_equal(c.label, "black");
    assert_int_equal(parse(with("default_user", NULL), &c), 0);
    assert_string_equal(c.default_user, "user");
    accepted("description", "description=");
    accepted("label", "label=purple");
}

static void test_required_keys(void **state)
{
    static const char *const req[] = {
        "format",    "name",        "version",        "kernel_version",
        "root_size", "root_sha256", "vmlinuz_sha256", "initramfs_sha256"};
    (void)state;

    for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
        char want[64];
        snprintf(want, sizeof(want), "no %s= line", req[i]);
        refused(req[i], NULL, want);
    }
}

static void test_format(void **state)
{
    struct tconf c;
    (void)state;

    refused("format", "format=2", "unsupported format 2");
    refused("format", "format=", "unsupported format");
    refused("format", "format=01", "unsupported format");
    refused("format", "format=1 ", "unsupported format");
    /* a newer format is named as such even with keys this reader lacks */
    assert_int_equal(parse("name=x\nnew_key=1\nformat=3\n", &c), -EINVAL);
    assert_non_null(strstr(err, "unsupported format 3"));
}

static void test_name(void **state)
{
    (void)state;
    accepted("name", "name=a");
    accepted("name", "name=abcdefghijklmnopqrstuvwxyz01234"); /* 31 */
    refused("name", "name=abcdefghijklmnopqrstuvwxyz012345", "not a valid qube name");
    refused("name", "name=../x", "not a valid qube name");
    refused("name", "name=", "not a valid qube name");
    refused("name", "name=1abc", "not a valid qube name");
    refused("name", "name=a b", "not a valid qube name");
    refused("name", "name=a/b", "not a valid qube name");
    refused("name", "name=none", "not a valid qube name");
    refused("name", "name=x-dm", "not a valid qube name");
    refused("name", "name= debian", "not a valid qube name");
}

static void test_version(void **state)
{
    char line[128];
    (void)state;

    accepted("version", "version=1");
    accepted("version", "version=2.1.0+b1~rc_2-3");
    memset(line, 0, sizeof(line));
    strcpy(line, "version=");
    memset(line + 8, '7', 64);
    accepted("version", line);
    line[8 + 64] = '7';
    refused("version", line, "version:");
    refused("version", "version=", "version:");
    refused("version", "version=-1", "version:");
    refused("version", "version=1 0", "version:");
    refused("version", "version=1/0", "version:");
    refused("version", "version=2:1.0", "version:");
}

static void test_description(void **state)
{
    char line[TCONF_DESCRIPTION_MAX + 32];
    (void)state;

    accepted("description",
             "description=Debian 12 \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7");
    strcpy(line, "description=");
    memset(line + 12, 'x', TCONF_DESCRIPTION_MAX);
    line[12 + TCONF_DESCRIPTION_MAX] = 0;
    accepted("description", line);
    line[12 + TCONF_DESCRIPTION_MAX] = 'x';
    line[13 + TCONF_DESCRIPTION_MAX] = 0;
    refused("description", line, "longer than");
    refused("description", "description=a\tb", "not UTF-8 text");
    refused("description", "description=a\x1b[31mred", "not UTF-8 text");
    refused("description", "description=a\x7f", "not UTF-8 text");
    refused("description",
            "description=\xc2\x9b"
            "31m",
            "not UTF-8 text"); /* C1 CSI */
    refused("description",
            "description=\xe2\x80\xae"
            "evil",
            "not UTF-8 text");                                                /* RLO */
    refused("description", "description=\xc0\xaf", "not UTF-8 text");         /* overlong */
    refused("description", "description=\xed\xa0\x80", "not UTF-8 text");     /* surrogate */
    refused("description", "description=\xf4\x90\x80\x80", "not UTF-8 text"); /* > U+10FFFF */
    refused("description", "description=\xe2\x82", "not UTF-8 text");         /* cut */
    refused("description", "description=\xff", "not UTF-8 text");
}

static void test_built(void **state)
{
    (void)state;
    accepted("built", "built=2024-02-29T23:59:60Z");
    refused("built", "built=2023-02-29T00:00:00Z", "not a UTC time");
    refused("built", "built=2026-11-30", "not a UTC time");
    refused("built", "built=2026-11-30T06:00:00+00:00", "not a UTC time");
    refused("built", "built=2026-13-01T00:00:00Z", "not a UTC time");
    refused("built", "built=2026-04-31T00:00:00Z", "not a UTC time");
    refused("built", "built=2026-11-30T24:00:00Z", "not a UTC time");
    refused("built", "built=2026-11-30 06:00:00Z", "not a UTC time");
    refused("built", "built=1969-12-31T00:00:00Z", "not a UTC time");
    refused("built", "built=2026-1a-30T06:00:00Z", "not a UTC time");
}

static void test_kernel_version(void **state)
{
    char line[128];
    (void)state;

    accepted("kernel_version", "kernel_version=6.1.0+deb12_1-amd64");
    strcpy(line, "kernel_version=");
    memset(line + 15, 'k', 64);
    line[15 + 64] = 0;
    accepted("kernel_version", line);
    line[15 + 64] = 'k';
    line[16 + 64] = 0;
    refused("kernel_version", line, "kernel_version:");
    refused("kernel_version", "kernel_version=../../etc", "kernel_version:");
    refused("kernel_version", "kernel_version=6.1..0", "kernel_version:");
    refused("kernel_version", "kernel_version=.hidden", "kernel_version:");
    refused("kernel_version", "kernel_version=-rf", "kernel_version:");
    refused("kernel_version", "kernel_version=a/b", "kernel_version:");
    refused("kernel_version", "kernel_version=", "kernel_version:");
    refused("kernel_version", "kernel_version=6.1 0", "kernel_version:");
    assert_false(tconf_kernel_version_ok("..", 2));
    assert_true(tconf_kernel_version_ok("6.1.0", 5));
}

static void test_root_size(void **state)
{
    (void)state;
    accepted("root_size", "root_size=1048576");
    accepted("root_size", "root_size=1099511627776");
    refused("root_size", "root_size=1048064", "root_size:");       /* < 1 MiB */
    refused("root_size", "root_size=1099511628288", "root_size:"); /* > 1 TiB */
    refused("root_size", "root_size=33554433", "root_size:");      /* not a sector multiple */
    refused("root_size", "root_size=033554432", "root_size:");
    refused("root_size", "root_size=+33554432", "root_size:");
    refused("root_size", "root_size=32M", "root_size:");
    refused("root_size", "root_size=", "root_size:");
    refused("root_size", "root_size=99999999999999999999999", "root_size:");
    refused("root_size", "root_size=18446744073709551616", "root_size:");
}

static void test_sha256(void **state)
{
    (void)state;
    refused("root_sha256", "root_sha256=" H64A "0", "not 64 lower-case hex");
    refused("root_sha256", "root_sha256=0123", "not 64 lower-case hex");
    refused("vmlinuz_sha256",
            "vmlinuz_sha256=FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
            "not 64 lower-case hex");
    refused("initramfs_sha256",
            "initramfs_sha256=g000000000000000000000000000000000000000000000000000000000000000",
            "not 64 lower-case hex");
    refused("initramfs_sha256", "initramfs_sha256=", "not 64 lower-case hex");
}

static void test_label_and_user(void **state)
{
    (void)state;
    refused("label", "label=pink", "not a label");
    refused("label", "label=Black", "not a label");
    refused("label", "label=blackblack", "not a label");
    refused("label", "label=", "not a label");
    accepted("default_user", "default_user=_svc-1");
    refused("default_user", "default_user=User", "not a user name");
    refused("default_user", "default_user=1user", "not a user name");
    refused("default_user", "default_user=", "not a user name");
    refused("default_user", "default_user=abcdefghijklmnopqrstuvwxyz0123456", "not a user name");
}

static void test_file_level(void **state)
{
    static char big[TCONF_SIZE_MAX + 2];
    char buf[1200];
    struct tconf c;
    size_t n = strlen(good);
    (void)state;

    refused("label", "colour=red", "unknown key colour");
    refused("label", "Label=red", "unknown key");
    refused("label", "label = black", "unknown key");
    refused("label", "just words", "not key=value");
    refused("label", "label=black\nlabel=black", "label given twice");
    refused("label", "label=black\r", "not a label");
    /* a NUL anywhere */
    memcpy(buf, good, n);
    buf[20] = 0;
    assert_int_equal(tconf_parse(buf, n, &c, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "NUL"));
    /* a line too long for any value */
    memset(buf, 'x', sizeof(buf));
    memcpy(buf, "description=", 12);
    assert_int_equal(tconf_parse(buf, sizeof(buf), &c, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "line 1: longer than"));
    /* the whole file too large, however good */
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = i % 2 ? '\n' : '#';
    assert_int_equal(tconf_parse(big, sizeof(big), &c, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "larger than"));
    assert_int_equal(tconf_parse(big, TCONF_SIZE_MAX, &c, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "no format= line"));
    /* an empty file */
    assert_int_equal(tconf_parse("", 0, &c, err, sizeof(err)), -EINVAL);
    /* the line number is right, the value is shown escaped */
    refused("label", "label=\x1b]0;x", "line 13: label:");
    refused("name", "name=\x1b[2J", "line 3: name:");
    refused("label", "\x1b[2J=1", "unknown key \\x1b[2J");
}

static void test_hex(void **state)
{
    uint8_t d[32];
    char h[65];
    (void)state;

    for (int i = 0; i < 32; i++)
        d[i] = (uint8_t)(i * 8 + 1);
    tconf_hex(d, h);
    assert_int_equal(strlen(h), 64);
    assert_memory_equal(h, "0109111921293139", 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),           cmocka_unit_test(test_optional_keys),
        cmocka_unit_test(test_required_keys),  cmocka_unit_test(test_format),
        cmocka_unit_test(test_name),           cmocka_unit_test(test_version),
        cmocka_unit_test(test_description),    cmocka_unit_test(test_built),
        cmocka_unit_test(test_kernel_version), cmocka_unit_test(test_root_size),
        cmocka_unit_test(test_sha256),         cmocka_unit_test(test_label_and_user),
        cmocka_unit_test(test_file_level),     cmocka_unit_test(test_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
