/* qvm-pool: list, inspect, add and remove storage pools (admin.pool.*). */
#include "dom0/tools/lib/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: qvm-pool [options] [list|info|add|remove|set|drivers] [ARGS...]\n"
               "  list                       the pools and their drivers (the default)\n"
               "  info POOL                  a pool's driver, options, size and usage\n"
               "  add POOL DRIVER [-o K=V,...]  add a pool (see `qvm-pool drivers`)\n"
               "  remove POOL                remove a pool no volume uses\n"
               "  set POOL -o revisions_to_keep=N  change a pool's default revisions\n"
               "  drivers                    the drivers and the options each takes\n"
               "  -o, --option K=V[,K=V...]  pool options (add, set); may be repeated\n"
               "  -h, --help                 this text\n"
               "Exit: 0 done, 1 qvmd refused, 2 usage.\n");
}

/* Prints "key=value" lines as aligned "key value" columns. */
static void put_kv(struct qadmin_str data)
{
    struct qadmin_str line;
    size_t pos = 0;

    while (qadmin_next_line(data, &pos, &line)) {
        const char *eq = memchr(line.p, '=', line.len);
        struct qadmin_str k = {line.p, eq ? (size_t)(eq - line.p) : line.len};
        struct qadmin_str v = {eq ? eq + 1 : "", eq ? line.len - k.len - 1 : 0};
        cli_put(k);
        for (size_t i = k.len; i < 22; i++)
            putchar(' ');
        putchar(' ');
        cli_put(v);
        putchar('\n');
    }
}

static int list(void)
{
    struct qadmin_result res, info;
    struct qadmin_str line;
    size_t pos = 0;

    if (cli_call("admin.pool.List", NULL, "dom0", NULL, &res) < 0)
        return CLI_FAIL;
    printf("%-24s %s\n", "NAME", "DRIVER");
    while (qadmin_next_line(res.data, &pos, &line)) {
        char name[80], driver[40] = "?";
        struct qadmin_str l2;
        size_t p2 = 0;
        if (line.len == 0 || line.len >= sizeof(name))
            continue;
        memcpy(name, line.p, line.len);
        name[line.len] = 0;
        if (cli_call("admin.pool.Info", name, "dom0", NULL, &info) < 0) {
            qadmin_result_free(&res);
            return CLI_FAIL;
        }
        while (qadmin_next_line(info.data, &p2, &l2))
            if (l2.len > 7 && l2.len - 7 < sizeof(driver) && !memcmp(l2.p, "driver=", 7)) {
                memcpy(driver, l2.p + 7, l2.len - 7);
                driver[l2.len - 7] = 0;
            }
        qadmin_result_free(&info);
        printf("%-24s ", name);
        cli_put((struct qadmin_str){driver, strlen(driver)});
        putchar('\n');
    }
    qadmin_result_free(&res);
    return CLI_OK;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"option", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    char options[2048] = "";
    size_t olen = 0;
    const char *cmd = "list";
    struct qadmin_result res;
    int c, nargs;
    char **args;

    cli_prog = "qvm-pool";
    /* GNU getopt moves operands last: qvm-pool add P D -o ... works */
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return CLI_OK;
        }
        if (c != 'o')
            cli_usage("unknown option (see qvm-pool --help)");
        /* K=V,K=V -> "K=V\n" lines */
        for (const char *p = optarg; *p;) {
            const char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            if (n == 0 || !memchr(p, '=', n) || memchr(p, '\n', n) ||
                olen + n + 2 > sizeof(options))
                cli_usage("-o takes KEY=VALUE[,KEY=VALUE...]");
            memcpy(options + olen, p, n);
            olen += n;
            options[olen++] = '\n';
            options[olen] = 0;
            p += n + (comma ? 1 : 0);
        }
    }
    nargs = argc - optind;
    args = &argv[optind];
    if (nargs > 0)
        cmd = args[0];
    if (!strcmp(cmd, "ls"))
        cmd = "list";
    if (!strcmp(cmd, "rm"))
        cmd = "remove";
    if (!strcmp(cmd, "list") || !strcmp(cmd, "drivers")) {
        if (nargs > 1)
            cli_usage("%s takes no arguments", cmd);
        if (!strcmp(cmd, "list"))
            return list();
        if (cli_call("admin.pool.ListDrivers", NULL, "dom0", NULL, &res) < 0)
            return CLI_FAIL;
        cli_put(res.data);
        qadmin_result_free(&res);
        return CLI_OK;
    }
    if (!strcmp(cmd, "info") || !strcmp(cmd, "remove") || !strcmp(cmd, "set")) {
        if (nargs != 2)
            cli_usage("%s needs exactly one POOL", cmd);
        cli_check_word("pool", args[1]);
        if (!strcmp(cmd, "info")) {
            if (cli_call("admin.pool.Info", args[1], "dom0", NULL, &res) < 0)
                return CLI_FAIL;
            put_kv(res.data);
            qadmin_result_free(&res);
            return CLI_OK;
        }
        if (!strcmp(cmd, "remove"))
            return cli_do("admin.pool.Remove", args[1], "dom0", NULL) < 0 ? CLI_FAIL : CLI_OK;
        if (strncmp(options, "revisions_to_keep=", 18) || strchr(options, '\n')[1])
            cli_usage("set takes -o revisions_to_keep=N (the only pool setting that changes)");
        *strchr(options, '\n') = 0;
        return cli_do("admin.pool.Set.revisions_to_keep", args[1], "dom0", options + 18) < 0
                   ? CLI_FAIL
                   : CLI_OK;
    }
    if (!strcmp(cmd, "add")) {
        char payload[2200];
        if (nargs != 3)
            cli_usage("add needs POOL and DRIVER");
        cli_check_word("pool", args[1]);
        cli_check_word("driver", args[2]);
        snprintf(payload, sizeof(payload), "name=%s\n%s", args[1], options);
        return cli_do("admin.pool.Add", args[2], "dom0", payload) < 0 ? CLI_FAIL : CLI_OK;
    }
    cli_usage("unknown command '%s' (see qvm-pool --help)", cmd);
}
