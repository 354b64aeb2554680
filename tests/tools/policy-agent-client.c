/* policy-agent-client: one request to qrexec-policy-agent, as qrexec hands
 * a socket service its caller's data (tests and manual use).
 *
 *   policy-agent-client PATH DESCRIPTOR < BODY
 *
 * Connects to the Unix socket PATH, sends DESCRIPTOR and a NUL (e.g.
 * "policy.Ask dom0"), then standard input, then closes its sending side.
 * Prints what comes back until the agent closes the connection (at most
 * 300 s), with no newline added. Exit 0, 1 if it could not connect. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char buf[4096];
    ssize_t n;
    int fd;

    if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "usage: policy-agent-client PATH DESCRIPTOR < BODY\n");
        return 2;
    }
    strcpy(sa.sun_path, argv[1]);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fprintf(stderr, "policy-agent-client: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    /* the agent may stop reading early (a request too large): not an error */
    if (write_all(fd, argv[2], strlen(argv[2]) + 1) == 0)
        while ((n = read(0, buf, sizeof(buf))) > 0 && write_all(fd, buf, (size_t)n) == 0)
            ;
    shutdown(fd, SHUT_WR);
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 300000) <= 0)
            break;
        n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        fwrite(buf, 1, (size_t)n, stdout);
    }
    fflush(stdout);
    return 0;
}
