/* The socket vchan backend: what a daemon relies on. Every test runs under
 * an alarm, so a hang is a failure, not a stuck suite. */
#include "lib/vchan.h"
#include "tests/tools/xfer_pattern.h"
#include "tests/unit/vchan_test_util.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cmocka.h>

/* The socket is where the ecosystem convention puts it, and a pair carries
 * bytes both ways for either domid order. */
static void test_pair_both_directions(void **state)
{
    static const int ids[][2] = {{0, 7}, {7, 0}, {3, 12}};
    (void)state;

    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        struct vchan *srv, *cli;
        char path[128], buf[32];
        struct stat st;
        int a = ids[i][0], b = ids[i][1], port = 512 + (int)i;

        vt_set_domid(a);
        srv = vchan_server_init(b, port, 4096, 4096);
        assert_non_null(srv);
        assert_string_equal(vchan_backend_name(srv), "socket");
        assert_int_equal(vchan_is_open(srv), VCHAN_WAITING);
        snprintf(path, sizeof(path), "%s/vchan.%d.%d.%d.sock", vt_test_dir, a, b, port);
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));

        vt_set_domid(b);
        cli = vchan_client_init(a, port, 2000);
        assert_non_null(cli);
        assert_int_equal(vchan_write(cli, "ping", 5), 0);
        assert_int_equal(vchan_read(srv, buf, 5), 0);
        assert_string_equal(buf, "ping");
        assert_int_equal(vchan_is_open(srv), VCHAN_CONNECTED);
        /* one connection per channel: the name is free again */
        assert_int_equal(stat(path, &st), -1);
        assert_int_equal(vchan_write(srv, "pong!", 6), 0);
        assert_int_equal(vchan_read(cli, buf, 6), 0);
        assert_string_equal(buf, "pong!");
        assert_int_equal(vchan_is_open(cli), VCHAN_CONNECTED);
        vchan_close(cli);
        vchan_close(srv);
    }
}

#define GIB   (1024ULL * 1024 * 1024)
#define CHUNK 65536

static uint64_t send_pattern(struct vchan *v, uint64_t total, uint64_t seed)
{
    static uint8_t buf[CHUNK];
    struct xfer_pattern p;
    uint64_t sum = XFER_SUM_INIT;

    xfer_pattern_init(&p, seed);
    for (uint64_t left = total; left;) {
        size_t n = left > CHUNK ? CHUNK : (size_t)left;
        xfer_pattern_fill(&p, buf, n);
        sum = xfer_sum(sum, buf, n);
        if (vchan_write(v, buf, n) < 0)
            return 0;
        left -= n;
    }
    return sum;
}

static uint64_t recv_sum(struct vchan *v, uint64_t total, size_t chunk)
{
    static uint8_t buf[CHUNK];
    uint64_t sum = XFER_SUM_INIT;

    for (uint64_t left = total; left;) {
        size_t n = left > chunk ? chunk : (size_t)left;
        if (vchan_read(v, buf, n) < 0)
            return 0;
        sum = xfer_sum(sum, buf, n);
        left -= n;
    }
    return sum;
}

/* 1 GiB from a server process to a client process, checksum compared. */
static void test_one_gib_checksum(void **state)
{
    struct vchan *srv, *cli;
    uint64_t expect, got, reply;
    pid_t pid;
    (void)state;

    vt_set_domid(0);
    srv = vchan_server_init(4, 600, CHUNK, CHUNK);
    assert_non_null(srv);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        uint64_t s = send_pattern(srv, GIB, 42);
        int ok = s && vchan_write(srv, &s, 8) == 0;
        vchan_close(srv);
        _exit(ok ? 0 : 1);
    }
    /* the child serves; closing our copy now would withdraw the offer */
    vt_set_domid(4);
    cli = vchan_client_init(0, 600, 5000);
    assert_non_null(cli);
    got = recv_sum(cli, GIB, CHUNK);
    assert_int_equal(vchan_read(cli, &reply, 8), 0);
    {
        /* what the pattern should sum to, computed independently here */
        static uint8_t buf[CHUNK];
        struct xfer_pattern p;
        expect = XFER_SUM_INIT;
        xfer_pattern_init(&p, 42);
        for (uint64_t left = GIB; left; left -= CHUNK) {
            xfer_pattern_fill(&p, buf, CHUNK);
            expect = xfer_sum(expect, buf, CHUNK);
        }
    }
    assert_true(got == expect);
    assert_true(reply == expect);
    vchan_close(cli);
    vchan_close(srv);
    assert_int_equal(vt_child_exit_status(pid), 0);
}

/* Many channels open at once, all driven from one poll() loop, each with its
 * own data; nothing crosses between channels. */
#define NCHAN    64
#define PER_CHAN (256 * 1024)
static void test_many_channels(void **state)
{
    struct vchan *srv[NCHAN], *cli[NCHAN];
    struct xfer_pattern pat[NCHAN];
    uint64_t sent[NCHAN] = {0}, rcvd[NCHAN] = {0}, sum_tx[NCHAN], sum_rx[NCHAN];
    static uint8_t buf[16384];
    int done = 0;
    (void)state;

    for (int i = 0; i < NCHAN; i++) {
        vt_pair(0, 10 + i % 8, 1000 + i, &srv[i], &cli[i]);
        assert_non_null(srv[i]);
        assert_non_null(cli[i]);
        xfer_pattern_init(&pat[i], 1000 + (uint64_t)i);
        sum_tx[i] = sum_rx[i] = XFER_SUM_INIT;
    }
    while (done < NCHAN) {
        struct pollfd p[2 * NCHAN];
        for (int i = 0; i < NCHAN; i++) {
            p[2 * i] = (struct pollfd){.fd = vchan_fd(srv[i]), .events = POLLIN};
            p[2 * i + 1] = (struct pollfd){.fd = vchan_fd(cli[i]), .events = POLLIN};
        }
        /* make progress first, poll only when nothing moved */
        int moved = 0;
        for (int i = 0; i < NCHAN; i++) {
            size_t space = vchan_buffer_space(srv[i]);
            if (sent[i] < PER_CHAN && space >= 8192) {
                size_t n = PER_CHAN - sent[i] < 8192 ? PER_CHAN - sent[i] : 8192;
                xfer_pattern_fill(&pat[i], buf, n);
                sum_tx[i] = xfer_sum(sum_tx[i], buf, n);
                assert_int_equal(vchan_write_nb(srv[i], buf, n), (ssize_t)n);
                sent[i] += n;
                moved = 1;
            }
            if (rcvd[i] < PER_CHAN && vchan_data_ready(cli[i]) >= 8192) {
                assert_int_equal(vchan_read_nb(cli[i], buf, 8192), 8192);
                sum_rx[i] = xfer_sum(sum_rx[i], buf, 8192);
                rcvd[i] += 8192;
                if (rcvd[i] == PER_CHAN)
                    done++;
                moved = 1;
            }
        }
        if (!moved) {
            assert_true(poll(p, 2 * NCHAN, 5000) > 0);
            for (int i = 0; i < 2 * NCHAN; i++)
                if (p[i].revents)
                    vchan_wait(i % 2 ? cli[i / 2] : srv[i / 2]);
        }
    }
    for (int i = 0; i < NCHAN; i++) {
        assert_true(sum_tx[i] == sum_rx[i]);
        vchan_close(cli[i]);
        vchan_close(srv[i]);
    }
}

/* The client process dies (SIGKILL, no clean close): the server sees the
 * channel closed, keeps what arrived, and never hangs. */
static void test_client_death(void **state)
{
    struct vchan *srv;
    char buf[64];
    pid_t pid;
    (void)state;

    vt_set_domid(0);
    srv = vchan_server_init(9, 700, 4096, 4096);
    assert_non_null(srv);
    pid = fork();
    if (pid == 0) {
        struct vchan *c;
        vt_set_domid(9);
        c = vchan_client_init(0, 700, 5000);
        if (!c || vchan_write(c, "last words", 11) < 0)
            _exit(1);
        raise(SIGKILL);
    }
    assert_int_equal(vchan_read(srv, buf, 11), 0);
    assert_string_equal(buf, "last words");
    vt_child_exit_status(pid);
    /* a blocking read for more returns instead of hanging */
    assert_int_equal(vchan_read(srv, buf, 1), -EPIPE);
    assert_int_equal(vchan_is_open(srv), VCHAN_CLOSED);
    assert_int_equal(vchan_write(srv, "x", 1), -EPIPE);
    assert_int_equal(vchan_write_nb(srv, "x", 1), -EPIPE);
    assert_int_equal(vchan_buffer_space(srv), 0);
    vchan_close(srv);
}

/* The server process dies while the client is blocked writing into a full
 * channel: the write returns -EPIPE. */
static void test_server_death(void **state)
{
    static uint8_t big[4 * 1024 * 1024];
    struct vchan *cli;
    struct pollfd p;
    pid_t pid;
    (void)state;

    pid = fork();
    if (pid == 0) {
        struct vchan *s;
        char b;
        vt_set_domid(0);
        s = vchan_server_init(11, 701, 4096, 4096);
        /* read one byte, then die without reading the rest */
        if (!s || vchan_read(s, &b, 1) < 0)
            _exit(1);
        usleep(200 * 1000);
        raise(SIGKILL);
    }
    vt_set_domid(11);
    cli = vchan_client_init(0, 701, 5000);
    assert_non_null(cli);
    assert_int_equal(vchan_write(cli, big, sizeof(big)), -EPIPE);
    vt_child_exit_status(pid);
    assert_int_equal(vchan_is_open(cli), VCHAN_CLOSED);
    assert_int_equal(vchan_read(cli, big, 1), -EPIPE);
    /* a closed channel keeps waking pollers rather than leaving them hung */
    p.fd = vchan_fd(cli);
    p.events = POLLIN;
    assert_int_equal(poll(&p, 1, 1000), 1);
    assert_int_equal(vchan_wait(cli), 0);
    vchan_close(cli);
}

/* Non-blocking use under poll: one loop pumps 8 MiB each way through one
 * channel with write_nb/read_nb, waiting only in poll(); every byte is
 * checked against its position in the stream. */
static uint8_t pos_byte(int stream, uint64_t k)
{
    return (uint8_t)(k * 131 + (k >> 9) + (uint64_t)stream * 77);
}

static void test_nonblocking_under_poll(void **state)
{
    static uint8_t buf[20000];
    struct vchan *srv, *cli, *end[2];
    uint64_t sent[2] = {0}, rcvd[2] = {0};
    const uint64_t total = 8 * 1024 * 1024;
    (void)state;

    vt_pair(0, 3, 800, &srv, &cli);
    assert_non_null(srv);
    assert_non_null(cli);
    end[0] = srv;
    end[1] = cli;
    /* a fresh channel offers at least a 64 KiB ring each way */
    assert_true(vchan_buffer_space(srv) >= 65536);
    assert_true(vchan_buffer_space(cli) >= 65536);
    assert_int_equal(vchan_data_ready(srv), 0);
    assert_int_equal(vchan_read_nb(srv, buf, sizeof(buf)), 0);
    while (rcvd[0] < total || rcvd[1] < total) {
        struct pollfd p[2] = {{.fd = vchan_fd(srv), .events = POLLIN},
                              {.fd = vchan_fd(cli), .events = POLLIN}};
        int moved = 0;

        for (int i = 0; i < 2; i++) {
            struct vchan *me = end[i], *peer = end[!i];
            /* odd sizes so writes and reads straddle the ring's end */
            size_t want = total - sent[i] < 12345 ? total - sent[i] : 12345;
            size_t space = vchan_buffer_space(me);
            ssize_t r;

            if (want && space) {
                size_t n = want < space ? want : space;
                for (size_t j = 0; j < n; j++)
                    buf[j] = pos_byte(i, sent[i] + j);
                /* buffer_space is a promise: all of it is taken */
                assert_int_equal(vchan_write_nb(me, buf, n), (ssize_t)n);
                sent[i] += n;
                moved = 1;
            }
            r = vchan_read_nb(peer, buf, 9999);
            assert_true(r >= 0);
            for (ssize_t j = 0; j < r; j++)
                assert_int_equal(buf[j], pos_byte(i, rcvd[i] + (uint64_t)j));
            if (r > 0) {
                rcvd[i] += (uint64_t)r;
                moved = 1;
            }
        }
        if (!moved) {
            assert_true(poll(p, 2, 5000) > 0);
            if (p[0].revents)
                assert_int_equal(vchan_wait(srv), 0);
            if (p[1].revents)
                assert_int_equal(vchan_wait(cli), 0);
        }
    }
    assert_true(rcvd[0] == total && rcvd[1] == total);
    vchan_close(srv);
    vchan_close(cli);
}

/* The client starts first and waits; the server appears 300 ms later. */
static void test_server_not_yet_there(void **state)
{
    struct vchan *cli;
    char buf[8];
    pid_t pid;
    (void)state;

    /* no server at all: the wait ends with ETIMEDOUT, on time */
    vt_set_domid(2);
    errno = 0;
    assert_null(vchan_client_init(0, 900, 100));
    assert_int_equal(errno, ETIMEDOUT);

    pid = fork();
    if (pid == 0) {
        struct vchan *s;
        usleep(300 * 1000);
        vt_set_domid(0);
        s = vchan_server_init(2, 901, 4096, 4096);
        /* written before the client is connected: queued, not lost */
        if (!s || vchan_write_nb(s, "early", 6) != 6)
            _exit(1);
        while (vchan_is_open(s) == VCHAN_WAITING) {
            struct pollfd p = {.fd = vchan_fd(s), .events = POLLIN};
            poll(&p, 1, -1);
            vchan_wait(s);
        }
        vchan_close(s); /* lingers until the client took the bytes */
        _exit(0);
    }
    vt_set_domid(2);
    cli = vchan_client_init(0, 901, 10000);
    assert_non_null(cli);
    assert_int_equal(vchan_read(cli, buf, 6), 0);
    assert_string_equal(buf, "early");
    assert_int_equal(vt_child_exit_status(pid), 0);
    assert_int_equal(vchan_read(cli, buf, 1), -EPIPE);
    vchan_close(cli);
}

/* A blocking write issued before the client arrives returns once the bytes
 * are handed over, and they arrive even if the writer exits without
 * closing. */
static void test_blocking_write_before_client(void **state)
{
    struct vchan *cli;
    char buf[16];
    pid_t pid;
    (void)state;

    pid = fork();
    if (pid == 0) {
        struct vchan *s;
        vt_set_domid(0);
        s = vchan_server_init(8, 960, 4096, 4096);
        /* returns at once, as into a Xen ring: no client is there yet */
        if (!s || vchan_write(s, "header-16-bytes", 16) < 0)
            _exit(1);
        /* delivered once the client connects; stay until it is done */
        while (vchan_is_open(s) != VCHAN_CLOSED && vchan_wait(s) >= 0)
            ;
        vchan_close(s);
        _exit(0);
    }
    usleep(100 * 1000);
    vt_set_domid(8);
    cli = vchan_client_init(0, 960, 5000);
    assert_non_null(cli);
    assert_int_equal(vchan_read(cli, buf, 16), 0);
    assert_string_equal(buf, "header-16-bytes");
    vchan_close(cli);
    assert_int_equal(vt_child_exit_status(pid), 0);
}

/* A socket file left by a dead server: the client waits instead of failing,
 * and a new server replaces the file. */
static void test_stale_socket_file(void **state)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct vchan *srv, *cli;
    int fd;
    char b[3];
    (void)state;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/vchan.0.5.950.sock", vt_test_dir);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
    vt_set_domid(5);
    errno = 0;
    assert_null(vchan_client_init(0, 950, 50));
    assert_int_equal(errno, ETIMEDOUT);
    vt_pair(0, 5, 950, &srv, &cli);
    assert_non_null(srv);
    assert_non_null(cli);
    assert_int_equal(vchan_write(cli, "ok", 3), 0);
    assert_int_equal(vchan_read(srv, b, 3), 0);
    assert_string_equal(b, "ok");
    vchan_close(srv);
    vchan_close(cli);
}

/* Bad arguments and a bad $VCHAN_DOMAIN fail with a clear errno. */
static void test_bad_arguments(void **state)
{
    (void)state;
    errno = 0;
    assert_null(vchan_server_init(-1, 1, 0, 0));
    assert_int_equal(errno, EINVAL);
    setenv("VCHAN_DOMAIN", "12abc", 1);
    errno = 0;
    assert_null(vchan_server_init(1, 1, 0, 0));
    assert_int_equal(errno, EINVAL);
    vt_set_domid(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pair_both_directions, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(test_one_gib_checksum, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(test_many_channels, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(test_client_death, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(test_server_death, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(test_nonblocking_under_poll, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(test_server_not_yet_there, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(test_blocking_write_before_client, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(test_stale_socket_file, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, vt_setup, vt_teardown),
    };
    return cmocka_run_group_tests_name("vchan_socket", tests, NULL, NULL);
}
