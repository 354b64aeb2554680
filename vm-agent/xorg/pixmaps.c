/* bulkheadshm: Composite's window pixmaps in shared memory.
 *
 * Composite keeps every redirected top-level window's contents in a pixmap
 * it allocates with the usage hint CREATE_PIXMAP_USAGE_BACKING_PIXMAP. We
 * wrap the screen's CreatePixmap so that those pixmaps (24 or 32 bits)
 * get their storage from lib/shm: the pixmap is created 0x0 and its
 * header pointed at the shared mapping (ModifyPixmapHeader), as MIT-SHM
 * does for its own pixmaps; fb draws there like anywhere else. The
 * gui-agent then hands that very memory to dom0, and no one copies a
 * window's pixels inside the qube any more. DestroyPixmap is wrapped to
 * release the memory with the pixmap's last reference.
 *
 * CreatePixmap is not told whose pixmap it makes, so it lays the memory
 * out for a window without a border. When the agent asks for a window
 * whose pixmap does not fit what it needs (a border, as every Xt shell
 * such as xterm's has; another kind or domain than the pixmap was made
 * with; an ordinary pixmap because sharing failed at creation), the
 * pixmap is moved into new shared memory then (its pixels copied once).
 * Anything that still cannot be shared (too big, out of grants) stays an
 * ordinary pixmap: the agent then copies, as it does on X servers without
 * this module; the X server's log says why, once per reason. */
#include <xorg-server.h>

#include <dix.h>
#include <extension.h>
#include <os.h>
#include <pixmapstr.h>
#include <privates.h>
#include <scrnintstr.h>
#include <servermd.h>
#include <windowstr.h>
#include <xf86Module.h>

#include "vm-agent/xorg/bulkheadshm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* the GUI protocol's largest window: more is shown cut by the agent */
#define BHS_MAX_WIDTH  16384
#define BHS_MAX_HEIGHT 6144

struct bhs_screen {
    CreatePixmapProcPtr create_pixmap;
    DestroyPixmapProcPtr destroy_pixmap;
    CloseScreenProcPtr close_screen;
};

static DevPrivateKeyRec screen_key, pixmap_key;
static enum shm_kind want_kind = SHM_MEMFD;
static int want_domid;
static uint64_t next_serial = 1;

/* Why a window's pixels are not shared (or had to be moved), each logged
 * once per server life: the Xorg log is where a reader of a copied window
 * looks first, and every reason has its own fix. */
enum bhs_why {
    WHY_ALLOC,        /* lib/shm could not give the memory (grants, memfds) */
    WHY_MAP,          /* the memory could not be laid out under the pixmap */
    WHY_HEADER,       /* the X server would not point the pixmap at it */
    WHY_NOT_TOPLEVEL, /* asked for a window that is not a root child */
    WHY_NO_PIXMAP,    /* unmapped or not redirected: drawn to the screen */
    WHY_SIZE,         /* the pixmap is not the window with its border */
    WHY_FORMAT,       /* not 24/32 bits at 32 bpp, or too large */
    WHY_BORDER,       /* moved: a bordered window (done once per pixmap) */
    WHY_KIND,         /* moved: another kind or domain than asked */
    WHY_COUNT
};

static void say_once(enum bhs_why why, MessageType type, const char *fmt, ...)
    _X_ATTRIBUTE_PRINTF(3, 4);
static void say_once(enum bhs_why why, MessageType type, const char *fmt, ...)
{
    static bool said[WHY_COUNT];
    va_list ap;

    if (said[why])
        return;
    said[why] = true;
    va_start(ap, fmt);
    LogVMessageVerb(type, 1, fmt, ap);
    va_end(ap);
}

static struct bhs_screen *screen_priv(ScreenPtr s)
{
    return dixLookupPrivate(&s->devPrivates, &screen_key);
}

struct bhs_buf *bhs_pixmap_buf(PixmapPtr p)
{
    return dixLookupPrivate(&p->devPrivates, &pixmap_key);
}

/* Shared memory for one copy of a pw x ph pixmap (32 bpp) of a window
 * with a border of bw pixels (layout l), laid out so that the window's
 * first pixel, not the pixmap's, starts a page: what dom0 maps is the
 * window's rows at the pixmap's stride (the borders sit in the rows' ends,
 * and in private memory before and after), because the GUI protocol has
 * no offset. The pixmap's first bw rows and bw pixels live in anonymous
 * pages mapped right before the shared ones. */
static int slot_new(const struct xorg_shm_layout *l, int pw, int ph, int bw, enum shm_kind kind,
                    int domid, struct bhs_slot *sl)
{
    char *lead = MAP_FAILED;
    void *shared = MAP_FAILED;
    int r = shm_export_create(&sl->shm, kind, domid, l->shared_bytes);

    if (r < 0) {
        say_once(WHY_ALLOC, X_WARNING,
                 "bulkheadshm: cannot share a %dx%d window pixmap as %s (%s%s); such windows "
                 "are copied\n",
                 pw, ph, kind == SHM_GRANT ? "grants" : "a memfd", strerror(-r),
                 kind == SHM_GRANT && r == -ENOSPC
                     ? ": gntalloc's limit, /sys/module/xen_gntalloc/parameters/limit"
                     : "");
        return r;
    }
    if (l->lead_map) {
        /* a second mapping of the same memory (gntalloc and memfds both
         * allow it) where we want it, then the first one goes */
        lead = mmap(NULL, l->lead_map + l->shared_bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (lead != MAP_FAILED)
            shared = mmap(lead + l->lead_map, l->shared_bytes, PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_FIXED, sl->shm.fd,
                          sl->shm.kind == SHM_GRANT ? (off_t)sl->shm.index : 0);
        if (shared == MAP_FAILED) {
            say_once(WHY_MAP, X_WARNING,
                     "bulkheadshm: cannot lay out a %dx%d pixmap with a %d-pixel border in "
                     "shared memory (%s); such windows are copied\n",
                     pw, ph, bw, strerror(errno));
            if (lead != MAP_FAILED)
                munmap(lead, l->lead_map + l->shared_bytes);
            shm_export_destroy(&sl->shm);
            return -ENOMEM;
        }
        munmap(sl->shm.addr, l->shared_bytes);
        sl->shm.addr = shared;
        sl->map = lead, sl->map_bytes = l->lead_map + l->shared_bytes;
    } else {
        sl->map = sl->shm.addr, sl->map_bytes = l->shared_bytes;
    }
    sl->pixels = (char *)sl->shm.addr - l->lead;
    return 0;
}

static struct bhs_buf *buf_new(int pw, int ph, int depth, int bw)
{
    struct bhs_buf *b = calloc(1, sizeof(*b));
    struct xorg_shm_layout l;

    if (!b)
        return NULL;
    if (xorg_shm_layout((uint32_t)pw, (uint32_t)ph, (uint32_t)bw, &l) < 0 ||
        slot_new(&l, pw, ph, bw, want_kind, want_domid, &b->slot[0]) < 0) {
        free(b);
        return NULL;
    }
    b->nslots = 1;
    b->domid = want_domid;
    b->border = (uint32_t)bw;
    b->width = l.width, b->height = l.height, b->stride = l.stride, b->depth = (uint32_t)depth;
    b->bytes = l.told_bytes;
    b->nrefs = b->slot[0].shm.kind == SHM_GRANT ? (uint32_t)(l.told_bytes / SHM_PAGE_SIZE) : 1;
    b->serial = next_serial++;
    return b;
}

int bhs_slot_alloc(const struct bhs_buf *b, struct bhs_slot *sl)
{
    int pw = (int)(b->stride / 4), ph = (int)(b->height + 2 * b->border);
    struct xorg_shm_layout l;

    if (xorg_shm_layout((uint32_t)pw, (uint32_t)ph, b->border, &l) < 0)
        return -EINVAL;
    return slot_new(&l, pw, ph, (int)b->border, b->slot[0].shm.kind, b->domid, sl);
}

void bhs_slot_free(struct bhs_slot *sl)
{
    /* memfd: the agent's descriptor, and dom0's, keep the memory.
     * Grants: no explicit dealloc: they go when the last descriptor of
     * the allocation closes, and the agent holds one (it got it from us)
     * until dom0 has mapped a newer buffer; Xen then keeps pages dom0
     * still maps until it lets go */
    munmap(sl->map, sl->map_bytes);
    close(sl->shm.fd);
    free(sl->shm.refs);
}

static void buf_free(struct bhs_buf *b)
{
    for (unsigned i = 0; i < b->nslots; i++)
        bhs_slot_free(&b->slot[i]);
    free(b);
}

static bool shareable_format(int width, int height, int depth)
{
    return (depth == 24 || depth == 32) && BitsPerPixel(depth) == 32 && width > 0 && height > 0 &&
           width <= BHS_MAX_WIDTH && height <= BHS_MAX_HEIGHT;
}

static PixmapPtr bhs_create_pixmap(ScreenPtr s, int width, int height, int depth, unsigned usage)
{
    struct bhs_screen *bs = screen_priv(s);
    struct bhs_buf *b = NULL;
    PixmapPtr p;

    /* Composite does not say whose pixmap this is: laid out for a window
     * without a border, the usual top-level; a bordered one is moved when
     * the agent asks (bhs_window_buffer) */
    if (usage == CREATE_PIXMAP_USAGE_BACKING_PIXMAP && shareable_format(width, height, depth))
        b = buf_new(width, height, depth, 0);
    s->CreatePixmap = bs->create_pixmap;
    p = s->CreatePixmap(s, b ? 0 : width, b ? 0 : height, depth, usage);
    s->CreatePixmap = bhs_create_pixmap;
    if (!b || !p) {
        if (b)
            buf_free(b);
        return p;
    }
    if (!s->ModifyPixmapHeader(p, width, height, depth, 32, (int)b->stride, b->slot[0].pixels)) {
        say_once(WHY_HEADER, X_WARNING,
                 "bulkheadshm: the X server refused a shared pixmap header; such windows are "
                 "copied\n");
        s->DestroyPixmap(p);
        buf_free(b);
        s->CreatePixmap = bs->create_pixmap;
        p = s->CreatePixmap(s, width, height, depth, usage);
        s->CreatePixmap = bhs_create_pixmap;
        return p;
    }
    b->pixmap = p;
    dixSetPrivate(&p->devPrivates, &pixmap_key, b);
    return p;
}

static Bool bhs_destroy_pixmap(PixmapPtr p)
{
    ScreenPtr s = p->drawable.pScreen;
    struct bhs_screen *bs = screen_priv(s);
    /* read before: the last reference frees p */
    struct bhs_buf *b = p->refcnt == 1 ? dixLookupPrivate(&p->devPrivates, &pixmap_key) : NULL;
    Bool ret;

    if (b)
        bhs_slots_remove(b); /* before Damage's own DestroyPixmap would */
    s->DestroyPixmap = bs->destroy_pixmap;
    ret = s->DestroyPixmap(p);
    s->DestroyPixmap = bhs_destroy_pixmap;
    if (b)
        buf_free(b);
    return ret;
}

/* Gives window w's pixmap p new shared memory laid out for its border and
 * of the kind asked: its pixels copied over (once per pixmap, when the
 * agent first asks), the pixmap pointed there, the old memory released. */
static struct bhs_buf *move_pixmap(WindowPtr w, PixmapPtr p, struct bhs_buf *old)
{
    ScreenPtr s = p->drawable.pScreen;
    int pw = p->drawable.width, ph = p->drawable.height, depth = p->drawable.depth;
    struct bhs_buf *b = buf_new(pw, ph, depth, w->borderWidth);
    const char *from = p->devPrivate.ptr;
    size_t row = (size_t)pw * 4;

    if (!b)
        return NULL;
    for (int y = 0; from && y < ph; y++)
        memcpy(b->slot[0].pixels + (size_t)y * b->stride, from + (size_t)y * (size_t)p->devKind,
               row);
    if (!s->ModifyPixmapHeader(p, pw, ph, depth, 32, (int)b->stride, b->slot[0].pixels)) {
        say_once(WHY_HEADER, X_WARNING,
                 "bulkheadshm: the X server refused a shared pixmap header; such windows are "
                 "copied\n");
        buf_free(b);
        return NULL;
    }
    b->pixmap = p;
    dixSetPrivate(&p->devPrivates, &pixmap_key, b);
    if (old) {
        bhs_slots_remove(old);
        buf_free(old);
    }
    if (w->borderWidth)
        say_once(WHY_BORDER, X_INFO,
                 "bulkheadshm: window 0x%x has a %u-pixel border: its pixmap moved into shared "
                 "memory laid out for it (copied once per pixmap; later ones too)\n",
                 (unsigned)w->drawable.id, (unsigned)w->borderWidth);
    else
        say_once(WHY_KIND, X_INFO,
                 "bulkheadshm: window 0x%x's pixmap moved into %s for domain %d, as the agent "
                 "asks (copied once)\n",
                 (unsigned)w->drawable.id, want_kind == SHM_GRANT ? "grants" : "a memfd",
                 want_domid);
    return b;
}

static Bool bhs_close_screen(ScreenPtr s)
{
    struct bhs_screen *bs = screen_priv(s);

    s->CreatePixmap = bs->create_pixmap;
    s->DestroyPixmap = bs->destroy_pixmap;
    s->CloseScreen = bs->close_screen;
    dixSetPrivate(&s->devPrivates, &screen_key, NULL);
    free(bs);
    return s->CloseScreen(s);
}

int bhs_window_buffer(const struct xorg_shm_request *rq, struct bhs_buf **out)
{
    WindowPtr w;
    PixmapPtr p;
    struct bhs_buf *b;
    ScreenPtr s;
    int bw;

    if (rq->op == XORG_SHM_WINDOW) {
        /* what the agent's daemon takes is what later pixmaps are made of */
        want_kind = (enum shm_kind)rq->kind;
        want_domid = (int)rq->domid;
        bhs_slots_hook_requests();
    }
    if (dixLookupWindow(&w, rq->window, serverClient, DixGetAttrAccess) != Success)
        return -ENOENT;
    if (rq->op != XORG_SHM_WINDOW) {
        /* LOCK, RELEASE: of the pixmap the agent has, never moved */
        p = w->parent && !w->parent->parent ? w->drawable.pScreen->GetWindowPixmap(w) : NULL;
        b = p ? bhs_pixmap_buf(p) : NULL;
        if (!b || b->serial != rq->serial)
            return -ESTALE;
        *out = b;
        return 0;
    }
    s = w->drawable.pScreen;
    if (!w->parent || w->parent->parent || !screen_priv(s)) {
        say_once(WHY_NOT_TOPLEVEL, X_INFO,
                 "bulkheadshm: window 0x%x is not a top-level window: not shared\n", rq->window);
        return -ENODATA;
    }
    p = s->GetWindowPixmap(w);
    if (!p || p == s->GetScreenPixmap(s)) {
        say_once(WHY_NO_PIXMAP, X_INFO,
                 "bulkheadshm: window 0x%x has no pixmap of its own (unmapped, or not "
                 "redirected): not shared\n",
                 rq->window);
        return -ENODATA;
    }
    /* Composite's pixmap holds the window with its border */
    bw = w->borderWidth;
    if (p->drawable.width != w->drawable.width + 2 * bw ||
        p->drawable.height != w->drawable.height + 2 * bw) {
        say_once(WHY_SIZE, X_INFO,
                 "bulkheadshm: window 0x%x (%ux%u, border %d) has a %ux%u pixmap: not shared\n",
                 rq->window, w->drawable.width, w->drawable.height, bw, p->drawable.width,
                 p->drawable.height);
        return -ENODATA;
    }
    if (!shareable_format(p->drawable.width, p->drawable.height, p->drawable.depth) ||
        p->drawable.bitsPerPixel != 32) {
        say_once(WHY_FORMAT, X_INFO,
                 "bulkheadshm: window 0x%x's pixmap (%ux%u, depth %u, %u bpp) is not a format "
                 "we share: copied\n",
                 rq->window, p->drawable.width, p->drawable.height, p->drawable.depth,
                 p->drawable.bitsPerPixel);
        return -ENODATA;
    }
    b = bhs_pixmap_buf(p);
    if (!b || b->border != (uint32_t)bw || b->slot[0].shm.kind != (enum shm_kind)rq->kind ||
        (b->slot[0].shm.kind == SHM_GRANT && b->domid != (int)rq->domid)) {
        /* a border, another kind, or no shared memory yet: move it */
        b = move_pixmap(w, p, b);
        if (!b)
            return -ENODATA;
    }
    /* without more copies the agent still gets the one there is */
    if (rq->slots > b->nslots)
        (void)bhs_slots_add(b, rq->slots);
    *out = b;
    return 0;
}

/* Called at every server generation, after the screens exist and before
 * any window does. */
static void bhs_extension_init(void)
{
    const char *k = getenv("BULKHEAD_XORG_SHM_KIND"), *d = getenv("BULKHEAD_XORG_SHM_DOMID");

    /* until the agent says what its daemon takes: grants where Xen's
     * gntalloc is there, else memfds; the first pixmaps may be the wrong
     * kind, which only makes the agent copy them */
    if (k && !strcmp(k, "grant"))
        want_kind = SHM_GRANT;
    else if (k && !strcmp(k, "memfd"))
        want_kind = SHM_MEMFD;
    else
        want_kind = access("/dev/xen/gntalloc", R_OK | W_OK) == 0 ? SHM_GRANT : SHM_MEMFD;
    want_domid = d ? atoi(d) : 0;
    if (!dixRegisterPrivateKey(&screen_key, PRIVATE_SCREEN, 0) ||
        !dixRegisterPrivateKey(&pixmap_key, PRIVATE_PIXMAP, 0)) {
        LogMessage(X_ERROR, "bulkheadshm: no private keys: windows are copied\n");
        return;
    }
    for (int i = 0; i < screenInfo.numScreens; i++) {
        ScreenPtr s = screenInfo.screens[i];
        struct bhs_screen *bs = calloc(1, sizeof(*bs));

        if (!bs)
            continue;
        bs->create_pixmap = s->CreatePixmap;
        bs->destroy_pixmap = s->DestroyPixmap;
        bs->close_screen = s->CloseScreen;
        s->CreatePixmap = bhs_create_pixmap;
        s->DestroyPixmap = bhs_destroy_pixmap;
        s->CloseScreen = bhs_close_screen;
        dixSetPrivate(&s->devPrivates, &screen_key, bs);
    }
    bhs_socket_start();
    LogMessage(X_INFO, "bulkheadshm: window pixmaps in shared memory (%s)\n",
               want_kind == SHM_GRANT ? "grants" : "memfds");
}

static const ExtensionModule bhs_extension = {bhs_extension_init, "BULKHEAD-SHM", NULL};

static void *bhs_setup(void *module, void *opts, int *errmaj, int *errmin)
{
    (void)module, (void)opts, (void)errmaj, (void)errmin;
    LoadExtensionList(&bhs_extension, 1, FALSE);
    return (void *)1;
}

static XF86ModuleVersionInfo bhs_version = {
    "bulkheadshm",
    "Bulkhead",
    MODINFOSTRING1,
    MODINFOSTRING2,
    XORG_VERSION_CURRENT,
    1,
    0,
    0,
    ABI_CLASS_EXTENSION,
    ABI_EXTENSION_VERSION,
    MOD_CLASS_EXTENSION,
    {0, 0, 0, 0},
};

/* the loader finds the module by this name: <file name>ModuleData */
_X_EXPORT XF86ModuleData bulkheadshmModuleData = {&bhs_version, bhs_setup, NULL};
