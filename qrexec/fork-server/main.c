/* qrexec-fork-server: runs one user's qrexec calls from inside that user's
 * session, so that services start with the session's environment (display,
 * session bus) instead of a fresh login. (VM side.)
 *
 *   qrexec-fork-server [--socket PATH]
 *
 * Started as the user (by the session, or a systemd user unit), in the
 * foreground. Listens on PATH (default /var/run/qubes/qrexec-server.USER.sock)
 * and takes requests (request.h) only from root, which is qrexec-agent, or
 * from its own user. Each accepted request gets a child process that does
 * what the agent's per-call process does once it is the user (exec.c).
 *
 * Environment: QREXEC_SERVICE_PATH, QUBES_RPC_CONFIG_PATH, as for the agent. */
#include "lib/io.h"
#include "lib/log.h"
#include "qrexec/agent/exec.h"
#include "qrexec/fork-server/request.h"
#include "qrexec/proto/qrexec_proto.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/* Requests are read one at a time: a sender that stalls holds the others
 * up this long at most. */
#define READ_TIMEOUT_S 5

static uint8_t request[FORKREQ_MAX_SIZE];

static int read_request(int fd, struct forkreq *req)
{
    struct timeval tv = {.tv_sec = READ_TIMEOUT_S};
    ssize_t size;
    int r;

    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
        return -errno;
    r = io_read_full(fd, request, FORKREQ_HEAD_SIZE);
    if (r < 0)
        return r;
    size = forkreq_parse_head(request, FORKREQ_HEAD_SIZE);
    if (size < 0)
        return (int)size;
    r = io_read_full(fd, request + FORKREQ_HEAD_SIZE, (size_t)size - FORKREQ_HEAD_SIZE);
    if (r < 0)
        return r;
    return forkreq_parse(request, (size_t)size, req);
}

/* The call's own process; fd (close-on-exec, so services do not hold it)
 * stays open until the call is over, which is how the agent learns it. */
static noreturn void run_call(const struct agent_config *cfg, const struct forkreq *req)
{
    struct agent_call call;
    int r;

    signal(SIGCHLD, SIG_DFL); /* the call waits for its service */
    r = agent_call_prepare(cfg, req->type, req->connect_domain, req->connect_port, req->cmdline,
                           req->cmdline_len, &call);
    if (r == -EINVAL)
        _exit(QREXEC_EXIT_PROBLEM);
    if (r < 0)
        agent_call_refuse(cfg, &call, QREXEC_EXIT_PROBLEM);
    agent_call_run(cfg, &call);
}

static void handle(int fd, int listen_fd, const struct agent_config *cfg)
{
    const uint8_t accepted = FORKREQ_ACCEPTED;
    struct ucred cred;
    socklen_t len = sizeof(cred);
    struct forkreq req;
    pid_t pid;
    int r;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        log_warn("SO_PEERCRED");
        return;
    }
    /* root is the agent; anyone else could make us run anything as us */
    if (cred.uid != 0 && cred.uid != getuid()) {
        log_warnx("refusing a request from uid %u (pid %d)", (unsigned)cred.uid, (int)cred.pid);
        return;
    }
    r = read_request(fd, &req);
    if (r < 0) {
        log_warnx("dropping a request from pid %d: %s", (int)cred.pid,
                  r == -EBADMSG  ? "malformed"
                  : r == -EPIPE  ? "the connection ended before the request did"
                  : r == -EAGAIN ? "nothing more came for a while"
                                 : strerror(-r));
        return;
    }
    pid = fork();
    if (pid < 0) {
        log_warn("cannot start a process for a call");
        return;
    }
    if (pid == 0) {
        close(listen_fd);
        run_call(cfg, &req);
    }
    if (io_write_full(fd, &accepted, 1) < 0)
        log_warnx("the agent left before call on port %u started", req.connect_port);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: qrexec-fork-server [--socket PATH]\n");
}

int main(int argc, char **argv)
{
    struct agent_config cfg = {
        .service_path = getenv("QREXEC_SERVICE_PATH"),
        .rpc_config_path = getenv("QUBES_RPC_CONFIG_PATH"),
        .connect_timeout_ms = 10000,
    };
    static const struct option opts[] = {{"socket", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    static char user[AGENT_FIELD_MAX], path[PATH_MAX];
    const char *socket_path = NULL, *name;
    struct passwd *pw;
    int c, lfd;

    log_init("qrexec-fork-server");
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 's') {
            socket_path = optarg;
        } else {
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    pw = getpwuid(getuid());
    name = pw ? pw->pw_name : getenv("USER");
    if (!name)
        fatalx("uid %u has no name (no user database entry, no $USER)", (unsigned)getuid());
    snprintf(user, sizeof(user), "%s", name);
    cfg.default_user = user; /* unused: every call runs as us */
    if (!socket_path) {
        if (forkreq_socket_path(path, sizeof(path), FORKREQ_DEFAULT_SOCKET, user) < 0)
            fatalx("no socket path for user %s", user);
        socket_path = path;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_IGN); /* calls are not waited for: no zombies */
    lfd = io_unix_listen(socket_path, 64);
    if (lfd < 0) {
        errno = -lfd;
        fatal("cannot listen on %s", socket_path);
    }
    /* root reaches it whatever the mode; other users have no business */
    if (chmod(socket_path, 0600) < 0)
        fatal("chmod %s", socket_path);
    log_info("serving %s's calls on %s", user, socket_path);
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                log_warn("accept");
                sleep(1); /* until calls end and free descriptors */
                continue;
            }
            fatal("accept");
        }
        handle(fd, lfd, &cfg);
        close(fd);
    }
}
