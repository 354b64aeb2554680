/* qvm-sync-clock (VM): sets the qube's clock from dom0's. Calls
 * qubes.GetDate (policy sends @default to dom0), checks the reply with the
 * strict parser of validate.c and, as root, sets CLOCK_REALTIME.
 *
 * dom0 is trusted, but a reply is still bytes from another domain: it is
 * read bounded and parsed by a pure, fuzzed function before use. */
#include "lib/io.h"
#include "lib/log.h"
#include "vm-agent/services/validate.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QREXEC_CLIENT_VM "/usr/bin/qrexec-client-vm"

static void usage(FILE *f)
{
    fprintf(f, "usage: qvm-sync-clock [--dry-run]\n"
               "Sets this qube's clock to dom0's time (service qubes.GetDate).\n"
               "  -n, --dry-run  print the time dom0 sent; do not set the clock\n"
               "  -h, --help     this text\n");
}

/* Runs the call; up to max bytes of its output into buf. The byte count,
 * or -1 (message printed). */
static ssize_t get_date(char *buf, size_t max)
{
    const char *client = getenv("BULKHEAD_QREXEC_CLIENT_VM");
    int p[2], st;
    size_t got = 0;
    ssize_t r;
    pid_t pid;

    if (!client || !*client)
        client = QREXEC_CLIENT_VM;
    if (pipe(p) < 0)
        fatal("pipe");
    pid = fork();
    if (pid < 0)
        fatal("fork");
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execl(client, client, "@default", "qubes.GetDate", (char *)NULL);
        fprintf(stderr, "qvm-sync-clock: cannot run %s: %s\n", client, strerror(errno));
        _exit(127);
    }
    close(p[1]);
    /* one byte more than allowed tells an over-long reply */
    while (got < max && (r = read(p[0], buf + got, max - got)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        got += (size_t)r;
    }
    close(p[0]);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "qvm-sync-clock: the qubes.GetDate call failed (status %d)\n",
                WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        return -1;
    }
    return (ssize_t)got;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dry-run", no_argument, NULL, 'n'}, {"help", no_argument, NULL, 'h'}, {0}};
    char untrusted_reply[SVC_DATE_LEN + 2], when[64];
    bool dry_run = false;
    int64_t t;
    ssize_t n;
    int o;

    log_init("qvm-sync-clock");
    while ((o = getopt_long(argc, argv, "nh", opts, NULL)) != -1) {
        switch (o) {
        case 'n':
            dry_run = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    n = get_date(untrusted_reply, sizeof(untrusted_reply));
    if (n < 0)
        return 1;
    if (svc_parse_date(untrusted_reply, (size_t)n, &t) < 0) {
        fprintf(stderr, "qvm-sync-clock: dom0's reply is not a UTC date: \"%s\"\n",
                LOG_UNTRUSTED(untrusted_reply, (size_t)n));
        return 1;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
    if (dry_run) {
        printf("%s %lld\n", when, (long long)t);
        return 0;
    }
    struct timespec ts = {.tv_sec = tt, .tv_nsec = 0};
    if (clock_settime(CLOCK_REALTIME, &ts) < 0) {
        fprintf(stderr, "qvm-sync-clock: cannot set the clock to %s: %s%s\n", when, strerror(errno),
                errno == EPERM ? " (run as root)" : "");
        return 1;
    }
    log_info("clock set to %s", when);
    return 0;
}
