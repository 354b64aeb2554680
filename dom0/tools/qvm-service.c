/* qvm-service: turn the services a qube's agents start on or off. A
 * service is the feature "service.NAME": "1" on, "" off, absent means the
 * qube's own default. */
#include "dom0/tools/lib/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "service."

static void usage(FILE *f)
{
    fprintf(f, "usage: qvm-service [options] QUBE [SERVICE [on|off]]\n"
               "List a qube's services, print one as on/off, or turn it on or off.\n"
               "  -e, --enable              turn SERVICE on\n"
               "  -d, --disable             turn SERVICE off\n"
               "  -D, --default, --unset    back to the qube's default (feature removed)\n"
               "  -h, --help                this text\n"
               "VALUE may be on/off, true/false, yes/no, enable/disable or 1/0.\n"
               "Exit: 0 done, 1 qvmd refused or SERVICE is not set, 2 usage.\n");
}

static void say(const char *name, int width, struct qadmin_str v, void *ctx)
{
    (void)ctx;
    printf("%-*s  %s\n", width, name, v.len && !qadmin_str_eq(v, "0") ? "on" : "off");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"enable", no_argument, NULL, 'e'},  {"disable", no_argument, NULL, 'd'},
        {"default", no_argument, NULL, 'D'}, {"unset", no_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},    {NULL, 0, NULL, 0}};
    char feature[128];
    int c, nargs, action = 0; /* 'e', 'd', 'D' or 0 */
    struct qadmin_result res;
    const char *vm;

    cli_prog = "qvm-service";
    while ((c = getopt_long(argc, argv, "edDh", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
        case 'd':
        case 'D':
            if (action && action != c)
                cli_usage("--enable, --disable and --default exclude each other");
            action = c;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            cli_usage("unknown option (see qvm-service --help)");
        }
    }
    nargs = argc - optind;
    if (nargs < 1 || nargs > 3)
        cli_usage("expected QUBE [SERVICE [VALUE]] (see qvm-service --help)");
    vm = argv[optind];
    cli_check_vm_name(vm);
    if (nargs == 1) {
        if (action)
            cli_usage("a SERVICE is needed");
        return cli_each_feature(vm, PREFIX, say, NULL);
    }
    cli_check_word("service", argv[optind + 1]);
    snprintf(feature, sizeof(feature), PREFIX "%s", argv[optind + 1]);
    if (nargs == 3) {
        int on = cli_parse_bool(argv[optind + 2]);
        if (action)
            cli_usage("either a VALUE or an option, not both");
        if (on < 0)
            cli_usage("'%s' is not on or off", argv[optind + 2]);
        action = on ? 'e' : 'd';
    }
    if (action == 'D')
        return cli_do("admin.vm.feature.Remove", feature, vm, NULL) < 0 ? CLI_FAIL : CLI_OK;
    if (action)
        return cli_do("admin.vm.feature.Set", feature, vm, action == 'e' ? "1" : "") < 0 ? CLI_FAIL
                                                                                         : CLI_OK;
    if (cli_call("admin.vm.feature.Get", feature, vm, NULL, &res) < 0)
        return CLI_FAIL;
    say(argv[optind + 1], 0, res.data, NULL);
    qadmin_result_free(&res);
    return CLI_OK;
}
