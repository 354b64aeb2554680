/* socketpair-pipe: "CMD1 | CMD2" with a Unix stream socket pair instead of
 * a pipe, for benchmarks whose physical limit is a copy over a Unix socket
 * (tar | tar next to qvm-copy, which crosses sockets too).
 *
 *   socketpair-pipe CMD1 CMD2
 *
 * Each command runs under /bin/sh -c; CMD1's stdout and CMD2's stdin are
 * the two ends. Exit status: 0 when both exited 0, else 1. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t run(const char *cmd, int fd, int target)
{
    pid_t pid = fork();

    if (pid == 0) {
        if (dup2(fd, target) < 0)
            _exit(127);
        close(fd);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

int main(int argc, char **argv)
{
    int sv[2], ws, rc = 0;
    pid_t a, b;

    if (argc != 3) {
        fprintf(stderr, "usage: socketpair-pipe CMD1 CMD2\n");
        return 2;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        perror("socketpair-pipe: socketpair");
        return 1;
    }
    a = run(argv[1], sv[0], 1);
    b = run(argv[2], sv[1], 0);
    close(sv[0]);
    close(sv[1]);
    if (a < 0 || b < 0) {
        perror("socketpair-pipe: fork");
        return 1;
    }
    for (int i = 0; i < 2; i++) {
        if (wait(&ws) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
            rc = 1;
    }
    return rc;
}
