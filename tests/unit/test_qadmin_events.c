/* The lifecycle commands' client pieces: the admin.Events reader
 * (dom0/tools/lib/events.c) against a scripted server on a real Unix
 * socket (frames split across reads, several in one read, a refusal, a
 * malformed frame, the end of the stream), and the shell quoting qvm-run
 * sends (cli_shell_join), checked by running the result through sh. */
#include "dom0/tools/lib/admin_call.h"
#include "dom0/tools/lib/cli.h"
#include "dom0/tools/lib/events.h"
#include "lib/io.h"

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

static char dir[] = "/tmp/bulkhead-events-test.XXXXXX";
static char sock[128];

/* One piece the server writes; a NULL p ends the script with a close, a
 * negative len keeps the connection open until the test ends the server. */
struct piece {
    const char *p;
    long len;
};
#define P(lit)                                                                                     \
    {                                                                                              \
        (lit), sizeof(lit) - 1                                                                     \
    }

/* Serves one connection in a child: checks the request header, then
 * writes the pieces one by one (each its own write, so the reader sees
 * frames cut anywhere). */
static pid_t serve(const struct piece *script)
{
    int lfd, fd;
    pid_t pid;

    unlink(sock);
    lfd = io_unix_listen(sock, 1);
    assert_true(lfd >= 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid > 0) {
        close(lfd);
        return pid;
    }
    fd = accept(lfd, NULL, NULL);
    char req[256];
    size_t got = 0;
    ssize_t r;
    while ((r = read(fd, req + got, sizeof(req) - got)) > 0)
        got += (size_t)r;
    if (got != sizeof("admin.Events+ dom0 name dom0") ||
        memcmp(req, "admin.Events+ dom0 name dom0", got) != 0)
        _exit(3);
    for (; script->p; script++) {
        if (script->len < 0)
            for (;;)
                pause();
        if (io_write_full(fd, script->p, (size_t)script->len) < 0)
            _exit(4);
        usleep(2000); /* let the reader take this piece alone */
    }
    _exit(0);
}

static void served(pid_t pid)
{
    int st;

    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    snprintf(sock, sizeof(sock), "%s/qvmd.sock", dir);
    setenv(QADMIN_SOCKET_ENV, sock, 1);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(sock);
    rmdir(dir);
    return 0;
}

static void test_stream(void **state)
{
    static const struct piece script[] = {P("1\0\0connec"),
                                          P("tion-established\0\0"),
                                          /* two events in one piece */
                                          P("1\0work\0domain-pre-start\0\0"
                                            "1\0work\0domain-start\0start_guid\0True\0\0"),
                                          /* one cut in three */
                                          P("1\0wo"),
                                          P("rk\0domain-shutdown\0reason"),
                                          P("\0x\0\0"),
                                          {NULL, 0}};
    struct qadmin_events ev;
    struct qadmin_event e;
    char msg[256];
    pid_t pid;
    (void)state;

    pid = serve(script);
    assert_int_equal(qadmin_events_open(&ev, "dom0", msg, sizeof(msg)), 0);
    assert_int_equal(qadmin_events_next(&ev, -1, &e), 1);
    assert_true(qadmin_str_eq(e.subject, "work"));
    assert_true(qadmin_str_eq(e.name, "domain-pre-start"));
    assert_int_equal(e.nkv, 0);
    assert_int_equal(qadmin_events_next(&ev, -1, &e), 1);
    assert_true(qadmin_str_eq(e.name, "domain-start"));
    assert_int_equal(e.nkv, 1);
    assert_true(qadmin_str_eq(e.key[0], "start_guid"));
    assert_true(qadmin_str_eq(e.value[0], "True"));
    assert_int_equal(qadmin_events_next(&ev, -1, &e), 1);
    assert_true(qadmin_str_eq(e.subject, "work"));
    assert_true(qadmin_str_eq(e.name, "domain-shutdown"));
    assert_true(qadmin_str_eq(e.value[0], "x"));
    /* the server closed: the stream is over */
    assert_int_equal(qadmin_events_next(&ev, -1, &e), -ECONNRESET);
    qadmin_events_close(&ev);
    served(pid);
}

static void test_nothing_yet(void **state)
{
    static const struct piece script[] = {
        P("1\0\0connection-established\0\0"), {"", -1}, {NULL, 0}};
    struct qadmin_events ev;
    struct qadmin_event e;
    char msg[256];
    pid_t pid;
    (void)state;

    pid = serve(script);
    assert_int_equal(qadmin_events_open(&ev, "dom0", msg, sizeof(msg)), 0);
    /* no event within the time asked: 0, and the stream is still usable */
    assert_int_equal(qadmin_events_next(&ev, 10, &e), 0);
    assert_int_equal(qadmin_events_next(&ev, 0, &e), 0);
    qadmin_events_close(&ev);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

static void test_refused(void **state)
{
    static const struct piece script[] = {
        P("2\0QubesVMNotFoundError\0\0no such "), P("qube: %s\0nope\0"), {NULL, 0}};
    struct qadmin_events ev;
    char msg[256];
    pid_t pid;
    (void)state;

    pid = serve(script);
    assert_int_equal(qadmin_events_open(&ev, "dom0", msg, sizeof(msg)), -EREMOTEIO);
    assert_string_equal(msg, "no such qube: nope");
    served(pid);
}

static void test_malformed(void **state)
{
    /* an OK reply instead of a stream, then a bad frame after a good start */
    static const struct piece ok[] = {P("0\0data"), {NULL, 0}};
    static const struct piece bad[] = {
        P("1\0\0connection-established\0\0"), P("9\0x\0y\0\0"), {NULL, 0}};
    static const struct piece other_first[] = {P("1\0work\0domain-start\0\0"), {NULL, 0}};
    struct qadmin_events ev;
    struct qadmin_event e;
    char msg[256];
    pid_t pid;
    (void)state;

    pid = serve(ok);
    assert_int_equal(qadmin_events_open(&ev, "dom0", msg, sizeof(msg)), -EPROTO);
    assert_non_null(strstr(msg, "no event stream"));
    served(pid);

    pid = serve(other_first);
    assert_int_equal(qadmin_events_open(&ev, "dom0", msg, sizeof(msg)), -EPROTO);
    served(pid);

    pid = serve(bad);
    assert_int_equal(qadmin_events_open(&ev, "dom0", msg, sizeof(msg)), 0);
    assert_int_equal(qadmin_events_next(&ev, -1, &e), -EPROTO);
    qadmin_events_close(&ev);
    served(pid);
}

static void test_no_server(void **state)
{
    struct qadmin_events ev;
    char msg[256];
    (void)state;

    unlink(sock);
    assert_true(qadmin_events_open(&ev, "dom0", msg, sizeof(msg)) < 0);
    assert_non_null(strstr(msg, "cannot connect to qvmd"));
}

/* What sh makes of the joined line: its words, one per line. */
static void shell_words(const char *line, char *out, size_t outsz)
{
    char cmd[1024];
    FILE *f;
    size_t got;

    snprintf(cmd, sizeof(cmd), "HOME=/home/x; set -- %s; printf '%%s\\n' \"$@\"", line);
    char *argv_sh[] = {"sh", "-c", cmd, NULL};
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        execv("/bin/sh", argv_sh);
        _exit(127);
    }
    close(p[1]);
    f = fdopen(p[0], "r");
    got = fread(out, 1, outsz - 1, f);
    out[got] = 0;
    fclose(f);
    waitpid(pid, NULL, 0);
}

static void test_shell_join(void **state)
{
    char *one[] = {"echo $HOME; ls"};
    char *words[] = {"printf", "%s|", "a b", "$HOME", "it's", "'", "", "*"};
    char out[512], *s;
    (void)state;

    /* one word is a shell line of its own, as it is */
    s = cli_shell_join(one, 1, false, 100);
    assert_string_equal(s, "echo $HOME; ls");
    free(s);
    /* ... unless everything is quoted (--no-shell) */
    s = cli_shell_join(one, 1, true, 100);
    assert_string_equal(s, "'echo $HOME; ls'");
    free(s);
    s = cli_shell_join(words, 8, false, 1000);
    assert_string_equal(s, "'printf' '%s|' 'a b' '$HOME' 'it'\\''s' ''\\''' '' '*'");
    /* and sh sees exactly the words */
    shell_words(s, out, sizeof(out));
    assert_string_equal(out, "printf\n%s|\na b\n$HOME\nit's\n'\n\n*\n");
    free(s);
    /* the limit counts the NUL */
    s = cli_shell_join(one, 1, false, sizeof("echo $HOME; ls"));
    assert_non_null(s);
    free(s);
    assert_null(cli_shell_join(one, 1, false, sizeof("echo $HOME; ls") - 1));
    assert_null(cli_shell_join(words, 8, false, 20));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream),    cmocka_unit_test(test_nothing_yet),
        cmocka_unit_test(test_refused),   cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_no_server), cmocka_unit_test(test_shell_join),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
