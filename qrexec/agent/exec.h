/* Carrying out one EXEC_CMDLINE or JUST_EXEC from dom0, in a process of
 * its own: connect the data link, run the command or RPC service, pump its
 * data, send its exit code. (VM side.) */
#ifndef BULKHEAD_QREXEC_AGENT_EXEC_H
#define BULKHEAD_QREXEC_AGENT_EXEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

struct agent_config {
    const char *service_path;    /* $QREXEC_SERVICE_PATH or the default */
    const char *rpc_config_path; /* $QUBES_RPC_CONFIG_PATH or the default */
    const char *default_user; /* for "DEFAULT:" when running as root */
    int connect_timeout_ms;
};

/* Never returns: the process exits when the call is over. type is
 * QREXEC_MSG_EXEC_CMDLINE or QREXEC_MSG_JUST_EXEC; cmdline was checked by
 * qrexec_parse_exec_params(). */
noreturn void agent_run_exec(const struct agent_config *cfg, uint32_t type,
                             uint32_t connect_domain, uint32_t connect_port, const char *cmdline,
                             size_t cmdline_len);

#endif
