/* Handing a call to the user's qrexec-fork-server; see session.h and
 * qrexec/fork-server/request.h. (VM side.) */
#include "lib/io.h"
#include "lib/log.h"
#include "qrexec/agent/session.h"
#include "qrexec/fork-server/request.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint8_t request[FORKREQ_MAX_SIZE];

int agent_delegate_send(const struct agent_config *cfg, const struct agent_call *call, uid_t uid)
{
    struct ucred cred;
    socklen_t credlen = sizeof(cred);
    char path[PATH_MAX];
    ssize_t n;
    int fd, r;

    if (!cfg->fork_server_socket)
        return -1;
    r = forkreq_socket_path(path, sizeof(path), cfg->fork_server_socket, call->user);
    if (r < 0) {
        log_warnx("no fork server socket for user %s: %s", call->user, strerror(-r));
        return -1;
    }
    fd = io_unix_connect(path);
    if (fd < 0) {
        /* no fork server (or a stale socket of one that ended): the
         * normal case for users without a session */
        if (fd != -ENOENT && fd != -ECONNREFUSED)
            log_warnx("fork server %s: %s", path, strerror(-fd));
        return -1;
    }
    /* Anyone able to create files in the socket's directory could listen
     * there; only a server running as the user may get the user's calls
     * (their data included). */
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) < 0 || cred.uid != uid) {
        log_warnx("fork server %s does not run as uid %u: not using it", path, (unsigned)uid);
        close(fd);
        return -1;
    }
    n = forkreq_build(request, sizeof(request), call->type, call->connect_domain,
                      call->connect_port, call->cmdline);
    if (n < 0 || io_write_full(fd, request, (size_t)n) < 0) {
        log_warnx("cannot send the call to fork server %s", path);
        close(fd);
        return -1;
    }
    log_debug("call on port %u handed to fork server %s", call->connect_port, path);
    return fd;
}
