/* The socket between the qube's Xorg module (bulkheadshm, vm-agent/xorg/)
 * and the gui-agent: "window XID -> the shared memory its pixels live in".
 *
 * A SOCK_SEQPACKET Unix socket in the abstract namespace, named from the
 * display (xorg_shm_socket_name); the module accepts peers whose uid is
 * the X server's own, root, or $BULKHEAD_XORG_SHM_UID. One message each
 * way per question, fixed size, native byte order (both ends are in the
 * same qube):
 *   agent -> module: struct xorg_shm_request
 *   module -> agent: struct xorg_shm_reply, with, when status is 0, the
 *     buffer's descriptor (SCM_RIGHTS): the memfd, or the gntalloc
 *     descriptor whose allocation sits at index; for grants a second
 *     descriptor, a sealed memfd holding the nrefs grant references
 *     (uint32 each), which would not fit in one message.
 * The pixels are x8r8g8b8 rows of stride bytes from offset 0 (memfd) or
 * from the start of the allocation (grants): the window's Composite
 * pixmap itself, which the X server draws into. serial names the pixmap:
 * the same serial is the same memory. See docs/xorg-module.md. */
#ifndef BULKHEAD_XORG_SHM_PROTO_H
#define BULKHEAD_XORG_SHM_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XORG_SHM_MAGIC 0x42485331u /* "BHS1": this layout */

struct xorg_shm_request {
    uint32_t magic;
    uint32_t window; /* a top-level window of the screen */
    uint32_t kind;   /* SHM_MEMFD or SHM_GRANT: what the agent's daemon imports */
    uint32_t domid;  /* SHM_GRANT: the domain the pages are granted to */
};

struct xorg_shm_reply {
    uint32_t magic;
    int32_t status; /* 0, or a negative errno (below) and nothing else is valid */
    uint32_t kind;
    uint32_t width, height, stride, depth;
    uint32_t nrefs; /* GRANT: the pages; MEMFD: 1 */
    uint64_t bytes; /* whole pages */
    uint64_t index; /* GRANT: gntalloc's mmap offset of the allocation */
    uint64_t serial;
};

/* Statuses: -ENOENT no such window; -ENODATA its pixels are not in shared
 * memory (not redirected, unmapped, not 24/32 bits, a border, or sharing
 * failed); -EXDEV shared, but as another kind or domain than asked (later
 * pixmaps take the asked one); -EINVAL a malformed request. */

/* The abstract socket's name (leading NUL included) for display ":N";
 * returns its length, 0 if the display has no number. */
size_t xorg_shm_socket_name(const char *display, char *out, size_t outlen);

/* Pure checks of what arrived, both ends: 0 or a negative errno. */
int xorg_shm_parse_request(const void *buf, size_t len, struct xorg_shm_request *out);
/* nfds: descriptors that came with it. A reply whose status is not 0 must
 * come alone. */
int xorg_shm_parse_reply(const void *buf, size_t len, unsigned nfds, struct xorg_shm_reply *out);

#endif
