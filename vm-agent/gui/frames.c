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
 * one slot nobody reads to draw in; GUI_FRAME_DONE releases a slot. */
#include "vm-agent/gui/agent.h"

#include <string.h>

static unsigned frames_max(const struct abuf *b)
{
    return b->slots - 1 < GUI_FRAMES_OUT ? b->slots - 1 : GUI_FRAMES_OUT;
}

bool frames_room(const struct awin *w, const struct abuf *b)
{
    return w->nout < frames_max(b);
}

bool frames_take(struct agent *a, struct awin *w, struct abuf *b, const struct gui_rect *r)
{
    if (!frames_room(w, b) || zero_lock(a, w->id, b->serial) < 0)
        return false;
    w->out[w->nout++] = (struct aframe){
        .seq = ++w->frame_seq, .serial = b->serial, .ticket = a->next_ticket - 1, .rect = *r};
    return true;
}

void frames_locked(struct agent *a, Window win, uint64_t serial, uint64_t ticket, int status,
                   uint32_t slot)
{
    struct awin *w = windows_find(a, win);
    unsigned i = 0;

    while (w && i < w->nout && w->out[i].ticket != ticket)
        i++;
    if (!w || i == w->nout) {
        /* the window or its buffer went meanwhile: nobody reads the slot */
        if (status == 0)
            zero_release(a, win, serial, slot);
        return;
    }
    if (status < 0) {
        /* -ESTALE: another pixmap, whose new buffer shows the window whole */
        memmove(w->out + i, w->out + i + 1, (w->nout - i - 1) * sizeof(w->out[0]));
        w->nout--;
        return;
    }
    struct aframe *f = &w->out[i];
    struct gui_frame m = {.seq = f->seq, .slot = slot, .rect = f->rect};
    f->slot = slot;
    f->locked = true;
    agent_send(a, GUI_FRAME, (uint32_t)w->id, &m, sizeof(m));
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
    /* locks still asked for are released when their answer comes */
    for (unsigned i = 0; i < w->nout; i++)
        if (w->out[i].locked)
            zero_release(a, w->id, w->out[i].serial, w->out[i].slot);
    w->nout = 0;
}
