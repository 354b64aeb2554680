/* qvmd-bench: the Admin API round trip next to its physical limit.
 *
 *   qvmd-bench SOCKET QUBE N
 *
 * Times N admin.vm.property.Get+memory calls to QUBE, each a whole call
 * as a client makes it (connect, header, half-close, read to EOF), and N
 * of the same exchange with a trivial server in this process that answers
 * a fixed reply at once: the cost of the Unix socket round trip alone,
 * which no Admin API server can beat. Prints both medians in
 * microseconds. */
#include "lib/io.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One call; returns its time in microseconds, or -1. */
static double call(const char *sock, const char *req, size_t len)
{
    char buf[4096];
    double t0 = now_us();
    int fd = io_unix_connect(sock);
    ssize_t r;

    if (fd < 0)
        return -1;
    if (io_write_full(fd, req, len) < 0)
        return close(fd), -1;
    shutdown(fd, SHUT_WR);
    while ((r = read(fd, buf, sizeof(buf))) > 0)
        ;
    close(fd);
    if (buf[0] != 0x30)
        return -1;
    return now_us() - t0;
}

static double median(const char *sock, const char *req, size_t len, int n)
{
    double *t = calloc((size_t)n, sizeof(double)), m;

    for (int i = 0; i < n; i++)
        if ((t[i] = call(sock, req, len)) < 0) {
            fprintf(stderr, "qvmd-bench: call %d failed\n", i);
            exit(1);
        }
    qsort(t, (size_t)n, sizeof(double), cmp);
    m = t[n / 2];
    free(t);
    return m;
}

/* The limit: a server that reads to EOF and answers a fixed reply. */
static pid_t echo_server(const char *path)
{
    static const char reply[] = "\x30\0default=True type=int 400";
    int lfd = io_unix_listen(path, 64);
    pid_t pid;

    if (lfd < 0)
        exit(1);
    pid = fork();
    if (pid == 0) {
        for (;;) {
            char buf[4096];
            int c = accept(lfd, NULL, NULL);
            if (c < 0)
                continue;
            while (read(c, buf, sizeof(buf)) > 0)
                ;
            io_write_full(c, reply, sizeof(reply) - 1);
            close(c);
        }
    }
    close(lfd);
    return pid;
}

int main(int argc, char **argv)
{
    char req[256], path[64];
    size_t len;
    int n;
    double q, raw;
    pid_t pid;

    if (argc != 4)
        return 2;
    n = atoi(argv[3]);
    len = (size_t)snprintf(req, sizeof(req), "admin.vm.property.Get+memory dom0 name %s", argv[2]) +
          1;
    snprintf(path, sizeof(path), "/tmp/qvmd-bench-%d.sock", (int)getpid());
    pid = echo_server(path);
    median(argv[1], req, len, n / 10 + 1); /* warm up */
    q = median(argv[1], req, len, n);
    raw = median(path, req, len, n);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    unlink(path);
    printf("%-44s %10.1f us\n", "property-get round trip, median (qvmd)", q);
    printf("%-44s %10.1f us\n", "raw Unix-socket round trip, median (limit)", raw);
    printf("%-44s %10.1f us\n", "qvmd's own share", q - raw);
    return 0;
}
