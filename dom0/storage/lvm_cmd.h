/* The lvm command lines of the lvm_thin driver, and the parser of the
 * report they print: pure functions, unit-tested and fuzzed
 * (tests/fuzz/fuzz_lvs_report.c). Every LV is addressed as "VG/LV"; names
 * were checked by the caller (names.h), and no shell ever sees them. */
#ifndef BULKHEAD_STORAGE_LVM_CMD_H
#define BULKHEAD_STORAGE_LVM_CMD_H

#include <stddef.h>
#include <stdint.h>

#define LVM_ARGV_MAX 24

struct lvm_cmd {
    const char *argv[LVM_ARGV_MAX]; /* NULL-terminated */
    char s[3][300];                 /* storage for the composed arguments */
};

/* lvm lvcreate: a thin volume of size bytes in vg/pool. */
void lvm_cmd_create(struct lvm_cmd *c, const char *vg, const char *pool, const char *lv,
                    int64_t size);
/* lvm lvcreate: an active thin snapshot lv of vg/origin. */
void lvm_cmd_snapshot(struct lvm_cmd *c, const char *vg, const char *origin, const char *lv);
void lvm_cmd_remove(struct lvm_cmd *c, const char *vg, const char *lv);
void lvm_cmd_rename(struct lvm_cmd *c, const char *vg, const char *from, const char *to);
void lvm_cmd_extend(struct lvm_cmd *c, const char *vg, const char *lv, int64_t size);
void lvm_cmd_activate(struct lvm_cmd *c, const char *vg, const char *lv, int on);
/* lvm lvs: the report lvs_parse reads, of vg (lv NULL) or of one LV. */
void lvm_cmd_report(struct lvm_cmd *c, const char *vg, const char *lv);

struct lvs_row {
    char lv[128], vg[128], attr[16], pool[128], origin[128];
    int64_t size; /* bytes */
    int64_t used; /* bytes, from data_percent (0 if none) */
};
/* Parses untrusted_out, the output of lvm_cmd_report, calling cb per row
 * (a non-zero return stops and is returned). -EINVAL on a malformed line
 * (rows before it were passed on). */
int lvs_parse(const char *untrusted_out, size_t len, int (*cb)(void *ctx, const struct lvs_row *r),
              void *ctx);

#endif
