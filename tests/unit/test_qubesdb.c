/* QubesDB: the header parsers (every type in each direction, wrong sizes,
 * missing NUL, bad paths, oversize data, unknown types), the builder's
 * byte layout, the reply state machine clients run, and the daemon's
 * sorted store. */
#include "qubesdb/daemon/store.h"
#include "qubesdb/proto/qdb_proto.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static uint8_t buf[QDB_MAX_MSG + 8];

static void hdr(uint8_t type, const char *path, uint32_t len)
{
    memset(buf, 0, sizeof(buf));
    buf[0] = type;
    memcpy(buf + 1, path, strlen(path));
    buf[68] = (uint8_t)len;
    buf[69] = (uint8_t)(len >> 8);
    buf[70] = (uint8_t)(len >> 16);
    buf[71] = (uint8_t)(len >> 24);
}

static int cmd(uint8_t type, const char *path, uint32_t len)
{
    struct qdb_msg m;
    hdr(type, path, len);
    return qdb_parse_cmd(buf, QDB_HDR_SIZE, &m);
}

static int resp(uint8_t type, const char *path, uint32_t len)
{
    struct qdb_msg m;
    hdr(type, path, len);
    return qdb_parse_resp(buf, QDB_HDR_SIZE, &m);
}

static void test_layout(void **state)
{
    struct qdb_msg m;
    (void)state;
    assert_int_equal(qdb_build(buf, sizeof(buf), QDB_CMD_WRITE, "/name", "work", 4), 76);
    assert_int_equal(buf[0], 1);
    assert_memory_equal(buf + 1, "/name\0", 6);
    assert_int_equal(buf[68], 4);
    assert_int_equal(buf[71], 0);
    assert_memory_equal(buf + 72, "work", 4);
    assert_int_equal(qdb_parse_cmd(buf, QDB_HDR_SIZE, &m), 0);
    assert_int_equal(m.type, QDB_CMD_WRITE);
    assert_string_equal(m.path, "/name");
    assert_int_equal(m.path_len, 5);
    assert_int_equal(m.data_len, 4);
    assert_int_equal(QDB_RESP_OK, 7);
    assert_int_equal(QDB_RESP_WATCH, 13);
}

static void test_commands(void **state)
{
    (void)state;
    for (uint8_t t = QDB_CMD_READ; t <= QDB_CMD_UNWATCH; t++) {
        assert_int_equal(cmd(t, "/a/b", 0), 0);
        /* only WRITE carries data */
        assert_int_equal(cmd(t, "/a/b", 1), t == QDB_CMD_WRITE ? 0 : -EBADMSG);
        assert_int_equal(cmd(t, "", 0), -EBADMSG);
    }
    assert_int_equal(cmd(QDB_CMD_WRITE, "/a", QDB_MAX_DATA), 0);
    assert_int_equal(cmd(QDB_CMD_WRITE, "/a", QDB_MAX_DATA + 1), -EBADMSG);
    assert_int_equal(cmd(QDB_CMD_WRITE, "/a", 0xffffffffu), -EBADMSG);
    assert_int_equal(cmd(QDB_CMD_WRITE, "/a/", 1), -EBADMSG);
    assert_int_equal(cmd(QDB_CMD_LIST, "/a/", 0), 0);
    assert_int_equal(cmd(QDB_CMD_RM, "/features-request/", 0), 0);
    /* responses and unknown types are not commands */
    for (unsigned t = QDB_RESP_OK; t < 256; t++)
        assert_int_equal(cmd((uint8_t)t, "/a", 0), -EBADMSG);
}

static void test_responses(void **state)
{
    (void)state;
    for (uint8_t t = QDB_RESP_OK; t < QDB_TYPE_COUNT; t++)
        assert_int_equal(resp(t, "/x", 0), 0);
    assert_int_equal(resp(QDB_RESP_READ, "/x", QDB_MAX_DATA), 0);
    assert_int_equal(resp(QDB_RESP_READ, "/x", QDB_MAX_DATA + 1), -EBADMSG);
    assert_int_equal(resp(QDB_RESP_READ, "", 0), -EBADMSG);
    assert_int_equal(resp(QDB_RESP_MULTIREAD, "/x", 5), 0);
    assert_int_equal(resp(QDB_RESP_MULTIREAD, "", 0), 0);
    assert_int_equal(resp(QDB_RESP_MULTIREAD, "", 5), -EBADMSG);
    assert_int_equal(resp(QDB_RESP_LIST, "", 0), 0);
    assert_int_equal(resp(QDB_RESP_LIST, "/x", 1), -EBADMSG);
    assert_int_equal(resp(QDB_RESP_OK, "/x", 1), -EBADMSG);
    assert_int_equal(resp(QDB_RESP_ERROR, "/x", 1), -EBADMSG);
    assert_int_equal(resp(QDB_RESP_WATCH, "", 0), -EBADMSG);
    assert_int_equal(resp(QDB_RESP_WATCH, "/x", 2), -EBADMSG);
    for (unsigned t = 0; t < 256; t++)
        if (t < QDB_RESP_OK || t >= QDB_TYPE_COUNT)
            assert_int_equal(resp((uint8_t)t, "/x", 0), -EBADMSG);
}

static void test_sizes_and_nul(void **state)
{
    struct qdb_msg m;
    (void)state;
    hdr(QDB_CMD_READ, "/a", 0);
    assert_int_equal(qdb_parse_cmd(buf, QDB_HDR_SIZE - 1, &m), -EBADMSG);
    assert_int_equal(qdb_parse_cmd(buf, QDB_HDR_SIZE + 1, &m), -EBADMSG);
    assert_int_equal(qdb_parse_resp(buf, 0, &m), -EBADMSG);
    /* 64 path bytes and no NUL */
    memset(buf + 1, 'a', QDB_MAX_PATH);
    buf[1] = '/';
    assert_int_equal(qdb_parse_cmd(buf, QDB_HDR_SIZE, &m), -EBADMSG);
    /* 63 characters is the longest path */
    buf[QDB_MAX_PATH] = 0;
    assert_int_equal(qdb_parse_cmd(buf, QDB_HDR_SIZE, &m), 0);
    assert_int_equal(m.path_len, 63);
    /* garbage after the NUL and in the padding is ignored */
    hdr(QDB_CMD_READ, "/a", 0);
    buf[10] = 'z';
    buf[66] = 0xff;
    assert_int_equal(qdb_parse_cmd(buf, QDB_HDR_SIZE, &m), 0);
    assert_string_equal(m.path, "/a");
}

static void test_paths(void **state)
{
    static const char *const bad[] = {"a",     "a/b",   "//",    "/a//b", "/a b",
                                      "/a\tb", "/\x7f", "/\xc3", "/a\nb"};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(cmd(QDB_CMD_READ, bad[i], 0), -EBADMSG);
        assert_int_equal(resp(QDB_RESP_READ, bad[i], 0), -EBADMSG);
    }
    assert_int_equal(cmd(QDB_CMD_READ, "/", 0), 0);
    assert_int_equal(cmd(QDB_CMD_READ, "/qubes-firewall/10.137.0.5/0001", 0), 0);
    assert_int_equal(qdb_build(buf, sizeof(buf), QDB_CMD_READ, "/a//b", NULL, 0), -EINVAL);
    assert_int_equal(qdb_build(buf, sizeof(buf), QDB_CMD_WRITE, "/a", buf, QDB_MAX_DATA + 1),
                     -EINVAL);
    assert_int_equal(qdb_build(buf, 10, QDB_CMD_READ, "/a", NULL, 0), -ENOSPC);
    assert_int_equal(qdb_build(buf, sizeof(buf), QDB_TYPE_COUNT, "/a", NULL, 0), -EINVAL);
}

static int removed;
static void count(const char *p, void *a)
{
    (void)p;
    (void)a;
    removed++;
}

static void test_store(void **state)
{
    struct qdb_store s = {0};
    size_t first, end;
    char key[32];
    (void)state;
    assert_int_equal(qdb_store_rm(&s, "/x", count, NULL), 0);
    assert_int_equal(qdb_store_set(&s, "/b", "2", 1), 0);
    assert_int_equal(qdb_store_set(&s, "/a/y", "1", 1), 0);
    assert_int_equal(qdb_store_set(&s, "/a/x", "0", 1), 0);
    assert_int_equal(qdb_store_set(&s, "/b", "22", 2), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.e[0].path, "/a/x");
    assert_int_equal(qdb_store_get(&s, "/b")->len, 2);
    assert_null(qdb_store_get(&s, "/c"));
    qdb_store_prefix(&s, "/a/", &first, &end);
    assert_int_equal(first, 0);
    assert_int_equal(end, 2);
    assert_int_equal(qdb_store_rm(&s, "/a/", count, NULL), 2);
    assert_int_equal(removed, 2);
    assert_int_equal(s.n, 1);
    for (int i = 0; s.n < QDB_STORE_MAX; i++) {
        snprintf(key, sizeof(key), "/k/%d", i);
        assert_int_equal(qdb_store_set(&s, key, "", 0), 0);
    }
    assert_int_equal(qdb_store_set(&s, "/full", "", 0), -ENOSPC);
    assert_int_equal(qdb_store_set(&s, "/b", "3", 1), 0); /* replacing still works */
    qdb_store_free(&s);
}

static int step(uint8_t cmd_type, const char *cmd_path, uint8_t type, const char *path)
{
    struct qdb_msg m = {.type = type};
    m.path_len = strlen(path);
    memcpy(m.path, path, m.path_len + 1);
    return qdb_reply_step(cmd_type, cmd_path, &m);
}

static void test_reply_step(void **state)
{
    (void)state;
    /* watch events at any time, even with nothing asked */
    assert_int_equal(step(QDB_REPLY_NONE, "", QDB_RESP_WATCH, "/a"), QDB_REPLY_EVENT);
    assert_int_equal(step(QDB_CMD_LIST, "/", QDB_RESP_WATCH, "/a"), QDB_REPLY_EVENT);
    /* anything else with nothing asked is out of turn */
    for (uint8_t t = QDB_RESP_OK; t < QDB_RESP_WATCH; t++)
        assert_int_equal(step(QDB_REPLY_NONE, "", t, t == QDB_RESP_READ ? "/a" : ""), -EBADMSG);
    /* READ: the value of that key, or NOENT, or ERROR */
    assert_int_equal(step(QDB_CMD_READ, "/a", QDB_RESP_READ, "/a"), QDB_REPLY_DONE);
    assert_int_equal(step(QDB_CMD_READ, "/a", QDB_RESP_READ, "/b"), -EBADMSG);
    assert_int_equal(step(QDB_CMD_READ, "/a", QDB_RESP_ERROR_NOENT, "/a"), QDB_REPLY_DONE);
    assert_int_equal(step(QDB_CMD_READ, "/a", QDB_RESP_ERROR, "/a"), QDB_REPLY_DONE);
    assert_int_equal(step(QDB_CMD_READ, "/a", QDB_RESP_OK, "/a"), -EBADMSG);
    assert_int_equal(step(QDB_CMD_READ, "/a", QDB_RESP_LIST, ""), -EBADMSG);
    /* WRITE: OK or ERROR, never NOENT or a value */
    assert_int_equal(step(QDB_CMD_WRITE, "/a", QDB_RESP_OK, "/a"), QDB_REPLY_DONE);
    assert_int_equal(step(QDB_CMD_WRITE, "/a", QDB_RESP_ERROR, "/a"), QDB_REPLY_DONE);
    assert_int_equal(step(QDB_CMD_WRITE, "/a", QDB_RESP_ERROR_NOENT, "/a"), -EBADMSG);
    assert_int_equal(step(QDB_CMD_WRITE, "/a", QDB_RESP_READ, "/a"), -EBADMSG);
    /* RM and UNWATCH may find nothing; WATCH may not */
    assert_int_equal(step(QDB_CMD_RM, "/a/", QDB_RESP_ERROR_NOENT, "/a/"), QDB_REPLY_DONE);
    assert_int_equal(step(QDB_CMD_UNWATCH, "/a", QDB_RESP_ERROR_NOENT, "/a"), QDB_REPLY_DONE);
    assert_int_equal(step(QDB_CMD_WATCH, "/a", QDB_RESP_OK, "/a"), QDB_REPLY_DONE);
    assert_int_equal(step(QDB_CMD_WATCH, "/a", QDB_RESP_ERROR_NOENT, "/a"), -EBADMSG);
    /* LIST / MULTIREAD: entries under the prefix, then the empty terminator */
    assert_int_equal(step(QDB_CMD_LIST, "/q-", QDB_RESP_LIST, "/q-ip"), QDB_REPLY_MORE);
    assert_int_equal(step(QDB_CMD_LIST, "/q-", QDB_RESP_LIST, "/name"), -EBADMSG);
    assert_int_equal(step(QDB_CMD_LIST, "/q-", QDB_RESP_LIST, ""), QDB_REPLY_DONE);
    assert_int_equal(step(QDB_CMD_LIST, "/q-", QDB_RESP_MULTIREAD, "/q-ip"), -EBADMSG);
    assert_int_equal(step(QDB_CMD_LIST, "/q-", QDB_RESP_ERROR, "/q-"), QDB_REPLY_DONE);
    assert_int_equal(step(QDB_CMD_LIST, "/q-", QDB_RESP_OK, "/q-"), -EBADMSG);
    assert_int_equal(step(QDB_CMD_MULTIREAD, "/", QDB_RESP_MULTIREAD, "/x"), QDB_REPLY_MORE);
    assert_int_equal(step(QDB_CMD_MULTIREAD, "/", QDB_RESP_MULTIREAD, ""), QDB_REPLY_DONE);
    assert_int_equal(step(QDB_CMD_MULTIREAD, "/", QDB_RESP_LIST, ""), -EBADMSG);
    /* a response type given as the command: nothing was asked */
    assert_int_equal(step(QDB_RESP_OK, "/a", QDB_RESP_OK, "/a"), -EBADMSG);
}

static void test_watch_matches(void **state)
{
    (void)state;
    assert_true(qdb_watch_matches("/a/b", "/a/b"));
    assert_false(qdb_watch_matches("/a/b", "/a/bc"));
    assert_false(qdb_watch_matches("/a/b", "/a/b/c"));
    assert_true(qdb_watch_matches("/a/", "/a/b"));
    assert_true(qdb_watch_matches("/a/", "/a/b/c"));
    assert_true(qdb_watch_matches("/a/", "/a/"));
    assert_false(qdb_watch_matches("/a/", "/a"));
    assert_false(qdb_watch_matches("/a/", "/ab"));
    assert_true(qdb_watch_matches("/", "/anything"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),     cmocka_unit_test(test_commands),
        cmocka_unit_test(test_responses),  cmocka_unit_test(test_sizes_and_nul),
        cmocka_unit_test(test_paths),      cmocka_unit_test(test_store),
        cmocka_unit_test(test_reply_step), cmocka_unit_test(test_watch_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
