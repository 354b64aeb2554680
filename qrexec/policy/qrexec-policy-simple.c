/* qrexec-policy-simple: the interim policy (dom0), until the v5 engine of
 * issue 4. Decides from one file of rules (see qrexec/policy/simple.h and
 * docs/qrexec.md), either as the program qrexec-daemon runs when no policy
 * daemon answers, or as that daemon itself.
 *
 *   qrexec-policy-simple [--file FILE] -- SOURCE TARGET SERVICE[+ARG]
 *   qrexec-policy-simple [--file FILE] -n      (check the file and exit)
 *   qrexec-policy-simple [--file FILE] --daemon [--socket PATH]
 *
 * Prints key=value lines: result=allow with target= and user= (if set),
 * or result=deny. Exit 0 on a decision, 1 if the policy cannot be read
 * (which the daemon treats as deny), 2 for bad usage.
 *
 * --daemon answers the policy-daemon line protocol on PATH (default
 * /run/qubes/policy.sock), one request per connection, so a call costs no
 * process start; the file is read again when it changes, and a file that
 * fails to parse leaves the previous rules in force. */
#include "lib/io.h"
#include "lib/log.h"
#include "qrexec/policy/request.h"
#include "qrexec/policy/simple.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/qubes/policy.sock"
#define DEFAULT_FILE   "/etc/bulkhead/qrexec-simple.policy"
#define MAX_FILE       (1 << 20)

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

/* The rules in force, and which version of the file they came from. */
struct loaded {
    struct simple_policy p;
    struct stat st;
};

static void reload_if_changed(const char *file, struct loaded *l)
{
    struct simple_policy fresh;
    struct stat st;

    if (stat(file, &st) < 0 ||
        (st.st_ino == l->st.st_ino && st.st_size == l->st.st_size &&
         st.st_mtim.tv_sec == l->st.st_mtim.tv_sec && st.st_mtim.tv_nsec == l->st.st_mtim.tv_nsec))
        return;
    if (load(file, &fresh) < 0) {
        log_warnx("%s changed but does not load; the previous rules stay in force", file);
        l->st = st; /* say it once per change */
        return;
    }
    simple_policy_free(&l->p);
    l->p = fresh;
    l->st = st;
    log_info("%s: %zu rules loaded", file, l->p.count);
}

static void answer(int c, const struct simple_policy *p)
{
    char req[POLICY_REQUEST_MAX], reply[512], err[128];
    struct timeval tv = {.tv_sec = 2};
    struct policy_request r;
    struct simple_decision d;
    size_t n = 0, end = 0;
    int len;

    /* the daemon writes its request at once: a slow peer is cut off */
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while (!end && n < sizeof(req)) {
        ssize_t got = read(c, req + n, sizeof(req) - n);
        if (got <= 0)
            return;
        n += (size_t)got;
        end = policy_request_end(req, n);
    }
    if (!end || policy_parse_request(req, end, &r, err, sizeof(err)) < 0) {
        log_warnx("refusing a malformed policy request: %s", end ? err : "too long");
        len = snprintf(reply, sizeof(reply), "result=deny\n");
    } else if (r.requested_source[0] && strcmp(r.requested_source, r.source)) {
        /* one qube calling for another needs rules about who may relay,
         * which this file format cannot say: the v5 engine decides those */
        log_info("denying %s from %s on behalf of %s: relayed calls need the v5 policy",
                 r.service_and_arg, r.source, r.requested_source);
        len = snprintf(reply, sizeof(reply), "result=deny\n");
    } else {
        simple_policy_eval(p, r.source, r.intended_target, r.service_and_arg, &d);
        if (d.allow)
            len = snprintf(reply, sizeof(reply),
                           "result=allow\ntarget=%s\nautostart=True\nrequested_target=%s\n"
                           "%s%s%s",
                           d.target, r.intended_target, d.user[0] ? "user=" : "", d.user,
                           d.user[0] ? "\n" : "");
        else
            len = snprintf(reply, sizeof(reply), "result=deny\n");
    }
    if (len > 0 && (size_t)len < sizeof(reply))
        io_write_full(c, reply, (size_t)len);
}

static int serve(const char *file, const char *path)
{
    struct loaded l = {.p = {0}};
    int lfd;

    if (load(file, &l.p) < 0 || stat(file, &l.st) < 0)
        return 1;
    unlink(path);
    lfd = io_unix_listen(path, 64);
    if (lfd < 0) {
        fprintf(stderr, "qrexec-policy-simple: cannot listen on %s: %s\n", path, strerror(-lfd));
        return 1;
    }
    log_info("answering policy requests on %s from %s", path, file);
    for (;;) {
        int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        reload_if_changed(file, &l);
        answer(c, &l.p);
        close(c);
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"file", required_argument, NULL, 'f'},
                                         {"daemon", no_argument, NULL, 'D'},
                                         {"socket", required_argument, NULL, 'S'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *file = getenv("BULKHEAD_SIMPLE_POLICY"), *sock = DEFAULT_SOCKET;
    struct simple_policy p;
    struct simple_decision d;
    int c, check = 0, daemon_mode = 0;

    if (!file)
        file = DEFAULT_FILE;
    while ((c = getopt_long(argc, argv, "f:nh", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            file = optarg;
            break;
        case 'n':
            check = 1;
            break;
        case 'D':
            daemon_mode = 1;
            break;
        case 'S':
            sock = optarg;
            break;
        case 'h':
            printf("usage: qrexec-policy-simple [--file FILE] -- SOURCE TARGET SERVICE[+ARG]\n"
                   "       qrexec-policy-simple [--file FILE] -n\n"
                   "       qrexec-policy-simple [--file FILE] --daemon [--socket PATH]\n");
            return 0;
        default:
            return 2;
        }
    }
    if (daemon_mode && (check || optind != argc)) {
        fprintf(stderr, "usage: qrexec-policy-simple [--file FILE] --daemon [--socket PATH]\n");
        return 2;
    }
    if (daemon_mode) {
        log_init("qrexec-policy-simple");
        signal(SIGPIPE, SIG_IGN);
        return serve(file, sock);
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
