#include "qrexec/common/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int qrexec_spawn(char *const argv[], char *const envp[], int keep_stderr,
                 struct qrexec_child *out)
{
    int in[2] = {-1, -1}, o[2] = {-1, -1}, e[2] = {-1, -1}, err;
    pid_t pid;

    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(o, O_CLOEXEC) < 0 ||
        (!keep_stderr && pipe2(e, O_CLOEXEC) < 0))
        goto fail;
    pid = fork();
    if (pid < 0)
        goto fail;
    if (pid == 0) {
        /* the pump ignores SIGPIPE; a service must get the default back */
        signal(SIGPIPE, SIG_DFL);
        if (dup2(in[0], 0) < 0 || dup2(o[1], 1) < 0 || (!keep_stderr && dup2(e[1], 2) < 0))
            _exit(127);
        if (strchr(argv[0], '/'))
            execve(argv[0], argv, envp ? envp : environ);
        else
            execvpe(argv[0], argv, envp ? envp : environ);
        _exit(127);
    }
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
    err = errno;
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (o[i] >= 0)
            close(o[i]);
        if (e[i] >= 0)
            close(e[i]);
    }
    return -err;
}
