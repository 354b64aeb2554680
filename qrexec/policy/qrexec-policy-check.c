/* qrexec-policy-check: loads the v5 policy as the policy daemon would and
 * says whether it is good (dom0). See docs/man/qrexec-policy-check.8.
 *
 *   qrexec-policy-check [-n] [--dir DIR]... [--print]
 *
 * -n: check only, silent when good. --print: the normalized table, one
 * line per rule in decision order (the golden tests compare it). Neither:
 * one summary line. Exit 0 good, 1 the policy has an error (one line on
 * stderr naming FILE:LINE), 2 bad usage. */
#include "qrexec/policy/v5.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIRS 16

static void usage(FILE *f)
{
    fprintf(f, "usage: qrexec-policy-check [-n] [--dir DIR]... [--print]\n"
               "  -n           check only: no output when the policy is good\n"
               "  --dir DIR    read policy files from DIR (repeatable; default\n"
               "               " V5_POLICY_DIR " then " V5_RUN_DIR ")\n"
               "  --print      print the normalized rules, one per line, in order\n"
               "  --help       this text\n"
               "exit: 0 good, 1 policy error, 2 usage\n");
}

static void warn_stderr(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "qrexec-policy-check: warning: %s\n", msg);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"dir", required_argument, NULL, 'd'},
                                             {"print", no_argument, NULL, 'p'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *dirs[MAX_DIRS];
    size_t ndirs = 0;
    bool check_only = false, print = false;
    struct v5_load_options opts = {warn_stderr, NULL, NULL};
    struct v5_policy p;
    char err[V5_ERROR_MAX], line[2 * V5_LINE_MAX];
    int c;

    while ((c = getopt_long(argc, argv, "n", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            check_only = true;
            break;
        case 'd':
            if (ndirs == MAX_DIRS) {
                fprintf(stderr, "qrexec-policy-check: at most %d --dir\n", MAX_DIRS);
                return 2;
            }
            dirs[ndirs++] = optarg;
            break;
        case 'p':
            print = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc || (check_only && print)) {
        usage(stderr);
        return 2;
    }
    if (ndirs == 0) {
        dirs[ndirs++] = V5_POLICY_DIR;
        dirs[ndirs++] = V5_RUN_DIR;
    }
    if (v5_load_with(&v5_files_system, dirs, ndirs, &opts, &p, err) < 0) {
        fprintf(stderr, "qrexec-policy-check: %s\n", err);
        return 1;
    }
    for (size_t i = 0; print && i < p.count; i++) {
        if (v5_format_rule(&p.rules[i], line, sizeof(line)) < 0) {
            /* cannot happen for a parsed rule; fail rather than print half */
            fprintf(stderr, "qrexec-policy-check: %s:%d: cannot format the rule\n", p.rules[i].file,
                    p.rules[i].line);
            v5_policy_free(&p);
            return 1;
        }
        printf("%s\n", line);
    }
    if (!print && !check_only)
        printf("policy ok: %zu rules\n", p.count);
    v5_policy_free(&p);
    if (fflush(stdout) != 0)
        return 1;
    return 0;
}
