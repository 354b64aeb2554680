/* One call from dom0, carried out in its own process; see exec.h.
 * (VM side: the command line comes from dom0, which is trusted, but it is
 * still checked before anything runs.) */
#include "qrexec/agent/exec.h"

#include "lib/log.h"
#include "qrexec/common/service_run.h"
#include "qrexec/common/msgio.h"
#include "qrexec/common/pump.h"
#include "qrexec/common/spawn.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIELD_MAX 256

/* As root, the call runs as the user dom0 named (the pump too: nothing
 * of it keeps root). Not as root, everything runs as ourselves. */
static int become_user(const char *user, const struct agent_config *cfg)
{
    struct passwd *pw;

    if (geteuid() != 0)
        return 0;
    if (!strcmp(user, "DEFAULT"))
        user = cfg->default_user;
    if (!strcmp(user, "root"))
        return 0; /* already; and no user database is needed for it */
    pw = getpwnam(user);
    if (!pw) {
        log_warnx("no user %s", user);
        return -ENOENT;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
        setuid(pw->pw_uid) < 0) {
        log_warn("cannot become %s", pw->pw_name);
        return -EPERM;
    }
    setenv("HOME", pw->pw_dir, 1);
    setenv("USER", pw->pw_name, 1);
    setenv("LOGNAME", pw->pw_name, 1);
    setenv("SHELL", pw->pw_shell, 1);
    if (chdir(pw->pw_dir) < 0 && chdir("/") < 0)
        return -errno;
    return 0;
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

noreturn void agent_run_exec(const struct agent_config *cfg, uint32_t type,
                             uint32_t connect_domain, uint32_t connect_port, const char *cmdline,
                             size_t cmdline_len)
{
    struct qrexec_cmdline c;
    struct rpc_config rpc = {0};
    char user[FIELD_MAX], service[FIELD_MAX], source[FIELD_MAX];
    struct vchan *v;
    uint32_t version;
    int r;

    if (qrexec_parse_vm_cmdline(cmdline, cmdline_len, &c) < 0) {
        log_warnx("refusing a malformed command line from dom0");
        _exit(QREXEC_EXIT_PROBLEM);
    }
    v = vchan_client_init((int)connect_domain, (int)connect_port, cfg->connect_timeout_ms);
    if (!v) {
        log_warn("data link to domain %u port %u", connect_domain, connect_port);
        _exit(QREXEC_EXIT_PROBLEM);
    }
    r = qrexec_vchan_handshake(v, false, QREXEC_PROTOCOL_VERSION, QREXEC_PROTOCOL_V2,
                               QREXEC_LINK_DATA, &version);
    if (r < 0) {
        log_warnx("data link handshake: %s", strerror(-r));
        _exit(QREXEC_EXIT_PROBLEM);
    }
    qrexec_copy_field(user, sizeof(user), c.user, c.user_len);
    /* a service's rpc-config may force the user: read it before switching */
    if (c.rpc && type != QREXEC_MSG_JUST_EXEC) {
        struct qrexec_service_name sn;
        char name[FIELD_MAX], arg[FIELD_MAX], err[160];

        qrexec_copy_field(service, sizeof(service), c.service, c.service_len);
        qrexec_copy_field(source, sizeof(source), c.source, c.source_len);
        if (qrexec_split_service(service, &sn) < 0)
            qrexec_serve_exit(v, QREXEC_EXIT_PROBLEM);
        qrexec_copy_field(name, sizeof(name), sn.name, sn.name_len);
        qrexec_copy_field(arg, sizeof(arg), sn.arg, sn.arg_len);
        if (rpc_config_load(cfg->rpc_config_path, name, arg, &rpc, err, sizeof(err)) < 0) {
            log_warnx("not running %s: rpc-config %s", service, err);
            qrexec_serve_exit(v, QREXEC_EXIT_PROBLEM);
        }
        if (rpc.force_user[0])
            snprintf(user, sizeof(user), "%s", rpc.force_user);
    }
    if (become_user(user, cfg) < 0)
        qrexec_serve_exit(v, QREXEC_EXIT_PROBLEM);
    if (type == QREXEC_MSG_JUST_EXEC)
        run_detached(v, c.command);
    if (c.rpc)
        qrexec_serve_rpc(v, version, cfg->service_path, service, source, NULL, &rpc);

    char *argv[] = {"/bin/sh", "-c", (char *)c.command, NULL};
    struct qrexec_child child;
    if (qrexec_spawn(argv, NULL, 0, &child) < 0)
        qrexec_serve_exit(v, QREXEC_EXIT_PROBLEM);
    qrexec_serve_child(v, version, &child, NULL);
}
