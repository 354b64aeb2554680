/* The Admin API client's reply parsers (dom0/tools/lib/admin_reply.c):
 * frames, exception messages, event frames, list and property lines,
 * including truncated and malformed replies. */
#include "dom0/tools/lib/admin_reply.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define S(lit) ((struct qadmin_str){(lit), sizeof(lit) - 1})

static void test_reply_kinds(void **state)
{
    enum qadmin_kind k;
    struct qadmin_str d;
    (void)state;

    assert_int_equal(qadmin_parse_reply("0\0abc", 5, &k, &d), 0);
    assert_int_equal(k, QADMIN_OK);
    assert_int_equal(d.len, 3);
    assert_memory_equal(d.p, "abc", 3);
    assert_int_equal(qadmin_parse_reply("0\0", 2, &k, &d), 0);
    assert_int_equal(d.len, 0);
    assert_int_equal(qadmin_parse_reply("2\0T\0\0m\0", 7, &k, &d), 0);
    assert_int_equal(k, QADMIN_EXCEPTION);
    assert_int_equal(qadmin_parse_reply("1\0x\0y\0\0", 8, &k, &d), 0);
    assert_int_equal(k, QADMIN_EVENT);
    /* empty, one byte, unknown marker, no NUL after the marker */
    assert_int_equal(qadmin_parse_reply("", 0, &k, &d), -EPROTO);
    assert_int_equal(qadmin_parse_reply("0", 1, &k, &d), -EPROTO);
    assert_int_equal(qadmin_parse_reply("3\0", 2, &k, &d), -EPROTO);
    assert_int_equal(qadmin_parse_reply("0x", 2, &k, &d), -EPROTO);
}

static void test_exception_message(void **state)
{
    char type[64], msg[256];
    (void)state;

    qadmin_format_exception(S("QubesVMNotFoundError\0tb\0No such domain: %r\0work\0"), type,
                            sizeof(type), msg, sizeof(msg));
    assert_string_equal(type, "QubesVMNotFoundError");
    assert_string_equal(msg, "No such domain: 'work'");
    qadmin_format_exception(S("QubesValueError\0\0%s is %d%% used by %s\0t\0"
                              "50\0a, b\0"),
                            type, sizeof(type), msg, sizeof(msg));
    assert_string_equal(msg, "t is 50% used by a, b");
    /* missing arguments become empty; no final NUL still ends the field */
    qadmin_format_exception(S("E\0\0x=%s y=%s\0one"), type, sizeof(type), msg, sizeof(msg));
    assert_string_equal(msg, "x=one y=");
    /* escapes and newlines in an argument are made printable */
    qadmin_format_exception(S("E\0\0bad %s\0a\nb\x1b[2J\0"), type, sizeof(type), msg, sizeof(msg));
    assert_string_equal(msg, "bad a\\x0ab\\x1b[2J");
    /* no message at all */
    qadmin_format_exception(S("QubesException"), type, sizeof(type), msg, sizeof(msg));
    assert_string_equal(type, "QubesException");
    assert_string_equal(msg, "(no message)");
    qadmin_format_exception((struct qadmin_str){"", 0}, type, sizeof(type), msg, sizeof(msg));
    assert_string_equal(type, "");
    /* a tiny buffer is cut, never overrun */
    qadmin_format_exception(S("E\0\0a long message here\0"), type, 2, msg, 8);
    assert_int_equal(strlen(msg), 7);
}

static void test_event_frames(void **state)
{
    static const char two[] = "1\0work\0domain-start\0start_guid\0True\0\0"
                              "1\0\0connection-established\0\0";
    struct qadmin_event ev;
    long n;
    (void)state;

    n = qadmin_parse_event(two, sizeof(two) - 1, &ev);
    assert_true(n > 0);
    assert_true(qadmin_str_eq(ev.subject, "work"));
    assert_true(qadmin_str_eq(ev.name, "domain-start"));
    assert_int_equal(ev.nkv, 1);
    assert_true(qadmin_str_eq(ev.key[0], "start_guid"));
    assert_true(qadmin_str_eq(ev.value[0], "True"));
    assert_int_equal(qadmin_parse_event(two + n, sizeof(two) - 1 - (size_t)n, &ev),
                     (long)(sizeof(two) - 1 - (size_t)n));
    assert_true(qadmin_str_eq(ev.subject, ""));
    assert_true(qadmin_str_eq(ev.name, "connection-established"));
    /* every prefix of a frame is incomplete, not an error */
    for (size_t i = 0; i < (size_t)n; i++)
        assert_int_equal(qadmin_parse_event(two, i, &ev), 0);
    assert_int_equal(qadmin_parse_event("0\0x\0", 4, &ev), -EPROTO);
}

static void test_lines(void **state)
{
    struct qadmin_str data = S("a\n\nbc\nlast"), l;
    size_t pos = 0;
    (void)state;

    assert_true(qadmin_next_line(data, &pos, &l) && qadmin_str_eq(l, "a"));
    assert_true(qadmin_next_line(data, &pos, &l) && qadmin_str_eq(l, ""));
    assert_true(qadmin_next_line(data, &pos, &l) && qadmin_str_eq(l, "bc"));
    assert_true(qadmin_next_line(data, &pos, &l) && qadmin_str_eq(l, "last"));
    assert_false(qadmin_next_line(data, &pos, &l));
}

static void test_vm_line(void **state)
{
    struct qadmin_vm vm;
    (void)state;

    assert_int_equal(qadmin_parse_vm_line(S("work class=AppVM state=Halted"), &vm), 0);
    assert_string_equal(vm.name, "work");
    assert_string_equal(vm.klass, "AppVM");
    assert_string_equal(vm.state, "Halted");
    /* order and extra words do not matter */
    assert_int_equal(qadmin_parse_vm_line(S("dom0 state=Running x=1 class=AdminVM"), &vm), 0);
    assert_string_equal(vm.klass, "AdminVM");
    assert_int_equal(qadmin_parse_vm_line(S("work class=AppVM"), &vm), -EPROTO);
    assert_int_equal(qadmin_parse_vm_line(S("1bad class=AppVM state=Halted"), &vm), -EPROTO);
    assert_int_equal(qadmin_parse_vm_line(S(""), &vm), -EPROTO);
    assert_int_equal(qadmin_parse_vm_line(S("a class=AppVM\0 state=Halted"), &vm), -EPROTO);
    assert_int_equal(
        qadmin_parse_vm_line(S("a class=AVeryLongClassNameThatDoesNotFitAtAll state=H"), &vm),
        -EPROTO);
}

static void test_prop(void **state)
{
    struct qadmin_prop p;
    (void)state;

    assert_int_equal(qadmin_parse_prop(S("default=True type=int 400"), false, &p), 0);
    assert_true(p.is_default);
    assert_string_equal(p.type, "int");
    assert_true(qadmin_str_eq(p.value, "400"));
    assert_int_equal(qadmin_parse_prop(S("kernelopts default=False type=str a b  c"), true, &p), 0);
    assert_true(qadmin_str_eq(p.name, "kernelopts"));
    assert_false(p.is_default);
    assert_true(qadmin_str_eq(p.value, "a b  c"));
    /* an empty value, with or without the space */
    assert_int_equal(qadmin_parse_prop(S("default=True type=vm "), false, &p), 0);
    assert_int_equal(p.value.len, 0);
    assert_int_equal(qadmin_parse_prop(S("default=True type=vm"), false, &p), 0);
    assert_int_equal(p.value.len, 0);
    assert_int_equal(qadmin_parse_prop(S("default=Maybe type=vm x"), false, &p), -EPROTO);
    assert_int_equal(qadmin_parse_prop(S("type=vm default=True x"), false, &p), -EPROTO);
    assert_int_equal(qadmin_parse_prop(S("default=True"), false, &p), -EPROTO);
    assert_int_equal(qadmin_parse_prop(S(" default=True type=str x"), true, &p), -EPROTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_kinds),  cmocka_unit_test(test_exception_message),
        cmocka_unit_test(test_event_frames), cmocka_unit_test(test_lines),
        cmocka_unit_test(test_vm_line),      cmocka_unit_test(test_prop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
