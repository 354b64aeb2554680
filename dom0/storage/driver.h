/* The storage drivers: one ops table each, found by name. Every op returns
 * 0 or -errno and says why in e (type StoragePoolException); none logs.
 * (dom0, trusted.) */
#ifndef BULKHEAD_STORAGE_DRIVER_H
#define BULKHEAD_STORAGE_DRIVER_H

#include "dom0/storage/storage.h"

#include <stddef.h>
#include <stdint.h>

#define STOR_MAX_REVISIONS 128

struct storage_driver {
    const char *name;
    /* The vid of a qube's volume in pool p. */
    int (*vid)(const struct pool_cfg *p, const char *vm, bool tmpl, const char *volume, char *out,
               size_t outsz);
    /* At admin.pool.Add: the pool is usable (directory, reflink, VG). */
    int (*pool_setup)(const struct pool_cfg *p, struct qerr *e);
    int (*pool_usage)(const struct pool_cfg *p, int64_t *size, int64_t *used, struct qerr *e);
    int (*create)(const struct vol_plan *v, struct qerr *e);
    int (*remove)(const struct vol_plan *v, struct qerr *e);
    int (*verify)(const struct vol_plan *v, struct qerr *e);
    int (*start)(const struct vol_plan *v, char *path, size_t pathsz, struct qerr *e);
    int (*stop)(const struct vol_plan *v, struct qerr *e);
    /* 1 if started (a -snap / -dirty exists), 0 if not. */
    int (*is_running)(const struct vol_plan *v);
    /* 1 if a started snap_on_start volume's source changed since the
     * snapshot (the qube sees the change only after a restart), else 0. */
    int (*is_outdated)(const struct vol_plan *v);
    /* Grow to size bytes (the caller checked it grows); also a running one. */
    int (*resize)(const struct vol_plan *v, int64_t size, struct qerr *e);
    /* Revision epochs, ascending. */
    int (*revisions)(const struct vol_plan *v, long long *epochs, size_t max, size_t *n,
                     struct qerr *e);
    /* The revision becomes the volume; the current one becomes a revision. */
    int (*revert)(const struct vol_plan *v, long long epoch, struct qerr *e);
    /* A fresh -import target of size bytes; path gets where to write. */
    int (*import_begin)(const struct vol_plan *v, int64_t size, char *path, size_t pathsz,
                        struct qerr *e);
    /* commit: the import replaces the volume (the old one a revision);
     * otherwise it is dropped. */
    int (*import_end)(const struct vol_plan *v, bool commit, struct qerr *e);
    int (*usage)(const struct vol_plan *v, int64_t *used, struct qerr *e);
    /* dst's data becomes a copy of src's (same driver). */
    int (*clone)(const struct vol_plan *src, const struct vol_plan *dst, struct qerr *e);
};

const struct storage_driver *storage_driver_find(const char *name);

extern const struct storage_driver drv_file_reflink, drv_lvm_thin, drv_linux_kernel;

/* Sets e (StoragePoolException) and returns -err (err > 0). */
int serr(struct qerr *e, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Runs argv (argv[0] looked up in PATH, never a shell) with LC_ALL=C and
 * stdin from /dev/null; out gets stdout (NUL-terminated, truncated to
 * outsz - 1), err the last line of stderr. Returns the exit status
 * (0..255; 255 if killed) or -errno. */
int stor_run(const char *const *argv, char *out, size_t outsz, char *err, size_t errsz);

#endif
