/* qvm-shutdown: ask qubes to shut down and, with --wait, wait until they
 * have; a qube still running when its time is up is killed, as a Qubes
 * user expects.
 *
 * Waiting listens to admin.Events (subscribed before the first shutdown
 * is asked, so no event can be missed) and re-reads the states with one
 * admin.vm.List whenever a watched qube has an event. The list is also
 * re-read every few seconds, so a lost event or a qvmd without events
 * costs time, never a qube killed that had already halted. */
#include "dom0/tools/lib/cli.h"
#include "dom0/tools/lib/events.h"
#include "dom0/tools/lib/vmsel.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How often the states are re-read while waiting, events or not. */
#define RECHECK_MS 2000
/* When neither --timeout nor the qube's shutdown_timeout can be had
 * (qvmd's own default for the property). */
#define DEFAULT_TIMEOUT_S 60

static void usage(FILE *f)
{
    fprintf(f, "usage: qvm-shutdown [options] QUBE...\n"
               "       qvm-shutdown [options] --all [--exclude QUBE]...\n"
               "Ask qubes to shut down.\n"
               "  --wait            wait until they have halted; kill the ones still running\n"
               "                    after the timeout\n"
               "  --timeout SEC     with --wait: how long (default: each qube's\n"
               "                    shutdown_timeout property)\n"
               "  --force           shut down even a qube others depend on (implied by --all)\n"
               "  --all             every qube but dom0\n"
               "  --exclude QUBE    with --all: leave QUBE out (repeatable)\n"
               "  -q, --quiet       print only errors\n"
               "  -v, --verbose     say when each qube has halted\n"
               "  -h, --help        this text\n"
               "Exit: 0 done, 1 qvmd refused or failed for some qube, 2 usage.\n");
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --timeout: seconds, a fraction allowed as in Qubes; above 0, at most a day. */
static long long parse_timeout(const char *s)
{
    char *end;
    double d = strtod(s, &end);

    if (end == s || *end || !(d > 0) || d > 86400)
        cli_usage("--timeout takes a number of seconds above 0 (at most 86400)");
    return (long long)(d * 1000);
}

/* Each qube's shutdown_timeout in ms, all asked at once. */
static void qube_timeouts(const struct vmsel_list *l, long long *ms)
{
    struct qadmin_req *req = calloc(l->n, sizeof(*req));
    struct qadmin_result *res = calloc(l->n, sizeof(*res));

    for (size_t i = 0; i < l->n; i++)
        ms[i] = DEFAULT_TIMEOUT_S * 1000LL;
    if (!req || !res) {
        free(req);
        free(res);
        return;
    }
    for (size_t i = 0; i < l->n; i++)
        req[i] = (struct qadmin_req){"admin.vm.property.Get", "shutdown_timeout", l->vm[i].name,
                                     NULL, 0};
    qadmin_call_many(req, res, l->n);
    for (size_t i = 0; i < l->n; i++) {
        struct qadmin_prop p;
        char num[16];
        if (res[i].status == 0 && qadmin_parse_prop(res[i].data, false, &p) == 0 &&
            p.value.len > 0 && p.value.len < sizeof(num)) {
            memcpy(num, p.value.p, p.value.len);
            num[p.value.len] = 0;
            long v = strtol(num, NULL, 10);
            if (v > 0)
                ms[i] = v * 1000LL;
        }
        qadmin_result_free(&res[i]);
    }
    free(req);
    free(res);
}

/* The qubes still being waited for: waiting[i] says whether l->vm[i] is. */
static size_t count(const bool *waiting, size_t n)
{
    size_t c = 0;

    for (size_t i = 0; i < n; i++)
        c += waiting[i];
    return c;
}

/* Waits until each waited-for qube is down or past its deadline (then
 * kills it). Returns CLI_OK or CLI_FAIL. */
static int wait_all(struct vmsel_list *l, bool *waiting, const long long *deadline,
                    const long long *timeout_ms, struct qadmin_events *ev, bool have_events,
                    int verbose)
{
    bool refresh = true;
    long long last_check = 0;
    int rc = CLI_OK;

    while (count(waiting, l->n)) {
        long long t = now_ms(), next = t + RECHECK_MS;
        if (refresh || t - last_check >= RECHECK_MS) {
            if (vmsel_refresh(l) < 0)
                return CLI_FAIL;
            last_check = t;
            refresh = false;
            for (size_t i = 0; i < l->n; i++)
                if (waiting[i] && vmsel_is_down(&l->vm[i])) {
                    waiting[i] = false;
                    if (verbose > 0)
                        printf("%s: halted\n", l->vm[i].name);
                }
        }
        for (size_t i = 0; i < l->n; i++) {
            if (!waiting[i])
                continue;
            if (deadline[i] > t) {
                if (deadline[i] < next)
                    next = deadline[i];
                continue;
            }
            struct qadmin_req req = {"admin.vm.Kill", NULL, l->vm[i].name, NULL, 0};
            struct qadmin_result res;
            int r = qadmin_call(&req, &res);
            waiting[i] = false;
            if (r == 0 || (r == -EREMOTEIO && !strcmp(res.type, "QubesVMNotStartedError"))) {
                if (verbose >= 0 && r == 0)
                    cli_err("%s did not shut down within %g s: killed", l->vm[i].name,
                            (double)timeout_ms[i] / 1000);
            } else {
                cli_err("%s did not shut down within %g s and cannot be killed: %s", l->vm[i].name,
                        (double)timeout_ms[i] / 1000, res.msg);
                rc = CLI_FAIL;
            }
            qadmin_result_free(&res);
        }
        if (!count(waiting, l->n))
            break;
        int wait_ms = next > t ? (int)(next - now_ms()) : 0;
        if (wait_ms < 0)
            wait_ms = 0;
        if (have_events) {
            struct qadmin_event e;
            int r = qadmin_events_next(ev, wait_ms, &e);
            if (r < 0) {
                have_events = false; /* the periodic re-read carries on alone */
                continue;
            }
            for (size_t i = 0; r == 1 && i < l->n; i++)
                if (waiting[i] && qadmin_str_eq(e.subject, l->vm[i].name))
                    refresh = true;
        } else {
            poll(NULL, 0, wait_ms);
        }
    }
    return rc;
}

int main(int argc, char **argv)
{
    enum { O_WAIT = 256, O_TIMEOUT, O_FORCE };
    static const struct option opts[] = {VMSEL_OPTIONS,
                                         {"wait", no_argument, NULL, O_WAIT},
                                         {"timeout", required_argument, NULL, O_TIMEOUT},
                                         {"force", no_argument, NULL, O_FORCE},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct vmsel sel = {0};
    struct vmsel_list l;
    struct qadmin_events ev = {.fd = -1};
    bool wait = false, force = false, have_events = false, *waiting;
    long long timeout = 0, *deadline, *timeout_ms;
    int c, verbose = 0, rc = CLI_OK;

    cli_prog = "qvm-shutdown";
    opterr = 0; /* one line of error: ours */
    while ((c = getopt_long(argc, argv, "qvh", opts, NULL)) != -1) {
        switch (c) {
        case VMSEL_OPT_ALL:
        case VMSEL_OPT_EXCLUDE:
            vmsel_option(&sel, c, optarg);
            break;
        case O_WAIT:
            wait = true;
            break;
        case O_TIMEOUT:
            timeout = parse_timeout(optarg);
            break;
        case O_FORCE:
            force = true;
            break;
        case 'q':
            verbose = -1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            cli_usage("unknown option or missing value: %s (see qvm-shutdown --help)",
                      argv[optind - 1]);
        }
    }
    if (timeout && !wait)
        cli_usage("--timeout works only with --wait");
    if (vmsel_resolve(&sel, argv + optind, (size_t)(argc - optind), NULL, &l) < 0)
        return CLI_FAIL;
    force = force || sel.all; /* as in Qubes: everything goes down anyway */
    waiting = calloc(l.n + 1, sizeof(*waiting));
    deadline = calloc(l.n + 1, sizeof(*deadline));
    timeout_ms = calloc(l.n + 1, sizeof(*timeout_ms));
    if (!waiting || !deadline || !timeout_ms) {
        cli_err("out of memory");
        return CLI_FAIL;
    }
    if (wait) {
        char msg[512];
        /* before the first request: from here on no event is missed */
        have_events = qadmin_events_open(&ev, "dom0", msg, sizeof(msg)) == 0;
        if (!have_events && verbose > 0)
            printf("no events from qvmd (%s): checking the states every %d s\n", msg,
                   RECHECK_MS / 1000);
        if (timeout)
            for (size_t i = 0; i < l.n; i++)
                timeout_ms[i] = timeout;
        else
            qube_timeouts(&l, timeout_ms);
    }
    for (size_t i = 0; i < l.n; i++) {
        struct qadmin_req req = {"admin.vm.Shutdown", force ? "force" : NULL, l.vm[i].name, NULL,
                                 0};
        struct qadmin_result res;
        int r;
        if (vmsel_is_down(&l.vm[i])) {
            if (verbose >= 0 && !sel.all)
                printf("%s: already halted\n", l.vm[i].name);
            continue;
        }
        r = qadmin_call(&req, &res);
        if (r == -EREMOTEIO && !strcmp(res.type, "QubesVMNotStartedError")) {
            if (verbose >= 0 && !sel.all)
                printf("%s: already halted\n", l.vm[i].name);
        } else if (r < 0) {
            cli_err("%s: %s", l.vm[i].name, res.msg);
            rc = CLI_FAIL;
        } else {
            waiting[i] = wait;
            deadline[i] = now_ms() + timeout_ms[i];
            if (verbose > 0)
                printf("%s: shutdown asked\n", l.vm[i].name);
        }
        qadmin_result_free(&res);
    }
    if (wait && wait_all(&l, waiting, deadline, timeout_ms, &ev, have_events, verbose) != CLI_OK)
        rc = CLI_FAIL;
    if (ev.fd >= 0)
        qadmin_events_close(&ev);
    free(waiting);
    free(deadline);
    free(timeout_ms);
    vmsel_free(&l);
    return rc;
}
