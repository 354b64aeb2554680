/* qrexec-client: run a command or RPC service in a VM from dom0 and
 * connect its stdin/stdout/stderr to ours (or to a local program).
 * (dom0.)
 *
 *   qrexec-client -d DOM [-l LOCAL_PROG | -e] [-t] [-T] [-w TIMEOUT]
 *                 [--socket-dir DIR] USER:COMMAND
 *
 * Exit status: the remote command's, or 125 if qrexec itself failed. */
#include "lib/io.h"
#include "lib/log.h"
#include "qrexec/common/msgio.h"
#include "qrexec/common/pump.h"
#include "qrexec/common/spawn.h"

#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fprintf(f, "usage: qrexec-client -d DOM [-l LOCAL_PROG | -e] [-t] [-T] [-w TIMEOUT]\n"
               "                     [--socket-dir DIR] USER:COMMAND\n"
               "\n"
               "  -d DOM            the VM: name, domain id or uuid:UUID\n"
               "  -l LOCAL_PROG     connect the command to LOCAL_PROG (run by /bin/sh -c)\n"
               "                    instead of this terminal\n"
               "  -e                start the command and return at once (exit 0)\n"
               "  -t, -T            replace bytes that could drive a terminal (escape\n"
               "                    sequences) in the command's stdout / stderr with _\n"
               "  -w TIMEOUT        seconds to wait for the VM to connect (default 5)\n"
               "  --socket-dir DIR  where qrexec-daemon listens (default /run/qubes)\n"
               "\n"
               "COMMAND is a shell command, or QUBESRPC SERVICE[+ARG] SOURCE for an RPC\n"
               "service. Exit status: the command's, or 125 if qrexec failed.\n");
}

static int connect_daemon(const char *dir, const char *dom)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s/qrexec.%s", dir, dom);

    if (n < 0 || (size_t)n >= sizeof(path))
        return -ENAMETOOLONG;
    return io_unix_connect(path);
}

/* Asks the daemon for the call; returns the data link's (domain, port). */
static int request(int fd, uint32_t type, const char *cmd, struct qrexec_exec_params *out)
{
    static uint8_t body[QREXEC_EXEC_PARAMS_SIZE + QREXEC_MAX_CMD_LEN];
    struct qrexec_hdr h;
    uint32_t version;
    int r;

    r = qrexec_fd_handshake(fd, false, QREXEC_CLIENT_PROTOCOL_VERSION,
                            QREXEC_MIN_CLIENT_VERSION, QREXEC_LINK_DAEMON_TO_CLIENT, &version);
    if (r < 0)
        return r;
    r = qrexec_build_exec(body, sizeof(body), type, 0, 0, cmd);
    if (r < 0)
        return r;
    r = io_write_full(fd, body, (size_t)r);
    if (r < 0)
        return r;
    r = qrexec_fd_recv(fd, QREXEC_LINK_DAEMON_TO_CLIENT, version, &h, body, sizeof(body));
    if (r < 0)
        return r;
    if (h.type != type || qrexec_parse_exec_params(body, h.len, out) < 0)
        return -EPROTO;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"socket-dir", required_argument, NULL, 'S'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dom = NULL, *local = NULL, *dir = "/run/qubes";
    int c, timeout_s = 5, fd, r, code = QREXEC_EXIT_PROBLEM;
    bool just_exec = false, filter_out = false, filter_err = false;
    struct qrexec_exec_params p;
    struct vchan *v;
    uint32_t version;

    log_init(argv[0]);
    while ((c = getopt_long(argc, argv, "+d:l:etTw:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dom = optarg; break;
        case 'l': local = optarg; break;
        case 'e': just_exec = true; break;
        case 't': filter_out = true; break;
        case 'T': filter_err = true; break;
        case 'w': timeout_s = atoi(optarg); break;
        case 'S': dir = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (!dom || optind != argc - 1 || (local && just_exec) || timeout_s <= 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);

    fd = connect_daemon(dir, dom);
    if (fd < 0) {
        fprintf(stderr, "qrexec-client: cannot reach the qrexec daemon of %s in %s: %s\n", dom,
                dir, strerror(-fd));
        return QREXEC_EXIT_PROBLEM;
    }
    r = request(fd, just_exec ? QREXEC_MSG_JUST_EXEC : QREXEC_MSG_EXEC_CMDLINE, argv[optind],
                &p);
    close(fd);
    if (r < 0) {
        fprintf(stderr, "qrexec-client: the daemon of %s refused the request: %s\n", dom,
                strerror(-r));
        return QREXEC_EXIT_PROBLEM;
    }
    v = vchan_server_init((int)p.connect_domain, (int)p.connect_port, 65536, 65536);
    if (!v || qrexec_wait_connected(v, timeout_s * 1000) < 0 ||
        qrexec_vchan_handshake(v, true, QREXEC_PROTOCOL_VERSION, QREXEC_PROTOCOL_V2,
                               QREXEC_LINK_DATA, &version) < 0) {
        fprintf(stderr, "qrexec-client: %s did not connect the data link\n", dom);
        vchan_close(v);
        return QREXEC_EXIT_PROBLEM;
    }

    struct qrexec_pump pump = {.v = v, .version = version, .service = false,
                               .in_fd = -1, .in2_fd = -1, .out_fd = -1, .err_fd = -1,
                               .filter_stdout = filter_out, .filter_stderr = filter_err};
    struct qrexec_child child = {.pid = 0};
    if (local) {
        char *largv[] = {"/bin/sh", "-c", (char *)local, NULL};
        if (qrexec_spawn(largv, NULL, 1, &child) < 0) {
            fprintf(stderr, "qrexec-client: cannot run %s\n", local);
            vchan_close(v);
            return QREXEC_EXIT_PROBLEM;
        }
        pump.in_fd = child.stdout_fd;
        pump.out_fd = child.stdin_fd;
    } else if (!just_exec) {
        pump.in_fd = dup(0);
        pump.out_fd = dup(1);
        pump.err_fd = dup(2);
    }
    r = qrexec_pump_run(&pump, &code);
    vchan_close(v);
    /* the local program has seen EOF; let it finish with what it got */
    if (child.pid > 0)
        waitpid(child.pid, NULL, 0);
    if (r < 0) {
        fprintf(stderr, "qrexec-client: the call to %s ended early: %s\n", dom, strerror(-r));
        return QREXEC_EXIT_PROBLEM;
    }
    return code & 0xff;
}
