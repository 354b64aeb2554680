/* qrexec wire protocol: every builder's output parses back to what went
 * in, byte layouts match the Qubes structures, and every malformed body is
 * refused. */
#include "qrexec/proto/qrexec_proto.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static uint8_t msg[QREXEC_HDR_SIZE + QREXEC_TRIGGER4_FIXED + QREXEC_MAX_SERVICE_NAME_LEN + 16];

/* The body of a built message, after checking its header is acceptable. */
static const uint8_t *body_of(ssize_t n, uint32_t type, enum qrexec_link link, size_t *len)
{
    struct qrexec_hdr h;

    assert_true(n >= QREXEC_HDR_SIZE);
    assert_int_equal(qrexec_parse_hdr(msg, QREXEC_HDR_SIZE, &h), 0);
    assert_int_equal(h.type, type);
    assert_int_equal(h.len, (size_t)n - QREXEC_HDR_SIZE);
    assert_int_equal(qrexec_check_hdr(&h, link, QREXEC_PROTOCOL_V4), 0);
    *len = h.len;
    return msg + QREXEC_HDR_SIZE;
}

static void test_header_layout_is_little_endian(void **state)
{
    struct qrexec_hdr h;
    (void)state;

    assert_int_equal(qrexec_build_hello(msg, sizeof(msg), 3), 12);
    static const uint8_t want[] = {0x00, 0x03, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0};
    assert_memory_equal(msg, want, sizeof(want));
    assert_int_equal(qrexec_parse_hdr(msg, 8, &h), 0);
    assert_int_equal(qrexec_parse_hdr(msg, 7, &h), -EBADMSG);
    assert_int_equal(qrexec_parse_hdr(msg, 9, &h), -EBADMSG);
}

static void test_hello_and_negotiation(void **state)
{
    uint32_t v = 0;
    size_t len;
    (void)state;

    const uint8_t *b = body_of(qrexec_build_hello(msg, sizeof(msg), 4), QREXEC_MSG_HELLO,
                               QREXEC_LINK_AGENT_TO_DAEMON, &len);
    assert_int_equal(qrexec_parse_hello(b, len, &v), 0);
    assert_int_equal(v, 4);
    assert_int_equal(qrexec_parse_hello(b, 3, &v), -EBADMSG);
    assert_int_equal(qrexec_parse_hello(b, 5, &v), -EBADMSG);
    /* the lower version wins, if both support it */
    assert_int_equal(qrexec_negotiate(4, 2, QREXEC_MIN_AGENT_VERSION, &v), 0);
    assert_int_equal(v, 2);
    assert_int_equal(qrexec_negotiate(4, 9, 2, &v), 0);
    assert_int_equal(v, 4);
    assert_int_equal(qrexec_negotiate(4, 2, QREXEC_MIN_CLIENT_VERSION, &v), -EPROTONOSUPPORT);
    assert_int_equal(qrexec_negotiate(4, 1, 2, &v), -EPROTONOSUPPORT);
    assert_int_equal(qrexec_max_chunk(2), 4096);
    assert_int_equal(qrexec_max_chunk(3), 65536);
}

static void test_exec_params_roundtrip(void **state)
{
    struct qrexec_exec_params p;
    size_t len;
    (void)state;

    const uint8_t *b = body_of(qrexec_build_exec(msg, sizeof(msg), QREXEC_MSG_EXEC_CMDLINE, 7, 514,
                                                 "user:QUBESRPC qubes.Filecopy+ work"),
                               QREXEC_MSG_EXEC_CMDLINE, QREXEC_LINK_DAEMON_TO_AGENT, &len);
    assert_int_equal(qrexec_parse_exec_params(b, len, &p), 0);
    assert_int_equal(p.connect_domain, 7);
    assert_int_equal(p.connect_port, 514);
    assert_string_equal(p.cmdline, "user:QUBESRPC qubes.Filecopy+ work");
    assert_int_equal(p.cmdline_len, strlen(p.cmdline));

    /* the daemon's reply to a client: port, empty command */
    b = body_of(qrexec_build_exec(msg, sizeof(msg), QREXEC_MSG_JUST_EXEC, 3, 513, ""),
                QREXEC_MSG_JUST_EXEC, QREXEC_LINK_DAEMON_TO_CLIENT, &len);
    assert_int_equal(qrexec_parse_exec_params(b, len, &p), 0);
    assert_int_equal(p.cmdline_len, 0);
}

static void test_exec_params_malformed(void **state)
{
    struct qrexec_exec_params p;
    uint8_t b[32] = {1, 0, 0, 0, 2, 0, 0, 0, 'l', 's'};
    (void)state;

    assert_int_equal(qrexec_parse_exec_params(b, 10, &p), -EBADMSG); /* no NUL */
    assert_int_equal(qrexec_parse_exec_params(b, 8, &p), -EBADMSG);  /* no command */
    assert_int_equal(qrexec_parse_exec_params(b, 4, &p), -EBADMSG);  /* short */
    b[9] = '\0';
    b[10] = 'x';
    b[11] = '\0';
    assert_int_equal(qrexec_parse_exec_params(b, 12, &p), -EBADMSG); /* NUL inside */
    assert_int_equal(qrexec_parse_exec_params(b, 10, &p), 0);
    assert_int_equal(qrexec_build_exec(msg, sizeof(msg), QREXEC_MSG_HELLO, 0, 0, "x"), -EINVAL);
    assert_int_equal(qrexec_build_exec(msg, 12, QREXEC_MSG_EXEC_CMDLINE, 0, 0, "xyz"), -ENOSPC);
}

static void test_request_id_rules(void **state)
{
    char id[32];
    uint8_t b[32] = {0};
    size_t len;
    (void)state;

    const uint8_t *m = body_of(qrexec_build_service_refused(msg, sizeof(msg), "SOCKET11"),
                               QREXEC_MSG_SERVICE_REFUSED, QREXEC_LINK_DAEMON_TO_AGENT, &len);
    assert_int_equal(len, 32);
    assert_int_equal(qrexec_parse_request_id(m, len, id), 0);
    assert_string_equal(id, "SOCKET11");

    memcpy(b, "with space.ok-_", 15);
    assert_int_equal(qrexec_parse_request_id(b, 32, id), 0);
    b[3] = '/';
    assert_int_equal(qrexec_parse_request_id(b, 32, id), -EBADMSG); /* bad character */
    b[3] = 'h';
    b[20] = 'X';
    assert_int_equal(qrexec_parse_request_id(b, 32, id), -EBADMSG); /* junk after NUL */
    memset(b, 'A', sizeof(b));
    assert_int_equal(qrexec_parse_request_id(b, 32, id), -EBADMSG); /* unterminated */
    assert_int_equal(qrexec_parse_request_id(b, 31, id), -EBADMSG); /* short */
    assert_int_equal(
        qrexec_build_service_refused(msg, sizeof(msg), "0123456789012345678901234567890123"),
        -EINVAL);
}

static void test_service_connect_roundtrip(void **state)
{
    struct qrexec_service_connect c;
    size_t len;
    (void)state;

    const uint8_t *b = body_of(qrexec_build_service_connect(msg, sizeof(msg), 5, 515, "SOCKET7"),
                               QREXEC_MSG_SERVICE_CONNECT, QREXEC_LINK_DAEMON_TO_AGENT, &len);
    assert_int_equal(len, 40);
    assert_int_equal(qrexec_parse_service_connect(b, len, &c), 0);
    assert_int_equal(c.connect_domain, 5);
    assert_int_equal(c.connect_port, 515);
    assert_string_equal(c.request_id, "SOCKET7");
    assert_int_equal(qrexec_parse_service_connect(b, 39, &c), -EBADMSG);
}

static void test_triggers_roundtrip(void **state)
{
    struct qrexec_trigger t;
    struct qrexec_hdr h;
    size_t len;
    (void)state;

    const uint8_t *b =
        body_of(qrexec_build_trigger3(msg, sizeof(msg), "qubes.Filecopy+", "@default", "SOCKET9"),
                QREXEC_MSG_TRIGGER_SERVICE3, QREXEC_LINK_AGENT_TO_DAEMON, &len);
    assert_int_equal(len, 96 + 16);
    assert_int_equal(qrexec_parse_trigger3(b, len, &t), 0);
    assert_int_equal(t.version, 3);
    assert_string_equal(t.service, "qubes.Filecopy+");
    assert_string_equal(t.target, "@default");
    assert_string_equal(t.request_id, "SOCKET9");
    assert_string_equal(t.source, "");

    b = body_of(qrexec_build_trigger4(msg, sizeof(msg), "a.B+c", "relay", "work", "R1"),
                QREXEC_MSG_TRIGGER_SERVICE4, QREXEC_LINK_AGENT_TO_DAEMON, &len);
    assert_int_equal(qrexec_parse_trigger4(b, len, &t), 0);
    assert_string_equal(t.source, "relay");
    assert_string_equal(t.target, "work");
    assert_string_equal(t.service, "a.B+c");

    assert_int_equal(qrexec_build_trigger_v2(msg, sizeof(msg), "qubes.Gpg", "vault", "S1"), 136);
    assert_int_equal(qrexec_parse_hdr(msg, 8, &h), 0);
    /* the V2 trigger is acceptable only on a V2 link */
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_AGENT_TO_DAEMON, 2), 0);
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_AGENT_TO_DAEMON, 3), -EPROTO);
    assert_int_equal(qrexec_parse_trigger_v2(msg + 8, 128, &t), 0);
    assert_string_equal(t.service, "qubes.Gpg");
    assert_string_equal(t.target, "vault");
    /* too long for V2's fixed fields */
    assert_int_equal(qrexec_build_trigger_v2(msg, sizeof(msg),
                                             "a-service-name-that-is-far-too-long-for-the-"
                                             "sixty-four-byte-field-of-v2",
                                             "x", "y"),
                     -EINVAL);
}

static void test_trigger_malformed(void **state)
{
    struct qrexec_trigger t;
    uint8_t b[200];
    (void)state;

    memset(b, 0, sizeof(b));
    memcpy(b, "work", 4);
    memcpy(b + 64, "SOCKET1", 7);
    memcpy(b + 96, "svc", 4);
    assert_int_equal(qrexec_parse_trigger3(b, 100, &t), 0);
    assert_int_equal(qrexec_parse_trigger3(b, 96, &t), -EBADMSG);  /* no name */
    assert_int_equal(qrexec_parse_trigger3(b, 101, &t), -EBADMSG); /* trailing byte */
    b[99] = 'x';
    assert_int_equal(qrexec_parse_trigger3(b, 100, &t), -EBADMSG); /* name unterminated */
    b[99] = '\0';
    memset(b, 'A', 64);
    assert_int_equal(qrexec_parse_trigger3(b, 100, &t), -EBADMSG); /* target unterminated */
    memcpy(b, "work\0", 5);
    memset(b + 64, 0, 32);
    assert_int_equal(qrexec_parse_trigger3(b, 100, &t), 0); /* empty request id is allowed */
    b[64 + 10] = '!';
    assert_int_equal(qrexec_parse_trigger3(b, 100, &t), -EBADMSG); /* junk in id padding */
}

static void test_header_rules_by_link(void **state)
{
    struct qrexec_hdr h;
    (void)state;

    /* a VM may not send dom0's messages */
    h = (struct qrexec_hdr){QREXEC_MSG_EXEC_CMDLINE, 20};
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_AGENT_TO_DAEMON, 3), -EPROTO);
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_DAEMON_TO_AGENT, 3), 0);
    h = (struct qrexec_hdr){QREXEC_MSG_SERVICE_REFUSED, 32};
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_AGENT_TO_DAEMON, 3), -EPROTO);
    /* nor data messages on the control link */
    h = (struct qrexec_hdr){QREXEC_MSG_DATA_STDOUT, 10};
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_AGENT_TO_DAEMON, 3), -EPROTO);
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_DATA, 3), 0);
    /* unknown types */
    h = (struct qrexec_hdr){0x1234, 0};
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_DATA, 3), -EPROTO);
    /* chunk limits follow the version */
    h = (struct qrexec_hdr){QREXEC_MSG_DATA_STDIN, 65536};
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_DATA, 3), 0);
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_DATA, 2), -EMSGSIZE);
    h.len = 65537;
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_DATA, 4), -EMSGSIZE);
    /* fixed sizes */
    h = (struct qrexec_hdr){QREXEC_MSG_HELLO, 8};
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_DATA, 3), -EMSGSIZE);
    h = (struct qrexec_hdr){QREXEC_MSG_CONNECTION_TERMINATED, 7};
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_AGENT_TO_DAEMON, 3), -EMSGSIZE);
    h = (struct qrexec_hdr){QREXEC_MSG_TRIGGER_SERVICE3, 96 + 65001};
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_AGENT_TO_DAEMON, 3), -EMSGSIZE);
    h.len = 96 + 65000;
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_AGENT_TO_DAEMON, 3), 0);
    /* V4's trigger needs a V4 link */
    h = (struct qrexec_hdr){QREXEC_MSG_TRIGGER_SERVICE4, 200};
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_AGENT_TO_DAEMON, 3), -EPROTO);
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_AGENT_TO_DAEMON, 4), 0);
    /* a command line as long as allowed, and one byte more */
    h = (struct qrexec_hdr){QREXEC_MSG_EXEC_CMDLINE, 8 + 65535};
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_CLIENT_TO_DAEMON, 3), 0);
    h.len++;
    assert_int_equal(qrexec_check_hdr(&h, QREXEC_LINK_CLIENT_TO_DAEMON, 3), -EMSGSIZE);
}

static void test_data_exit_terminated(void **state)
{
    struct qrexec_terminated t;
    int32_t code = 0;
    size_t len;
    (void)state;

    const uint8_t *b = body_of(qrexec_build_data(msg, sizeof(msg), QREXEC_MSG_DATA_STDOUT, "hi", 2),
                               QREXEC_MSG_DATA_STDOUT, QREXEC_LINK_DATA, &len);
    assert_int_equal(len, 2);
    assert_memory_equal(b, "hi", 2);
    /* EOF is an empty data message */
    body_of(qrexec_build_data(msg, sizeof(msg), QREXEC_MSG_DATA_STDIN, NULL, 0),
            QREXEC_MSG_DATA_STDIN, QREXEC_LINK_DATA, &len);
    assert_int_equal(len, 0);
    assert_int_equal(qrexec_build_data(msg, sizeof(msg), QREXEC_MSG_DATA_STDIN, msg, 65537),
                     -EINVAL);

    b = body_of(qrexec_build_exit_code(msg, sizeof(msg), -2), QREXEC_MSG_DATA_EXIT_CODE,
                QREXEC_LINK_DATA, &len);
    assert_int_equal(qrexec_parse_exit_code(b, len, &code), 0);
    assert_int_equal(code, -2);
    assert_int_equal(qrexec_parse_exit_code(b, 3, &code), -EBADMSG);

    b = body_of(qrexec_build_terminated(msg, sizeof(msg), 4, 517), QREXEC_MSG_CONNECTION_TERMINATED,
                QREXEC_LINK_AGENT_TO_DAEMON, &len);
    assert_int_equal(qrexec_parse_terminated(b, len, &t), 0);
    assert_int_equal(t.domain, 4);
    assert_int_equal(t.port, 517);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_layout_is_little_endian),
        cmocka_unit_test(test_hello_and_negotiation),
        cmocka_unit_test(test_exec_params_roundtrip),
        cmocka_unit_test(test_exec_params_malformed),
        cmocka_unit_test(test_request_id_rules),
        cmocka_unit_test(test_service_connect_roundtrip),
        cmocka_unit_test(test_triggers_roundtrip),
        cmocka_unit_test(test_trigger_malformed),
        cmocka_unit_test(test_header_rules_by_link),
        cmocka_unit_test(test_data_exit_terminated),
    };
    return cmocka_run_group_tests_name("qrexec_proto", tests, NULL, NULL);
}
