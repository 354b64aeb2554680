/* The socket between the qube's Xorg module (bulkheadshm, vm-agent/xorg/)
 * and the gui-agent: "window XID -> the shared memory its pixels live in".
 *
 * A SOCK_SEQPACKET Unix socket in the abstract namespace, named from the
 * display (xorg_shm_socket_name); the module accepts peers whose uid is
 * the X server's own, root, or $BULKHEAD_XORG_SHM_UID. One message each
 * way per question, fixed size, native byte order (both ends are in the
 * same qube):
 *   agent -> module: struct xorg_shm_request
 *   module -> agent: struct xorg_shm_reply (not for XORG_SHM_RELEASE), with
 *     descriptors as said below.
 * The pixels are x8r8g8b8 rows of stride bytes from offset 0 (memfd) or
 * from the start of the allocation (grants): the window's Composite
 * pixmap itself, which the X server draws into (or with slots the copies
 * it moves between), from the window's first pixel inside its border
 * (stride is the pixmap's: more than width * 4 for a bordered window;
 * xorg_shm_layout). serial names the pixmap: the same serial is the same
 * memory. See docs/xorg-module.md. */
#ifndef BULKHEAD_XORG_SHM_PROTO_H
#define BULKHEAD_XORG_SHM_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XORG_SHM_MAGIC 0x42485333u /* "BHS3": this layout */
#define XORG_SHM_SLOTS 3           /* copies of a window pixmap at most */

/* What the agent asks. */
enum xorg_shm_op {
    /* Where are the window's pixels? slots: how many copies the agent
     * wants (1, or more for frames: the module then keeps more copies and
     * draws into one dom0 is not reading). Answered. */
    XORG_SHM_WINDOW = 1,
    /* dom0 is about to read the slot the window is drawn into now: keep it
     * as it is until XORG_SHM_RELEASE; later drawing goes to another
     * slot. The reply's slot says which one is locked. Answered. */
    XORG_SHM_LOCK = 2,
    /* dom0 is done with slot `slot` (of the pixmap with this serial). Not
     * answered. */
    XORG_SHM_RELEASE = 3,
    /* module -> agent, unasked (a window asked for with XORG_SHM_AUTO):
     * a drawing just overwrote the whole window (a video frame, a GL
     * buffer swap) and the module locked the slot holding it, as for a
     * LOCK; the agent sends it to dom0 and releases it as usual. */
    XORG_SHM_FRAME = 4,
};

/* WINDOW flags */
#define XORG_SHM_AUTO 1u /* lock whole-window drawings as frames (XORG_SHM_FRAME) */

struct xorg_shm_request {
    uint32_t magic;
    uint32_t op;     /* enum xorg_shm_op */
    uint32_t window; /* a top-level window of the screen */
    uint32_t kind;   /* SHM_MEMFD or SHM_GRANT: what the agent's daemon imports */
    uint32_t domid;  /* SHM_GRANT: the domain the pages are granted to */
    uint32_t slots;  /* WINDOW: 1 .. XORG_SHM_SLOTS; RELEASE: the slot; else 0 */
    uint32_t flags;  /* WINDOW: XORG_SHM_AUTO or 0; else 0 */
    uint32_t pad;    /* 0 */
    uint64_t serial; /* LOCK, RELEASE: the pixmap meant (0 for WINDOW) */
};

struct xorg_shm_reply {
    uint32_t magic;
    int32_t status; /* 0, or a negative errno (below) and nothing else is valid */
    uint32_t op;    /* the request's */
    uint32_t kind;
    uint32_t width, height, stride, depth;
    uint32_t nrefs;                 /* of one slot. GRANT: the pages; MEMFD: 1 */
    uint32_t slots;                 /* WINDOW: copies there are (1 .. XORG_SHM_SLOTS); LOCK: 0 */
    uint32_t slot;                  /* LOCK, FRAME: the slot now locked */
    uint32_t window;                /* FRAME: whose; else the request's */
    uint64_t bytes;                 /* of one slot, whole pages */
    uint64_t index[XORG_SHM_SLOTS]; /* GRANT: gntalloc's mmap offset of each slot */
    uint64_t serial;
    /* LOCK, FRAME: drawings into the pixmap so far: the same count as a
     * frame before means nothing new (with slots; else 0) */
    uint64_t draws;
};

/* WINDOW's descriptors (SCM_RIGHTS), in order: one per slot (the memfd,
 * or the gntalloc descriptor whose allocation sits at index[slot]); for
 * grants then a sealed memfd holding slots * nrefs grant references
 * (uint32 each, slot 0's first), which would not fit in one message. LOCK
 * replies carry none; the width ... serial fields of a LOCK reply are
 * those of the window's pixmap. */

/* Statuses: -ENOENT no such window; -ENODATA its pixels are not in shared
 * memory (not top-level, not redirected, unmapped, not 24/32 bits, or
 * sharing failed: the X server's log says which, once each); -EXDEV
 * shared, but as another kind or domain than asked (today's module moves
 * the pixmap instead); -ESTALE (LOCK) the window has another pixmap than
 * serial; -EINVAL a malformed request. */

/* Where a window's pixels go in the shared memory of its pixmap: a
 * width + 2 * border by height + 2 * border pixmap at 32 bpp whose
 * window part (inside the border) starts a page, since the GUI protocol
 * has no offset. The pixmap's first `lead` bytes (the top border rows and
 * the first row's left border) sit in `lead_map` bytes of private pages
 * mapped just before the shared ones, its rest in `shared_bytes`; the
 * agent is told `told_bytes` of them (stride * height, whole pages). */
struct xorg_shm_layout {
    uint32_t width, height, stride; /* the window's, at the pixmap's stride */
    size_t lead, lead_map, shared_bytes, told_bytes;
};

/* Pure: pw x ph the pixmap (border included), bw the border; 0, or
 * -EINVAL when the window part is empty or larger than the protocol's
 * 16384 x 6144. */
int xorg_shm_layout(uint32_t pw, uint32_t ph, uint32_t bw, struct xorg_shm_layout *out);

/* The abstract socket's name (leading NUL included) for display ":N";
 * returns its length, 0 if the display has no number. */
size_t xorg_shm_socket_name(const char *display, char *out, size_t outlen);

/* Pure checks of what arrived, both ends: 0 or a negative errno. */
int xorg_shm_parse_request(const void *buf, size_t len, struct xorg_shm_request *out);
/* nfds: descriptors that came with it. A reply whose status is not 0 must
 * come alone, and so must a LOCK reply and a FRAME. */
int xorg_shm_parse_reply(const void *buf, size_t len, unsigned nfds, struct xorg_shm_reply *out);

#endif
