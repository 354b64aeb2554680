/* qvm-template: install template files (template_install.c), and list,
 * show and remove the templates installed from them. An installed
 * template is a TemplateVM with the feature template-name (with
 * template-version, -description, -installtime, -buildtime beside it, as
 * Qubes records them), its kernel in the kernels directory under its
 * `kernel` property. */
#include "dom0/tools/lib/cli.h"
#include "dom0/tools/template_conf.h"
#include "dom0/tools/template_install.h"
#include "dom0/tools/template_kernel.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: qvm-template [options] COMMAND [ARGS...]\n"
               "Install templates from template files, list, show and remove them.\n"
               "  install [--pool POOL] [--name NAME] FILE\n"
               "                          install the template in FILE (a .template file)\n"
               "  list [--installed] [--machine-readable]\n"
               "                          the installed templates, with version and date\n"
               "  info NAME               an installed template's metadata\n"
               "  info [--verify] [--raw] FILE\n"
               "                          a file's template.conf (--verify: check every\n"
               "                          member's SHA-256 too)\n"
               "  remove NAME             remove an installed template no qube uses, and its\n"
               "                          kernel when no other qube uses it\n"
               "  -q, --quiet             no progress on the terminal\n"
               "  -h, --help              this text\n"
               "Exit: 0 done, 1 refused or failed (nothing installed), 2 usage.\n");
}

/* Every qube from one admin.vm.List. */
struct qubes {
    struct qadmin_vm *vm;
    size_t n;
};

static int list_qubes(struct qubes *q)
{
    struct qadmin_result res;
    struct qadmin_str line;
    size_t pos = 0;

    q->vm = NULL;
    q->n = 0;
    if (cli_call("admin.vm.List", NULL, "dom0", NULL, &res) < 0)
        return -1;
    while (qadmin_next_line(res.data, &pos, &line)) {
        struct qadmin_vm vm, *nv;
        if (qadmin_parse_vm_line(line, &vm) < 0 || !strcmp(vm.name, "dom0"))
            continue;
        if (!(nv = realloc(q->vm, (q->n + 1) * sizeof(*nv)))) {
            qadmin_result_free(&res);
            cli_err("out of memory");
            return -1;
        }
        q->vm = nv;
        q->vm[q->n++] = vm;
    }
    qadmin_result_free(&res);
    return 0;
}

/* One call per qube, all in flight at once: res[i] for q->vm[i]. */
static struct qadmin_result *ask_each(const struct qubes *q, const char *method, const char *arg)
{
    struct qadmin_req *req = calloc(q->n + 1, sizeof(*req));
    struct qadmin_result *res = calloc(q->n + 1, sizeof(*res));

    if (!req || !res) {
        free(req);
        free(res);
        cli_err("out of memory");
        return NULL;
    }
    for (size_t i = 0; i < q->n; i++)
        req[i] = (struct qadmin_req){method, arg, q->vm[i].name, NULL, 0};
    qadmin_call_many(req, res, q->n);
    free(req);
    return res;
}

static void free_each(struct qadmin_result *res, size_t n)
{
    for (size_t i = 0; res && i < n; i++)
        qadmin_result_free(&res[i]);
    free(res);
}

/* A reply's data as a printable C string (or "" if the call failed). */
static const char *text(const struct qadmin_result *r, char *buf, size_t bufsz)
{
    size_t n = r->status == 0 && r->data.len < bufsz ? r->data.len : 0;

    memcpy(buf, n ? r->data.p : "", n);
    buf[n] = 0;
    for (size_t i = 0; i < n; i++)
        if (buf[i] < 0x20 || buf[i] > 0x7e)
            buf[i] = '?';
    return buf;
}

/* A property's value from a Get reply (or ""). */
static const char *prop_value(const struct qadmin_result *r, char *buf, size_t bufsz)
{
    struct qadmin_prop p;

    buf[0] = 0;
    if (r->status == 0 && qadmin_parse_prop(r->data, false, &p) == 0 && p.value.len < bufsz) {
        memcpy(buf, p.value.p, p.value.len);
        buf[p.value.len] = 0;
    }
    return buf;
}

static int cmd_list(bool machine)
{
    struct qadmin_result *tn, *ver, *when;
    struct qubes q;
    char a[128], b[128], c[128];

    if (list_qubes(&q) < 0)
        return CLI_FAIL;
    tn = ask_each(&q, "admin.vm.feature.Get", "template-name");
    ver = ask_each(&q, "admin.vm.feature.Get", "template-version");
    when = ask_each(&q, "admin.vm.feature.Get", "template-installtime");
    if (!tn || !ver || !when) {
        free_each(tn, q.n), free_each(ver, q.n), free_each(when, q.n), free(q.vm);
        return CLI_FAIL;
    }
    if (!machine)
        printf("%-24s %-20s %-24s %s\n", "NAME", "VERSION", "INSTALLED", "TEMPLATE");
    for (size_t i = 0; i < q.n; i++) {
        if (strcmp(q.vm[i].klass, "TemplateVM") || tn[i].status != 0)
            continue;
        text(&tn[i], a, sizeof(a));
        text(&ver[i], b, sizeof(b));
        text(&when[i], c, sizeof(c));
        if (machine)
            printf("%s|%s|%s|%s\n", q.vm[i].name, b, c, a);
        else
            printf("%-24s %-20s %-24s %s\n", q.vm[i].name, b, c, a);
    }
    free_each(tn, q.n), free_each(ver, q.n), free_each(when, q.n), free(q.vm);
    return CLI_OK;
}

/* The qube's entry in q, if it is an installed template (else printed). */
static const struct qadmin_vm *installed(const struct qubes *q, const char *name)
{
    for (size_t i = 0; i < q->n; i++) {
        struct qadmin_req req = {"admin.vm.feature.Get", "template-name", name, NULL, 0};
        struct qadmin_result res;
        int r;

        if (strcmp(q->vm[i].name, name))
            continue;
        r = qadmin_call(&req, &res);
        qadmin_result_free(&res);
        if (strcmp(q->vm[i].klass, "TemplateVM") || r < 0) {
            cli_err("%s is not a template installed by qvm-template", name);
            return NULL;
        }
        return &q->vm[i];
    }
    cli_err("no such template: %s", name);
    return NULL;
}

static int cmd_info_name(const char *name)
{
    static const char *const feats[] = {"template-name", "template-version", "template-description",
                                        "template-buildtime", "template-installtime"};
    struct qubes q;
    char v[1100];

    cli_check_vm_name(name);
    if (list_qubes(&q) < 0)
        return CLI_FAIL;
    if (!installed(&q, name)) {
        free(q.vm);
        return CLI_FAIL;
    }
    free(q.vm);
    printf("%-17s %s\n", "qube", name);
    for (size_t i = 0; i < sizeof(feats) / sizeof(feats[0]); i++) {
        struct qadmin_req req = {"admin.vm.feature.Get", feats[i], name, NULL, 0};
        struct qadmin_result res;
        qadmin_call(&req, &res);
        printf("%-17s %s\n", feats[i] + 9, res.status == 0 ? text(&res, v, sizeof(v)) : "");
        qadmin_result_free(&res);
    }
    {
        struct qadmin_req req = {"admin.vm.property.Get", "kernel", name, NULL, 0};
        struct qadmin_result res;
        qadmin_call(&req, &res);
        printf("%-17s %s\n", "kernel", prop_value(&res, v, sizeof(v)));
        qadmin_result_free(&res);
    }
    return CLI_OK;
}

/* Removes the kernel directory of version unless a qube (other than the
 * removed one, which is gone) or the global default_kernel still names
 * it. */
static int drop_kernel(const char *version)
{
    struct qadmin_result *k, g;
    struct qubes q;
    char v[128], dir[4096];
    bool used = false;

    if (!version[0] || !tconf_kernel_version_ok(version, strlen(version)))
        return 0;
    if (tkernel_dir(dir, sizeof(dir)) < 0 || list_qubes(&q) < 0)
        return -1;
    if (!(k = ask_each(&q, "admin.vm.property.Get", "kernel"))) {
        free(q.vm);
        return -1;
    }
    for (size_t i = 0; i < q.n; i++)
        if (!strcmp(prop_value(&k[i], v, sizeof(v)), version))
            used = true;
    free_each(k, q.n);
    free(q.vm);
    if (cli_call("admin.property.Get", "default_kernel", "dom0", NULL, &g) < 0)
        return -1;
    if (!strcmp(prop_value(&g, v, sizeof(v)), version))
        used = true;
    qadmin_result_free(&g);
    if (used)
        return 0;
    return tkernel_remove_version(dir, version) < 0 ? -1 : 0;
}

static int cmd_remove(const char *name)
{
    struct qadmin_result *tmpl, kr;
    const struct qadmin_vm *vm;
    struct qubes q;
    char users[1024] = "", v[128], kernel[128];
    size_t ulen = 0;

    cli_check_vm_name(name);
    if (list_qubes(&q) < 0)
        return CLI_FAIL;
    if (!(vm = installed(&q, name))) {
        free(q.vm);
        return CLI_FAIL;
    }
    if (strcmp(vm->state, "Halted")) {
        cli_err("cannot remove %s: it is %s (qvm-shutdown it first)", name, vm->state);
        free(q.vm);
        return CLI_FAIL;
    }
    if (!(tmpl = ask_each(&q, "admin.vm.property.Get", "template"))) {
        free(q.vm);
        return CLI_FAIL;
    }
    for (size_t i = 0; i < q.n; i++)
        if (!strcmp(prop_value(&tmpl[i], v, sizeof(v)), name) && ulen + 40 < sizeof(users))
            ulen += (size_t)snprintf(users + ulen, sizeof(users) - ulen, "%s%s", ulen ? ", " : "",
                                     q.vm[i].name);
    free_each(tmpl, q.n);
    free(q.vm);
    if (ulen) {
        cli_err("cannot remove %s: used as template by %s", name, users);
        return CLI_FAIL;
    }
    if (cli_call("admin.vm.property.Get", "kernel", name, NULL, &kr) < 0)
        return CLI_FAIL;
    prop_value(&kr, kernel, sizeof(kernel));
    qadmin_result_free(&kr);
    if (cli_do("admin.vm.Remove", NULL, name, NULL) < 0)
        return CLI_FAIL;
    return drop_kernel(kernel) < 0 ? CLI_FAIL : CLI_OK;
}

/* info's argument is a file when it names one or has a '/'; a qube name
 * has neither. */
static bool is_file(const char *arg)
{
    struct stat st;
    return strchr(arg, '/') || (stat(arg, &st) == 0 && !S_ISDIR(st.st_mode));
}

int main(int argc, char **argv)
{
    enum { O_POOL = 0x100, O_NAME, O_INSTALLED, O_MACHINE, O_VERIFY, O_RAW };
    static const struct option opts[] = {{"pool", required_argument, NULL, O_POOL},
                                         {"name", required_argument, NULL, O_NAME},
                                         {"installed", no_argument, NULL, O_INSTALLED},
                                         {"machine-readable", no_argument, NULL, O_MACHINE},
                                         {"verify", no_argument, NULL, O_VERIFY},
                                         {"raw", no_argument, NULL, O_RAW},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct tinstall_opts io = {0};
    bool machine = false, verify = false, raw = false;
    const char *cmd;
    int c, n;
    char **args;

    cli_prog = "qvm-template";
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case O_POOL:
            cli_check_word("pool", optarg);
            io.pool = optarg;
            break;
        case O_NAME:
            cli_check_vm_name(optarg);
            io.name = optarg;
            break;
        case O_INSTALLED:
            break; /* the only kind listed: there are no repositories */
        case O_MACHINE:
            machine = true;
            break;
        case O_VERIFY:
            verify = true;
            break;
        case O_RAW:
            raw = true;
            break;
        case 'q':
            io.quiet = true;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            cli_usage("unknown option (see qvm-template --help)");
        }
    }
    args = &argv[optind];
    n = argc - optind;
    if (n < 1)
        cli_usage("expected a COMMAND (see qvm-template --help)");
    cmd = args[0];
    if ((io.pool || io.name) && strcmp(cmd, "install"))
        cli_usage("--pool and --name are options of install");
    if ((verify || raw) && strcmp(cmd, "info"))
        cli_usage("--verify and --raw are options of info FILE");
    if (machine && strcmp(cmd, "list"))
        cli_usage("--machine-readable is an option of list");
    if (!strcmp(cmd, "install")) {
        if (n != 2)
            cli_usage("install takes one FILE");
        io.file = args[1];
        return tinstall_run(&io);
    }
    if (!strcmp(cmd, "list")) {
        if (n != 1)
            cli_usage("list takes no arguments");
        return cmd_list(machine);
    }
    if (!strcmp(cmd, "info")) {
        if (n != 2)
            cli_usage("info takes one NAME or FILE");
        if (is_file(args[1]))
            return tinstall_info_file(args[1], verify, raw);
        if (verify || raw)
            cli_usage("--verify and --raw are for a FILE; %s is none", args[1]);
        return cmd_info_name(args[1]);
    }
    if (!strcmp(cmd, "remove") || !strcmp(cmd, "uninstall")) {
        if (n != 2)
            cli_usage("remove takes one NAME");
        return cmd_remove(args[1]);
    }
    cli_usage("unknown command '%s' (see qvm-template --help)", cmd);
}
