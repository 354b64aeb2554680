/* qrexec-policy-exec (dom0): the program form of the policy daemon, which
 * qrexec-daemon runs when nothing answers on the policy socket.
 *
 *   qrexec-policy-exec [--policy-dir DIR]... [--system FILE]
 *                      [--agent-socket PATH] [--ask-timeout SECONDS]
 *                      [--just-evaluate] [--assume-yes-for-ask]
 *                      -- SOURCE TARGET SERVICE[+ARG]
 *
 * Prints the same key=value reply as the daemon (decide_reply). Exit 0 on a
 * decision (deny included), 1 if the policy or the qube list cannot be
 * read (qrexec-daemon then denies), 2 for bad usage. */
#include "lib/log.h"
#include "qrexec/policy/decide.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: qrexec-policy-exec [--policy-dir DIR]... [--system FILE] "
               "[--agent-socket PATH]\n"
               "                          [--ask-timeout SECONDS] [--just-evaluate] "
               "[--assume-yes-for-ask]\n"
               "                          -- SOURCE TARGET SERVICE[+ARG]\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"policy-dir", required_argument, NULL, 'd'},
                                         {"system", required_argument, NULL, 'y'},
                                         {"agent-socket", required_argument, NULL, 'a'},
                                         {"ask-timeout", required_argument, NULL, 't'},
                                         {"just-evaluate", no_argument, NULL, 'j'},
                                         {"assume-yes-for-ask", no_argument, NULL, 'Y'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dirs[DECIDE_MAX_DIRS], *system_file = DECIDE_SYSTEM_FILE;
    struct decide_opts o = {.ask_timeout_ms = 120 * 1000};
    char service[V5_NAME_MAX], arg[V5_NAME_MAX], err[V5_ERROR_MAX], reply[DECIDE_REPLY_MAX];
    struct engine e = {0};
    struct v5_decision d;
    struct v5_request req;
    size_t ndirs = 0;
    bool would_ask;
    int c, rc, len;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (ndirs == DECIDE_MAX_DIRS)
                return 2;
            dirs[ndirs++] = optarg;
            break;
        case 'y':
            system_file = optarg;
            break;
        case 'a':
            o.agent_socket = optarg;
            break;
        case 't':
            o.ask_timeout_ms = atoi(optarg) * 1000;
            break;
        case 'j':
            o.just_evaluate = true;
            break;
        case 'Y':
            o.assume_yes_for_ask = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind != 3 || o.ask_timeout_ms <= 0 ||
        decide_split_service(argv[optind + 2], service, arg) < 0) {
        usage(stderr);
        return 2;
    }
    if (!ndirs) {
        dirs[ndirs++] = V5_POLICY_DIR;
        dirs[ndirs++] = V5_RUN_DIR;
    }
    log_init("qrexec-policy-exec");
    signal(SIGPIPE, SIG_IGN);
    if (engine_load_policy(&e, dirs, ndirs, err) < 0 ||
        engine_load_system(&e, system_file, err) < 0) {
        fprintf(stderr, "qrexec-policy-exec: %s\n", err);
        engine_free(&e);
        return 1;
    }
    req = (struct v5_request){argv[optind], argv[optind + 1], service, arg};
    rc = v5_evaluate_indexed(&e.policy, e.index, &e.sys, &req, &d);
    decide_settle(&req, rc, &d, &o, &would_ask);
    len = decide_reply(&d, argv[optind + 1], would_ask, reply, sizeof(reply));
    v5_decision_free(&d);
    engine_free(&e);
    if (len < 0)
        return 1;
    fwrite(reply, 1, (size_t)len, stdout);
    return 0;
}
