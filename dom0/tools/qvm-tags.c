/* qvm-tags: list, check, add or remove a qube's tags (the words policy
 * rules match with @tag:NAME). */
#include "dom0/tools/lib/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: qvm-tags [options] QUBE [list|add|del] [TAG...]\n"
               "  QUBE [list]          print the qube's tags, one a line\n"
               "  QUBE list TAG...     print those of TAG the qube has\n"
               "  QUBE add TAG...      add the tags\n"
               "  QUBE del TAG...      remove the tags\n"
               "  -h, --help           this text\n"
               "Exit: 0 done, 1 qvmd refused or (list TAG) a tag is missing, 2 usage.\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *vm, *cmd = "list";
    struct qadmin_result res;
    int c, first, rc = CLI_OK;

    cli_prog = "qvm-tags";
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return CLI_OK;
        }
        cli_usage("unknown option (see qvm-tags --help)");
    }
    if (optind == argc)
        cli_usage("expected a QUBE (see qvm-tags --help)");
    vm = argv[optind];
    cli_check_vm_name(vm);
    if (optind + 1 < argc)
        cmd = argv[optind + 1];
    first = optind + 2;
    /* the short forms Qubes accepts too */
    if (!strcmp(cmd, "l") || !strcmp(cmd, "ls"))
        cmd = "list";
    else if (!strcmp(cmd, "a") || !strcmp(cmd, "set"))
        cmd = "add";
    else if (!strcmp(cmd, "d") || !strcmp(cmd, "delete") || !strcmp(cmd, "unset"))
        cmd = "del";
    if (strcmp(cmd, "list") && strcmp(cmd, "add") && strcmp(cmd, "del"))
        cli_usage("unknown command '%s' (list, add or del)", cmd);
    for (int i = first; i < argc; i++)
        cli_check_word("tag", argv[i]);
    if (!strcmp(cmd, "list") && first >= argc) {
        if (cli_call("admin.vm.tag.List", NULL, vm, NULL, &res) < 0)
            return CLI_FAIL;
        cli_put(res.data);
        qadmin_result_free(&res);
        return CLI_OK;
    }
    if (first >= argc)
        cli_usage("%s needs at least one TAG", cmd);
    for (int i = first; i < argc; i++) {
        if (!strcmp(cmd, "add")) {
            if (cli_do("admin.vm.tag.Set", argv[i], vm, NULL) < 0)
                return CLI_FAIL;
        } else if (!strcmp(cmd, "del")) {
            if (cli_do("admin.vm.tag.Remove", argv[i], vm, NULL) < 0)
                return CLI_FAIL;
        } else {
            if (cli_call("admin.vm.tag.Get", argv[i], vm, NULL, &res) < 0)
                return CLI_FAIL;
            if (qadmin_str_eq(res.data, "1"))
                puts(argv[i]);
            else
                rc = CLI_FAIL;
            qadmin_result_free(&res);
        }
    }
    return rc;
}
