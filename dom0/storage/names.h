/* Pure helpers of the storage layer: names of LVs and image files, which
 * revisions to keep, sizes with suffixes, and pool configurations. No I/O,
 * unit-tested (tests/unit/test_storage.c). (dom0, trusted.) */
#ifndef BULKHEAD_STORAGE_NAMES_H
#define BULKHEAD_STORAGE_NAMES_H

#include "dom0/storage/storage.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a name designates, besides the volume itself. */
enum stor_kind {
    SK_BASE,     /* the committed volume */
    SK_SNAP,     /* running: LV -snap, file -dirty.img */
    SK_BACK,     /* a revision: LV -<epoch>-back, file .img.<epoch>~ */
    SK_IMPORT,   /* an import in progress: -import */
    SK_PRECACHE, /* file only: -precache.img (kept for Qubes compatibility) */
};

/* "vm-<vm>-<volume>[-snap|-<epoch>-back|-import]"; -ENAMETOOLONG, -EINVAL. */
int stor_lv_name(char *out, size_t outsz, const char *vm, const char *volume, enum stor_kind k,
                 long long epoch);
/* 1 and *epoch if lv is "<base>-<digits>-back", else 0. */
int stor_lv_revision(const char *lv, const char *base, long long *epoch);

/* "<dir>/<vid>.img", "<dir>/<vid>-dirty.img", "<dir>/<vid>.img.<epoch>~",
 * "<dir>/<vid>-import.img", "<dir>/<vid>-precache.img". */
int stor_file_name(char *out, size_t outsz, const char *dir, const char *vid, enum stor_kind k,
                   long long epoch);
/* 1 and *epoch if the directory entry name is "<base>.img.<digits>~". */
int stor_file_revision(const char *name, const char *base, long long *epoch);
/* The file-reflink vid: "vm-templates/<vm>/<volume>" for a TemplateVM,
 * "appvms/<vm>/<volume>" otherwise. */
int stor_file_vid(char *out, size_t outsz, const char *vm, bool tmpl, const char *volume);

/* Sorts epochs ascending and puts in drop the oldest ones beyond keep
 * (keep < 0 counts as 0); returns how many. drop holds at least n. */
size_t stor_prune(long long *epochs, size_t n, int keep, long long *drop);
/* The epoch of a new revision: now, or one past the newest existing one,
 * so revisions stay unique and ordered even within one second. */
long long stor_next_epoch(long long now, const long long *epochs, size_t n);

/* "1024", "10G", "512MiB", "2k", "1T" (powers of 1024) into bytes; -EINVAL
 * for anything else, -ERANGE past 2^62. */
int stor_parse_size(const char *s, int64_t *out);

/* A pool name: 1..63 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
bool stor_pool_name_ok(const char *name);
/* Parses "key=value" lines (options of driver) into out, with defaults
 * (revisions_to_keep 1, setup_check yes, ephemeral_volatile no); checks
 * that every key belongs to the driver, values are valid and the required
 * ones are there. 0 or -EINVAL with one line in err. */
int pool_cfg_parse(const char *name, const char *driver, const char *opts, struct pool_cfg *out,
                   char *err, size_t errsz);
/* The options in canonical form ("key=value\n" lines, sorted). */
int pool_cfg_format(const struct pool_cfg *p, char *out, size_t outsz);
/* The options a driver takes, NULL-terminated, or NULL if unknown. */
const char *const *pool_driver_options(const char *driver);
/* The known drivers, NULL-terminated. */
extern const char *const pool_drivers[];

#endif
