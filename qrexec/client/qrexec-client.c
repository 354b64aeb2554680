/* qrexec-client: run a command or RPC service in a VM from dom0 and
 * connect its stdin/stdout/stderr to ours (or to a local program); or
 * connect a VM's waiting call (-c), as dom0's policy tools do. (dom0.)
 *
 *   qrexec-client -d DOM [-l LOCAL_PROG | -c REQID,SRC,SRCID | -e] [-E]
 *                 [-t] [-T] [-W] [-w TIMEOUT] [-k] [-p PREFIX]
 *                 [--use-stdin-socket] [--socket-dir DIR] USER:COMMAND
 *
 * A command-line wrapper over the call library (call.h); exit status: the
 * remote command's, 125 if qrexec itself failed, 2 for bad usage. */
#include "lib/log.h"
#include "qrexec/client/admin.h"
#include "qrexec/client/call.h"
#include "qrexec/proto/qrexec_names.h"
#include "qrexec/proto/qrexec_proto.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fprintf(f,
            "usage: qrexec-client -d DOM [-l LOCAL_PROG | -c REQID,SRC,SRCID | -e] [-E] [-t] [-T]\n"
            "                     [-W] [-w TIMEOUT] [-k] [-p PREFIX] [--use-stdin-socket]\n"
            "                     [--socket-dir DIR] USER:COMMAND\n"
            "\n"
            "  -d DOM              the VM: name, domain id or uuid:UUID; dom0 or @adminvm\n"
            "                      (with -c) to serve a VM's call in dom0\n"
            "  -l LOCAL_PROG       connect the command to LOCAL_PROG (run by /bin/sh -c)\n"
            "                      instead of this terminal\n"
            "  -c REQID,SRC,SRCID  connect the waiting call REQID of the VM SRC (domain id\n"
            "                      SRCID) to COMMAND, as dom0's policy tools do\n"
            "  -e                  start the command and return at once (exit 0)\n"
            "  -E, --no-exit-code  exit 0 once the command has finished, whatever its status\n"
            "  -t, -T              replace bytes that could drive a terminal (escape\n"
            "                      sequences) in the command's stdout / stderr with _\n"
            "  -W                  with -c: wait until DOM's daemon lets go of the call\n"
            "  -w TIMEOUT          seconds to wait for the VM to connect (default 5, 0: no limit)\n"
            "  -k                  ask qvmd to kill DOM once the call is over\n"
            "  -p, --prefix-data PREFIX\n"
            "                      send PREFIX to the command before our stdin\n"
            "  --use-stdin-socket  stdin is a socket: the command's input and output\n"
            "  --socket-dir DIR    where qrexec-daemon listens (default /run/qubes)\n"
            "\n"
            "COMMAND is a shell command, or QUBESRPC SERVICE[+ARG] SOURCE for an RPC\n"
            "service. Exit status: the command's, 125 if qrexec failed, 2 for bad usage.\n");
}

static int bad_usage(const char *why)
{
    fprintf(stderr, "qrexec-client: %s (see --help)\n", why);
    return EXIT_USAGE;
}

/* One line for a call that failed, by where it failed. */
static void report(const char *dom, const char *dir, const struct qrexec_call_status *st, int r)
{
    const char *e = strerror(-r);

    switch (st->step) {
    case QREXEC_CALL_STEP_CONNECT:
        fprintf(stderr, "qrexec-client: cannot reach the qrexec daemon of %s in %s: %s\n", dom, dir,
                e);
        break;
    case QREXEC_CALL_STEP_REQUEST:
        fprintf(stderr, "qrexec-client: the daemon of %s refused the request: %s\n", dom, e);
        break;
    case QREXEC_CALL_STEP_LINK:
        fprintf(stderr, "qrexec-client: %s did not connect the data link: %s\n", dom, e);
        break;
    case QREXEC_CALL_STEP_LOCAL:
        fprintf(stderr, "qrexec-client: cannot run the local program: %s\n", e);
        break;
    case QREXEC_CALL_STEP_DATA:
        fprintf(stderr, "qrexec-client: the call to %s ended early: %s\n", dom, e);
        break;
    case QREXEC_CALL_STEP_NOTIFY:
        fprintf(stderr, "qrexec-client: the calling VM's daemon did not take the call: %s\n", e);
        break;
    }
}

/* -k: qvmd kills the VM. A failure is one line, and status 125 unless the
 * call itself already failed. */
static int kill_domain(const char *dom, int status, bool call_failed)
{
    const char *sock = qrexec_admin_socket();
    char why[512];
    int r = qrexec_admin_kill(sock, dom, why, sizeof(why));

    if (r == 0)
        return status;
    if (r == -EREMOTEIO)
        fprintf(stderr, "qrexec-client: qvmd did not kill %s: %s\n", dom, why);
    else if (r == -EPROTO)
        fprintf(stderr, "qrexec-client: qvmd at %s gave no valid answer to killing %s\n", sock,
                dom);
    else
        fprintf(stderr, "qrexec-client: cannot reach qvmd at %s to kill %s: %s\n", sock, dom,
                strerror(-r));
    return call_failed ? status : QREXEC_EXIT_PROBLEM;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"socket-dir", required_argument, NULL, 'S'},
                                         {"no-exit-code", no_argument, NULL, 'E'},
                                         {"prefix-data", required_argument, NULL, 'p'},
                                         {"use-stdin-socket", no_argument, NULL, 'U'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct qrexec_dom0_call call = {.socket_dir = QREXEC_CALL_SOCKET_DIR};
    struct qrexec_call_io io = {.in_fd = -1, .out_fd = -1, .err_fd = -1};
    struct qrexec_call_status st = {.exit_code = QREXEC_EXIT_PROBLEM};
    struct qrexec_call_waiting waiting;
    const char *local = NULL, *cspec = NULL, *prefix = NULL;
    bool no_exit_code = false, wait_daemon = false, kill_after = false;
    bool stdin_socket = false, filter_out = false, filter_err = false, to_dom0;
    unsigned long timeout_s = 5;
    int c, r, status;

    log_init(argv[0]);
    while ((c = getopt_long(argc, argv, "+d:l:c:eEtTWw:kp:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            call.domain = optarg;
            break;
        case 'l':
            local = optarg;
            break;
        case 'c':
            cspec = optarg;
            break;
        case 'e':
            call.just_exec = true;
            break;
        case 'E':
            no_exit_code = true;
            break;
        case 't':
            filter_out = true;
            break;
        case 'T':
            filter_err = true;
            break;
        case 'W':
            wait_daemon = true;
            break;
        case 'w':
            if (!qrexec_call_parse_uint(optarg, INT_MAX / 1000, &timeout_s))
                return bad_usage("-w takes a number of seconds (0: no limit)");
            break;
        case 'k':
            kill_after = true;
            break;
        case 'p':
            prefix = optarg;
            break;
        case 'U':
            stdin_socket = true;
            break;
        case 'S':
            call.socket_dir = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (!call.domain || optind != argc - 1) {
        usage(stderr);
        return EXIT_USAGE;
    }
    call.cmdline = argv[optind];
    call.timeout_ms = (int)timeout_s * 1000;
    to_dom0 = qrexec_classify_target(call.domain, NULL) == QREXEC_TARGET_ADMINVM;
    if (!!local + !!cspec + call.just_exec > 1)
        return bad_usage("-l, -c and -e exclude each other");
    if (stdin_socket && (local || cspec))
        return bad_usage("--use-stdin-socket excludes -l and -c");
    if (prefix && (cspec || call.just_exec))
        return bad_usage("-p sends data, which -c and -e do not");
    if (to_dom0 && !cspec)
        return bad_usage("a call to dom0 is the answer to a VM's call: it needs -c");
    if (to_dom0 && kill_after)
        return bad_usage("-k cannot kill dom0");
    if (cspec && qrexec_call_parse_waiting(cspec, &waiting) < 0)
        return bad_usage("-c takes REQID,SRC,SRCID: a request id of at most 31 characters "
                         "[0-9A-Za-z_.- ], a qube name and its domain id");
    if (to_dom0 && !qrexec_call_dom0_cmdline_ok(call.cmdline))
        return bad_usage("a call to dom0 runs [USER:]QUBESRPC SERVICE[+ARG] SOURCE "
                         "[name|keyword TARGET]");
    signal(SIGPIPE, SIG_IGN);

    if (to_dom0) {
        /* returns only if the service could not start */
        r = qrexec_call_serve_dom0(&call, &waiting, &st);
        report(waiting.source, call.socket_dir, &st, r);
        return QREXEC_EXIT_PROBLEM;
    }
    if (cspec) {
        r = qrexec_call_connect(&call, &waiting, wait_daemon, &st);
    } else {
        char *largv[] = {"/bin/sh", "-c", (char *)local, NULL};
        if (local) {
            io.local_argv = largv;
            io.err_fd = dup(2);
        } else if (!call.just_exec && qrexec_call_io_stdio(&io, stdin_socket) < 0) {
            return bad_usage("--use-stdin-socket: standard input is not a stream socket");
        }
        io.prefix = prefix;
        io.prefix_len = prefix ? strlen(prefix) : 0;
        io.filter_stdout = filter_out;
        io.filter_stderr = filter_err;
        r = qrexec_call_dom0(&call, &io, &st);
    }
    if (r < 0)
        report(call.domain, call.socket_dir, &st, r);
    status = r < 0 ? QREXEC_EXIT_PROBLEM : no_exit_code ? 0 : st.exit_code;
    if (kill_after)
        status = kill_domain(call.domain, status, r < 0);
    return status;
}
