/* Creating, removing and cloning qubes, each one transaction. */
#include "dom0/qvmd/store_int.h"
#include "dom0/qvmd/store_storage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

int store_volumes_fill(struct store *s, int qid, enum vm_class cls);

int store_volumes_fill(struct store *s, int qid, enum vm_class cls)
{
    static const char sql[] = "INSERT OR REPLACE INTO volumes(qid, volume, size, rw, snap_on_start,"
                              " save_on_stop, source) VALUES(?, ?, ?, ?, ?, ?, ?)";
    static const char *const src[] = {"", "template", "kernel"};
    const struct vol_rule *r = vol_rules(cls);

    for (int i = 0; i < VOL_COUNT; i++) {
        /* migrations run before the cache is used: a fresh statement */
        sqlite3_stmt *st;
        int rc;
        if (!r[i].present)
            continue;
        if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL))
            return -1;
        sqlite3_bind_int(st, 1, qid);
        sqlite3_bind_text(st, 2, r[i].volume, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, r[i].size);
        sqlite3_bind_int(st, 4, r[i].rw);
        sqlite3_bind_int(st, 5, r[i].snap_on_start);
        sqlite3_bind_int(st, 6, r[i].save_on_stop);
        sqlite3_bind_text(st, 7, src[r[i].source], -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return -1;
    }
    return 0;
}

/* A random (version 4) UUID. */
static int new_uuid(char out[37])
{
    unsigned char b[16];

    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
        return -1;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
    return 0;
}

/* The lowest free qid in 1..10000, or -1. */
static int free_qid(struct store *s)
{
    static const char sql[] = "SELECT min(a.qid + 1) FROM vms a WHERE a.qid < 10000 AND"
                              " NOT EXISTS (SELECT 1 FROM vms b WHERE b.qid = a.qid + 1)";
    sqlite3_stmt *st = stmt(s, sql);
    int q = -1;

    if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        q = sqlite3_column_int(st, 0);
    if (st)
        sqlite3_reset(st);
    return q;
}

static int insert_vm(struct store *s, const char *name, enum vm_class cls, int *qid, struct qerr *e)
{
    static const char sql[] = "INSERT INTO vms VALUES(?, ?, ?, ?)";
    sqlite3_stmt *st = stmt(s, sql);
    char uuid[37];
    int r;

    *qid = free_qid(s);
    if (*qid < 1)
        return qerr_set(e, "QubesException", "no free qid (at most 10000 qubes)");
    if (new_uuid(uuid) < 0 || !st)
        return qerr_set(e, "QubesException", "cannot make a uuid or statement");
    sqlite3_bind_int(st, 1, *qid);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, vm_class_name(cls), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, uuid, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r != SQLITE_DONE)
        return qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
    return store_volumes_fill(s, *qid, cls) < 0
               ? qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db))
               : 0;
}

int store_vm_create(struct store *s, enum vm_class cls, const char *name, const char *label,
                    const char *tmpl, struct qerr *e)
{
    char err[256], t[64] = "";
    struct vm_info vm = {0};
    int qid;

    if (cls == VC_ADMIN || cls >= VC_COUNT)
        return qerr_set(e, "QubesValueError", "cannot create a qube of class %s",
                        cls == VC_ADMIN ? "AdminVM" : "?");
    if (!rule_vm_name(name, err, sizeof(err)))
        return qerr_set(e, "QubesValueError", "%s", err);
    if (!label_find(label))
        return qerr_set(e, "QubesValueError", "no such label: %s", label);
    if (*tmpl && cls != VC_APP && cls != VC_DISP)
        return qerr_set(e, "QubesValueError", "a %s has no template", vm_class_name(cls));
    if (tx_begin(s, e) < 0)
        return -1;
    if (store_vm_find(s, name, &vm) == 0) {
        qerr_set(e, "QubesValueError", "a qube named %s already exists", name);
        goto fail;
    }
    snprintf(t, sizeof(t), "%s", tmpl);
    if (!*t && cls == VC_APP) {
        bool d;
        store_prop_get(s, NULL, "default_template", t, sizeof(t), &d, NULL, e);
    }
    if (insert_vm(s, name, cls, &qid, e) < 0)
        goto fail;
    vm.qid = qid;
    snprintf(vm.name, sizeof(vm.name), "%s", name);
    vm.cls = cls;
    if (cls == VC_APP || cls == VC_DISP) {
        struct vm_info tv;
        char sv[STORE_VALUE_MAX];
        if (!*t) {
            qerr_set(e, "QubesValueError", "a %s needs a template (and default_template is unset)",
                     vm_class_name(cls));
            goto fail;
        }
        if (store_vm_find(s, t, &tv) < 0) {
            qerr_set(e, "QubesValueError", "template: no such qube: %s", t);
            goto fail;
        }
        if (!rule_template(cls, tv.cls,
                           prop_explicit(s, tv.qid, "template_for_dispvms", sv, sizeof(sv)) == 1 &&
                               !strcmp(sv, "True"),
                           t, err, sizeof(err))) {
            qerr_set(e, "QubesValueError", "%s", err);
            goto fail;
        }
        static const char sql[] = "INSERT INTO vm_props VALUES(?, 'template', ?)";
        sqlite3_stmt *st = stmt(s, sql);
        if (!st)
            goto dberr;
        sqlite3_bind_int(st, 1, qid);
        sqlite3_bind_text(st, 2, t, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            sqlite3_reset(st);
            goto dberr;
        }
        sqlite3_reset(st);
    }
    {
        static const char sql[] = "INSERT INTO vm_props VALUES(?, 'label', ?)";
        sqlite3_stmt *st = stmt(s, sql);
        if (!st)
            goto dberr;
        sqlite3_bind_int(st, 1, qid);
        sqlite3_bind_text(st, 2, label, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            sqlite3_reset(st);
            goto dberr;
        }
        sqlite3_reset(st);
    }
    /* the volumes' pools, then the disk, in this transaction: a failure
     * leaves no qube behind */
    if (store_volumes_assign_pools(s, &vm, e) < 0 || (s->disk && s->disk->create(s, &vm, e) < 0))
        goto fail;
    if (tx_commit(s, e) < 0) {
        struct qerr ignored;
        if (s->disk)
            s->disk->remove(s, &vm, &ignored);
        return -1;
    }
    return 0;
dberr:
    qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
fail:
    tx_rollback(s);
    return -1;
}

/* Who refers to name: qubes by property, and global properties. */
static int users_of(struct store *s, const char *name, char *list, size_t listsz)
{
    static const char sql[] =
        "SELECT v.name || ' (' || p.name || ')' FROM vm_props p JOIN vms v USING(qid)"
        " WHERE p.value=? AND p.name IN ('template','netvm','default_dispvm')"
        " UNION ALL SELECT 'global ' || name FROM globals WHERE value=? AND name IN"
        " ('default_template','default_netvm','default_dispvm','management_dispvm','clockvm',"
        "'updatevm') ORDER BY 1";
    sqlite3_stmt *st = stmt(s, sql);
    size_t used = 0;
    int n = 0;

    list[0] = 0;
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *u = (const char *)sqlite3_column_text(st, 0);
        if (used + strlen(u) + 3 < listsz)
            used += (size_t)snprintf(list + used, listsz - used, "%s%s", n ? ", " : "", u);
        n++;
    }
    sqlite3_reset(st);
    return n;
}

int store_vm_remove(struct store *s, const char *name, struct qerr *e)
{
    static const char sql[] = "DELETE FROM vms WHERE qid=?";
    struct vm_info vm;
    char users[400];
    sqlite3_stmt *st;
    int n;

    if (tx_begin(s, e) < 0)
        return -1;
    if (store_vm_find(s, name, &vm) < 0) {
        qerr_set(e, "QubesVMNotFoundError", "no such qube: %s", name);
        goto fail;
    }
    if (vm.cls == VC_ADMIN) {
        qerr_set(e, "QubesValueError", "dom0 cannot be removed");
        goto fail;
    }
    n = users_of(s, name, users, sizeof(users));
    if (n > 0) {
        qerr_set(e, "QubesVMInUseError", "%s is in use by: %s", name, users);
        goto fail;
    }
    /* the disk first, while the volumes' rows still say what to remove */
    if (n == 0 && s->disk && s->disk->remove(s, &vm, e) < 0)
        goto fail;
    st = stmt(s, sql);
    if (n < 0 || !st)
        goto dberr;
    sqlite3_bind_int(st, 1, vm.qid);
    if (sqlite3_step(st) != SQLITE_DONE) {
        sqlite3_reset(st);
        goto dberr;
    }
    sqlite3_reset(st);
    /* the effective netvm of others may have been this one only through a
     * default; none can be, since users_of covers globals too */
    return tx_commit(s, e);
dberr:
    qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
fail:
    tx_rollback(s);
    return -1;
}

int store_vm_clone(struct store *s, const char *src, const char *dst, struct qerr *e)
{
    static const char *const copies[] = {
        "INSERT INTO vm_props SELECT ?2, name, value FROM vm_props WHERE qid=?1",
        "INSERT INTO features SELECT ?2, name, value FROM features WHERE qid=?1",
        "INSERT INTO tags SELECT ?2, tag FROM tags WHERE qid=?1",
        "INSERT INTO notes SELECT ?2, text FROM notes WHERE qid=?1",
        "INSERT OR REPLACE INTO volumes(qid, volume, size, rw, snap_on_start, save_on_stop,"
        " source, pool, revisions_to_keep) SELECT ?2, volume, size, rw, snap_on_start,"
        " save_on_stop, source, pool, revisions_to_keep FROM volumes WHERE qid=?1",
    };
    struct vm_info sv;
    char err[256];
    int qid;

    if (!rule_vm_name(dst, err, sizeof(err)))
        return qerr_set(e, "QubesValueError", "%s", err);
    if (tx_begin(s, e) < 0)
        return -1;
    if (store_vm_find(s, src, &sv) < 0) {
        qerr_set(e, "QubesVMNotFoundError", "no such qube: %s", src);
        goto fail;
    }
    if (sv.cls == VC_ADMIN) {
        qerr_set(e, "QubesValueError", "dom0 cannot be cloned");
        goto fail;
    }
    {
        struct vm_info tmp;
        if (store_vm_find(s, dst, &tmp) == 0) {
            qerr_set(e, "QubesValueError", "a qube named %s already exists", dst);
            goto fail;
        }
    }
    if (insert_vm(s, dst, sv.cls, &qid, e) < 0)
        goto fail;
    for (size_t i = 0; i < sizeof(copies) / sizeof(copies[0]); i++) {
        sqlite3_stmt *st = stmt(s, copies[i]);
        int r;
        if (!st)
            goto dberr;
        sqlite3_bind_int(st, 1, sv.qid);
        sqlite3_bind_int(st, 2, qid);
        r = sqlite3_step(st);
        sqlite3_reset(st);
        if (r != SQLITE_DONE)
            goto dberr;
    }
    if (s->disk) {
        struct vm_info dv;
        if (store_vm_find(s, dst, &dv) < 0)
            goto dberr;
        if (s->disk->clone(s, &sv, &dv, e) < 0)
            goto fail;
        if (tx_commit(s, e) < 0) {
            struct qerr ignored;
            s->disk->remove(s, &dv, &ignored);
            return -1;
        }
        return 0;
    }
    return tx_commit(s, e);
dberr:
    qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
fail:
    tx_rollback(s);
    return -1;
}
