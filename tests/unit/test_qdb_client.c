/* The QubesDB client library against a scripted fake daemon (a forked
 * process on a Unix socket that answers each request with canned bytes):
 * values, errors, lists, watch notifications queued while a command waits,
 * and daemons that answer out of turn, with the wrong key, outside the
 * prefix, with garbage, or not at all. */
#include "lib/io.h"
#include "qubesdb/client/qdb_client.h"
#include "qubesdb/proto/qdb_proto.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define MAX_REPLIES 8
static uint8_t replies[MAX_REPLIES][4 * QDB_MAX_MSG];
static size_t reply_len[MAX_REPLIES], nreplies;
static char sock[64];
static pid_t daemon_pid;

/* Appends one message to the canned answer to request number i. */
static void add(size_t i, uint8_t type, const char *path, const char *data, size_t len)
{
    ssize_t n = qdb_build(replies[i] + reply_len[i], sizeof(replies[i]) - reply_len[i], type, path,
                          data, (uint32_t)len);
    assert_true(n > 0);
    reply_len[i] += (size_t)n;
    if (i + 1 > nreplies)
        nreplies = i + 1;
}

/* Raw bytes as the answer to request number i. */
static void add_raw(size_t i, const void *p, size_t len)
{
    memcpy(replies[i] + reply_len[i], p, len);
    reply_len[i] += len;
    if (i + 1 > nreplies)
        nreplies = i + 1;
}

/* Starts the fake daemon and connects a client to it. */
static struct qdb_client *start(void)
{
    int lfd = io_unix_listen(sock, 1);
    struct qdb_client *c;

    assert_true(lfd >= 0);
    daemon_pid = fork();
    assert_true(daemon_pid >= 0);
    if (daemon_pid == 0) {
        int fd = accept(lfd, NULL, NULL);
        for (size_t i = 0; fd >= 0 && i < nreplies; i++) {
            uint8_t h[QDB_HDR_SIZE], data[QDB_MAX_DATA];
            struct qdb_msg m;
            if (io_read_full(fd, h, sizeof(h)) < 0 || qdb_parse_cmd(h, sizeof(h), &m) < 0 ||
                io_read_full(fd, data, m.data_len) < 0)
                _exit(1);
            io_write_full(fd, replies[i], reply_len[i]);
        }
        _exit(0); /* closing: the client sees the daemon go away */
    }
    close(lfd);
    c = qdb_open(sock);
    assert_non_null(c);
    return c;
}

static int setup(void **state)
{
    (void)state;
    snprintf(sock, sizeof(sock), "/tmp/test_qdb_client.%d.sock", (int)getpid());
    memset(reply_len, 0, sizeof(reply_len));
    nreplies = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (daemon_pid > 0) {
        kill(daemon_pid, SIGKILL);
        waitpid(daemon_pid, NULL, 0);
        daemon_pid = 0;
    }
    unlink(sock);
    return 0;
}

static void test_values_and_errors(void **state)
{
    struct qdb_client *c;
    char *v;
    size_t len;

    (void)state;
    add(0, QDB_RESP_READ, "/name", "a\0b", 3);
    add(1, QDB_RESP_ERROR_NOENT, "/nope", NULL, 0);
    add(2, QDB_RESP_OK, "/qubes-tools/x", NULL, 0);
    add(3, QDB_RESP_ERROR, "/name", NULL, 0);
    add(4, QDB_RESP_ERROR_NOENT, "/x/", NULL, 0);
    c = start();
    assert_int_equal(qdb_read(c, "/name", &v, &len), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(v, "a\0b", 4); /* NUL-terminated after the value */
    free(v);
    assert_int_equal(qdb_read(c, "/nope", &v, &len), -ENOENT);
    assert_int_equal(qdb_write(c, "/qubes-tools/x", "1", 1), 0);
    assert_int_equal(qdb_write(c, "/name", "evil", 4), -EACCES);
    assert_int_equal(qdb_rm(c, "/x/"), -ENOENT);
    /* refused before anything is sent */
    assert_int_equal(qdb_write(c, "no-slash", "", 0), -EINVAL);
    assert_int_equal(qdb_write(c, "/a", "", QDB_MAX_DATA + 1), -EINVAL);
    assert_int_equal(qdb_read(c, "", &v, &len), -EINVAL);
    /* the daemon is gone now */
    assert_int_equal(qdb_read(c, "/name", &v, &len), -EPIPE);
    qdb_close(c);
}

static int collect(void *ctx, const char *path, const char *val, size_t len)
{
    char *out = ctx;
    snprintf(out + strlen(out), 256 - strlen(out), "%s=%.*s;", path, (int)len, val);
    return strcmp(path, "/stop") == 0 ? 42 : 0;
}

static void test_lists(void **state)
{
    struct qdb_client *c;
    char **keys, got[256] = "";
    size_t n;

    (void)state;
    add(0, QDB_RESP_LIST, "/q-a", NULL, 0);
    add(0, QDB_RESP_LIST, "/q-b", NULL, 0);
    add(0, QDB_RESP_LIST, "", NULL, 0);
    add(1, QDB_RESP_LIST, "", NULL, 0);
    add(2, QDB_RESP_MULTIREAD, "/q-a", "1", 1);
    add(2, QDB_RESP_MULTIREAD, "/q-b", "22", 2);
    add(2, QDB_RESP_MULTIREAD, "", NULL, 0);
    add(3, QDB_RESP_MULTIREAD, "/stop", "x", 1);
    add(3, QDB_RESP_MULTIREAD, "/zzz", "y", 1);
    add(3, QDB_RESP_MULTIREAD, "", NULL, 0);
    add(4, QDB_RESP_READ, "/q-a", "1", 1);
    c = start();
    assert_int_equal(qdb_list(c, "/q-", &keys, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(keys[0], "/q-a");
    assert_string_equal(keys[1], "/q-b");
    qdb_free_list(keys, n);
    assert_int_equal(qdb_list(c, "/none/", &keys, &n), 0);
    assert_int_equal(n, 0);
    qdb_free_list(keys, n);
    assert_int_equal(qdb_multiread(c, "/q-", collect, got), 0);
    assert_string_equal(got, "/q-a=1;/q-b=22;");
    /* the callback stops early; the rest of the reply is still read */
    got[0] = 0;
    assert_int_equal(qdb_multiread(c, "/", collect, got), 42);
    assert_string_equal(got, "/stop=x;");
    char *v;
    assert_int_equal(qdb_read(c, "/q-a", &v, &n), 0);
    free(v);
    qdb_close(c);
}

static void test_watch_queue(void **state)
{
    struct qdb_client *c;
    char path[QDB_MAX_PATH], small[2], *v;
    size_t len;

    (void)state;
    add(0, QDB_RESP_OK, "/a", NULL, 0);
    /* notifications before and inside a reply, one key twice */
    add(1, QDB_RESP_WATCH, "/a", NULL, 0);
    add(1, QDB_RESP_LIST, "/a", NULL, 0);
    add(1, QDB_RESP_WATCH, "/a", NULL, 0);
    add(1, QDB_RESP_WATCH, "/b/c", NULL, 0);
    add(1, QDB_RESP_LIST, "", NULL, 0);
    add(1, QDB_RESP_WATCH, "/late", NULL, 0); /* after the reply: stays on the socket */
    add(2, QDB_RESP_READ, "/a", "v", 1);
    c = start();
    assert_int_equal(qdb_watch(c, "/a"), 0);
    char **keys;
    size_t n;
    assert_int_equal(qdb_list(c, "/", &keys, &n), 0);
    assert_int_equal(n, 1);
    qdb_free_list(keys, n);
    assert_int_equal(qdb_watch_pending(c), 2); /* "/a" once */
    assert_int_equal(qdb_read_watch(c, small, sizeof(small)), -ENAMETOOLONG);
    assert_int_equal(qdb_read_watch(c, path, sizeof(path)), 0);
    assert_string_equal(path, "/a");
    assert_int_equal(qdb_read_watch(c, path, sizeof(path)), 0);
    assert_string_equal(path, "/b/c");
    assert_int_equal(qdb_watch_pending(c), 0);
    assert_int_equal(qdb_read_watch(c, path, sizeof(path)), 0); /* from the socket */
    assert_string_equal(path, "/late");
    assert_true(qdb_watch_fd(c) >= 0);
    assert_int_equal(qdb_read(c, "/a", &v, &len), 0);
    free(v);
    qdb_close(c);
}

/* One hostile answer: the call fails as expected and the handle stays
 * broken for later calls. */
static void hostile(void (*script)(void), int (*call)(struct qdb_client *), int want)
{
    struct qdb_client *c;
    char *v;
    size_t len;

    setup(NULL);
    script();
    c = start();
    assert_int_equal(call(c), want);
    assert_true(qdb_read(c, "/name", &v, &len) < 0);
    qdb_close(c);
    teardown(NULL);
}

static void wrong_key(void)
{
    add(0, QDB_RESP_READ, "/other", "x", 1);
}
static void outside_prefix(void)
{
    add(0, QDB_RESP_LIST, "/q-a", NULL, 0);
    add(0, QDB_RESP_LIST, "/name", NULL, 0);
    add(0, QDB_RESP_LIST, "", NULL, 0);
}
static void garbage(void)
{
    uint8_t junk[QDB_HDR_SIZE];
    memset(junk, 0xff, sizeof(junk));
    add_raw(0, junk, sizeof(junk));
}
static void cut_short(void)
{
    add(0, QDB_RESP_READ, "/name", "abcdef", 6);
    reply_len[0] -= 3; /* the daemon dies inside the value */
}
static void out_of_turn(void)
{
    add(0, QDB_RESP_OK, "/a", NULL, 0);
    add(0, QDB_RESP_OK, "/a", NULL, 0); /* a second answer to one question */
}
static void command_as_reply(void)
{
    add(0, QDB_CMD_WRITE, "/name", "x", 1);
}
static int call_read(struct qdb_client *c)
{
    char *v;
    size_t len;
    int r = qdb_read(c, "/name", &v, &len);
    if (r == 0)
        free(v);
    return r;
}
static int call_list(struct qdb_client *c)
{
    char **k;
    size_t n;
    return qdb_list(c, "/q-", &k, &n);
}
static int call_watch_then_read_watch(struct qdb_client *c)
{
    char p[QDB_MAX_PATH];
    int r = qdb_watch(c, "/a");
    return r < 0 ? r : qdb_read_watch(c, p, sizeof(p));
}

static void test_hostile_daemon(void **state)
{
    (void)state;
    hostile(wrong_key, call_read, -EBADMSG);
    hostile(outside_prefix, call_list, -EBADMSG);
    hostile(garbage, call_read, -EBADMSG);
    hostile(cut_short, call_read, -EPIPE);
    hostile(out_of_turn, call_watch_then_read_watch, -EBADMSG);
    hostile(command_as_reply, call_read, -EBADMSG);
}

static void test_no_daemon(void **state)
{
    (void)state;
    errno = 0;
    assert_null(qdb_open("/nonexistent/qubesdb.sock"));
    assert_int_equal(errno, ENOENT);
    qdb_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_values_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_queue, setup, teardown),
        cmocka_unit_test(test_hostile_daemon),
        cmocka_unit_test(test_no_daemon),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
