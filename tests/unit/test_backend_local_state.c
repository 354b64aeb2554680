/* The local backend's state files (dom0/backend/local_state.c): what lets a
 * fresh process find the running qubes, and never mistake a reused pid for
 * one of them. */
#include "dom0/backend/local_int.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/bulkhead-lstate.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct lstate me(void)
{
    struct lstate st;
    memset(&st, 0, sizeof(st));
    snprintf(st.name, sizeof(st.name), "work");
    st.pid = getpid();
    assert_int_equal(lstate_proc_start(st.pid, &st.start), 0);
    snprintf(st.cgroup, sizeof(st.cgroup), "%s/no-such-cgroup", dir);
    snprintf(st.disks[0], sizeof(st.disks[0]), "/var/lib/qubes/work private.img");
    st.ndisks = 1;
    return st;
}

static void test_roundtrip(void **state)
{
    (void)state;
    struct lstate st = me(), back;
    assert_int_equal(lstate_write(dir, 3, &st), 0);
    assert_int_equal(lstate_read(dir, 3, &back), 0);
    assert_string_equal(back.name, "work");
    assert_int_equal(back.pid, st.pid);
    assert_true(back.start == st.start);
    assert_string_equal(back.cgroup, st.cgroup);
    assert_int_equal(back.ndisks, 1);
    assert_string_equal(back.disks[0], "/var/lib/qubes/work private.img");
    assert_int_equal(lstate_read(dir, 4, &back), -ENOENT);
}

static void test_alive_needs_same_start(void **state)
{
    (void)state;
    struct lstate st = me();
    assert_true(lstate_alive(&st));
    st.start++; /* the same pid, another process: a reused pid */
    assert_false(lstate_alive(&st));
    st = me();
    st.pid = 0;
    assert_false(lstate_alive(&st));
}

static void test_remove_only_own(void **state)
{
    (void)state;
    struct lstate st = me(), other = me();
    char path[128];
    other.start++;
    assert_int_equal(lstate_write(dir, 5, &st), 0);
    snprintf(path, sizeof(path), "%s/5.gate", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    /* a stale view (another start time) must not remove a new qube's file */
    lstate_remove(dir, 5, &other);
    assert_int_equal(access(path, F_OK), 0);
    lstate_remove(dir, 5, &st);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof(path), "%s/5", dir);
    assert_int_equal(access(path, F_OK), -1);
}

static void test_scan(void **state)
{
    (void)state;
    struct lstate st = me();
    static const char *const junk[] = {"guest-work.log", ".lock", "7.gate", "0", "08", "12x"};
    char path[128];
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, junk[i]);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fclose(f);
    }
    assert_int_equal(lstate_write(dir, 12, &st), 0);
    assert_int_equal(lstate_write(dir, 2, &st), 0);
    assert_int_equal(lstate_write(dir, 7, &st), 0);
    int ids[8];
    assert_int_equal(lstate_scan(dir, ids, 8), 3);
    assert_int_equal(ids[0], 2);
    assert_int_equal(ids[1], 7);
    assert_int_equal(ids[2], 12);
    assert_int_equal(lstate_scan("/nonexistent-bulkhead-dir", ids, 8), 0);
}

static void test_proc_start_odd_names(void **state)
{
    (void)state;
    /* The start time is counted from the last ')': a command name with
     * spaces and parentheses (any process may pick one) cannot shift it. */
    unsigned long long before, after;
    char old[17] = "";
    prctl(PR_GET_NAME, old);
    assert_int_equal(lstate_proc_start(getpid(), &before), 0);
    assert_int_equal(prctl(PR_SET_NAME, "x) 1 2 3 ( 4 5"), 0);
    assert_int_equal(lstate_proc_start(getpid(), &after), 0);
    prctl(PR_SET_NAME, old);
    assert_true(before == after && before > 0);
    assert_true(lstate_proc_start(0x7ffffff0, &after) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alive_needs_same_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_only_own, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proc_start_odd_names, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
