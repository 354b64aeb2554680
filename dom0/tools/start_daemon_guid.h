/* The GUI daemons qvm-start-daemon runs, one per qube, found again through
 * a pid file per qube ($XDG_RUNTIME_DIR/bulkhead/guid.NAME.pid) so that a
 * second qvm-start-daemon (or one restarted) neither starts a second daemon
 * for a qube nor loses track of the running ones. */
#ifndef BULKHEAD_DOM0_START_DAEMON_GUID_H
#define BULKHEAD_DOM0_START_DAEMON_GUID_H

#include "dom0/tools/start_daemon_qube.h"

#include <stdbool.h>
#include <sys/types.h>

/* The pid files' folder: $XDG_RUNTIME_DIR/bulkhead (else
 * /run/user/UID/bulkhead), created 0700 when missing. NULL if it cannot
 * be made (errno). */
const char *guid_dir(void);

/* The pid of the qube's running GUI daemon, or 0 if none runs (a stale pid
 * file, one whose process is gone or is no longer that qube's daemon, is
 * removed). */
pid_t guid_running(const char *name);

/* Starts `prog -d XID -N NAME -c 0xRRGGBB -l INDEX` for q (in a session of
 * its own, stdin from /dev/null, our stderr) and records its pid. The pid,
 * or -1 with err set. */
pid_t guid_start(const char *prog, const struct sd_qube *q, char *err, size_t errsz);

/* Stops the qube's daemon: SIGTERM, then SIGKILL if it is still there
 * after a few seconds; reaps it if it is our child; removes the pid file.
 * The pid stopped, or 0 if none ran. */
pid_t guid_stop(const char *name);

/* Reaps our exited children (daemons that ended on their own: the qube's
 * agent went away) and removes their pid files. Calls done(name, pid,
 * status) for each whose qube is known. */
void guid_reap(void (*done)(const char *name, pid_t pid, int status));

/* Calls fn for each qube that has a pid file. */
void guid_each(void (*fn)(const char *name, void *ctx), void *ctx);

#endif
