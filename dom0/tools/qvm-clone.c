/* qvm-clone: a new qube with the settings and volumes of another
 * (Bulkhead's admin.vm.Clone+NEWNAME, sent to the source qube). */
#include "dom0/tools/lib/cli.h"

#include <getopt.h>
#include <stdio.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: qvm-clone [options] SOURCE NEWNAME\n"
               "Create NEWNAME as a copy of SOURCE (properties, features, tags, volumes).\n"
               "  -h, --help   this text\n"
               "Exit: 0 cloned, 1 qvmd refused (nothing created), 2 usage.\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;

    cli_prog = "qvm-clone";
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return CLI_OK;
        }
        cli_usage("unknown option (see qvm-clone --help)");
    }
    if (optind + 2 != argc)
        cli_usage("expected SOURCE and NEWNAME (see qvm-clone --help)");
    cli_check_vm_name(argv[optind]);
    cli_check_vm_name(argv[optind + 1]);
    return cli_do("admin.vm.Clone", argv[optind + 1], argv[optind], NULL) < 0 ? CLI_FAIL : CLI_OK;
}
