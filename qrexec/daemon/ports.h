/* Data-port allocation in qrexec-daemon (dom0). Ports are
 * QREXEC_VCHAN_BASE_DATA_PORT + index, index < QREXEC_MAX_CLIENTS. For a
 * call between two VMs, the daemon of the lower domid takes odd indexes and
 * the other one even indexes, so the two daemons never hand out the same
 * port for the same pair; a call with dom0 may take any index. */
#ifndef BULKHEAD_QREXEC_DAEMON_PORTS_H
#define BULKHEAD_QREXEC_DAEMON_PORTS_H

#include "qrexec/proto/qrexec_proto.h"

#include <stdbool.h>
#include <stdint.h>

struct port_table {
    uint32_t peer[QREXEC_MAX_CLIENTS]; /* the other end's domain, per index */
    bool used[QREXEC_MAX_CLIENTS];
};

enum port_parity { PORT_ANY, PORT_ODD, PORT_EVEN };

/* The parity a daemon for own_domid uses toward peer_domid. */
enum port_parity port_parity_for(uint32_t own_domid, uint32_t peer_domid);
/* A free port for a call with peer, or -EBUSY. */
int port_alloc(struct port_table *t, enum port_parity parity, uint32_t peer);
/* Frees a port the agent reported done; -EINVAL unless it is in use with
 * that peer (a VM cannot free ports of calls that are not its own). */
int port_free(struct port_table *t, uint32_t port, uint32_t peer);

#endif
