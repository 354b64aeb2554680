/* qvm-appmenus: dom0 menu entries for the applications of qubes.
 *
 *   qvm-appmenus --update [--force] [--start] QUBE... | --all
 *   qvm-appmenus --remove QUBE...
 *   qvm-appmenus --list QUBE...
 *
 * --update calls qubes.GetAppmenus in each qube (which must run, or be
 * started with --start), parses what comes back as hostile text
 * (appmenus_parse.c) and writes one .desktop file per application plus a
 * submenu per qube (appmenus_files.c). The call runs in a child process
 * and its output is read here with a deadline, at most MAX_OUTPUT bytes
 * kept: a qube that never stops writing, or never ends, costs dom0 neither
 * memory nor more than --timeout seconds. */
#include "dom0/tools/appmenus_files.h"
#include "dom0/tools/appmenus_parse.h"
#include "dom0/tools/lib/cli.h"
#include "dom0/tools/lib/qube_call.h"
#include "dom0/tools/lib/vmsel.h"
#include "qrexec/client/call.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdnoreturn.h>
#include <sys/wait.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* qubes-get-appmenus stops at 4 MiB by default; a little more is kept */
#define MAX_OUTPUT      (5u << 20)
#define TIMEOUT_DEFAULT 120

static void usage(FILE *f)
{
    fprintf(f,
            "usage: qvm-appmenus --update [--force] [--start] QUBE... | --all [--exclude QUBE]...\n"
            "       qvm-appmenus --remove QUBE...\n"
            "       qvm-appmenus --list QUBE...\n"
            "Make dom0 menu entries (\"work: Terminal\") for the applications of qubes.\n"
            "  --update   ask each qube for its applications (qubes.GetAppmenus) and\n"
            "             write its entries, removing those it no longer offers\n"
            "  --force    accepted (--update always rewrites every entry)\n"
            "  --start    with --update: start a halted qube first\n"
            "  --all      with --update: every running qube (every qube with --start)\n"
            "  --exclude QUBE\n"
            "             with --all: leave QUBE out (repeatable)\n"
            "  --remove   remove the qube's entries and submenu\n"
            "  --list     print the qube's entries: \"QUBE: Application\" lines\n"
            "  -h, --help this text\n"
            "Entries go to $XDG_DATA_HOME/applications (default ~/.local/share/applications)\n"
            "as bulkhead-QUBE-APPID.desktop; the submenu to\n"
            "$XDG_CONFIG_HOME/menus/applications-merged/bulkhead-QUBE.menu.\n"
            "Exit: 0 done, 1 a qube could not be asked or qvmd refused, 2 usage.\n");
}

struct reader {
    char *buf;
    size_t len;
    bool truncated;
};

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The child: makes the call, its output into out; exits with the
 * service's status, or CALL_FAILED once the reason is printed. */
#define CALL_FAILED 125
static noreturn void call_child(const char *vm, int out)
{
    struct qrexec_dom0_call call = {.socket_dir = qube_call_socket_dir(),
                                    .domain = vm,
                                    .cmdline = "DEFAULT:QUBESRPC qubes.GetAppmenus dom0",
                                    .timeout_ms = qube_call_timeout_ms(vm)};
    struct qrexec_call_io io = {.in_fd = -1, .out_fd = out, .err_fd = -1};
    struct qrexec_call_status st = {0};
    int rc = qrexec_call_dom0(&call, &io, &st);

    if (rc < 0) {
        qube_call_report(vm, call.socket_dir, &st, rc);
        _exit(CALL_FAILED);
    }
    _exit(st.exit_code == CALL_FAILED ? 1 : st.exit_code & 0xff);
}

/* Runs qubes.GetAppmenus in the qube, in a child process so that a qube
 * that never ends its output can be given up on after timeout_s: the child
 * is killed. Keeps MAX_OUTPUT bytes in r (r->buf owned), reads and drops
 * the rest. 0, or -1 once the reason is printed. */
static int get_appmenus(const char *vm, struct reader *r, int timeout_s)
{
    long deadline = now_ms() + timeout_s * 1000L;
    char sink[16384];
    int pfd[2], status;
    bool timed_out = false;
    pid_t pid;

    memset(r, 0, sizeof(*r));
    if (!(r->buf = malloc(MAX_OUTPUT)) || pipe2(pfd, O_CLOEXEC) < 0) {
        cli_err("%s: %s", vm, strerror(errno));
        free(r->buf);
        r->buf = NULL;
        return -1;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        cli_err("%s: fork: %s", vm, strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        free(r->buf);
        r->buf = NULL;
        return -1;
    }
    if (pid == 0) {
        close(pfd[0]);
        call_child(vm, pfd[1]);
    }
    close(pfd[1]);
    for (;;) {
        struct pollfd p = {.fd = pfd[0], .events = POLLIN};
        long left = deadline - now_ms();
        int pr = left > 0 ? poll(&p, 1, (int)left) : 0;
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr == 0) {
            timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        char *dst = r->len < MAX_OUTPUT ? r->buf + r->len : sink;
        size_t room = r->len < MAX_OUTPUT ? MAX_OUTPUT - r->len : sizeof(sink);
        ssize_t got = read(pfd[0], dst, room);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        if (dst == sink)
            r->truncated = true;
        else
            r->len += (size_t)got;
    }
    close(pfd[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (timed_out || !WIFEXITED(status) || WEXITSTATUS(status) == CALL_FAILED) {
        if (timed_out)
            cli_err("%s: qubes.GetAppmenus did not finish within %d s (--timeout): nothing "
                    "changed",
                    vm, timeout_s);
        else if (!WIFEXITED(status))
            cli_err("%s: the call ended by signal %d", vm, WTERMSIG(status));
        free(r->buf);
        r->buf = NULL;
        return -1;
    }
    if (WEXITSTATUS(status) != 0)
        cli_err("%s: qubes.GetAppmenus exited with status %d (using what it printed)", vm,
                WEXITSTATUS(status));
    return 0;
}

static int update_one(const struct qadmin_vm *vm, bool start, int timeout_s)
{
    struct appmenus_app *apps = calloc(APPMENUS_MAX_APPS, sizeof(*apps));
    struct appmenus_stats st;
    struct reader r;
    size_t n;
    int rc = CLI_FAIL;

    if (!apps) {
        cli_err("out of memory");
        return CLI_FAIL;
    }
    if (!vmsel_is(vm, "Running") && !start) {
        cli_err("%s is not running (state %s): start it, or use --start", vm->name, vm->state);
        goto out;
    }
    if (qube_call_ensure_running(vm, true, 0) < 0 || get_appmenus(vm->name, &r, timeout_s) < 0)
        goto out;
    n = appmenus_parse(r.buf, r.len, apps, APPMENUS_MAX_APPS, &st);
    free(r.buf);
    if (st.skipped)
        cli_err("%s: %zu lines of qubes.GetAppmenus output broke the rules and were skipped",
                vm->name, st.skipped);
    if (st.truncated || r.truncated)
        cli_err("%s: qubes.GetAppmenus output over the limits (%u lines, %u applications, "
                "%u bytes): the rest was ignored",
                vm->name, APPMENUS_MAX_LINES, APPMENUS_MAX_APPS, MAX_OUTPUT);
    if (appmenus_write(vm->name, apps, n) == 0) {
        fprintf(stderr, "%s: %zu applications\n", vm->name, n);
        rc = CLI_OK;
    }
out:
    free(apps);
    return rc;
}

int main(int argc, char **argv)
{
    enum { O_UPDATE = 256, O_REMOVE, O_LIST, O_FORCE, O_START, O_TIMEOUT };
    static const struct option opts[] = {VMSEL_OPTIONS,
                                         {"update", no_argument, NULL, O_UPDATE},
                                         {"remove", no_argument, NULL, O_REMOVE},
                                         {"list", no_argument, NULL, O_LIST},
                                         {"force", no_argument, NULL, O_FORCE},
                                         {"start", no_argument, NULL, O_START},
                                         {"timeout", required_argument, NULL, O_TIMEOUT},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    static const char *const running[] = {"Running", NULL};
    struct vmsel sel = {0};
    struct vmsel_list l;
    int c, mode = 0, rc = CLI_OK, timeout_s = TIMEOUT_DEFAULT;
    bool start = false;

    cli_prog = "qvm-appmenus";
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case VMSEL_OPT_ALL:
        case VMSEL_OPT_EXCLUDE:
            vmsel_option(&sel, c, optarg);
            break;
        case O_UPDATE:
        case O_REMOVE:
        case O_LIST:
            if (mode && mode != c)
                cli_usage("--update, --remove and --list exclude each other");
            mode = c;
            break;
        case O_FORCE:
            break;
        case O_START:
            start = true;
            break;
        case O_TIMEOUT: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v < 1 || v > 3600)
                cli_usage("--timeout takes seconds, 1 to 3600");
            timeout_s = (int)v;
            break;
        }
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            cli_usage("unknown option or missing value: %s (see qvm-appmenus --help)",
                      argv[optind - 1]);
        }
    }
    if (!mode)
        cli_usage("expected --update, --remove or --list (see qvm-appmenus --help)");
    if (!sel.all && optind == argc)
        cli_usage("expected QUBE names%s", mode == O_UPDATE ? " or --all" : "");
    if (sel.all && mode != O_UPDATE)
        cli_usage("--all works with --update only");
    if (start && mode != O_UPDATE)
        cli_usage("--start works with --update only");
    for (int i = optind; i < argc; i++) {
        cli_check_vm_name(argv[i]);
        if (strcmp(argv[i], "dom0") == 0)
            cli_usage("dom0's own applications are in its menu already");
    }
    if (mode == O_REMOVE || mode == O_LIST) {
        /* works for qubes already removed from qvmd too: only files */
        for (int i = optind; i < argc; i++) {
            int r = mode == O_REMOVE ? appmenus_remove(argv[i]) : appmenus_list(argv[i]);
            if (r < 0)
                rc = CLI_FAIL;
            else if (mode == O_REMOVE)
                fprintf(stderr, "%s: %d entries removed\n", argv[i], r);
        }
        return rc;
    }
    signal(SIGPIPE, SIG_IGN);
    if (vmsel_resolve(&sel, argv + optind, (size_t)(argc - optind),
                      sel.all && !start ? running : NULL, &l) < 0)
        return CLI_FAIL;
    for (size_t i = 0; i < l.n; i++)
        if (update_one(&l.vm[i], start, timeout_s) != CLI_OK)
            rc = CLI_FAIL;
    vmsel_free(&l);
    return rc;
}
