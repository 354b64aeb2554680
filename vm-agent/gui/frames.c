/* gui-agent: frames of windows whose pixmap has several slots (zero path,
 * protocol 1.1; docs/gui-agent.md "Frames", docs/xorg-module.md "Frames").
 *
 * A window's damage box becomes a frame: the module is asked to lock the
 * slot the window is drawn in now (the question is not waited for: the X
 * server answers between its clients' requests, which under a client
 * drawing flat out takes a frame's time or more), and when it answers the
 * box goes to dom0 as GUI_FRAME {seq, slot, box}. Damage read after the
 * question waits for the next frame (what was drawn between the question
 * and the lock is in the slot too, and is sent again then: harmless).
 * A window has at most GUI_FRAMES_OUT frames asked for or out, and always
 * one slot nobody reads to draw in; GUI_FRAME_DONE releases a slot.
 *
 * A drawing that overwrites the whole window (a video frame, a GL buffer
 * swap) is locked by the module itself as it happens (XORG_SHM_FRAME): no
 * frame is drawn over while its damage event travels to us. Its damage
 * event still comes and asks for a lock: the module's count of drawings
 * in its answer tells whether anything was drawn since the last frame
 * sent; if not, that frame shows it all and the lock is released unsent. */
#include "vm-agent/gui/agent.h"
#include "vm-agent/xorg/xorg_shm_proto.h"

#include <string.h>

static unsigned frames_max(const struct abuf *b)
{
    return b->slots - 1 < GUI_FRAMES_OUT ? b->slots - 1 : GUI_FRAMES_OUT;
}

static bool frames_room(const struct awin *w, const struct abuf *b)
{
    return w->nout < frames_max(b);
}

bool frames_take(struct agent *a, struct awin *w, struct abuf *b, const struct gui_rect *r)
{
    uint64_t ticket;

    if (!frames_room(w, b) || zero_lock(a, w->id, b->serial, &ticket) < 0)
        return false;
    w->out[w->nout++] =
        (struct aframe){.seq = ++w->frame_seq, .serial = b->serial, .ticket = ticket, .rect = *r};
    return true;
}

static void send_frame(struct agent *a, struct awin *w, const struct abuf *b, struct aframe *f,
                       uint64_t draws)
{
    struct gui_frame m = {.seq = f->seq, .slot = f->slot, .rect = f->rect};

    f->locked = true;
    /* only a whole-window frame shows everything drawn so far: a partial
     * one shows its box, and a later lock with the same count may still
     * have another box to send */
    if (f->rect.x == 0 && f->rect.y == 0 && f->rect.width == b->width &&
        f->rect.height == b->height) {
        w->sent_draws = draws;
        w->sent_whole = true;
    }
    agent_send(a, GUI_FRAME, (uint32_t)w->id, &m, sizeof(m));
}

/* A lock whose count says nothing was drawn since the last whole-window
 * frame of this pixmap sent: that frame shows it all. Before any, even a
 * count of 0 is news (what the pixmap held when shared, drawn before the
 * module counted). */
static bool redundant(const struct awin *w, uint64_t draws)
{
    return w->sent_whole && draws <= w->sent_draws;
}

void frames_pushed(struct agent *a, const struct xorg_shm_reply *rp)
{
    struct awin *w = windows_find(a, rp->window);
    struct abuf *b = w && w->nbufs ? w->bufs[w->nbufs - 1] : NULL;

    /* gone, another pixmap, nothing new, or no room: nobody reads it */
    if (!b || !b->zero || b->serial != rp->serial || redundant(w, rp->draws) ||
        w->nout == GUI_MAX_SLOTS) {
        zero_release(a, rp->window, rp->serial, rp->slot);
        return;
    }
    /* the whole window as it is (its damage events still come: see
     * frames_locked for what they turn into) */
    struct aframe *f = &w->out[w->nout++];
    *f = (struct aframe){.seq = ++w->frame_seq,
                         .slot = rp->slot,
                         .serial = rp->serial,
                         .rect = {0, 0, b->width, b->height}};
    send_frame(a, w, b, f, rp->draws);
}

void frames_locked(struct agent *a, Window win, uint64_t serial, uint64_t ticket,
                   const struct xorg_shm_reply *rp)
{
    struct awin *w = windows_find(a, win);
    unsigned i = 0;

    while (w && i < w->nout && w->out[i].ticket != ticket)
        i++;
    if (!w || i == w->nout) {
        /* the window or its buffer went meanwhile: nobody reads the slot */
        if (rp->status == 0)
            zero_release(a, win, serial, rp->slot);
        return;
    }
    /* -ESTALE: another pixmap, whose new buffer shows the window whole;
     * nothing drawn since the last whole-window frame: that one shows it */
    if (rp->status < 0 || redundant(w, rp->draws)) {
        if (rp->status == 0)
            zero_release(a, win, serial, rp->slot);
        memmove(w->out + i, w->out + i + 1, (w->nout - i - 1) * sizeof(w->out[0]));
        w->nout--;
        return;
    }
    w->out[i].slot = rp->slot;
    send_frame(a, w, w->bufs[w->nbufs - 1], &w->out[i], rp->draws);
}

void frames_done(struct agent *a, struct awin *w, const struct gui_frame_done *d)
{
    /* a frame of a buffer replaced since is nobody's any more */
    for (unsigned i = 0; i < w->nout; i++) {
        if (!w->out[i].locked || w->out[i].seq != d->seq || w->out[i].slot != d->slot)
            continue;
        zero_release(a, w->id, w->out[i].serial, w->out[i].slot);
        memmove(w->out + i, w->out + i + 1, (w->nout - i - 1) * sizeof(w->out[0]));
        w->nout--;
        return;
    }
}

void frames_forget(struct agent *a, struct awin *w)
{
    w->sent_draws = 0; /* a new pixmap counts from 0 */
    w->sent_whole = false;
    /* locks still asked for are released when their answer comes */
    for (unsigned i = 0; i < w->nout; i++)
        if (w->out[i].locked)
            zero_release(a, w->id, w->out[i].serial, w->out[i].slot);
    w->nout = 0;
}
