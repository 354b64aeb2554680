/* libFuzzer target: the bulkheadshm socket messages (the module's check of
 * a request, the agent's check of a reply) on arbitrary bytes; what is
 * accepted must hold the invariants the two ends rely on. */
#include "lib/shm.h"
#include "vm-agent/xorg/xorg_shm_proto.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xorg_shm_request rq;
    struct xorg_shm_reply rp;
    char name[108];

    if (xorg_shm_parse_request(data, size, &rq) == 0) {
        assert(rq.window && rq.domid <= 0xffff && (rq.kind == SHM_MEMFD || rq.kind == SHM_GRANT));
        assert(rq.op >= XORG_SHM_WINDOW && rq.op <= XORG_SHM_RELEASE && !rq.pad);
        assert(rq.op == XORG_SHM_WINDOW ? !(rq.flags & ~XORG_SHM_AUTO) : !rq.flags);
        assert(rq.op == XORG_SHM_WINDOW ? rq.slots >= 1 && rq.slots <= XORG_SHM_SLOTS
                                        : rq.slots < XORG_SHM_SLOTS && rq.serial);
    }
    for (unsigned nfds = 0; nfds <= XORG_SHM_SLOTS + 1; nfds++) {
        if (xorg_shm_parse_reply(data, size, nfds, &rp) != 0 || rp.status != 0)
            continue;
        if (rp.op == XORG_SHM_LOCK || rp.op == XORG_SHM_FRAME) {
            assert(nfds == 0 && rp.slot < XORG_SHM_SLOTS && rp.window && rp.serial);
            continue;
        }
        assert(rp.op == XORG_SHM_WINDOW && rp.slots >= 1 && rp.slots <= XORG_SHM_SLOTS);
        assert((uint64_t)rp.stride * rp.height <= rp.bytes);
        assert(rp.bytes % SHM_PAGE_SIZE == 0);
        assert(rp.kind == SHM_MEMFD ? rp.nrefs == 1 && nfds == rp.slots
                                    : rp.nrefs == rp.bytes / SHM_PAGE_SIZE && nfds == rp.slots + 1);
    }
    if (size < 64) {
        char disp[65];
        memcpy(disp, data, size);
        disp[size] = 0;
        size_t n = xorg_shm_socket_name(disp, name, sizeof(name));
        assert(n < sizeof(name) && (n == 0 || name[0] == 0));
    }
    return 0;
}
