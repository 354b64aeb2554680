/* Helpers for tests that need socket-vchan pairs in one process or across
 * a fork. */
#ifndef BULKHEAD_TESTS_VCHAN_TEST_UTIL_H
#define BULKHEAD_TESTS_VCHAN_TEST_UTIL_H

#include "lib/vchan.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* A private socket directory per test process. */
static inline void vt_use_private_dir(char *dir, size_t dirsz)
{
    snprintf(dir, dirsz, "/tmp/bulkhead-vchan-test.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    setenv("VCHAN_SOCKET_DIR", dir, 1);
    setenv("BULKHEAD_VCHAN", "socket", 1);
}

static inline void vt_set_domid(int d)
{
    char s[16];

    snprintf(s, sizeof(s), "%d", d);
    setenv("VCHAN_DOMAIN", s, 1);
}

/* Per-test fixture: a private socket directory (in dir) and a watchdog
 * alarm, so a hang fails the test instead of stalling the suite. */
static inline int vt_fixture_setup(char *dir, size_t dirsz, unsigned alarm_s)
{
    vt_use_private_dir(dir, dirsz);
    vt_set_domid(0);
    alarm(alarm_s);
    return 0;
}

static inline int vt_fixture_teardown(const char *dir)
{
    char cmd[128];

    alarm(0);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Both ends of one channel in this process: server in domain a, client in
 * domain b. */
static inline void vt_pair(int a, int b, int port, struct vchan **srv, struct vchan **cli)
{
    vt_set_domid(a);
    *srv = vchan_server_init(b, port, 65536, 65536);
    vt_set_domid(b);
    *cli = *srv ? vchan_client_init(a, port, 2000) : NULL;
    vt_set_domid(a);
}

/* cmocka fixtures over one private directory per test program, and the
 * exit status of a forked child (128 + signal when it was killed). */
static char vt_test_dir[64];

static inline int vt_setup(void **state)
{
    (void)state;
    return vt_fixture_setup(vt_test_dir, sizeof(vt_test_dir), 60);
}

static inline int vt_teardown(void **state)
{
    (void)state;
    return vt_fixture_teardown(vt_test_dir);
}

static inline int vt_child_exit_status(pid_t pid)
{
    int st;

    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#endif
