/* qrexec-client-vm: call an RPC service in another qube (or dom0), as
 * dom0's policy allows, from inside a VM. (VM side.)
 *
 *   qrexec-client-vm [--buffer-size=N] [--agent-socket=PATH]
 *                    [--use-stdin-socket] [-t|-T] [--no-filter-escape-chars-*]
 *                    [-p|--prefix-data=DATA] [-s|--source-qube=Q]
 *                    TARGET SERVICE[+ARG] [LOCAL_PROG [ARGS...]]
 *
 * A command-line wrapper over the call library (call.h). Without
 * LOCAL_PROG the service's stdin/stdout/stderr are ours. Exit status: the
 * service's (with LOCAL_PROG, the program's when it failed), 126 if the call was refused, 125 if
 * qrexec failed, 2 for bad usage. */
#include "lib/log.h"
#include "qrexec/agent/trigger.h"
#include "qrexec/client/call.h"
#include "qrexec/proto/qrexec_names.h"
#include "qrexec/proto/qrexec_proto.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_USAGE         2
#define CONNECT_TIMEOUT_MS 60000

static void usage(FILE *f)
{
    fprintf(f, "usage: qrexec-client-vm [options] TARGET SERVICE[+ARG] [LOCAL_PROG [ARGS...]]\n"
               "\n"
               "  --buffer-size=N       the data link's buffer, in bytes (1024 to 1073741824,\n"
               "                        rounded up to a power of two; default 65536)\n"
               "  --agent-socket=PATH   the agent's socket (default /var/run/qubes/qrexec-agent)\n"
               "  --use-stdin-socket    stdin is a socket: the service's input and output\n"
               "  -t, --filter-escape-chars-stdout, -T, --filter-escape-chars-stderr\n"
               "        replace bytes that could drive a terminal in the service's stdout /\n"
               "        stderr with _ (the default when that output is a terminal)\n"
               "  --no-filter-escape-chars-stdout, --no-filter-escape-chars-stderr\n"
               "        pass them through even to a terminal\n"
               "  -p, --prefix-data=DATA send DATA to the service before our stdin\n"
               "  -s, --source-qube=Q   make the call on behalf of the qube Q\n"
               "\n"
               "TARGET is a qube name, @default, @dispvm, @dispvm:NAME, @adminvm or\n"
               "uuid:UUID. Exit status: the service's (with LOCAL_PROG: the program's when it\n"
               "failed), 126 if refused, 125 if qrexec failed, 2 for bad usage.\n");
}

static int bad_usage(const char *why, const char *what)
{
    fprintf(stderr, "qrexec-client-vm: %s%s (see --help)\n", why, what);
    return EXIT_USAGE;
}

static void report(const char *agent, const struct qrexec_call_status *st, int r)
{
    const char *e = strerror(-r);

    switch (st->step) {
    case QREXEC_CALL_STEP_CONNECT:
        fprintf(stderr, "qrexec-client-vm: cannot reach the qrexec agent at %s: %s\n", agent, e);
        break;
    case QREXEC_CALL_STEP_REQUEST:
    case QREXEC_CALL_STEP_NOTIFY:
        fprintf(stderr, "qrexec-client-vm: cannot make the call through %s: %s\n", agent, e);
        break;
    case QREXEC_CALL_STEP_LINK:
        fprintf(stderr,
                "qrexec-client-vm: the data link failed (opening our end, or the target "
                "connecting): %s\n",
                e);
        break;
    case QREXEC_CALL_STEP_LOCAL:
        fprintf(stderr, "qrexec-client-vm: cannot run the local program: %s\n", e);
        break;
    case QREXEC_CALL_STEP_DATA:
        fprintf(stderr, "qrexec-client-vm: the call ended early: %s\n", e);
        break;
    }
}

int main(int argc, char **argv)
{
    enum { OPT_BUFFER = 256, OPT_AGENT, OPT_STDIN_SOCKET, OPT_NO_FILTER_OUT, OPT_NO_FILTER_ERR };
    static const struct option opts[] = {
        {"buffer-size", required_argument, NULL, OPT_BUFFER},
        {"agent-socket", required_argument, NULL, OPT_AGENT},
        {"use-stdin-socket", no_argument, NULL, OPT_STDIN_SOCKET},
        {"filter-escape-chars-stdout", no_argument, NULL, 't'},
        {"filter-escape-chars-stderr", no_argument, NULL, 'T'},
        {"no-filter-escape-chars-stdout", no_argument, NULL, OPT_NO_FILTER_OUT},
        {"no-filter-escape-chars-stderr", no_argument, NULL, OPT_NO_FILTER_ERR},
        {"prefix-data", required_argument, NULL, 'p'},
        {"source-qube", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct qrexec_vm_call call = {.agent_socket = NULL, .timeout_ms = CONNECT_TIMEOUT_MS};
    struct qrexec_call_io io = {.in_fd = -1, .out_fd = -1, .err_fd = -1};
    struct qrexec_call_status st = {.exit_code = QREXEC_EXIT_PROBLEM};
    const char *prefix = NULL, *agent = QREXEC_AGENT_DEFAULT_SOCKET;
    int filter_out = -1, filter_err = -1; /* -1: by whether it is a terminal */
    bool stdin_socket = false, local;
    unsigned long ring;
    int c, r;

    log_init(argv[0]);
    while ((c = getopt_long(argc, argv, "+tTp:s:h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_BUFFER:
            if (!qrexec_call_parse_uint(optarg, QREXEC_CALL_RING_MAX, &ring) ||
                ring < QREXEC_CALL_RING_MIN)
                return bad_usage("--buffer-size takes a number of bytes from 1024 to "
                                 "1073741824, not ",
                                 optarg);
            call.ring_size = qrexec_call_ring_size(ring);
            break;
        case OPT_AGENT:
            agent = optarg;
            break;
        case OPT_STDIN_SOCKET:
            stdin_socket = true;
            break;
        case 't':
            filter_out = 1;
            break;
        case 'T':
            filter_err = 1;
            break;
        case OPT_NO_FILTER_OUT:
            filter_out = 0;
            break;
        case OPT_NO_FILTER_ERR:
            filter_err = 0;
            break;
        case 'p':
            prefix = optarg;
            break;
        case 's':
            if (!qrexec_valid_vm_name(optarg))
                return bad_usage("-s takes a qube name, not ", optarg);
            call.source = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (argc - optind < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    call.agent_socket = agent;
    call.target = argv[optind];
    call.service = argv[optind + 1];
    local = argc - optind > 2;
    if (stdin_socket && local)
        return bad_usage("--use-stdin-socket excludes LOCAL_PROG", "");
    if (local) {
        io.local_argv = argv + optind + 2;
        io.err_fd = dup(2);
    } else if (qrexec_call_io_stdio(&io, stdin_socket) < 0) {
        return bad_usage("--use-stdin-socket: standard input is not a stream socket", "");
    }
    /* as in Qubes: output meant for a terminal is made safe unless asked not to */
    if (filter_out < 0)
        filter_out = !local && !stdin_socket && isatty(1);
    if (filter_err < 0)
        filter_err = isatty(2);
    io.filter_stdout = filter_out;
    io.filter_stderr = filter_err;
    io.prefix = prefix;
    io.prefix_len = prefix ? strlen(prefix) : 0;
    signal(SIGPIPE, SIG_IGN);

    r = qrexec_call_vm(&call, &io, &st);
    /* only dom0's answer is a refusal: EACCES from our own end of the data
     * link (no access to the vchan devices) is a failure, said as such */
    if (r == -EACCES && st.step == QREXEC_CALL_STEP_REQUEST) {
        fprintf(stderr, "Request refused\n");
        return QREXEC_EXIT_REFUSED;
    }
    if (r < 0) {
        report(agent, &st, r);
        return QREXEC_EXIT_PROBLEM;
    }
    /* with a local program, its failure counts first: it is the side
     * that knows whether the exchange succeeded (qvm-move deletes files
     * only when qfile-agent says the receiver confirmed) */
    if (local && st.local_status != -1)
        return WIFEXITED(st.local_status) && WEXITSTATUS(st.local_status) != 0
                   ? WEXITSTATUS(st.local_status)
               : WIFSIGNALED(st.local_status) ? 128 + WTERMSIG(st.local_status)
                                              : st.exit_code;
    return st.exit_code;
}
