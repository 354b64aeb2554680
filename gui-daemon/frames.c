/* The rules for one window's puts and GUI_FRAME answers, kept apart from X
 * so they can be tested alone (tests/unit/test_gui_daemon.c). draw.c does
 * the puts and sends the answers these functions say are due.
 *
 * Why one put in flight: puts of one window do not queue up in the X
 * server; a qube painting faster than dom0's X server copies costs one copy
 * per copy dom0 can do, not one per frame. The copy path allows two (its
 * depth), each from its own copy segment: the daemon copies frame k+1
 * while the X server puts frame k, instead of each waiting for the other.
 * Why answers wait: the agent
 * draws the next frame into a slot only after GUI_FRAME_DONE for it, so
 * dom0 must be done reading that slot (no put in flight from it, none
 * held for it) before it answers. Every recorded frame is answered exactly
 * once, by frames_due; a new buffer forgets them instead. */
#include "gui-daemon/daemon.h"

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

/* puts that may be in flight at once (a zeroed struct: one) */
static uint32_t limit(const struct gui_frames *f)
{
    return f->depth ? f->depth : 1;
}

bool frames_request(struct gui_frames *f, uint32_t slot, uint32_t x, uint32_t y, uint32_t w,
                    uint32_t h, uint32_t *slot_out)
{
    if (f->busy < limit(f)) {
        *slot_out = slot == GUI_EXPOSE_SLOT ? f->shown_slot : slot;
        return true;
    }
    if (!f->held) {
        f->hx1 = x, f->hy1 = y, f->hx2 = x + w, f->hy2 = y + h;
        f->held = true;
        f->held_slot = slot == GUI_EXPOSE_SLOT ? f->shown_slot : slot;
    } else {
        /* the newest frame's slot holds the whole window as it is now, so
         * the merged box is read from there */
        f->hx1 = min_u32(f->hx1, x);
        f->hy1 = min_u32(f->hy1, y);
        f->hx2 = max_u32(f->hx2, x + w);
        f->hy2 = max_u32(f->hy2, y + h);
        if (slot != GUI_EXPOSE_SLOT)
            f->held_slot = slot;
    }
    return false;
}

void frames_sent(struct gui_frames *f, uint32_t slot, bool async, bool reads_slot)
{
    f->shown_slot = slot;
    if (!async)
        return; /* done as sent: nothing in flight reads anything */
    /* a put that reads a slot is sent only with none in flight (depth 1) */
    f->busy++;
    f->busy_slot = reads_slot ? slot : GUI_NO_SLOT;
}

bool frames_completed(struct gui_frames *f, uint32_t *slot, uint32_t *x1, uint32_t *y1,
                      uint32_t *x2, uint32_t *y2)
{
    if (f->busy)
        f->busy--;
    if (!f->busy)
        f->busy_slot = GUI_NO_SLOT;
    /* puts of an older buffer with a deeper pipeline may still be out */
    if (!f->held || f->busy >= limit(f))
        return false;
    f->held = false;
    *slot = f->held_slot;
    *x1 = f->hx1, *y1 = f->hy1, *x2 = f->hx2, *y2 = f->hy2;
    return true;
}

int frames_add(struct gui_frames *f, uint32_t seq, uint32_t slot)
{
    if (f->n == GUI_FRAMES_MAX)
        return -1;
    f->pending[f->n++] = (struct gui_frame_done){seq, slot};
    return 0;
}

uint32_t frames_due(struct gui_frames *f, struct gui_frame_done *out)
{
    uint32_t kept = 0, due = 0;

    for (uint32_t i = 0; i < f->n; i++) {
        uint32_t s = f->pending[i].slot;
        if ((f->busy && f->busy_slot == s) || (f->held && f->held_slot == s))
            f->pending[kept++] = f->pending[i];
        else
            out[due++] = f->pending[i];
    }
    f->n = kept;
    return due;
}

void frames_new_buffer(struct gui_frames *f, uint32_t depth)
{
    f->depth = depth;
    f->n = 0;
    f->held = false;
    f->busy_slot = GUI_NO_SLOT;
    f->shown_slot = 0;
}
