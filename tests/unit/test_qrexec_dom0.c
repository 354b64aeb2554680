/* dom0-side qrexec pieces: the data-port table, the policy reply and
 * request parsers and the interim simple policy. */
#include "qrexec/daemon/policy.h"
#include "qrexec/daemon/ports.h"
#include "qrexec/policy/request.h"
#include "qrexec/policy/simple.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void test_ports_parity_and_reuse(void **state)
{
    static struct port_table t;
    int p;
    (void)state;

    assert_int_equal(port_parity_for(3, 7), PORT_ODD);
    assert_int_equal(port_parity_for(7, 3), PORT_EVEN);
    assert_int_equal(port_parity_for(3, 0), PORT_ANY);
    p = port_alloc(&t, PORT_ODD, 7);
    assert_int_equal(p, 514); /* index 1 */
    assert_int_equal(port_alloc(&t, PORT_EVEN, 7), 513);
    assert_int_equal(port_alloc(&t, PORT_ANY, 0), 515);
    /* a VM may free only its own port, with the right peer */
    assert_int_equal(port_free(&t, 514, 8), -EINVAL);
    assert_int_equal(port_free(&t, 600, 7), -EINVAL);
    assert_int_equal(port_free(&t, 512, 7), -EINVAL);
    assert_int_equal(port_free(&t, 0xffffffffu, 7), -EINVAL);
    assert_int_equal(port_free(&t, 514, 7), 0);
    assert_int_equal(port_free(&t, 514, 7), -EINVAL); /* not twice */
    /* exhaust: 256 ports in all, then EBUSY */
    memset(&t, 0, sizeof(t));
    for (int i = 0; i < QREXEC_MAX_CLIENTS; i++)
        assert_true(port_alloc(&t, PORT_ANY, 0) > 0);
    assert_int_equal(port_alloc(&t, PORT_ANY, 0), -EBUSY);
}

static void test_policy_reply(void **state)
{
    struct policy_reply r;
    const char *s;
    (void)state;

    s = "result=allow\ntarget=personal\nuser=root\nautostart=False\nrequested_target=x\n";
    assert_int_equal(policy_parse_reply(s, strlen(s), &r), 0);
    assert_true(r.allow);
    assert_string_equal(r.target, "personal");
    assert_string_equal(r.user, "root");
    assert_false(r.autostart);
    s = "result=deny\n";
    assert_int_equal(policy_parse_reply(s, strlen(s), &r), 0);
    assert_false(r.allow);
    /* anything unclear is an error, which callers treat as deny */
    s = "result=allow\n"; /* no target */
    assert_int_equal(policy_parse_reply(s, strlen(s), &r), -EINVAL);
    s = "result=allow\nresult=deny\ntarget=a\n";
    assert_int_equal(policy_parse_reply(s, strlen(s), &r), -EINVAL);
    s = "result=maybe\n";
    assert_int_equal(policy_parse_reply(s, strlen(s), &r), -EINVAL);
    s = "result=allow\ntarget=../etc\n";
    assert_int_equal(policy_parse_reply(s, strlen(s), &r), -EINVAL);
    s = "result=allow\ntarget=@default\n";
    assert_int_equal(policy_parse_reply(s, strlen(s), &r), -EINVAL);
    s = "result=allow\ntarget=a\nuser=a b\n";
    assert_int_equal(policy_parse_reply(s, strlen(s), &r), -EINVAL);
    assert_int_equal(policy_parse_reply("garbage", 7, &r), -EINVAL);
    assert_int_equal(policy_parse_reply("", 0, &r), -EINVAL);
    assert_int_equal(policy_parse_reply("result=allow\0x\ntarget=a", 23, &r), -EINVAL);
}

static const char policy_text[] =
    "# comment\n"
    "\n"
    "qubes.Filecopy  *      work    personal  allow\n"
    "qubes.Gpg       +      @anyvm  @default  allow target=vault user=gpg\n"
    "qubes.Gpg       *      @anyvm  vault     allow\n"
    "admin.vm.List   +      dom0    *         allow\n"
    "test.Arg        +only  work    personal  allow\n"
    "*               *      @anyvm  @anyvm    deny\n";

static void test_simple_policy_decisions(void **state)
{
    struct simple_policy p;
    struct simple_decision d;
    char err[128];
    (void)state;

    assert_int_equal(simple_policy_parse(policy_text, strlen(policy_text), &p, err, sizeof(err)),
                     0);
    assert_int_equal(p.count, 6);
    simple_policy_eval(&p, "work", "personal", "qubes.Filecopy+", &d);
    assert_true(d.allow);
    assert_string_equal(d.target, "personal");
    assert_int_equal(d.line, 3);
    simple_policy_eval(&p, "personal", "work", "qubes.Filecopy", &d);
    assert_false(d.allow);
    assert_int_equal(d.line, 8);
    simple_policy_eval(&p, "work", "@default", "qubes.Gpg", &d); /* '+' rule: empty arg */
    assert_true(d.allow);
    assert_string_equal(d.target, "vault");
    assert_string_equal(d.user, "gpg");
    simple_policy_eval(&p, "work", "@default", "qubes.Gpg+key", &d); /* arg: next rules */
    assert_false(d.allow);
    simple_policy_eval(&p, "work", "vault", "qubes.Gpg+key", &d);
    assert_true(d.allow);
    simple_policy_eval(&p, "work", "personal", "test.Arg+only", &d);
    assert_true(d.allow);
    simple_policy_eval(&p, "work", "personal", "test.Arg+other", &d);
    assert_false(d.allow);
    /* @anyvm never matches dom0 */
    simple_policy_eval(&p, "work", "dom0", "qubes.Filecopy", &d);
    assert_false(d.allow);
    assert_int_equal(d.line, 0); /* no rule: deny */
    simple_policy_eval(&p, "dom0", "work", "admin.vm.List", &d);
    assert_true(d.allow);
    simple_policy_free(&p);
}

static void test_simple_policy_rejects(void **state)
{
    static const char *bad[] = {
        "a.b * work\n",                            /* too few fields */
        "a.b * work personal maybe\n",             /* action */
        "a+b * work personal allow\n",             /* + in service */
        "* +x work personal allow\n",              /* * service needs * arg */
        "a.b x work personal allow\n",             /* arg without + */
        "a.b * 1work personal allow\n",            /* bad name */
        "a.b * @default personal allow\n",         /* @default as source */
        "a.b * work @default allow\n",             /* @default allow w/o target= */
        "a.b * work personal deny user=x\n",       /* deny with params */
        "a.b * work personal allow colour=red\n",  /* unknown param */
        "a.b * work personal allow target=../x\n", /* bad redirect */
    };
    struct simple_policy p;
    char err[128];
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[200];
        snprintf(text, sizeof(text), "# ok line\nx.y * work personal allow\n%s", bad[i]);
        assert_int_equal(simple_policy_parse(text, strlen(text), &p, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "line 3"));
        assert_int_equal(p.count, 0);
    }
    assert_int_equal(simple_policy_parse("a\0b", 3, &p, err, sizeof(err)), -EINVAL);
}

#define REQ_OK                                                                                     \
    "domain_id=5\nsource=work\nintended_target=@default\nservice_and_arg=qubes.Filecopy+\n"        \
    "process_ident=SOCKET7\n"

static void test_policy_request(void **state)
{
    struct policy_request r;
    char err[128];
    const char *ok = REQ_OK "\n", *all = REQ_OK "requested_source=personal\n"
                                                "assume_yes_for_ask=yes\njust_evaluate=yes\n\n";
    (void)state;

    assert_int_equal(policy_parse_request(ok, strlen(ok), &r, err, sizeof(err)), 0);
    assert_int_equal(r.domain_id, 5);
    assert_string_equal(r.source, "work");
    assert_string_equal(r.intended_target, "@default");
    assert_string_equal(r.service_and_arg, "qubes.Filecopy+");
    assert_string_equal(r.process_ident, "SOCKET7");
    assert_false(r.just_evaluate);
    assert_int_equal(policy_parse_request(all, strlen(all), &r, err, sizeof(err)), 0);
    assert_string_equal(r.requested_source, "personal");
    assert_true(r.assume_yes_for_ask && r.just_evaluate);
    /* where a request ends in a stream */
    assert_int_equal(policy_request_end(ok, strlen(ok) - 1), 0);
    assert_int_equal(policy_request_end(ok, strlen(ok)), strlen(ok));
    assert_int_equal(policy_request_end("\n", 1), 1);

    static const char *const bad[] = {
        REQ_OK,                         /* no empty line */
        REQ_OK "\nextra",               /* data after the end */
        "domain_id=5\nsource=work\n\n", /* missing keys */
        REQ_OK "source=work\n\n",       /* twice */
        REQ_OK "color=red\n\n",         /* unknown key */
        REQ_OK "just_evaluate=no\n\n",  /* yes or nothing */
        REQ_OK "nonsense\n\n",          /* not key=value */
        "domain_id=-1\nsource=work\nintended_target=x\nservice_and_arg=a\nprocess_ident=1\n\n",
        "domain_id=05\nsource=work\nintended_target=x\nservice_and_arg=a\nprocess_ident=1\n\n",
        "domain_id=5\nsource=wo rk\nintended_target=x\nservice_and_arg=a\nprocess_ident=1\n\n",
        "domain_id=5\nsource=work\nintended_target=$x\nservice_and_arg=a\nprocess_ident=1\n\n",
        "domain_id=5\nsource=work\nintended_target=x\nservice_and_arg=a/b\nprocess_ident=1\n\n",
        "domain_id=5\nsource=work\nintended_target=x\nservice_and_arg=a\nprocess_ident=\n\n",
        "\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(policy_parse_request(bad[i], strlen(bad[i]), &r, err, sizeof(err)),
                         -EINVAL);
        assert_true(err[0] != '\0');
    }
    /* a NUL inside a value */
    char nul[] = REQ_OK "\n";
    nul[strlen("domain_id=5\nsource=wo")] = '\0';
    assert_int_equal(policy_parse_request(nul, sizeof(nul) - 1, &r, err, sizeof(err)), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ports_parity_and_reuse),
        cmocka_unit_test(test_policy_reply),
        cmocka_unit_test(test_policy_request),
        cmocka_unit_test(test_simple_policy_decisions),
        cmocka_unit_test(test_simple_policy_rejects),
    };
    return cmocka_run_group_tests_name("qrexec_dom0", tests, NULL, NULL);
}
