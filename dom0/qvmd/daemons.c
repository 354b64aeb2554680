/* Per-qube daemons: spawn, wait for readiness, stop. */
#include "dom0/qvmd/daemons.h"

#include "lib/io.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

pid_t daemon_spawn(const char *const *argv, const char *const *extra, char *err, size_t errsz)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    size_t n = 0, k = 0;
    char **env;
    pid_t pid;
    int r;

    while (environ[n])
        n++;
    while (extra && extra[k])
        k++;
    env = calloc(n + k + 1, sizeof(*env));
    if (!env) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    /* extra settings replace inherited ones of the same name */
    n = 0;
    for (char **e = environ; *e; e++) {
        bool replaced = false;
        for (size_t i = 0; i < k; i++) {
            const char *eq = strchr(extra[i], '=');
            size_t len = eq ? (size_t)(eq - extra[i]) + 1 : strlen(extra[i]);
            if (!strncmp(*e, extra[i], len))
                replaced = true;
        }
        if (!replaced)
            env[n++] = *e;
    }
    for (size_t i = 0; i < k; i++)
        env[n++] = (char *)extra[i];
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawnattr_init(&at);
    /* own session: a terminal's signals or qvmd's end do not reach it */
    posix_spawnattr_setflags(&at,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    {
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_setsigmask(&at, &none);
        posix_spawnattr_setsigdefault(&at, &all);
    }
    r = posix_spawn(&pid, argv[0], &fa, &at, (char *const *)argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    free(env);
    if (r) {
        snprintf(err, errsz, "cannot run %s: %s", argv[0], strerror(r));
        return -1;
    }
    return pid;
}

static bool ended(pid_t pid)
{
    int st;
    pid_t r = waitpid(pid, &st, WNOHANG);

    if (r == pid)
        return true;
    if (r < 0 && errno == ECHILD) /* not ours (started by an earlier qvmd) */
        return kill(pid, 0) < 0 && errno == ESRCH;
    return false;
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int daemon_wait_socket(pid_t pid, const char *what, const char *path, bool probe, int timeout_ms,
                       const volatile int *abort, char *err, size_t errsz)
{
    long long end = now_ms() + timeout_ms;
    useconds_t pause = 1000; /* a daemon is usually up in a few ms: look often, then less */

    for (;;) {
        struct stat st;
        if (!stat(path, &st) && S_ISSOCK(st.st_mode)) {
            int fd;
            if (!probe)
                return 0;
            fd = io_unix_connect(path);
            if (fd >= 0) {
                close(fd);
                return 0;
            }
        }
        if (ended(pid)) {
            snprintf(err, errsz, "%s ended before it was ready (see the journal)", what);
            return -1;
        }
        if (abort && *abort) {
            snprintf(err, errsz, "the domain ended while waiting for %s", what);
            return -1;
        }
        if (now_ms() >= end) {
            snprintf(err, errsz, "%s not ready within %d s", what, timeout_ms / 1000);
            return -1;
        }
        usleep(pause);
        if (pause < 20000)
            pause *= 2;
    }
}

void daemon_stop(pid_t pid)
{
    if (pid <= 0 || ended(pid))
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (ended(pid))
            return;
        usleep(20000);
    }
    kill(pid, SIGKILL);
    for (int i = 0; i < 250 && !ended(pid); i++)
        usleep(20000);
}

bool daemon_alive(pid_t pid, const char *prog)
{
    char path[64], cmd[4096];
    const char *base = strrchr(prog, '/'), *abase;
    ssize_t n;
    int fd;

    if (pid <= 0 || ended(pid))
        return false;
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    n = read(fd, cmd, sizeof(cmd) - 1);
    close(fd);
    if (n <= 0)
        return false;
    cmd[n] = 0;
    base = base ? base + 1 : prog;
    abase = strrchr(cmd, '/');
    abase = abase ? abase + 1 : cmd;
    return !strcmp(base, abase);
}
