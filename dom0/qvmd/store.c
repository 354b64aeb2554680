/* The store's database: opening, the schema and its migrations, statements
 * and transactions, the consistency check, and finding qubes. */
#include "dom0/qvmd/store_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Version 1: the first layout. Labels as older installs had them (grey
 * 0x555753), which version 2 migrates, as the spec says Qubes did. */
static const char schema_v1[] =
    "CREATE TABLE schema_version(version INTEGER NOT NULL);"
    "INSERT INTO schema_version VALUES(0);"
    "CREATE TABLE labels(idx INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
    " color INTEGER NOT NULL);"
    "INSERT INTO labels VALUES(1,'red',13369344),(2,'orange',16087296),(3,'yellow',15586304),"
    "(4,'green',7590422),(5,'grey',5592915),(6,'blue',3433892),(7,'purple',7688315),"
    "(8,'black',0);"
    "CREATE TABLE vms(qid INTEGER PRIMARY KEY CHECK(qid BETWEEN 0 AND 10000),"
    " name TEXT UNIQUE NOT NULL, class TEXT NOT NULL, uuid TEXT UNIQUE NOT NULL);"
    "CREATE TABLE vm_props(qid INTEGER NOT NULL REFERENCES vms(qid) ON DELETE CASCADE,"
    " name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(qid, name)) WITHOUT ROWID;"
    "CREATE INDEX vm_props_value ON vm_props(name, value);"
    "CREATE TABLE globals(name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE features(qid INTEGER NOT NULL REFERENCES vms(qid) ON DELETE CASCADE,"
    " name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(qid, name)) WITHOUT ROWID;"
    "CREATE TABLE tags(qid INTEGER NOT NULL REFERENCES vms(qid) ON DELETE CASCADE,"
    " tag TEXT NOT NULL, PRIMARY KEY(qid, tag)) WITHOUT ROWID;"
    "CREATE TABLE notes(qid INTEGER PRIMARY KEY REFERENCES vms(qid) ON DELETE CASCADE,"
    " text TEXT NOT NULL);"
    "INSERT INTO vms VALUES(0,'dom0','AdminVM','00000000-0000-0000-0000-000000000000');"
    "INSERT INTO vm_props VALUES(0,'label','black');";

/* Version 2: per-qube volume configuration (rules from props.c, filled in
 * for the qubes that exist) and the grey label renamed and recoloured. */
static const char schema_v2[] =
    "CREATE TABLE volumes(qid INTEGER NOT NULL REFERENCES vms(qid) ON DELETE CASCADE,"
    " volume TEXT NOT NULL, size INTEGER NOT NULL, rw INTEGER NOT NULL,"
    " snap_on_start INTEGER NOT NULL, save_on_stop INTEGER NOT NULL, source TEXT NOT NULL,"
    " PRIMARY KEY(qid, volume)) WITHOUT ROWID;"
    "UPDATE labels SET name='gray', color=5592405 WHERE idx=5;"
    "UPDATE vm_props SET value='gray' WHERE name='label' AND value='grey';";

/* Version 3: storage pools (name, driver, options) and each volume's pool
 * and revisions_to_keep (-1: the pool's). The two pools every install has
 * are added in C (they live next to the database, see add_default_pools). */
static const char schema_v3[] =
    "CREATE TABLE pools(name TEXT PRIMARY KEY, driver TEXT NOT NULL, options TEXT NOT NULL)"
    " WITHOUT ROWID;"
    "ALTER TABLE volumes ADD COLUMN pool TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE volumes ADD COLUMN revisions_to_keep INTEGER NOT NULL DEFAULT -1;"
    "CREATE INDEX volumes_pool ON volumes(pool);"
    "UPDATE volumes SET pool = CASE volume WHEN 'kernel' THEN 'linux-kernel'"
    " ELSE 'varlibqubes' END;";

int store_volumes_fill(struct store *s, int qid, enum vm_class cls);

/* varlibqubes, the default pool: file-reflink in <db dir>/vm-pool, with
 * setup_check=no so that qvmd works on any filesystem (reflinks where the
 * filesystem has them, sparse copies elsewhere); and linux-kernel, dom0's
 * kernels for qubes, in <db dir>/vm-kernels. With the default database
 * that is /var/lib/bulkhead/vm-pool and /var/lib/bulkhead/vm-kernels; a
 * test's database in a temporary directory keeps everything there. */
static int add_default_pools(struct store *s)
{
    char opt[2][4200];
    sqlite3_stmt *st;
    int r = 0;

    snprintf(opt[0], sizeof(opt[0]),
             "dir_path=%s/vm-pool\nephemeral_volatile=False\nrevisions_to_keep=1\n"
             "setup_check=False\n",
             s->dir);
    snprintf(opt[1], sizeof(opt[1]), "dir_path=%s/vm-kernels\n", s->dir);
    if (sqlite3_prepare_v2(s->db, "INSERT INTO pools VALUES(?, ?, ?)", -1, &st, NULL))
        return -1;
    for (int i = 0; i < 2 && !r; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, i ? "linux-kernel" : "varlibqubes", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, i ? "linux-kernel" : "file-reflink", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, opt[i], -1, SQLITE_STATIC);
        r = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(st);
    return r;
}

sqlite3_stmt *stmt(struct store *s, const char *sql)
{
    size_t i;

    /* a statement that may change rows (all of ours start with the verb)
     * makes the property cache stale: whatever it changes, reads after it
     * in the same transaction must see the change */
    if (!strncmp(sql, "INSERT", 6) || !strncmp(sql, "UPDATE", 6) || !strncmp(sql, "DELETE", 6))
        prop_cache_drop(s);
    for (i = 0; i < STMT_CACHE && s->cache[i].sql; i++)
        if (s->cache[i].sql == sql) {
            sqlite3_reset(s->cache[i].st);
            sqlite3_clear_bindings(s->cache[i].st);
            return s->cache[i].st;
        }
    if (i == STMT_CACHE)
        return NULL; /* a programming error: raise STMT_CACHE */
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->cache[i].st, NULL))
        return NULL;
    s->cache[i].sql = sql;
    return s->cache[i].st;
}

int qerr_set(struct qerr *e, const char *type, const char *fmt, ...)
{
    va_list ap;

    e->type = type;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return -1;
}

int tx_begin(struct store *s, struct qerr *e)
{
    prop_cache_drop(s);
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
        return qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
    return 0;
}

int tx_commit(struct store *s, struct qerr *e)
{
    prop_cache_drop(s);
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL)) {
        qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
        tx_rollback(s);
        return -1;
    }
    return 0;
}

void tx_rollback(struct store *s)
{
    prop_cache_drop(s);
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static int get_version(struct store *s)
{
    sqlite3_stmt *st;
    int v = 0;

    if (sqlite3_prepare_v2(s->db, "SELECT version FROM schema_version", -1, &st, NULL))
        return 0; /* no table: an empty database */
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

int store_version(struct store *s)
{
    return get_version(s);
}

static int migrate(struct store *s, int upto, char *err, size_t errsz)
{
    static const char *const steps[] = {schema_v1, schema_v2, schema_v3};
    int v = get_version(s);

    if (v > STORE_SCHEMA_VERSION) {
        snprintf(err, errsz, "database schema version %d is newer than this qvmd (%d)", v,
                 STORE_SCHEMA_VERSION);
        return -1;
    }
    for (; v < upto; v++) {
        char sql[64];
        /* each step and its version bump commit together */
        if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ||
            sqlite3_exec(s->db, steps[v], NULL, NULL, NULL))
            goto fail;
        if (v + 1 == 2) {
            sqlite3_stmt *st;
            if (sqlite3_prepare_v2(s->db, "SELECT qid, class FROM vms", -1, &st, NULL))
                goto fail;
            while (sqlite3_step(st) == SQLITE_ROW) {
                int c = vm_class_parse((const char *)sqlite3_column_text(st, 1));
                if (c >= 0 && store_volumes_fill(s, sqlite3_column_int(st, 0), c) < 0) {
                    sqlite3_finalize(st);
                    goto fail;
                }
            }
            sqlite3_finalize(st);
        }
        if (v + 1 == 3 && add_default_pools(s) < 0)
            goto fail;
        snprintf(sql, sizeof(sql), "UPDATE schema_version SET version=%d", v + 1);
        if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) ||
            sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL))
            goto fail;
    }
    return 0;
fail:
    snprintf(err, errsz, "migrating the schema to version %d: %s", v + 1, sqlite3_errmsg(s->db));
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* The absolute directory of the database file. */
static void db_dir(const char *path, char *out, size_t outsz)
{
    char d[4096], *slash, *real;

    snprintf(d, sizeof(d), "%s", path);
    slash = strrchr(d, '/');
    if (slash)
        slash[slash == d] = 0;
    else
        snprintf(d, sizeof(d), ".");
    real = realpath(d, NULL);
    snprintf(out, outsz, "%s", real ? real : d);
    free(real);
}

int store_open(const char *path, int upto, struct store **out, char *err, size_t errsz)
{
    struct store *s = calloc(1, sizeof(*s));
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

    if (!s)
        return -ENOMEM;
    s->host_mem_mib = pages > 0 && psz > 0 ? (long long)pages * psz / (1024 * 1024) : 8192;
    db_dir(path, s->dir, sizeof(s->dir));
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)) {
        snprintf(err, errsz, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    /* WAL: readers never block the writer and a killed writer leaves the
     * last committed state; synchronous=FULL: a change acknowledged to a
     * client survives power loss too. A small page cache keeps RSS low.
     * Exclusive locking: qvmd is the database's only user, and taking and
     * dropping a file lock around every statement was most of the cost of
     * a read (qvm-ls reads every property of every qube). */
    if (sqlite3_exec(s->db,
                     "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; PRAGMA "
                     "synchronous=FULL; PRAGMA foreign_keys=ON;"
                     "PRAGMA cache_size=-1024; PRAGMA busy_timeout=2000;",
                     NULL, NULL, NULL)) {
        snprintf(err, errsz, "%s: %s", path, sqlite3_errmsg(s->db));
        goto fail;
    }
    if (migrate(s, upto ? upto : STORE_SCHEMA_VERSION, err, errsz) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    store_close(s);
    return -1;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    prop_cache_drop(s);
    for (size_t i = 0; i < STMT_CACHE && s->cache[i].sql; i++)
        sqlite3_finalize(s->cache[i].st);
    sqlite3_close(s->db);
    free(s);
}

void store_set_host_mem(struct store *s, long long mib)
{
    s->host_mem_mib = mib;
}

void store_set_domid_source(struct store *s, store_domid_fn domid, void *ctx)
{
    s->domid = domid;
    s->domid_ctx = ctx;
}

static void row_vm(sqlite3_stmt *st, struct vm_info *out)
{
    out->qid = sqlite3_column_int(st, 0);
    snprintf(out->name, sizeof(out->name), "%s", (const char *)sqlite3_column_text(st, 1));
    out->cls = (enum vm_class)vm_class_parse((const char *)sqlite3_column_text(st, 2));
    snprintf(out->uuid, sizeof(out->uuid), "%s", (const char *)sqlite3_column_text(st, 3));
}

int store_vm_find(struct store *s, const char *name, struct vm_info *out)
{
    static const char sql[] = "SELECT qid, name, class, uuid FROM vms WHERE name=?";
    sqlite3_stmt *st;
    int r;

    /* resolving inherited properties looks the same template up again and
     * again */
    if (s->last_found.qid && !strcmp(s->last_found.name, name)) {
        *out = s->last_found;
        return 0;
    }
    st = stmt(s, sql);
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        row_vm(st, out);
        s->last_found = *out;
    }
    sqlite3_reset(st);
    return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? -ENOENT : -EIO;
}

int store_vm_list(struct store *s, int (*cb)(void *ctx, const struct vm_info *vm), void *ctx)
{
    /* a fresh statement: callbacks may use the cached ones */
    sqlite3_stmt *st;
    struct vm_info vm;
    int r = 0;

    if (sqlite3_prepare_v2(s->db, "SELECT qid, name, class, uuid FROM vms ORDER BY name", -1, &st,
                           NULL))
        return -EIO;
    while (!r && sqlite3_step(st) == SQLITE_ROW) {
        row_vm(st, &vm);
        r = cb(ctx, &vm);
    }
    sqlite3_finalize(st);
    return r;
}

int store_vm_count(struct store *s)
{
    static const char sql[] = "SELECT count(*) FROM vms";
    sqlite3_stmt *st = stmt(s, sql);
    int n = -1;

    if (st && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    if (st)
        sqlite3_reset(st);
    return n;
}

bool store_key_ok(const char *k)
{
    size_t n = strlen(k);

    if (n == 0 || n > 64)
        return false;
    return strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}
