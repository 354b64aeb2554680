/* Property values: where an unset one comes from (the template, a global,
 * a constant), and checked changes. See props.c for the table. */
#include "dom0/qvmd/store_int.h"
#include "dom0/qvmd/store_storage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void prop_cache_drop(struct store *s)
{
    s->last_found.qid = 0;
    for (size_t i = 0; i < PROP_CACHE_QUBES; i++) {
        for (size_t r = 0; r < s->props[i].n; r++)
            free(s->props[i].row[r].value);
        s->props[i].n = 0;
        s->props[i].qid = 0;
    }
}

/* The cached explicit properties of qid, read now if need be; NULL when
 * they do not fit (the caller asks the database). */
static const struct prop_cache *cached(struct store *s, int qid)
{
    static const char sql[] = "SELECT name, value FROM vm_props WHERE qid=?";
    struct prop_cache *c;
    sqlite3_stmt *st;
    int r;

    if (qid == 0)
        return NULL; /* 0 marks an empty entry */
    for (size_t i = 0; i < PROP_CACHE_QUBES; i++)
        if (s->props[i].qid == qid)
            return &s->props[i];
    st = stmt(s, sql);
    if (!st)
        return NULL;
    c = &s->props[s->props_next++ % PROP_CACHE_QUBES];
    for (size_t i = 0; i < c->n; i++)
        free(c->row[i].value);
    c->n = 0;
    c->qid = 0;
    sqlite3_bind_int(st, 1, qid);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        const char *n = (const char *)sqlite3_column_text(st, 0);
        const char *v = (const char *)sqlite3_column_text(st, 1);
        if (c->n == PROP_CACHE_ROWS || !n || !v || strlen(n) >= sizeof(c->row[0].name) ||
            !(c->row[c->n].value = strdup(v)))
            break;
        snprintf(c->row[c->n].name, sizeof(c->row[0].name), "%s", n);
        c->n++;
    }
    sqlite3_reset(st);
    if (r != SQLITE_DONE) { /* too many, or an error: not cached */
        for (size_t i = 0; i < c->n; i++)
            free(c->row[i].value);
        c->n = 0;
        return NULL;
    }
    c->qid = qid;
    return c;
}

int prop_explicit(struct store *s, int qid, const char *name, char *val, size_t valsz)
{
    static const char sql[] = "SELECT value FROM vm_props WHERE qid=? AND name=?";
    const struct prop_cache *c = cached(s, qid);
    sqlite3_stmt *st;
    int r;

    if (c) {
        for (size_t i = 0; i < c->n; i++)
            if (!strcmp(c->row[i].name, name)) {
                snprintf(val, valsz, "%s", c->row[i].value);
                return 1;
            }
        return 0;
    }
    st = stmt(s, sql);
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, qid);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        snprintf(val, valsz, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
}

static int global_explicit(struct store *s, const char *name, char *val, size_t valsz)
{
    static const char sql[] = "SELECT value FROM globals WHERE name=?";
    sqlite3_stmt *st = stmt(s, sql);
    int r;

    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        snprintf(val, valsz, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
}

static void global_value(struct store *s, const struct prop_def *g, char *val, size_t valsz)
{
    if (global_explicit(s, g->name, val, valsz) != 1)
        snprintf(val, valsz, "%s", g->dflt);
}

static int resolve(struct store *s, const struct vm_info *vm, const struct prop_def *def, char *val,
                   size_t valsz, bool *is_default, int depth);

/* The value when the qube has not set it. */
static void default_value(struct store *s, const struct vm_info *vm, const struct prop_def *def,
                          char *val, size_t valsz, int depth)
{
    char t[64];
    struct vm_info tv;
    bool d;

    if (def->tmpl_classes & VC_BIT(vm->cls) && depth < 4 &&
        prop_explicit(s, vm->qid, "template", t, sizeof(t)) == 1 && store_vm_find(s, t, &tv) == 0 &&
        resolve(s, &tv, def, val, valsz, &d, depth + 1) == 0)
        return;
    if (!strcmp(def->name, "netvm") && vm->cls == VC_TEMPLATE) {
        /* templates reach the network only through their update proxy */
        snprintf(val, valsz, "%s", "");
        return;
    }
    if (!strcmp(def->name, "include_in_backups") && vm->cls == VC_DISP) {
        snprintf(val, valsz, "False");
        return;
    }
    if (!strcmp(def->name, "maxmem")) {
        /* memory x 10, capped at half of the host's memory (spec) */
        char m[32];
        long long mem, cap = s->host_mem_mib / 2;
        resolve(s, vm, prop_find(vm_props, vm_props_count, "memory"), m, sizeof(m), &d, depth);
        mem = atoll(m) * 10;
        snprintf(val, valsz, "%lld", mem < cap ? mem : cap);
        return;
    }
    if (def->global) {
        global_value(s, prop_find(global_props, global_props_count, def->global), val, valsz);
        /* a qube is never its own netvm or disposable template by default */
        if (!strcmp(val, vm->name))
            val[0] = 0;
        return;
    }
    snprintf(val, valsz, "%s", def->dflt);
}

static int resolve(struct store *s, const struct vm_info *vm, const struct prop_def *def, char *val,
                   size_t valsz, bool *is_default, int depth)
{
    *is_default = false;
    if (!strcmp(def->name, "name"))
        return snprintf(val, valsz, "%s", vm->name), 0;
    if (!strcmp(def->name, "qid"))
        return snprintf(val, valsz, "%d", vm->qid), 0;
    if (!strcmp(def->name, "uuid"))
        return snprintf(val, valsz, "%s", vm->uuid), 0;
    if (!strcmp(def->name, "xid")) { /* what runs now: never stored */
        int xid = vm->cls == VC_ADMIN ? 0 : s->domid ? s->domid(s->domid_ctx, vm->qid) : -1;
        return snprintf(val, valsz, "%d", xid), 0;
    }
    switch (prop_explicit(s, vm->qid, def->name, val, valsz)) {
    case 1:
        return 0;
    case 0:
        *is_default = true;
        default_value(s, vm, def, val, valsz, depth);
        return 0;
    default:
        return -1;
    }
}

static const struct prop_def *lookup(const struct vm_info *vm, const char *name, struct qerr *e)
{
    const struct prop_def *def = vm ? prop_find(vm_props, vm_props_count, name)
                                    : prop_find(global_props, global_props_count, name);

    if (!def || (vm && !(def->classes & VC_BIT(vm->cls)))) {
        qerr_set(e, "QubesNoSuchPropertyError", "%s has no property '%s'",
                 vm ? vm->name : "the system", name);
        return NULL;
    }
    return def;
}

int store_prop_get(struct store *s, const struct vm_info *vm, const char *name, char *val,
                   size_t valsz, bool *is_default, const struct prop_def **defp, struct qerr *e)
{
    const struct prop_def *def = lookup(vm, name, e);

    if (!def)
        return -1;
    if (defp)
        *defp = def;
    if (!vm) {
        int r = global_explicit(s, name, val, valsz);
        if (r < 0)
            return qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
        *is_default = r == 0;
        if (r == 0 && def->global) /* default_pool_root: default_pool's value */
            global_value(s, prop_find(global_props, global_props_count, def->global), val, valsz);
        else if (r == 0)
            snprintf(val, valsz, "%s", def->dflt);
        return 0;
    }
    if (resolve(s, vm, def, val, valsz, is_default, 0) < 0)
        return qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
    return 0;
}

int store_prop_default(struct store *s, const struct vm_info *vm, const char *name, char *val,
                       size_t valsz, struct qerr *e)
{
    const struct prop_def *def = lookup(vm, name, e);

    if (!def)
        return -1;
    if (def->readonly || !strcmp(name, "template"))
        return qerr_set(e, "QubesPropertyAccessError", "'%s' has no default", name);
    if (!vm)
        snprintf(val, valsz, "%s", def->dflt);
    else
        default_value(s, vm, def, val, valsz, 0);
    return 0;
}

/* The effective netvm of a qube, for the cycle check. */
static const char *next_netvm(void *ctx, const char *name, char *buf, size_t bufsz)
{
    struct store *s = ctx;
    struct vm_info vm;
    bool d;

    if (store_vm_find(s, name, &vm) < 0 || vm.cls == VC_ADMIN)
        return NULL;
    if (resolve(s, &vm, prop_find(vm_props, vm_props_count, "netvm"), buf, bufsz, &d, 0) < 0)
        return NULL;
    return buf;
}

static bool vm_bool(struct store *s, const struct vm_info *vm, const char *name)
{
    char v[16];
    bool d;

    return resolve(s, vm, prop_find(vm_props, vm_props_count, name), v, sizeof(v), &d, 0) == 0 &&
           !strcmp(v, "True");
}

static int struct_vm_cb(void *ctx, const struct vm_info *vm);
struct graph_walk {
    struct store *s;
    struct qerr *e;
};

static int struct_vm_cb(void *ctx, const struct vm_info *vm)
{
    struct graph_walk *w = ctx;
    char nv[64], buf[64];
    const char *cur;
    struct vm_info target;

    if (vm->cls == VC_ADMIN || !next_netvm(w->s, vm->name, nv, sizeof(nv)) || !nv[0])
        return 0;
    if (store_vm_find(w->s, nv, &target) < 0 || target.cls == VC_ADMIN ||
        !vm_bool(w->s, &target, "provides_network"))
        return qerr_set(w->e, "QubesValueError",
                        "%s uses %s as netvm, which does not provide network", vm->name, nv);
    cur = nv;
    for (int hops = 0; cur && *cur; hops++) {
        if (!strcmp(cur, vm->name) || hops > 10001)
            return qerr_set(w->e, "QubesValueError", "netvm loop through %s", vm->name);
        cur = next_netvm(w->s, cur, buf, sizeof(buf));
        if (cur) {
            memmove(nv, cur, strlen(cur) + 1);
            cur = nv;
        }
    }
    return 0;
}

int netvm_graph_ok(struct store *s, struct qerr *e)
{
    struct graph_walk w = {s, e};
    return store_vm_list(s, struct_vm_cb, &w) ? -1 : 0;
}

/* The relations a new value must satisfy; the store is inside the change's
 * transaction, so what is read is what will commit. */
static int check_relations(struct store *s, const struct vm_info *vm, const struct prop_def *def,
                           const char *v, struct qerr *e)
{
    char err[256];
    struct vm_info ref;

    if (!vm && !strncmp(def->name, "default_pool", 12) && *v && store_pool_get(s, v, NULL) < 0)
        return qerr_set(e, "QubesValueError", "%s: no such pool: %s", def->name, v);
    if (def->type == PT_VM && *v) {
        if (store_vm_find(s, v, &ref) < 0)
            return qerr_set(e, "QubesValueError", "%s: no such qube: %s", def->name, v);
        if (!strcmp(def->name, "template") || !strcmp(def->name, "default_template")) {
            enum vm_class self = vm ? vm->cls : VC_APP;
            if (!rule_template(self, ref.cls, vm_bool(s, &ref, "template_for_dispvms"), v, err,
                               sizeof(err)))
                return qerr_set(e, "QubesValueError", "%s", err);
        } else if (!strcmp(def->name, "default_dispvm") ||
                   !strcmp(def->name, "management_dispvm")) {
            if (!rule_dispvm_base(ref.cls, vm_bool(s, &ref, "template_for_dispvms"), v, err,
                                  sizeof(err)))
                return qerr_set(e, "QubesValueError", "%s", err);
        } else if (!strcmp(def->name, "netvm") || !strcmp(def->name, "default_netvm")) {
            bool pn = ref.cls != VC_ADMIN && vm_bool(s, &ref, "provides_network");
            if (!rule_netvm(vm ? vm->name : NULL, v, pn, next_netvm, s, err, sizeof(err)))
                return qerr_set(e, "QubesValueError", "%s", err);
        }
    } else if (def->type == PT_VM && !strcmp(def->name, "template")) {
        return qerr_set(e, "QubesValueError", "a %s needs a template", vm_class_name(vm->cls));
    }
    if (vm && (!strcmp(def->name, "memory") || !strcmp(def->name, "maxmem"))) {
        char other[32];
        bool d;
        const struct prop_def *o =
            prop_find(vm_props, vm_props_count, def->name[1] == 'e' ? "maxmem" : "memory");
        /* an unset maxmem follows memory, so only an explicit one limits it */
        if (resolve(s, vm, o, other, sizeof(other), &d, 0) == 0 && !(o->name[1] == 'a' && d)) {
            long long mem = def->name[1] == 'e' ? atoll(v) : atoll(other);
            long long max = def->name[1] == 'e' ? atoll(other) : atoll(v);
            if (!rule_memory(mem, max, err, sizeof(err)))
                return qerr_set(e, "QubesValueError", "%s", err);
        }
    }
    return 0;
}

static bool netvm_related(const struct prop_def *def)
{
    return !strcmp(def->name, "netvm") || !strcmp(def->name, "default_netvm") ||
           !strcmp(def->name, "provides_network");
}

static int write_value(struct store *s, const struct vm_info *vm, const char *name, const char *v)
{
    static const char sql_vm[] = "INSERT OR REPLACE INTO vm_props VALUES(?, ?, ?)";
    static const char sql_g[] = "INSERT OR REPLACE INTO globals VALUES(?, ?)";
    static const char del_vm[] = "DELETE FROM vm_props WHERE qid=? AND name=?";
    static const char del_g[] = "DELETE FROM globals WHERE name=?";
    sqlite3_stmt *st = stmt(s, vm ? (v ? sql_vm : del_vm) : (v ? sql_g : del_g));
    int i = 1, r;

    if (!st)
        return -1;
    if (vm)
        sqlite3_bind_int(st, i++, vm->qid);
    sqlite3_bind_text(st, i++, name, -1, SQLITE_STATIC);
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE ? 0 : -1;
}

/* A disposable template stays one while disposables are built on it. */
static int dispvm_base_ok(struct store *s, const struct vm_info *vm, struct qerr *e)
{
    static const char sql[] = "SELECT v.name FROM vm_props p JOIN vms v USING(qid)"
                              " WHERE p.name='template' AND p.value=? AND v.class='DispVM'"
                              " ORDER BY 1 LIMIT 1";
    sqlite3_stmt *st = stmt(s, sql);
    char v[16];
    bool d;
    int r;

    if (!st || resolve(s, vm, prop_find(vm_props, vm_props_count, "template_for_dispvms"), v,
                       sizeof(v), &d, 0) < 0)
        return qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
    if (!strcmp(v, "True"))
        return 0;
    sqlite3_bind_text(st, 1, vm->name, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        qerr_set(e, "QubesValueError", "%s is the template of disposable %s", vm->name,
                 (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return r == SQLITE_ROW ? -1 : 0;
}

/* Set (raw != NULL) or reset (raw == NULL) in one transaction. */
static int change(struct store *s, const struct vm_info *vm, const char *name, const char *raw,
                  char *oldval, char *newval, size_t valsz, struct qerr *e)
{
    const struct prop_def *def = lookup(vm, name, e);
    char canon[STORE_VALUE_MAX], err[256], tmp[STORE_VALUE_MAX];
    bool d;

    if (!def)
        return -1;
    if (def->readonly)
        return qerr_set(e, "QubesPropertyAccessError", "'%s' is read-only", name);
    if (raw && !rule_value(def, raw, canon, sizeof(canon), err, sizeof(err)))
        return qerr_set(e, "QubesValueError", "%s", err);
    if (!raw && (!strcmp(name, "template") || !strcmp(name, "label")))
        return qerr_set(e, "QubesValueError", "'%s' cannot be reset, only set", name);
    if (tx_begin(s, e) < 0)
        return -1;
    if (store_prop_get(s, vm, name, oldval ? oldval : tmp, valsz, &d, NULL, e) < 0 ||
        (raw && check_relations(s, vm, def, canon, e) < 0))
        goto fail;
    if (write_value(s, vm, name, raw ? canon : NULL) < 0) {
        qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
        goto fail;
    }
    /* a reset or a global change can close a netvm loop elsewhere */
    if (netvm_related(def) && netvm_graph_ok(s, e) < 0)
        goto fail;
    if (vm && !strcmp(name, "template_for_dispvms") && dispvm_base_ok(s, vm, e) < 0)
        goto fail;
    if (newval && store_prop_get(s, vm, name, newval, valsz, &d, NULL, e) < 0)
        goto fail;
    return tx_commit(s, e);
fail:
    tx_rollback(s);
    return -1;
}

int store_prop_set(struct store *s, const struct vm_info *vm, const char *name, const char *raw,
                   char *oldval, char *newval, size_t valsz, struct qerr *e)
{
    return change(s, vm, name, raw, oldval, newval, valsz, e);
}

int store_prop_reset(struct store *s, const struct vm_info *vm, const char *name, char *oldval,
                     size_t valsz, struct qerr *e)
{
    return change(s, vm, name, NULL, oldval, NULL, valsz, e);
}
