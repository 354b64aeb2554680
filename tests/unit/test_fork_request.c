/* The fork server's request (qrexec/fork-server/request.h): byte layout,
 * build-and-parse round trips, every malformed request refused, and the
 * socket path pattern. */
#include "qrexec/fork-server/request.h"
#include "qrexec/proto/qrexec_proto.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static uint8_t buf[FORKREQ_MAX_SIZE + 16];

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void test_layout(void **state)
{
    static const uint8_t want[] = {'B', 'F', 'S',  '1',  0x00, 0x02, 0,   0,   7, 0,
                                   0,   0,   0x01, 0x02, 0,    0,    9,   0,   0, 0,
                                   'u', ':', 'e',  'c',  'h',  'o',  ' ', 'x', 0};
    struct forkreq r;
    (void)state;

    assert_int_equal(forkreq_build(buf, sizeof(buf), QREXEC_MSG_EXEC_CMDLINE, 7, 513, "u:echo x"),
                     sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
    assert_int_equal(forkreq_parse_head(buf, FORKREQ_HEAD_SIZE), sizeof(want));
    assert_int_equal(forkreq_parse(buf, sizeof(want), &r), 0);
    assert_int_equal(r.type, QREXEC_MSG_EXEC_CMDLINE);
    assert_int_equal(r.connect_domain, 7);
    assert_int_equal(r.connect_port, 513);
    assert_int_equal(r.cmdline_len, 8);
    assert_string_equal(r.cmdline, "u:echo x");
    assert_ptr_equal(r.cmdline, (const char *)buf + FORKREQ_HEAD_SIZE);
}

static void test_round_trips(void **state)
{
    static const char *const lines[] = {"user:QUBESRPC qubes.Filecopy+ work",
                                        "root:nogui:QUBESRPC a.B personal", "DEFAULT:true"};
    struct forkreq r;
    ssize_t n;
    (void)state;

    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        n = forkreq_build(buf, sizeof(buf), QREXEC_MSG_JUST_EXEC, 0, INT32_MAX, lines[i]);
        assert_true(n > 0);
        assert_int_equal(forkreq_parse(buf, (size_t)n, &r), 0);
        assert_int_equal(r.type, QREXEC_MSG_JUST_EXEC);
        assert_int_equal(r.connect_port, INT32_MAX);
        assert_string_equal(r.cmdline, lines[i]);
    }
    /* the longest command line there can be */
    static char line[65535];
    static uint8_t big[FORKREQ_MAX_SIZE];
    memset(line, 'x', sizeof(line) - 1);
    memcpy(line, "u:", 2);
    line[sizeof(line) - 1] = 0;
    assert_int_equal(forkreq_build(big, sizeof(big) - 1, QREXEC_MSG_EXEC_CMDLINE, 1, 2, line),
                     -ENOSPC);
    n = forkreq_build(big, sizeof(big), QREXEC_MSG_EXEC_CMDLINE, 1, 2, line);
    assert_int_equal(n, FORKREQ_MAX_SIZE);
    assert_int_equal(forkreq_parse(big, (size_t)n, &r), 0);
    assert_int_equal(r.cmdline_len, 65534);
}

static void test_build_refuses(void **state)
{
    (void)state;
    assert_int_equal(forkreq_build(buf, sizeof(buf), QREXEC_MSG_HELLO, 0, 1, "u:x"), -EINVAL);
    assert_int_equal(
        forkreq_build(buf, sizeof(buf), QREXEC_MSG_EXEC_CMDLINE, 0x80000000u, 1, "u:x"), -EINVAL);
    assert_int_equal(forkreq_build(buf, sizeof(buf), QREXEC_MSG_EXEC_CMDLINE, 0, 1, "no user"),
                     -EINVAL);
    assert_int_equal(forkreq_build(buf, sizeof(buf), QREXEC_MSG_EXEC_CMDLINE, 0, 1, NULL), -EINVAL);
    assert_int_equal(forkreq_build(buf, 10, QREXEC_MSG_EXEC_CMDLINE, 0, 1, "u:x"), -ENOSPC);
}

/* A good request, then one field at a time made bad. */
static size_t good(void)
{
    return (size_t)forkreq_build(buf, sizeof(buf), QREXEC_MSG_EXEC_CMDLINE, 3, 515,
                                 "user:QUBESRPC test.Echo dom0");
}

static void test_malformed(void **state)
{
    struct forkreq r;
    size_t n;
    (void)state;

    n = good();
    assert_int_equal(forkreq_parse(buf, n, &r), 0);
    /* short, long, or cut anywhere */
    for (size_t cut = 0; cut < n; cut++)
        assert_int_equal(forkreq_parse(buf, cut, &r), -EBADMSG);
    assert_int_equal(forkreq_parse(buf, n + 1, &r), -EBADMSG);
    assert_int_equal(forkreq_parse_head(buf, FORKREQ_HEAD_SIZE - 1), -EBADMSG);

    n = good(), buf[0] ^= 1; /* magic */
    assert_int_equal(forkreq_parse_head(buf, n), -EBADMSG);
    assert_int_equal(forkreq_parse(buf, n, &r), -EBADMSG);
    n = good(), put_u32(buf + 4, QREXEC_MSG_SERVICE_CONNECT); /* type */
    assert_int_equal(forkreq_parse(buf, n, &r), -EBADMSG);
    n = good(), put_u32(buf + 8, 0x80000000u); /* domain */
    assert_int_equal(forkreq_parse(buf, n, &r), -EBADMSG);
    n = good(), put_u32(buf + 12, 0xffffffffu); /* port */
    assert_int_equal(forkreq_parse(buf, n, &r), -EBADMSG);
    n = good(), put_u32(buf + 16, 0); /* size: nothing */
    assert_int_equal(forkreq_parse_head(buf, n), -EBADMSG);
    n = good(), put_u32(buf + 16, 65536); /* size: over the bound */
    assert_int_equal(forkreq_parse_head(buf, n), -EBADMSG);
    n = good(), put_u32(buf + 16, 0xffffffffu);
    assert_int_equal(forkreq_parse_head(buf, n), -EBADMSG);
    n = good(), put_u32(buf + 16, (uint32_t)(n - FORKREQ_HEAD_SIZE - 1)); /* size disagrees */
    assert_int_equal(forkreq_parse(buf, n, &r), -EBADMSG);
    n = good(), buf[n - 1] = 'x'; /* not terminated */
    assert_int_equal(forkreq_parse(buf, n, &r), -EBADMSG);
    n = good(), buf[FORKREQ_HEAD_SIZE + 6] = 0; /* a NUL inside */
    assert_int_equal(forkreq_parse(buf, n, &r), -EBADMSG);
    n = good(), memcpy(buf + FORKREQ_HEAD_SIZE, "us/r", 4); /* not a VM command line */
    assert_int_equal(forkreq_parse(buf, n, &r), -EBADMSG);
    n = good(), buf[n - 5] = ' '; /* RPC fields: "dom0" becomes " om0" */
    assert_int_equal(forkreq_parse(buf, n, &r), -EBADMSG);
}

static void test_socket_path(void **state)
{
    char out[64];
    (void)state;

    assert_int_equal(forkreq_socket_path(out, sizeof(out), FORKREQ_DEFAULT_SOCKET, "user"), 0);
    assert_string_equal(out, "/var/run/qubes/qrexec-server.user.sock");
    assert_int_equal(forkreq_socket_path(out, sizeof(out), "/t/%s/%s-100%%", "a_b.c-d"), 0);
    assert_string_equal(out, "/t/a_b.c-d/a_b.c-d-100%");
    assert_int_equal(forkreq_socket_path(out, sizeof(out), "/t/plain", "u"), 0);
    assert_string_equal(out, "/t/plain");
    /* names that would leave the pattern's place */
    assert_int_equal(forkreq_socket_path(out, sizeof(out), "/t/%s", "a/b"), -EINVAL);
    assert_int_equal(forkreq_socket_path(out, sizeof(out), "/t/%s", ".."), -EINVAL);
    assert_int_equal(forkreq_socket_path(out, sizeof(out), "/t/%s", "."), -EINVAL);
    assert_int_equal(forkreq_socket_path(out, sizeof(out), "/t/%s", ""), -EINVAL);
    assert_int_equal(forkreq_socket_path(out, sizeof(out), "/t/%s", "a b"), -EINVAL);
    /* only %s and %% */
    assert_int_equal(forkreq_socket_path(out, sizeof(out), "/t/%d", "u"), -EINVAL);
    assert_int_equal(forkreq_socket_path(out, sizeof(out), "/t/%", "u"), -EINVAL);
    /* and it must fit, NUL included */
    assert_int_equal(forkreq_socket_path(out, 8, "/t/%s", "abcd"), 0);
    assert_int_equal(forkreq_socket_path(out, 8, "/t/%s", "abcde"), -ENAMETOOLONG);
    assert_int_equal(forkreq_socket_path(out, 0, "", "u"), -ENAMETOOLONG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_build_refuses), cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_socket_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
