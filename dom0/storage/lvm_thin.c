/* The lvm_thin driver: each volume is a thin LV "vm-<vm>-<volume>" in the
 * pool's volume group and thin pool. Starting takes a thin snapshot
 * ("-snap") the qube writes; stopping renames the old LV to a revision
 * ("-<epoch>-back") and the snapshot to the volume, or drops the
 * snapshot. Every change runs the lvm command (lvm_cmd.h), never a shell. */
#include "dom0/storage/driver.h"
#include "dom0/storage/lvm_cmd.h"
#include "dom0/storage/names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPORT_MAX (1 << 20)

static int run(struct lvm_cmd *c, struct qerr *e)
{
    char err[300];
    int r = stor_run(c->argv, NULL, 0, err, sizeof(err));

    if (r < 0)
        return serr(e, -r, "running lvm %s: %s", c->argv[1], strerror(-r));
    if (r)
        return serr(e, EIO, "lvm %s failed: %s", c->argv[1], err[0] ? err : "(no message)");
    return 0;
}

struct report {
    struct lvs_row *rows;
    size_t n, max;
};

static int collect(void *ctx, const struct lvs_row *r)
{
    struct report *rep = ctx;
    if (rep->n < rep->max)
        rep->rows[rep->n++] = *r;
    return 0;
}

/* The LVs of the pool's VG (lv NULL) or one LV; -ENOENT if lvs says none. */
static int report(const struct pool_cfg *p, const char *lv, struct report *rep, struct qerr *e)
{
    struct lvm_cmd c;
    char err[300], *out = malloc(REPORT_MAX);
    int r;

    if (!out)
        return serr(e, ENOMEM, "out of memory");
    lvm_cmd_report(&c, p->volume_group, lv);
    r = stor_run(c.argv, out, REPORT_MAX, err, sizeof(err));
    if (r < 0) {
        free(out);
        return serr(e, -r, "running lvm lvs: %s", strerror(-r));
    }
    if (r) {
        free(out);
        return lv ? -ENOENT : serr(e, EIO, "lvm lvs %s failed: %s", p->volume_group, err);
    }
    r = lvs_parse(out, strlen(out), collect, rep);
    free(out);
    if (r < 0)
        return serr(e, EIO, "lvm lvs %s: unexpected output", p->volume_group);
    return 0;
}

static bool lv_exists(const struct pool_cfg *p, const char *lv, struct lvs_row *row)
{
    struct lvs_row tmp;
    struct report rep = {row ? row : &tmp, 0, 1};
    struct qerr e;
    return report(p, lv, &rep, &e) == 0 && rep.n == 1;
}

static int names(const struct vol_plan *v, char *base, char *snap, char *imp, struct qerr *e)
{
    if (stor_lv_name(base, 128, v->vm, v->volume, SK_BASE, 0) < 0 ||
        stor_lv_name(snap, 128, v->vm, v->volume, SK_SNAP, 0) < 0 ||
        stor_lv_name(imp, 128, v->vm, v->volume, SK_IMPORT, 0) < 0)
        return serr(e, EINVAL, "bad names for volume %s of %s", v->volume, v->vm);
    return 0;
}

static int lt_vid(const struct pool_cfg *p, const char *vm, bool tmpl, const char *volume,
                  char *out, size_t outsz)
{
    char lv[128];
    (void)tmpl;
    if (stor_lv_name(lv, sizeof(lv), vm, volume, SK_BASE, 0) < 0)
        return -EINVAL;
    return (size_t)snprintf(out, outsz, "%s/%s", p->volume_group, lv) >= outsz ? -ENAMETOOLONG : 0;
}

static int lt_pool_setup(const struct pool_cfg *p, struct qerr *e)
{
    struct lvs_row row;

    if (!lv_exists(p, p->thin_pool, &row))
        return serr(e, ENOENT, "pool %s: no LV %s/%s (lvs found none)", p->name, p->volume_group,
                    p->thin_pool);
    if (row.attr[0] != 't')
        return serr(e, EINVAL, "pool %s: %s/%s is not a thin pool (attributes %s)", p->name,
                    p->volume_group, p->thin_pool, row.attr);
    return 0;
}

static int lt_pool_usage(const struct pool_cfg *p, int64_t *size, int64_t *used, struct qerr *e)
{
    struct lvs_row row;

    if (!lv_exists(p, p->thin_pool, &row))
        return serr(e, ENOENT, "pool %s: no thin pool %s/%s", p->name, p->volume_group,
                    p->thin_pool);
    *size = row.size;
    *used = row.used;
    return 0;
}

static int lt_revisions(const struct vol_plan *v, long long *epochs, size_t max, size_t *n,
                        struct qerr *e)
{
    struct lvs_row *rows = calloc(4096, sizeof(*rows));
    struct report rep = {rows, 0, 4096};
    char base[128], snap[128], imp[128];
    int r;

    *n = 0;
    if (!rows)
        return serr(e, ENOMEM, "out of memory");
    r = names(v, base, snap, imp, e);
    if (!r)
        r = report(&v->pool, NULL, &rep, e);
    for (size_t i = 0; !r && i < rep.n; i++)
        if (*n < max && stor_lv_revision(rows[i].lv, base, &epochs[*n]) == 1)
            (*n)++;
    free(rows);
    if (!r)
        stor_prune(epochs, *n, (int)*n, NULL); /* sorts only */
    return r;
}

static int remove_lv(const struct vol_plan *v, const char *lv, struct qerr *e)
{
    struct lvm_cmd c;

    if (!lv_exists(&v->pool, lv, NULL))
        return 0;
    lvm_cmd_remove(&c, v->pool.volume_group, lv);
    return run(&c, e);
}

static int prune(const struct vol_plan *v, struct qerr *e)
{
    long long ep[STOR_MAX_REVISIONS], drop[STOR_MAX_REVISIONS];
    char lv[128];
    size_t n, nd;

    if (lt_revisions(v, ep, STOR_MAX_REVISIONS, &n, e) < 0)
        return -1;
    nd = stor_prune(ep, n, v->revisions_to_keep, drop);
    for (size_t i = 0; i < nd; i++)
        if (stor_lv_name(lv, sizeof(lv), v->vm, v->volume, SK_BACK, drop[i]) < 0 ||
            remove_lv(v, lv, e) < 0)
            return -1;
    return 0;
}

/* from (the -snap or -import LV) becomes the volume; the old one a
 * revision (or is removed when none are kept). */
static int commit(const struct vol_plan *v, const char *from, struct qerr *e)
{
    char base[128], snap[128], imp[128], rev[128];
    long long ep[STOR_MAX_REVISIONS];
    struct lvm_cmd c;
    size_t n;

    if (names(v, base, snap, imp, e) < 0)
        return -1;
    if (lv_exists(&v->pool, base, NULL)) {
        if (v->revisions_to_keep > 0) {
            if (lt_revisions(v, ep, STOR_MAX_REVISIONS, &n, e) < 0 ||
                stor_lv_name(rev, sizeof(rev), v->vm, v->volume, SK_BACK,
                             stor_next_epoch((long long)time(NULL), ep, n)) < 0)
                return -1;
            lvm_cmd_rename(&c, v->pool.volume_group, base, rev);
            if (run(&c, e) < 0)
                return -1;
            /* a revision is not opened until reverted to */
            lvm_cmd_activate(&c, v->pool.volume_group, rev, 0);
            run(&c, e);
        } else if (remove_lv(v, base, e) < 0) {
            return -1;
        }
    }
    lvm_cmd_rename(&c, v->pool.volume_group, from, base);
    if (run(&c, e) < 0)
        return -1;
    return prune(v, e);
}

static int lt_create(const struct vol_plan *v, struct qerr *e)
{
    char base[128], snap[128], imp[128];
    struct lvm_cmd c;

    if (!v->save_on_stop)
        return 0; /* snapshots and volatile LVs are made at start */
    if (names(v, base, snap, imp, e) < 0)
        return -1;
    if (lv_exists(&v->pool, base, NULL))
        return serr(e, EEXIST, "%s/%s exists already", v->pool.volume_group, base);
    lvm_cmd_create(&c, v->pool.volume_group, v->pool.thin_pool, base, v->size);
    return run(&c, e);
}

static int lt_remove(const struct vol_plan *v, struct qerr *e)
{
    long long ep[STOR_MAX_REVISIONS];
    char base[128], snap[128], imp[128], rev[128];
    size_t n;

    if (names(v, base, snap, imp, e) < 0 || lt_revisions(v, ep, STOR_MAX_REVISIONS, &n, e) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (stor_lv_name(rev, sizeof(rev), v->vm, v->volume, SK_BACK, ep[i]) < 0 ||
            remove_lv(v, rev, e) < 0)
            return -1;
    if (remove_lv(v, snap, e) < 0 || remove_lv(v, imp, e) < 0 || remove_lv(v, base, e) < 0)
        return -1;
    return 0;
}

/* The LV a snap_on_start volume snapshots: its source's volume. */
static int source_lv(const struct vol_plan *v, char *lv, size_t lvsz, struct qerr *e)
{
    const char *slash = strchr(v->src_vid, '/');

    if (!v->has_source || strcmp(v->src_pool.driver, "lvm_thin") || !slash ||
        strcmp(v->src_pool.volume_group, v->pool.volume_group))
        return serr(e, EXDEV, "volume %s of %s: its source must be in the same volume group",
                    v->volume, v->vm);
    snprintf(lv, lvsz, "%s", slash + 1);
    return 0;
}

static int lt_verify(const struct vol_plan *v, struct qerr *e)
{
    char base[128], snap[128], imp[128], src[128];

    if (names(v, base, snap, imp, e) < 0)
        return -1;
    if (v->snap_on_start) {
        if (source_lv(v, src, sizeof(src), e) < 0)
            return -1;
        if (!lv_exists(&v->pool, src, NULL))
            return serr(e, ENOENT, "volume %s of %s: source %s/%s is missing", v->volume, v->vm,
                        v->pool.volume_group, src);
    } else if (v->save_on_stop && !lv_exists(&v->pool, base, NULL)) {
        return serr(e, ENOENT, "volume %s of %s: %s/%s is missing", v->volume, v->vm,
                    v->pool.volume_group, base);
    }
    return 0;
}

static int lt_start(const struct vol_plan *v, char *path, size_t pathsz, struct qerr *e)
{
    char base[128], snap[128], imp[128], src[128];
    const char *lv = snap;
    struct lvs_row row;
    struct lvm_cmd c;

    if (lt_verify(v, e) < 0 || names(v, base, snap, imp, e) < 0)
        return -1;
    /* a -snap left by a crash: the committed LV is the last good state */
    if (remove_lv(v, snap, e) < 0)
        return -1;
    if (v->snap_on_start || v->save_on_stop) {
        if (v->snap_on_start && source_lv(v, src, sizeof(src), e) < 0)
            return -1;
        lvm_cmd_snapshot(&c, v->pool.volume_group, v->snap_on_start ? src : base, snap);
        if (run(&c, e) < 0)
            return -1;
        if (lv_exists(&v->pool, snap, &row) && row.size < v->size) {
            lvm_cmd_extend(&c, v->pool.volume_group, snap, v->size);
            if (run(&c, e) < 0) {
                remove_lv(v, snap, e);
                return -1;
            }
        }
    } else {
        /* volatile: a fresh LV at each start */
        lv = base;
        if (remove_lv(v, base, e) < 0)
            return -1;
        lvm_cmd_create(&c, v->pool.volume_group, v->pool.thin_pool, base, v->size);
        if (run(&c, e) < 0)
            return -1;
    }
    snprintf(path, pathsz, "/dev/%s/%s", v->pool.volume_group, lv);
    return 0;
}

static int lt_stop(const struct vol_plan *v, struct qerr *e)
{
    char base[128], snap[128], imp[128];

    if (names(v, base, snap, imp, e) < 0)
        return -1;
    if (v->save_on_stop)
        return lv_exists(&v->pool, snap, NULL) ? commit(v, snap, e) : 0;
    if (v->snap_on_start)
        return remove_lv(v, snap, e);
    return remove_lv(v, base, e);
}

static int lt_is_running(const struct vol_plan *v)
{
    char snap[128];
    return stor_lv_name(snap, sizeof(snap), v->vm, v->volume, SK_SNAP, 0) == 0 &&
           lv_exists(&v->pool, snap, NULL);
}

/* LVM follows a snapshot's origin by identity: once the source's commit
 * renamed the LV it was taken from to a revision, the snapshot's origin
 * is no longer the source's LV. */
static int lt_is_outdated(const struct vol_plan *v)
{
    char snap[128], src[128];
    struct lvs_row row;
    struct qerr e;

    if (!v->snap_on_start || source_lv(v, src, sizeof(src), &e) < 0 ||
        stor_lv_name(snap, sizeof(snap), v->vm, v->volume, SK_SNAP, 0) < 0 ||
        !lv_exists(&v->pool, snap, &row))
        return 0;
    return strcmp(row.origin, src) != 0;
}

static int lt_resize(const struct vol_plan *v, int64_t size, struct qerr *e)
{
    char base[128], snap[128], imp[128];
    const char *lvs[2] = {base, snap};
    struct lvs_row row;
    struct lvm_cmd c;

    if (names(v, base, snap, imp, e) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        if (!lv_exists(&v->pool, lvs[i], &row) || row.size >= size)
            continue;
        lvm_cmd_extend(&c, v->pool.volume_group, lvs[i], size);
        if (run(&c, e) < 0)
            return -1;
    }
    return 0;
}

static int lt_revert(const struct vol_plan *v, long long epoch, struct qerr *e)
{
    char base[128], snap[128], imp[128], rev[128];
    struct lvm_cmd c;

    if (names(v, base, snap, imp, e) < 0)
        return -1;
    if (lv_exists(&v->pool, snap, NULL))
        return serr(e, EBUSY, "volume %s of %s is in use (the qube is running)", v->volume, v->vm);
    if (stor_lv_name(rev, sizeof(rev), v->vm, v->volume, SK_BACK, epoch) < 0 ||
        !lv_exists(&v->pool, rev, NULL))
        return serr(e, ENOENT, "volume %s of %s has no revision %lld", v->volume, v->vm, epoch);
    if (remove_lv(v, imp, e) < 0)
        return -1;
    lvm_cmd_rename(&c, v->pool.volume_group, rev, imp);
    if (run(&c, e) < 0)
        return -1;
    return commit(v, imp, e);
}

static int lt_import_begin(const struct vol_plan *v, int64_t size, char *path, size_t pathsz,
                           struct qerr *e)
{
    char base[128], snap[128], imp[128];
    struct lvm_cmd c;

    if (names(v, base, snap, imp, e) < 0)
        return -1;
    if (lv_exists(&v->pool, snap, NULL))
        return serr(e, EBUSY, "volume %s of %s is in use (the qube is running)", v->volume, v->vm);
    if (!v->save_on_stop)
        return serr(e, EINVAL, "volume %s of %s keeps no data (save_on_stop is False)", v->volume,
                    v->vm);
    if (remove_lv(v, imp, e) < 0)
        return -1;
    lvm_cmd_create(&c, v->pool.volume_group, v->pool.thin_pool, imp, size);
    if (run(&c, e) < 0)
        return -1;
    snprintf(path, pathsz, "/dev/%s/%s", v->pool.volume_group, imp);
    return 0;
}

static int lt_import_end(const struct vol_plan *v, bool ok, struct qerr *e)
{
    char base[128], snap[128], imp[128];

    if (names(v, base, snap, imp, e) < 0)
        return -1;
    if (!lv_exists(&v->pool, imp, NULL))
        return serr(e, ENOENT, "volume %s of %s: no import in progress", v->volume, v->vm);
    return ok ? commit(v, imp, e) : remove_lv(v, imp, e);
}

static int lt_usage(const struct vol_plan *v, int64_t *used, struct qerr *e)
{
    char base[128], snap[128], imp[128];
    struct lvs_row row;

    *used = 0;
    if (names(v, base, snap, imp, e) < 0)
        return -1;
    if (lv_exists(&v->pool, snap, &row) || lv_exists(&v->pool, base, &row))
        *used = row.used;
    return 0;
}

static int lt_clone(const struct vol_plan *src, const struct vol_plan *dst, struct qerr *e)
{
    char sbase[128], dbase[128], snap[128], imp[128];
    struct lvm_cmd c;

    if (names(src, sbase, snap, imp, e) < 0 || names(dst, dbase, snap, imp, e) < 0)
        return -1;
    if (strcmp(src->pool.volume_group, dst->pool.volume_group))
        return serr(e, EXDEV, "cloning across volume groups is not supported");
    if (remove_lv(dst, imp, e) < 0)
        return -1;
    lvm_cmd_snapshot(&c, src->pool.volume_group, sbase, imp);
    if (run(&c, e) < 0)
        return -1;
    return commit(dst, imp, e);
}

const struct storage_driver drv_lvm_thin = {
    .name = "lvm_thin",
    .vid = lt_vid,
    .pool_setup = lt_pool_setup,
    .pool_usage = lt_pool_usage,
    .create = lt_create,
    .remove = lt_remove,
    .verify = lt_verify,
    .start = lt_start,
    .stop = lt_stop,
    .is_running = lt_is_running,
    .is_outdated = lt_is_outdated,
    .resize = lt_resize,
    .revisions = lt_revisions,
    .revert = lt_revert,
    .import_begin = lt_import_begin,
    .import_end = lt_import_end,
    .usage = lt_usage,
    .clone = lt_clone,
};
