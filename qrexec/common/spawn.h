/* Starting a local program with its stdin and stdout on stream sockets and
 * its stderr on a pipe: the service in the agent, LOCAL_PROG in
 * qrexec-client. */
#ifndef BULKHEAD_QREXEC_SPAWN_H
#define BULKHEAD_QREXEC_SPAWN_H

#include <sys/types.h>

struct qrexec_child {
    pid_t pid;
    int stdin_fd;  /* write end: the child's stdin */
    int stdout_fd; /* read end */
    int stderr_fd; /* read end, or -1 when stderr was left alone */
};

/* Runs argv[0] (a path, or a name looked up in $PATH) with argv and envp (NULL: our environment).
 * With keep_stderr the child inherits our stderr instead of getting a pipe. 0 or a negative errno,
 * also when the program cannot be executed (-ENOENT, -EACCES, -ENOEXEC...: qrexec_spawn_exit_code
 * maps those to 127). */
int qrexec_spawn(char *const argv[], char *const envp[], int keep_stderr, struct qrexec_child *out);

/* The exit code a call reports when qrexec_spawn failed with err: 127 if
 * the program could not be executed (as a shell says), else 125. */
int qrexec_spawn_exit_code(int err);

#endif
