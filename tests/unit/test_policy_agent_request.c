/* qrexec-policy-agent's request parsers (qrexec/policy/agent/request.h):
 * the requests qrexec-policy-daemon sends are accepted with every field
 * right, and every malformed or hostile variant is refused. */
#include "qrexec/policy/agent/request.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct agent_request req;
static char err[160];

static int ask(const char *json)
{
    return agent_parse_request(AGENT_ASK, json, strlen(json), &req, err, sizeof(err));
}

static int notify(const char *json)
{
    return agent_parse_request(AGENT_NOTIFY, json, strlen(json), &req, err, sizeof(err));
}

static void test_ask_full(void **state)
{
    (void)state;
    assert_int_equal(ask("{\"source\": \"work\", \"service\": \"qubes.Filecopy\", "
                         "\"argument\": \"+\", \"targets\": [\"personal\", "
                         "\"@dispvm:fedora-dvm\", \"dom0\", \"@adminvm\"], "
                         "\"default_target\": \"@dispvm:fedora-dvm\", \"icons\": "
                         "{\"work\": \"appvm-blue\", \"personal\": \"green\", "
                         "\"dom0\": \"adminvm-black\", \"other\": \"red\"}}\n"),
                     0);
    assert_int_equal(req.kind, AGENT_ASK);
    assert_string_equal(req.source, "work");
    assert_string_equal(req.service, "qubes.Filecopy");
    assert_string_equal(req.argument, "+");
    assert_int_equal(req.target_count, 4);
    assert_string_equal(req.targets[0], "personal");
    assert_string_equal(req.targets[1], "@dispvm:fedora-dvm");
    assert_string_equal(req.targets[3], "@adminvm");
    assert_int_equal(req.default_index, 1);
    assert_int_equal(req.source_label, AGENT_LABEL_BLUE);
    assert_int_equal(req.target_labels[0], AGENT_LABEL_GREEN);
    assert_int_equal(req.target_labels[1], AGENT_LABEL_NONE);
    assert_int_equal(req.target_labels[2], AGENT_LABEL_BLACK);
}

static void test_ask_default_not_offered(void **state)
{
    (void)state;
    assert_int_equal(ask("{\"source\":\"work\",\"service\":\"a.B\",\"argument\":\"+x+y.z\","
                         "\"targets\":[\"vault\"],\"default_target\":\"\"}"),
                     0);
    assert_int_equal(req.default_index, -1);
    assert_string_equal(req.argument, "+x+y.z");
    assert_int_equal(req.source_label, AGENT_LABEL_NONE);
    assert_int_equal(ask("{\"source\":\"work\",\"service\":\"a.B\",\"argument\":\"+\","
                         "\"targets\":[\"vault\"],\"default_target\":\"personal\"}"),
                     0);
    assert_int_equal(req.default_index, -1);
}

static void test_notify(void **state)
{
    (void)state;
    assert_int_equal(notify("{\"resolution\":\"deny\",\"service\":\"qubes.Filecopy\","
                            "\"argument\":\"+\",\"source\":\"work\",\"target\":\"@default\"}"),
                     0);
    assert_int_equal(req.kind, AGENT_NOTIFY);
    assert_int_equal(req.resolution, AGENT_RES_DENY);
    assert_string_equal(req.target, "@default");
    assert_int_equal(notify("{\"resolution\":\"fail\",\"service\":\"s\",\"argument\":\"+a\","
                            "\"source\":\"dom0\",\"target\":\"@dispvm:dvm\"}"),
                     0);
    assert_int_equal(req.resolution, AGENT_RES_FAIL);
    assert_int_equal(notify("{\"resolution\":\"maybe\",\"service\":\"s\",\"argument\":\"+\","
                            "\"source\":\"work\",\"target\":\"x\"}"),
                     -EINVAL);
    assert_int_equal(notify("{\"resolution\":\"allow\",\"service\":\"s\",\"argument\":\"+\","
                            "\"source\":\"work\",\"target\":\"a b\"}"),
                     -EINVAL);
}

/* Each of these is one thing wrong with an otherwise good request. */
static void test_ask_refused(void **state)
{
    static const char *const bad[] = {
        "",
        "null",
        "[]",
        "{",
        "{\"source\":\"work\"}",
        "{} {}",
        /* bad source, service, argument */
        "{\"source\":\"-work\",\"service\":\"s\",\"argument\":\"+\",\"targets\":[\"a\"],"
        "\"default_target\":\"\"}",
        "{\"source\":\"work\",\"service\":\"s+x\",\"argument\":\"+\",\"targets\":[\"a\"],"
        "\"default_target\":\"\"}",
        "{\"source\":\"work\",\"service\":\"s<b>\",\"argument\":\"+\",\"targets\":[\"a\"],"
        "\"default_target\":\"\"}",
        "{\"source\":\"work\",\"service\":\"s\",\"argument\":\"x\",\"targets\":[\"a\"],"
        "\"default_target\":\"\"}",
        "{\"source\":\"work\",\"service\":\"s\",\"argument\":\"+a b\",\"targets\":[\"a\"],"
        "\"default_target\":\"\"}",
        "{\"source\":\"work\",\"service\":\"s\",\"argument\":\"+a\\u0000b\",\"targets\":[\"a\"],"
        "\"default_target\":\"\"}",
        /* targets: empty, not strings, forms the daemon must have resolved, twice */
        "{\"source\":\"work\",\"service\":\"s\",\"argument\":\"+\",\"targets\":[],"
        "\"default_target\":\"\"}",
        "{\"source\":\"work\",\"service\":\"s\",\"argument\":\"+\",\"targets\":[1],"
        "\"default_target\":\"\"}",
        "{\"source\":\"work\",\"service\":\"s\",\"argument\":\"+\",\"targets\":\"a\","
        "\"default_target\":\"\"}",
        "{\"source\":\"work\",\"service\":\"s\",\"argument\":\"+\",\"targets\":[\"@default\"],"
        "\"default_target\":\"\"}",
        "{\"source\":\"work\",\"service\":\"s\",\"argument\":\"+\",\"targets\":[\"@dispvm\"],"
        "\"default_target\":\"\"}",
        "{\"source\":\"work\",\"service\":\"s\",\"argument\":\"+\",\"targets\":[\"@anyvm\"],"
        "\"default_target\":\"\"}",
        "{\"source\":\"work\",\"service\":\"s\",\"argument\":\"+\",\"targets\":[\"a\",\"a\"],"
        "\"default_target\":\"\"}",
        /* default_target missing or not a string; icons not an object */
        "{\"source\":\"work\",\"service\":\"s\",\"argument\":\"+\",\"targets\":[\"a\"]}",
        "{\"source\":\"work\",\"service\":\"s\",\"argument\":\"+\",\"targets\":[\"a\"],"
        "\"default_target\":null}",
        "{\"source\":\"work\",\"service\":\"s\",\"argument\":\"+\",\"targets\":[\"a\"],"
        "\"default_target\":\"\",\"icons\":[]}",
        "{\"source\":\"work\",\"service\":\"s\",\"argument\":\"+\",\"targets\":[\"a\"],"
        "\"default_target\":\"\",\"icons\":{\"a\":1}}",
        /* too deep */
        "{\"source\":\"work\",\"service\":\"s\",\"argument\":\"+\",\"targets\":[\"a\"],"
        "\"default_target\":\"\",\"x\":[[[[[[1]]]]]]}",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        if (ask(bad[i]) != -EINVAL)
            fail_msg("accepted bad request %zu: %s", i, bad[i]);
        assert_true(err[0] != 0);
        assert_int_equal(req.target_count, 0);
    }
}

static void test_limits(void **state)
{
    size_t cap = 64 + AGENT_MAX_TARGETS * 16 + 64;
    char *s = malloc(cap);
    size_t n;
    (void)state;

    assert_non_null(s);
    for (int count = AGENT_MAX_TARGETS; count <= AGENT_MAX_TARGETS + 1; count++) {
        n = (size_t)snprintf(s, cap,
                             "{\"source\":\"w\",\"service\":\"s\",\"argument\":\"+\","
                             "\"default_target\":\"\",\"targets\":[");
        for (int i = 0; i < count; i++)
            n += (size_t)snprintf(s + n, cap - n, "%s\"q%d\"", i ? "," : "", i);
        snprintf(s + n, cap - n, "]}");
        assert_int_equal(ask(s), count == AGENT_MAX_TARGETS ? 0 : -EINVAL);
    }
    free(s);
    /* a body over the limit is refused before it is parsed */
    assert_int_equal(
        agent_parse_request(AGENT_ASK, "{}", AGENT_MAX_REQUEST + 1, &req, err, sizeof(err)),
        -EINVAL);
    /* a 32-character qube name is one too many */
    assert_int_equal(ask("{\"source\":\"abcdefghijabcdefghijabcdefghijab\",\"service\":\"s\","
                         "\"argument\":\"+\",\"targets\":[\"a\"],\"default_target\":\"\"}"),
                     -EINVAL);
}

static void test_descriptor(void **state)
{
    enum agent_kind k;
    (void)state;

#define DESC(s) agent_parse_descriptor(s, strlen(s), &k, err, sizeof(err))
    assert_int_equal(DESC("policy.Ask dom0"), 0);
    assert_int_equal(k, AGENT_ASK);
    assert_int_equal(DESC("policy.Notify @adminvm"), 0);
    assert_int_equal(k, AGENT_NOTIFY);
    assert_int_equal(DESC("policy.Ask+ dom0"), 0);
    assert_int_equal(DESC("policy.Ask+x.y dom0"), 0);
    assert_int_equal(k, AGENT_ASK);
    assert_int_equal(DESC("policy.Ask work"), -EINVAL); /* only dom0 may ask */
    assert_int_equal(DESC("policy.Other dom0"), -EINVAL);
    assert_int_equal(DESC("policy.Ask"), -EINVAL);
    assert_int_equal(DESC("policy.Ask dom0 x"), -EINVAL);
    assert_int_equal(DESC("policy.Ask+a/b dom0"), -EINVAL);
    assert_int_equal(DESC(""), -EINVAL);
    assert_int_equal(agent_parse_descriptor("policy.Ask\0dom0", 15, &k, err, sizeof(err)), -EINVAL);
#undef DESC
}

static void test_labels(void **state)
{
    (void)state;
    assert_int_equal(agent_label_from_icon("red"), AGENT_LABEL_RED);
    assert_int_equal(agent_label_from_icon("appvm-purple"), AGENT_LABEL_PURPLE);
    assert_int_equal(agent_label_from_icon("dispvm-gray"), AGENT_LABEL_GRAY);
    assert_int_equal(agent_label_from_icon("grey"), AGENT_LABEL_NONE);
    assert_int_equal(agent_label_from_icon("-red"), AGENT_LABEL_NONE);
    assert_int_equal(agent_label_from_icon("App-red"), AGENT_LABEL_NONE);
    assert_int_equal(agent_label_from_icon(""), AGENT_LABEL_NONE);
    assert_int_equal(agent_label_rgb(AGENT_LABEL_ORANGE), 0xf57900);
    assert_int_equal(agent_label_rgb(AGENT_LABEL_GRAY), 0x555555);
    assert_string_equal(agent_label_name(AGENT_LABEL_YELLOW), "yellow");
    assert_string_equal(agent_label_name(AGENT_LABEL_NONE), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ask_full), cmocka_unit_test(test_ask_default_not_offered),
        cmocka_unit_test(test_notify),   cmocka_unit_test(test_ask_refused),
        cmocka_unit_test(test_limits),   cmocka_unit_test(test_descriptor),
        cmocka_unit_test(test_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
