/* Internals shared by the store's files (store*.c only). */
#ifndef BULKHEAD_QVMD_STORE_INT_H
#define BULKHEAD_QVMD_STORE_INT_H

#include "dom0/qvmd/store.h"

#include <sqlite3.h>

struct store_disk_ops;

#define STMT_CACHE       64
#define PROP_CACHE_QUBES 4  /* a qube, its template, and then some */
#define PROP_CACHE_ROWS  48 /* more explicit properties than that: not cached */

/* The explicit properties of one qube, read in one query: a property
 * read otherwise costs a query each, and resolving a qube's properties
 * asks for its own and its template's many times over (qvm-ls reads all of
 * every qube). Dropped whenever a transaction begins or ends, so it never
 * outlives a change. */
struct prop_cache {
    int qid; /* 0: empty (dom0's properties are globals) */
    size_t n;
    struct {
        char name[32];
        char *value;
    } row[PROP_CACHE_ROWS];
};

struct store {
    sqlite3 *db;
    long long host_mem_mib;
    store_domid_fn domid; /* the xid property's source; NULL: none */
    void *domid_ctx;
    /* prepared statements, keyed by the address of their (static) SQL */
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } cache[STMT_CACHE];
    struct prop_cache props[PROP_CACHE_QUBES];
    unsigned props_next;               /* the entry to reuse next */
    struct vm_info last_found;         /* store_vm_find's last answer (qid 0: none);
                                          dropped with the property cache */
    const struct store_disk_ops *disk; /* store_storage.h; NULL: none */
    char dir[4096];                    /* the database's directory (absolute) */
    /* admin.vm.CreateInPool's choices for the next create (store_storage.h):
     * per volume in vol_rules order, then [VOL_COUNT] for every volume */
    char create_pool[VOL_COUNT + 1][64];
};

/* Empties the property cache (store_props.c). */
void prop_cache_drop(struct store *s);

/* A reset prepared statement for sql (a string literal or other static
 * string: the cache compares addresses), or NULL. */
sqlite3_stmt *stmt(struct store *s, const char *sql);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK; commit returns -1 with e on failure. */
int tx_begin(struct store *s, struct qerr *e);
int tx_commit(struct store *s, struct qerr *e);
void tx_rollback(struct store *s);
/* Checks that no qube's netvm chain loops or reaches a qube without
 * provides_network; -1 with e. */
int netvm_graph_ok(struct store *s, struct qerr *e);
/* The explicit value of a qube's property: 1 found, 0 not, -1 error. */
int prop_explicit(struct store *s, int qid, const char *name, char *val, size_t valsz);

#endif
