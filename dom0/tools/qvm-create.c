/* qvm-create: create a qube (admin.vm.Create.CLASS, or CreateInPool.CLASS
 * with -P/--pool), then set the
 * --property values one by one. If qvmd refuses one, the new qube is
 * removed again, so a refused command leaves nothing behind. */
#include "dom0/tools/lib/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define MAX_PROPS 64

static void usage(FILE *f)
{
    fprintf(f, "usage: qvm-create [options] --label LABEL NAME\n"
               "Create a new qube.\n"
               "  -C, --class CLASS     AppVM (default), TemplateVM, StandaloneVM, DispVM\n"
               "  -t, --template QUBE   the template (default: the global default_template)\n"
               "  -l, --label LABEL     red, orange, yellow, green, gray, blue, purple, black\n"
               "  --property, --prop NAME=VALUE\n"
               "                        set a property after creation (repeatable)\n"
               "  -P POOL               the storage pool of every volume (not snapshots)\n"
               "  --pool VOLUME=POOL    the pool of one volume (root, private, volatile,\n"
               "                        kernel; repeatable)\n"
               "  -h, --help            this text\n"
               "Exit: 0 created, 1 qvmd refused (nothing created), 2 usage.\n");
}

/* A class name is a word of letters: anything else cannot be one and must
 * not reach the method name. */
static bool valid_class(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
            return false;
    return true;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"class", required_argument, NULL, 'C'}, {"template", required_argument, NULL, 't'},
        {"label", required_argument, NULL, 'l'}, {"property", required_argument, NULL, 'p'},
        {"prop", required_argument, NULL, 'p'},  {"pool", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    const char *klass = "AppVM", *tmpl = NULL, *label = NULL, *name;
    char *props[MAX_PROPS], payload[128], pools[600] = "";
    size_t np = 0, plen = 0;
    int c;

    cli_prog = "qvm-create";
    while ((c = getopt_long(argc, argv, "C:t:l:P:h", opts, NULL)) != -1) {
        switch (c) {
        case 'P':
        case 'o': {
            /* " pool=POOL" or " pool:VOLUME=POOL" for the payload */
            const char *eq = c == 'o' ? strchr(optarg, '=') : NULL;
            if (c == 'o' && (!eq || eq == optarg || !eq[1]))
                cli_usage("--pool wants VOLUME=POOL, not '%s'", optarg);
            if (c == 'o') {
                char vol[16];
                if ((size_t)(eq - optarg) >= sizeof(vol))
                    cli_usage("unknown volume in --pool %s", optarg);
                memcpy(vol, optarg, (size_t)(eq - optarg));
                vol[eq - optarg] = 0;
                cli_check_word("volume", vol);
            }
            cli_check_word("pool", c == 'o' ? eq + 1 : optarg);
            int n = snprintf(pools + plen, sizeof(pools) - plen, " pool%s%s", c == 'o' ? ":" : "=",
                             optarg);
            if (n < 0 || (size_t)n >= sizeof(pools) - plen)
                cli_usage("too many pools");
            plen += (size_t)n;
            break;
        }
        case 'C':
            klass = optarg;
            break;
        case 't':
            tmpl = optarg;
            break;
        case 'l':
            label = optarg;
            break;
        case 'p':
            if (np == MAX_PROPS)
                cli_usage("too many --property");
            if (!strchr(optarg, '=') || optarg[0] == '=')
                cli_usage("--property wants NAME=VALUE, not '%s'", optarg);
            props[np++] = optarg;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            cli_usage("unknown option (see qvm-create --help)");
        }
    }
    if (optind + 1 != argc)
        cli_usage("expected one qube NAME (see qvm-create --help)");
    name = argv[optind];
    cli_check_vm_name(name);
    if (!label)
        cli_usage("--label is required");
    if (!valid_class(klass))
        cli_usage("invalid class '%s'", klass);
    if (tmpl)
        cli_check_vm_name(tmpl);
    for (const char *p = label; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            cli_usage("invalid label '%s'", label);
    snprintf(payload, sizeof(payload), "name=%s label=%s", name, label);
    {
        char method[64], full[800];
        snprintf(method, sizeof(method), "admin.vm.%s.%s", plen ? "CreateInPool" : "Create", klass);
        snprintf(full, sizeof(full), "%s%s", payload, pools);
        if (cli_do(method, tmpl ? tmpl : "", "dom0", full) < 0)
            return CLI_FAIL;
    }
    for (size_t i = 0; i < np; i++) {
        char *eq = strchr(props[i], '=');
        *eq = '\0';
        if (cli_do("admin.vm.property.Set", props[i], name, eq + 1) < 0) {
            /* undo: the command either does all it was asked or nothing */
            if (cli_do("admin.vm.Remove", NULL, name, NULL) < 0)
                cli_err("%s was created but could not be removed again", name);
            return CLI_FAIL;
        }
    }
    return CLI_OK;
}
