/* Serving one call on an established data link; see service_run.h.
 * (Both sides: the agent in VMs, and dom0 for calls to dom0.) */
#include "qrexec/common/service_run.h"

#include "lib/io.h"
#include "lib/log.h"
#include "qrexec/common/msgio.h"
#include "qrexec/common/pump.h"
#include "qrexec/common/services.h"
#include "qrexec/common/spawn.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <stdbool.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define FIELD_MAX 256

noreturn void qrexec_serve_exit(struct vchan *v, int code)
{
    uint8_t c[4] = {(uint8_t)code, (uint8_t)(code >> 8), (uint8_t)(code >> 16),
                    (uint8_t)(code >> 24)};

    qrexec_vchan_send(v, QREXEC_MSG_DATA_EXIT_CODE, c, sizeof(c));
    vchan_close(v);
    _exit(code == 0 ? 0 : 1);
}

noreturn void qrexec_serve_child(struct vchan *v, uint32_t version, struct qrexec_child *c,
                                 const struct rpc_config *cfg)
{
    struct qrexec_pump p = {.v = v,
                            .version = version,
                            .service = true,
                            .in_fd = c->stdout_fd,
                            .in2_fd = c->stderr_fd,
                            .out_fd = c->stdin_fd,
                            .err_fd = -1,
                            .pid = c->pid,
                            .exit_on_service_eof = cfg && cfg->exit_on_service_eof,
                            .exit_on_client_eof = cfg && cfg->exit_on_client_eof};
    int r = qrexec_pump_run(&p, NULL);

    if (r < 0)
        log_warnx("call ended early: %s", strerror(-r));
    vchan_close(v);
    _exit(r < 0 ? 1 : 0);
}

static noreturn void serve_socket(struct vchan *v, uint32_t version, const char *path,
                                  const char *descriptor, const struct rpc_config *cfg)
{
    struct qrexec_child c = {.pid = 0, .stderr_fd = -1};
    int fd = io_unix_connect(path);
    bool skip = cfg && cfg->skip_service_descriptor;

    if (fd < 0 || (!skip && io_write_full(fd, descriptor, strlen(descriptor) + 1) < 0)) {
        log_warnx("socket service %s: %s", path, strerror(fd < 0 ? -fd : EPIPE));
        qrexec_serve_exit(v, QREXEC_EXIT_PROBLEM);
    }
    c.stdout_fd = fd;
    c.stdin_fd = dup(fd);
    qrexec_serve_child(v, version, &c, cfg);
}

/* A /dev/tcp service: the caller's stream, as is, to a TCP port. */
static noreturn void serve_tcp(struct vchan *v, uint32_t version, const char *link_target,
                               const char *arg, const struct rpc_config *cfg)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL, *a;
    struct qrexec_child c = {.pid = 0, .stderr_fd = -1};
    char host[128], port[8];
    int fd = -1;

    if (service_tcp_endpoint(link_target, arg, host, sizeof(host), port, sizeof(port)) < 0) {
        log_warnx("%s: no valid host and port (argument %s)", link_target, arg);
        qrexec_serve_exit(v, QREXEC_EXIT_PROBLEM);
    }
    if (getaddrinfo(host, port, &hints, &ai) == 0) {
        for (a = ai; a && fd < 0; a = a->ai_next) {
            fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
            if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
                close(fd);
                fd = -1;
            }
        }
        freeaddrinfo(ai);
    }
    if (fd < 0) {
        log_warnx("cannot connect to %s port %s", host, port);
        qrexec_serve_exit(v, QREXEC_EXIT_PROBLEM);
    }
    c.stdout_fd = fd;
    c.stdin_fd = dup(fd);
    qrexec_serve_child(v, version, &c, cfg);
}

/* rpc-config's wait-for-session: qubes.WaitForSession returns once the
 * user's session is up (a VM without one has no such service). */
static void wait_for_session(const char *search_path)
{
    struct service_lookup found;
    struct qrexec_child c;

    service_lookup(search_path, "qubes.WaitForSession", "", &found);
    if (found.kind != SERVICE_EXECUTABLE)
        return;
    char *argv[] = {found.path, NULL};
    if (qrexec_spawn(argv, NULL, 1, &c) < 0)
        return;
    close(c.stdin_fd);
    close(c.stdout_fd);
    waitpid(c.pid, NULL, 0);
}

void qrexec_describe_target(const char *asked, struct qrexec_requested_target *out)
{
    bool keyword = asked[0] == '@';

    snprintf(out->type, sizeof(out->type), "%s", keyword ? "keyword" : "name");
    snprintf(out->value, sizeof(out->value), "%s", keyword ? asked + 1 : asked);
    snprintf(out->env_type, sizeof(out->env_type), "QREXEC_REQUESTED_TARGET_TYPE=%s", out->type);
    snprintf(out->env_value, sizeof(out->env_value), "QREXEC_REQUESTED_TARGET%s=%s",
             keyword ? "_KEYWORD" : "", out->value);
    out->env[0] = out->env_type;
    out->env[1] = out->env_value;
    out->env[2] = NULL;
}

noreturn void qrexec_serve_rpc(struct vchan *v, uint32_t version, const char *search_path,
                               const char *service, const char *source,
                               const struct qrexec_requested_target *target,
                               const char *const extra_env[], const struct rpc_config *cfg)
{
    struct qrexec_service_name sn;
    struct service_lookup found;
    struct qrexec_child c;
    char name[FIELD_MAX], arg[FIELD_MAX], descriptor[3 * FIELD_MAX + 16];
    char **env;
    int r;

    if (qrexec_split_service(service, &sn) < 0) {
        log_warnx("bad service name %s", LOG_UNTRUSTED(service, strlen(service)));
        qrexec_serve_exit(v, QREXEC_EXIT_PROBLEM);
    }
    qrexec_copy_field(name, sizeof(name), sn.name, sn.name_len);
    qrexec_copy_field(arg, sizeof(arg), sn.arg, sn.arg_len);
    service_lookup(search_path, name, arg, &found);
    if (found.kind == SERVICE_NOT_FOUND) {
        log_warnx("service %s not found", service);
        qrexec_serve_exit(v, QREXEC_EXIT_NOT_FOUND);
    }
    if (cfg && cfg->wait_for_session)
        wait_for_session(search_path);
    if (target)
        snprintf(descriptor, sizeof(descriptor), "%s %s %s %s", service, source, target->type,
                 target->value);
    else
        snprintf(descriptor, sizeof(descriptor), "%s %s", service, source);
    if (found.kind == SERVICE_SOCKET)
        serve_socket(v, version, found.path, descriptor, cfg);
    if (found.kind == SERVICE_TCP)
        serve_tcp(v, version, found.path, arg, cfg);

    char *argv[] = {found.path, *arg ? arg : NULL, NULL};
    env = service_env(environ, source, service, arg, extra_env);
    if (!env)
        qrexec_serve_exit(v, QREXEC_EXIT_PROBLEM);
    r = qrexec_spawn(argv, env, 0, &c);
    free(env);
    if (r < 0) {
        log_warnx("cannot run %s: %s", found.path, strerror(-r));
        qrexec_serve_exit(v, qrexec_spawn_exit_code(r));
    }
    qrexec_serve_child(v, version, &c, cfg);
}
