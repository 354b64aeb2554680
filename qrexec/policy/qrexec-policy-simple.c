/* qrexec-policy-simple: the interim policy program qrexec-daemon runs when
 * no policy daemon answers (dom0). Decides from one file of rules (see
 * qrexec/policy/simple.h and docs/qrexec.md).
 *
 *   qrexec-policy-simple [--file FILE] -- SOURCE TARGET SERVICE[+ARG]
 *   qrexec-policy-simple [--file FILE] -n      (check the file and exit)
 *
 * Prints key=value lines: result=allow with target= and user= (if set),
 * or result=deny. Exit 0 on a decision, 1 if the policy cannot be read
 * (which the daemon treats as deny), 2 for bad usage. */
#include "qrexec/policy/simple.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_FILE "/etc/bulkhead/qrexec-simple.policy"
#define MAX_FILE (1 << 20)

static int load(const char *path, struct simple_policy *p)
{
    static char text[MAX_FILE];
    char err[160];
    ssize_t n = 0, r;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        fprintf(stderr, "qrexec-policy-simple: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((r = read(fd, text + n, sizeof(text) - (size_t)n)) > 0)
        n += r;
    close(fd);
    if (r < 0 || n == (ssize_t)sizeof(text)) {
        fprintf(stderr, "qrexec-policy-simple: %s: unreadable or larger than 1 MiB\n", path);
        return -1;
    }
    if (simple_policy_parse(text, (size_t)n, p, err, sizeof(err)) < 0) {
        fprintf(stderr, "qrexec-policy-simple: %s: %s\n", path, err);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"file", required_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *file = getenv("BULKHEAD_SIMPLE_POLICY");
    struct simple_policy p;
    struct simple_decision d;
    int c, check = 0;

    if (!file)
        file = DEFAULT_FILE;
    while ((c = getopt_long(argc, argv, "f:nh", opts, NULL)) != -1) {
        switch (c) {
        case 'f': file = optarg; break;
        case 'n': check = 1; break;
        case 'h':
            printf("usage: qrexec-policy-simple [--file FILE] -- SOURCE TARGET SERVICE[+ARG]\n"
                   "       qrexec-policy-simple [--file FILE] -n\n");
            return 0;
        default: return 2;
        }
    }
    if (check ? optind != argc : argc - optind != 3) {
        fprintf(stderr, "usage: qrexec-policy-simple [--file FILE] -- SOURCE TARGET "
                        "SERVICE[+ARG]\n");
        return 2;
    }
    if (load(file, &p) < 0)
        return 1;
    if (check) {
        printf("%s: %zu rules, OK\n", file, p.count);
        simple_policy_free(&p);
        return 0;
    }
    simple_policy_eval(&p, argv[optind], argv[optind + 1], argv[optind + 2], &d);
    if (d.allow) {
        printf("result=allow\ntarget=%s\n", d.target);
        if (d.user[0])
            printf("user=%s\n", d.user);
        printf("autostart=True\n");
    } else {
        printf("result=deny\n");
    }
    simple_policy_free(&p);
    return 0;
}
