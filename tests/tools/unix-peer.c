/* unix-peer: sends bytes to a Unix stream socket and reports what comes
 * back, for the malformed-request tests of qrexec-fork-server.
 *
 *   unix-peer [--hold] PATH HEX...
 *
 * Connects to PATH, sends the bytes the HEX arguments spell (one after the
 * other), then, unless --hold, closes its sending side (so the server sees
 * the request end). It then waits up to 10 s for the server to close the
 * connection. Output: "GOT xx" for each byte received (at most 16), then
 * "CLOSED" or "STILL_OPEN". Exit status 0, or 1 if it could not connect. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
    size_t n = 0;

    while (s[0] && s[1] && n < max) {
        unsigned v;
        if (sscanf(s, "%2x", &v) != 1)
            break;
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint8_t msg[1 << 17];

int main(int argc, char **argv)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    bool hold = argc > 1 && !strcmp(argv[1], "--hold");
    int first = hold ? 2 : 1, fd, got = 0;
    long long deadline;
    size_t len = 0;

    if (argc <= first || strlen(argv[first]) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "usage: unix-peer [--hold] PATH HEX...\n");
        return 2;
    }
    strcpy(sa.sun_path, argv[first]);
    for (int i = first + 1; i < argc; i++)
        len += unhex(argv[i], msg + len, sizeof(msg) - len);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        printf("NO_CONNECT %s\n", strerror(errno));
        return 1;
    }
    /* the server may close before taking everything: that is an answer too */
    if (len > 0 && send(fd, msg, len, MSG_NOSIGNAL) < 0)
        printf("SEND_FAILED %s\n", strerror(errno));
    if (!hold)
        shutdown(fd, SHUT_WR);
    deadline = now_ms() + 10000;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        long long left = deadline - now_ms();
        uint8_t b;
        ssize_t n;

        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            printf("STILL_OPEN\n");
            return 0;
        }
        n = read(fd, &b, 1);
        if (n <= 0) {
            printf("CLOSED\n");
            return 0;
        }
        if (got++ < 16)
            printf("GOT %02x\n", b);
        fflush(stdout);
    }
}
