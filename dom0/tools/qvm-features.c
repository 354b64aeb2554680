/* qvm-features: list, get, set or remove a qube's features (free-form
 * key/value settings that agents and tools read). */
#include "dom0/tools/lib/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: qvm-features [options] QUBE [FEATURE [VALUE]]\n"
               "List a qube's features, print one, or set it to VALUE.\n"
               "  -D, --unset, --default, --delete\n"
               "                 remove FEATURE\n"
               "  -h, --help     this text\n"
               "Exit: 0 done, 1 qvmd refused or FEATURE is not set, 2 usage.\n");
}

/* "NAME  VALUE", the values aligned. */
static void show(const char *name, int width, struct qadmin_str value, void *ctx)
{
    (void)ctx;
    cli_put((struct qadmin_str){name, strlen(name)});
    printf("%*s  ", width - (int)strlen(name), "");
    cli_put(value);
    putchar('\n');
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"unset", no_argument, NULL, 'D'},
                                         {"default", no_argument, NULL, 'D'},
                                         {"delete", no_argument, NULL, 'D'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct qadmin_result res;
    bool unset = false;
    const char *vm;
    int c, nargs;

    cli_prog = "qvm-features";
    cli_keep_negative_numbers(argc, argv);
    while ((c = getopt_long(argc, argv, "Dh", opts, NULL)) != -1) {
        switch (c) {
        case 'D':
            unset = true;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            cli_usage("unknown option (see qvm-features --help)");
        }
    }
    nargs = argc - optind;
    if (nargs < 1 || nargs > 3)
        cli_usage("expected QUBE [FEATURE [VALUE]] (see qvm-features --help)");
    vm = argv[optind];
    cli_check_vm_name(vm);
    if (nargs == 1) {
        if (unset)
            cli_usage("--unset needs a FEATURE");
        return cli_each_feature(vm, "", show, NULL);
    }
    cli_check_word("feature", argv[optind + 1]);
    if (unset) {
        if (nargs == 3)
            cli_usage("no VALUE with --unset");
        return cli_do("admin.vm.feature.Remove", argv[optind + 1], vm, NULL) < 0 ? CLI_FAIL
                                                                                 : CLI_OK;
    }
    if (nargs == 3)
        return cli_do("admin.vm.feature.Set", argv[optind + 1], vm, cli_arg(argv[optind + 2])) < 0
                   ? CLI_FAIL
                   : CLI_OK;
    if (cli_call("admin.vm.feature.Get", argv[optind + 1], vm, NULL, &res) < 0)
        return CLI_FAIL;
    cli_put(res.data);
    putchar('\n');
    qadmin_result_free(&res);
    return CLI_OK;
}
