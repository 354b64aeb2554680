/* Building a start's plan: settings from the store, then pure rules. */
#include "dom0/qvmd/start_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int get(struct store *s, const struct vm_info *vm, const char *name, char *val, size_t sz,
               struct qerr *e)
{
    bool dflt;
    const struct prop_def *def;

    return store_prop_get(s, vm, name, val, sz, &dflt, &def, e);
}

static int get_int(struct store *s, const struct vm_info *vm, const char *name, int *out,
                   struct qerr *e)
{
    char v[32];

    if (get(s, vm, name, v, sizeof(v), e) < 0)
        return -1;
    *out = v[0] ? atoi(v) : 0;
    return 0;
}

/* A setting copied into its field; one that does not fit is an error
 * rather than silently cut. */
static int set(char *dst, size_t sz, const char *src, const char *what, struct qerr *e)
{
    size_t n = strlen(src);

    if (n >= sz)
        return qerr_set(e, "QubesValueError", "%s is too long to start with", what);
    memcpy(dst, src, n + 1);
    return 0;
}

/* The features a start uses: service.NAME toggles and "gui". */
static int add_feature(void *ctx, const char *k, const char *v)
{
    struct start_props *p = ctx;

    if (strcmp(k, "gui") == 0)
        p->gui = v[0] != 0;
    if (strncmp(k, "service.", 8) || p->nservices >= PLAN_MAX_SERVICES)
        return 0;
    snprintf(p->services[p->nservices].name, sizeof(p->services[0].name), "%s", k + 8);
    p->services[p->nservices++].on = v[0] != 0;
    return 0;
}

int plan_read_props(struct store *s, const struct vm_info *vm, struct start_props *p,
                    struct qerr *e)
{
    char v[STORE_VALUE_MAX];

    memset(p, 0, sizeof(*p));
    p->qid = vm->qid;
    p->cls = vm->cls;
    snprintf(p->name, sizeof(p->name), "%s", vm->name);
    snprintf(p->uuid, sizeof(p->uuid), "%s", vm->uuid);
    if (vm->cls == VC_APP || vm->cls == VC_DISP) {
        if (get(s, vm, "template", v, sizeof(v), e) < 0 ||
            set(p->template_name, sizeof(p->template_name), v, "template", e) < 0)
            return -1;
    }
    if (get(s, vm, "virt_mode", v, sizeof(v), e) < 0 ||
        set(p->virt_mode, sizeof(p->virt_mode), v, "virt_mode", e) < 0 ||
        get(s, vm, "kernel", v, sizeof(v), e) < 0 ||
        set(p->kernel, sizeof(p->kernel), v, "kernel", e) < 0 ||
        get(s, vm, "kernelopts", v, sizeof(v), e) < 0 ||
        set(p->kernelopts, sizeof(p->kernelopts), v, "kernelopts", e) < 0 ||
        get(s, vm, "default_user", v, sizeof(v), e) < 0 ||
        set(p->default_user, sizeof(p->default_user), v, "default_user", e) < 0)
        return -1;
    if (get_int(s, vm, "memory", &p->memory, e) < 0 ||
        get_int(s, vm, "maxmem", &p->maxmem, e) < 0 || get_int(s, vm, "vcpus", &p->vcpus, e) < 0 ||
        get_int(s, vm, "qrexec_timeout", &p->qrexec_timeout, e) < 0 ||
        get_int(s, vm, "shutdown_timeout", &p->shutdown_timeout, e) < 0 ||
        get(s, vm, "template_for_dispvms", v, sizeof(v), e) < 0)
        return -1;
    p->template_for_dispvms = !strcmp(v, "True");
    p->gui = true;
    store_feature_list(s, vm->qid, add_feature, p);
    return 0;
}

/* Qubes' base command line, except the root: Bulkhead's guests mount
 * xvda itself (the AppVM's root is already a throwaway snapshot, so no
 * dm-snapshot over xvda and xvdc is needed). */
#define BASE_CMDLINE "root=/dev/xvda rw nomodeset console=hvc0"

int plan_domain(const struct start_props *p, bool need_kernel, const char *kernels_dir,
                const char *default_kernelopts, int ndisks, const char *const *vdevs,
                const char *const *paths, const bool *rw, struct be_spec *out, char *err,
                size_t errsz)
{
    const char *opts = p->kernelopts[0]     ? p->kernelopts
                       : default_kernelopts ? default_kernelopts
                                            : "swiotlb=2048";
    int n;

    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", p->name);
    snprintf(out->uuid, sizeof(out->uuid), "%s", p->uuid);
    out->qid = p->qid;
    if (strcmp(p->virt_mode, "pvh") && strcmp(p->virt_mode, "pv")) {
        snprintf(err, errsz, "virt_mode %s is not supported yet (pvh or pv)", p->virt_mode);
        return -1;
    }
    snprintf(out->virt_mode, sizeof(out->virt_mode), "%s", p->virt_mode);
    if (!p->kernel[0] && need_kernel) {
        snprintf(err, errsz,
                 "no kernel set (the kernel property or the global default_kernel); "
                 "booting the qube's own kernel is not supported yet");
        return -1;
    }
    /* the property's rule already refused '/' and "..", so this stays in
     * kernels_dir */
    if (p->kernel[0] && (snprintf(out->kernel, sizeof(out->kernel), "%s/%s/vmlinuz", kernels_dir,
                                  p->kernel) >= (int)sizeof(out->kernel) ||
                         snprintf(out->initramfs, sizeof(out->initramfs), "%s/%s/initramfs",
                                  kernels_dir, p->kernel) >= (int)sizeof(out->initramfs))) {
        snprintf(err, errsz, "kernel path too long");
        return -1;
    }
    n = snprintf(out->cmdline, sizeof(out->cmdline), "%s %s", BASE_CMDLINE, opts);
    if (n < 0 || (size_t)n >= sizeof(out->cmdline)) {
        snprintf(err, errsz, "kernel command line too long");
        return -1;
    }
    out->memory_mib = p->memory;
    /* 0 disables balancing: the qube keeps what it starts with */
    out->maxmem_mib = p->maxmem > p->memory ? p->maxmem : p->memory;
    out->vcpus = p->vcpus > 0 ? p->vcpus : 1;
    for (int i = 0; i < ndisks; i++) {
        struct be_disk *d;
        if (!paths[i] || !paths[i][0])
            continue;
        if (out->ndisks >= BE_MAX_DISKS) {
            snprintf(err, errsz, "too many disks");
            return -1;
        }
        d = &out->disks[out->ndisks++];
        snprintf(d->vdev, sizeof(d->vdev), "%s", vdevs[i]);
        if (snprintf(d->target, sizeof(d->target), "%s", paths[i]) >= (int)sizeof(d->target)) {
            snprintf(err, errsz, "disk path too long: %s", vdevs[i]);
            return -1;
        }
        d->rw = rw[i];
    }
    return 0;
}

static int kv(struct buf *out, const char *k, const char *v)
{
    if (buf_append(out, k, strlen(k) + 1) < 0 || buf_append(out, v, strlen(v) + 1) < 0)
        return -1;
    return 0;
}

/* What the qube's files persist: templates and standalones keep their
 * root, AppVMs only their private volume, disposables nothing. */
static const char *persistence(enum vm_class c)
{
    switch (c) {
    case VC_TEMPLATE:
    case VC_STANDALONE:
        return "full";
    case VC_APP:
        return "rw-only";
    default:
        return "none";
    }
}

static const char *vm_type(enum vm_class c)
{
    switch (c) {
    case VC_TEMPLATE:
        return "TemplateVM";
    case VC_DISP:
        return "DispVM";
    case VC_STANDALONE:
        return "StandaloneVM";
    case VC_ADMIN:
        return "AdminVM";
    default:
        return "AppVM";
    }
}

int plan_qdb_keys(const struct start_props *p, const char *timezone, const unsigned char seed[64],
                  struct buf *out)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char seedtxt[89], path[128];
    size_t j = 0;
    int r = 0;

    /* base64 of the 64 bytes: 21 full groups, then one byte and "==" */
    for (int i = 0; i + 2 < 64; i += 3) {
        unsigned v = (unsigned)seed[i] << 16 | (unsigned)seed[i + 1] << 8 | seed[i + 2];
        for (int k = 3; k >= 0; k--)
            seedtxt[j++] = b64[(v >> (6 * k)) & 63];
    }
    seedtxt[j++] = b64[seed[63] >> 2];
    seedtxt[j++] = b64[(seed[63] & 3) << 4];
    seedtxt[j++] = '=';
    seedtxt[j++] = '=';
    seedtxt[j] = 0;

    r |= kv(out, "/name", p->name);
    r |= kv(out, "/type", vm_type(p->cls));
    r |= kv(out, "/qubes-vm-type", vm_type(p->cls));
    r |= kv(out, "/qubes-vm-updateable",
            p->cls == VC_TEMPLATE || p->cls == VC_STANDALONE ? "True" : "False");
    r |= kv(out, "/qubes-vm-persistence", persistence(p->cls));
    if (p->template_name[0])
        r |= kv(out, "/qubes-base-template", p->template_name);
    r |= kv(out, "/qubes-debug-mode", "0");
    r |= kv(out, "/default-user", p->default_user);
    if (timezone[0])
        r |= kv(out, "/qubes-timezone", timezone);
    r |= kv(out, "/qubes-random-seed", seedtxt);
    /* the GUI domain is dom0, whose gui-daemon (started by qvm-start-daemon
     * in the desktop session) connects to the qube's gui-agent */
    r |= kv(out, "/qubes-gui-enabled", p->gui ? "True" : "False");
    if (p->gui)
        r |= kv(out, "/qubes-gui-domain-xid", "0");
    for (int i = 0; i < p->nservices; i++) {
        /* QubesDB paths are shorter than 64 bytes: a longer name cannot
         * be expressed, and no service has one */
        if (snprintf(path, sizeof(path), "/qubes-service/%s", p->services[i].name) >= 64)
            continue;
        r |= kv(out, path, p->services[i].on ? "1" : "0");
    }
    return r ? -1 : 0;
}
