/* Internals shared by the store's files (store*.c only). */
#ifndef BULKHEAD_QVMD_STORE_INT_H
#define BULKHEAD_QVMD_STORE_INT_H

#include "dom0/qvmd/store.h"

#include <sqlite3.h>

#define STMT_CACHE 64

struct store {
    sqlite3 *db;
    long long host_mem_mib;
    /* prepared statements, keyed by the address of their (static) SQL */
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } cache[STMT_CACHE];
};

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
