/* qvm-check: does each qube exist (and is it running, paused, halted, a
 * template, networked)? For scripts: exit 0 only if all of them are. */
#include "dom0/tools/lib/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: qvm-check [options] QUBE...\n"
               "Check that each QUBE exists and, with an option, is in that condition.\n"
               "  --running      is running\n"
               "  --paused       is paused\n"
               "  --halted       is halted\n"
               "  --template     is a TemplateVM\n"
               "  --networked    has a netvm\n"
               "  -q, --quiet    print nothing, only the exit code\n"
               "  -h, --help     this text\n"
               "Exit: 0 all hold, 1 one does not (or qvmd failed), 2 usage.\n");
}

int main(int argc, char **argv)
{
    enum { O_RUNNING = 256, O_PAUSED, O_HALTED, O_TEMPLATE, O_NETWORKED };
    static const struct option opts[] = {{"running", no_argument, NULL, O_RUNNING},
                                         {"paused", no_argument, NULL, O_PAUSED},
                                         {"halted", no_argument, NULL, O_HALTED},
                                         {"template", no_argument, NULL, O_TEMPLATE},
                                         {"networked", no_argument, NULL, O_NETWORKED},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    static const char *const word[] = {"running", "paused", "halted", "a template", "networked"};
    struct qadmin_result list;
    int c, check = 0, rc = CLI_OK;
    bool quiet = false;

    cli_prog = "qvm-check";
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'q':
            quiet = true;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        case '?':
            cli_usage("unknown option (see qvm-check --help)");
        default:
            if (check && check != c)
                cli_usage("one condition at a time");
            check = c;
        }
    }
    if (optind == argc)
        cli_usage("expected at least one QUBE (see qvm-check --help)");
    for (int i = optind; i < argc; i++)
        cli_check_vm_name(argv[i]);
    if (cli_call("admin.vm.List", NULL, "dom0", NULL, &list) < 0)
        return CLI_FAIL;
    for (int i = optind; i < argc; i++) {
        struct qadmin_str line;
        struct qadmin_vm vm;
        size_t pos = 0;
        bool found = false, holds = true;

        while (!found && qadmin_next_line(list.data, &pos, &line))
            found = qadmin_parse_vm_line(line, &vm) == 0 && strcmp(vm.name, argv[i]) == 0;
        if (!found) {
            if (!quiet)
                printf("%s: does not exist\n", argv[i]);
            rc = CLI_FAIL;
            continue;
        }
        switch (check) {
        case O_RUNNING:
            holds = strcasecmp(vm.state, "Running") == 0;
            break;
        case O_PAUSED:
            holds = strcasecmp(vm.state, "Paused") == 0;
            break;
        case O_HALTED:
            holds = strcasecmp(vm.state, "Halted") == 0;
            break;
        case O_TEMPLATE:
            holds = strcmp(vm.klass, "TemplateVM") == 0;
            break;
        case O_NETWORKED: {
            struct qadmin_result r;
            struct qadmin_prop p;
            if (cli_call("admin.vm.property.Get", "netvm", vm.name, NULL, &r) < 0) {
                rc = CLI_FAIL;
                continue;
            }
            holds = qadmin_parse_prop(r.data, false, &p) == 0 && p.value.len > 0 &&
                    !qadmin_str_eq(p.value, "None");
            qadmin_result_free(&r);
            break;
        }
        }
        if (!holds)
            rc = CLI_FAIL;
        if (!quiet && check)
            printf("%s: %s%s\n", argv[i], holds ? "" : "not ", word[check - O_RUNNING]);
        else if (!quiet)
            printf("%s: exists\n", argv[i]);
    }
    qadmin_result_free(&list);
    return rc;
}
