#include "qrexec/common/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

extern char **environ;

/* matches the data link's socket buffers (lib/vchan_socket.c) */
#define SPAWN_SOCKET_BUFFER (1 << 19)

static void close_pair(int p[2])
{
    for (int i = 0; i < 2; i++)
        if (p[i] >= 0)
            close(p[i]);
}

int qrexec_spawn(char *const argv[], char *const envp[], int keep_stderr, struct qrexec_child *out)
{
    int in[2] = {-1, -1}, o[2] = {-1, -1}, e[2] = {-1, -1}, err, bufsz = SPAWN_SOCKET_BUFFER;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, pipe_default;
    pid_t pid;

    /* stdin and stdout are stream sockets, not pipes: a Unix socket moves
     * data faster than a pipe (bigger buffers, fewer wake-ups), and socket
     * services already see one */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, o) < 0 ||
        (!keep_stderr && pipe2(e, O_CLOEXEC) < 0)) {
        err = errno;
        goto fail;
    }
    for (int i = 0; i < 2; i++) {
        setsockopt(in[i], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
        setsockopt(o[i], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
    }
    /* posix_spawn, not fork: the child shares our memory until it execs,
     * which saves copying page tables on every call. The dup2s clear
     * close-on-exec on 0-2; the pump ignores SIGPIPE and may block signals,
     * a service gets the defaults back. */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, o[1], 1);
    if (!keep_stderr)
        posix_spawn_file_actions_adddup2(&fa, e[1], 2);
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigemptyset(&pipe_default);
    sigaddset(&pipe_default, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &pipe_default);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (strchr(argv[0], '/'))
        err = posix_spawn(&pid, argv[0], &fa, &attr, argv, envp ? envp : environ);
    else
        err = posix_spawnp(&pid, argv[0], &fa, &attr, argv, envp ? envp : environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (err)
        goto fail;
    close(in[0]);
    close(o[1]);
    if (!keep_stderr)
        close(e[1]);
    out->pid = pid;
    out->stdin_fd = in[1];
    out->stdout_fd = o[0];
    out->stderr_fd = keep_stderr ? -1 : e[0];
    return 0;
fail:
    close_pair(in);
    close_pair(o);
    close_pair(e);
    return -err;
}

int qrexec_spawn_exit_code(int err)
{
    switch (-err) {
    case ENOENT:
    case EACCES:
    case ENOEXEC:
    case ENOTDIR:
    case ELOOP:
    case ENAMETOOLONG:
        return 127;
    default:
        return 125;
    }
}
