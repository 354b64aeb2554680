/* gui-agent: window pixels into memory shared with dom0.
 *
 * Each buffer is exported with lib/shm (a sealed memfd on the local
 * backend, gntalloc pages on Xen) and also attached to the qube's X server
 * with MIT-SHM descriptor passing, as the storage of an MIT-SHM pixmap: the
 * X server itself copies a damaged rectangle from the window (Composite's
 * offscreen copy) into the shared memory with one CopyArea. That is the
 * only copy on this side. If the X server cannot attach the descriptor, the
 * fallback reads the rectangle with GetImage and copies it in (one more
 * copy, through the X socket); that is logged once.
 *
 * A buffer stays until the daemon has taken the next one of its window
 * (GUI_BUFFER_ACK) or the window is gone. */
#include "vm-agent/gui/agent.h"

#include "lib/log.h"

#include <X11/Xutil.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xcb/shm.h>

void buffers_init(struct agent *a)
{
    xcb_shm_query_version_reply_t *v =
        xcb_shm_query_version_reply(a->xc, xcb_shm_query_version(a->xc), NULL);

    /* descriptor passing is MIT-SHM 1.2 */
    a->shm_fd_ok = v && v->shared_pixmaps &&
                   (v->major_version > 1 || (v->major_version == 1 && v->minor_version >= 2));
    free(v);
    if (!a->shm_fd_ok)
        log_info("the X server cannot attach shared memory descriptors: copying window "
                 "contents with GetImage");
}

static void attach_fallback(struct agent *a, const char *why)
{
    if (!a->fallback_logged)
        log_warnx("MIT-SHM descriptor attach failed (%s): copying window contents with "
                  "GetImage from now on (one more copy per frame)",
                  why);
    a->fallback_logged = true;
    a->shm_fd_ok = false;
}

/* The MIT-SHM segment and pixmap over the buffer, if the server takes it. */
static void attach(struct agent *a, struct awin *w, struct abuf *b)
{
    xcb_generic_error_t *e;
    int fd;

    if (!a->shm_fd_ok)
        return;
    /* xcb sends the descriptor and closes it: give it a copy */
    fd = fcntl(b->shm.fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return attach_fallback(a, "dup");
    b->seg = xcb_generate_id(a->xc);
    e = xcb_request_check(a->xc, xcb_shm_attach_fd_checked(a->xc, b->seg, fd, 0));
    if (e) {
        free(e);
        b->seg = 0;
        return attach_fallback(a, "ShmAttachFd refused");
    }
    b->pixmap = xcb_generate_id(a->xc);
    e = xcb_request_check(a->xc, xcb_shm_create_pixmap_checked(
                                     a->xc, b->pixmap, (xcb_drawable_t)w->id, (uint16_t)b->width,
                                     (uint16_t)b->height, (uint8_t)w->depth, b->seg, 0));
    if (e) {
        /* the window may be gone, or of a depth a pixmap cannot have:
         * this buffer is copied the slow way */
        free(e);
        b->pixmap = 0;
    }
}

static void buffer_free(struct agent *a, struct abuf *b)
{
    if (b->pixmap)
        xcb_free_pixmap(a->xc, b->pixmap);
    if (b->seg)
        xcb_shm_detach(a->xc, b->seg);
    shm_export_destroy(&b->shm);
    free(b);
}

int buffers_new(struct agent *a, struct awin *w)
{
    struct abuf *b;
    uint32_t stride = w->width * 4;
    size_t bytes = ((size_t)stride * w->height + SHM_PAGE_SIZE - 1) / SHM_PAGE_SIZE * SHM_PAGE_SIZE;

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
    int r = shm_export_create(&b->shm, (enum shm_kind)a->buf_kind, a->gui_domid, bytes);
    if (r < 0) {
        log_warnx("cannot share a %ux%u buffer for window 0x%lx: %s", w->width, w->height, w->id,
                  strerror(-r));
        free(b);
        return -1;
    }
    b->width = w->width, b->height = w->height, b->stride = stride;
    attach(a, w, b);

    uint32_t len = GUI_BUFFER_FIXED + 4 * b->shm.nrefs;
    uint32_t *body = malloc(len);
    if (!body) {
        buffer_free(a, b);
        agent_fail(a, "out of memory");
        return -1;
    }
    body[0] = a->buf_kind, body[1] = b->width, body[2] = b->height, body[3] = stride;
    body[4] = b->shm.nrefs;
    memcpy(body + 5, b->shm.refs, 4 * (size_t)b->shm.nrefs);
    w->bufs[w->nbufs++] = b;
    agent_send(a, GUI_BUFFER, (uint32_t)w->id, body, len);
    free(body);
    return 0;
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
