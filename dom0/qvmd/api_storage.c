/* Admin API: storage pools (admin.pool.*) and the volumes of qubes
 * (admin.vm.volume.*, and internal.vm.volume.ImportBegin/End for dom0's
 * qvm-volume import of images larger than a request). Replies use Qubes'
 * formats: names one per line, Info as key=value lines. */
#include "dom0/qvmd/api.h"
#include "dom0/qvmd/store_storage.h"
#include "dom0/storage/driver.h"
#include "dom0/storage/names.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static int need_dom0_dest(struct api_call *a)
{
    if (!a->rq->dest_dom0)
        return qerr_set(&a->e, "QubesException", "%s must be called on dom0", a->rq->method);
    return 0;
}

static int need_qube_dest(struct api_call *a)
{
    if (a->rq->dest_dom0)
        return qerr_set(&a->e, "QubesException", "dom0 has no volumes");
    return 0;
}

static int pool_cfg_of(struct api_call *a, const char *name, struct pool_cfg *cfg)
{
    struct store_pool sp;
    char err[256];

    if (!name[0] || store_pool_get(a->c->store, name, &sp) < 0)
        return qerr_set(&a->e, "QubesValueError", "no such pool: %s", name);
    if (pool_cfg_parse(sp.name, sp.driver, sp.options, cfg, err, sizeof(err)) < 0)
        return qerr_set(&a->e, "QubesException", "pool %s: %s", name, err);
    return 0;
}

/* A whole number from a payload: digits only, at most 18. */
static int payload_int(struct api_call *a, const char *what, long long lo, long long hi,
                       long long *out)
{
    const char *p = a->payload;
    size_t n = strspn(p, "0123456789");

    if (n == 0 || n > 18 || (p[n] && strcmp(p + n, "\n")))
        return qerr_set(&a->e, "QubesValueError", "%s must be a whole number", what);
    *out = strtoll(p, NULL, 10);
    if (*out < lo || *out > hi)
        return qerr_set(&a->e, "QubesValueError", "%s must be between %lld and %lld", what, lo, hi);
    return 0;
}

/* --- pools ----------------------------------------------------------- */

static int list_pool(void *ctx, const struct store_pool *p)
{
    return api_out(ctx, "%s\n", p->name) < 0;
}

static int pool_info(struct api_call *a, bool usage_only)
{
    struct pool_cfg cfg;
    char opts[STORE_POOL_OPTIONS_MAX];
    const struct storage_driver *d;
    int64_t size, used;
    struct qerr e2;

    if (pool_cfg_of(a, a->rq->arg, &cfg) < 0)
        return -1;
    d = storage_driver_find(cfg.driver);
    if (!usage_only) {
        pool_cfg_format(&cfg, opts, sizeof(opts));
        api_out(a, "driver=%s\nname=%s\n%s", cfg.driver, cfg.name, opts);
    }
    /* usage is what the filesystem or thin pool says now; a pool that
     * cannot say (an absent VG) just has none */
    if (d && d->pool_usage(&cfg, &size, &used, &e2) == 0)
        api_out(a, usage_only ? "data_size=%lld\ndata_usage=%lld\n" : "size=%lld\nusage=%lld\n",
                (long long)size, (long long)used);
    return 0;
}

static int pool_add(struct api_call *a)
{
    const char *driver = a->rq->arg, *p = a->payload;
    struct store_pool sp = {.name = ""};
    char opts[STORE_POOL_OPTIONS_MAX] = "", err[256];
    const struct storage_driver *d = storage_driver_find(driver);
    struct pool_cfg cfg;
    size_t used = 0;

    if (!d)
        return qerr_set(&a->e, "QubesValueError", "unknown pool driver: %s", driver);
    /* "name=NAME\n" then the options, one key=value per line */
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (!strncmp(p, "name=", 5) && !sp.name[0]) {
            if (len - 5 >= sizeof(sp.name))
                return qerr_set(&a->e, "QubesValueError", "pool name too long");
            memcpy(sp.name, p + 5, len - 5);
            sp.name[len - 5] = 0;
        } else if (len) {
            if (used + len + 2 > sizeof(opts))
                return qerr_set(&a->e, "QubesValueError", "pool options too long");
            memcpy(opts + used, p, len);
            used += len;
            opts[used++] = '\n';
            opts[used] = 0;
        }
        p += len + (nl ? 1 : 0);
    }
    if (!sp.name[0])
        return qerr_set(&a->e, "QubesValueError", "the payload must start with name=POOL");
    if (pool_cfg_parse(sp.name, driver, opts, &cfg, err, sizeof(err)) < 0)
        return qerr_set(&a->e, "QubesValueError", "%s", err);
    if (store_pool_get(a->c->store, sp.name, NULL) == 0)
        return qerr_set(&a->e, "QubesValueError", "a pool named %s already exists", sp.name);
    if (d->pool_setup(&cfg, &a->e) < 0)
        return -1;
    snprintf(sp.driver, sizeof(sp.driver), "%s", cfg.driver);
    pool_cfg_format(&cfg, sp.options, sizeof(sp.options));
    if (store_pool_add(a->c->store, &sp, &a->e) < 0)
        return -1;
    api_emit(a, "", "pool-add", "pool", sp.name, NULL);
    return 0;
}

static int pool_set_revisions(struct api_call *a)
{
    struct pool_cfg cfg;
    char opts[STORE_POOL_OPTIONS_MAX];
    long long n;

    if (pool_cfg_of(a, a->rq->arg, &cfg) < 0 || payload_int(a, "revisions_to_keep", 0, 100, &n) < 0)
        return -1;
    if (!strcmp(cfg.driver, "linux-kernel"))
        return qerr_set(&a->e, "QubesValueError", "pool %s keeps no revisions", cfg.name);
    cfg.revisions_to_keep = (int)n;
    pool_cfg_format(&cfg, opts, sizeof(opts));
    return store_pool_set_options(a->c->store, cfg.name, opts, &a->e);
}

static int pool_set_ephemeral(struct api_call *a)
{
    struct pool_cfg cfg;
    char opts[STORE_POOL_OPTIONS_MAX];

    if (pool_cfg_of(a, a->rq->arg, &cfg) < 0)
        return -1;
    if (!strcmp(cfg.driver, "linux-kernel"))
        return qerr_set(&a->e, "QubesValueError", "pool %s has no volatile volumes", cfg.name);
    if (strcmp(a->payload, "True") && strcmp(a->payload, "False"))
        return qerr_set(&a->e, "QubesValueError", "ephemeral_volatile must be True or False");
    cfg.ephemeral_volatile = !strcmp(a->payload, "True");
    pool_cfg_format(&cfg, opts, sizeof(opts));
    return store_pool_set_options(a->c->store, cfg.name, opts, &a->e);
}

struct vid_list {
    struct api_call *a;
    const struct pool_cfg *cfg;
};

static int list_vid(void *ctx, const struct vm_info *vm, const char *volume)
{
    struct vid_list *l = ctx;
    const struct storage_driver *d = storage_driver_find(l->cfg->driver);
    char vid[256];

    if (d && d->vid(l->cfg, vm->name, vm->cls == VC_TEMPLATE, volume, vid, sizeof(vid)) == 0)
        return api_out(l->a, "%s\n", vid) < 0;
    return 0;
}

static int pool_volumes(struct api_call *a)
{
    struct pool_cfg cfg;
    struct vid_list l = {a, &cfg};

    if (pool_cfg_of(a, a->rq->arg, &cfg) < 0)
        return -1;
    if (!strcmp(cfg.driver, "linux-kernel")) {
        /* its volumes are the installed kernels */
        DIR *dir = opendir(cfg.dir_path);
        struct dirent *de;
        char **names = NULL;
        size_t n = 0;
        while (dir && (de = readdir(dir))) {
            char p[STORAGE_PATH_MAX];
            char **nn;
            if (de->d_name[0] == '.' ||
                (size_t)snprintf(p, sizeof(p), "%s/%s/vmlinuz", cfg.dir_path, de->d_name) >=
                    sizeof(p) ||
                access(p, F_OK) < 0 || !(nn = realloc(names, (n + 1) * sizeof(*names))))
                continue;
            names = nn;
            if ((names[n] = strdup(de->d_name)))
                n++;
        }
        if (dir)
            closedir(dir);
        qsort(names, n, sizeof(*names), (int (*)(const void *, const void *))strcmp);
        for (size_t i = 0; i < n; i++) {
            api_out(a, "%s\n", names[i]);
            free(names[i]);
        }
        free(names);
        return 0;
    }
    store_pool_volumes(a->c->store, cfg.name, list_vid, &l);
    return 0;
}

static int pool_method(struct api_call *a, const char *op)
{
    if (need_dom0_dest(a) < 0)
        return -1;
    if (!strcmp(op, "List")) {
        store_pool_list(a->c->store, list_pool, a);
        return 0;
    }
    if (!strcmp(op, "ListDrivers")) {
        for (size_t i = 0; pool_drivers[i]; i++) {
            const char *const *o = pool_driver_options(pool_drivers[i]);
            api_out(a, "%s", pool_drivers[i]);
            for (size_t j = 0; o[j]; j++)
                api_out(a, " %s", o[j]);
            api_out(a, "\n");
        }
        return 0;
    }
    if (!strcmp(op, "Info") || !strcmp(op, "UsageDetails"))
        return pool_info(a, op[0] == 'U');
    if (!strcmp(op, "Add"))
        return pool_add(a);
    if (!strcmp(op, "Remove")) {
        if (store_pool_remove(a->c->store, a->rq->arg, &a->e) < 0)
            return -1;
        api_emit(a, "", "pool-delete", "pool", a->rq->arg, NULL);
        return 0;
    }
    if (!strcmp(op, "Set.revisions_to_keep"))
        return pool_set_revisions(a);
    if (!strcmp(op, "Set.ephemeral_volatile"))
        return pool_set_ephemeral(a);
    if (!strcmp(op, "volume.List"))
        return pool_volumes(a);
    return qerr_set(&a->e, "QubesException", "unknown method %s", a->rq->method);
}

/* --- volumes of a qube ------------------------------------------------ */

static int plan(struct api_call *a, struct vol_plan *v, const struct storage_driver **d)
{
    if (need_qube_dest(a) < 0 || storage_plan_volume(a->c->store, &a->vm, a->rq->arg, v, &a->e) < 0)
        return -1;
    *d = storage_driver_find(v->pool.driver);
    if (!*d)
        return qerr_set(&a->e, "QubesException", "pool %s: unknown driver", v->pool.name);
    return 0;
}

/* store_vm_list callback: fills *ctx (by qid) and stops with 1. */
static int find_qid(void *ctx, const struct vm_info *vm)
{
    struct vm_info *want = ctx;
    if (vm->qid != want->qid)
        return 0;
    *want = *vm;
    return 1;
}

static const char *tf(bool b)
{
    return b ? "True" : "False";
}

static int volume_info(struct api_call *a)
{
    const struct storage_driver *d;
    struct vol_plan v;
    struct store_volume sv;
    char path[STORAGE_PATH_MAX] = "";
    int64_t used = 0;
    int running;

    if (plan(a, &v, &d) < 0 || store_volume_get(a->c->store, a->vm.qid, v.volume, &sv) < 0)
        return -1;
    d->usage(&v, &used, &a->e);
    /* path: what a running qube has, else the kept data ("" for a
     * snapshot or volatile volume that is not started) */
    running = d->is_running(&v);
    if (!strcmp(v.pool.driver, "file-reflink") && (running || v.save_on_stop))
        stor_file_name(path, sizeof(path), v.pool.dir_path, v.vid, running ? SK_SNAP : SK_BASE, 0);
    else if (!strcmp(v.pool.driver, "lvm_thin") && (running || v.save_on_stop))
        snprintf(path, sizeof(path), "/dev/%s%s", v.vid, running ? "-snap" : "");
    else if (!strcmp(v.pool.driver, "linux-kernel") && v.vid[0])
        snprintf(path, sizeof(path), "%s/%s/modules.img", v.pool.dir_path, v.vid);
    return api_out(a,
                   "pool=%s\nvid=%s\nsize=%lld\nusage=%lld\nrw=%s\nsource=%s\npath=%s\n"
                   "save_on_stop=%s\nsnap_on_start=%s\nrevisions_to_keep=%d\nephemeral=%s\n"
                   "is_outdated=%s\n",
                   v.pool.name, v.vid, (long long)v.size, (long long)used, tf(v.rw),
                   v.has_source ? v.src_vid : "", path, tf(v.save_on_stop), tf(v.snap_on_start),
                   v.revisions_to_keep,
                   tf(!strcmp(v.volume, "volatile") && v.pool.ephemeral_volatile),
                   tf(d->is_outdated(&v) == 1)) < 0
               ? -1
               : 0;
}

static int volume_snapshots(struct api_call *a)
{
    const struct storage_driver *d;
    struct vol_plan v;
    long long ep[STOR_MAX_REVISIONS];
    size_t n;

    if (plan(a, &v, &d) < 0 || d->revisions(&v, ep, STOR_MAX_REVISIONS, &n, &a->e) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        api_out(a, "%lld\n", ep[i]);
    return 0;
}

static int volume_revert(struct api_call *a)
{
    const struct storage_driver *d;
    struct vol_plan v;
    long long rev;

    if (plan(a, &v, &d) < 0 || payload_int(a, "the revision", 0, (1LL << 62), &rev) < 0)
        return -1;
    return d->revert(&v, rev, &a->e) < 0 ? -1 : 0;
}

static int volume_resize(struct api_call *a)
{
    const struct storage_driver *d;
    struct vol_plan v;
    long long size;

    if (plan(a, &v, &d) < 0 || payload_int(a, "the size", 0, 1LL << 50, &size) < 0)
        return -1;
    if (size < v.size)
        return qerr_set(&a->e, "QubesValueError",
                        "volume %s of %s: shrinking (%lld to %lld bytes) is not supported",
                        v.volume, a->vm.name, (long long)v.size, size);
    if (size == v.size)
        return 0;
    if (d->resize(&v, size, &a->e) < 0)
        return -1;
    return store_volume_set(a->c->store, a->vm.qid, v.volume, "size", size, &a->e);
}

/* The data of an import written at offset 0 of path. */
static int write_image(struct api_call *a, const char *path, const char *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;
    size_t off = 0;

    if (fd < 0)
        return qerr_set(&a->e, "StoragePoolException", "%s: %s", path, strerror(errno));
    while (off < n) {
        ssize_t w = pwrite(fd, data + off, n - off, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            r = qerr_set(&a->e, "StoragePoolException", "writing %s: %s", path, strerror(errno));
            break;
        }
        off += (size_t)w;
    }
    if (!r && fsync(fd) < 0)
        r = qerr_set(&a->e, "StoragePoolException", "writing %s: %s", path, strerror(errno));
    close(fd);
    return r;
}

/* Import, ImportWithSize ("SIZE\n" then the data) and Clear (no data). */
static int volume_import(struct api_call *a, bool with_size, bool clear)
{
    const struct storage_driver *d;
    struct vol_plan v;
    const char *data = a->payload;
    size_t n = a->plen;
    long long size;
    char path[STORAGE_PATH_MAX];
    struct qerr e2;

    if (plan(a, &v, &d) < 0)
        return -1;
    size = v.size;
    if (clear && n)
        return qerr_set(&a->e, "QubesValueError", "Clear takes no payload");
    if (with_size) {
        const char *nl = memchr(data, '\n', n);
        size_t dl = strspn(data, "0123456789");
        if (!nl || dl == 0 || dl > 18 || data + dl != nl)
            return qerr_set(&a->e, "QubesValueError", "the payload must start with SIZE\\n");
        size = strtoll(data, NULL, 10);
        n -= (size_t)(nl + 1 - data);
        data = nl + 1;
        if (size > (1LL << 50))
            return qerr_set(&a->e, "QubesValueError", "size too large");
    }
    if ((long long)n > size)
        return qerr_set(&a->e, "QubesValueError", "%zu bytes do not fit in %lld", n, size);
    if (d->import_begin(&v, size, path, sizeof(path), &a->e) < 0)
        return -1;
    if (n && write_image(a, path, data, n) < 0) {
        d->import_end(&v, false, &e2);
        return -1;
    }
    if (d->import_end(&v, true, &a->e) < 0)
        return -1;
    if (size != v.size)
        return store_volume_set(a->c->store, a->vm.qid, v.volume, "size", size, &a->e);
    return 0;
}

/* dom0 only: an import target for qvm-volume to write into itself. */
static int import_begin(struct api_call *a)
{
    const struct storage_driver *d;
    struct vol_plan v;
    long long size;
    char path[STORAGE_PATH_MAX];

    if (!a->rq->source_dom0)
        return qerr_set(&a->e, "PermissionDenied", "%s is for dom0 only", a->rq->method);
    if (plan(a, &v, &d) < 0)
        return -1;
    size = v.size;
    if (a->plen && payload_int(a, "the size", 0, 1LL << 50, &size) < 0)
        return -1;
    if (d->import_begin(&v, size, path, sizeof(path), &a->e) < 0)
        return -1;
    if (size != v.size &&
        store_volume_set(a->c->store, a->vm.qid, v.volume, "size", size, &a->e) < 0) {
        struct qerr e2;
        d->import_end(&v, false, &e2);
        return -1;
    }
    return api_out(a, "%s", path) < 0 ? -1 : 0;
}

static int import_end(struct api_call *a)
{
    const struct storage_driver *d;
    struct vol_plan v;

    if (!a->rq->source_dom0)
        return qerr_set(&a->e, "PermissionDenied", "%s is for dom0 only", a->rq->method);
    if (plan(a, &v, &d) < 0)
        return -1;
    if (strcmp(a->payload, "ok") && strcmp(a->payload, "fail"))
        return qerr_set(&a->e, "QubesValueError", "the payload must be ok or fail");
    return d->import_end(&v, !strcmp(a->payload, "ok"), &a->e) < 0 ? -1 : 0;
}

static int volume_set(struct api_call *a, const char *what)
{
    const struct storage_driver *d;
    struct vol_plan v;
    long long n;

    if (plan(a, &v, &d) < 0)
        return -1;
    if (!strcmp(what, "rw")) {
        int b = !strcmp(a->payload, "True") ? 1 : !strcmp(a->payload, "False") ? 0 : -1;
        if (b < 0)
            return qerr_set(&a->e, "QubesValueError", "rw must be True or False");
        return store_volume_set(a->c->store, a->vm.qid, v.volume, "rw", b, &a->e);
    }
    if (payload_int(a, "revisions_to_keep", 0, 100, &n) < 0)
        return -1;
    return store_volume_set(a->c->store, a->vm.qid, v.volume, "revisions_to_keep", n, &a->e);
}

/* CloneFrom hands out a one-time token naming a source volume; CloneTo
 * with that token copies it into another qube's volume (Qubes' two-step
 * clone, which lets a client clone between qubes it may each reach). The
 * tokens live in memory: a restart forgets them. */
#define CLONE_TOKENS 16
static struct {
    char token[33];
    int qid;
    char volume[16];
} clone_tokens[CLONE_TOKENS];
static unsigned clone_next;

static int clone_from(struct api_call *a)
{
    const struct storage_driver *d;
    struct vol_plan v;
    unsigned char r[16];
    unsigned i = clone_next++ % CLONE_TOKENS;

    if (plan(a, &v, &d) < 0)
        return -1;
    if (!v.save_on_stop)
        return qerr_set(&a->e, "QubesValueError", "volume %s of %s keeps no data to clone",
                        v.volume, a->vm.name);
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        return qerr_set(&a->e, "QubesException", "no randomness for a token");
    for (int k = 0; k < 16; k++)
        snprintf(clone_tokens[i].token + 2 * k, 3, "%02x", r[k]);
    clone_tokens[i].qid = a->vm.qid;
    snprintf(clone_tokens[i].volume, sizeof(clone_tokens[i].volume), "%s", v.volume);
    return api_out(a, "%s", clone_tokens[i].token) < 0 ? -1 : 0;
}

static int clone_to(struct api_call *a)
{
    const struct storage_driver *d;
    struct vol_plan dst, src;
    struct vm_info svm = {0};
    int i;

    if (plan(a, &dst, &d) < 0)
        return -1;
    for (i = 0; i < CLONE_TOKENS; i++)
        if (clone_tokens[i].token[0] && !strcmp(clone_tokens[i].token, a->payload))
            break;
    if (i == CLONE_TOKENS)
        return qerr_set(&a->e, "QubesValueError", "unknown or used clone token");
    clone_tokens[i].token[0] = 0; /* one use */
    svm.qid = clone_tokens[i].qid;
    if (store_vm_list(a->c->store, find_qid, &svm) != 1)
        return qerr_set(&a->e, "QubesVMNotFoundError", "the token's qube is gone");
    if (storage_plan_volume(a->c->store, &svm, clone_tokens[i].volume, &src, &a->e) < 0)
        return -1;
    if (!dst.save_on_stop)
        return qerr_set(&a->e, "QubesValueError",
                        "volume %s of %s keeps no data (save_on_stop "
                        "is False)",
                        dst.volume, a->vm.name);
    if (strcmp(src.pool.driver, dst.pool.driver))
        return qerr_set(&a->e, "StoragePoolException",
                        "cloning from pool %s (%s) to pool %s (%s) is not supported", src.pool.name,
                        src.pool.driver, dst.pool.name, dst.pool.driver);
    if (d->is_running(&dst))
        return qerr_set(&a->e, "StoragePoolException",
                        "volume %s of %s is in use (the qube is running)", dst.volume, a->vm.name);
    if (d->clone(&src, &dst, &a->e) < 0)
        return -1;
    if (src.size != dst.size)
        return store_volume_set(a->c->store, a->vm.qid, dst.volume, "size", src.size, &a->e);
    return 0;
}

static int volume_method(struct api_call *a, const char *op)
{
    if (!strcmp(op, "List")) {
        struct store_volume sv[VOL_COUNT];
        int n;
        if (need_qube_dest(a) < 0)
            return -1;
        n = store_volume_list(a->c->store, a->vm.qid, sv, VOL_COUNT);
        for (int i = 0; i < n; i++)
            api_out(a, "%s\n", sv[i].volume);
        return 0;
    }
    if (!a->rq->arg[0])
        return qerr_set(&a->e, "QubesValueError", "%s needs a volume name", a->rq->method);
    if (!strcmp(op, "Info"))
        return volume_info(a);
    if (!strcmp(op, "ListSnapshots"))
        return volume_snapshots(a);
    if (!strcmp(op, "Revert"))
        return volume_revert(a);
    if (!strcmp(op, "Resize"))
        return volume_resize(a);
    if (!strcmp(op, "Clear"))
        return volume_import(a, false, true);
    if (!strcmp(op, "Import"))
        return volume_import(a, false, false);
    if (!strcmp(op, "ImportWithSize"))
        return volume_import(a, true, false);
    if (!strcmp(op, "Set.revisions_to_keep"))
        return volume_set(a, "revisions_to_keep");
    if (!strcmp(op, "Set.rw"))
        return volume_set(a, "rw");
    if (!strcmp(op, "CloneFrom"))
        return clone_from(a);
    if (!strcmp(op, "CloneTo"))
        return clone_to(a);
    return qerr_set(&a->e, "QubesException", "unknown method %s", a->rq->method);
}

int api_storage_method(struct api_call *a, bool *handled)
{
    const char *m = a->rq->method;

    *handled = true;
    if (!strncmp(m, "admin.pool.", 11))
        return pool_method(a, m + 11);
    if (!strncmp(m, "admin.vm.volume.", 16))
        return volume_method(a, m + 16);
    if (!strcmp(m, "internal.vm.volume.ImportBegin"))
        return import_begin(a);
    if (!strcmp(m, "internal.vm.volume.ImportEnd"))
        return import_end(a);
    *handled = false;
    return 0;
}
