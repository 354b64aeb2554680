/* One call from dom0, carried out in its own process; see exec.h.
 * (VM side: the command line comes from dom0, which is trusted, but it is
 * still checked before anything runs.) */
#include "qrexec/agent/exec.h"

#include "lib/log.h"
#include "qrexec/common/msgio.h"
#include "qrexec/common/service_run.h"
#include "qrexec/common/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int agent_call_prepare(const struct agent_config *cfg, uint32_t type, uint32_t connect_domain,
                       uint32_t connect_port, const char *cmdline, size_t cmdline_len,
                       struct agent_call *call)
{
    memset(call, 0, sizeof(*call));
    call->type = type;
    call->connect_domain = connect_domain;
    call->connect_port = connect_port;
    call->cmdline = cmdline;
    call->cmdline_len = cmdline_len;
    if (qrexec_parse_vm_cmdline(cmdline, cmdline_len, &call->c) < 0) {
        log_warnx("refusing a malformed command line from dom0");
        return -EINVAL;
    }
    qrexec_copy_field(call->user, sizeof(call->user), call->c.user, call->c.user_len);
    if (!strcmp(call->user, "DEFAULT"))
        snprintf(call->user, sizeof(call->user), "%s", cfg->default_user);
    /* JUST_EXEC starts the command line as a command, whatever it says */
    if (!call->c.rpc || type == QREXEC_MSG_JUST_EXEC)
        return 0;

    /* a service's rpc-config may force the user: read it before anyone
     * decides who runs the call */
    struct qrexec_service_name sn;
    char name[AGENT_FIELD_MAX], arg[AGENT_FIELD_MAX], err[160];

    qrexec_copy_field(call->service, sizeof(call->service), call->c.service, call->c.service_len);
    qrexec_copy_field(call->source, sizeof(call->source), call->c.source, call->c.source_len);
    if (qrexec_split_service(call->service, &sn) < 0) {
        log_warnx("bad service name %s", call->service);
        return -ENOEXEC;
    }
    qrexec_copy_field(name, sizeof(name), sn.name, sn.name_len);
    qrexec_copy_field(arg, sizeof(arg), sn.arg, sn.arg_len);
    if (rpc_config_load(cfg->rpc_config_path, name, arg, &call->rpc, err, sizeof(err)) < 0) {
        log_warnx("not running %s: rpc-config %s", call->service, err);
        return -ENOEXEC;
    }
    if (call->rpc.force_user[0])
        snprintf(call->user, sizeof(call->user), "%s", call->rpc.force_user);
    return 0;
}

struct vchan *agent_call_connect(const struct agent_config *cfg, const struct agent_call *call,
                                 uint32_t *version)
{
    struct vchan *v = vchan_client_init((int)call->connect_domain, (int)call->connect_port,
                                        cfg->connect_timeout_ms);
    int r;

    if (!v) {
        log_warn("data link to domain %u port %u", call->connect_domain, call->connect_port);
        return NULL;
    }
    r = qrexec_vchan_handshake(v, false, QREXEC_PROTOCOL_VERSION, QREXEC_PROTOCOL_V2,
                               QREXEC_LINK_DATA, version);
    if (r < 0) {
        log_warnx("data link handshake: %s", strerror(-r));
        vchan_close(v);
        return NULL;
    }
    return v;
}

noreturn void agent_call_refuse(const struct agent_config *cfg, const struct agent_call *call,
                                int code)
{
    uint32_t version;
    struct vchan *v = agent_call_connect(cfg, call, &version);

    if (!v)
        _exit(QREXEC_EXIT_PROBLEM);
    qrexec_serve_exit(v, code);
}

static noreturn void run_detached(struct vchan *v, const char *command)
{
    pid_t pid = fork();

    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        setsid();
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    qrexec_serve_exit(v, pid < 0 ? QREXEC_EXIT_PROBLEM : 0);
}

noreturn void agent_call_serve(const struct agent_config *cfg, const struct agent_call *call,
                               struct vchan *v, uint32_t version)
{
    if (call->type == QREXEC_MSG_JUST_EXEC)
        run_detached(v, call->c.command);
    if (call->c.rpc)
        qrexec_serve_rpc(v, version, cfg->service_path, call->service, call->source, NULL, NULL,
                         &call->rpc);

    char *argv[] = {"/bin/sh", "-c", (char *)call->c.command, NULL};
    struct qrexec_child child;
    if (qrexec_spawn(argv, NULL, 0, &child) < 0)
        qrexec_serve_exit(v, QREXEC_EXIT_PROBLEM);
    qrexec_serve_child(v, version, &child, NULL);
}

noreturn void agent_call_run(const struct agent_config *cfg, const struct agent_call *call)
{
    uint32_t version;
    struct vchan *v = agent_call_connect(cfg, call, &version);

    if (!v)
        _exit(QREXEC_EXIT_PROBLEM);
    agent_call_serve(cfg, call, v, version);
}
