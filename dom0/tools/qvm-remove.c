/* qvm-remove: delete qubes. Every name is checked against qvmd's list
 * before anything is removed, so a typo in the third name does not leave
 * the first two gone and the command half done. qvmd itself refuses dom0
 * and a template still in use (its message names the users). */
#include "dom0/tools/lib/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: qvm-remove [options] QUBE...\n"
               "Remove qubes with their volumes.\n"
               "  -f, --force   do not ask for confirmation\n"
               "  -h, --help    this text\n"
               "Exit: 0 removed, 1 qvmd refused or not confirmed, 2 usage.\n");
}

static bool listed(const struct qadmin_result *list, const char *name)
{
    struct qadmin_str line;
    struct qadmin_vm vm;
    size_t pos = 0;

    while (qadmin_next_line(list->data, &pos, &line))
        if (qadmin_parse_vm_line(line, &vm) == 0 && strcmp(vm.name, name) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    struct qadmin_result list;
    bool force = false, missing = false;
    int c;

    cli_prog = "qvm-remove";
    while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            force = true;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            cli_usage("unknown option (see qvm-remove --help)");
        }
    }
    if (optind == argc)
        cli_usage("expected at least one QUBE (see qvm-remove --help)");
    for (int i = optind; i < argc; i++) {
        cli_check_vm_name(argv[i]);
        if (strcmp(argv[i], "dom0") == 0) {
            cli_err("dom0 cannot be removed");
            return CLI_FAIL;
        }
    }
    if (cli_call("admin.vm.List", NULL, "dom0", NULL, &list) < 0)
        return CLI_FAIL;
    for (int i = optind; i < argc; i++)
        if (!listed(&list, argv[i])) {
            cli_err("no such qube: %s", argv[i]);
            missing = true;
        }
    qadmin_result_free(&list);
    if (missing)
        return CLI_FAIL;
    if (!force) {
        char answer[16] = "";
        printf("This will completely remove the qube(s) and their data:\n");
        for (int i = optind; i < argc; i++)
            printf("  %s\n", argv[i]);
        printf("Are you sure? [y/N] ");
        fflush(stdout);
        if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y')) {
            printf("\n");
            cli_err("not removed");
            return CLI_FAIL;
        }
    }
    for (int i = optind; i < argc; i++)
        if (cli_do("admin.vm.Remove", NULL, argv[i], NULL) < 0)
            return CLI_FAIL;
    return CLI_OK;
}
