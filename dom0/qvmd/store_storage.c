/* Pools and the storage settings of volumes in the store (schema v3). */
#include "dom0/qvmd/store_int.h"
#include "dom0/qvmd/store_storage.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void store_set_disk_ops(struct store *s, const struct store_disk_ops *ops)
{
    s->disk = ops;
}

static void row_pool(sqlite3_stmt *st, struct store_pool *p)
{
    snprintf(p->name, sizeof(p->name), "%s", (const char *)sqlite3_column_text(st, 0));
    snprintf(p->driver, sizeof(p->driver), "%s", (const char *)sqlite3_column_text(st, 1));
    snprintf(p->options, sizeof(p->options), "%s", (const char *)sqlite3_column_text(st, 2));
}

int store_pool_list(struct store *s, int (*cb)(void *ctx, const struct store_pool *p), void *ctx)
{
    sqlite3_stmt *st;
    struct store_pool p;
    int r = 0;

    /* a fresh statement: callbacks may use the cached ones */
    if (sqlite3_prepare_v2(s->db, "SELECT name, driver, options FROM pools ORDER BY name", -1, &st,
                           NULL))
        return -EIO;
    while (!r && sqlite3_step(st) == SQLITE_ROW) {
        row_pool(st, &p);
        r = cb(ctx, &p);
    }
    sqlite3_finalize(st);
    return r;
}

int store_pool_get(struct store *s, const char *name, struct store_pool *out)
{
    static const char sql[] = "SELECT name, driver, options FROM pools WHERE name=?";
    sqlite3_stmt *st = stmt(s, sql);
    int r;

    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW && out)
        row_pool(st, out);
    sqlite3_reset(st);
    return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? -ENOENT : -EIO;
}

/* One statement with up to three text bindings, in its own transaction. */
static int exec_tx(struct store *s, const char *sql, const char *a, const char *b, const char *c,
                   struct qerr *e)
{
    sqlite3_stmt *st;
    int r;

    if (tx_begin(s, e) < 0)
        return -1;
    st = stmt(s, sql);
    if (!st)
        goto dberr;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    if (c)
        sqlite3_bind_text(st, 3, c, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r != SQLITE_DONE)
        goto dberr;
    return tx_commit(s, e);
dberr:
    qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
    tx_rollback(s);
    return -1;
}

int store_pool_add(struct store *s, const struct store_pool *p, struct qerr *e)
{
    if (store_pool_get(s, p->name, NULL) == 0)
        return qerr_set(e, "QubesValueError", "a pool named %s already exists", p->name);
    return exec_tx(s, "INSERT INTO pools VALUES(?, ?, ?)", p->name, p->driver, p->options, e);
}

int store_pool_remove(struct store *s, const char *name, struct qerr *e)
{
    static const char users[] =
        "SELECT v.name || ':' || vol.volume FROM volumes vol JOIN vms v USING(qid)"
        " WHERE vol.pool=?1 UNION ALL SELECT 'global ' || name FROM globals"
        " WHERE name LIKE 'default_pool%' AND value=?1 ORDER BY 1 LIMIT 1";
    sqlite3_stmt *st = stmt(s, users);
    char who[128] = "";
    bool d;
    int r;

    if (store_pool_get(s, name, NULL) < 0)
        return qerr_set(e, "QubesValueError", "no such pool: %s", name);
    if (!st)
        return qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        snprintf(who, sizeof(who), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (r == SQLITE_ROW)
        return qerr_set(e, "QubesValueError", "pool %s is in use (by %s)", name, who);
    /* a default that is not set explicitly may still name it */
    for (const char *g = "default_pool\0default_pool_root\0default_pool_private\0"
                         "default_pool_volatile\0default_pool_kernel\0";
         *g; g += strlen(g) + 1) {
        char v[STORE_VALUE_MAX];
        if (store_prop_get(s, NULL, g, v, sizeof(v), &d, NULL, e) == 0 && !strcmp(v, name))
            return qerr_set(e, "QubesValueError", "pool %s is in use (by global %s)", name, g);
    }
    return exec_tx(s, "DELETE FROM pools WHERE name=?", name, NULL, NULL, e);
}

int store_pool_set_options(struct store *s, const char *name, const char *options, struct qerr *e)
{
    if (store_pool_get(s, name, NULL) < 0)
        return qerr_set(e, "QubesValueError", "no such pool: %s", name);
    return exec_tx(s, "UPDATE pools SET options=?2 WHERE name=?1", name, options, NULL, e);
}

#define VOL_COLS "volume, pool, size, rw, snap_on_start, save_on_stop, source, revisions_to_keep"

static void row_volume(sqlite3_stmt *st, struct store_volume *v)
{
    snprintf(v->volume, sizeof(v->volume), "%s", (const char *)sqlite3_column_text(st, 0));
    snprintf(v->pool, sizeof(v->pool), "%s", (const char *)sqlite3_column_text(st, 1));
    v->size = sqlite3_column_int64(st, 2);
    v->rw = sqlite3_column_int(st, 3);
    v->snap_on_start = sqlite3_column_int(st, 4);
    v->save_on_stop = sqlite3_column_int(st, 5);
    snprintf(v->source, sizeof(v->source), "%s", (const char *)sqlite3_column_text(st, 6));
    v->revisions_to_keep = sqlite3_column_int(st, 7);
}

int store_volume_list(struct store *s, int qid, struct store_volume *out, int max)
{
    static const char sql[] =
        "SELECT " VOL_COLS " FROM volumes WHERE qid=? ORDER BY CASE volume WHEN 'root' THEN 0"
        " WHEN 'private' THEN 1 WHEN 'volatile' THEN 2 WHEN 'kernel' THEN 3 ELSE 4 END";
    sqlite3_stmt *st = stmt(s, sql);
    int n = 0, r;

    if (!st)
        return -EIO;
    sqlite3_bind_int(st, 1, qid);
    while ((r = sqlite3_step(st)) == SQLITE_ROW && n < max)
        row_volume(st, &out[n++]);
    sqlite3_reset(st);
    return r == SQLITE_ROW || r == SQLITE_DONE ? n : -EIO;
}

int store_volume_get(struct store *s, int qid, const char *volume, struct store_volume *out)
{
    static const char sql[] = "SELECT " VOL_COLS " FROM volumes WHERE qid=? AND volume=?";
    sqlite3_stmt *st = stmt(s, sql);
    int r;

    if (!st)
        return -EIO;
    sqlite3_bind_int(st, 1, qid);
    sqlite3_bind_text(st, 2, volume, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        row_volume(st, out);
    sqlite3_reset(st);
    return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? -ENOENT : -EIO;
}

int store_volume_set(struct store *s, int qid, const char *volume, const char *field, int64_t val,
                     struct qerr *e)
{
    static const char q_size[] = "UPDATE volumes SET size=?3 WHERE qid=?1 AND volume=?2";
    static const char q_rw[] = "UPDATE volumes SET rw=?3 WHERE qid=?1 AND volume=?2";
    static const char q_rev[] =
        "UPDATE volumes SET revisions_to_keep=?3 WHERE qid=?1 AND volume=?2";
    const char *sql = !strcmp(field, "size")                ? q_size
                      : !strcmp(field, "rw")                ? q_rw
                      : !strcmp(field, "revisions_to_keep") ? q_rev
                                                            : NULL;
    sqlite3_stmt *st;
    int r;

    if (!sql)
        return qerr_set(e, "QubesValueError", "volumes have no setting %s", field);
    if ((sql == q_rev && (val < -1 || val > 100)) || (sql == q_rw && val != 0 && val != 1) ||
        (sql == q_size && (val < 0 || val > (1LL << 50))))
        return qerr_set(e, "QubesValueError", "%s: value out of range", field);
    if (tx_begin(s, e) < 0)
        return -1;
    st = stmt(s, sql);
    if (!st)
        goto dberr;
    sqlite3_bind_int(st, 1, qid);
    sqlite3_bind_text(st, 2, volume, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, val);
    r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r != SQLITE_DONE)
        goto dberr;
    if (sqlite3_changes(s->db) != 1) {
        qerr_set(e, "QubesValueError", "no such volume: %s", volume);
        tx_rollback(s);
        return -1;
    }
    return tx_commit(s, e);
dberr:
    qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
    tx_rollback(s);
    return -1;
}

int store_pool_volumes(struct store *s, const char *pool,
                       int (*cb)(void *ctx, const struct vm_info *vm, const char *volume),
                       void *ctx)
{
    sqlite3_stmt *st;
    int r = 0;

    if (sqlite3_prepare_v2(s->db,
                           "SELECT v.qid, v.name, v.class, v.uuid, vol.volume FROM volumes vol"
                           " JOIN vms v USING(qid) WHERE vol.pool=? ORDER BY v.name, vol.volume",
                           -1, &st, NULL))
        return -EIO;
    sqlite3_bind_text(st, 1, pool, -1, SQLITE_TRANSIENT);
    while (!r && sqlite3_step(st) == SQLITE_ROW) {
        struct vm_info vm;
        vm.qid = sqlite3_column_int(st, 0);
        snprintf(vm.name, sizeof(vm.name), "%s", (const char *)sqlite3_column_text(st, 1));
        vm.cls = (enum vm_class)vm_class_parse((const char *)sqlite3_column_text(st, 2));
        snprintf(vm.uuid, sizeof(vm.uuid), "%s", (const char *)sqlite3_column_text(st, 3));
        r = cb(ctx, &vm, (const char *)sqlite3_column_text(st, 4));
    }
    sqlite3_finalize(st);
    return r;
}

static int set_pool(struct store *s, int qid, const char *volume, const char *pool)
{
    static const char sql[] = "UPDATE volumes SET pool=?3 WHERE qid=?1 AND volume=?2";
    sqlite3_stmt *st = stmt(s, sql);
    int r;

    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, qid);
    sqlite3_bind_text(st, 2, volume, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, pool, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE ? 0 : -1;
}

void store_set_create_pools(struct store *s, const char *all, const char *const *per)
{
    for (int i = 0; i < VOL_COUNT; i++)
        snprintf(s->create_pool[i], sizeof(s->create_pool[i]), "%s", per && per[i] ? per[i] : "");
    snprintf(s->create_pool[VOL_COUNT], sizeof(s->create_pool[VOL_COUNT]), "%s", all ? all : "");
}

int store_volumes_assign_pools(struct store *s, const struct vm_info *vm, struct qerr *e)
{
    struct store_volume v[VOL_COUNT];
    int n = store_volume_list(s, vm->qid, v, VOL_COUNT);

    if (n < 0)
        return qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
    for (int i = 0; i < n; i++) {
        char pool[STORE_VALUE_MAX], g[64], t[64];
        struct vm_info tv;
        struct store_volume sv;
        bool d;

        snprintf(g, sizeof(g), "default_pool_%.15s", v[i].volume);
        if (store_prop_get(s, NULL, g, pool, sizeof(pool), &d, NULL, e) < 0)
            return -1;
        /* a snapshot lives where its origin does */
        if (v[i].snap_on_start && !strcmp(v[i].source, "template") &&
            prop_explicit(s, vm->qid, "template", t, sizeof(t)) == 1 &&
            store_vm_find(s, t, &tv) == 0 && store_volume_get(s, tv.qid, v[i].volume, &sv) == 0)
            snprintf(pool, sizeof(pool), "%s", sv.pool);
        /* what admin.vm.CreateInPool asked for */
        for (int k = 0; k < VOL_COUNT; k++)
            if (!strcmp(vol_rules(vm->cls)[k].volume, v[i].volume) && s->create_pool[k][0])
                snprintf(pool, sizeof(pool), "%s", s->create_pool[k]);
            else if (!strcmp(vol_rules(vm->cls)[k].volume, v[i].volume) &&
                     s->create_pool[VOL_COUNT][0] && !v[i].snap_on_start &&
                     strcmp(v[i].volume, "kernel"))
                snprintf(pool, sizeof(pool), "%s", s->create_pool[VOL_COUNT]);
        if (store_pool_get(s, pool, NULL) < 0)
            return qerr_set(e, "QubesValueError", "volume %s: no such pool: %s (see %s)",
                            v[i].volume, pool, g);
        if (set_pool(s, vm->qid, v[i].volume, pool) < 0)
            return qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
    }
    return 0;
}
