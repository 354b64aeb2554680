/* bulkheadshm, the qube's Xorg module (docs/xorg-module.md): what its two
 * files share. pixmaps.c puts the pixels of Composite's window pixmaps in
 * memory shared with the GUI domain (lib/shm); socket.c tells the
 * gui-agent where a window's pixels are. Both run in the X server's one
 * thread. */
#ifndef BULKHEAD_XORG_BULKHEADSHM_H
#define BULKHEAD_XORG_BULKHEADSHM_H

#include "lib/shm.h"
#include "vm-agent/xorg/xorg_shm_proto.h"

/* The shared memory under one window pixmap (xorg_shm_layout): the
 * pixmap's pixels start at `pixels`, the window's (after its border) at
 * shm.addr, a page; the agent is told width x height at `stride` there,
 * `bytes` (`nrefs` grant references: the first ones of shm.refs). */
struct bhs_buf {
    struct shm_export shm;
    void *map; /* everything mapped: private lead pages, then shm */
    size_t map_bytes;
    char *pixels;    /* the pixmap's first pixel */
    int domid;       /* SHM_GRANT: granted to */
    uint32_t border; /* the window border it is laid out for */
    uint32_t width, height, stride, depth;
    uint64_t bytes;
    uint32_t nrefs;
    uint64_t serial;
};

/* pixmaps.c */
/* The buffer of a top-level window's pixmap, moved into shared memory of
 * the asked kind and laid out for its border first if need be; 0 or a
 * negative errno as in the reply's status. Also makes later pixmaps use
 * the request's kind. */
int bhs_window_buffer(const struct xorg_shm_request *rq, const struct bhs_buf **out);

/* socket.c: listens once per server life; safe to call every generation */
void bhs_socket_start(void);

#endif
