/* The untrusted-message accessors: exact sizes, bounded strings, sticky
 * failure, and nothing read past what was received. */
#include "lib/untrusted.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_integers_little_endian(void **state)
{
    const uint8_t msg[] = {0x00, 0x03, 0x00, 0x00, 0x34, 0x12, 0xff};
    struct umsg m;
    uint32_t a;
    uint16_t b;
    uint8_t c;
    (void)state;

    umsg_init(&m, msg, sizeof(msg));
    assert_int_equal(umsg_u32(&m, &a), 0);
    assert_int_equal(a, 0x300);
    assert_int_equal(umsg_u16(&m, &b), 0);
    assert_int_equal(b, 0x1234);
    assert_int_equal(umsg_u8(&m, &c), 0);
    assert_int_equal(c, 0xff);
    assert_int_equal(umsg_end(&m), 0);
}

static void test_short_message_fails_and_stays_failed(void **state)
{
    const uint8_t msg[] = {1, 2, 3};
    struct umsg m;
    uint32_t a;
    uint8_t c;
    (void)state;

    umsg_init(&m, msg, sizeof(msg));
    assert_int_equal(umsg_u32(&m, &a), -EBADMSG);
    /* sticky: even a read that would fit fails now */
    assert_int_equal(umsg_u8(&m, &c), -EBADMSG);
    assert_int_equal(umsg_remaining(&m), 0);
    assert_int_equal(umsg_end(&m), -EBADMSG);
}

static void test_trailing_bytes_are_an_error(void **state)
{
    const uint8_t msg[] = {1, 0, 0, 0, 9};
    struct umsg m;
    uint32_t a;
    (void)state;

    umsg_init(&m, msg, sizeof(msg));
    assert_int_equal(umsg_u32(&m, &a), 0);
    assert_int_equal(umsg_end(&m), -EBADMSG);
}

static void test_huge_length_does_not_wrap(void **state)
{
    const uint8_t msg[8] = {0};
    struct umsg m;
    (void)state;

    umsg_init(&m, msg, sizeof(msg));
    assert_non_null(umsg_bytes(&m, 4));
    assert_null(umsg_bytes(&m, SIZE_MAX - 2));
    assert_int_equal(umsg_end(&m), -EBADMSG);
}

static void test_fixed_string_rules(void **state)
{
    char field[32];
    struct umsg m;
    size_t len;
    const char *s;
    (void)state;

    memset(field, 0, sizeof(field));
    strcpy(field, "SOCKET11");
    umsg_init(&m, field, sizeof(field));
    s = umsg_fixed_string(&m, sizeof(field), true, &len);
    assert_non_null(s);
    assert_int_equal(len, 8);
    assert_string_equal(s, "SOCKET11");
    assert_int_equal(umsg_end(&m), 0);

    /* garbage after the NUL is refused when padding must be clean */
    field[20] = 'X';
    umsg_init(&m, field, sizeof(field));
    assert_null(umsg_fixed_string(&m, sizeof(field), true, &len));
    umsg_init(&m, field, sizeof(field));
    assert_non_null(umsg_fixed_string(&m, sizeof(field), false, &len));

    /* no NUL at all: refused */
    memset(field, 'A', sizeof(field));
    umsg_init(&m, field, sizeof(field));
    assert_null(umsg_fixed_string(&m, sizeof(field), false, &len));
    assert_int_equal(umsg_end(&m), -EBADMSG);
}

static void test_tail_string_rules(void **state)
{
    struct umsg m;
    size_t len;
    (void)state;

    umsg_init(&m, "qubes.Filecopy", 15);
    assert_string_equal(umsg_tail_string(&m, 100, &len), "qubes.Filecopy");
    assert_int_equal(len, 14);
    assert_int_equal(umsg_end(&m), 0);

    umsg_init(&m, "abc", 3); /* not terminated */
    assert_null(umsg_tail_string(&m, 100, &len));
    umsg_init(&m, "ab\0c", 5); /* NUL inside */
    assert_null(umsg_tail_string(&m, 100, &len));
    umsg_init(&m, "abcdef", 7); /* longer than allowed */
    assert_null(umsg_tail_string(&m, 5, &len));
    umsg_init(&m, "abcde", 6); /* exactly the limit */
    assert_non_null(umsg_tail_string(&m, 5, &len));
    umsg_init(&m, "", 0); /* nothing at all */
    assert_null(umsg_tail_string(&m, 5, &len));
}

static void test_exact_size_and_charset(void **state)
{
    (void)state;
    assert_int_equal(untrusted_size_exact(8, 8), 0);
    assert_int_equal(untrusted_size_exact(9, 8), -EBADMSG);
    assert_true(untrusted_chars_ok("qubes.Filecopy+arg", 18, "._-+"));
    assert_false(untrusted_chars_ok("bad/name", 8, "._-"));
    assert_false(untrusted_chars_ok("a\0b", 3, "._-"));
    assert_false(untrusted_chars_ok("\xc3\xa9", 2, "._-"));
    assert_true(untrusted_chars_ok("", 0, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers_little_endian),
        cmocka_unit_test(test_short_message_fails_and_stays_failed),
        cmocka_unit_test(test_trailing_bytes_are_an_error),
        cmocka_unit_test(test_huge_length_does_not_wrap),
        cmocka_unit_test(test_fixed_string_rules),
        cmocka_unit_test(test_tail_string_rules),
        cmocka_unit_test(test_exact_size_and_charset),
    };
    return cmocka_run_group_tests_name("untrusted", tests, NULL, NULL);
}
