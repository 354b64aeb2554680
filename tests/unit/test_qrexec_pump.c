/* The qrexec data phase, both roles, over a socket vchan: a real service
 * process on one end, files as the client's stdin/stdout/stderr on the
 * other. */
#include "qrexec/common/msgio.h"
#include "qrexec/common/pump.h"
#include "qrexec/common/spawn.h"
#include "tests/tools/xfer_pattern.h"
#include "tests/unit/vchan_test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

static char dir[64];
static int port = 600;

static int setup(void **state)
{
    (void)state;
    return vt_fixture_setup(dir, sizeof(dir), 120);
}

static int teardown(void **state)
{
    (void)state;
    return vt_fixture_teardown(dir);
}

static char *path(const char *name)
{
    static char p[4][128];
    static int i;
    i = (i + 1) % 4;
    snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
    return p[i];
}

static void write_file(const char *name, const void *data, size_t len)
{
    int fd = open(path(name), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static char *read_file(const char *name, size_t *len)
{
    static char buf[4096];
    int fd = open(path(name), O_RDONLY);
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    assert_true(n >= 0);
    buf[n] = '\0';
    if (len)
        *len = (size_t)n;
    return buf;
}

/* The service end, in a child process: connects as the agent would and
 * runs sh -c CMD through the pump. Exits with the pump's result. */
static pid_t start_service(const char *cmd, uint32_t version)
{
    pid_t pid = fork();

    if (pid == 0) {
        char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
        struct qrexec_child c;
        struct vchan *v;
        uint32_t ver;
        int r;

        vt_set_domid(5);
        v = vchan_client_init(0, port, 5000);
        if (!v || qrexec_vchan_handshake(v, false, version, 2, QREXEC_LINK_DATA, &ver) < 0)
            _exit(100);
        if (qrexec_spawn(argv, NULL, 0, &c) < 0)
            _exit(101);
        struct qrexec_pump p = {.v = v,
                                .version = ver,
                                .service = true,
                                .in_fd = c.stdout_fd,
                                .in2_fd = c.stderr_fd,
                                .out_fd = c.stdin_fd,
                                .err_fd = -1,
                                .pid = c.pid};
        r = qrexec_pump_run(&p, NULL);
        vchan_close(v);
        _exit(r == 0 ? 0 : 102);
    }
    return pid;
}

/* The client end, here: stdin from a file, stdout/stderr into files. */
static int run_client(uint32_t version, int *code, pid_t service)
{
    struct vchan *v;
    uint32_t ver;
    int r, st;

    vt_set_domid(0);
    v = vchan_server_init(5, port, 65536, 65536);
    assert_non_null(v);
    assert_int_equal(qrexec_vchan_handshake(v, true, version, 2, QREXEC_LINK_DATA, &ver), 0);
    struct qrexec_pump p = {.v = v,
                            .version = ver,
                            .service = false,
                            .in_fd = open(path("in"), O_RDONLY),
                            .in2_fd = -1,
                            .out_fd = open(path("out"), O_WRONLY | O_CREAT | O_TRUNC, 0600),
                            .err_fd = open(path("err"), O_WRONLY | O_CREAT | O_TRUNC, 0600)};
    r = qrexec_pump_run(&p, code);
    vchan_close(v);
    waitpid(service, &st, 0);
    port++;
    return r;
}

static void test_stdio_and_exit_code(void **state)
{
    int code = -1;
    (void)state;

    write_file("in", "hello\nworld\n", 12);
    pid_t s = start_service("tr a-z A-Z; echo oops >&2; exit 7", 3);
    assert_int_equal(run_client(3, &code, s), 0);
    assert_int_equal(code, 7);
    assert_string_equal(read_file("out", NULL), "HELLO\nWORLD\n");
    assert_string_equal(read_file("err", NULL), "oops\n");
}

static void test_version2_link(void **state)
{
    int code = -1;
    (void)state;

    write_file("in", "", 0);
    pid_t s = start_service("head -c 10000 /dev/zero | tr '\\0' x", 2);
    assert_int_equal(run_client(4, &code, s), 0); /* negotiated down to 2 */
    assert_int_equal(code, 0);
    size_t n;
    read_file("out", &n);
    assert_int_equal(n, 4095); /* read_file's buffer; the file is longer */
    struct stat st;
    stat(path("out"), &st);
    assert_int_equal(st.st_size, 10000);
}

static void test_large_both_ways(void **state)
{
    static uint8_t chunk[65536];
    struct xfer_pattern pat;
    int code = -1, fd;
    struct stat st;
    (void)state;

    /* 64 MiB through cat and back: every byte compared */
    fd = open(path("in"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    xfer_pattern_init(&pat, 9);
    for (int i = 0; i < 1024; i++) {
        xfer_pattern_fill(&pat, chunk, sizeof(chunk));
        assert_int_equal(write(fd, chunk, sizeof(chunk)), (ssize_t)sizeof(chunk));
    }
    close(fd);
    pid_t s = start_service("cat", 3);
    assert_int_equal(run_client(3, &code, s), 0);
    assert_int_equal(code, 0);
    assert_int_equal(stat(path("out"), &st), 0);
    assert_int_equal(st.st_size, 64 << 20);
    assert_int_equal(system("cmp -s \"$VCHAN_SOCKET_DIR/in\" \"$VCHAN_SOCKET_DIR/out\""), 0);
}

static void test_service_killed_by_signal(void **state)
{
    int code = -1;
    (void)state;

    write_file("in", "", 0);
    pid_t s = start_service("kill -9 $$", 3);
    assert_int_equal(run_client(3, &code, s), 0);
    assert_int_equal(code, 128 + 9);
}

static void test_service_that_ignores_stdin(void **state)
{
    static uint8_t big[1 << 20];
    int code = -1;
    (void)state;

    /* the service exits without reading 1 MiB of stdin: no hang */
    write_file("in", big, sizeof(big));
    pid_t s = start_service("echo done", 3);
    assert_int_equal(run_client(3, &code, s), 0);
    assert_int_equal(code, 0);
    assert_string_equal(read_file("out", NULL), "done\n");
}

/* A peer that breaks the protocol: a fake service that sends DATA_STDIN
 * (only clients send that), and one that hangs up without an exit code. */
static pid_t start_fake(int what)
{
    pid_t pid = fork();

    if (pid == 0) {
        struct vchan *v;
        uint32_t ver;
        vt_set_domid(5);
        v = vchan_client_init(0, port, 5000);
        if (!v || qrexec_vchan_handshake(v, false, 3, 2, QREXEC_LINK_DATA, &ver) < 0)
            _exit(100);
        if (what == 0)
            qrexec_vchan_send(v, QREXEC_MSG_DATA_STDIN, "x", 1);
        else if (what == 1)
            qrexec_vchan_send(v, QREXEC_MSG_DATA_STDOUT, "partial", 7);
        else
            qrexec_vchan_send(v, QREXEC_MSG_HELLO, "\3\0\0\0", 4);
        vchan_close(v);
        _exit(0);
    }
    return pid;
}

static void test_protocol_violations(void **state)
{
    int code = -1;
    (void)state;

    write_file("in", "", 0);
    assert_int_equal(run_client(3, &code, start_fake(0)), -EPROTO);
    assert_int_equal(run_client(3, &code, start_fake(1)), -EPIPE);
    assert_string_equal(read_file("out", NULL), "partial"); /* what came, came */
    assert_int_equal(run_client(3, &code, start_fake(2)), -EPROTO);
}

static void test_filter_bytes(void **state)
{
    uint8_t b[] = "ok\t\r\n\033[31mred\x07\x7f\xc3\xa9~";
    (void)state;

    qrexec_filter_bytes(b, sizeof(b) - 1);
    assert_string_equal((char *)b, "ok\t\r\n_[31mred____~");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stdio_and_exit_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version2_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_killed_by_signal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_that_ignores_stdin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_protocol_violations, setup, teardown),
        cmocka_unit_test(test_filter_bytes),
    };
    return cmocka_run_group_tests_name("qrexec_pump", tests, NULL, NULL);
}
