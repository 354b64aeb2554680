/* lib/ basics: ring, bounded buffer, full I/O helpers, logging. */
#include "lib/buf.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/ring.h"
#include "lib/text.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static void test_ring_wraps_and_keeps_order(void **state)
{
    struct ring r;
    uint8_t in[1000], out[1000];
    uint64_t wpos = 0, rpos = 0;
    (void)state;

    assert_int_equal(ring_init(&r, 3000), 0);
    assert_int_equal(r.cap, 4096); /* rounded up to a power of two */
    for (int round = 0; round < 200; round++) {
        size_t n = (size_t)(round * 37 % 1000) + 1;
        for (size_t i = 0; i < n; i++)
            in[i] = (uint8_t)(wpos + i);
        size_t put = ring_put(&r, in, n);
        assert_true(put <= n);
        wpos += put;
        assert_int_equal(ring_used(&r) + ring_free(&r), r.cap);
        size_t got = ring_get(&r, out, (size_t)(round * 53 % 1000) + 1);
        for (size_t i = 0; i < got; i++)
            assert_int_equal(out[i], (uint8_t)(rpos + i));
        rpos += got;
    }
    /* fill completely: exactly cap bytes fit, no more */
    ring_get(&r, out, sizeof(out));
    while (ring_used(&r))
        ring_get(&r, out, sizeof(out));
    memset(in, 0xab, sizeof(in));
    size_t total = 0;
    for (int i = 0; i < 10; i++)
        total += ring_put(&r, in, sizeof(in));
    assert_int_equal(total, 4096);
    assert_int_equal(ring_free(&r), 0);
    ring_fini(&r);
}

static void test_ring_iovecs_cover_exactly(void **state)
{
    struct ring r;
    struct iovec iov[2];
    uint8_t tmp[100];
    (void)state;

    assert_int_equal(ring_init(&r, 256), 0);
    memset(tmp, 1, sizeof(tmp));
    assert_int_equal(ring_put(&r, tmp, 100), 100);
    assert_int_equal(ring_put(&r, tmp, 100), 100);
    assert_int_equal(ring_get(&r, tmp, 100), 100);
    /* used: [100,200); free wraps: [200,256) + [0,100) */
    assert_int_equal(ring_free_iov(&r, iov), 2);
    assert_int_equal(iov[0].iov_len, 56);
    assert_int_equal(iov[1].iov_len, 100);
    assert_int_equal(ring_used_iov(&r, iov), 1);
    assert_int_equal(iov[0].iov_len, 100);
    ring_consumed(&r, 100);
    /* empty again: restarts at 0, so one span */
    assert_int_equal(ring_free_iov(&r, iov), 1);
    assert_int_equal(iov[0].iov_len, 256);
    ring_fini(&r);
}

static void test_buf_is_bounded(void **state)
{
    struct buf b;
    uint8_t chunk[100];
    (void)state;

    memset(chunk, 7, sizeof(chunk));
    buf_init(&b, 1000);
    for (int i = 0; i < 10; i++)
        assert_int_equal(buf_append(&b, chunk, 100), 0);
    assert_int_equal(b.len, 1000);
    assert_true(b.cap <= 1000);
    assert_int_equal(buf_append(&b, chunk, 1), -EMSGSIZE);
    assert_null(buf_reserve(&b, SIZE_MAX));
    assert_int_equal(errno, EMSGSIZE);
    buf_consume(&b, 950);
    assert_int_equal(b.len, 50);
    assert_int_equal(b.data[0], 7);
    assert_int_equal(buf_append(&b, chunk, 100), 0);
    buf_consume(&b, 10000);
    assert_int_equal(b.len, 0);
    buf_fini(&b);
    buf_fini(&b); /* fini twice is harmless */
}

static void test_io_full_read_write(void **state)
{
    int sv[2];
    static uint8_t big[1 << 20], back[1 << 20];
    pid_t pid;
    (void)state;

    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 7);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pid = fork();
    if (pid == 0) {
        close(sv[0]);
        /* dribble it out in odd pieces */
        for (size_t off = 0; off < sizeof(big); off += 777) {
            size_t n = sizeof(big) - off < 777 ? sizeof(big) - off : 777;
            if (io_write_full(sv[1], big + off, n))
                _exit(1);
        }
        _exit(0);
    }
    close(sv[1]);
    assert_int_equal(io_read_full(sv[0], back, sizeof(back)), 0);
    assert_memory_equal(big, back, sizeof(big));
    /* EOF before the count is reached is an error, not a short success */
    assert_int_equal(io_read_full(sv[0], back, 1), -EPIPE);
    close(sv[0]);
    waitpid(pid, NULL, 0);
}

static void test_io_write_to_closed_reader_no_sigpipe(void **state)
{
    int sv[2];
    (void)state;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[1]);
    /* would kill the process with SIGPIPE if send() lacked MSG_NOSIGNAL */
    assert_int_equal(io_write_full(sv[0], "x", 1), -EPIPE);
    close(sv[0]);
}

static void test_log_printable_escapes(void **state)
{
    char out[64];
    const char evil[] = "name\n[dom0] forged\x1b[31m\\";
    (void)state;

    log_printable(out, sizeof(out), evil, sizeof(evil) - 1);
    assert_string_equal(out, "name\\x0a[dom0] forged\\x1b[31m\\\\");
    assert_null(strchr(out, '\n'));
    /* cut to fit, marked with ... */
    log_printable(out, 12, "abcdefghijklmnopqrstuvwxyz", 26);
    assert_string_equal(out, "abcdefgh...");
    assert_true(strlen(out) < 12);
    /* embedded NULs are shown, not taken as the end */
    log_printable(out, sizeof(out), "a\0b", 3);
    assert_string_equal(out, "a\\x00b");
    /* tiny buffers stay terminated */
    log_printable(out, 1, "abc", 3);
    assert_string_equal(out, "");
}

static void test_log_line_is_one_line(void **state)
{
    char line[128];
    size_t n;
    (void)state;

    n = log_format_line(line, sizeof(line), "qrexec-daemon", "VM said: hi\nthere\r");
    assert_string_equal(line, "qrexec-daemon: VM said: hi\\x0athere\\x0d\n");
    assert_int_equal(n, strlen(line));
    assert_int_equal(LOG_UNTRUSTED("a\tb", 3)[1], '\\');
}

static void test_log_writes_to_stderr_with_journal_prefix(void **state)
{
    int p[2], saved;
    char got[256] = {0};
    char js[64];
    struct stat st;
    (void)state;

    assert_int_equal(pipe(p), 0);
    saved = dup(STDERR_FILENO);
    dup2(p[1], STDERR_FILENO);
    fstat(STDERR_FILENO, &st);
    snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", js, 1);
    log_init("/usr/sbin/testd");
    log_warnx("bad message from %s", LOG_UNTRUSTED("vm\x01", 3));
    errno = ENOENT;
    log_warn("open");
    log_debug("hidden at the default level");
    unsetenv("JOURNAL_STREAM");
    log_init("testd");
    log_info("plain");
    dup2(saved, STDERR_FILENO);
    close(p[1]);
    assert_true(read(p[0], got, sizeof(got) - 1) > 0);
    close(p[0]);
    assert_string_equal(got, "<4>testd: bad message from vm\\x01\n"
                             "<4>testd: open: No such file or directory\n"
                             "testd: plain\n");
}

static void test_text_lines(void **state)
{
    const char text[] = "one\n\nthree\nlong-line-here\nx\0y\nlast";
    size_t pos = 0;
    char b[8];
    (void)state;

    assert_int_equal(text_next_line(text, sizeof(text) - 1, &pos, b, sizeof(b)), 1);
    assert_string_equal(b, "one");
    assert_int_equal(text_next_line(text, sizeof(text) - 1, &pos, b, sizeof(b)), 1);
    assert_string_equal(b, "");
    assert_int_equal(text_next_line(text, sizeof(text) - 1, &pos, b, sizeof(b)), 1);
    assert_string_equal(b, "three");
    /* too long for the buffer, then a NUL inside: errors, and reading goes on */
    assert_int_equal(text_next_line(text, sizeof(text) - 1, &pos, b, sizeof(b)), -EINVAL);
    assert_int_equal(text_next_line(text, sizeof(text) - 1, &pos, b, sizeof(b)), -EINVAL);
    assert_int_equal(text_next_line(text, sizeof(text) - 1, &pos, b, sizeof(b)), 1);
    assert_string_equal(b, "last"); /* no final newline needed */
    assert_int_equal(text_next_line(text, sizeof(text) - 1, &pos, b, sizeof(b)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_wraps_and_keeps_order),
        cmocka_unit_test(test_ring_iovecs_cover_exactly),
        cmocka_unit_test(test_buf_is_bounded),
        cmocka_unit_test(test_io_full_read_write),
        cmocka_unit_test(test_io_write_to_closed_reader_no_sigpipe),
        cmocka_unit_test(test_log_printable_escapes),
        cmocka_unit_test(test_log_line_is_one_line),
        cmocka_unit_test(test_log_writes_to_stderr_with_journal_prefix),
        cmocka_unit_test(test_text_lines),
    };
    return cmocka_run_group_tests_name("lib_basics", tests, NULL, NULL);
}
