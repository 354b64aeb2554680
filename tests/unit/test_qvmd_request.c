/* qvmd's request header parser and the reply frames (dom0/qvmd/request.c,
 * api.c). */
#include "dom0/qvmd/api.h"
#include "dom0/qvmd/request.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static int parse(const char *h, struct admin_request *rq)
{
    char err[128];
    return admin_parse_header(h, strlen(h), rq, err, sizeof(err));
}

static void test_forms(void **state)
{
    struct admin_request rq;
    (void)state;

    assert_int_equal(parse("admin.vm.List+ dom0 keyword adminvm", &rq), 0);
    assert_string_equal(rq.method, "admin.vm.List");
    assert_string_equal(rq.arg, "");
    assert_true(rq.source_dom0 && rq.dest_dom0);
    assert_string_equal(rq.dest, "dom0");

    assert_int_equal(parse("admin.vm.property.Get+memory dom0 name work", &rq), 0);
    assert_string_equal(rq.arg, "memory");
    assert_string_equal(rq.dest, "work");
    assert_false(rq.dest_dom0);

    assert_int_equal(parse("admin.vm.List+ @adminvm name dom0", &rq), 0);
    assert_true(rq.source_dom0 && rq.dest_dom0);
    assert_int_equal(parse("admin.vm.List+ dom0 keyword @adminvm", &rq), 0);
    assert_true(rq.dest_dom0);

    /* qrexec's two-field form: a call from a VM to dom0 */
    assert_int_equal(parse("admin.vm.List+ work", &rq), 0);
    assert_false(rq.source_dom0);
    assert_string_equal(rq.source, "work");
    assert_true(rq.dest_dom0);
    assert_int_equal(parse("admin.vm.Clone+new-name.1 dom0 name work", &rq), 0);
    assert_string_equal(rq.arg, "new-name.1");
}

static void test_malformed(void **state)
{
    static const char *const bad[] = {
        "",
        "admin.vm.List dom0 keyword adminvm",        /* no + */
        "admin.vm.List+  dom0 keyword adminvm",      /* empty field */
        "admin.vm.List+ dom0 keyword adminvm ",      /* trailing space */
        "admin.vm.List+ dom0 keyword",               /* three fields */
        "admin.vm.List+ dom0 keyword adminvm extra", /* five */
        "admin.vm.List+ dom0 keyword work",          /* unknown keyword */
        "admin.vm.List+ dom0 type work",             /* unknown type */
        "admin.vm.List+ dom0 name -bad",             /* bad dest name */
        "admin.vm.List+ 1bad name work",             /* bad source */
        "admin.vm/List+ dom0 name work",             /* bad method */
        "+arg dom0 name work",                       /* empty method */
        "admin.vm.List+a/b dom0 name work",          /* bad arg */
        "admin.vm.List+ dom0 name work-dm",          /* reserved name */
        "admin.vm.List+ Domain-0 name work",
    };
    struct admin_request rq;
    char big[600];
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_not_equal(parse(bad[i], &rq), 0);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    assert_int_not_equal(parse(big, &rq), 0);
}

static void test_header_end(void **state)
{
    (void)state;
    assert_int_equal(admin_header_end("abc", 3), 0);
    assert_int_equal(admin_header_end("ab\0c", 4), 3);
}

static void test_frames(void **state)
{
    static const char ev[] = "\x31\0work\0property-set:memory\0name\0memory\0\0";
    static const char ex[] = "\x32\0QubesValueError\0\0"
                             "100%% bad\0";
    const char *kv[] = {"name", "memory", NULL};
    struct buf b;
    (void)state;

    buf_init(&b, 4096);
    api_event_frame(&b, "work", "property-set:memory", kv);
    assert_int_equal(b.len, sizeof(ev) - 1);
    assert_memory_equal(b.data, ev, b.len);
    api_exception(&b, "QubesValueError", "100% bad");
    assert_int_equal(b.len, sizeof(ex) - 1);
    assert_memory_equal(b.data, ex, b.len);
    buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_header_end),
        cmocka_unit_test(test_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
