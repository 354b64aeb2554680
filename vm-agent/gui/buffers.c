/* gui-agent: window pixels into memory shared with dom0.
 *
 * First choice, when the qube's X server runs the bulkheadshm module: the
 * "zero" path (zerocopy.c), where the window's pixmap is itself the
 * shared memory and nothing is copied. Otherwise, or for a pixmap the
 * module could not share, each buffer is exported with lib/shm (a sealed memfd on the local
 * backend, gntalloc pages on Xen). The copy from the window (Composite's
 * offscreen contents) takes the best of three paths (docs/gui-agent.md):
 *  - direct: the buffer's memfd is attached to the qube's X server with
 *    MIT-SHM descriptor passing as the storage of an MIT-SHM pixmap; the X
 *    server copies a damaged rectangle into it with one CopyArea. One copy.
 *  - private: X servers do not attach a gntalloc descriptor (they map the
 *    descriptor's st_size bytes, 0 for a device), so for grants the X
 *    server copies into a memfd of our own, attached the same way, and we
 *    copy the rectangle on into the grant pages after the XSync. Two.
 *  - getimage: a server without MIT-SHM descriptor passing sends the
 *    rectangle through the X socket (GetImage) and we copy it in. Two, one
 *    of them through the socket.
 * A failure moves down to the next path for good, logged once.
 * BULKHEAD_GUI_AGENT_COPY=zero|direct|private|getimage starts there (direct
 * and lower: no zero path), so that tests run every path without Xen.
 *
 * A buffer stays until the daemon has taken the next one of its window
 * (GUI_BUFFER_ACK) or the window is gone. */
#include "vm-agent/gui/agent.h"

#include "lib/log.h"

#include <X11/Xutil.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xcb/shm.h>

static const char *const path_names[] = {"zero", "direct", "private", "getimage"};

const char *buffers_path_name(enum copy_path p)
{
    return path_names[p];
}

static void path_down(struct agent *a, enum copy_path to, const char *why)
{
    if (a->path >= to)
        return;
    log_warnx("window copies: %s; from now on the %s path (docs/gui-agent.md)", why,
              path_names[to]);
    a->path = to;
}

void buffers_init(struct agent *a)
{
    xcb_shm_query_version_reply_t *v =
        xcb_shm_query_version_reply(a->xc, xcb_shm_query_version(a->xc), NULL);
    const char *want = getenv("BULKHEAD_GUI_AGENT_COPY");

    enum copy_path start = COPY_ZERO;

    for (int i = COPY_ZERO; want && i <= COPY_GETIMAGE; i++)
        if (!strcmp(want, path_names[i]))
            start = (enum copy_path)i;
    a->zero_fd = -1;
    if (start == COPY_ZERO) {
        zero_init(a);
        if (a->zero_fd < 0)
            log_info("window copies: the X server has no bulkheadshm module (no socket): "
                     "windows are copied");
    }
    a->path = start == COPY_ZERO ? COPY_DIRECT : start;
    /* descriptor passing is MIT-SHM 1.2 */
    if (!v || !v->shared_pixmaps || (v->major_version == 1 && v->minor_version < 2) ||
        v->major_version < 1)
        path_down(a, COPY_GETIMAGE, "the X server cannot attach shared memory descriptors");
    free(v);
    if (a->zero_fd >= 0)
        log_info("window copies: the zero path (bulkheadshm), else the %s path",
                 path_names[a->path]);
    else
        log_info("window copies: the %s path", path_names[a->path]);
}

/* A segment over fd (a copy of it goes to the X server) and an MIT-SHM
 * pixmap of the window's depth on it. -1 if the server refused the
 * segment; a refused pixmap (the window went away) leaves b->pixmap 0. */
static int attach_fd(struct agent *a, struct awin *w, struct abuf *b, int fd)
{
    xcb_generic_error_t *e;
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3); /* xcb closes what it sends */

    if (copy < 0)
        return -1;
    b->seg = xcb_generate_id(a->xc);
    e = xcb_request_check(a->xc, xcb_shm_attach_fd_checked(a->xc, b->seg, copy, 0));
    if (e) {
        free(e);
        b->seg = 0;
        return -1;
    }
    b->pixmap = xcb_generate_id(a->xc);
    e = xcb_request_check(a->xc, xcb_shm_create_pixmap_checked(
                                     a->xc, b->pixmap, (xcb_drawable_t)w->id, (uint16_t)b->width,
                                     (uint16_t)b->height, (uint8_t)w->depth, b->seg, 0));
    if (e) {
        free(e);
        b->pixmap = 0;
    }
    return 0;
}

/* Our own memfd of the buffer's size, attached to the X server. */
static int attach_private(struct agent *a, struct awin *w, struct abuf *b)
{
    int fd = memfd_create("gui-agent-copy", MFD_CLOEXEC);
    void *p = MAP_FAILED;

    if (fd >= 0 && ftruncate(fd, (off_t)b->shm.bytes) == 0)
        p = mmap(NULL, b->shm.bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED || attach_fd(a, w, b, fd) < 0) {
        if (p != MAP_FAILED)
            munmap(p, b->shm.bytes);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd); /* the mapping and the X server's copy keep it */
    b->priv = p;
    return 0;
}

static void attach(struct agent *a, struct awin *w, struct abuf *b)
{
    if (a->path == COPY_DIRECT && a->buf_kind == GUI_BUF_GRANT)
        path_down(a, COPY_PRIVATE, "X servers cannot attach grant pages");
    if (a->path == COPY_DIRECT) {
        if (attach_fd(a, w, b, b->shm.fd) == 0)
            return;
        path_down(a, COPY_PRIVATE, "the X server refused the buffer's descriptor");
    }
    if (a->path == COPY_PRIVATE) {
        if (attach_private(a, w, b) == 0)
            return;
        path_down(a, COPY_GETIMAGE, "the X server refused a private descriptor");
    }
}

static void buffer_free(struct agent *a, struct abuf *b)
{
    if (b->zero) {
        /* the module's memory: we only drop our hold on it (its grants go
         * when the last descriptor of each allocation closes) */
        for (unsigned i = 1; i < b->slots; i++)
            close(b->slot_fds[i - 1]);
        close(b->shm.fd);
        free(b->shm.refs);
        free(b);
        return;
    }
    if (b->pixmap)
        xcb_free_pixmap(a->xc, b->pixmap);
    if (b->seg)
        xcb_shm_detach(a->xc, b->seg);
    if (b->priv)
        munmap(b->priv, b->shm.bytes);
    shm_export_destroy(&b->shm);
    free(b);
}

int buffers_update(struct agent *a, struct awin *w)
{
    struct abuf *b, *cur = w->nbufs ? w->bufs[w->nbufs - 1] : NULL;
    uint32_t stride = w->width * 4;
    size_t bytes = ((size_t)stride * w->height + SHM_PAGE_SIZE - 1) / SHM_PAGE_SIZE * SHM_PAGE_SIZE;
    int r;

    if (w->nbufs == AGENT_MAX_PENDING_BUFFERS) {
        agent_fail(a, "the daemon does not acknowledge window buffers");
        return -1;
    }
    if (w->depth != 24 && w->depth != 32) {
        log_warnx("window 0x%lx has depth %u: not shown", w->id, w->depth);
        return -1;
    }
    b = calloc(1, sizeof(*b));
    if (!b) {
        agent_fail(a, "out of memory");
        return -1;
    }
    b->slots = 1;
    /* Composite gave the window a new pixmap when it was mapped or resized:
     * ask which; the same one as before needs no new buffer */
    r = zero_buffer(a, w, b, cur && cur->zero ? cur->serial : 0);
    if (r == 1 ||
        (r < 0 && cur && !cur->zero && cur->width == w->width && cur->height == w->height)) {
        free(b);
        return 0;
    }
    if (r < 0) {
        r = shm_export_create(&b->shm, (enum shm_kind)a->buf_kind, a->gui_domid, bytes);
        if (r < 0) {
            log_warnx("cannot share a %ux%u buffer for window 0x%lx: %s", w->width, w->height,
                      w->id, strerror(-r));
            free(b);
            return -1;
        }
        b->width = w->width, b->height = w->height, b->stride = stride;
        attach(a, w, b);
    }

    uint32_t len = GUI_BUFFER_FIXED + 4 * b->shm.nrefs;
    uint32_t *body = malloc(len);
    if (!body) {
        buffer_free(a, b);
        agent_fail(a, "out of memory");
        return -1;
    }
    body[0] = a->buf_kind, body[1] = b->width, body[2] = b->height, body[3] = b->stride;
    body[4] = b->shm.nrefs;
    memcpy(body + 5, b->shm.refs, 4 * (size_t)b->shm.nrefs);
    w->bufs[w->nbufs++] = b;
    /* frames of the old buffer: the daemon drops them with the buffer */
    frames_forget(a, w);
    agent_send(a, GUI_BUFFER, (uint32_t)w->id, body, len);
    free(body);
    return 1;
}

void buffers_ack(struct agent *a, struct awin *w)
{
    (void)a;
    if (w->acked >= w->nbufs) {
        log_warnx("an acknowledgement of no buffer for window 0x%lx", w->id);
        return;
    }
    /* bufs[acked] is the one the daemon just took: every older one is free */
    unsigned k = w->acked;
    for (unsigned i = 0; i < k; i++)
        buffer_free(a, w->bufs[i]);
    memmove(w->bufs, w->bufs + k, (w->nbufs - k) * sizeof(w->bufs[0]));
    w->nbufs -= k;
    w->acked = 1;
}

void buffers_free_all(struct agent *a, struct awin *w)
{
    frames_forget(a, w);
    for (unsigned i = 0; i < w->nbufs; i++)
        buffer_free(a, w->bufs[i]);
    w->nbufs = w->acked = 0;
}

/* The slow way: the pixels through the X socket, then into the buffer. */
static void copy_getimage(struct agent *a, struct awin *w, struct abuf *b, const struct gui_rect *r)
{
    XImage *img = XGetImage(a->dpy, w->id, r->x, r->y, r->width, r->height, AllPlanes, ZPixmap);

    if (!img)
        return; /* the window went away meanwhile */
    if (img->bits_per_pixel == 32 && (uint32_t)img->width == r->width &&
        (uint32_t)img->height == r->height) {
        uint8_t *dst = (uint8_t *)b->shm.addr + (size_t)r->y * b->stride + (size_t)r->x * 4;
        for (uint32_t y = 0; y < r->height; y++)
            memcpy(dst + (size_t)y * b->stride, img->data + (size_t)y * img->bytes_per_line,
                   (size_t)r->width * 4);
    }
    XDestroyImage(img);
}

void buffers_copy(struct agent *a, struct awin *w, const struct gui_rect *r)
{
    struct abuf *b = w->bufs[w->nbufs - 1];

    if (!b->pixmap)
        return copy_getimage(a, w, b, r);
    XGCValues v = {.subwindow_mode = IncludeInferiors, .graphics_exposures = False};
    GC gc = XCreateGC(a->dpy, b->pixmap, GCSubwindowMode | GCGraphicsExposures, &v);
    XCopyArea(a->dpy, w->id, b->pixmap, gc, r->x, r->y, r->width, r->height, r->x, r->y);
    XFreeGC(a->dpy, gc);
}

void buffers_copied(struct agent *a, struct awin *w, const struct gui_rect *r)
{
    struct abuf *b = w->bufs[w->nbufs - 1];
    size_t off = (size_t)r->y * b->stride + (size_t)r->x * 4;

    (void)a;
    if (!b->priv)
        return;
    /* the private path's second copy: our memfd into the shared pages */
    for (uint32_t y = 0; y < r->height; y++)
        memcpy((uint8_t *)b->shm.addr + off + (size_t)y * b->stride,
               (const uint8_t *)b->priv + off + (size_t)y * b->stride, (size_t)r->width * 4);
}
