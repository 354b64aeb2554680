/* The data model tables and the validation rules; see props.h. */
#include "dom0/qvmd/props.h"

#include "qrexec/proto/qrexec_names.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const class_names[VC_COUNT] = {"AdminVM", "TemplateVM", "AppVM", "DispVM",
                                                  "StandaloneVM"};

const char *vm_class_name(enum vm_class c)
{
    return (unsigned)c < VC_COUNT ? class_names[c] : NULL;
}

int vm_class_parse(const char *s)
{
    for (int i = 0; i < VC_COUNT; i++)
        if (!strcmp(s, class_names[i]))
            return i;
    return -1;
}

const char *prop_type_name(enum prop_type t)
{
    static const char *const n[] = {"str", "int", "bool", "vm", "label", "uuid"};
    return n[t];
}

#define TMPL_BASED (VC_BIT(VC_APP) | VC_BIT(VC_DISP))
#define ANY        VC_ALL
#define NA         VC_NONADMIN
#define DSP        VC_BIT(VC_DISP)
#define TB         TMPL_BASED

/* Defaults follow the spec (section 5): memory 400 MiB, vcpus 2, timeouts
 * from the globals, netvm from default_netvm (None for templates, see
 * store.c), virt_mode pvh. Template-based qubes take what their template
 * has, so a template's settings reach every qube built on it. */
const struct prop_def vm_props[] = {
    {"name", PT_STR, ANY, true, 0, NULL, "", 0, 0, "The qube's name; fixed at creation."},
    {"qid", PT_INT, ANY, true, 0, NULL, "", 0, 10000, "Internal number, 0 for dom0."},
    {"uuid", PT_UUID, ANY, true, 0, NULL, "", 0, 0, "The qube's UUID, generated at creation."},
    {"xid", PT_INT, ANY, true, 0, NULL, "-1", -1, INT32_MAX,
     "Domain id while the qube runs (0 for dom0); -1 otherwise."},
    {"label", PT_LABEL, ANY, false, 0, NULL, "red", 0, 0, "Colour of the qube's windows."},
    {"template", PT_VM, TMPL_BASED, false, 0, NULL, "", 0, 0,
     "The template (AppVM) or the disposable template (DispVM) this qube is built on."},
    {"netvm", PT_VM, NA, false, DSP, "default_netvm", "", 0, 0,
     "The qube giving this qube network; empty for none."},
    {"provides_network", PT_BOOL, NA, false, DSP, NULL, "False", 0, 0,
     "Whether other qubes may use this qube as their netvm."},
    {"memory", PT_INT, NA, false, TB, NULL, "400", 32, 1048576, "Initial memory in MiB."},
    {"maxmem", PT_INT, NA, false, TB, NULL, "", 0, 1048576,
     "Maximum memory in MiB for balancing; 0 disables balancing."},
    {"vcpus", PT_INT, NA, false, TB, NULL, "2", 1, 128, "Number of virtual CPUs."},
    {"virt_mode", PT_STR, NA, false, TB, NULL, "pvh", 0, 0, "pvh, hvm or pv."},
    {"kernel", PT_STR, NA, false, TB, "default_kernel", "", 0, 0,
     "Kernel from dom0's kernel directory; empty means the qube's own kernel."},
    {"kernelopts", PT_STR, NA, false, TB, NULL, "", 0, 0, "Extra kernel command line."},
    {"default_dispvm", PT_VM, NA, false, DSP, "default_dispvm", "", 0, 0,
     "Disposable template used for this qube's disposables."},
    {"template_for_dispvms", PT_BOOL, NA, false, 0, NULL, "False", 0, 0,
     "Whether disposables may be built on this qube."},
    {"autostart", PT_BOOL, NA, false, 0, NULL, "False", 0, 0, "Start at boot."},
    {"qrexec_timeout", PT_INT, NA, false, TB, "default_qrexec_timeout", "60", 1, 3600,
     "Seconds to wait for the qube's qrexec agent at start."},
    {"shutdown_timeout", PT_INT, NA, false, TB, "default_shutdown_timeout", "60", 1, 3600,
     "Seconds to wait for a clean shutdown."},
    {"default_user", PT_STR, NA, false, TB, NULL, "user", 0, 0,
     "User that commands run as unless another is given."},
    {"include_in_backups", PT_BOOL, NA, false, 0, NULL, "True", 0, 0,
     "Whether backups include this qube by default."},
};
const size_t vm_props_count = sizeof(vm_props) / sizeof(vm_props[0]);

const struct prop_def global_props[] = {
    {"clockvm", PT_VM, 0, false, 0, NULL, "", 0, 0, "Qube that sets dom0's clock."},
    {"default_dispvm", PT_VM, 0, false, 0, NULL, "", 0, 0, "Default disposable template."},
    {"default_kernel", PT_STR, 0, false, 0, NULL, "", 0, 0, "Default kernel for qubes."},
    {"default_netvm", PT_VM, 0, false, 0, NULL, "", 0, 0, "Default netvm for new qubes."},
    {"default_pool", PT_STR, 0, false, 0, NULL, "varlibqubes", 0, 0,
     "Default storage pool of new volumes."},
    {"default_pool_kernel", PT_STR, 0, false, 0, NULL, "linux-kernel", 0, 0,
     "Storage pool of new qubes' kernel volumes."},
    {"default_pool_private", PT_STR, 0, false, 0, "default_pool", "", 0, 0,
     "Storage pool of new private volumes (default: default_pool)."},
    {"default_pool_root", PT_STR, 0, false, 0, "default_pool", "", 0, 0,
     "Storage pool of new root volumes (default: default_pool)."},
    {"default_pool_volatile", PT_STR, 0, false, 0, "default_pool", "", 0, 0,
     "Storage pool of new volatile volumes (default: default_pool)."},
    {"default_qrexec_timeout", PT_INT, 0, false, 0, NULL, "60", 1, 3600, "Default qrexec_timeout."},
    {"default_shutdown_timeout", PT_INT, 0, false, 0, NULL, "60", 1, 3600,
     "Default shutdown_timeout."},
    {"default_template", PT_VM, 0, false, 0, NULL, "", 0, 0,
     "Template for new AppVMs when none is given."},
    {"management_dispvm", PT_VM, 0, false, 0, NULL, "", 0, 0,
     "Disposable template for management tasks."},
    {"stats_interval", PT_INT, 0, false, 0, NULL, "3", 1, 3600,
     "Seconds between resource statistics."},
    {"updatevm", PT_VM, 0, false, 0, NULL, "", 0, 0, "Qube that downloads dom0 updates."},
};
const size_t global_props_count = sizeof(global_props) / sizeof(global_props[0]);

const struct prop_def *prop_find(const struct prop_def *tab, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(tab[i].name, name))
            return &tab[i];
    return NULL;
}

const struct label_def labels[8] = {
    {1, 0xcc0000, "red"},  {2, 0xf57900, "orange"}, {3, 0xedd400, "yellow"}, {4, 0x73d216, "green"},
    {5, 0x555555, "gray"}, {6, 0x3465a4, "blue"},   {7, 0x75507b, "purple"}, {8, 0x000000, "black"},
};

const struct label_def *label_find(const char *name)
{
    for (size_t i = 0; i < 8; i++)
        if (!strcmp(labels[i].name, name))
            return &labels[i];
    return NULL;
}

#define GiB (1024LL * 1024 * 1024)
#define MiB (1024LL * 1024)
/* The Qubes layout: a template's root is its own and kept; a template-based
 * qube gets a fresh snapshot of its template's root at each start; private
 * is always the qube's own (a disposable's is a snapshot of its disposable
 * template's); volatile is scratch; kernel comes from dom0. */
static const struct vol_rule rules[VC_COUNT][VOL_COUNT] = {
    [VC_ADMIN] = {{"root", false, 0, 0, 0, VS_NONE, 0},
                  {"private", false, 0, 0, 0, VS_NONE, 0},
                  {"volatile", false, 0, 0, 0, VS_NONE, 0},
                  {"kernel", false, 0, 0, 0, VS_NONE, 0}},
    [VC_TEMPLATE] = {{"root", true, true, false, true, VS_NONE, 20 * GiB},
                     {"private", true, true, false, true, VS_NONE, 2 * GiB},
                     {"volatile", true, true, false, false, VS_NONE, 10 * GiB},
                     {"kernel", true, false, false, false, VS_KERNEL, 0}},
    [VC_APP] = {{"root", true, false, true, false, VS_TEMPLATE, 20 * GiB},
                {"private", true, true, false, true, VS_NONE, 2 * GiB},
                {"volatile", true, true, false, false, VS_NONE, 10 * GiB},
                {"kernel", true, false, false, false, VS_KERNEL, 0}},
    [VC_DISP] = {{"root", true, false, true, false, VS_TEMPLATE, 20 * GiB},
                 {"private", true, false, true, false, VS_TEMPLATE, 2 * GiB},
                 {"volatile", true, true, false, false, VS_NONE, 10 * GiB},
                 {"kernel", true, false, false, false, VS_KERNEL, 0}},
    [VC_STANDALONE] = {{"root", true, true, false, true, VS_NONE, 20 * GiB},
                       {"private", true, true, false, true, VS_NONE, 2 * GiB},
                       {"volatile", true, true, false, false, VS_NONE, 10 * GiB},
                       {"kernel", true, false, false, false, VS_KERNEL, 0}},
};

const struct vol_rule *vol_rules(enum vm_class c)
{
    return rules[c];
}

static bool fail(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return false;
}

bool rule_vm_name(const char *name, char *err, size_t errsz)
{
    if (!qrexec_valid_vm_name(name) || !strcmp(name, "dom0"))
        return fail(err, errsz,
                    "invalid qube name: 1 to 31 characters, a letter then letters, digits, "
                    "'_', '.' or '-'; not dom0, none, default or Domain-0, not ending in -dm");
    return true;
}

static bool printable(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

/* A Unix user name as Debian's adduser accepts by default. */
static bool user_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
              s[i] == '-'))
            return false;
    return true;
}

static bool str_rule(const struct prop_def *def, const char *v, char *err, size_t errsz)
{
    if (!strcmp(def->name, "virt_mode")) {
        if (strcmp(v, "pvh") && strcmp(v, "hvm") && strcmp(v, "pv"))
            return fail(err, errsz, "virt_mode must be pvh, hvm or pv");
    } else if (!strcmp(def->name, "kernel") || !strcmp(def->name, "default_kernel") ||
               !strncmp(def->name, "default_pool", 12)) {
        /* a directory name under dom0's kernel directory: never a path.
         * Kernel versions may hold '+' (6.1.0+deb12, as qvm-template's
         * kernel_version allows); pool names may not. */
        bool kernel = strncmp(def->name, "default_pool", 12) != 0;
        size_t n = strlen(v);
        if (n > 64 || (n && v[0] == '.') ||
            strspn(v, kernel ? "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789._+-"
                             : "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789._-") != n)
            return fail(err, errsz,
                        "%s must be empty or a name of letters, digits, '.', '_', "
                        "'-'%s (at most 64), not starting with '.'",
                        def->name, kernel ? ", '+'" : "");
    } else if (!strcmp(def->name, "default_user")) {
        if (!user_name_ok(v))
            return fail(err, errsz,
                        "default_user must be a user name ([a-z_][a-z0-9_-]*, at "
                        "most 32)");
    } else if (!printable(v, 1024)) {
        return fail(err, errsz, "%s must be printable ASCII, at most 1024 characters", def->name);
    }
    return true;
}

bool rule_value(const struct prop_def *def, const char *raw, char *out, size_t outsz, char *err,
                size_t errsz)
{
    static const char *const yes[] = {"True", "true", "1", "yes", "on"};
    static const char *const no[] = {"False", "false", "0", "no", "off", ""};
    const char *v = raw;

    switch (def->type) {
    case PT_INT: {
        char *end;
        long long x;
        if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 12)
            return fail(err, errsz, "%s must be a whole number", def->name);
        x = strtoll(v, &end, 10);
        if (x < def->min || x > def->max)
            return fail(err, errsz, "%s must be between %lld and %lld", def->name,
                        (long long)def->min, (long long)def->max);
        snprintf(out, outsz, "%lld", x);
        return true;
    }
    case PT_BOOL:
        for (size_t i = 0; i < 5; i++)
            if (!strcasecmp(v, yes[i]))
                return snprintf(out, outsz, "True"), true;
        for (size_t i = 0; i < 6; i++)
            if (!strcasecmp(v, no[i]))
                return snprintf(out, outsz, "False"), true;
        return fail(err, errsz, "%s must be True or False", def->name);
    case PT_LABEL:
        if (!label_find(v))
            return fail(err, errsz,
                        "no such label: %s (labels: red orange yellow green gray "
                        "blue purple black)",
                        v);
        break;
    case PT_VM:
        if (*v && strcmp(v, "dom0") && !qrexec_valid_vm_name(v))
            return fail(err, errsz, "%s must be a qube name or empty", def->name);
        break;
    case PT_UUID:
        if (!qrexec_valid_uuid(v))
            return fail(err, errsz, "%s must be a UUID", def->name);
        break;
    case PT_STR:
        if (!str_rule(def, v, err, errsz))
            return false;
        break;
    }
    if (strlen(v) >= outsz)
        return fail(err, errsz, "%s is too long", def->name);
    memcpy(out, v, strlen(v) + 1);
    return true;
}

bool rule_template(enum vm_class self, enum vm_class tmpl, bool tmpl_for_dispvms,
                   const char *tmpl_name, char *err, size_t errsz)
{
    if (self == VC_APP && tmpl != VC_TEMPLATE)
        return fail(err, errsz, "%s is not a TemplateVM (it is a %s)", tmpl_name,
                    vm_class_name(tmpl));
    if (self == VC_DISP && (tmpl != VC_APP || !tmpl_for_dispvms))
        return fail(err, errsz,
                    "%s is not a disposable template (an AppVM with "
                    "template_for_dispvms=True)",
                    tmpl_name);
    if (self != VC_APP && self != VC_DISP)
        return fail(err, errsz, "a %s has no template", vm_class_name(self));
    return true;
}

bool rule_dispvm_base(enum vm_class c, bool for_dispvms, const char *name, char *err, size_t errsz)
{
    if (c != VC_APP || !for_dispvms)
        return fail(err, errsz,
                    "%s is not a disposable template (an AppVM with "
                    "template_for_dispvms=True)",
                    name);
    return true;
}

bool rule_netvm(const char *self, const char *netvm, bool provides_network, netvm_next_fn next,
                void *ctx, char *err, size_t errsz)
{
    char buf[64];
    const char *cur = netvm;

    if (!*netvm)
        return true;
    if (!provides_network)
        return fail(err, errsz, "%s does not provide network (provides_network=False)", netvm);
    /* the chain is at most as long as the number of qubes; 10001 bounds it */
    for (int hops = 0; hops <= 10001 && cur && *cur; hops++) {
        if (self && !strcmp(cur, self))
            return fail(err, errsz, "setting netvm to %s would make a loop", netvm);
        cur = next(ctx, cur, buf, sizeof(buf));
    }
    return true;
}

bool rule_memory(int64_t memory, int64_t maxmem, char *err, size_t errsz)
{
    if (maxmem != 0 && maxmem < memory)
        return fail(err, errsz, "maxmem (%lld) must be 0 or at least memory (%lld)",
                    (long long)maxmem, (long long)memory);
    return true;
}
