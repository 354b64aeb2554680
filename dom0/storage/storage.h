/* Storage of qubes' volumes: the start/stop sequence that qvmd's
 * lifecycle code calls, and the on-disk side of create, clone and remove.
 * (dom0, trusted.) See docs/storage.md.
 *
 * storage_plan reads the store once (main thread); storage_start and
 * storage_stop work only from the plan, so they can run in a worker thread
 * and never touch the store. */
#ifndef BULKHEAD_STORAGE_H
#define BULKHEAD_STORAGE_H

#include "dom0/qvmd/store.h" /* struct qerr, struct vm_info */

#include <stdbool.h>
#include <stdint.h>

#define STORAGE_MAX_VOLS 4
#define STORAGE_PATH_MAX 4096

/* A pool's configuration, parsed and checked (pool_cfg_parse). */
struct pool_cfg {
    char name[64];
    char driver[32];         /* lvm_thin, file-reflink, linux-kernel */
    char dir_path[1024];     /* file-reflink, linux-kernel */
    char volume_group[128];  /* lvm_thin */
    char thin_pool[128];     /* lvm_thin */
    int revisions_to_keep;   /* default for its volumes */
    bool setup_check;        /* file-reflink: refuse a filesystem without reflink */
    bool ephemeral_volatile; /* recorded for Qubes compatibility */
};

/* One volume, everything needed to start/stop it. */
struct vol_plan {
    char volume[16]; /* root, private, volatile, kernel */
    char vdev[8];    /* xvda, xvdb, xvdc, xvdd */
    bool rw;
    bool snap_on_start, save_on_stop;
    int64_t size;          /* bytes */
    int revisions_to_keep; /* effective: the volume's, else its pool's */
    char vm[32];           /* the qube owning the volume */
    bool template_class;   /* the owner is a TemplateVM (file layout) */
    char vid[256];         /* the driver's id of the volume */
    struct pool_cfg pool;
    bool has_source; /* snap_on_start from a template's volume, or the kernel */
    char src_vid[256];
    struct pool_cfg src_pool;
};
struct vm_storage {
    int n;
    struct vol_plan v[STORAGE_MAX_VOLS];
};

/* Reads the qube's volumes and their pools from the store (main thread). */
int storage_plan(struct store *s, const struct vm_info *vm, struct vm_storage *out, struct qerr *e);
/* Verifies and starts every volume; path[i] = what the domain gets for v[i]
 * (block device or image file), empty if the volume is absent (e.g. no
 * kernel modules). On failure, volumes already started are stopped again
 * (nothing left behind) and e says which volume failed and why. */
int storage_start(const struct vm_storage *p, char path[][STORAGE_PATH_MAX], struct qerr *e);
/* After the domain is gone: commit (save_on_stop) or discard every volume.
 * Goes on past a failing volume; e says the first failure. */
int storage_stop(const struct vm_storage *p, struct qerr *e);
/* Undoes a start that failed later (the domain never ran properly):
 * every volume stopped without keeping anything, as storage_start does
 * on its own failure. Best effort; nothing to report. */
void storage_discard(const struct vm_storage *p);
/* On disk at create/clone/remove time (main thread, may use the store). */
int storage_vm_create(struct store *s, const struct vm_info *vm, struct qerr *e);
int storage_vm_remove(struct store *s, const struct vm_info *vm, struct qerr *e);
int storage_vm_clone(struct store *s, const struct vm_info *src, const struct vm_info *dst,
                     struct qerr *e);

/* storage_vm_* as the store's disk hooks (store_set_disk_ops): qvmd's
 * create, clone and remove reach the disk inside their transaction. */
struct store_disk_ops;
extern const struct store_disk_ops storage_disk_ops;

/* The plan of one volume of a qube (for the Admin API's volume methods). */
int storage_plan_volume(struct store *s, const struct vm_info *vm, const char *volume,
                        struct vol_plan *out, struct qerr *e);

#endif
