/* qrexec-client-vm: call an RPC service in another qube (or dom0), as
 * dom0's policy allows, from inside a VM. (VM side.)
 *
 *   qrexec-client-vm [--agent-socket=PATH] [-t] [-T] TARGET SERVICE[+ARG]
 *                    [LOCAL_PROG [ARGS...]]
 *
 * Without LOCAL_PROG the service's stdin/stdout/stderr are ours. Exit
 * status: the service's, 126 if the call was refused, 125 if qrexec
 * failed. */
#include "lib/io.h"
#include "lib/log.h"
#include "qrexec/agent/trigger.h"
#include "qrexec/common/msgio.h"
#include "qrexec/common/pump.h"
#include "qrexec/common/spawn.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define CONNECT_TIMEOUT_MS 60000

static void usage(FILE *f)
{
    fprintf(f, "usage: qrexec-client-vm [--agent-socket=PATH] [-t] [-T] TARGET SERVICE[+ARG]\n"
               "                        [LOCAL_PROG [ARGS...]]\n"
               "\n"
               "  -t, --filter-escape-chars-stdout, -T, --filter-escape-chars-stderr\n"
               "        replace bytes that could drive a terminal in the service's stdout /\n"
               "        stderr with _\n"
               "\n"
               "TARGET is a qube name, @default, @dispvm, @dispvm:NAME, @adminvm or\n"
               "uuid:UUID. Exit status: the service's, 126 if refused, 125 if qrexec failed.\n");
}

static int ask_agent(const char *path, const char *target, const char *service,
                     struct qrexec_service_connect *out)
{
    static uint8_t msg[QREXEC_HDR_SIZE + QREXEC_MAX_BODY];
    struct qrexec_hdr h;
    ssize_t n;
    int fd, r;

    n = qrexec_build_trigger3(msg, sizeof(msg), service, target, "");
    if (n < 0)
        return (int)n;
    fd = io_unix_connect(path);
    if (fd < 0)
        return fd;
    r = io_write_full(fd, msg, (size_t)n);
    if (r == 0)
        r = qrexec_fd_recv(fd, QREXEC_LINK_DAEMON_TO_AGENT, QREXEC_PROTOCOL_V3, &h, msg,
                           sizeof(msg));
    close(fd);
    if (r < 0)
        return r;
    if (h.type == QREXEC_MSG_SERVICE_REFUSED)
        return -EACCES;
    if (h.type != QREXEC_MSG_SERVICE_CONNECT || qrexec_parse_service_connect(msg, h.len, out) < 0)
        return -EPROTO;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"agent-socket", required_argument, NULL, 'a'},
                                         {"filter-escape-chars-stdout", no_argument, NULL, 't'},
                                         {"filter-escape-chars-stderr", no_argument, NULL, 'T'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *agent = QREXEC_AGENT_DEFAULT_SOCKET;
    struct qrexec_service_connect sc;
    struct qrexec_child child = {.pid = 0};
    struct vchan *v;
    uint32_t version;
    int c, r, code = QREXEC_EXIT_PROBLEM;
    bool filter_out = false, filter_err = false;

    log_init(argv[0]);
    while ((c = getopt_long(argc, argv, "+tTh", opts, NULL)) != -1) {
        switch (c) {
        case 'a': agent = optarg; break;
        case 't': filter_out = true; break;
        case 'T': filter_err = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (argc - optind < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);
    r = ask_agent(agent, argv[optind], argv[optind + 1], &sc);
    if (r == -EACCES) {
        fprintf(stderr, "Request refused\n");
        return QREXEC_EXIT_REFUSED;
    }
    if (r < 0) {
        fprintf(stderr, "qrexec-client-vm: cannot make the call through %s: %s\n", agent,
                strerror(-r));
        return QREXEC_EXIT_PROBLEM;
    }
    /* we serve the data link; the target's agent connects to us */
    v = vchan_server_init((int)sc.connect_domain, (int)sc.connect_port, 65536, 65536);
    if (!v || qrexec_wait_connected(v, CONNECT_TIMEOUT_MS) < 0 ||
        qrexec_vchan_handshake(v, true, QREXEC_PROTOCOL_VERSION, QREXEC_PROTOCOL_V2,
                               QREXEC_LINK_DATA, &version) < 0) {
        fprintf(stderr, "qrexec-client-vm: the target did not connect\n");
        vchan_close(v);
        return QREXEC_EXIT_PROBLEM;
    }
    struct qrexec_pump pump = {.v = v, .version = version, .service = false,
                               .in_fd = dup(0), .in2_fd = -1, .out_fd = dup(1),
                               .err_fd = dup(2), .filter_stdout = filter_out,
                               .filter_stderr = filter_err};
    if (argc - optind > 2) {
        if (qrexec_spawn(argv + optind + 2, NULL, 1, &child) < 0) {
            fprintf(stderr, "qrexec-client-vm: cannot run %s\n", argv[optind + 2]);
            vchan_close(v);
            return QREXEC_EXIT_PROBLEM;
        }
        close(pump.in_fd);
        close(pump.out_fd);
        pump.in_fd = child.stdout_fd;
        pump.out_fd = child.stdin_fd;
    }
    r = qrexec_pump_run(&pump, &code);
    vchan_close(v);
    if (child.pid > 0)
        waitpid(child.pid, NULL, 0);
    if (r < 0) {
        fprintf(stderr, "qrexec-client-vm: the call ended early: %s\n", strerror(-r));
        return QREXEC_EXIT_PROBLEM;
    }
    return code & 0xff;
}
