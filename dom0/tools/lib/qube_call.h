/* What dom0 commands that make a qrexec call into a qube share (qvm-run,
 * qvm-copy-to-vm): where the daemons listen, starting the qube first, its
 * qrexec_timeout, and one line of error for a failed call. The call itself
 * is the qrexec call library's (qrexec/client/call.h). */
#ifndef BULKHEAD_DOM0_QUBE_CALL_H
#define BULKHEAD_DOM0_QUBE_CALL_H

#include "dom0/tools/lib/admin_reply.h"
#include "qrexec/client/call.h"

#include <stdbool.h>

/* Where the qrexec daemons listen: $BULKHEAD_QREXEC_SOCKET_DIR (tests and
 * the local backend move it) or the default. */
const char *qube_call_socket_dir(void);

/* The qube's qrexec_timeout in ms: how long its agent may take to connect
 * the data link (60 s when it cannot be read). */
int qube_call_timeout_ms(const char *vm);

/* Makes sure the qube runs, starting it when halted and autostart is set
 * ("Starting NAME" on stderr when verbose > 0). 0 if it ran already, 1 if
 * this call started it, or -1 once the reason is printed. */
int qube_call_ensure_running(const struct qadmin_vm *vm, bool autostart, int verbose);

/* One line for a qrexec call that failed with r, by where it failed. */
void qube_call_report(const char *vm, const char *socket_dir, const struct qrexec_call_status *st,
                      int r);

#endif
