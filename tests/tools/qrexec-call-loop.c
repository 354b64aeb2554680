/* qrexec-call-loop: makes N sequential qrexec calls in one process with the
 * call library (qrexec/client/call.h), for the benchmarks: the cost of a
 * call without the cost of starting a client program for each.
 *
 *   qrexec-call-loop --dom0 DOM --socket-dir DIR -n N USER:CMD
 *   qrexec-call-loop --vm TARGET --agent-socket PATH -n N SERVICE[+ARG]
 *
 * Each call gets no input (EOF at once) and its output is discarded; every
 * exit code must be 0. Prints one line:
 *   calls=N wall_s=SECONDS cpu_s=SECONDS
 * with the process's CPU time (getrusage, self and children). Exit status
 * 0, 1 if a call failed (a line says which), 2 for bad usage. */
#include "qrexec/client/call.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static int usage(void)
{
    fprintf(stderr, "usage: qrexec-call-loop (--dom0 DOM --socket-dir DIR | --vm TARGET "
                    "--agent-socket PATH) -n N USER:CMD|SERVICE\n");
    return 2;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"dom0", required_argument, NULL, 'd'},
                                         {"socket-dir", required_argument, NULL, 'S'},
                                         {"vm", required_argument, NULL, 'v'},
                                         {"agent-socket", required_argument, NULL, 'a'},
                                         {NULL, 0, NULL, 0}};
    struct qrexec_dom0_call dc = {.timeout_ms = 5000};
    struct qrexec_vm_call vc = {.timeout_ms = 60000};
    struct timespec t0, t1;
    struct rusage self, children;
    unsigned long n = 0;
    int c;

    while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dc.domain = optarg;
            break;
        case 'S':
            dc.socket_dir = optarg;
            break;
        case 'v':
            vc.target = optarg;
            break;
        case 'a':
            vc.agent_socket = optarg;
            break;
        case 'n':
            if (!qrexec_call_parse_uint(optarg, 1000000000, &n) || n == 0)
                return usage();
            break;
        default:
            return usage();
        }
    }
    if (optind != argc - 1 || !n || !dc.domain == !vc.target ||
        (dc.domain && (!dc.socket_dir || vc.agent_socket)) ||
        (vc.target && (!vc.agent_socket || dc.socket_dir)))
        return usage();
    dc.cmdline = vc.service = argv[optind];
    signal(SIGPIPE, SIG_IGN);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned long i = 0; i < n; i++) {
        struct qrexec_call_io io = {.in_fd = -1, .out_fd = -1, .err_fd = dup(2)};
        struct qrexec_call_status st;
        int r = dc.domain ? qrexec_call_dom0(&dc, &io, &st) : qrexec_call_vm(&vc, &io, &st);

        if (r < 0 || st.exit_code != 0) {
            static const char *const steps[] = {"connect", "request", "data link",
                                                "local program", "data", "notify"};
            fprintf(stderr, "qrexec-call-loop: call %lu of %lu %s: %s (step: %s)\n", i + 1, n,
                    r < 0 ? "failed" : "exited non-zero",
                    r < 0 ? strerror(-r) : "see its exit code",
                    r < 0 && st.step < sizeof(steps) / sizeof(steps[0]) ? steps[st.step] : "-");
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    printf("calls=%lu wall_s=%.6f cpu_s=%.6f\n", n,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
           seconds(self.ru_utime) + seconds(self.ru_stime) + seconds(children.ru_utime) +
               seconds(children.ru_stime));
    return 0;
}
