/* qrexec-daemon's shared state (dom0, one process per running VM). */
#ifndef BULKHEAD_QREXEC_DAEMON_H
#define BULKHEAD_QREXEC_DAEMON_H

#include "lib/vchan.h"
#include "qrexec/daemon/ports.h"
#include "qrexec/proto/qrexec_proto.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

struct daemon {
    uint32_t domid;
    const char *name;
    const char *uuid;         /* or NULL */
    const char *default_user; /* what "DEFAULT:" becomes, or NULL to pass it on */
    const char *socket_dir;
    struct vchan *agent;
    uint32_t agent_version;
    int listen_fd;
    struct port_table ports;
};

/* The agent sent something: read and act on one message. 0, or a negative
 * errno after which this VM's connection must end (the VM broke the
 * protocol or went away). */
int daemon_handle_agent(struct daemon *d);

/* Serves one dom0 client on the daemon's socket from start to end: dom0
 * clients are trusted and quick, and their reads are bounded by a timeout,
 * so no client can stall the daemon for long. A negative errno means the
 * agent link broke. */
int daemon_serve_client(struct daemon *d);

#define DAEMON_CLIENT_TIMEOUT_S 5

#endif
