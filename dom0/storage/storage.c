/* The storage API of storage.h: plans from the store, then the drivers. */
#include "dom0/storage/storage.h"

#include "dom0/qvmd/store_storage.h"
#include "dom0/storage/driver.h"
#include "dom0/storage/names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const vdevs[VOL_COUNT] = {"xvda", "xvdb", "xvdc", "xvdd"};

static int pool_of(struct store *s, const char *name, struct pool_cfg *out, struct qerr *e)
{
    struct store_pool sp;
    char err[256];

    if (store_pool_get(s, name, &sp) < 0)
        return qerr_set(e, "QubesValueError", "no such pool: %s", name);
    if (pool_cfg_parse(sp.name, sp.driver, sp.options, out, err, sizeof(err)) < 0)
        return qerr_set(e, "QubesException", "pool %s: %s", name, err);
    return 0;
}

static int vid_of(const struct pool_cfg *p, const struct vm_info *vm, const char *volume, char *out,
                  size_t outsz, struct qerr *e)
{
    const struct storage_driver *d = storage_driver_find(p->driver);

    if (!d || d->vid(p, vm->name, vm->cls == VC_TEMPLATE, volume, out, outsz) < 0)
        return qerr_set(e, "QubesException", "pool %s: no volume id for %s:%s", p->name, vm->name,
                        volume);
    return 0;
}

/* The volume a snap_on_start volume snapshots: the same volume of its
 * template, followed further while that one is a snapshot too (a
 * disposable's root comes from its AppVM's template). */
static int plan_source(struct store *s, const struct vm_info *vm, struct vol_plan *p,
                       struct qerr *e)
{
    struct vm_info cur = *vm;

    for (int depth = 0; depth < 4; depth++) {
        char t[STORE_VALUE_MAX];
        struct store_volume sv;
        bool d;

        if (store_prop_get(s, &cur, "template", t, sizeof(t), &d, NULL, e) < 0 || !t[0])
            return qerr_set(e, "QubesException", "%s:%s: snapshot of a template, but %s has none",
                            vm->name, p->volume, cur.name);
        if (store_vm_find(s, t, &cur) < 0 || store_volume_get(s, cur.qid, p->volume, &sv) < 0)
            return qerr_set(e, "QubesException", "%s:%s: template %s has no such volume", vm->name,
                            p->volume, t);
        if (sv.snap_on_start && !strcmp(sv.source, "template"))
            continue;
        p->has_source = true;
        if (pool_of(s, sv.pool, &p->src_pool, e) < 0 ||
            vid_of(&p->src_pool, &cur, p->volume, p->src_vid, sizeof(p->src_vid), e) < 0)
            return -1;
        return 0;
    }
    return qerr_set(e, "QubesException", "%s:%s: template chain too long", vm->name, p->volume);
}

static int plan_one(struct store *s, const struct vm_info *vm, const struct store_volume *sv,
                    int idx, struct vol_plan *p, struct qerr *e)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->volume, sizeof(p->volume), "%.15s", sv->volume);
    snprintf(p->vdev, sizeof(p->vdev), "%s", vdevs[idx]);
    snprintf(p->vm, sizeof(p->vm), "%s", vm->name);
    p->template_class = vm->cls == VC_TEMPLATE;
    p->rw = sv->rw;
    p->snap_on_start = sv->snap_on_start;
    p->save_on_stop = sv->save_on_stop;
    p->size = sv->size;
    if (pool_of(s, sv->pool, &p->pool, e) < 0)
        return -1;
    p->revisions_to_keep =
        sv->revisions_to_keep >= 0 ? sv->revisions_to_keep : p->pool.revisions_to_keep;
    if (!strcmp(p->pool.driver, "linux-kernel")) {
        /* the vid is the qube's kernel version ("" for its own kernel) */
        bool d;
        return store_prop_get(s, vm, "kernel", p->vid, sizeof(p->vid), &d, NULL, e) < 0 ? -1 : 0;
    }
    if (vid_of(&p->pool, vm, p->volume, p->vid, sizeof(p->vid), e) < 0)
        return -1;
    if (p->snap_on_start && !strcmp(sv->source, "template"))
        return plan_source(s, vm, p, e);
    return 0;
}

int storage_plan(struct store *s, const struct vm_info *vm, struct vm_storage *out, struct qerr *e)
{
    struct store_volume sv[VOL_COUNT];
    int n = store_volume_list(s, vm->qid, sv, VOL_COUNT);

    out->n = 0;
    if (n < 0)
        return qerr_set(e, "QubesException", "database: cannot read the volumes of %s", vm->name);
    for (int i = 0; i < n; i++) {
        int idx = 0;
        while (idx < VOL_COUNT && strcmp(vol_rules(vm->cls)[idx].volume, sv[i].volume))
            idx++;
        if (idx == VOL_COUNT)
            return qerr_set(e, "QubesException", "%s: unknown volume %s", vm->name, sv[i].volume);
        if (plan_one(s, vm, &sv[i], idx, &out->v[out->n], e) < 0)
            return -1;
        out->n++;
    }
    return 0;
}

int storage_plan_volume(struct store *s, const struct vm_info *vm, const char *volume,
                        struct vol_plan *out, struct qerr *e)
{
    struct vm_storage p;

    if (storage_plan(s, vm, &p, e) < 0)
        return -1;
    for (int i = 0; i < p.n; i++)
        if (!strcmp(p.v[i].volume, volume)) {
            *out = p.v[i];
            return 0;
        }
    return qerr_set(e, "QubesValueError", "%s has no volume %s", vm->name, volume);
}

static const struct storage_driver *drv(const struct vol_plan *v, struct qerr *e)
{
    const struct storage_driver *d = storage_driver_find(v->pool.driver);
    if (!d)
        serr(e, EINVAL, "pool %s: unknown driver %s", v->pool.name, v->pool.driver);
    return d;
}

/* Prefixes e's message with the volume it is about. */
static int about(const struct vol_plan *v, struct qerr *e)
{
    char m[sizeof(e->msg)];
    int k = snprintf(m, sizeof(m), "volume %s (%s) of %s: ", v->volume, v->vdev, v->vm);

    if (k > 0 && (size_t)k < sizeof(m)) {
        size_t n = strnlen(e->msg, sizeof(m) - (size_t)k - 1);
        memcpy(m + k, e->msg, n);
        m[(size_t)k + n] = 0;
        memcpy(e->msg, m, (size_t)k + n + 1);
    }
    return -1;
}

/* Stops a started volume without keeping what the qube wrote. */
static void discard(const struct vol_plan *v)
{
    const struct storage_driver *d = storage_driver_find(v->pool.driver);
    struct vol_plan tmp = *v;
    struct qerr ignored;

    if (!d)
        return;
    if (tmp.save_on_stop) {
        /* stopping a snapshot volume drops the snapshot */
        tmp.save_on_stop = false;
        tmp.snap_on_start = true;
    }
    d->stop(&tmp, &ignored);
}

int storage_start(const struct vm_storage *p, char path[][STORAGE_PATH_MAX], struct qerr *e)
{
    int i;

    for (i = 0; i < p->n; i++)
        path[i][0] = 0;
    for (i = 0; i < p->n; i++) {
        const struct storage_driver *d = drv(&p->v[i], e);
        if (!d || d->verify(&p->v[i], e) < 0)
            break;
    }
    if (i == p->n)
        for (i = 0; i < p->n; i++) {
            const struct storage_driver *d = drv(&p->v[i], e);
            if (d->start(&p->v[i], path[i], STORAGE_PATH_MAX, e) < 0)
                break;
        }
    if (i == p->n)
        return 0;
    about(&p->v[i], e);
    while (i-- > 0) {
        discard(&p->v[i]);
        path[i][0] = 0;
    }
    return -1;
}

void storage_discard(const struct vm_storage *p)
{
    for (int i = 0; i < p->n; i++)
        discard(&p->v[i]);
}

int storage_stop(const struct vm_storage *p, struct qerr *e)
{
    int r = 0;

    for (int i = 0; i < p->n; i++) {
        const struct storage_driver *d = storage_driver_find(p->v[i].pool.driver);
        struct qerr e2;
        if (!d || d->stop(&p->v[i], &e2) < 0) {
            if (!d)
                serr(&e2, EINVAL, "unknown driver %s", p->v[i].pool.driver);
            if (!r) {
                *e = e2;
                about(&p->v[i], e);
            }
            r = -1;
        }
    }
    return r;
}

int storage_vm_create(struct store *s, const struct vm_info *vm, struct qerr *e)
{
    struct vm_storage p;
    int i;

    if (storage_plan(s, vm, &p, e) < 0)
        return -1;
    for (i = 0; i < p.n; i++) {
        const struct storage_driver *d = drv(&p.v[i], e);
        /* the database is the authority: the qube did not exist, so what
         * is on disk under its name was left by a crash between the disk
         * step and the commit */
        if (!d || d->remove(&p.v[i], e) < 0 || d->create(&p.v[i], e) < 0)
            break;
    }
    if (i == p.n)
        return 0;
    about(&p.v[i], e);
    while (i-- > 0) {
        struct qerr ignored;
        storage_driver_find(p.v[i].pool.driver)->remove(&p.v[i], &ignored);
    }
    return -1;
}

int storage_vm_remove(struct store *s, const struct vm_info *vm, struct qerr *e)
{
    struct vm_storage p;

    if (storage_plan(s, vm, &p, e) < 0)
        return -1;
    for (int i = 0; i < p.n; i++) {
        const struct storage_driver *d = drv(&p.v[i], e);
        if (!d)
            return about(&p.v[i], e);
        if (d->is_running(&p.v[i]))
            return qerr_set(e, "QubesVMNotHaltedError",
                            "%s is running (volume %s is started): stop it first", vm->name,
                            p.v[i].volume);
    }
    for (int i = 0; i < p.n; i++)
        if (drv(&p.v[i], e)->remove(&p.v[i], e) < 0)
            return about(&p.v[i], e);
    return 0;
}

int storage_vm_clone(struct store *s, const struct vm_info *src, const struct vm_info *dst,
                     struct qerr *e)
{
    struct vm_storage ps, pd;
    int i;

    if (storage_plan(s, src, &ps, e) < 0 || storage_plan(s, dst, &pd, e) < 0)
        return -1;
    for (i = 0; i < pd.n; i++) {
        const struct vol_plan *from = NULL;
        const struct storage_driver *d = drv(&pd.v[i], e);
        if (!d || d->remove(&pd.v[i], e) < 0) /* leftovers, as in create */
            break;
        for (int j = 0; j < ps.n; j++)
            if (!strcmp(ps.v[j].volume, pd.v[i].volume))
                from = &ps.v[j];
        /* only kept data is copied; snapshots and volatile start afresh */
        if (from && pd.v[i].save_on_stop && from->save_on_stop) {
            if (strcmp(from->pool.driver, pd.v[i].pool.driver)) {
                serr(e, EXDEV, "cloning from pool %s (%s) to pool %s (%s) is not supported",
                     from->pool.name, from->pool.driver, pd.v[i].pool.name, pd.v[i].pool.driver);
                break;
            }
            if (d->clone(from, &pd.v[i], e) < 0)
                break;
        } else if (d->create(&pd.v[i], e) < 0) {
            break;
        }
    }
    if (i == pd.n)
        return 0;
    about(&pd.v[i], e);
    for (int j = 0; j <= i && j < pd.n; j++) {
        const struct storage_driver *d = storage_driver_find(pd.v[j].pool.driver);
        struct qerr ignored;
        if (d)
            d->remove(&pd.v[j], &ignored);
    }
    return -1;
}

const struct store_disk_ops storage_disk_ops = {
    .create = storage_vm_create,
    .remove = storage_vm_remove,
    .clone = storage_vm_clone,
};
