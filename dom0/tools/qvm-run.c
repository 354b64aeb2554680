/* qvm-run: run a command, or an RPC service, in qubes from dom0.
 *
 * The qube is started first (admin.vm.Start) unless --no-autostart; then
 * the call goes to the qube's qrexec-daemon in this process, through the
 * qrexec call library (qrexec/client/call.h) that qrexec-client wraps:
 * "USER:COMMAND" for a command, "USER:QUBESRPC SERVICE+ARG dom0" for a
 * service. Several words of COMMAND (or --no-shell) are quoted for the
 * qube's shell so each word arrives as one argument, unexpanded. */
#include "dom0/tools/lib/cli.h"
#include "dom0/tools/lib/qube_call.h"
#include "dom0/tools/lib/vmsel.h"
#include "lib/log.h"
#include "qrexec/client/call.h"
#include "qrexec/proto/qrexec_names.h"
#include "qrexec/proto/qrexec_proto.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: qvm-run [options] QUBE COMMAND...\n"
               "       qvm-run [options] --all [--exclude QUBE]... COMMAND...\n"
               "Run COMMAND in qubes (options come before QUBE).\n"
               "  -u, --user USER        run as USER (default: the qube's default user)\n"
               "  -a, --autostart, --auto\n"
               "                         start the qube first if it is halted (the default)\n"
               "  -n, --no-autostart, --no-auto\n"
               "                         fail if the qube is not running\n"
               "  -p, --pass-io          connect our stdin/stdout/stderr to the command and\n"
               "                         exit with its status (one qube only, unless --localcmd)\n"
               "  --localcmd CMD         with --pass-io: connect the command to the local\n"
               "                         program CMD (run by /bin/sh -c) instead\n"
               "  --service              COMMAND is an RPC service, SERVICE[+ARG]\n"
               "  --no-shell             run COMMAND as one program name, not a shell line\n"
               "  --filter-escape-chars  replace terminal control bytes in the output\n"
               "                         (default for output that is a terminal)\n"
               "  --no-filter-escape-chars\n"
               "                         do not (DANGEROUS when the output is a terminal)\n"
               "  --color-output, --colour-output COLOUR\n"
               "                         with filtering: mark the command's stdout with the\n"
               "                         ANSI colour COLOUR (default 31, red, on a terminal)\n"
               "  --color-stderr, --colour-stderr COLOUR\n"
               "                         the same for its stderr\n"
               "  --no-color-output, --no-colour-output, --no-color-stderr, --no-colour-stderr\n"
               "                         do not colour it\n"
               "  --gui                  (the default) a qube this command starts is given\n"
               "                         time to bring up its desktop session first\n"
               "                         (qubes.WaitForSession), so windows can open\n"
               "  --no-gui, --nogui      do not wait for it\n"
               "  --all                  every running qube but dom0\n"
               "  --exclude QUBE         with --all: leave QUBE out (repeatable)\n"
               "  -q, --quiet            print only errors\n"
               "  -v, --verbose          say where the command runs (the default without\n"
               "                         --pass-io)\n"
               "  -h, --help             this text\n"
               "Without --pass-io the command is started and qvm-run exits 0.\n"
               "Exit: the command's status (--pass-io; the highest of several), 0 started,\n"
               "1 qvmd refused or failed (no such qube, start failed, not running),\n"
               "2 usage, 125 the qrexec call failed.\n");
}

/* A user name as the qube's agent takes it: no ':' (which ends the user
 * in the command line), nothing a shell or a terminal would read. */
static void check_user(const char *u)
{
    size_t n = strlen(u);

    if (n == 0 || n > 32 || u[0] == '-' ||
        strspn(u, "abcdefghijklmnopqrstuvwxyz"
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                  "0123456789_.-") != n)
        cli_usage("invalid user name '%s' (1 to 32 of A-Z a-z 0-9 _ . -, not starting with -)", u);
}

/* An SGR colour parameter ("31", "1;33"): digits and ';' only, so that
 * what we write around the qube's output is one colour change and nothing
 * else. */
static const char *check_color(const char *opt, const char *c)
{
    size_t n = strlen(c);

    if (n == 0 || n > 16 || strspn(c, "0123456789;") != n)
        cli_usage("%s takes an ANSI colour such as 31 (digits and ';')", opt);
    return c;
}

/* Starts colouring (c: the colour) or, with "", resets; NULL: that
 * stream is left alone. */
static void set_colors(const char *out, const char *err)
{
    if (out && *out)
        printf("\033[0;%sm", out);
    else if (out)
        fputs("\033[0m", stdout);
    if (err && *err)
        fprintf(stderr, "\033[0;%sm", err);
    else if (err)
        fputs("\033[0m", stderr);
    fflush(stdout);
    fflush(stderr);
}

struct run_opts {
    const char *user, *localcmd, *socket_dir;
    bool autostart, passio, service, filter_out, filter_err, gui;
    int verbose;
};

/* A qube qvm-run has just started: its desktop session (X server, GUI
 * agent, the user's fork server with DISPLAY) comes up a little after the
 * qrexec agent, and a command started before it would find no display.
 * qubes.WaitForSession returns once the session is ready (or at once in a
 * qube without one); its failure only costs the wait. */
static void wait_for_session(const struct qadmin_vm *vm, const struct run_opts *o)
{
    struct qrexec_dom0_call call = {.socket_dir = o->socket_dir,
                                    .domain = vm->name,
                                    .cmdline = "DEFAULT:QUBESRPC qubes.WaitForSession dom0"};
    struct qrexec_call_io io = {.in_fd = -1, .out_fd = -1, .err_fd = -1};
    struct qrexec_call_status st = {.exit_code = QREXEC_EXIT_PROBLEM};

    if (o->verbose > 0)
        fprintf(stderr, "Waiting for the desktop session of %s\n", vm->name);
    call.timeout_ms = qube_call_timeout_ms(vm->name);
    if (qrexec_call_dom0(&call, &io, &st) < 0 && o->verbose > 0)
        fprintf(stderr, "qubes.WaitForSession in %s failed; running the command anyway\n",
                vm->name);
}

/* Runs cmdline in one qube; its exit status as qvm-run reports it. */
static int run_one(const struct qadmin_vm *vm, const char *shown, const char *cmdline,
                   const struct run_opts *o)
{
    struct qrexec_dom0_call call = {
        .socket_dir = o->socket_dir, .domain = vm->name, .cmdline = cmdline};
    struct qrexec_call_io io = {.in_fd = -1, .out_fd = -1, .err_fd = -1};
    struct qrexec_call_status st = {.exit_code = QREXEC_EXIT_PROBLEM};
    char *largv[] = {"/bin/sh", "-c", (char *)o->localcmd, NULL};
    int r;

    r = qube_call_ensure_running(vm, o->autostart, o->verbose);
    if (r < 0)
        return CLI_FAIL;
    if (r > 0 && o->gui && !o->service)
        wait_for_session(vm, o);
    if (o->verbose > 0) {
        char safe[256]; /* the user's own words, still never echoed raw */
        fprintf(stderr, "Running '%s' on %s\n",
                log_printable(safe, sizeof(safe), shown, strlen(shown)), vm->name);
    }
    call.timeout_ms = qube_call_timeout_ms(vm->name);
    if (o->passio && o->localcmd) {
        io.local_argv = largv;
        io.err_fd = dup(2);
    } else if (o->passio && qrexec_call_io_stdio(&io, false) < 0) {
        cli_err("cannot use the standard descriptors");
        return QREXEC_EXIT_PROBLEM;
    }
    /* The agent starts a JUST_EXEC line as a shell command whatever it
     * says, so a service always gets a full call (no input, output
     * dropped); a command without --pass-io is just started. */
    call.just_exec = !o->passio && !o->service;
    io.filter_stdout = o->filter_out;
    io.filter_stderr = o->filter_err;
    r = qrexec_call_dom0(&call, &io, &st);
    if (r < 0) {
        qube_call_report(vm->name, o->socket_dir, &st, r);
        return QREXEC_EXIT_PROBLEM;
    }
    return o->passio ? st.exit_code : 0;
}

int main(int argc, char **argv)
{
    enum {
        O_LOCALCMD = 256,
        O_SERVICE,
        O_NO_SHELL,
        O_FILTER,
        O_NO_FILTER,
        O_GUI,
        O_NO_GUI,
        O_COLOR_OUT,
        O_COLOR_ERR,
        O_NO_COLOR_OUT,
        O_NO_COLOR_ERR
    };
    static const struct option opts[] = {VMSEL_OPTIONS,
                                         {"user", required_argument, NULL, 'u'},
                                         {"autostart", no_argument, NULL, 'a'},
                                         {"auto", no_argument, NULL, 'a'},
                                         {"no-autostart", no_argument, NULL, 'n'},
                                         {"no-auto", no_argument, NULL, 'n'},
                                         {"pass-io", no_argument, NULL, 'p'},
                                         {"localcmd", required_argument, NULL, O_LOCALCMD},
                                         {"service", no_argument, NULL, O_SERVICE},
                                         {"no-shell", no_argument, NULL, O_NO_SHELL},
                                         {"filter-escape-chars", no_argument, NULL, O_FILTER},
                                         {"no-filter-escape-chars", no_argument, NULL, O_NO_FILTER},
                                         {"gui", no_argument, NULL, O_GUI},
                                         {"no-gui", no_argument, NULL, O_NO_GUI},
                                         {"nogui", no_argument, NULL, O_NO_GUI},
                                         {"colour-output", required_argument, NULL, O_COLOR_OUT},
                                         {"color-output", required_argument, NULL, O_COLOR_OUT},
                                         {"colour-stderr", required_argument, NULL, O_COLOR_ERR},
                                         {"color-stderr", required_argument, NULL, O_COLOR_ERR},
                                         {"no-colour-output", no_argument, NULL, O_NO_COLOR_OUT},
                                         {"no-color-output", no_argument, NULL, O_NO_COLOR_OUT},
                                         {"no-colour-stderr", no_argument, NULL, O_NO_COLOR_ERR},
                                         {"no-color-stderr", no_argument, NULL, O_NO_COLOR_ERR},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct run_opts o = {
        .autostart = true, .gui = true, .filter_out = isatty(1), .filter_err = isatty(2)};
    struct vmsel sel = {0};
    struct vmsel_list l;
    static const char *const running[] = {"Running", NULL};
    bool no_shell = false, quiet = false, verbose = false, no_color_out = false,
         no_color_err = false;
    const char *color_out = NULL, *color_err = NULL;
    char *vm_name[1], *cmdline, *command;
    char *const *words;
    size_t nwords;
    int c, rc = CLI_OK;

    cli_prog = "qvm-run";
    o.socket_dir = qube_call_socket_dir();
    /* '+': the command's own options are not ours */
    opterr = 0; /* one line of error: ours */
    while ((c = getopt_long(argc, argv, "+u:anpqvh", opts, NULL)) != -1) {
        switch (c) {
        case VMSEL_OPT_ALL:
        case VMSEL_OPT_EXCLUDE:
            vmsel_option(&sel, c, optarg);
            break;
        case 'u':
            check_user(optarg);
            o.user = optarg;
            break;
        case 'a':
            o.autostart = true;
            break;
        case 'n':
            o.autostart = false;
            break;
        case 'p':
            o.passio = true;
            break;
        case O_LOCALCMD:
            o.localcmd = optarg;
            break;
        case O_SERVICE:
            o.service = true;
            break;
        case O_NO_SHELL:
            no_shell = true;
            break;
        case O_FILTER:
            o.filter_out = o.filter_err = true;
            break;
        case O_NO_FILTER:
            o.filter_out = o.filter_err = false;
            break;
        case O_GUI:
        case O_NO_GUI:
            o.gui = c == O_GUI;
            break;
        case O_COLOR_OUT:
            color_out = check_color("--color-output", optarg);
            break;
        case O_COLOR_ERR:
            color_err = check_color("--color-stderr", optarg);
            break;
        case O_NO_COLOR_OUT:
            no_color_out = true;
            break;
        case O_NO_COLOR_ERR:
            no_color_err = true;
            break;
        case 'q':
            quiet = true;
            verbose = false;
            break;
        case 'v':
            verbose = true;
            quiet = false;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            cli_usage("unknown option or missing value: %s (see qvm-run --help)", argv[optind - 1]);
        }
    }
    /* as in Qubes: where the command runs is said unless its output is ours */
    o.verbose = quiet ? -1 : verbose || !o.passio ? 1 : 0;
    if (o.localcmd && !o.passio)
        cli_usage("--localcmd works only with --pass-io");
    /* The colour marks what the qube wrote; unfiltered, the qube could
     * reset it and pass its text off as ours (Qubes refuses this too). */
    if ((color_out && !no_color_out && !o.filter_out) ||
        (color_err && !no_color_err && !o.filter_err))
        cli_usage("--color-output and --color-stderr need --filter-escape-chars");
    /* as in Qubes: a filtered terminal shows the qube's output in red */
    if (no_color_out || !o.passio || o.localcmd)
        color_out = NULL;
    else if (!color_out && o.filter_out && isatty(1))
        color_out = "31";
    if (no_color_err || !o.passio || o.localcmd)
        color_err = NULL;
    else if (!color_err && o.filter_err && isatty(2))
        color_err = "31";
    if (o.service && no_shell)
        cli_usage("--service and --no-shell exclude each other");
    if (!sel.all && optind < argc) {
        vm_name[0] = argv[optind++];
        /* dom0 has no qrexec daemon of its own to ask */
        if (strcmp(vm_name[0], "dom0") == 0) {
            cli_err("dom0: run the command in a dom0 shell (qvm-run reaches qubes through "
                    "qrexec)");
            return CLI_FAIL;
        }
    } else if (!sel.all) {
        cli_usage("expected QUBE and COMMAND (see qvm-run --help)");
    }
    /* "qvm-run -p work -- ls -a", as Qubes documents it */
    if (optind < argc && strcmp(argv[optind], "--") == 0)
        optind++;
    words = argv + optind;
    nwords = (size_t)(argc - optind);
    if (nwords == 0)
        cli_usage("expected a COMMAND (see qvm-run --help)");
    if (o.service) {
        struct qrexec_service_name sn;
        if (nwords != 1)
            cli_usage("--service takes one SERVICE[+ARG], without arguments");
        if (qrexec_split_service(words[0], &sn) < 0)
            cli_usage("invalid service '%s' (a name of A-Z a-z 0-9 _ . -, optionally "
                      "+ARG)",
                      words[0]);
    }
    command =
        o.service ? strdup(words[0]) : cli_shell_join(words, nwords, no_shell, QREXEC_MAX_CMD_LEN);
    if (!command)
        cli_usage("the command is too long");
    if (asprintf(&cmdline, o.service ? "%s:QUBESRPC %s dom0" : "%s:%s", o.user ? o.user : "DEFAULT",
                 command) < 0) {
        cli_err("out of memory");
        free(command);
        return CLI_FAIL;
    }
    /* every way out frees what it holds: the sanitizer build checks leaks */
    if (strlen(cmdline) >= QREXEC_MAX_CMD_LEN) {
        free(command);
        free(cmdline);
        cli_usage("the command is too long (%d bytes at most)", QREXEC_MAX_CMD_LEN - 1);
    }
    if (vmsel_resolve(&sel, vm_name, sel.all ? 0 : 1, sel.all ? running : NULL, &l) < 0) {
        free(command);
        free(cmdline);
        return CLI_FAIL;
    }
    if (o.passio && !o.localcmd && l.n > 1) {
        size_t chosen = l.n;
        vmsel_free(&l);
        free(command);
        free(cmdline);
        cli_usage("--pass-io with more than one qube needs --localcmd (%zu qubes chosen)", chosen);
    }
    if (l.n == 0 && o.verbose >= 0)
        cli_err("no qube is running%s", sel.nexclude ? " (but the excluded ones)" : "");
    signal(SIGPIPE, SIG_IGN);
    set_colors(color_out, color_err);
    for (size_t i = 0; i < l.n; i++) {
        int r = run_one(&l.vm[i], command, cmdline, &o);
        if (r > rc)
            rc = r;
    }
    set_colors(color_out ? "" : NULL, color_err ? "" : NULL);
    vmsel_free(&l);
    free(command);
    free(cmdline);
    return rc;
}
