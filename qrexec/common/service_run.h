/* Serving one call on an established data link (the service side): the
 * agent's calls from dom0, and dom0's own services when a VM calls dom0.
 * Each function ends the process when the call is over. */
#ifndef BULKHEAD_QREXEC_SERVICE_RUN_H
#define BULKHEAD_QREXEC_SERVICE_RUN_H

#include "lib/vchan.h"
#include "qrexec/common/rpc_config.h"
#include "qrexec/common/spawn.h"

#include <stdint.h>
#include <stdnoreturn.h>

/* Sends the exit code and ends the process. */
noreturn void qrexec_serve_exit(struct vchan *v, int code);
/* Pumps a started process's stdio over the link, then its exit code, as
 * cfg (NULL: defaults) says. */
noreturn void qrexec_serve_child(struct vchan *v, uint32_t version, struct qrexec_child *c,
                                 const struct rpc_config *cfg);
/* Looks SERVICE[+ARG] up in search_path (NULL: the default) and serves it
 * for source: an executable gets the argument and the QREXEC_* environment
 * (plus extra_env, "K=V" strings, NULL-terminated, or NULL); a socket gets
 * "SERVICE+ARG SOURCE" and a NUL first (unless cfg says to skip it). cfg
 * (NULL: defaults) may also ask to run qubes.WaitForSession first. A service
 * that does not exist ends with 127. */
noreturn void qrexec_serve_rpc(struct vchan *v, uint32_t version, const char *search_path,
                               const char *service, const char *source,
                               const char *const extra_env[], const struct rpc_config *cfg);

#endif
