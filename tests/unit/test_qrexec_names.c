/* qrexec naming rules: sanitizers, the policy split of a descriptor, qube
 * names, targets and command lines. */
#include "qrexec/common/rpc_config.h"
#include "qrexec/common/services.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void test_sanitize_service(void **state)
{
    char out[64];
    (void)state;

    assert_int_equal(qrexec_sanitize_service(out, sizeof(out), "qubes.Filecopy+", 15), 0);
    assert_string_equal(out, "qubes.Filecopy+");
    /* anything outside the set becomes '_', including NULs and slashes */
    assert_int_equal(qrexec_sanitize_service(out, sizeof(out), "a/b c\nd\0e+$x", 12), 0);
    assert_string_equal(out, "a_b_c_d_e+_x");
    assert_int_equal(qrexec_sanitize_service(out, sizeof(out), "", 0), -EINVAL);
    assert_int_equal(qrexec_sanitize_service(out, sizeof(out), "+arg", 4), -EINVAL);
    assert_int_equal(qrexec_sanitize_service(out, 4, "abcd", 4), -ENAMETOOLONG);
    assert_int_equal(qrexec_sanitize_target(out, sizeof(out), "@dispvm:work", 12), 0);
    assert_string_equal(out, "@dispvm:work");
    assert_int_equal(qrexec_sanitize_target(out, sizeof(out), "uuid:1+2 3", 10), 0);
    assert_string_equal(out, "uuid:1_2_3");
}

static void test_split_service(void **state)
{
    struct qrexec_service_name s;
    (void)state;

    assert_int_equal(qrexec_split_service("qubes.Filecopy", &s), 0);
    assert_int_equal(s.name_len, 14);
    assert_false(s.has_arg);
    assert_string_equal(s.arg, "");
    assert_int_equal(qrexec_split_service("admin.vm.List+", &s), 0);
    assert_true(s.has_arg);
    assert_int_equal(s.arg_len, 0);
    assert_int_equal(qrexec_split_service("qubes.StartApp+firefox+private", &s), 0);
    assert_int_equal(s.name_len, 14);
    assert_string_equal(s.arg, "firefox+private");
    assert_int_equal(qrexec_split_service("+arg", &s), -EINVAL);
    assert_int_equal(qrexec_split_service("a b", &s), -EINVAL);
    assert_int_equal(qrexec_split_service("svc+a/b", &s), -EINVAL);
    assert_int_equal(qrexec_split_service("", &s), -EINVAL);
}

static void test_vm_names(void **state)
{
    (void)state;
    assert_true(qrexec_valid_vm_name("work"));
    assert_true(qrexec_valid_vm_name("sys-net"));
    assert_true(qrexec_valid_vm_name("a234567890123456789012345678901"));   /* 31 */
    assert_false(qrexec_valid_vm_name("a2345678901234567890123456789012")); /* 32 */
    assert_false(qrexec_valid_vm_name(""));
    assert_false(qrexec_valid_vm_name("1work"));
    assert_false(qrexec_valid_vm_name("-work"));
    assert_false(qrexec_valid_vm_name("work vm"));
    assert_false(qrexec_valid_vm_name("Domain-0"));
    assert_false(qrexec_valid_vm_name("none"));
    assert_false(qrexec_valid_vm_name("default"));
    assert_false(qrexec_valid_vm_name("work-dm"));
    assert_false(qrexec_valid_vm_name("w\xc3\xa9"));
}

static void test_targets(void **state)
{
    const char *d;
    (void)state;

    assert_int_equal(qrexec_classify_target("@default", &d), QREXEC_TARGET_DEFAULT);
    assert_int_equal(qrexec_classify_target("", &d), QREXEC_TARGET_DEFAULT);
    assert_int_equal(qrexec_classify_target("dom0", &d), QREXEC_TARGET_ADMINVM);
    assert_int_equal(qrexec_classify_target("@adminvm", &d), QREXEC_TARGET_ADMINVM);
    assert_int_equal(qrexec_classify_target("@dispvm", &d), QREXEC_TARGET_DISPVM);
    assert_int_equal(qrexec_classify_target("@dispvm:fedora-dvm", &d), QREXEC_TARGET_DISPVM_VM);
    assert_string_equal(d, "fedora-dvm");
    assert_int_equal(qrexec_classify_target("uuid:0f8fad5b-d9cb-469f-a165-70867728950e", &d),
                     QREXEC_TARGET_UUID);
    assert_string_equal(d, "0f8fad5b-d9cb-469f-a165-70867728950e");
    assert_int_equal(qrexec_classify_target("work", &d), QREXEC_TARGET_NAME);
    assert_null(d);
    assert_int_equal(qrexec_classify_target("$dispvm", &d), QREXEC_TARGET_INVALID);
    assert_int_equal(qrexec_classify_target("@anyvm", &d), QREXEC_TARGET_INVALID);
    assert_int_equal(qrexec_classify_target("@dispvm:", &d), QREXEC_TARGET_INVALID);
    assert_int_equal(qrexec_classify_target("uuid:nope", &d), QREXEC_TARGET_INVALID);
    assert_int_equal(qrexec_classify_target("a-dm", &d), QREXEC_TARGET_INVALID);
}

static void test_vm_cmdline(void **state)
{
    struct qrexec_cmdline c;
    const char *s;
    (void)state;

    s = "user:QUBESRPC qubes.Filecopy+ work";
    assert_int_equal(qrexec_parse_vm_cmdline(s, strlen(s), &c), 0);
    assert_true(c.rpc);
    assert_false(c.nogui);
    assert_int_equal(c.user_len, 4);
    assert_int_equal(c.service_len, 15);
    assert_memory_equal(c.service, "qubes.Filecopy+", 15);
    assert_int_equal(c.source_len, 4);
    assert_memory_equal(c.source, "work", 4);

    s = "DEFAULT:nogui:QUBESRPC qubes.GetDate dom0";
    assert_int_equal(qrexec_parse_vm_cmdline(s, strlen(s), &c), 0);
    assert_true(c.nogui && c.rpc);

    s = "root:ls -l /tmp";
    assert_int_equal(qrexec_parse_vm_cmdline(s, strlen(s), &c), 0);
    assert_false(c.rpc);
    assert_string_equal(c.command, "ls -l /tmp");

    s = "user:QUBESRPC only-one-field";
    assert_int_equal(qrexec_parse_vm_cmdline(s, strlen(s), &c), -EINVAL);
    s = "user:QUBESRPC a  b"; /* empty field */
    assert_int_equal(qrexec_parse_vm_cmdline(s, strlen(s), &c), -EINVAL);
    s = "user:QUBESRPC a b c";
    assert_int_equal(qrexec_parse_vm_cmdline(s, strlen(s), &c), -EINVAL);
    s = ":QUBESRPC a b";
    assert_int_equal(qrexec_parse_vm_cmdline(s, strlen(s), &c), -EINVAL);
    s = "no-colon";
    assert_int_equal(qrexec_parse_vm_cmdline(s, strlen(s), &c), -EINVAL);
    s = "us er:ls";
    assert_int_equal(qrexec_parse_vm_cmdline(s, strlen(s), &c), -EINVAL);
    s = "user:";
    assert_int_equal(qrexec_parse_vm_cmdline(s, strlen(s), &c), -EINVAL);
    /* the length given must be the string's */
    assert_int_equal(qrexec_parse_vm_cmdline("user:ls", 3, &c), -EINVAL);
}

static void test_dom0_cmdline(void **state)
{
    struct qrexec_cmdline c;
    const char *s;
    (void)state;

    s = "QUBESRPC admin.vm.List+ work keyword @adminvm";
    assert_int_equal(qrexec_parse_dom0_cmdline(s, strlen(s), &c), 0);
    assert_memory_equal(c.target_type, "keyword", 7);
    assert_int_equal(c.target_len, 8);
    s = "nogui:QUBESRPC qubes.Notify work name dom0";
    assert_int_equal(qrexec_parse_dom0_cmdline(s, strlen(s), &c), 0);
    assert_true(c.nogui);
    s = "QUBESRPC svc work other dom0";
    assert_int_equal(qrexec_parse_dom0_cmdline(s, strlen(s), &c), -EINVAL);
    s = "QUBESRPC svc work name";
    assert_int_equal(qrexec_parse_dom0_cmdline(s, strlen(s), &c), -EINVAL);
    s = "rm -rf /";
    assert_int_equal(qrexec_parse_dom0_cmdline(s, strlen(s), &c), -EINVAL);
}

static void test_rpc_config(void **state)
{
    struct rpc_config c;
    char err[128];
    const char *ok = "# settings\n\nwait-for-session = true\n  force-user = 'user'\n"
                     "skip-service-descriptor=1\nexit-on-service-eof = false\n"
                     "exit-on-client-eof = true\r\n";
    static const char *bad[] = {
        "colour = red\n",           /* unknown key */
        "wait-for-session = yes\n", /* not a boolean */
        "force-user = user\n",      /* unquoted */
        "force-user = 'us er'\n",   /* bad name */
        "force-user = 'x\"\n",      /* mismatched quotes */
        "just words\n",             /* no = */
    };
    (void)state;

    assert_int_equal(rpc_config_parse(ok, strlen(ok), &c, err, sizeof(err)), 0);
    assert_true(c.wait_for_session && c.skip_service_descriptor && c.exit_on_client_eof);
    assert_false(c.exit_on_service_eof);
    assert_string_equal(c.force_user, "user");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[128];
        snprintf(text, sizeof(text), "wait-for-session = true\n%s", bad[i]);
        assert_int_equal(rpc_config_parse(text, strlen(text), &c, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "line 2"));
    }
}

static void test_tcp_endpoint(void **state)
{
    char h[64], p[8];
    (void)state;

    assert_int_equal(service_tcp_endpoint("/dev/tcp/example.org/80", "ignored", h, 64, p, 8), 0);
    assert_string_equal(h, "example.org");
    assert_string_equal(p, "80");
    assert_int_equal(service_tcp_endpoint("/dev/tcp/10.0.0.1", "8080", h, 64, p, 8), 0);
    assert_string_equal(h, "10.0.0.1");
    assert_string_equal(p, "8080");
    assert_int_equal(service_tcp_endpoint("/dev/tcp", "fe80++1+443", h, 64, p, 8), 0);
    assert_string_equal(h, "fe80::1");
    assert_string_equal(p, "443");
    assert_int_equal(service_tcp_endpoint("/dev/tcp", "host-only", h, 64, p, 8), -EINVAL);
    assert_int_equal(service_tcp_endpoint("/dev/tcp/h", "99999", h, 64, p, 8), -EINVAL);
    assert_int_equal(service_tcp_endpoint("/dev/tcp/h", "", h, 64, p, 8), -EINVAL);
    assert_int_equal(service_tcp_endpoint("/dev/tcp/a b/1", "", h, 64, p, 8), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sanitize_service), cmocka_unit_test(test_split_service),
        cmocka_unit_test(test_vm_names),         cmocka_unit_test(test_targets),
        cmocka_unit_test(test_vm_cmdline),       cmocka_unit_test(test_dom0_cmdline),
        cmocka_unit_test(test_rpc_config),       cmocka_unit_test(test_tcp_endpoint),
    };
    return cmocka_run_group_tests_name("qrexec_names", tests, NULL, NULL);
}
