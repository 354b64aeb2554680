/* bulkheadshm, the qube's Xorg module (docs/xorg-module.md): what its two
 * files share. pixmaps.c puts the pixels of Composite's window pixmaps in
 * memory shared with the GUI domain (lib/shm); socket.c tells the
 * gui-agent where a window's pixels are. Both run in the X server's one
 * thread. */
#ifndef BULKHEAD_XORG_BULKHEADSHM_H
#define BULKHEAD_XORG_BULKHEADSHM_H

#include "lib/shm.h"
#include "vm-agent/xorg/xorg_shm_proto.h"

/* The shared memory under one window pixmap. */
struct bhs_buf {
    struct shm_export shm;
    int domid; /* SHM_GRANT: granted to */
    uint32_t width, height, stride, depth;
    uint64_t serial;
};

/* pixmaps.c */
/* The buffer of a top-level window's pixmap; 0 or a negative errno as in
 * the reply's status. Also makes later pixmaps use the request's kind. */
int bhs_window_buffer(const struct xorg_shm_request *rq, const struct bhs_buf **out);

/* socket.c: listens once per server life; safe to call every generation */
void bhs_socket_start(void);

#endif
