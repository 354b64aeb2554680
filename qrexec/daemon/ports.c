#include "qrexec/daemon/ports.h"

#include <errno.h>

enum port_parity port_parity_for(uint32_t own_domid, uint32_t peer_domid)
{
    if (own_domid == 0 || peer_domid == 0)
        return PORT_ANY;
    return own_domid < peer_domid ? PORT_ODD : PORT_EVEN;
}

int port_alloc(struct port_table *t, enum port_parity parity, uint32_t peer)
{
    for (uint32_t i = 0; i < QREXEC_MAX_CLIENTS; i++) {
        if (t->used[i])
            continue;
        if ((parity == PORT_ODD && i % 2 == 0) || (parity == PORT_EVEN && i % 2 == 1))
            continue;
        t->used[i] = true;
        t->peer[i] = peer;
        return (int)(QREXEC_VCHAN_BASE_DATA_PORT + i);
    }
    return -EBUSY;
}

int port_free(struct port_table *t, uint32_t port, uint32_t peer)
{
    uint32_t i = port - QREXEC_VCHAN_BASE_DATA_PORT;

    if (port < QREXEC_VCHAN_BASE_DATA_PORT || i >= QREXEC_MAX_CLIENTS || !t->used[i] ||
        t->peer[i] != peer)
        return -EINVAL;
    t->used[i] = false;
    return 0;
}
