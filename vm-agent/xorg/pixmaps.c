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
 * release the memory with the pixmap's last reference. Anything that
 * cannot be shared (too big, out of grants) gets an ordinary pixmap: the
 * agent then copies, as it does on X servers without this module. */
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

static struct bhs_screen *screen_priv(ScreenPtr s)
{
    return dixLookupPrivate(&s->devPrivates, &screen_key);
}

struct bhs_buf *bhs_pixmap_buf(PixmapPtr p)
{
    return dixLookupPrivate(&p->devPrivates, &pixmap_key);
}

int bhs_slot_alloc(const struct bhs_buf *b, struct shm_export *e)
{
    size_t bytes =
        ((size_t)b->stride * b->height + SHM_PAGE_SIZE - 1) / SHM_PAGE_SIZE * SHM_PAGE_SIZE;
    int r = shm_export_create(e, b->slot[0].shm.addr ? b->slot[0].shm.kind : want_kind, b->domid,
                              bytes);

    if (r < 0) {
        static int said;
        if (!said++)
            LogMessage(X_WARNING,
                       "bulkheadshm: cannot share a %ux%u window pixmap (%s); "
                       "such windows are copied\n",
                       b->width, b->height, strerror(-r));
    }
    return r;
}

static struct bhs_buf *buf_new(int width, int height, int depth)
{
    struct bhs_buf *b = calloc(1, sizeof(*b));

    if (!b)
        return NULL;
    b->domid = want_domid;
    b->width = (uint32_t)width, b->height = (uint32_t)height;
    b->stride = (uint32_t)width * 4, b->depth = (uint32_t)depth;
    if (bhs_slot_alloc(b, &b->slot[0].shm) < 0) {
        free(b);
        return NULL;
    }
    b->nslots = 1;
    b->serial = next_serial++;
    return b;
}

static void slot_free(struct shm_export *e)
{
    if (e->kind == SHM_GRANT) {
        /* no explicit dealloc: the grants go when the last descriptor of
         * the allocation closes, and the agent holds one (it got it from
         * us) until dom0 has mapped a newer buffer; Xen then keeps pages
         * dom0 still maps until it lets go */
        munmap(e->addr, e->bytes);
        close(e->fd);
        free(e->refs);
    } else {
        /* the agent's copy of the memfd, and dom0's, keep the memory */
        shm_export_destroy(e);
    }
}

static void buf_free(struct bhs_buf *b)
{
    for (unsigned i = 0; i < b->nslots; i++)
        slot_free(&b->slot[i].shm);
    free(b);
}

static PixmapPtr bhs_create_pixmap(ScreenPtr s, int width, int height, int depth, unsigned usage)
{
    struct bhs_screen *bs = screen_priv(s);
    struct bhs_buf *b = NULL;
    PixmapPtr p;

    if (usage == CREATE_PIXMAP_USAGE_BACKING_PIXMAP && (depth == 24 || depth == 32) &&
        BitsPerPixel(depth) == 32 && width > 0 && height > 0 && width <= BHS_MAX_WIDTH &&
        height <= BHS_MAX_HEIGHT)
        b = buf_new(width, height, depth);
    s->CreatePixmap = bs->create_pixmap;
    p = s->CreatePixmap(s, b ? 0 : width, b ? 0 : height, depth, usage);
    s->CreatePixmap = bhs_create_pixmap;
    if (!b || !p) {
        if (b)
            buf_free(b);
        return p;
    }
    if (!s->ModifyPixmapHeader(p, width, height, depth, 32, (int)b->stride, b->slot[0].shm.addr)) {
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
        bhs_slots_remove(b);
    s->DestroyPixmap = bs->destroy_pixmap;
    ret = s->DestroyPixmap(p);
    s->DestroyPixmap = bhs_destroy_pixmap;
    if (b)
        buf_free(b);
    return ret;
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

    if (rq->op == XORG_SHM_WINDOW) {
        /* what the agent's daemon takes is what later pixmaps are made of */
        want_kind = (enum shm_kind)rq->kind;
        want_domid = (int)rq->domid;
        bhs_slots_hook_requests();
    }
    if (dixLookupWindow(&w, rq->window, serverClient, DixGetAttrAccess) != Success)
        return -ENOENT;
    /* only a top-level window owns its pixmap whole; a border would put
     * the contents at an offset the GUI protocol has no room for */
    if (!w->parent || w->parent->parent || w->borderWidth || !screen_priv(w->drawable.pScreen))
        return -ENODATA;
    p = w->drawable.pScreen->GetWindowPixmap(w);
    b = p ? dixLookupPrivate(&p->devPrivates, &pixmap_key) : NULL;
    if (!b || p->drawable.width != w->drawable.width || p->drawable.height != w->drawable.height)
        return -ENODATA;
    if (b->slot[0].shm.kind != (enum shm_kind)rq->kind ||
        (b->slot[0].shm.kind == SHM_GRANT && b->domid != (int)rq->domid))
        return -EXDEV;
    if (rq->op != XORG_SHM_WINDOW && rq->serial != b->serial)
        return -ESTALE;
    if (rq->op == XORG_SHM_WINDOW) {
        /* a new agent: whatever an earlier one locked is free */
        b->locked = 0;
        memset(b->locks, 0, sizeof(b->locks));
        /* without a second copy the agent still gets the one there is */
        if (rq->slots > b->nslots)
            (void)bhs_slots_add(b, rq->slots);
    }
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
