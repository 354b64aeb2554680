/* bulkheadshm, the qube's Xorg module (docs/xorg-module.md): what its
 * files share. pixmaps.c puts the pixels of Composite's window pixmaps in
 * memory shared with the GUI domain (lib/shm); slots.c keeps a second copy
 * of a window's pixels for the agent's frames, so that the X server never
 * draws into what dom0 is reading; socket.c answers the gui-agent. All of
 * it runs in the X server's one thread. */
#ifndef BULKHEAD_XORG_BULKHEADSHM_H
#define BULKHEAD_XORG_BULKHEADSHM_H

#include <xorg-server.h>

#include <damage.h>
#include <pixmapstr.h>
#include <regionstr.h>

#include "lib/shm.h"
#include "vm-agent/xorg/xorg_shm_proto.h"

#include <stdbool.h>

/* One copy of a window's pixmap (xorg_shm_layout): the pixmap's pixels
 * start at `pixels`, the window's (after its border) at shm.addr, a page,
 * which is where what the agent is told starts; `stale` is where it
 * differs from the copy the X server draws into now (empty for that one). */
struct bhs_slot {
    struct shm_export shm;
    void *map; /* everything mapped: private lead pages, then shm */
    size_t map_bytes;
    char *pixels; /* the pixmap's first pixel */
    RegionRec stale;
};

/* The shared memory under one window pixmap: the agent is told width x
 * height at `stride` from each slot's shm.addr, `bytes` (`nrefs` grant
 * references: the first ones of each slot's shm.refs). */
struct bhs_buf {
    struct bhs_slot slot[XORG_SHM_SLOTS];
    unsigned nslots;               /* 1, or more once the agent asked for frames */
    unsigned current;              /* the slot the pixmap's pixels point at */
    unsigned locked;               /* bit per slot: dom0 reads it; never drawn into */
    uint8_t locks[XORG_SHM_SLOTS]; /* LOCKs not yet released, per slot */
    bool replaces;                 /* the request being run overwrites what it draws */
    uint64_t draws;                /* drawings so far (with slots): frames are told by it */
    PixmapPtr pixmap;
    DamagePtr damage; /* with slots: told before each drawing */
    /* the agent that asked for the slots (XORG_SHM_AUTO: told of each
     * whole-window drawing, locked as a frame) */
    bool auto_frames;
    int agent_fd;
    uint64_t agent_conn;
    uint32_t window;
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
 * negative errno as in the reply's status. For XORG_SHM_WINDOW it also
 * makes later pixmaps use the request's kind and gives the pixmap the
 * slots asked for. */
int bhs_window_buffer(const struct xorg_shm_request *rq, struct bhs_buf **out);
/* The buffer under a pixmap of ours, or NULL. */
struct bhs_buf *bhs_pixmap_buf(PixmapPtr p);
/* A new slot of b's layout and kind (not filled). */
int bhs_slot_alloc(const struct bhs_buf *b, struct bhs_slot *sl);
void bhs_slot_free(struct bhs_slot *sl);

/* slots.c */
/* Gives b n slots in all (copies of the current one) and the damage
 * hook. */
int bhs_slots_add(struct bhs_buf *b, unsigned n);
/* Before b's pixmap goes: the hook and the slots' regions. */
void bhs_slots_remove(struct bhs_buf *b);
/* XORG_SHM_LOCK: locks the current slot and returns it. */
unsigned bhs_slots_lock(struct bhs_buf *b);
void bhs_slots_release(struct bhs_buf *b, unsigned slot);
/* Wraps the drawing requests that overwrite a whole window (once they
 * all exist; cheap to call again). */
void bhs_slots_hook_requests(void);

/* socket.c: listens once per server life; safe to call every generation */
void bhs_socket_start(void);
/* Answers what agents asked meanwhile (from inside a client's requests). */
void bhs_socket_service(void);
/* Tells b's agent that slot holds a frame (XORG_SHM_FRAME); -1 if it
 * cannot be told (gone, not reading). */
int bhs_socket_push(const struct bhs_buf *b, unsigned slot);

#endif
