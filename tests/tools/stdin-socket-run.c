/* stdin-socket-run: runs a program whose standard input is one end of a
 * stream socket pair, for the --use-stdin-socket tests; we hold the other
 * end. What we read from our stdin goes into the socket (then a
 * half-close), and what the program sends back comes out on our stdout.
 *
 *   stdin-socket-run PROG [ARGS...]
 *
 * Exit status: the program's. */
#include "lib/io.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Copies from in to out until EOF; false if out broke. */
static bool copy(int in, int out)
{
    char buf[65536];
    ssize_t n;

    while ((n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || io_write_full(out, buf, (size_t)n) < 0)
            return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    int sv[2], st;
    pid_t pid, feeder;

    if (argc < 2 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return 2;
    pid = fork();
    if (pid == 0) {
        dup2(sv[1], 0);
        close(sv[0]);
        close(sv[1]);
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    close(sv[1]);
    /* a process of its own feeds the socket, so neither direction can
     * stall the other */
    feeder = fork();
    if (feeder == 0) {
        copy(0, sv[0]);
        shutdown(sv[0], SHUT_WR);
        _exit(0);
    }
    close(0);
    copy(sv[0], 1);
    close(sv[0]);
    kill(feeder, SIGTERM);
    waitpid(feeder, NULL, 0);
    if (waitpid(pid, &st, 0) < 0)
        return 2;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
