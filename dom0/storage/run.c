/* Running a storage command (lvm) with an argv through posix_spawn: no
 * shell ever parses a name, and the output is read whole. */
#include "dom0/storage/driver.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The caller's environment with LC_ALL=C (lvm's numbers use '.' then) and
 * without lvm's warnings about inherited descriptors. */
static char **command_env(void)
{
    size_t n = 0, k = 0;
    char **env;

    while (environ[n])
        n++;
    env = calloc(n + 3, sizeof(*env));
    if (!env)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "LC_ALL=", 7) && strncmp(environ[i], "LANG=", 5))
            env[k++] = environ[i];
    env[k++] = (char *)"LC_ALL=C";
    env[k++] = (char *)"LVM_SUPPRESS_FD_WARNINGS=1";
    env[k] = NULL;
    return env;
}

int stor_run(const char *const *argv, char *out, size_t outsz, char *err, size_t errsz)
{
    int po[2] = {-1, -1}, pe[2] = {-1, -1}, r, status;
    size_t olen = 0, elen = 0;
    char ebuf[4096];
    posix_spawn_file_actions_t fa;
    char **env = command_env();
    pid_t pid;

    if (outsz)
        out[0] = 0;
    if (errsz)
        err[0] = 0;
    if (!env)
        return -ENOMEM;
    if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
        r = -errno;
        goto out;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    r = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, env);
    posix_spawn_file_actions_destroy(&fa);
    close(po[1]);
    close(pe[1]);
    po[1] = pe[1] = -1;
    if (r) {
        r = -r;
        goto out;
    }
    /* both pipes until both end: a full stderr pipe must not stall it */
    for (int open_fds = 2; open_fds > 0;) {
        struct pollfd p[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            char tmp[4096];
            ssize_t got;
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)) || p[i].fd < 0)
                continue;
            got = read(p[i].fd, tmp, sizeof(tmp));
            if (got <= 0) {
                if (got < 0 && errno == EINTR)
                    continue;
                close(i ? pe[0] : po[0]);
                if (i)
                    pe[0] = -1;
                else
                    po[0] = -1;
                open_fds--;
                continue;
            }
            if (i == 0 && outsz) {
                size_t c = (size_t)got < outsz - 1 - olen ? (size_t)got : outsz - 1 - olen;
                memcpy(out + olen, tmp, c);
                olen += c;
                out[olen] = 0;
            } else if (i == 1) {
                /* keep the tail: the last line says what went wrong */
                if (elen + (size_t)got > sizeof(ebuf) - 1) {
                    size_t drop = elen + (size_t)got - (sizeof(ebuf) - 1);
                    drop = drop > elen ? elen : drop;
                    memmove(ebuf, ebuf + drop, elen - drop);
                    elen -= drop;
                }
                size_t c =
                    (size_t)got < sizeof(ebuf) - 1 - elen ? (size_t)got : sizeof(ebuf) - 1 - elen;
                memcpy(ebuf + elen, tmp, c);
                elen += c;
            }
        }
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            r = -errno;
            goto out;
        }
    r = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
    if (errsz) {
        ebuf[elen] = 0;
        while (elen && (ebuf[elen - 1] == '\n' || ebuf[elen - 1] == ' '))
            ebuf[--elen] = 0;
        char *last = strrchr(ebuf, '\n');
        last = last ? last + 1 : ebuf;
        while (*last == ' ')
            last++;
        snprintf(err, errsz, "%s", last);
        for (char *q = err; *q; q++)
            if ((unsigned char)*q < ' ' || (unsigned char)*q > '~')
                *q = '?';
    }
out:
    for (int i = 0; i < 2; i++) {
        if (po[i] >= 0)
            close(po[i]);
        if (pe[i] >= 0)
            close(pe[i]);
    }
    free(env);
    return r;
}
