/* bulkheadshm: up to three copies ("slots") of a window's pixels, so that
 * the X server never draws into a copy dom0 is reading or about to read.
 *
 * With one shared pixmap, the qube draws frame k+1 into the very memory
 * dom0's X server is still copying frame k from: frames are lost (or
 * torn) exactly when both sides are busy. With slots the gui-agent
 * locks the slot holding a finished frame (XORG_SHM_LOCK) and sends it to
 * dom0; the next drawing into the window first moves the pixmap to a slot
 * not locked, and the agent releases the locked one when dom0 is done.
 * Three slots let the agent have two frames out (one dom0 copies, one
 * waiting for it) while the X server draws into the third: dom0's X
 * server never waits for the qube.
 *
 * Moving needs the new slot to hold the window as it is: each slot
 * keeps the region where it differs from the current one ("stale"), and
 * the move copies that region, unless the drawing about to happen
 * overwrites the whole window anyway: a full-window PutImage, ShmPutImage
 * or CopyArea from another drawable with a plain GC (the request wrappers
 * below mark those). A video or game frame thus costs no copy at all,
 * a small update copies what changed in the previous frame.
 *
 * The hook is a Damage object on the window pixmap that reports before
 * each drawing operation (the Damage default for internal use): fb reads
 * the pixmap's pixel pointer only when it draws, after the report. */
#include <xorg-server.h>

#include <X11/X.h>
#include <X11/Xproto.h>
#include <X11/extensions/shmproto.h>
#include <dix.h>
#include <dixstruct.h>
#include <extnsionst.h>
#include <gcstruct.h>
#include <os.h>
#include <scrnintstr.h>
#include <windowstr.h>

#include "vm-agent/xorg/bulkheadshm.h"

#include <string.h>

/* Copies the stale region of slot `to` from the current slot. */
static void copy_stale(struct bhs_buf *b, unsigned to)
{
    const uint8_t *src = (const uint8_t *)b->slot[b->current].pixels;
    uint8_t *dst = (uint8_t *)b->slot[to].pixels;
    int pw = (int)(b->stride / 4), ph = (int)(b->height + 2 * b->border);
    int n = RegionNumRects(&b->slot[to].stale);
    const BoxRec *box = RegionRects(&b->slot[to].stale);

    for (int i = 0; i < n; i++) {
        int x1 = box[i].x1 < 0 ? 0 : box[i].x1, y1 = box[i].y1 < 0 ? 0 : box[i].y1;
        int x2 = box[i].x2 > pw ? pw : box[i].x2;
        int y2 = box[i].y2 > ph ? ph : box[i].y2;

        for (int y = y1; y < y2 && x2 > x1; y++) {
            size_t off = (size_t)y * b->stride + (size_t)x1 * 4;
            memcpy(dst + off, src + off, (size_t)(x2 - x1) * 4);
        }
    }
}

/* The window inside its border: what dom0 shows (the border is never
 * drawn by clients and never read by dom0). */
static bool covers_all(const struct bhs_buf *b, RegionPtr r)
{
    const BoxRec *e = RegionExtents(r);
    int bw = (int)b->border;

    return RegionNumRects(r) == 1 && e->x1 <= bw && e->y1 <= bw && e->x2 >= bw + (int)b->width &&
           e->y2 >= bw + (int)b->height;
}

/* Pixels a stale region covers, by its boxes. */
static uint64_t stale_area(RegionPtr r)
{
    const BoxRec *box = RegionRects(r);
    uint64_t area = 0;

    for (int i = 0; i < RegionNumRects(r); i++)
        area += (uint64_t)(box[i].x2 - box[i].x1) * (uint64_t)(box[i].y2 - box[i].y1);
    return area;
}

/* More boxes than this and a stale region becomes its extents: a window
 * nobody locks (no agent any more) would grow one box per drawing, each
 * union and the copy at the next move costing more and more. */
#define STALE_MAX_BOXES 32

/* Damage's report, before the drawing of region (pixmap coordinates). */
static void before_drawing(DamagePtr damage, RegionPtr region, void *closure)
{
    struct bhs_buf *b = closure;
    unsigned cur = b->current;

    DamageEmpty(damage); /* we keep our own regions */
    b->draws++;
    if (b->locked & (1u << cur)) {
        unsigned to = cur;

        /* the free slot with the least to bring up to date */
        for (unsigned i = 0; i < b->nslots; i++)
            if (!(b->locked & (1u << i)) &&
                (to == cur || stale_area(&b->slot[i].stale) < stale_area(&b->slot[to].stale)))
                to = i;
        if (to == cur) {
            /* all read by dom0: the agent leaves one free, so only a
             * lock racing a pushed frame gets here, for a moment */
            static bool said;
            if (!said)
                LogMessage(X_WARNING,
                           "bulkheadshm: window 0x%x has every slot locked: drawing "
                           "into one dom0 reads (logged once)\n",
                           (unsigned)b->window);
            said = true;
        } else {
            if (!(b->replaces && covers_all(b, region)))
                copy_stale(b, to);
            RegionEmpty(&b->slot[to].stale);
            RegionEmpty(&b->slot[cur].stale);
            b->current = cur = to;
            b->pixmap->devPrivate.ptr = b->slot[to].pixels;
        }
    }
    for (unsigned i = 0; i < b->nslots; i++) {
        RegionPtr stale = &b->slot[i].stale;
        if (i == cur)
            continue;
        RegionUnion(stale, stale, region);
        if (RegionNumRects(stale) > STALE_MAX_BOXES) {
            BoxRec all = *RegionExtents(stale);
            RegionReset(stale, &all);
        }
    }
}

int bhs_slots_add(struct bhs_buf *b, unsigned n)
{
    ScreenPtr s = b->pixmap->drawable.pScreen;
    unsigned had = b->nslots;

    if (n > XORG_SHM_SLOTS || n <= had)
        return -1;
    for (unsigned i = had; i < n; i++) {
        struct bhs_slot *sl = &b->slot[i];
        if (bhs_slot_alloc(b, sl) < 0)
            break; /* fewer copies: still frames with two */
        memcpy(sl->pixels, b->slot[b->current].pixels,
               (size_t)b->stride * (b->height + 2 * b->border));
        RegionNull(&sl->stale);
        b->nslots = i + 1;
    }
    if (had == 1 && b->nslots > 1) {
        b->damage = DamageCreate(before_drawing, NULL, DamageReportRawRegion, TRUE, s, b);
        if (!b->damage) {
            while (b->nslots > 1)
                bhs_slot_free(&b->slot[--b->nslots]);
            return -1;
        }
        RegionNull(&b->slot[0].stale);
        DamageRegister(&b->pixmap->drawable, b->damage);
    }
    return b->nslots == n ? 0 : -1;
}

void bhs_slots_remove(struct bhs_buf *b)
{
    if (b->nslots < 2)
        return;
    /* unregisters too; before Damage's own DestroyPixmap would */
    DamageDestroy(b->damage);
    b->damage = NULL;
    for (unsigned i = 0; i < b->nslots; i++)
        RegionUninit(&b->slot[i].stale);
}

/* Locks are counted: two frames may hold the same slot (nothing was
 * drawn between their LOCKs), and the first one's release must not free
 * it under the second. */
unsigned bhs_slots_lock(struct bhs_buf *b)
{
    if (b->locks[b->current] < UINT8_MAX)
        b->locks[b->current]++;
    b->locked |= 1u << b->current;
    return b->current;
}

void bhs_slots_release(struct bhs_buf *b, unsigned slot)
{
    if (slot >= b->nslots || !b->locks[slot])
        return;
    if (!--b->locks[slot])
        b->locked &= ~(1u << slot);
}

/* ---- requests that overwrite a whole window ---- */

static int (*put_image_proc)(ClientPtr), (*copy_area_proc)(ClientPtr), (*shm_proc)(ClientPtr);

/* The two-slot buffer under window id, when a drawing with gc at
 * (x, y) w x h covers the whole window and replaces what it covers. */
static struct bhs_buf *whole_window(ClientPtr client, XID id, XID gc, int x, int y, int w, int h)
{
    WindowPtr win;
    GCPtr g;
    PixmapPtr p;
    struct bhs_buf *b;

    if (x > 0 || y > 0) /* most drawings: no lookup needed to say no */
        return NULL;
    if (dixLookupResourceByType((void **)&win, id, RT_WINDOW, client, DixWriteAccess) != Success ||
        !win->parent || win->parent->parent)
        return NULL;
    p = win->drawable.pScreen->GetWindowPixmap(win);
    b = p ? bhs_pixmap_buf(p) : NULL;
    if (!b || b->nslots < 2 || x + w < (int)b->width || y + h < (int)b->height)
        return NULL;
    if (dixLookupResourceByType((void **)&g, gc, RT_GC, client, DixUseAccess) != Success)
        return NULL;
    unsigned long planes = b->depth >= 32 ? 0xffffffffu : (1u << b->depth) - 1;
    if (g->alu != GXcopy || (g->planemask & planes) != planes || g->clientClip)
        return NULL;
    return b;
}

/* A whole-window drawing is a finished frame (a video frame, a GL buffer
 * swap): for an agent that asked (XORG_SHM_AUTO) it is locked at once and
 * the agent told, while a slot stays free to draw the next one in. Were
 * the agent to lock it when the damage event reaches it, the next frame
 * could already be drawn over it. */
static void auto_frame(struct bhs_buf *b)
{
    unsigned free_slots = 0;

    for (unsigned i = 0; i < b->nslots; i++)
        free_slots += !(b->locked & (1u << i));
    if (free_slots < 2)
        return; /* dom0 has enough: this frame is drawn over if it must */
    unsigned slot = bhs_slots_lock(b);
    if (bhs_socket_push(b, slot) < 0)
        bhs_slots_release(b, slot);
}

static int run_replacing(struct bhs_buf *b, int (*proc)(ClientPtr), ClientPtr client)
{
    int r;

    if (b)
        b->replaces = true;
    r = proc(client);
    /* drawing never frees a pixmap: b is still there */
    if (b) {
        b->replaces = false;
        if (r == Success && b->auto_frames)
            auto_frame(b);
    }
    bhs_socket_service();
    return r;
}

static int put_image(ClientPtr client)
{
    REQUEST(xPutImageReq);
    struct bhs_buf *b = NULL;

    if (client->req_len >= sizeof(xPutImageReq) / 4 && stuff->format == ZPixmap)
        b = whole_window(client, stuff->drawable, stuff->gc, stuff->dstX, stuff->dstY, stuff->width,
                         stuff->height);
    return run_replacing(b, put_image_proc, client);
}

/* True if pixmap id holds all of (x, y) w x h: a CopyArea from it writes
 * every pixel of its destination (from a window, or past a pixmap's edge,
 * parts would be left as they were, which the stale copy must supply). */
static bool pixmap_covers(ClientPtr client, XID id, int x, int y, int w, int h)
{
    PixmapPtr p;

    return dixLookupResourceByType((void **)&p, id, RT_PIXMAP, client, DixReadAccess) == Success &&
           x >= 0 && y >= 0 && x + w <= p->drawable.width && y + h <= p->drawable.height;
}

static int copy_area(ClientPtr client)
{
    REQUEST(xCopyAreaReq);
    struct bhs_buf *b = NULL;

    /* from itself it would read what is being moved away */
    if (client->req_len == sizeof(xCopyAreaReq) / 4 && stuff->srcDrawable != stuff->dstDrawable &&
        stuff->dstX <= 0 && stuff->dstY <= 0 &&
        pixmap_covers(client, stuff->srcDrawable, stuff->srcX, stuff->srcY, stuff->width,
                      stuff->height))
        b = whole_window(client, stuff->dstDrawable, stuff->gc, stuff->dstX, stuff->dstY,
                         stuff->width, stuff->height);
    return run_replacing(b, copy_area_proc, client);
}

static int shm_request(ClientPtr client)
{
    REQUEST(xShmPutImageReq);
    struct bhs_buf *b = NULL;

    if (stuff->shmReqType == X_ShmPutImage && client->req_len == sizeof(xShmPutImageReq) / 4 &&
        stuff->format == ZPixmap)
        b = whole_window(client, stuff->drawable, stuff->gc, stuff->dstX, stuff->dstY,
                         stuff->srcWidth, stuff->srcHeight);
    return run_replacing(b, shm_proc, client);
}

void bhs_slots_hook_requests(void)
{
    ExtensionEntry *shm;

    if (ProcVector[X_PutImage] != put_image) {
        put_image_proc = ProcVector[X_PutImage];
        ProcVector[X_PutImage] = put_image;
    }
    if (ProcVector[X_CopyArea] != copy_area) {
        copy_area_proc = ProcVector[X_CopyArea];
        ProcVector[X_CopyArea] = copy_area;
    }
    shm = CheckExtension("MIT-SHM");
    if (shm && ProcVector[shm->base] != shm_request) {
        shm_proc = ProcVector[shm->base];
        ProcVector[shm->base] = shm_request;
    }
}
