/* Finding the program or socket that implements an RPC service, and the
 * environment a service runs with: in VMs (qrexec-agent) and in dom0 (calls
 * whose target is dom0). */
#ifndef BULKHEAD_QREXEC_SERVICES_H
#define BULKHEAD_QREXEC_SERVICES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define QREXEC_DEFAULT_SERVICE_PATH "/run/qubes-rpc:/usr/local/etc/qubes-rpc:/etc/qubes-rpc"

enum service_kind {
    SERVICE_NOT_FOUND,
    SERVICE_EXECUTABLE,
    SERVICE_SOCKET,
    SERVICE_TCP, /* a symlink to /dev/tcp[/HOST[/PORT]]: path holds that target */
};

struct service_lookup {
    enum service_kind kind;
    char path[PATH_MAX];
    bool with_arg; /* found as SERVICE+ARG (the argument is part of the name) */
};

/* Looks SERVICE+ARG up in every directory of search_path (':'-separated),
 * then SERVICE; the first name that exists decides. name and arg are
 * already checked by qrexec_split_service(). A name longer than NAME_MAX
 * is not found; an over-long SERVICE+ARG skips that step. */
void service_lookup(const char *search_path, const char *name, const char *arg,
                    struct service_lookup *out);

/* Where a /dev/tcp service connects: HOST and PORT from its link target,
 * and what the link leaves out from the argument ("HOST+PORT", "PORT", or
 * nothing), with '+' standing for ':' inside an IPv6 host. 0 or -EINVAL. */
int service_tcp_endpoint(const char *link_target, const char *arg, char *host, size_t hostsz,
                         char *port, size_t portsz);

/* Builds the service's environment from envp: every QREXEC* variable is
 * dropped, then QREXEC_REMOTE_DOMAIN, QREXEC_SERVICE_FULL_NAME,
 * QREXEC_SERVICE_ARGUMENT and the "K=V" strings of extra (NULL-terminated,
 * or NULL) are set. Returns a NULL-terminated array in one allocation
 * (free() it), or NULL. */
char **service_env(char *const envp[], const char *source, const char *full_name, const char *arg,
                   const char *const extra[]);

#endif
