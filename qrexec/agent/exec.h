/* Carrying out one EXEC_CMDLINE or JUST_EXEC from dom0: check the command
 * line and read the service's rpc-config (agent_call_prepare), connect the
 * data link, run the command or RPC service, pump its data and send its
 * exit code. (VM side.)
 *
 * Two programs share this: qrexec-agent's per-call process (session.h
 * decides as which user, and how, it runs) and qrexec-fork-server's, which
 * already runs as its user inside that user's session. Everything from
 * agent_call_connect() on runs as the user the call is for. */
#ifndef BULKHEAD_QREXEC_AGENT_EXEC_H
#define BULKHEAD_QREXEC_AGENT_EXEC_H

#include "lib/vchan.h"
#include "qrexec/common/rpc_config.h"
#include "qrexec/proto/qrexec_names.h"

#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

struct agent_config {
    const char *service_path;       /* $QREXEC_SERVICE_PATH or the default */
    const char *rpc_config_path;    /* $QUBES_RPC_CONFIG_PATH or the default */
    const char *default_user;       /* for "DEFAULT:" when running as root */
    const char *fork_server_socket; /* path pattern ("%s": user), NULL: none */
    int connect_timeout_ms;
};

#define AGENT_FIELD_MAX 256

/* One call, checked. Points into the command line it was prepared from. */
struct agent_call {
    uint32_t type; /* QREXEC_MSG_EXEC_CMDLINE or QREXEC_MSG_JUST_EXEC */
    uint32_t connect_domain, connect_port;
    const char *cmdline; /* as dom0 sent it, "USER:..." */
    size_t cmdline_len;
    struct qrexec_cmdline c;
    char user[AGENT_FIELD_MAX];    /* who it is for: DEFAULT and force-user applied */
    char service[AGENT_FIELD_MAX]; /* RPC: SERVICE+ARG */
    char source[AGENT_FIELD_MAX];  /* RPC: the calling qube */
    struct rpc_config rpc;
};

/* Checks the command line and reads the service's rpc-config (which may
 * force the user). 0; -EINVAL for a malformed command line (nothing is
 * run and no data link is made for it); -ENOEXEC when the call must be
 * answered with exit code 125 (bad service name, invalid rpc-config). */
int agent_call_prepare(const struct agent_config *cfg, uint32_t type, uint32_t connect_domain,
                       uint32_t connect_port, const char *cmdline, size_t cmdline_len,
                       struct agent_call *call);

/* Connects the call's data link and does the handshake; NULL (logged) on
 * failure. */
struct vchan *agent_call_connect(const struct agent_config *cfg, const struct agent_call *call,
                                 uint32_t *version);
/* Answers a call that will not run: connects its data link, sends code as
 * the exit code, ends the process. */
noreturn void agent_call_refuse(const struct agent_config *cfg, const struct agent_call *call,
                                int code);
/* Runs the call on its connected data link as the current user, with the
 * current environment and directory; ends the process when it is over. */
noreturn void agent_call_serve(const struct agent_config *cfg, const struct agent_call *call,
                               struct vchan *v, uint32_t version);
/* agent_call_connect() then agent_call_serve(): the whole call as we are. */
noreturn void agent_call_run(const struct agent_config *cfg, const struct agent_call *call);

#endif
