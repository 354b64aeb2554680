/* What call.c shares with connect.c inside the call library. */
#ifndef BULKHEAD_QREXEC_CALL_PRIVATE_H
#define BULKHEAD_QREXEC_CALL_PRIVATE_H

#include "lib/vchan.h"
#include "qrexec/client/call.h"
#include "qrexec/proto/qrexec_proto.h"

/* A connected socket to DIR/qrexec.NAME (dir NULL: the default), or a
 * negative errno. */
int call_connect_daemon(const char *dir, const char *name);

/* Asks domain's daemon to run cmdline (a message of type, EXEC_CMDLINE or
 * JUST_EXEC) with its data link toward connect_domain (0: us); *out gets
 * the data link's domain and port. Returns the daemon connection, still
 * open, or a negative errno (st->step says where). */
int call_daemon_request(const char *dir, const char *domain, uint32_t type, uint32_t connect_domain,
                        const char *cmdline, struct qrexec_exec_params *out,
                        struct qrexec_call_status *st);

/* Runs a data link we serve, from waiting for the peer to the exit code;
 * takes v and io's descriptors. no_data: JUST_EXEC, only the exit code.
 * 0 (st->exit_code) or a negative errno (st->step). */
int call_run_link(struct vchan *v, int timeout_ms, bool no_data, struct qrexec_call_io *io,
                  struct qrexec_call_status *st);

#endif
