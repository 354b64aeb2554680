/* The per-qube daemons qvmd starts (qubesdb-daemon, qrexec-daemon): start
 * detached, wait until ready, stop. They get their own session so that a
 * restart of qvmd leaves them running with their qube. (dom0, trusted.) */
#ifndef BULKHEAD_QVMD_DAEMONS_H
#define BULKHEAD_QVMD_DAEMONS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Starts argv with qvmd's environment plus extra ("NAME=VALUE", NULL
 * terminated), stdin from /dev/null. The pid, or -1 with err. */
pid_t daemon_spawn(const char *const *argv, const char *const *extra, char *err, size_t errsz);
/* Waits until a Unix socket at path exists and, with probe, accepts a
 * connection (a daemon that binds before it listens; qrexec-daemon
 * listens before its socket gets its name, and logs a probe). Fails (-1
 * with err) when pid ends first, after timeout_ms, or once *abort is set. */
int daemon_wait_socket(pid_t pid, const char *what, const char *path, bool probe, int timeout_ms,
                       const volatile int *abort, char *err, size_t errsz);
/* SIGTERM, then SIGKILL after two seconds; returns once it is gone. Works
 * for qvmd's children and for daemons a previous qvmd started. */
void daemon_stop(pid_t pid);
/* Whether pid is still prog (its argv[0] ends with prog's base name);
 * reaps it if it is a child that ended. */
bool daemon_alive(pid_t pid, const char *prog);

#endif
