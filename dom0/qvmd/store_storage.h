/* The store's storage tables (schema v3): pools (name, driver, options)
 * and the storage columns of volumes (pool, revisions_to_keep); and the
 * hooks through which creating, cloning and removing a qube reach the
 * disk inside the same transaction. (dom0, trusted.) */
#ifndef BULKHEAD_QVMD_STORE_STORAGE_H
#define BULKHEAD_QVMD_STORE_STORAGE_H

#include "dom0/qvmd/store.h"

#include <stdint.h>

#define STORE_POOL_OPTIONS_MAX 2048

struct store_pool {
    char name[64];
    char driver[32];
    char options[STORE_POOL_OPTIONS_MAX]; /* canonical "key=value\n" lines */
};

int store_pool_list(struct store *s, int (*cb)(void *ctx, const struct store_pool *p), void *ctx);
/* 0, or -ENOENT. out may be NULL (existence only). */
int store_pool_get(struct store *s, const char *name, struct store_pool *out);
/* Adds a pool (options already checked and canonical). */
int store_pool_add(struct store *s, const struct store_pool *p, struct qerr *e);
/* Refuses a pool that a volume or a default_pool* global uses. */
int store_pool_remove(struct store *s, const char *name, struct qerr *e);
int store_pool_set_options(struct store *s, const char *name, const char *options, struct qerr *e);

struct store_volume {
    char volume[16];
    char pool[64];
    int64_t size;
    bool rw, snap_on_start, save_on_stop;
    char source[16];       /* "", "template", "kernel" */
    int revisions_to_keep; /* -1: the pool's */
};
/* The qube's volumes in the order root, private, volatile, kernel; returns
 * how many (at most max) or -EIO. */
int store_volume_list(struct store *s, int qid, struct store_volume *out, int max);
/* 0, -ENOENT or -EIO. */
int store_volume_get(struct store *s, int qid, const char *volume, struct store_volume *out);
/* Changes one setting: "size" (bytes), "rw" (0/1), "revisions_to_keep"
 * (-1..100). */
int store_volume_set(struct store *s, int qid, const char *volume, const char *field, int64_t val,
                     struct qerr *e);
/* Calls cb for every volume in pool, by qube name then volume. */
int store_pool_volumes(struct store *s, const char *pool,
                       int (*cb)(void *ctx, const struct vm_info *vm, const char *volume),
                       void *ctx);

/* Pools the next store_vm_create uses instead of the defaults
 * (admin.vm.CreateInPool): all for every volume that is neither a snapshot
 * nor the kernel, per[i] for the volume vol_rules(cls)[i] names (NULL or ""
 * for none). The caller clears them (all NULL, per NULL) after the create. */
void store_set_create_pools(struct store *s, const char *all, const char *const *per);

/* Gives a new qube's volumes their pools: snap_on_start volumes the pool
 * of their source (the template's volume), kernel default_pool_kernel,
 * the others default_pool_<volume>. Inside the creating transaction. */
int store_volumes_assign_pools(struct store *s, const struct vm_info *vm, struct qerr *e);

/* Disk steps run inside the transactions of store_vm_create (after the
 * rows exist), store_vm_clone (after the copy) and store_vm_remove
 * (before the rows go): a failure rolls the database change back. qvmd
 * sets them to storage_vm_*; without them (unit tests) nothing reaches
 * the disk. */
struct store_disk_ops {
    int (*create)(struct store *s, const struct vm_info *vm, struct qerr *e);
    int (*remove)(struct store *s, const struct vm_info *vm, struct qerr *e);
    int (*clone)(struct store *s, const struct vm_info *src, const struct vm_info *dst,
                 struct qerr *e);
};
void store_set_disk_ops(struct store *s, const struct store_disk_ops *ops);

#endif
