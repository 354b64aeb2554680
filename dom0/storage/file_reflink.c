/* The file-reflink driver: each volume is a sparse image file under the
 * pool's dir_path; starting clones it (FICLONE: instant, extents shared)
 * to <vid>-dirty.img, which the qube writes; stopping either commits the
 * dirty image (the old one kept as a revision) or drops it. With
 * setup_check=no a filesystem without reflink gets sparse copies instead. */
#include "dom0/storage/driver.h"
#include "dom0/storage/fileutil.h"
#include "dom0/storage/names.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

static int path_of(const struct pool_cfg *p, const char *vid, enum stor_kind k, long long epoch,
                   char out[STORAGE_PATH_MAX], struct qerr *e)
{
    int r = stor_file_name(out, STORAGE_PATH_MAX, p->dir_path, vid, k, epoch);
    return r < 0 ? serr(e, -r, "%s: bad volume id %s", p->name, vid) : 0;
}

static int fr_vid(const struct pool_cfg *p, const char *vm, bool tmpl, const char *volume,
                  char *out, size_t outsz)
{
    (void)p;
    return stor_file_vid(out, outsz, vm, tmpl, volume);
}

static int fr_pool_setup(const struct pool_cfg *p, struct qerr *e)
{
    int r = fu_mkdir_p(p->dir_path);

    if (r < 0)
        return serr(e, -r, "pool %s: cannot make %s: %s", p->name, p->dir_path, strerror(-r));
    if (!p->setup_check)
        return 0;
    r = fu_reflink_probe(p->dir_path);
    if (r == -EOPNOTSUPP)
        return serr(e, EOPNOTSUPP,
                    "pool %s: the filesystem of %s does not support reflinks (use btrfs, or XFS "
                    "made with reflink=1; or add the pool with -o setup_check=no to copy images "
                    "instead)",
                    p->name, p->dir_path);
    if (r < 0)
        return serr(e, -r, "pool %s: checking reflinks in %s: %s", p->name, p->dir_path,
                    strerror(-r));
    return 0;
}

static int fr_pool_usage(const struct pool_cfg *p, int64_t *size, int64_t *used, struct qerr *e)
{
    struct statvfs sv;

    if (statvfs(p->dir_path, &sv) < 0)
        return serr(e, errno, "pool %s: %s: %s", p->name, p->dir_path, strerror(errno));
    *size = (int64_t)sv.f_blocks * (int64_t)sv.f_frsize;
    *used = (int64_t)(sv.f_blocks - sv.f_bfree) * (int64_t)sv.f_frsize;
    return 0;
}

/* The last component of the vid: what revisions are named after. */
static const char *vid_base(const char *vid)
{
    const char *s = strrchr(vid, '/');
    return s ? s + 1 : vid;
}

static int fr_revisions(const struct vol_plan *v, long long *epochs, size_t max, size_t *n,
                        struct qerr *e)
{
    char base[STORAGE_PATH_MAX], *slash;
    struct dirent *d;
    DIR *dir;

    *n = 0;
    if (path_of(&v->pool, v->vid, SK_BASE, 0, base, e) < 0)
        return -EINVAL;
    slash = strrchr(base, '/');
    *slash = 0;
    dir = opendir(base);
    if (!dir)
        return errno == ENOENT ? 0 : serr(e, errno, "%s: %s", base, strerror(errno));
    while ((d = readdir(dir)))
        if (*n < max && stor_file_revision(d->d_name, vid_base(v->vid), &epochs[*n]) == 1)
            (*n)++;
    closedir(dir);
    stor_prune(epochs, *n, (int)*n, NULL); /* sorts only */
    return 0;
}

/* Drops the revisions beyond revisions_to_keep, oldest first. */
static int prune(const struct vol_plan *v, struct qerr *e)
{
    long long ep[STOR_MAX_REVISIONS], drop[STOR_MAX_REVISIONS];
    char p[STORAGE_PATH_MAX];
    size_t n, nd;

    if (fr_revisions(v, ep, STOR_MAX_REVISIONS, &n, e) < 0)
        return -1;
    nd = stor_prune(ep, n, v->revisions_to_keep, drop);
    for (size_t i = 0; i < nd; i++)
        if (path_of(&v->pool, v->vid, SK_BACK, drop[i], p, e) == 0 && unlink(p) < 0 &&
            errno != ENOENT)
            return serr(e, errno, "%s: %s", p, strerror(errno));
    return 0;
}

/* from (a dirty or import image) becomes the volume; the old volume, if
 * revisions are kept, a revision. Each step is one rename or link, so a
 * crash leaves either the old or the new volume in place. */
static int commit(const struct vol_plan *v, const char *from, struct qerr *e)
{
    char base[STORAGE_PATH_MAX], rev[STORAGE_PATH_MAX];
    long long ep[STOR_MAX_REVISIONS];
    size_t n;

    if (path_of(&v->pool, v->vid, SK_BASE, 0, base, e) < 0)
        return -EINVAL;
    if (v->revisions_to_keep > 0 && fu_exists(base)) {
        if (fr_revisions(v, ep, STOR_MAX_REVISIONS, &n, e) < 0 ||
            path_of(&v->pool, v->vid, SK_BACK, stor_next_epoch((long long)time(NULL), ep, n), rev,
                    e) < 0)
            return -EINVAL;
        if (link(base, rev) < 0)
            return serr(e, errno, "keeping %s as %s: %s", base, rev, strerror(errno));
    }
    if (rename(from, base) < 0)
        return serr(e, errno, "%s -> %s: %s", from, base, strerror(errno));
    fu_sync_parent(base);
    return prune(v, e);
}

static int fr_create(const struct vol_plan *v, struct qerr *e)
{
    char base[STORAGE_PATH_MAX];
    int r;

    if (path_of(&v->pool, v->vid, SK_BASE, 0, base, e) < 0)
        return -EINVAL;
    r = fu_mkdir_parent(base);
    if (r < 0)
        return serr(e, -r, "%s: %s", base, strerror(-r));
    /* a snapshot of its source or a fresh volatile image: nothing kept */
    if (!v->save_on_stop)
        return 0;
    r = fu_make_sparse(base, v->size);
    if (r < 0)
        return serr(e, -r, "creating %s: %s", base, strerror(-r));
    return 0;
}

static int fr_remove(const struct vol_plan *v, struct qerr *e)
{
    static const enum stor_kind kinds[] = {SK_SNAP, SK_IMPORT, SK_PRECACHE, SK_BASE};
    char p[STORAGE_PATH_MAX], *slash;
    long long ep[STOR_MAX_REVISIONS];
    size_t n;

    if (fr_revisions(v, ep, STOR_MAX_REVISIONS, &n, e) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (path_of(&v->pool, v->vid, SK_BACK, ep[i], p, e) == 0 && unlink(p) < 0 &&
            errno != ENOENT)
            return serr(e, errno, "%s: %s", p, strerror(errno));
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (path_of(&v->pool, v->vid, kinds[i], 0, p, e) < 0)
            return -EINVAL;
        if (unlink(p) < 0 && errno != ENOENT)
            return serr(e, errno, "%s: %s", p, strerror(errno));
    }
    /* the qube's directory goes with its last volume */
    slash = strrchr(p, '/');
    *slash = 0;
    rmdir(p);
    return 0;
}

static int source_path(const struct vol_plan *v, char out[STORAGE_PATH_MAX], struct qerr *e)
{
    if (!v->has_source)
        return serr(e, EINVAL, "volume %s of %s: snap_on_start without a source", v->volume, v->vm);
    if (strcmp(v->src_pool.driver, "file-reflink"))
        return serr(e, EXDEV,
                    "volume %s of %s: its source is in pool %s (%s), not a file-reflink "
                    "pool",
                    v->volume, v->vm, v->src_pool.name, v->src_pool.driver);
    return path_of(&v->src_pool, v->src_vid, SK_BASE, 0, out, e);
}

static int fr_verify(const struct vol_plan *v, struct qerr *e)
{
    char p[STORAGE_PATH_MAX];

    if (v->snap_on_start) {
        if (source_path(v, p, e) < 0)
            return -1;
    } else if (!v->save_on_stop) {
        return 0;
    } else if (path_of(&v->pool, v->vid, SK_BASE, 0, p, e) < 0) {
        return -1;
    }
    if (!fu_exists(p))
        return serr(e, ENOENT, "volume %s of %s: %s is missing", v->volume, v->vm, p);
    return 0;
}

static int clone_err(const struct vol_plan *v, const char *src, int r, struct qerr *e)
{
    if (r == -EOPNOTSUPP)
        return serr(e, EOPNOTSUPP,
                    "pool %s: cannot reflink %s (no reflink support there, and setup_check "
                    "forbids copying)",
                    v->pool.name, src);
    return serr(e, -r, "cloning %s: %s", src, strerror(-r));
}

static int fr_start(const struct vol_plan *v, char *path, size_t pathsz, struct qerr *e)
{
    char dirty[STORAGE_PATH_MAX], src[STORAGE_PATH_MAX];
    int r;

    if (fr_verify(v, e) < 0 || path_of(&v->pool, v->vid, SK_SNAP, 0, dirty, e) < 0)
        return -1;
    /* a dirty image left by a crash is not trusted to be whole: the
     * committed image is the qube's last known good state */
    if (unlink(dirty) < 0 && errno != ENOENT)
        return serr(e, errno, "%s: %s", dirty, strerror(errno));
    r = fu_mkdir_parent(dirty);
    if (r < 0)
        return serr(e, -r, "%s: %s", dirty, strerror(-r));
    if (v->snap_on_start || v->save_on_stop) {
        if (v->snap_on_start ? source_path(v, src, e) < 0
                             : path_of(&v->pool, v->vid, SK_BASE, 0, src, e) < 0)
            return -1;
        r = fu_clone_file(src, dirty, !v->pool.setup_check);
        if (r < 0)
            return clone_err(v, src, r, e);
        /* a snapshot may be configured larger than its source */
        struct stat st;
        if (stat(dirty, &st) == 0 && st.st_size < v->size && (r = fu_grow(dirty, v->size)) < 0) {
            unlink(dirty);
            return serr(e, -r, "growing %s: %s", dirty, strerror(-r));
        }
    } else {
        r = fu_make_sparse(dirty, v->size);
        if (r < 0)
            return serr(e, -r, "creating %s: %s", dirty, strerror(-r));
    }
    if ((size_t)snprintf(path, pathsz, "%s", dirty) >= pathsz) {
        unlink(dirty);
        return serr(e, ENAMETOOLONG, "%s: path too long", dirty);
    }
    return 0;
}

static int fr_stop(const struct vol_plan *v, struct qerr *e)
{
    char dirty[STORAGE_PATH_MAX];

    if (path_of(&v->pool, v->vid, SK_SNAP, 0, dirty, e) < 0)
        return -1;
    if (!fu_exists(dirty))
        return 0; /* never started, or already stopped */
    if (v->save_on_stop)
        return commit(v, dirty, e);
    if (unlink(dirty) < 0)
        return serr(e, errno, "%s: %s", dirty, strerror(errno));
    return 0;
}

static int fr_is_running(const struct vol_plan *v)
{
    char dirty[STORAGE_PATH_MAX];
    return stor_file_name(dirty, sizeof(dirty), v->pool.dir_path, v->vid, SK_SNAP, 0) == 0 &&
           fu_exists(dirty);
}

/* The snapshot was made (birth time) before the source last changed
 * (ctime: a commit renames a new image there, an import writes it). A
 * filesystem without birth times says not outdated. */
static int fr_is_outdated(const struct vol_plan *v)
{
    char dirty[STORAGE_PATH_MAX], src[STORAGE_PATH_MAX];
    struct statx sd, ss;
    struct qerr e;

    if (!v->snap_on_start || !v->has_source ||
        stor_file_name(dirty, sizeof(dirty), v->pool.dir_path, v->vid, SK_SNAP, 0) < 0 ||
        source_path(v, src, &e) < 0 || statx(AT_FDCWD, dirty, 0, STATX_BTIME, &sd) < 0 ||
        !(sd.stx_mask & STATX_BTIME) || statx(AT_FDCWD, src, 0, STATX_CTIME, &ss) < 0)
        return 0;
    return ss.stx_ctime.tv_sec > sd.stx_btime.tv_sec ||
           (ss.stx_ctime.tv_sec == sd.stx_btime.tv_sec &&
            ss.stx_ctime.tv_nsec > sd.stx_btime.tv_nsec);
}

static int fr_resize(const struct vol_plan *v, int64_t size, struct qerr *e)
{
    static const enum stor_kind kinds[] = {SK_BASE, SK_SNAP};
    char p[STORAGE_PATH_MAX];

    for (size_t i = 0; i < 2; i++) {
        int r;
        if (path_of(&v->pool, v->vid, kinds[i], 0, p, e) < 0)
            return -1;
        if (!fu_exists(p))
            continue;
        r = fu_grow(p, size);
        if (r < 0)
            return serr(e, -r, "growing %s: %s", p,
                        r == -EINVAL ? "it is larger already" : strerror(-r));
    }
    return 0;
}

static int fr_revert(const struct vol_plan *v, long long epoch, struct qerr *e)
{
    char rev[STORAGE_PATH_MAX], tmp[STORAGE_PATH_MAX];

    if (fr_is_running(v))
        return serr(e, EBUSY, "volume %s of %s is in use (the qube is running)", v->volume, v->vm);
    if (path_of(&v->pool, v->vid, SK_BACK, epoch, rev, e) < 0 ||
        path_of(&v->pool, v->vid, SK_IMPORT, 0, tmp, e) < 0)
        return -1;
    if (!fu_exists(rev))
        return serr(e, ENOENT, "volume %s of %s has no revision %lld", v->volume, v->vm, epoch);
    /* through the import name, so that commit keeps the current one */
    unlink(tmp);
    if (rename(rev, tmp) < 0)
        return serr(e, errno, "%s: %s", rev, strerror(errno));
    return commit(v, tmp, e);
}

static int fr_import_begin(const struct vol_plan *v, int64_t size, char *path, size_t pathsz,
                           struct qerr *e)
{
    char imp[STORAGE_PATH_MAX];
    int r;

    if (fr_is_running(v))
        return serr(e, EBUSY, "volume %s of %s is in use (the qube is running)", v->volume, v->vm);
    if (!v->save_on_stop)
        return serr(e, EINVAL, "volume %s of %s keeps no data (save_on_stop is False)", v->volume,
                    v->vm);
    if (path_of(&v->pool, v->vid, SK_IMPORT, 0, imp, e) < 0)
        return -1;
    if (unlink(imp) < 0 && errno != ENOENT)
        return serr(e, errno, "%s: %s", imp, strerror(errno));
    if ((r = fu_mkdir_parent(imp)) < 0 || (r = fu_make_sparse(imp, size)) < 0)
        return serr(e, -r, "creating %s: %s", imp, strerror(-r));
    snprintf(path, pathsz, "%s", imp);
    return 0;
}

static int fr_import_end(const struct vol_plan *v, bool ok, struct qerr *e)
{
    char imp[STORAGE_PATH_MAX];

    if (path_of(&v->pool, v->vid, SK_IMPORT, 0, imp, e) < 0)
        return -1;
    if (!fu_exists(imp))
        return serr(e, ENOENT, "volume %s of %s: no import in progress", v->volume, v->vm);
    if (ok)
        return commit(v, imp, e);
    unlink(imp);
    return 0;
}

static int fr_usage(const struct vol_plan *v, int64_t *used, struct qerr *e)
{
    char p[STORAGE_PATH_MAX];
    struct stat st;

    *used = 0;
    if (path_of(&v->pool, v->vid, fr_is_running(v) ? SK_SNAP : SK_BASE, 0, p, e) < 0)
        return -1;
    if (stat(p, &st) == 0)
        *used = (int64_t)st.st_blocks * 512;
    return 0;
}

static int fr_clone(const struct vol_plan *src, const struct vol_plan *dst, struct qerr *e)
{
    char from[STORAGE_PATH_MAX], imp[STORAGE_PATH_MAX];
    int r;

    if (path_of(&src->pool, src->vid, SK_BASE, 0, from, e) < 0 ||
        path_of(&dst->pool, dst->vid, SK_IMPORT, 0, imp, e) < 0)
        return -1;
    unlink(imp);
    if ((r = fu_mkdir_parent(imp)) < 0)
        return serr(e, -r, "%s: %s", imp, strerror(-r));
    r = fu_clone_file(from, imp, !dst->pool.setup_check);
    if (r < 0)
        return clone_err(dst, from, r, e);
    return commit(dst, imp, e);
}

const struct storage_driver drv_file_reflink = {
    .name = "file-reflink",
    .vid = fr_vid,
    .pool_setup = fr_pool_setup,
    .pool_usage = fr_pool_usage,
    .create = fr_create,
    .remove = fr_remove,
    .verify = fr_verify,
    .start = fr_start,
    .stop = fr_stop,
    .is_running = fr_is_running,
    .is_outdated = fr_is_outdated,
    .resize = fr_resize,
    .revisions = fr_revisions,
    .revert = fr_revert,
    .import_begin = fr_import_begin,
    .import_end = fr_import_end,
    .usage = fr_usage,
    .clone = fr_clone,
};
