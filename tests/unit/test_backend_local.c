/* The local backend through its C API, from several threads at once as qvmd
 * uses it (create from a start worker while another thread lists, pauses
 * or destroys). Needs root (namespaces); skipped otherwise. */
#include "dom0/backend/backend.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define THREADS    4
#define PER_THREAD 3
#define QUBES      (THREADS * PER_THREAD)

static char dir[64], state_dir[96], vchan_dir[96], init[96];
static struct backend *b;

static int setup(void **st)
{
    (void)st;
    char err[256];
    snprintf(dir, sizeof(dir), "/tmp/bulkhead-be-local.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(state_dir, sizeof(state_dir), "%s/state", dir);
    snprintf(vchan_dir, sizeof(vchan_dir), "%s/vchan", dir);
    snprintf(init, sizeof(init), "%s/init", dir);
    FILE *f = fopen(init, "w");
    if (!f)
        return -1;
    /* PID 1 that just waits: it has a TERM handler, so shutdown ends it */
    fprintf(f,
            "#!/bin/sh\ntrap 'exit 0' TERM\ntouch %s/ready.$BULKHEAD_QUBE_NAME\n"
            "while :; do sleep 1 & wait $!; done\n",
            dir);
    fclose(f);
    chmod(init, 0755);
    struct be_opts o = {.state_dir = state_dir, .vchan_dir = vchan_dir, .local_init = init};
    b = backend_open("local", &o, err, sizeof(err));
    if (!b)
        fprintf(stderr, "backend_open: %s\n", err);
    return b ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[128];
    backend_close(b);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

struct job {
    int first;
    int domids[PER_THREAD];
    int rc;
};

static void *creator(void *arg)
{
    struct job *j = arg;
    char err[256];
    for (int i = 0; i < PER_THREAD; i++) {
        struct be_spec s;
        memset(&s, 0, sizeof(s));
        snprintf(s.name, sizeof(s.name), "q%d", j->first + i);
        if (backend_create_paused(b, &s, &j->domids[i], err, sizeof(err)) < 0 ||
            backend_unpause(b, j->domids[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "q%d: %s\n", j->first + i, err);
            j->rc = -1;
        }
    }
    return NULL;
}

static void *destroyer(void *arg)
{
    struct job *j = arg;
    char err[256];
    for (int i = 0; i < PER_THREAD; i++)
        if (j->domids[i] > 0 && backend_destroy(b, j->domids[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "destroy %d: %s\n", j->domids[i], err);
            j->rc = -1;
        }
    return NULL;
}

static void *lister(void *arg)
{
    volatile int *stop = arg;
    struct be_dom d[QUBES + 4];
    char err[256];
    while (!*stop)
        if (backend_list(b, d, QUBES + 4, err, sizeof(err)) < 0)
            return (void *)1;
    return NULL;
}

static bool readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

static int wait_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, -1);
}

static void test_threads(void **st)
{
    (void)st;
    pthread_t t[THREADS], l;
    struct job jobs[THREADS];
    volatile int stop = 0;
    char err[256];

    pthread_create(&l, NULL, lister, (void *)&stop);
    for (int i = 0; i < THREADS; i++) {
        memset(&jobs[i], 0, sizeof(jobs[i]));
        jobs[i].first = i * PER_THREAD;
        pthread_create(&t[i], NULL, creator, &jobs[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(jobs[i].rc, 0);
    }
    /* every qube got its own domid, and together they are 1..QUBES */
    bool seen[QUBES + 1] = {0};
    for (int i = 0; i < THREADS; i++)
        for (int k = 0; k < PER_THREAD; k++) {
            int d = jobs[i].domids[k];
            assert_true(d >= 1 && d <= QUBES);
            assert_false(seen[d]);
            seen[d] = true;
        }
    struct be_dom d[QUBES + 4];
    assert_int_equal(backend_list(b, d, QUBES + 4, err, sizeof(err)), QUBES);
    for (int i = 0; i < QUBES; i++)
        assert_int_equal(d[i].state, BE_RUNNING);
    assert_false(readable(backend_event_fd(b)));

    /* a shutdown is reported through the event fd */
    int victim = jobs[0].domids[0], gone[4];
    char ready[128];
    snprintf(ready, sizeof(ready), "%s/ready.q0", dir); /* its TERM handler is set */
    while (access(ready, F_OK) < 0)
        usleep(10000);
    assert_int_equal(backend_shutdown(b, victim, err, sizeof(err)), 0);
    assert_int_equal(wait_readable(backend_event_fd(b)), 1);
    assert_int_equal(backend_reap(b, gone, 4), 1);
    assert_int_equal(gone[0], victim);
    jobs[0].domids[0] = 0;

    /* destroyed from several threads; destroy is not reported by reap */
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, destroyer, &jobs[i]);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(jobs[i].rc, 0);
    }
    stop = 1;
    void *lrc;
    pthread_join(l, &lrc);
    assert_null(lrc);
    assert_int_equal(backend_list(b, d, QUBES + 4, err, sizeof(err)), 0);
    assert_int_equal(backend_reap(b, gone, 4), 0);
    assert_int_equal(backend_destroy(b, victim, err, sizeof(err)), -1);
}

int main(void)
{
    if (geteuid() != 0) {
        printf("1..0 # SKIP the local backend needs root\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
