/* qvm-start-daemon: runs the GUI daemon of each running qube in the dom0
 * user's session, as Qubes users know it.
 *
 *   qvm-start-daemon [--all] [--watch] [--force] [--kill]
 *                    [--gui-daemon PATH] [QUBE...]
 *
 * Without --watch it makes each chosen qube's daemon run (or, with --kill,
 * not run) and exits. With --watch it then follows qvmd's admin.Events:
 * domain-start starts a daemon, domain-shutdown / domain-stopped /
 * domain-delete stop it, a label change restarts it in the new colour, a
 * change of the `gui` feature starts or stops it. When the event stream
 * ends (qvmd restarted) it reconnects, backing off, and brings every
 * chosen qube's daemon back in line with the qube's state. */
#include "dom0/tools/lib/cli.h"
#include "dom0/tools/lib/events.h"
#include "dom0/tools/start_daemon_guid.h"
#include "dom0/tools/start_daemon_qube.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GUI_DAEMON_ENV     "BULKHEAD_GUI_DAEMON"
#define GUI_DAEMON_DEFAULT "gui-daemon"
#define NAMES_MAX          256

static void usage(FILE *f)
{
    fprintf(f, "usage: qvm-start-daemon [options] --all | QUBE...\n"
               "Run the GUI daemon of each running qube (that should have a GUI).\n"
               "  --all              every qube\n"
               "  --watch            keep running: follow qvmd's events, starting and\n"
               "                     stopping daemons as qubes start and stop\n"
               "  --force            restart daemons that already run\n"
               "  --kill             stop the daemons of the chosen qubes instead\n"
               "  --gui-daemon PATH  the GUI daemon to run (default $" GUI_DAEMON_ENV
               ", else " GUI_DAEMON_DEFAULT " from PATH)\n"
               "  -h, --help         this text\n"
               "Exit: 0 done (--watch: stopped by a signal), 1 a daemon could not be\n"
               "started or qvmd refused, 2 usage.\n");
}

static struct {
    const char *prog;
    bool all, force;
    char *const *names;
    size_t nnames;
} opt;

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static bool chosen(const char *name)
{
    if (opt.all)
        return strcmp(name, "dom0") != 0;
    for (size_t i = 0; i < opt.nnames; i++)
        if (strcmp(opt.names[i], name) == 0)
            return true;
    return false;
}

static void say(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const char *name, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: %s: ", cli_prog, name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Starts q's daemon (restarting it with restart) when q runs and should
 * have a GUI, stops it otherwise. 0, or -1 if it should run and could not
 * be started. */
static int sync_qube(struct sd_qube *q, bool restart)
{
    char err[512];
    pid_t pid;

    if (!sd_state_runs(q->state) || !sd_wants_gui(q)) {
        if ((pid = guid_stop(q->name)) > 0)
            say(q->name, "stopped gui-daemon (pid %d): %s", (int)pid,
                sd_state_runs(q->state) ? "no GUI wanted" : q->state);
        return 0;
    }
    pid = guid_running(q->name);
    if (pid > 0 && !restart)
        return 0;
    if (pid > 0) {
        guid_stop(q->name);
        say(q->name, "stopped gui-daemon (pid %d) to restart it", (int)pid);
    }
    if (sd_get_label(q, err, sizeof(err)) < 0 || sd_get_xid(q, err, sizeof(err)) < 0) {
        say(q->name, "cannot start gui-daemon: %s", err);
        return -1;
    }
    pid = guid_start(opt.prog, q, err, sizeof(err));
    if (pid < 0) {
        say(q->name, "cannot start gui-daemon: %s", err);
        return -1;
    }
    say(q->name, "started gui-daemon (pid %d) for domain %d, label %s (0x%06x)", (int)pid, q->xid,
        q->label, q->color);
    return 0;
}

/* The same for a qube known by name, asking qvmd for its state; a qube
 * qvmd does not know (removed) loses its daemon. */
static int sync_name(const char *name, bool restart)
{
    struct sd_qube q;
    char err[512];
    pid_t pid;
    int r = sd_get(name, &q, err, sizeof(err));

    if (r == 0)
        return sync_qube(&q, restart);
    if (r == -2) {
        if ((pid = guid_stop(name)) > 0)
            say(name, "stopped gui-daemon (pid %d): %s", (int)pid, err);
        return 0;
    }
    /* qvmd unreachable: its daemon is left as it is */
    say(name, "%s", err);
    return -1;
}

struct qube_list {
    const struct sd_qube *q;
    size_t n;
};

/* With --all: a daemon whose qube qvmd no longer lists is stopped. */
static void stop_if_unknown(const char *name, void *ctx)
{
    const struct qube_list *l = ctx;
    pid_t pid;

    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->q[i].name, name) == 0)
            return;
    if (chosen(name) && (pid = guid_stop(name)) > 0)
        say(name, "stopped gui-daemon (pid %d): the qube is gone", (int)pid);
}

static int sync_all(bool restart)
{
    struct sd_qube *l;
    size_t n;
    char err[512];
    int rc = 0;

    if (!opt.all) {
        for (size_t i = 0; i < opt.nnames; i++)
            if (sync_name(opt.names[i], restart) < 0)
                rc = -1;
        return rc;
    }
    if (sd_list(&l, &n, err, sizeof(err)) < 0) {
        cli_err("%s", err);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (sync_qube(&l[i], restart) < 0)
            rc = -1;
    {
        struct qube_list ql = {l, n};
        guid_each(stop_if_unknown, &ql);
    }
    free(l);
    return rc;
}

static void kill_one(const char *name, void *ctx)
{
    pid_t pid = guid_stop(name);

    (void)ctx;
    if (pid > 0)
        say(name, "stopped gui-daemon (pid %d)", (int)pid);
}

static void on_exit_daemon(const char *name, pid_t pid, int status)
{
    if (WIFEXITED(status))
        say(name, "gui-daemon (pid %d) exited with status %d", (int)pid, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        say(name, "gui-daemon (pid %d) ended by signal %d", (int)pid, WTERMSIG(status));
}

/* The event's subject as a qube name we follow, or NULL. */
static const char *subject(const struct qadmin_event *ev, char *buf, size_t bufsz)
{
    if (ev->subject.len == 0 || ev->subject.len >= bufsz)
        return NULL;
    memcpy(buf, ev->subject.p, ev->subject.len);
    buf[ev->subject.len] = '\0';
    return qrexec_valid_vm_name(buf) && chosen(buf) ? buf : NULL;
}

static void handle(const struct qadmin_event *ev)
{
    char name[QADMIN_NAME_MAX];
    const char *s = subject(ev, name, sizeof(name));
    pid_t pid;

    if (!s)
        return;
    if (qadmin_str_eq(ev->name, "domain-start") || qadmin_str_eq(ev->name, "domain-unpaused") ||
        qadmin_str_eq(ev->name, "feature-set:gui") ||
        qadmin_str_eq(ev->name, "feature-delete:gui")) {
        sync_name(s, false);
    } else if (qadmin_str_eq(ev->name, "domain-shutdown") ||
               qadmin_str_eq(ev->name, "domain-stopped") ||
               qadmin_str_eq(ev->name, "domain-delete")) {
        if ((pid = guid_stop(s)) > 0)
            say(s, "stopped gui-daemon (pid %d): the qube stopped", (int)pid);
    } else if (qadmin_str_eq(ev->name, "property-set:label")) {
        if (guid_running(s) > 0) {
            say(s, "label changed: restarting gui-daemon");
            sync_name(s, true);
        }
    }
}

/* domain-delete names the qube in its "vm" key, not as the subject. */
static void normalise(struct qadmin_event *ev)
{
    if (ev->subject.len == 0 && (qadmin_str_eq(ev->name, "domain-delete")))
        for (size_t i = 0; i < ev->nkv; i++)
            if (qadmin_str_eq(ev->key[i], "vm"))
                ev->subject = ev->value[i];
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL); /* a signal ends it early: we are stopping */
}

static int watch(void)
{
    struct qadmin_events e;
    struct qadmin_event ev;
    char msg[512];
    long backoff = 250;
    bool first = true;

    while (!stop_requested) {
        if (qadmin_events_open(&e, "dom0", msg, sizeof(msg)) < 0) {
            if (first)
                cli_err("cannot follow qvmd's events: %s (retrying)", msg);
            first = false;
            guid_reap(on_exit_daemon);
            sleep_ms(backoff);
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
            continue;
        }
        if (!first)
            cli_err("following qvmd's events again");
        first = true;
        backoff = 250;
        /* what happened while we were not listening */
        sync_all(false);
        for (;;) {
            int r = qadmin_events_next(&e, 1000, &ev);
            guid_reap(on_exit_daemon);
            if (stop_requested)
                break;
            if (r < 0) {
                cli_err("qvmd's event stream ended (%s): reconnecting",
                        r == -ECONNRESET ? "closed" : strerror(-r));
                first = false;
                break;
            }
            if (r == 1) {
                normalise(&ev);
                handle(&ev);
            }
        }
        qadmin_events_close(&e);
    }
    return CLI_OK;
}

int main(int argc, char **argv)
{
    enum { O_ALL = 256, O_WATCH, O_FORCE, O_KILL, O_GUI_DAEMON };
    static const struct option opts[] = {{"all", no_argument, NULL, O_ALL},
                                         {"watch", no_argument, NULL, O_WATCH},
                                         {"force", no_argument, NULL, O_FORCE},
                                         {"kill", no_argument, NULL, O_KILL},
                                         {"gui-daemon", required_argument, NULL, O_GUI_DAEMON},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct sigaction sa = {.sa_handler = on_signal};
    bool do_watch = false, do_kill = false;
    int c, rc;

    cli_prog = "qvm-start-daemon";
    opt.prog = getenv(GUI_DAEMON_ENV);
    if (!opt.prog || !*opt.prog)
        opt.prog = GUI_DAEMON_DEFAULT;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_ALL:
            opt.all = true;
            break;
        case O_WATCH:
            do_watch = true;
            break;
        case O_FORCE:
            opt.force = true;
            break;
        case O_KILL:
            do_kill = true;
            break;
        case O_GUI_DAEMON:
            opt.prog = optarg;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            cli_usage("unknown option or missing value: %s (see qvm-start-daemon --help)",
                      argv[optind - 1]);
        }
    }
    opt.names = argv + optind;
    opt.nnames = (size_t)(argc - optind);
    if (opt.all && opt.nnames)
        cli_usage("--all and qube names exclude each other");
    if (!opt.all && !opt.nnames)
        cli_usage("expected --all or QUBE names (see qvm-start-daemon --help)");
    if (opt.nnames > NAMES_MAX)
        cli_usage("too many qubes (%d at most)", NAMES_MAX);
    for (size_t i = 0; i < opt.nnames; i++) {
        cli_check_vm_name(opt.names[i]);
        if (strcmp(opt.names[i], "dom0") == 0)
            cli_usage("dom0 has no GUI daemon (its windows are dom0's own)");
    }
    if (do_kill && (do_watch || opt.force))
        cli_usage("--kill excludes --watch and --force");
    if (!guid_dir()) {
        cli_err("cannot make the pid file folder: %s", strerror(errno));
        return CLI_FAIL;
    }
    signal(SIGPIPE, SIG_IGN);
    if (do_kill) {
        if (opt.all)
            guid_each(kill_one, NULL);
        for (size_t i = 0; i < opt.nnames; i++)
            kill_one(opt.names[i], NULL);
        return CLI_OK;
    }
    rc = sync_all(opt.force) < 0 ? CLI_FAIL : CLI_OK;
    if (!do_watch)
        return rc;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    return watch();
}
