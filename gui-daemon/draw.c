/* Window buffers and drawing. A GUI_BUFFER is mapped with lib/shm and made
 * visible to dom0's X server through MIT-SHM:
 *  - MEMFD: the imported memfd itself is attached (xcb_shm_attach_fd, read
 *    only); a damaged rectangle is one XShmPutImage, the only copy (done by
 *    the X server).
 *  - GRANT (or BULKHEAD_GUI_FORCE_COPY=1, or an X server refusing the
 *    qube's memfd): the mapping cannot be handed to X, so the damaged
 *    rectangle is first copied into our own memfd segment attached to X:
 *    two copies. Two such segments, used in turn with two puts in flight,
 *    so our copy of one frame overlaps X's put of the one before.
 *  - an X server without MIT-SHM descriptor passing: plain PutImage
 *    requests (the pixels travel through the X socket).
 * A buffer has 1 to GUI_MAX_SLOTS slots (protocol 1.1), each mapped and attached
 * on its own (the copy segments serve all: the copy is made at put time).
 * GUI_DAMAGE draws from slot 0; GUI_FRAME from its slot, and is answered
 * with GUI_FRAME_DONE once no put in flight or held reads that slot (the
 * rules in frames.c); exposes repaint from the slot shown last.
 * The frame (the label colour) is painted on every expose (a resize
 * exposes the whole window); content sits at (B, B). Our windows have no
 * background, so X never clears the content before we repaint it. */
#include "gui-daemon/daemon.h"

#include "lib/log.h"
#include "lib/vchan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define B             GUI_FRAME_WIDTH
#define PUT_IMAGE_MAX (128u << 10) /* bytes per plain PutImage request */

static xcb_gcontext_t gc_black, gc_label;
static uint8_t shm_major; /* MIT-SHM's request code, to know its errors */

void draw_init(struct gui_daemon *d)
{
    xcb_shm_query_version_reply_t *v =
        xcb_shm_query_version_reply(d->x, xcb_shm_query_version(d->x), NULL);

    /* descriptor passing came with MIT-SHM 1.2 */
    d->shm_fd_ok = v && (v->major_version > 1 || (v->major_version == 1 && v->minor_version >= 2));
    free(v);
    if (!d->shm_fd_ok)
        log_warnx("the X server has no MIT-SHM 1.2: window contents go through the X socket");
    const xcb_query_extension_reply_t *ext = xcb_get_extension_data(d->x, &xcb_shm_id);
    d->shm_event = ext && ext->present ? ext->first_event : 0;
    shm_major = ext && ext->present ? ext->major_opcode : 0;
    gc_black = xcb_generate_id(d->x);
    xcb_create_gc(d->x, gc_black, d->screen->root, XCB_GC_FOREGROUND | XCB_GC_GRAPHICS_EXPOSURES,
                  (uint32_t[]){d->screen->black_pixel, 0});
    /* TrueColor 24-bit (checked at start): the pixel is 0xRRGGBB itself */
    gc_label = xcb_generate_id(d->x);
    xcb_create_gc(d->x, gc_label, d->screen->root, XCB_GC_FOREGROUND | XCB_GC_GRAPHICS_EXPOSURES,
                  (uint32_t[]){d->opt.label_color, 0});
}

/* Attaches fd (a duplicate: xcb closes what it sends) read-only to X. */
static int attach(struct gui_daemon *d, int fd, bool read_only, xcb_shm_seg_t *seg)
{
    xcb_generic_error_t *err;
    int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);

    if (dup_fd < 0)
        return -errno;
    *seg = xcb_generate_id(d->x);
    err = xcb_request_check(d->x, xcb_shm_attach_fd_checked(d->x, *seg, dup_fd, read_only));
    if (err) {
        log_warnx("the X server refused a shared-memory segment (X error %u)", err->error_code);
        free(err);
        *seg = 0;
        return -EIO;
    }
    return 0;
}

/* Copy segment i of b: a memfd of one slot's size, mapped and attached. */
static int copy_segment(struct gui_daemon *d, struct gui_buf *b, uint32_t i)
{
    int fd = memfd_create("gui-daemon-copy", MFD_CLOEXEC);
    int rc;

    if (fd < 0)
        return -errno;
    if (ftruncate(fd, (off_t)b->im[0].bytes) < 0) {
        close(fd);
        return -errno;
    }
    b->copy_addr[i] = mmap(NULL, b->im[0].bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (b->copy_addr[i] == MAP_FAILED) {
        b->copy_addr[i] = NULL;
        close(fd);
        return -errno;
    }
    b->copy_bytes = b->im[0].bytes;
    rc = attach(d, fd, true, &b->copy_seg[i]);
    close(fd);
    return rc;
}

static void detach_slots(struct gui_daemon *d, struct gui_buf *b)
{
    for (uint32_t s = 0; s < GUI_MAX_SLOTS; s++) {
        if (b->seg[s])
            xcb_shm_detach(d->x, b->seg[s]);
        b->seg[s] = 0;
    }
}

/* Each slot's memfd attached to X as it is; 0, or nothing attached. */
static int attach_slots(struct gui_daemon *d, struct gui_buf *b)
{
    for (uint32_t s = 0; s < b->slots; s++) {
        if (attach(d, b->im[s].fd, true, &b->seg[s]) < 0) {
            detach_slots(d, b);
            return -EIO;
        }
    }
    return 0;
}

void draw_buffer_free(struct gui_daemon *d, struct gui_buf *b)
{
    if (!b->valid)
        return;
    d->buf_bytes -= b->bytes;
    detach_slots(d, b);
    for (uint32_t i = 0; i < GUI_COPY_DEPTH; i++) {
        if (b->copy_seg[i])
            xcb_shm_detach(d->x, b->copy_seg[i]);
        if (b->copy_addr[i])
            munmap(b->copy_addr[i], b->copy_bytes);
    }
    for (uint32_t s = 0; s < b->slots; s++)
        shm_import_unmap(&b->im[s]);
    memset(b, 0, sizeof(*b));
}

void draw_buffer(struct gui_daemon *d, struct gui_window *w, const struct gui_buffer *untrusted_b)
{
    static bool said_copy;
    struct gui_buf nb = {0};
    enum shm_kind kind = shm_kind_for_import();
    uint32_t *refs;
    uint64_t bytes;

    /* sanitize start: the parser checked sizes, stride, the count of
     * references and of slots (1..GUI_MAX_SLOTS); the kind must be the one
     * this side imports, and all slots count against the limit */
    if (untrusted_b->kind != (kind == SHM_GRANT ? GUI_BUF_GRANT : GUI_BUF_MEMFD))
        protocol_error(d, "GUI_BUFFER of kind %u for window 0x%x; we import kind %u",
                       untrusted_b->kind, w->id, kind == SHM_GRANT ? GUI_BUF_GRANT : GUI_BUF_MEMFD);
    bytes = untrusted_b->bytes * untrusted_b->slots;
    if (d->buf_bytes - w->buf.bytes + bytes > GUI_BUFFERS_MAX_BYTES)
        protocol_error(d, "GUI_BUFFER for window 0x%x: buffers of more than %llu MiB in all", w->id,
                       GUI_BUFFERS_MAX_BYTES >> 20);
    refs = malloc(sizeof(*refs) * untrusted_b->nrefs);
    if (!refs)
        fatal("malloc");
    for (uint32_t i = 0; i < untrusted_b->nrefs; i++)
        refs[i] = gui_buffer_ref(untrusted_b, i);
    if (!d->peer_pid)
        d->peer_pid = vchan_peer_pid(d->vchan);
    /* shm checks what the references name, slot by slot: sealed memfd
     * large enough, or grants that map */
    for (uint32_t s = 0; s < untrusted_b->slots; s++) {
        int rc = shm_import_map(&nb.im[s], kind, d->opt.domid, d->peer_pid > 0 ? d->peer_pid : 0,
                                refs + (size_t)s * untrusted_b->refs_per_slot,
                                untrusted_b->refs_per_slot, (size_t)untrusted_b->bytes);
        if (rc < 0) {
            free(refs);
            protocol_error(d, "GUI_BUFFER for window 0x%x: slot %u cannot be mapped: %s", w->id, s,
                           strerror(-rc));
        }
        nb.slots = s + 1;
    }
    free(refs);
    nb.valid = true;
    nb.width = untrusted_b->width;
    nb.height = untrusted_b->height;
    nb.stride = untrusted_b->stride;
    nb.bytes = bytes;
    /* sanitize end */
    if (d->shm_fd_ok) {
        if (kind == SHM_MEMFD && !d->force_copy && attach_slots(d, &nb) == 0) {
            nb.copy = false;
        } else {
            nb.copy = true;
            /* no more copy memory than the slots the limit counted */
            nb.copy_segs = nb.slots < GUI_COPY_DEPTH ? nb.slots : GUI_COPY_DEPTH;
            for (uint32_t i = 0; i < nb.copy_segs; i++)
                if (copy_segment(d, &nb, i) < 0)
                    fatalx("cannot attach a shared-memory segment to the X server");
            if (!said_copy)
                log_info("drawing through a copy of each damaged rectangle (%s)",
                         kind == SHM_GRANT ? "grant mapping" : "memfd, copy path");
            said_copy = true;
        }
    }
    draw_buffer_free(d, &w->buf);
    w->buf = nb;
    /* the held box and unanswered frames are of the old buffer; the agent
     * forgets those frames and damages the new buffer whole */
    frames_new_buffer(&w->frames, nb.copy ? nb.copy_segs : 1);
    d->buf_bytes += nb.bytes;
}

/* Sends the GUI_FRAME_DONEs the last change made due. */
static void answer_due(struct gui_daemon *d, struct gui_window *w)
{
    struct gui_frame_done due[GUI_FRAMES_MAX];
    uint32_t n = frames_due(&w->frames, due);

    for (uint32_t i = 0; i < n; i++)
        gui_send(d, GUI_FRAME_DONE, w->id, &due[i], sizeof(due[i]));
}

/* Shows rows/columns [sx, sx+sw) x [sy, sy+sh) of a slot, already inside
 * both the buffer and the window's content, now. */
static void put_now(struct gui_daemon *d, struct gui_window *w, uint32_t slot, uint32_t sx,
                    uint32_t sy, uint32_t sw, uint32_t sh)
{
    struct gui_buf *b = &w->buf;
    const uint8_t *src;
    xcb_shm_seg_t seg;

    if (slot >= b->slots)
        slot = 0; /* cannot happen: frames.c only names slots of this buffer */
    src = b->im[slot].addr;
    seg = b->seg[slot];

    /* frames.c lets at most copy_segs puts out and they complete in order:
     * the segment taken in turn is not read by one in flight */
    if (b->copy && b->copy_addr[b->copy_next]) {
        uint8_t *dst = b->copy_addr[b->copy_next];
        /* the put before this one goes to X now, to be copied there while
         * we copy this one, not after */
        xcb_flush(d->x);
        for (uint32_t row = sy; row < sy + sh; row++) {
            size_t off = (size_t)row * b->stride + (size_t)sx * 4;
            memcpy(dst + off, src + off, (size_t)sw * 4);
        }
        seg = b->copy_seg[b->copy_next];
        b->copy_next = (b->copy_next + 1) % b->copy_segs;
    }
    if (seg) {
        xcb_void_cookie_t c = xcb_shm_put_image(
            d->x, w->xid, d->gc, (uint16_t)(b->stride / 4), (uint16_t)b->height, (uint16_t)sx,
            (uint16_t)sy, (uint16_t)sw, (uint16_t)sh, (int16_t)(sx + B), (int16_t)(sy + B),
            d->screen->root_depth, XCB_IMAGE_FORMAT_Z_PIXMAP, d->shm_event ? 1 : 0, seg, 0);
        /* on the copy path the slot was read by the memcpy above: the X
         * server reads only our copy */
        frames_sent(&w->frames, slot, d->shm_event != 0, !b->copy);
        /* its sequence, to know the put an X error answers instead */
        if (d->shm_event && w->nputs < GUI_COPY_DEPTH)
            w->put_seq[w->nputs++] = c.sequence;
        return;
    }
    /* no MIT-SHM: rows through the socket, a few at a time; done once sent */
    uint32_t rows = PUT_IMAGE_MAX / ((size_t)sw * 4);
    uint8_t *tmp;
    if (rows == 0)
        rows = 1;
    tmp = malloc((size_t)sw * 4 * rows);
    if (!tmp)
        fatal("malloc");
    for (uint32_t y = sy; y < sy + sh; y += rows) {
        uint32_t n = sy + sh - y < rows ? sy + sh - y : rows;
        for (uint32_t i = 0; i < n; i++)
            memcpy(tmp + (size_t)i * sw * 4, src + (size_t)(y + i) * b->stride + (size_t)sx * 4,
                   (size_t)sw * 4);
        xcb_put_image(d->x, XCB_IMAGE_FORMAT_Z_PIXMAP, w->xid, d->gc, (uint16_t)sw, (uint16_t)n,
                      (int16_t)(sx + B), (int16_t)(y + B), 0, d->screen->root_depth,
                      (uint32_t)((size_t)sw * 4 * n), tmp);
    }
    free(tmp);
    frames_sent(&w->frames, slot, false, false);
}

/* Puts the rectangle of slot (GUI_EXPOSE_SLOT: the one shown last) now, or
 * holds it while another put of the window is in flight (frames.c). */
static void put_rect(struct gui_daemon *d, struct gui_window *w, uint32_t slot, uint32_t sx,
                     uint32_t sy, uint32_t sw, uint32_t sh)
{
    if (!sw || !sh)
        return;
    if (frames_request(&w->frames, slot, sx, sy, sw, sh, &slot))
        put_now(d, w, slot, sx, sy, sw, sh);
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* The part of a checked rectangle that also lies inside the window: the
 * window may be smaller than its buffer for a moment (a resize). False if
 * nothing is left. */
static bool cut_to_window(const struct gui_window *w, uint32_t x1, uint32_t y1, uint32_t *x2,
                          uint32_t *y2)
{
    *x2 = min_u32(*x2, min_u32(w->buf.width, w->w));
    *y2 = min_u32(*y2, min_u32(w->buf.height, w->h));
    return *x2 > x1 && *y2 > y1;
}

void draw_damage(struct gui_daemon *d, struct gui_window *w, const struct gui_rect *r)
{
    uint32_t x1, y1, x2, y2;

    if (!w->buf.valid)
        protocol_error(d, "GUI_DAMAGE for window 0x%x before any GUI_BUFFER", w->id);
    /* sanitize start */
    if (!gui_rect_inside(r, w->buf.width, w->buf.height))
        protocol_error(d, "GUI_DAMAGE %ux%u+%d+%d outside window 0x%x's %ux%u buffer", r->width,
                       r->height, r->x, r->y, w->id, w->buf.width, w->buf.height);
    x1 = (uint32_t)r->x;
    y1 = (uint32_t)r->y;
    x2 = x1 + r->width;
    y2 = y1 + r->height;
    /* sanitize end */
    if (cut_to_window(w, x1, y1, &x2, &y2))
        put_rect(d, w, 0, x1, y1, x2 - x1, y2 - y1); /* GUI_DAMAGE is slot 0 */
    answer_due(d, w); /* frames of slot 1 a held damage box replaced */
}

void draw_gui_frame(struct gui_daemon *d, struct gui_window *w, const struct gui_frame *untrusted_f)
{
    const struct gui_rect *r = &untrusted_f->rect;
    uint32_t slot, x1, y1, x2, y2;

    /* sanitize start: as GUI_DAMAGE, and the slot must be one of the
     * buffer's (the parser checked it against GUI_MAX_SLOTS) */
    if (!w->buf.valid)
        protocol_error(d, "GUI_FRAME for window 0x%x before any GUI_BUFFER", w->id);
    if (untrusted_f->slot >= w->buf.slots)
        protocol_error(d, "GUI_FRAME of slot %u for window 0x%x, whose buffer has %u slot%s",
                       untrusted_f->slot, w->id, w->buf.slots, w->buf.slots == 1 ? "" : "s");
    if (!gui_rect_inside(r, w->buf.width, w->buf.height))
        protocol_error(d, "GUI_FRAME %ux%u+%d+%d outside window 0x%x's %ux%u buffer", r->width,
                       r->height, r->x, r->y, w->id, w->buf.width, w->buf.height);
    if (frames_add(&w->frames, untrusted_f->seq, untrusted_f->slot) < 0)
        protocol_error(d, "more than %u GUI_FRAMEs of window 0x%x unanswered", GUI_FRAMES_MAX,
                       w->id);
    slot = untrusted_f->slot;
    x1 = (uint32_t)r->x;
    y1 = (uint32_t)r->y;
    x2 = x1 + r->width;
    y2 = y1 + r->height;
    /* sanitize end */
    if (cut_to_window(w, x1, y1, &x2, &y2))
        put_rect(d, w, slot, x1, y1, x2 - x1, y2 - y1);
    answer_due(d, w);
}

/* The frame: four bands of label colour around the content. */
static void draw_border(struct gui_daemon *d, struct gui_window *w)
{
    uint16_t fw = (uint16_t)(w->w + 2 * B), fh = (uint16_t)(w->h + 2 * B);
    xcb_rectangle_t r[4] = {
        {0, 0, fw, B},
        {0, (int16_t)(fh - B), fw, B},
        {0, B, B, (uint16_t)w->h},
        {(int16_t)(fw - B), B, B, (uint16_t)w->h},
    };

    xcb_poly_fill_rectangle(d->x, w->xid, gc_label, 4, r);
}

/* The window whose oldest put in flight was sent as request seq. */
static struct gui_window *window_of_put(struct gui_daemon *d, uint32_t seq)
{
    for (uint32_t i = 0; i < d->nwin; i++)
        if (d->win[i]->nputs && d->win[i]->put_seq[0] == seq)
            return d->win[i];
    return NULL;
}

/* The window whose put ev completes: its ShmCompletion, or the X error that
 * took the place of one, whichever error it is (a put on a window the
 * window manager destroyed gets no completion, and the window's frames
 * would wait forever). Puts complete in the order sent. */
static struct gui_window *completed_put(struct gui_daemon *d, const xcb_generic_event_t *ev,
                                        bool *is_completion)
{
    *is_completion = false;
    if (!d->shm_event)
        return NULL;
    if ((ev->response_type & 0x7f) == d->shm_event + XCB_SHM_COMPLETION) {
        *is_completion = true;
        return windows_find_x(d, ((const xcb_shm_completion_event_t *)ev)->drawable);
    }
    if (ev->response_type == 0) {
        const xcb_generic_error_t *e = (const xcb_generic_error_t *)ev;
        if (e->major_code == shm_major && e->minor_code == XCB_SHM_PUT_IMAGE)
            return window_of_put(d, e->full_sequence);
    }
    return NULL;
}

bool draw_completion(struct gui_daemon *d, const xcb_generic_event_t *ev)
{
    bool is_completion;
    struct gui_window *w = completed_put(d, ev, &is_completion);
    uint32_t slot, x1, y1, x2, y2;

    if (!w)
        return is_completion; /* not ours, or the window is gone */
    if (w->nputs)             /* the oldest put is done */
        memmove(w->put_seq, w->put_seq + 1, --w->nputs * sizeof(w->put_seq[0]));
    /* the held box as it was checked, cut to what the buffer and the window
     * are now (the window may have shrunk since; a new buffer drops it) */
    if (frames_completed(&w->frames, &slot, &x1, &y1, &x2, &y2) && w->buf.valid &&
        cut_to_window(w, x1, y1, &x2, &y2))
        put_rect(d, w, slot, x1, y1, x2 - x1, y2 - y1);
    answer_due(d, w);
    return is_completion; /* an error is logged by input.c as well */
}

void draw_expose(struct gui_daemon *d, struct gui_window *w, int x, int y, int width, int height)
{
    /* the exposed area in content coordinates, cut to the content */
    int64_t cx1 = x - B, cy1 = y - B, cx2 = (int64_t)x + width - B, cy2 = (int64_t)y + height - B;
    uint32_t bw = w->buf.valid ? min_u32(w->buf.width, w->w) : 0;
    uint32_t bh = w->buf.valid ? min_u32(w->buf.height, w->h) : 0;

    if (cx1 < 0)
        cx1 = 0;
    if (cy1 < 0)
        cy1 = 0;
    if (cx2 > w->w)
        cx2 = w->w;
    if (cy2 > w->h)
        cy2 = w->h;
    if (x < B || y < B || (int64_t)x + width > w->w + B || (int64_t)y + height > w->h + B)
        draw_border(d, w);
    if (cx2 <= cx1 || cy2 <= cy1)
        return; /* only frame */
    /* content the buffer does not cover (yet) is black, not label colour */
    if (cx2 > bw || cy2 > bh) {
        xcb_rectangle_t rs[2] = {
            {(int16_t)(B + bw), (int16_t)B, (uint16_t)(w->w - bw), (uint16_t)w->h},
            {(int16_t)B, (int16_t)(B + bh), (uint16_t)bw, (uint16_t)(w->h - bh)},
        };
        xcb_poly_fill_rectangle(d->x, w->xid, gc_black, 2, rs);
    }
    if (cx1 < bw && cy1 < bh)
        put_rect(d, w, GUI_EXPOSE_SLOT, (uint32_t)cx1, (uint32_t)cy1,
                 min_u32((uint32_t)cx2, bw) - (uint32_t)cx1,
                 min_u32((uint32_t)cy2, bh) - (uint32_t)cy1);
}
