/* bench-vchan: socket-vchan throughput next to its physical limits,
 * measured in the same run: memcpy, and a plain Unix stream socket moving
 * the same bytes with the same chunk sizes between two processes.
 *
 *   bench-vchan [MIB]      (default 1024 MiB per row; best of 3 runs)
 */
#include "lib/io.h"
#include "lib/vchan.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum kind { K_MEMCPY, K_UNIX, K_VCHAN };
static uint64_t total;
static uint8_t buf[1 << 20], dst[1 << 20];

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Each message is an optional 8-byte header then chunk bytes, read the way
 * a protocol daemon would: header first, then exactly its payload. */
struct shape {
    size_t chunk;
    int header;
};

static void sender_unix(int fd, struct shape sh)
{
    uint64_t left = total;

    while (left) {
        size_t n = left > sh.chunk ? sh.chunk : left;
        if (sh.header && io_write_full(fd, buf, 8))
            _exit(1);
        if (io_write_full(fd, buf, n))
            _exit(1);
        left -= n;
    }
    _exit(0);
}

static double run_unix(struct shape sh)
{
    int sv[2];
    uint64_t left = total;
    double t0;
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        exit(1);
    pid = fork();
    if (pid == 0) {
        close(sv[0]);
        sender_unix(sv[1], sh);
    }
    close(sv[1]);
    t0 = now_s();
    while (left) {
        size_t n = left > sh.chunk ? sh.chunk : left;
        if (sh.header && io_read_full(sv[0], dst, 8))
            exit(1);
        if (io_read_full(sv[0], dst, n))
            exit(1);
        left -= n;
    }
    t0 = now_s() - t0;
    close(sv[0]);
    waitpid(pid, NULL, 0);
    return t0;
}

static double run_vchan(struct shape sh, int port)
{
    struct vchan *srv, *cli;
    uint64_t left = total;
    double t0;
    pid_t pid;

    setenv("VCHAN_DOMAIN", "0", 1);
    srv = vchan_server_init(1, port, 65536, 65536);
    if (!srv)
        exit(1);
    pid = fork();
    if (pid == 0) {
        while (left) {
            size_t n = left > sh.chunk ? sh.chunk : left;
            if (sh.header && vchan_write(srv, buf, 8))
                _exit(1);
            if (vchan_write(srv, buf, n))
                _exit(1);
            left -= n;
        }
        vchan_close(srv);
        _exit(0);
    }
    setenv("VCHAN_DOMAIN", "1", 1);
    cli = vchan_client_init(0, port, 5000);
    if (!cli)
        exit(1);
    t0 = now_s();
    while (left) {
        size_t n = left > sh.chunk ? sh.chunk : left;
        if (sh.header && vchan_read(cli, dst, 8))
            exit(1);
        if (vchan_read(cli, dst, n))
            exit(1);
        left -= n;
    }
    t0 = now_s() - t0;
    vchan_close(cli);
    vchan_close(srv); /* our copy: kept until the child had its client */
    waitpid(pid, NULL, 0);
    return t0;
}

static double run_memcpy(struct shape sh)
{
    uint64_t left = total;
    double t0 = now_s();

    while (left) {
        size_t n = left > sh.chunk ? sh.chunk : left;
        memcpy(dst, buf, n);
        __asm__ volatile("" ::"r"(dst) : "memory");
        left -= n;
    }
    return now_s() - t0;
}

static double best_mibs(enum kind k, struct shape sh)
{
    static int port = 5000;
    double best = 1e30;

    for (int i = 0; i < 3; i++) {
        double t = k == K_MEMCPY ? run_memcpy(sh) : k == K_UNIX ? run_unix(sh)
                                                                : run_vchan(sh, port++);
        if (t < best)
            best = t;
    }
    return (double)total / (1024.0 * 1024.0) / best;
}

int main(int argc, char **argv)
{
    static const struct shape shapes[] = {
        {65536, 0}, {4096, 0}, {4096, 1}, {65536, 1}};
    char dir[] = "/tmp/bench-vchan.XXXXXX";
    double vchan64 = 0, unix64 = 0;

    total = (uint64_t)(argc > 1 ? atoi(argv[1]) : 1024) * 1024 * 1024;
    if (!mkdtemp(dir))
        return 1;
    setenv("VCHAN_SOCKET_DIR", dir, 1);
    setenv("BULKHEAD_VCHAN", "socket", 1);
    memset(buf, 0x5a, sizeof(buf));

    printf("vchan socket backend vs its limits: %llu MiB per row, best of 3\n\n",
           (unsigned long long)(total >> 20));
    printf("%-34s %-14s %10s %10s\n", "transport", "message", "MiB/s", "% of unix");
    printf("%-34s %-14s %10.0f %10s\n", "memcpy, one process (copy limit)", "64 KiB",
           best_mibs(K_MEMCPY, shapes[0]), "-");
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        struct shape sh = shapes[i];
        char msg[32];
        double u = best_mibs(K_UNIX, sh), v = best_mibs(K_VCHAN, sh);

        snprintf(msg, sizeof(msg), "%s%zu KiB", sh.header ? "8 B + " : "", sh.chunk / 1024);
        printf("%-34s %-14s %10.0f %10s\n", "unix socket, read/write (limit)", msg, u, "100%");
        printf("%-34s %-14s %10.0f %9.0f%%\n", "vchan socket backend", msg, v, 100.0 * v / u);
        if (i == 0) {
            unix64 = u;
            vchan64 = v;
        }
    }
    printf("\nvchan socket backend, 64 KiB messages: %.0f%% of a plain Unix socket "
           "(goal: at least 50%%)\n",
           100.0 * vchan64 / unix64);
    rmdir(dir);
    return 0;
}
