/* qvm-start, qvm-kill, qvm-pause, qvm-unpause; see power.h. */
#include "dom0/tools/power.h"

#include "dom0/tools/lib/cli.h"
#include "dom0/tools/lib/vmsel.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f, const struct power_cmd *cmd)
{
    fprintf(f,
            "usage: %s [options] QUBE...\n"
            "       %s [options] --all [--exclude QUBE]...\n"
            "%s\n"
            "  --all             every qube but dom0%s\n"
            "  --exclude QUBE    with --all: leave QUBE out (repeatable)\n",
            cmd->prog, cmd->prog, cmd->what,
            cmd->all_states
                ? (strcmp(cmd->all_states[0], "Paused") ? " that is running" : " that is paused")
                : "");
    if (cmd->skippable)
        fprintf(f, "  --skip-if-running a qube already running (or paused) is not an error\n");
    fprintf(f, "  -q, --quiet       print only errors\n"
               "  -v, --verbose     say what was done to each qube\n"
               "  -h, --help        this text\n"
               "Exit: 0 done, 1 qvmd refused or failed for some qube, 2 usage.\n");
}

int power_main(int argc, char **argv, const struct power_cmd *cmd)
{
    enum { O_SKIP = 256 };
    static const struct option opts[] = {VMSEL_OPTIONS,
                                         {"skip-if-running", no_argument, NULL, O_SKIP},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct vmsel sel = {0};
    struct vmsel_list l;
    bool skip = false;
    int c, verbose = 0, rc = CLI_OK;

    cli_prog = cmd->prog;
    opterr = 0; /* one line of error: ours */
    while ((c = getopt_long(argc, argv, "qvh", opts, NULL)) != -1) {
        switch (c) {
        case VMSEL_OPT_ALL:
        case VMSEL_OPT_EXCLUDE:
            vmsel_option(&sel, c, optarg);
            break;
        case O_SKIP:
            if (!cmd->skippable)
                cli_usage("unknown option (see %s --help)", cmd->prog);
            skip = true;
            break;
        case 'q':
            verbose = -1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'h':
            usage(stdout, cmd);
            return CLI_OK;
        default:
            cli_usage("unknown option or missing value: %s (see %s --help)", argv[optind - 1],
                      cmd->prog);
        }
    }
    if (vmsel_resolve(&sel, argv + optind, (size_t)(argc - optind), cmd->all_states, &l) < 0)
        return CLI_FAIL;
    for (size_t i = 0; i < l.n; i++) {
        const char *name = l.vm[i].name;
        struct qadmin_req req = {cmd->method, NULL, name, NULL, 0};
        struct qadmin_result res;
        int r = qadmin_call(&req, &res);
        if (r == -EREMOTEIO && ((cmd->nothing_to_do && !strcmp(res.type, cmd->nothing_to_do)) ||
                                (skip && !strcmp(res.type, cmd->skippable)))) {
            if (verbose > 0)
                printf("%s: %s (nothing to do)\n", name, res.msg);
        } else if (r < 0) {
            cli_err("%s: %s", name, res.msg);
            rc = CLI_FAIL;
        } else if (verbose > 0) {
            printf("%s: %s\n", name, cmd->done);
        }
        qadmin_result_free(&res);
    }
    vmsel_free(&l);
    return rc;
}
