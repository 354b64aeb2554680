/* qvm-copy-to-vm, qvm-move-to-vm (dom0): copy (or move) dom0's files into
 * a qube's ~/QubesIncoming/dom0/.
 *
 * The qube is started first when halted (as qvm-run does). The transfer is
 * a qubes.Filecopy call made in this process through the qrexec call
 * library, with qfile-agent (the same sender qubes use, vm-agent/filecopy)
 * as the call's local program: its output is the file-copy stream, its
 * input the receiver's result. qfile-agent's exit status is the verdict:
 * qvm-move-to-vm deletes the sources only when it is 0, i.e. when the
 * receiver confirmed every byte. dom0 is the sender here, so nothing the
 * qube sends back is used but that result (which qfile-agent checks). */
#include "dom0/tools/lib/cli.h"
#include "dom0/tools/lib/qube_call.h"
#include "dom0/tools/lib/vmsel.h"
#include "qrexec/proto/qrexec_proto.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The sender; tests point BULKHEAD_QFILE_AGENT at the build tree's. */
#define QFILE_AGENT_DEFAULT "/usr/lib/qubes/qfile-agent"
#define FILECOPY_CMDLINE    "DEFAULT:QUBESRPC qubes.Filecopy dom0"

static void usage(FILE *f, bool move)
{
    fprintf(f,
            "usage: %s [--without-progress] [--no-autostart] QUBE FILE...\n"
            "%s FILEs (files or folders) into QUBE's ~/QubesIncoming/dom0/.\n"
            "  --without-progress  no progress bar (the default when stderr is not a terminal)\n"
            "  -n, --no-autostart  fail if QUBE is not running (default: start it)\n"
            "  -h, --help          this text\n"
            "Exit: 0 copied%s, 1 the copy failed (the reason is printed), 2 usage.\n",
            move ? "qvm-move-to-vm" : "qvm-copy-to-vm", move ? "Move" : "Copy",
            move ? " and the sources removed" : "");
}

/* rm -r of one source, once the receiver confirmed it. */
static int remove_tree(const char *path)
{
    char *const argv[] = {"rm", "-rf", "--", (char *)path, NULL};
    pid_t pid = fork();
    int ws;

    if (pid < 0)
        return -1;
    if (pid == 0) {
        execvp("rm", argv);
        _exit(127);
    }
    if (waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    enum { O_WITHOUT_PROGRESS = 256 };
    static const struct option opts[] = {
        {"without-progress", no_argument, NULL, O_WITHOUT_PROGRESS},
        {"no-autostart", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    bool move = strstr(base, "move") != NULL, progress = isatty(2), autostart = true;
    const char *agent = getenv("BULKHEAD_QFILE_AGENT");
    struct qrexec_dom0_call call = {.cmdline = FILECOPY_CMDLINE};
    struct qrexec_call_io io = {.in_fd = -1, .out_fd = -1, .err_fd = -1};
    struct qrexec_call_status st = {.exit_code = QREXEC_EXIT_PROBLEM};
    struct vmsel sel = {0};
    struct vmsel_list l;
    char **largv;
    int c, r, nfiles, rc = CLI_OK;

    cli_prog = move ? "qvm-move-to-vm" : "qvm-copy-to-vm";
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+nh", opts, NULL)) != -1) {
        switch (c) {
        case O_WITHOUT_PROGRESS:
            progress = false;
            break;
        case 'n':
            autostart = false;
            break;
        case 'h':
            usage(stdout, move);
            return CLI_OK;
        default:
            cli_usage("unknown option or missing value: %s (see %s --help)", argv[optind - 1],
                      cli_prog);
        }
    }
    if (argc - optind < 2)
        cli_usage("expected QUBE and at least one FILE (see %s --help)", cli_prog);
    cli_check_vm_name(argv[optind]);
    if (!strcmp(argv[optind], "dom0"))
        cli_usage("the files are in dom0 already");
    nfiles = argc - optind - 1;
    for (int i = 0; i < nfiles; i++) {
        struct stat sb;
        const char *f = argv[optind + 1 + i];
        if (lstat(f, &sb) < 0) {
            cli_err("%s: %s", f, strerror(errno));
            return CLI_FAIL;
        }
    }
    if (vmsel_resolve(&sel, argv + optind, 1, NULL, &l) < 0)
        return CLI_FAIL;
    if (qube_call_ensure_running(&l.vm[0], autostart, 0) < 0) {
        vmsel_free(&l);
        return CLI_FAIL;
    }
    largv = calloc((size_t)nfiles + 2, sizeof(*largv));
    if (!largv) {
        vmsel_free(&l);
        cli_err("out of memory");
        return CLI_FAIL;
    }
    largv[0] = (char *)(agent && *agent ? agent : QFILE_AGENT_DEFAULT);
    for (int i = 0; i < nfiles; i++)
        largv[i + 1] = argv[optind + 1 + i];
    /* qfile-agent draws its progress bar on stderr, which stays ours */
    setenv("PROGRESS_TYPE", progress ? "console" : "none", 1);
    call.socket_dir = qube_call_socket_dir();
    call.domain = l.vm[0].name;
    call.timeout_ms = qube_call_timeout_ms(l.vm[0].name);
    io.local_argv = largv;
    io.err_fd = dup(2);
    signal(SIGPIPE, SIG_IGN);
    r = qrexec_call_dom0(&call, &io, &st);
    if (r < 0) {
        qube_call_report(l.vm[0].name, call.socket_dir, &st, r);
        rc = CLI_FAIL;
    } else if (st.local_status == -1 || !WIFEXITED(st.local_status) ||
               WEXITSTATUS(st.local_status) != 0) {
        /* qfile-agent printed why */
        rc = CLI_FAIL;
    } else if (st.exit_code != 0) {
        cli_err("%s: the receiving service failed (status %d)", l.vm[0].name, st.exit_code);
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK && move) {
        for (int i = 0; i < nfiles; i++) {
            if (remove_tree(largv[i + 1]) < 0) {
                cli_err("%s: copied, but could not remove it", largv[i + 1]);
                rc = CLI_FAIL;
            }
        }
    }
    free(largv);
    vmsel_free(&l);
    return rc;
}
