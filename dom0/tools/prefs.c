/* Property listing, get, set and reset; see prefs.h. */
#include "dom0/tools/prefs.h"

#include "dom0/tools/lib/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f, bool global)
{
    if (global)
        fprintf(f, "usage: qubes-prefs [options] [PROPERTY [VALUE]]\n"
                   "List, get or set global properties.\n");
    else
        fprintf(f, "usage: qvm-prefs [options] QUBE [PROPERTY [VALUE]]\n"
                   "List, get or set a qube's properties.\n");
    fprintf(f, "  (no PROPERTY)       list all: NAME, 'D' if the value is the default\n"
               "                      ('-' if set), VALUE\n"
               "  --hide-default      list only the properties that are set\n"
               "  -g, --get           get PROPERTY (what PROPERTY alone does)\n"
               "  -s, --set           set PROPERTY to VALUE (what both do)\n"
               "  -D, --default       reset PROPERTY to its default\n"
               "  -h, --help          this text\n"
               "An empty VALUE ('') clears a qube-valued property (none).\n"
               "Exit: 0 done, 1 qvmd refused (nothing changed), 2 usage.\n");
}

/* Property names are lower-case words; anything else is a typo and must
 * not reach the method name. */
static void check_prop_name(const char *s)
{
    const char *p = s;

    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            break;
    if (*p || !*s || p - s > 64)
        cli_usage("invalid property name '%s'", s);
}

static int list_all(const char *prefix, const char *dest, bool hide_default)
{
    char method[64];
    struct qadmin_result res;
    struct qadmin_str line;
    struct qadmin_prop p;
    size_t pos = 0, width = 0;

    snprintf(method, sizeof(method), "%s.GetAll", prefix);
    if (cli_call(method, NULL, dest, NULL, &res) < 0)
        return CLI_FAIL;
    while (qadmin_next_line(res.data, &pos, &line))
        if (qadmin_parse_prop(line, true, &p) == 0 && p.name.len > width)
            width = p.name.len;
    pos = 0;
    while (qadmin_next_line(res.data, &pos, &line)) {
        if (line.len == 0)
            continue;
        if (qadmin_parse_prop(line, true, &p) < 0) {
            cli_err("qvmd sent a malformed property line");
            qadmin_result_free(&res);
            return CLI_FAIL;
        }
        if (hide_default && p.is_default)
            continue;
        cli_put(p.name);
        printf("%*s  %s  ", (int)(width - p.name.len), "", p.is_default ? "D" : "-");
        cli_put(p.value);
        putchar('\n');
    }
    qadmin_result_free(&res);
    return CLI_OK;
}

int prefs_main(int argc, char **argv, bool global)
{
    enum { O_HIDE = 256 };
    static const struct option opts[] = {
        {"get", no_argument, NULL, 'g'},     {"set", no_argument, NULL, 's'},
        {"default", no_argument, NULL, 'D'}, {"hide-default", no_argument, NULL, O_HIDE},
        {"help", no_argument, NULL, 'h'},    {NULL, 0, NULL, 0}};
    const char *prefix = global ? "admin.property" : "admin.vm.property";
    const char *dest = "dom0", *prop, *value;
    bool get = false, set = false, reset = false, hide = false;
    struct qadmin_result res;
    struct qadmin_prop p;
    char method[64];
    int c, nargs;

    cli_prog = global ? "qubes-prefs" : "qvm-prefs";
    cli_keep_negative_numbers(argc, argv);
    while ((c = getopt_long(argc, argv, "gsDh", opts, NULL)) != -1) {
        switch (c) {
        case 'g':
            get = true;
            break;
        case 's':
            set = true;
            break;
        case 'D':
            reset = true;
            break;
        case O_HIDE:
            hide = true;
            break;
        case 'h':
            usage(stdout, global);
            return CLI_OK;
        default:
            cli_usage("unknown option (see %s --help)", cli_prog);
        }
    }
    if (get + set + reset > 1)
        cli_usage("--get, --set and --default exclude each other");
    if (!global) {
        if (optind == argc)
            cli_usage("expected a QUBE (see qvm-prefs --help)");
        dest = argv[optind++];
        cli_check_vm_name(dest);
    }
    nargs = argc - optind;
    prop = nargs > 0 ? argv[optind] : NULL;
    value = nargs > 1 ? cli_arg(argv[optind + 1]) : NULL;
    if (nargs > 2)
        cli_usage("too many arguments (a VALUE with spaces needs quotes)");
    if (prop)
        check_prop_name(prop);
    if (!prop) {
        if (get || set || reset)
            cli_usage("a PROPERTY is needed");
        return list_all(prefix, dest, hide);
    }
    if ((get || reset) && value)
        cli_usage("no VALUE with --%s", get ? "get" : "default");
    if (set && !value)
        cli_usage("--set needs a VALUE");
    if (reset) {
        snprintf(method, sizeof(method), "%s.Reset", prefix);
        return cli_do(method, prop, dest, NULL) < 0 ? CLI_FAIL : CLI_OK;
    }
    if (value) {
        snprintf(method, sizeof(method), "%s.Set", prefix);
        return cli_do(method, prop, dest, value) < 0 ? CLI_FAIL : CLI_OK;
    }
    snprintf(method, sizeof(method), "%s.Get", prefix);
    if (cli_call(method, prop, dest, NULL, &res) < 0)
        return CLI_FAIL;
    if (qadmin_parse_prop(res.data, false, &p) < 0) {
        cli_err("qvmd sent a malformed property value");
        qadmin_result_free(&res);
        return CLI_FAIL;
    }
    cli_put(p.value);
    putchar('\n');
    qadmin_result_free(&res);
    return CLI_OK;
}
