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
/* How a service in dom0 learns which target its caller asked for (dom0
 * may serve a call that asked for a qube, when policy redirects it, as the
 * Admin API's does): a qube name or "dom0" is type "name"; a keyword
 * (@adminvm, @default, @dispvm...) is type "keyword" without its '@'. */
struct qrexec_requested_target {
    char type[8];    /* "name" or "keyword" */
    char value[128]; /* the name, or the keyword without '@' */
    /* the environment a dom0 executable service gets, NULL-terminated */
    char env_type[64], env_value[160];
    const char *env[3];
};
void qrexec_describe_target(const char *asked, struct qrexec_requested_target *out);

/* Looks SERVICE[+ARG] up in search_path (NULL: the default) and serves it
 * for source: an executable gets the argument and the QREXEC_* environment
 * (plus extra_env, "K=V" strings, NULL-terminated, or NULL); a socket gets
 * its descriptor and a NUL first (unless cfg says to skip it):
 * "SERVICE+ARG SOURCE", and in dom0 (target not NULL) the dom0 form
 * "SERVICE+ARG SOURCE TYPE VALUE", so a socket service such as qvmd learns
 * the target the caller asked for. cfg (NULL: defaults) may also ask to run
 * qubes.WaitForSession first. A service that does not exist ends with 127. */
noreturn void qrexec_serve_rpc(struct vchan *v, uint32_t version, const char *search_path,
                               const char *service, const char *source,
                               const struct qrexec_requested_target *target,
                               const char *const extra_env[], const struct rpc_config *cfg);

#endif
