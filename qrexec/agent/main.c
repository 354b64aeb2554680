/* qrexec-agent: the VM end of qrexec. Offers the control vchan to dom0 on
 * port 512, and for each call dom0 sends runs a process of its own
 * (session.c: as which user and how; exec.c: the call itself); when that
 * process ends, tells dom0 the data port is free. If dom0's daemon goes
 * away, offers the channel again. (VM side.)
 *
 *   qrexec-agent [--agent-socket PATH] [--fork-server-socket PATH | --no-fork-server]
 *
 * No arguments in production; the options are for tests.
 * --agent-socket: where qrexec-client-vm reaches the agent (default
 * /var/run/qubes/qrexec-agent).
 * --fork-server-socket: where the user's qrexec-fork-server listens, "%s"
 * standing for the user (as root the default is
 * /var/run/qubes/qrexec-server.%s.sock; not as root there is none unless
 * given). --no-fork-server: never hand calls to a fork server.
 *
 * Environment: QREXEC_SERVICE_PATH, QUBES_RPC_CONFIG_PATH, BULKHEAD_QREXEC_DEFAULT_USER (the user
 * "DEFAULT" means when running as root; "user" if unset). */
#include "lib/log.h"
#include "lib/vchan.h"
#include "qrexec/agent/calls.h"
#include "qrexec/agent/session.h"
#include "qrexec/common/services.h"
#include "qrexec/agent/trigger.h"
#include "qrexec/common/msgio.h"
#include "qrexec/fork-server/request.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONTROL_RING 4096

static uint8_t body[QREXEC_MAX_BODY];

static int handle_control(struct vchan *v, uint32_t version, const struct agent_config *cfg,
                          sigset_t *blocked)
{
    struct qrexec_exec_params p;
    struct qrexec_hdr h;
    int r = qrexec_vchan_recv(v, QREXEC_LINK_DAEMON_TO_AGENT, version, &h, body, sizeof(body));

    if (r < 0)
        return r;
    switch (h.type) {
    case QREXEC_MSG_EXEC_CMDLINE:
    case QREXEC_MSG_JUST_EXEC:
        if (qrexec_parse_exec_params(body, h.len, &p) < 0)
            return -EPROTO;
        agent_calls_start(cfg, h.type, &p, blocked);
        return 0;
    case QREXEC_MSG_SERVICE_CONNECT: {
        /* answers to calls this VM makes: passed to the waiting caller */
        struct qrexec_service_connect sc;
        uint8_t m[QREXEC_HDR_SIZE + QREXEC_EXEC_PARAMS_SIZE + QREXEC_REQUEST_ID_SIZE];
        ssize_t n;
        if (qrexec_parse_service_connect(body, h.len, &sc) < 0)
            return -EPROTO;
        n = qrexec_build_service_connect(m, sizeof(m), sc.connect_domain, sc.connect_port,
                                         sc.request_id);
        if (n > 0)
            trigger_answer(sc.request_id, m, (size_t)n);
        return 0;
    }
    case QREXEC_MSG_SERVICE_REFUSED: {
        char id[QREXEC_REQUEST_ID_SIZE];
        uint8_t m[QREXEC_HDR_SIZE + QREXEC_REQUEST_ID_SIZE];
        ssize_t n;
        if (qrexec_parse_request_id(body, h.len, id) < 0)
            return -EPROTO;
        n = qrexec_build_service_refused(m, sizeof(m), id);
        if (n > 0)
            trigger_answer(id, m, (size_t)n);
        return 0;
    }
    default:
        return -EPROTO;
    }
}

static void serve(struct vchan *v, uint32_t version, const struct agent_config *cfg, int sigfd,
                  int trigger_fd, sigset_t *blocked)
{
    for (;;) {
        struct pollfd fds[3 + QREXEC_MAX_CLIENTS] = {{.fd = vchan_fd(v), .events = POLLIN},
                                                     {.fd = sigfd, .events = POLLIN},
                                                     {.fd = trigger_fd, .events = POLLIN}};
        size_t ncalls;
        bool reap = false;
        int r;

        while (vchan_data_ready(v) >= QREXEC_HDR_SIZE) {
            r = handle_control(v, version, cfg, blocked);
            if (r < 0) {
                log_warnx("control link from dom0: %s; starting over", strerror(-r));
                return;
            }
        }
        if (vchan_is_open(v) != VCHAN_CONNECTED) {
            log_info("dom0's daemon closed the control link; waiting for it again");
            return;
        }
        ncalls = agent_calls_pollfds(fds + 3, QREXEC_MAX_CLIENTS);
        if (poll(fds, 3 + ncalls, -1) < 0 && errno != EINTR)
            fatal("poll");
        if (fds[2].revents && trigger_accept(trigger_fd, v, version) < 0)
            return;
        if (fds[0].revents)
            vchan_wait(v);
        if (fds[1].revents) {
            struct signalfd_siginfo si;
            while (read(sigfd, &si, sizeof(si)) == sizeof(si))
                ;
            reap = true;
        }
        if (agent_calls_handle(v, cfg, blocked, fds + 3, ncalls, reap) < 0)
            return;
    }
}

static void usage(FILE *f)
{
    fprintf(f, "usage: qrexec-agent [--agent-socket PATH] [--fork-server-socket PATH | "
               "--no-fork-server]\n");
}

int main(int argc, char **argv)
{
    struct agent_config cfg = {
        .service_path = getenv("QREXEC_SERVICE_PATH"),
        .rpc_config_path = getenv("QUBES_RPC_CONFIG_PATH"),
        .default_user = getenv("BULKHEAD_QREXEC_DEFAULT_USER"),
        .connect_timeout_ms = 10000,
    };
    static const struct option opts[] = {{"agent-socket", required_argument, NULL, 'a'},
                                         {"fork-server-socket", required_argument, NULL, 'f'},
                                         {"no-fork-server", no_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *agent_socket = QREXEC_AGENT_DEFAULT_SOCKET, *fork_server = NULL;
    bool no_fork_server = false;
    char check[PATH_MAX];
    sigset_t blocked;
    int sigfd, trigger_fd, c;

    log_init(argv[0]);
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'a') {
            agent_socket = optarg;
        } else if (c == 'f') {
            fork_server = optarg;
        } else if (c == 'n') {
            no_fork_server = true;
        } else {
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (!cfg.default_user)
        cfg.default_user = "user";
    /* root hands calls to the user's fork server when there is one; a test
     * agent (not root) only to one it was told about */
    if (!fork_server && geteuid() == 0)
        fork_server = FORKREQ_DEFAULT_SOCKET;
    cfg.fork_server_socket = no_fork_server ? NULL : fork_server;
    /* the user names a path: refuse at start what would be refused later */
    if (forkreq_socket_path(check, sizeof(check), "%s", cfg.default_user) < 0)
        fatalx("bad default user name %s", cfg.default_user);
    if (cfg.fork_server_socket &&
        forkreq_socket_path(check, sizeof(check), cfg.fork_server_socket, "user") < 0)
        fatalx("bad fork server socket %s (only %%s and %%%% may follow a %%)",
               cfg.fork_server_socket);
    if (geteuid() == 0 && !agent_session_has_pam())
        log_info("built without PAM: calls run as their user, without a login session");
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGCHLD);
    sigprocmask(SIG_BLOCK, &blocked, NULL);
    sigfd = signalfd(-1, &blocked, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sigfd < 0)
        fatal("signalfd");
    trigger_fd = trigger_listen(agent_socket);
    if (trigger_fd < 0) {
        errno = -trigger_fd;
        fatal("cannot listen on %s", agent_socket);
    }

    for (;;) {
        struct vchan *v = vchan_server_init(0, QREXEC_VCHAN_BASE_PORT, CONTROL_RING, CONTROL_RING);
        uint32_t version;
        int r;

        if (!v)
            fatal("cannot offer the control vchan on port %d", QREXEC_VCHAN_BASE_PORT);
        r = qrexec_vchan_handshake(v, true, QREXEC_PROTOCOL_VERSION, QREXEC_MIN_AGENT_VERSION,
                                   QREXEC_LINK_DAEMON_TO_AGENT, &version);
        if (r == 0) {
            log_info("dom0 connected, protocol version %u", version);
            serve(v, version, &cfg, sigfd, trigger_fd, &blocked);
        } else {
            log_warnx("handshake with dom0 failed: %s", strerror(-r));
        }
        vchan_close(v);
        trigger_refuse_all();
        agent_calls_handle(NULL, &cfg, &blocked, NULL, 0, true);
    }
}
