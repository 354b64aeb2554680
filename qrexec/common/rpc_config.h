/* Per-service settings (the ecosystem's rpc-config): a small file named
 * SERVICE+ARG or SERVICE in a directory of QUBES_RPC_CONFIG_PATH (default
 * /run/qubes/rpc-config:/usr/local/etc/qubes/rpc-config:/etc/qubes/rpc-config),
 * with TOML-like lines:
 *
 *   # comment
 *   wait-for-session = true        run qubes.WaitForSession first
 *   force-user = 'name'            run as this user, whatever dom0 asked
 *   skip-service-descriptor = true a socket service gets the data only
 *   exit-on-service-eof = true     the call ends when the service's stdout does
 *   exit-on-client-eof = true      the call ends when the caller's stdin does
 *
 * Booleans are true/false (or 1/0); strings are quoted. An unknown key or a
 * bad value makes the file invalid, and the service is then not run. */
#ifndef BULKHEAD_QREXEC_RPC_CONFIG_H
#define BULKHEAD_QREXEC_RPC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define RPC_CONFIG_DEFAULT_PATH                                                                    \
    "/run/qubes/rpc-config:/usr/local/etc/qubes/rpc-config:/etc/qubes/rpc-config"

struct rpc_config {
    bool wait_for_session;
    bool skip_service_descriptor;
    bool exit_on_service_eof;
    bool exit_on_client_eof;
    char force_user[64]; /* "" if not forced */
};

/* Parses one file's bytes. Pure. 0, or -EINVAL with the line in err. */
int rpc_config_parse(const char *text, size_t len, struct rpc_config *out, char *err, size_t errsz);
/* Finds and parses the file for SERVICE+ARG, else SERVICE, in search_path
 * (NULL: the default). No file: all defaults, 0. -EINVAL for a bad file. */
int rpc_config_load(const char *search_path, const char *name, const char *arg,
                    struct rpc_config *out, char *err, size_t errsz);

#endif
