/* QubesDB client library: talks to a QubesDB daemon's local socket, either
 * dom0's qubesdb-daemon (DIR/qubesdb.NAME.sock) or, inside a qube,
 * qubesdb-vm-daemon (QDB_VM_SOCKET).
 *
 * Every call sends one command and waits for its whole reply. Every reply
 * is checked with the protocol's pure parsers (qdb_parse_resp,
 * qdb_reply_step): a daemon that answers out of turn leaves the handle
 * broken (every later call returns -EPIPE or -EBADMSG) rather than being
 * believed. Watch notifications that arrive while a command waits for its
 * reply are queued and handed out by qdb_read_watch().
 *
 * Errors are negative errno values: -ENOENT (no such key), -EACCES (the
 * daemon answered ERROR: not allowed, e.g. a qube writing outside its
 * subtrees, or the daemon is full), -EINVAL (a bad path or a value over
 * QDB_MAX_DATA), -EPIPE (the daemon went away), -EBADMSG (it sent
 * something malformed), -ENOMEM. Not thread-safe: one handle per thread. */
#ifndef BULKHEAD_QUBESDB_CLIENT_H
#define BULKHEAD_QUBESDB_CLIENT_H

#include <stddef.h>

#define QDB_VM_SOCKET "/run/qubes/qubesdb.sock"
/* The same for clients that may only read, list and watch. */
#define QDB_VM_RO_SOCKET "/run/qubes/qubesdb.ro.sock"

struct qdb_client;

/* Connects to the daemon's socket. NULL with errno set on failure. */
struct qdb_client *qdb_open(const char *socket_path);
/* Closes the connection (the daemon drops this client's watches). Accepts
 * NULL. */
void qdb_close(struct qdb_client *c);

/* The value of a key in a new NUL-terminated buffer (*len excludes the NUL;
 * values may contain NULs), to free(). */
int qdb_read(struct qdb_client *c, const char *path, char **val, size_t *len);
int qdb_write(struct qdb_client *c, const char *path, const void *val, size_t len);
/* Removes a key, or with a trailing '/' everything under it. */
int qdb_rm(struct qdb_client *c, const char *path);
/* The keys starting with prefix, sorted, in a new array of new strings
 * (free with qdb_free_list). *n may be 0 (then *paths is NULL). */
int qdb_list(struct qdb_client *c, const char *prefix, char ***paths, size_t *n);
void qdb_free_list(char **paths, size_t n);
/* Calls cb for every key starting with prefix, with its value
 * (NUL-terminated, len without the NUL). A non-zero return from cb stops
 * the calls (the rest of the reply is still read) and is returned. */
int qdb_multiread(struct qdb_client *c, const char *prefix,
                  int (*cb)(void *ctx, const char *path, const char *val, size_t len), void *ctx);

/* Asks for a notification on every change of path (or, if it ends with
 * '/', of anything under it). */
int qdb_watch(struct qdb_client *c, const char *path);
int qdb_unwatch(struct qdb_client *c, const char *path);
/* The descriptor to poll for notifications. Some may already be queued
 * (received while a command waited): check qdb_watch_pending() first. */
int qdb_watch_fd(struct qdb_client *c);
/* Notifications received and not yet read. */
size_t qdb_watch_pending(const struct qdb_client *c);
/* The next notification: the key that changed, into path (pathsz bytes;
 * -ENAMETOOLONG if it does not fit, QDB_MAX_PATH always does). Blocks
 * until one arrives when none is queued. */
int qdb_read_watch(struct qdb_client *c, char *path, size_t pathsz);

#endif
