/* The storage layer's pure parts (dom0/storage/names.c, lvm_cmd.c): LV and
 * image names, which revisions are pruned, sizes with suffixes, pool
 * options, the lvm command lines and the lvs report parser. */
#include "dom0/storage/lvm_cmd.h"
#include "dom0/storage/names.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void test_lv_names(void **state)
{
    char b[128];
    long long ep;
    (void)state;

    assert_int_equal(stor_lv_name(b, sizeof(b), "work", "private", SK_BASE, 0), 0);
    assert_string_equal(b, "vm-work-private");
    assert_int_equal(stor_lv_name(b, sizeof(b), "work", "root", SK_SNAP, 0), 0);
    assert_string_equal(b, "vm-work-root-snap");
    assert_int_equal(stor_lv_name(b, sizeof(b), "work", "private", SK_BACK, 1700000000), 0);
    assert_string_equal(b, "vm-work-private-1700000000-back");
    assert_int_equal(stor_lv_name(b, sizeof(b), "work", "private", SK_IMPORT, 0), 0);
    assert_string_equal(b, "vm-work-private-import");
    /* names that would escape the naming scheme, and ones that do not fit */
    assert_int_equal(stor_lv_name(b, sizeof(b), "../x", "private", SK_BASE, 0), -EINVAL);
    assert_int_equal(stor_lv_name(b, sizeof(b), "work", "", SK_BASE, 0), -EINVAL);
    assert_int_equal(stor_lv_name(b, sizeof(b), "a b", "root", SK_BASE, 0), -EINVAL);
    assert_int_equal(stor_lv_name(b, sizeof(b), "-work", "root", SK_BASE, 0), -EINVAL);
    assert_int_equal(stor_lv_name(b, 10, "work", "private", SK_BASE, 0), -ENAMETOOLONG);
    assert_int_equal(stor_lv_name(b, sizeof(b), "work", "root", SK_PRECACHE, 0), -EINVAL);

    assert_int_equal(stor_lv_revision("vm-work-private-1700000000-back", "vm-work-private", &ep),
                     1);
    assert_true(ep == 1700000000);
    /* another volume whose name starts the same, the base, -snap, junk */
    assert_int_equal(stor_lv_revision("vm-work-private2-17-back", "vm-work-private", &ep), 0);
    assert_int_equal(stor_lv_revision("vm-work-private", "vm-work-private", &ep), 0);
    assert_int_equal(stor_lv_revision("vm-work-private-snap", "vm-work-private", &ep), 0);
    assert_int_equal(stor_lv_revision("vm-work-private--back", "vm-work-private", &ep), 0);
    assert_int_equal(stor_lv_revision("vm-work-private-12x-back", "vm-work-private", &ep), 0);
    assert_int_equal(stor_lv_revision("vm-work-private-12-backup", "vm-work-private", &ep), 0);
    /* a qube named work-private's volumes are not work's */
    assert_int_equal(stor_lv_revision("vm-work-private-root-1-back", "vm-work-private", &ep), 0);
}

static void test_file_names(void **state)
{
    char b[256], v[128];
    long long ep;
    (void)state;

    assert_int_equal(stor_file_vid(v, sizeof(v), "work", false, "private"), 0);
    assert_string_equal(v, "appvms/work/private");
    assert_int_equal(stor_file_vid(v, sizeof(v), "fedora", true, "root"), 0);
    assert_string_equal(v, "vm-templates/fedora/root");
    assert_int_equal(stor_file_vid(v, sizeof(v), "..", false, "root"), -EINVAL);

    assert_int_equal(stor_file_name(b, sizeof(b), "/p", "appvms/w/private", SK_BASE, 0), 0);
    assert_string_equal(b, "/p/appvms/w/private.img");
    assert_int_equal(stor_file_name(b, sizeof(b), "/p", "appvms/w/private", SK_SNAP, 0), 0);
    assert_string_equal(b, "/p/appvms/w/private-dirty.img");
    assert_int_equal(stor_file_name(b, sizeof(b), "/p", "appvms/w/private", SK_BACK, 42), 0);
    assert_string_equal(b, "/p/appvms/w/private.img.42~");
    assert_int_equal(stor_file_name(b, sizeof(b), "/p", "appvms/w/private", SK_IMPORT, 0), 0);
    assert_string_equal(b, "/p/appvms/w/private-import.img");
    assert_int_equal(stor_file_name(b, sizeof(b), "/p", "appvms/w/private", SK_PRECACHE, 0), 0);
    assert_string_equal(b, "/p/appvms/w/private-precache.img");
    assert_int_equal(stor_file_name(b, sizeof(b), "p", "appvms/w/private", SK_BASE, 0), -EINVAL);
    assert_int_equal(stor_file_name(b, sizeof(b), "/p", "appvms/../x", SK_BASE, 0), -EINVAL);
    assert_int_equal(stor_file_name(b, 8, "/p", "appvms/w/private", SK_BASE, 0), -ENAMETOOLONG);

    assert_int_equal(stor_file_revision("private.img.1700000000~", "private", &ep), 1);
    assert_true(ep == 1700000000);
    assert_int_equal(stor_file_revision("private.img", "private", &ep), 0);
    assert_int_equal(stor_file_revision("private.img.~", "private", &ep), 0);
    assert_int_equal(stor_file_revision("private.img.12", "private", &ep), 0);
    assert_int_equal(stor_file_revision("private-dirty.img", "private", &ep), 0);
    assert_int_equal(stor_file_revision("private.img.1x~", "private", &ep), 0);
    assert_int_equal(stor_file_revision("root.img.5~", "private", &ep), 0);
}

static void test_prune(void **state)
{
    long long ep[] = {30, 10, 50, 20, 40}, drop[5];
    long long none[1], one[] = {7};
    (void)state;

    /* keep the 2 newest: drop 10, 20, 30, oldest first */
    assert_int_equal(stor_prune(ep, 5, 2, drop), 3);
    assert_true(drop[0] == 10 && drop[1] == 20 && drop[2] == 30);
    assert_true(ep[0] == 10 && ep[4] == 50); /* sorted */
    assert_int_equal(stor_prune(ep, 5, 5, drop), 0);
    assert_int_equal(stor_prune(ep, 5, 9, drop), 0);
    assert_int_equal(stor_prune(ep, 5, 0, drop), 5);
    assert_int_equal(stor_prune(ep, 5, -1, drop), 5);
    assert_int_equal(stor_prune(none, 0, 1, drop), 0);
    assert_int_equal(stor_prune(one, 1, 0, drop), 1);
    assert_true(drop[0] == 7);

    /* a new revision's epoch: now, unless that is not after the newest */
    assert_true(stor_next_epoch(100, ep, 5) == 100);
    assert_true(stor_next_epoch(50, ep, 5) == 51);
    assert_true(stor_next_epoch(20, ep, 5) == 51);
    assert_true(stor_next_epoch(5, none, 0) == 5);
}

static void test_sizes(void **state)
{
    int64_t v;
    (void)state;

    assert_int_equal(stor_parse_size("1024", &v), 0);
    assert_true(v == 1024);
    assert_int_equal(stor_parse_size("2k", &v), 0);
    assert_true(v == 2048);
    assert_int_equal(stor_parse_size("2K", &v), 0);
    assert_true(v == 2048);
    assert_int_equal(stor_parse_size("10G", &v), 0);
    assert_true(v == 10LL << 30);
    assert_int_equal(stor_parse_size("512MiB", &v), 0);
    assert_true(v == 512LL << 20);
    assert_int_equal(stor_parse_size("3GB", &v), 0);
    assert_true(v == 3LL << 30);
    assert_int_equal(stor_parse_size("1T", &v), 0);
    assert_true(v == 1LL << 40);
    assert_int_equal(stor_parse_size("0", &v), 0);
    assert_true(v == 0);
    assert_int_equal(stor_parse_size("", &v), -EINVAL);
    assert_int_equal(stor_parse_size("G", &v), -EINVAL);
    assert_int_equal(stor_parse_size("-1", &v), -EINVAL);
    assert_int_equal(stor_parse_size("1.5G", &v), -EINVAL);
    assert_int_equal(stor_parse_size("1X", &v), -EINVAL);
    assert_int_equal(stor_parse_size("1GiBx", &v), -EINVAL);
    assert_int_equal(stor_parse_size("1 G", &v), -EINVAL);
    assert_int_equal(stor_parse_size("99999999999999999999", &v), -EINVAL);
    assert_int_equal(stor_parse_size("5000000000000000000", &v), -ERANGE);
    assert_int_equal(stor_parse_size("4194304T", &v), 0); /* 2^62 */
    assert_int_equal(stor_parse_size("4194305T", &v), -ERANGE);
}

static void test_pool_options(void **state)
{
    struct pool_cfg c;
    char err[256], out[2048];
    (void)state;

    assert_int_equal(pool_cfg_parse("p", "file-reflink", "dir_path=/var/p\n", &c, err, sizeof(err)),
                     0);
    assert_string_equal(c.dir_path, "/var/p");
    assert_int_equal(c.revisions_to_keep, 1);
    assert_true(c.setup_check);
    assert_int_equal(pool_cfg_format(&c, out, sizeof(out)), 0);
    assert_string_equal(out, "dir_path=/var/p\nephemeral_volatile=False\nrevisions_to_keep=1\n"
                             "setup_check=True\n");
    /* the canonical form parses to the same */
    assert_int_equal(pool_cfg_parse("p", "file-reflink", out, &c, err, sizeof(err)), 0);
    assert_int_equal(pool_cfg_parse("p", "file-reflink",
                                    "setup_check=no\nrevisions_to_keep=3\ndir_path=/x", &c, err,
                                    sizeof(err)),
                     0);
    assert_false(c.setup_check);
    assert_int_equal(c.revisions_to_keep, 3);
    assert_int_equal(pool_cfg_parse("vm-pool", "lvm_thin",
                                    "volume_group=qubes_dom0\nthin_pool=vm-pool\n"
                                    "revisions_to_keep=2\n",
                                    &c, err, sizeof(err)),
                     0);
    assert_int_equal(pool_cfg_format(&c, out, sizeof(out)), 0);
    assert_string_equal(out, "ephemeral_volatile=False\nrevisions_to_keep=2\nthin_pool=vm-pool\n"
                             "volume_group=qubes_dom0\n");

    /* refused: unknown driver or key, missing or bad values, bad names */
    assert_int_equal(pool_cfg_parse("p", "zfs", "", &c, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "unknown pool driver"));
    assert_int_equal(
        pool_cfg_parse("p", "file-reflink", "dir_path=/x\nthin_pool=a", &c, err, sizeof(err)),
        -EINVAL);
    assert_non_null(strstr(err, "no option 'thin_pool'"));
    assert_int_equal(pool_cfg_parse("p", "file-reflink", "", &c, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "needs dir_path"));
    assert_int_equal(pool_cfg_parse("p", "lvm_thin", "volume_group=v", &c, err, sizeof(err)),
                     -EINVAL);
    static const char *const bad_dirs[] = {"dir_path=relative", "dir_path=/a/../b", "dir_path=/a/",
                                           "dir_path=/a//b",    "dir_path=/a b",    "dir_path=/a/.",
                                           "dir_path="};
    for (size_t i = 0; i < sizeof(bad_dirs) / sizeof(bad_dirs[0]); i++)
        assert_int_equal(pool_cfg_parse("p", "file-reflink", bad_dirs[i], &c, err, sizeof(err)),
                         -EINVAL);
    assert_int_equal(pool_cfg_parse("p", "file-reflink", "dir_path=/x\nrevisions_to_keep=101", &c,
                                    err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(
        pool_cfg_parse("p", "file-reflink", "dir_path=/x\nsetup_check=maybe", &c, err, sizeof(err)),
        -EINVAL);
    assert_int_equal(pool_cfg_parse("p", "file-reflink", "dir_path", &c, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(
        pool_cfg_parse("p", "lvm_thin", "volume_group=a/b\nthin_pool=t", &c, err, sizeof(err)),
        -EINVAL);
    assert_int_equal(pool_cfg_parse(".p", "file-reflink", "dir_path=/x", &c, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(pool_cfg_parse("", "file-reflink", "dir_path=/x", &c, err, sizeof(err)),
                     -EINVAL);
    assert_true(stor_pool_name_ok("vm-pool"));
    assert_false(stor_pool_name_ok("a/b"));
}

static void assert_argv(const struct lvm_cmd *c, const char *const *want)
{
    size_t i;
    for (i = 0; want[i]; i++) {
        assert_non_null(c->argv[i]);
        assert_string_equal(c->argv[i], want[i]);
    }
    assert_null(c->argv[i]);
}

static void test_lvm_argv(void **state)
{
    struct lvm_cmd c;
    (void)state;

    lvm_cmd_create(&c, "qubes_dom0", "vm-pool", "vm-work-private", 2147483648LL);
    assert_argv(&c, (const char *const[]){"lvm", "lvcreate", "--thinpool", "qubes_dom0/vm-pool",
                                          "--virtualsize", "2147483648b", "--name",
                                          "vm-work-private", "--yes", NULL});
    lvm_cmd_snapshot(&c, "qubes_dom0", "vm-fedora-root", "vm-work-root-snap");
    assert_argv(&c, (const char *const[]){"lvm", "lvcreate", "--snapshot", "--setactivationskip",
                                          "n", "--activate", "y", "--name", "vm-work-root-snap",
                                          "qubes_dom0/vm-fedora-root", NULL});
    lvm_cmd_remove(&c, "qubes_dom0", "vm-work-root-snap");
    assert_argv(&c, (const char *const[]){"lvm", "lvremove", "--force",
                                          "qubes_dom0/vm-work-root-snap", NULL});
    lvm_cmd_rename(&c, "qubes_dom0", "vm-work-private-snap", "vm-work-private");
    assert_argv(&c, (const char *const[]){"lvm", "lvrename", "qubes_dom0", "vm-work-private-snap",
                                          "vm-work-private", NULL});
    lvm_cmd_extend(&c, "qubes_dom0", "vm-work-private", 4294967296LL);
    assert_argv(&c, (const char *const[]){"lvm", "lvextend", "--size", "4294967296b",
                                          "qubes_dom0/vm-work-private", NULL});
    lvm_cmd_activate(&c, "qubes_dom0", "vm-work-private-5-back", 0);
    assert_argv(&c, (const char *const[]){"lvm", "lvchange", "--activate", "n",
                                          "qubes_dom0/vm-work-private-5-back", NULL});
    lvm_cmd_report(&c, "qubes_dom0", NULL);
    assert_argv(&c, (const char *const[]){"lvm", "lvs", "--noheadings", "--nosuffix", "--units",
                                          "b", "--separator", "|", "--options",
                                          "lv_name,vg_name,lv_attr,lv_size,pool_lv,origin,"
                                          "data_percent",
                                          "qubes_dom0", NULL});
    lvm_cmd_report(&c, "qubes_dom0", "vm-pool");
    assert_string_equal(c.argv[10], "qubes_dom0/vm-pool");
}

struct rows {
    struct lvs_row r[8];
    int n;
};

static int take(void *ctx, const struct lvs_row *r)
{
    struct rows *rs = ctx;
    if (rs->n < 8)
        rs->r[rs->n++] = *r;
    return 0;
}

static int stop_at_first(void *ctx, const struct lvs_row *r)
{
    (void)ctx, (void)r;
    return 7;
}

static void test_lvs_parse(void **state)
{
    static const char out[] =
        "  vm-pool|qubes_dom0|twi-aotz--|107374182400|||12.50\n"
        "  vm-work-private|qubes_dom0|Vwi-a-tz--|2147483648|vm-pool||1.00\n"
        "  vm-work-private-1700000000-back|qubes_dom0|Vwi---tz--|2147483648|vm-pool|"
        "vm-work-private|\n"
        "\n"
        "  root|qubes_dom0|-wi-ao----|21474836480|||";
    struct rows rs = {.n = 0};
    (void)state;

    assert_int_equal(lvs_parse(out, strlen(out), take, &rs), 0);
    assert_int_equal(rs.n, 4);
    assert_string_equal(rs.r[0].lv, "vm-pool");
    assert_string_equal(rs.r[0].attr, "twi-aotz--");
    assert_true(rs.r[0].size == 107374182400LL);
    assert_true(rs.r[0].used == 13421772800LL); /* 12.50 % */
    assert_string_equal(rs.r[1].pool, "vm-pool");
    assert_true(rs.r[1].used == 21474836); /* 1 % */
    assert_string_equal(rs.r[2].origin, "vm-work-private");
    assert_true(rs.r[2].used == 0);
    assert_string_equal(rs.r[3].lv, "root");
    assert_string_equal(rs.r[3].pool, "");
    assert_int_equal(lvs_parse(out, strlen(out), stop_at_first, NULL), 7);
    assert_int_equal(lvs_parse("", 0, take, &rs), 0);

    /* malformed: too few or many columns, bad numbers, odd names, NULs */
    static const char *const bad[] = {
        "a|b|c|1||",       "a|b|c|1|||1.0|x", "a|b|c|x|||",  "a|b|c|1|||101.00",
        "a|b|c|1|||1.234", "a b|b|c|1|||",    "|b|c|1|||",   "a|b|c||||",
        "a|b|c|1|||.5",    "a|b|c|1|p/q||",   "a|b|c|-1|||", "a|b|c|1234567890123456789|||",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rs.n = 0;
        assert_int_equal(lvs_parse(bad[i], strlen(bad[i]), take, &rs), -EINVAL);
        assert_int_equal(rs.n, 0);
    }
    /* a NUL inside a line is not a separator */
    assert_int_equal(lvs_parse("a|b\0|c|1|||", 11, take, &rs), -EINVAL);
    /* rows before a bad line were passed on */
    rs.n = 0;
    assert_int_equal(lvs_parse("a|b|c|1|||\nbad\n", 15, take, &rs), -EINVAL);
    assert_int_equal(rs.n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lv_names),     cmocka_unit_test(test_file_names),
        cmocka_unit_test(test_prune),        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_pool_options), cmocka_unit_test(test_lvm_argv),
        cmocka_unit_test(test_lvs_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
