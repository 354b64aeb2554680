/* The linux-kernel pseudo-pool: dir_path/<version>/ holds vmlinuz,
 * initramfs and modules.img, installed with dom0's kernels. A qube's
 * kernel volume is that modules.img, read-only, when it is there; the vid
 * is the version (the qube's kernel property). Nothing is ever written. */
#include "dom0/storage/driver.h"
#include "dom0/storage/fileutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

static int lk_vid(const struct pool_cfg *p, const char *vm, bool tmpl, const char *volume,
                  char *out, size_t outsz)
{
    (void)p, (void)vm, (void)tmpl, (void)volume, (void)outsz;
    out[0] = 0; /* the planner sets the version */
    return 0;
}

static int lk_pool_setup(const struct pool_cfg *p, struct qerr *e)
{
    int r = fu_mkdir_p(p->dir_path);
    return r < 0 ? serr(e, -r, "pool %s: %s: %s", p->name, p->dir_path, strerror(-r)) : 0;
}

static int lk_pool_usage(const struct pool_cfg *p, int64_t *size, int64_t *used, struct qerr *e)
{
    struct statvfs sv;

    if (statvfs(p->dir_path, &sv) < 0)
        return serr(e, errno, "pool %s: %s: %s", p->name, p->dir_path, strerror(errno));
    *size = (int64_t)sv.f_blocks * (int64_t)sv.f_frsize;
    *used = (int64_t)(sv.f_blocks - sv.f_bfree) * (int64_t)sv.f_frsize;
    return 0;
}

static int lk_nothing(const struct vol_plan *v, struct qerr *e)
{
    (void)v, (void)e;
    return 0;
}

static int file_of(const struct vol_plan *v, const char *name, char *out, size_t outsz)
{
    return (size_t)snprintf(out, outsz, "%s/%s/%s", v->pool.dir_path, v->vid, name) >= outsz
               ? -ENAMETOOLONG
               : 0;
}

static int lk_verify(const struct vol_plan *v, struct qerr *e)
{
    char p[STORAGE_PATH_MAX];

    if (!v->vid[0])
        return 0; /* the qube boots its own kernel */
    if (strchr(v->vid, '/') || v->vid[0] == '.' || file_of(v, "vmlinuz", p, sizeof(p)) < 0)
        return serr(e, EINVAL, "bad kernel version %s", v->vid);
    if (!fu_exists(p))
        return serr(e, ENOENT, "kernel %s is not installed (no %s)", v->vid, p);
    return 0;
}

static int lk_start(const struct vol_plan *v, char *path, size_t pathsz, struct qerr *e)
{
    char p[STORAGE_PATH_MAX];

    path[0] = 0;
    if (lk_verify(v, e) < 0)
        return -1;
    if (v->vid[0] && file_of(v, "modules.img", p, sizeof(p)) == 0 && fu_exists(p))
        snprintf(path, pathsz, "%s", p);
    return 0;
}

static int lk_is_running(const struct vol_plan *v)
{
    (void)v;
    return 0;
}

static int ro(const struct vol_plan *v, struct qerr *e)
{
    return serr(e, EROFS, "volume %s of %s is in the read-only pool %s", v->volume, v->vm,
                v->pool.name);
}

static int lk_resize(const struct vol_plan *v, int64_t size, struct qerr *e)
{
    (void)size;
    return ro(v, e);
}

static int lk_revisions(const struct vol_plan *v, long long *epochs, size_t max, size_t *n,
                        struct qerr *e)
{
    (void)v, (void)epochs, (void)max, (void)e;
    *n = 0;
    return 0;
}

static int lk_revert(const struct vol_plan *v, long long epoch, struct qerr *e)
{
    (void)epoch;
    return ro(v, e);
}

static int lk_import_begin(const struct vol_plan *v, int64_t size, char *path, size_t pathsz,
                           struct qerr *e)
{
    (void)size, (void)path, (void)pathsz;
    return ro(v, e);
}

static int lk_import_end(const struct vol_plan *v, bool ok, struct qerr *e)
{
    (void)ok;
    return ro(v, e);
}

static int lk_usage(const struct vol_plan *v, int64_t *used, struct qerr *e)
{
    char p[STORAGE_PATH_MAX];
    struct stat st;

    (void)e;
    *used = 0;
    if (v->vid[0] && file_of(v, "modules.img", p, sizeof(p)) == 0 && stat(p, &st) == 0)
        *used = (int64_t)st.st_blocks * 512;
    return 0;
}

static int lk_clone(const struct vol_plan *src, const struct vol_plan *dst, struct qerr *e)
{
    (void)src, (void)dst, (void)e;
    return 0;
}

const struct storage_driver drv_linux_kernel = {
    .name = "linux-kernel",
    .vid = lk_vid,
    .pool_setup = lk_pool_setup,
    .pool_usage = lk_pool_usage,
    .create = lk_nothing,
    .remove = lk_nothing,
    .verify = lk_verify,
    .start = lk_start,
    .stop = lk_nothing,
    .is_running = lk_is_running,
    .is_outdated = lk_is_running, /* never started, never outdated */
    .resize = lk_resize,
    .revisions = lk_revisions,
    .revert = lk_revert,
    .import_begin = lk_import_begin,
    .import_end = lk_import_end,
    .usage = lk_usage,
    .clone = lk_clone,
};
