/* The consistency check (qvmd --check, the crash test): SQLite's own
 * checks, then every row against the model's rules. */
#include "dom0/qvmd/store_int.h"
#include "dom0/qvmd/store_storage.h"
#include "dom0/storage/names.h"

#include <stdio.h>
#include <string.h>

static int fail(char *err, size_t errsz, const char *what, const char *detail)
{
    snprintf(err, errsz, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
    return -1;
}

static int check_rows(struct store *s, char *err, size_t errsz)
{
    sqlite3_stmt *st;
    int r = 0, dom0 = 0;

    if (sqlite3_prepare_v2(s->db, "SELECT qid, name, class FROM vms", -1, &st, NULL))
        return fail(err, errsz, "cannot read vms", sqlite3_errmsg(s->db));
    while (!r && sqlite3_step(st) == SQLITE_ROW) {
        int qid = sqlite3_column_int(st, 0), c;
        const char *name = (const char *)sqlite3_column_text(st, 1);
        char e2[256], v[STORE_VALUE_MAX], detail[128];
        struct vm_info vm;

        c = vm_class_parse((const char *)sqlite3_column_text(st, 2));
        snprintf(detail, sizeof(detail), "%s", name);
        if (c < 0)
            r = fail(err, errsz, "unknown class", detail);
        else if (c == VC_ADMIN)
            dom0 += qid == 0 && !strcmp(name, "dom0") ? 1 : 100;
        else if (!rule_vm_name(name, e2, sizeof(e2)))
            r = fail(err, errsz, "bad name", detail);
        if (r || c == VC_ADMIN)
            continue;
        if (store_vm_find(s, name, &vm) < 0)
            r = fail(err, errsz, "cannot find", detail);
        if (!r && (c == VC_APP || c == VC_DISP)) {
            struct vm_info tv;
            char t[STORE_VALUE_MAX];
            if (prop_explicit(s, qid, "template", t, sizeof(t)) != 1 ||
                store_vm_find(s, t, &tv) < 0)
                r = fail(err, errsz, "template missing", detail);
            else if (!rule_template(
                         (enum vm_class)c, tv.cls,
                         prop_explicit(s, tv.qid, "template_for_dispvms", v, sizeof(v)) == 1 &&
                             !strcmp(v, "True"),
                         t, e2, sizeof(e2)))
                r = fail(err, errsz, e2, detail);
        }
        if (!r && prop_explicit(s, qid, "label", v, sizeof(v)) != 1)
            r = fail(err, errsz, "label missing", detail);
        if (!r) {
            sqlite3_stmt *vs;
            int n = -1;
            if (!sqlite3_prepare_v2(s->db, "SELECT count(*) FROM volumes WHERE qid=?", -1, &vs,
                                    NULL)) {
                sqlite3_bind_int(vs, 1, qid);
                if (sqlite3_step(vs) == SQLITE_ROW)
                    n = sqlite3_column_int(vs, 0);
                sqlite3_finalize(vs);
            }
            if (n != VOL_COUNT)
                r = fail(err, errsz, "volume configuration incomplete", detail);
        }
    }
    sqlite3_finalize(st);
    if (!r && dom0 != 1)
        r = fail(err, errsz, "dom0 (qid 0, AdminVM) missing or duplicated", NULL);
    return r;
}

/* Every stored property is known for its qube's class and valid. */
static int check_props(struct store *s, char *err, size_t errsz)
{
    sqlite3_stmt *st;
    int r = 0;

    if (sqlite3_prepare_v2(s->db,
                           "SELECT v.name, v.class, p.name, p.value FROM vm_props p"
                           " JOIN vms v USING(qid) UNION ALL"
                           " SELECT NULL, NULL, name, value FROM globals",
                           -1, &st, NULL))
        return fail(err, errsz, "cannot read properties", sqlite3_errmsg(s->db));
    while (!r && sqlite3_step(st) == SQLITE_ROW) {
        const char *vm = (const char *)sqlite3_column_text(st, 0);
        const char *cls = (const char *)sqlite3_column_text(st, 1);
        const char *name = (const char *)sqlite3_column_text(st, 2);
        const char *val = (const char *)sqlite3_column_text(st, 3);
        const struct prop_def *def = vm ? prop_find(vm_props, vm_props_count, name)
                                        : prop_find(global_props, global_props_count, name);
        char out[STORE_VALUE_MAX], e2[256], detail[160];
        struct vm_info ref;

        snprintf(detail, sizeof(detail), "%s %s", vm ? vm : "global", name);
        if (!def || def->readonly || (vm && !(def->classes & VC_BIT(vm_class_parse(cls)))))
            r = fail(err, errsz, "unknown property", detail);
        else if (!rule_value(def, val, out, sizeof(out), e2, sizeof(e2)) || strcmp(out, val))
            r = fail(err, errsz, "invalid value", detail);
        else if (def->type == PT_VM && *val && store_vm_find(s, val, &ref) < 0)
            r = fail(err, errsz, "refers to a missing qube", detail);
    }
    sqlite3_finalize(st);
    return r;
}

/* Every pool's options parse for its driver; every volume is in a pool
 * and keeps a valid number of revisions; every default_pool* global
 * names a pool. */
static int check_storage(struct store *s, char *err, size_t errsz)
{
    sqlite3_stmt *st;
    int r = 0;

    if (sqlite3_prepare_v2(s->db, "SELECT name, driver, options FROM pools", -1, &st, NULL))
        return fail(err, errsz, "cannot read pools", sqlite3_errmsg(s->db));
    while (!r && sqlite3_step(st) == SQLITE_ROW) {
        struct pool_cfg cfg;
        char e2[256], canon[STORE_POOL_OPTIONS_MAX], detail[400];
        const char *opts = (const char *)sqlite3_column_text(st, 2);
        snprintf(detail, sizeof(detail), "%s", (const char *)sqlite3_column_text(st, 0));
        if (pool_cfg_parse(detail, (const char *)sqlite3_column_text(st, 1), opts, &cfg, e2,
                           sizeof(e2)) < 0) {
            snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail), ": %s", e2);
            r = fail(err, errsz, "invalid pool", detail);
        } else if (pool_cfg_format(&cfg, canon, sizeof(canon)) < 0 || strcmp(canon, opts)) {
            r = fail(err, errsz, "pool options not canonical", detail);
        }
    }
    sqlite3_finalize(st);
    if (r)
        return r;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT v.name || ':' || vol.volume, vol.pool IN (SELECT name FROM "
                           "pools), vol.revisions_to_keep BETWEEN -1 AND 100 FROM volumes vol "
                           "JOIN vms v USING(qid) UNION ALL SELECT 'global ' || name, value IN "
                           "(SELECT name FROM pools), 1 FROM globals WHERE name LIKE "
                           "'default_pool%'",
                           -1, &st, NULL))
        return fail(err, errsz, "cannot read volumes", sqlite3_errmsg(s->db));
    while (!r && sqlite3_step(st) == SQLITE_ROW) {
        const char *what = (const char *)sqlite3_column_text(st, 0);
        if (!sqlite3_column_int(st, 1))
            r = fail(err, errsz, "refers to a missing pool", what);
        else if (!sqlite3_column_int(st, 2))
            r = fail(err, errsz, "revisions_to_keep out of range", what);
    }
    sqlite3_finalize(st);
    return r;
}

int store_check(struct store *s, char *err, size_t errsz)
{
    sqlite3_stmt *st;
    struct qerr e;
    int r = 0;

    if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL))
        return fail(err, errsz, "integrity_check", sqlite3_errmsg(s->db));
    while (sqlite3_step(st) == SQLITE_ROW)
        if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") && !r)
            r = fail(err, errsz, "integrity_check", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (r)
        return r;
    if (sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &st, NULL))
        return fail(err, errsz, "foreign_key_check", sqlite3_errmsg(s->db));
    if (sqlite3_step(st) == SQLITE_ROW)
        r = fail(err, errsz, "foreign_key_check", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (r)
        return r;
    if (store_version(s) != STORE_SCHEMA_VERSION)
        return fail(err, errsz, "schema version is not the latest", NULL);
    if (check_rows(s, err, errsz) < 0 || check_props(s, err, errsz) < 0 ||
        check_storage(s, err, errsz) < 0)
        return -1;
    if (netvm_graph_ok(s, &e) < 0)
        return fail(err, errsz, "netvm graph", e.msg);
    return 0;
}
