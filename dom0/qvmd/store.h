/* qvmd's store: the qubes, their properties, features, tags and notes, the
 * global properties and labels, in one SQLite database (WAL, foreign keys).
 * Every change is one transaction, checked before it commits, so a kill at
 * any moment leaves either all of it or none of it. (dom0, trusted.) */
#ifndef BULKHEAD_QVMD_STORE_H
#define BULKHEAD_QVMD_STORE_H

#include "dom0/qvmd/props.h"

#include <stdbool.h>
#include <stddef.h>

#define STORE_DEFAULT_PATH   "/var/lib/bulkhead/qvm.db"
#define STORE_SCHEMA_VERSION 3
#define STORE_VALUE_MAX      1100 /* a property value, NUL included */
#define STORE_NOTES_MAX      (256 * 1024)

/* Why a call failed: an exception type of the Admin API and one line. */
struct qerr {
    const char *type; /* "QubesValueError", ... */
    char msg[512];
};

/* Fills e; returns -1 (so callers can return it). */
int qerr_set(struct qerr *e, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

struct store;

struct vm_info {
    int qid;
    char name[32];
    enum vm_class cls;
    char uuid[37];
};

/* Opens (creating if needed) and migrates to version upto (0: the latest;
 * tests use lower ones to build old databases). -errno or -1 with err. */
int store_open(const char *path, int upto, struct store **out, char *err, size_t errsz);
void store_close(struct store *s);
int store_version(struct store *s);
/* The consistency check of --check and the crash test: SQLite's
 * integrity_check and foreign_key_check, then the model's rules for every
 * row. 0 or -1 with a description in err. */
int store_check(struct store *s, char *err, size_t errsz);
/* Host memory (MiB) that caps maxmem's default; tests set it. */
void store_set_host_mem(struct store *s, long long mib);
/* Where the read-only property xid comes from: domid(ctx, qid) gives a
 * running qube's domain id, -1 when it has none. The database does not know
 * what runs; the lifecycle does and sets this (NULL: none, so every qube but
 * dom0, whose xid is 0, has xid -1). */
typedef int (*store_domid_fn)(void *ctx, int qid);
void store_set_domid_source(struct store *s, store_domid_fn domid, void *ctx);

int store_vm_find(struct store *s, const char *name, struct vm_info *out);
/* Calls cb for every qube in name order; a non-zero return stops. */
int store_vm_list(struct store *s, int (*cb)(void *ctx, const struct vm_info *vm), void *ctx);
int store_vm_count(struct store *s);

/* Creates a qube; name, label and template ("" for none: default_template
 * for an AppVM) are checked. 0 or -1 with e. */
int store_vm_create(struct store *s, enum vm_class cls, const char *name, const char *label,
                    const char *tmpl, struct qerr *e);
/* Refuses dom0 and qubes in use (listed in the message). */
int store_vm_remove(struct store *s, const char *name, struct qerr *e);
/* Copies class, properties, features, tags, notes and volume settings. */
int store_vm_clone(struct store *s, const char *src, const char *dst, struct qerr *e);

/* Properties of a qube (vm) or, with vm NULL, the globals. val gets the
 * effective value; is_default whether it came from a default. */
int store_prop_get(struct store *s, const struct vm_info *vm, const char *name, char *val,
                   size_t valsz, bool *is_default, const struct prop_def **def, struct qerr *e);
/* The value the property would have if reset. */
int store_prop_default(struct store *s, const struct vm_info *vm, const char *name, char *val,
                       size_t valsz, struct qerr *e);
/* Sets (validated); oldval/newval get the effective values before and after. */
int store_prop_set(struct store *s, const struct vm_info *vm, const char *name, const char *raw,
                   char *oldval, char *newval, size_t valsz, struct qerr *e);
int store_prop_reset(struct store *s, const struct vm_info *vm, const char *name, char *oldval,
                     size_t valsz, struct qerr *e);

/* Features: free-form key/value pairs; keys [A-Za-z0-9_.-]{1,64}. */
int store_feature_get(struct store *s, int qid, const char *key, char *val, size_t valsz);
int store_feature_list(struct store *s, int qid, int (*cb)(void *ctx, const char *k, const char *v),
                       void *ctx);
/* Returns 1 if the value changed, 0 if it was the same; old gets the old
 * value ("" and *had=false if none). */
int store_feature_set(struct store *s, int qid, const char *key, const char *val, char *old,
                      size_t oldsz, bool *had, struct qerr *e);
int store_feature_remove(struct store *s, int qid, const char *key, struct qerr *e);
/* The qube's feature, else its template's (and so on). */
int store_feature_with_template(struct store *s, const struct vm_info *vm, const char *key,
                                char *val, size_t valsz);

/* Tags: [A-Za-z0-9_.-]{1,64}. set returns 1 if added, 0 if already there. */
int store_tag_has(struct store *s, int qid, const char *tag);
int store_tag_list(struct store *s, int qid, int (*cb)(void *ctx, const char *tag), void *ctx);
int store_tag_set(struct store *s, int qid, const char *tag, struct qerr *e);
int store_tag_remove(struct store *s, int qid, const char *tag, struct qerr *e);

/* Notes: free text (printable UTF-8 and newlines), at most STORE_NOTES_MAX. */
int store_notes_get(struct store *s, int qid, char **text); /* malloc'd */
int store_notes_set(struct store *s, int qid, const char *text, size_t len, struct qerr *e);

/* A feature key or tag: letters, digits, '_', '.', '-' (1..64). */
bool store_key_ok(const char *k);

#endif
