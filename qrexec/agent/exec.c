/* One call from dom0, carried out in its own process; see exec.h.
 * (VM side: the command line comes from dom0, which is trusted, but it is
 * still checked before anything runs.) */
#include "qrexec/agent/exec.h"

#include "lib/log.h"
#include "qrexec/agent/services.h"
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
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

#define FIELD_MAX 256

static void copy_field(char *dst, const char *src, size_t len)
{
    if (len >= FIELD_MAX)
        len = FIELD_MAX - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

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

static noreturn void finish(struct vchan *v, int code)
{
    uint8_t c[4] = {(uint8_t)code, (uint8_t)(code >> 8), (uint8_t)(code >> 16),
                    (uint8_t)(code >> 24)};

    qrexec_vchan_send(v, QREXEC_MSG_DATA_EXIT_CODE, c, sizeof(c));
    vchan_close(v);
    _exit(code == 0 ? 0 : 1);
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
    finish(v, pid < 0 ? QREXEC_EXIT_PROBLEM : 0);
}

static noreturn void pump_child(struct vchan *v, uint32_t version, struct qrexec_child *c)
{
    struct qrexec_pump p = {.v = v, .version = version, .service = true,
                            .in_fd = c->stdout_fd, .in2_fd = c->stderr_fd,
                            .out_fd = c->stdin_fd, .err_fd = -1, .pid = c->pid};
    int r = qrexec_pump_run(&p, NULL);

    if (r < 0)
        log_warnx("call ended early: %s", strerror(-r));
    vchan_close(v);
    _exit(r < 0 ? 1 : 0);
}

/* A socket service reads "SERVICE+ARG SOURCE\0", then the caller's data. */
static noreturn void run_socket_service(struct vchan *v, uint32_t version, const char *path,
                                        const char *descriptor)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct qrexec_child c = {.pid = 0, .stderr_fd = -1};

    if (strlen(path) >= sizeof(sa.sun_path)) {
        log_warnx("socket service path too long: %s", path);
        finish(v, QREXEC_EXIT_PROBLEM);
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        send(fd, descriptor, strlen(descriptor) + 1, MSG_NOSIGNAL) < 0) {
        log_warn("socket service %s", path);
        finish(v, QREXEC_EXIT_PROBLEM);
    }
    c.stdout_fd = fd;
    c.stdin_fd = dup(fd);
    pump_child(v, version, &c);
}

static noreturn void run_rpc(struct vchan *v, uint32_t version, const struct agent_config *cfg,
                             const char *service, const char *source)
{
    struct qrexec_service_name sn;
    struct service_lookup found;
    struct qrexec_child c;
    char name[FIELD_MAX], arg[FIELD_MAX], descriptor[2 * FIELD_MAX + 2];

    if (qrexec_split_service(service, &sn) < 0) {
        log_warnx("bad service name %s", LOG_UNTRUSTED(service, strlen(service)));
        finish(v, QREXEC_EXIT_PROBLEM);
    }
    copy_field(name, sn.name, sn.name_len);
    copy_field(arg, sn.arg, sn.arg_len);
    service_lookup(cfg->service_path, name, arg, &found);
    if (found.kind == SERVICE_NOT_FOUND) {
        log_warnx("service %s not found", service);
        finish(v, QREXEC_EXIT_NOT_FOUND);
    }
    snprintf(descriptor, sizeof(descriptor), "%s %s", service, source);
    if (found.kind == SERVICE_SOCKET)
        run_socket_service(v, version, found.path, descriptor);

    char *argv[] = {found.path, *arg ? arg : NULL, NULL};
    char **env = service_env(environ, source, service, arg);
    if (!env || qrexec_spawn(argv, env, 0, &c) < 0)
        finish(v, QREXEC_EXIT_PROBLEM);
    free(env);
    pump_child(v, version, &c);
}

noreturn void agent_run_exec(const struct agent_config *cfg, uint32_t type,
                             uint32_t connect_domain, uint32_t connect_port, const char *cmdline,
                             size_t cmdline_len)
{
    struct qrexec_cmdline c;
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
    copy_field(user, c.user, c.user_len);
    if (become_user(user, cfg) < 0)
        finish(v, QREXEC_EXIT_PROBLEM);
    if (type == QREXEC_MSG_JUST_EXEC)
        run_detached(v, c.command);
    if (c.rpc) {
        copy_field(service, c.service, c.service_len);
        copy_field(source, c.source, c.source_len);
        run_rpc(v, version, cfg, service, source);
    }

    char *argv[] = {"/bin/sh", "-c", (char *)c.command, NULL};
    struct qrexec_child child;
    if (qrexec_spawn(argv, NULL, 0, &child) < 0)
        finish(v, QREXEC_EXIT_PROBLEM);
    pump_child(v, version, &child);
}
