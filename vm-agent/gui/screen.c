/* gui-agent: the qube's screen made as large as dom0's, so that windows
 * placed anywhere on dom0's screen exist at the same place in the qube. The
 * daemon sends GUI_SCREEN after the handshake and again each time dom0's
 * screen changes size; each time the qube's screen follows.
 *
 * RandR does it where the server lets it: Xorg's dummy driver (a template's
 * X server) up to its video memory; Xvfb keeps its size. A refusal is
 * logged and the session goes on: windows beyond the qube's screen still
 * work, cut on the qube's side. RandR refuses a screen smaller than a CRTC
 * that shows part of it, so such CRTCs are switched off first; then one
 * CRTC shows the whole new screen again, for programs that place windows
 * by monitor. */
#include "vm-agent/gui/agent.h"

#include "lib/log.h"

#include <X11/extensions/Xrandr.h>
#include <stdio.h>
#include <string.h>

void screen_init(struct agent *a)
{
    int ev, err;

    a->have_randr = XRRQueryExtension(a->dpy, &ev, &err);
}

/* The root window's size as the server has it now (Xlib's DisplayWidth is
 * the one at connection). */
static bool root_size(struct agent *a, unsigned *w, unsigned *h)
{
    Window r;
    int x, y;
    unsigned bw, depth;

    return XGetGeometry(a->dpy, a->root, &r, &x, &y, w, h, &bw, &depth);
}

/* A mode of exactly w x h for the output: one the server knows (added to
 * the output if it is not one of its modes yet), or one made for it (60 Hz
 * timings with small blanking: nobody looks at this screen). None if the
 * server refuses. */
static RRMode mode_for(struct agent *a, XRRScreenResources *res, RROutput out, unsigned w,
                       unsigned h)
{
    XRROutputInfo *oi;
    RRMode found = None;
    bool listed = false;
    char name[32];

    for (int j = 0; j < res->nmode && !found; j++)
        if (res->modes[j].width == w && res->modes[j].height == h)
            found = res->modes[j].id;
    if (!found) {
        snprintf(name, sizeof(name), "%ux%u", w, h);
        XRRModeInfo mi = {.width = w,
                          .height = h,
                          .hSyncStart = w + 48,
                          .hSyncEnd = w + 80,
                          .hTotal = w + 160,
                          .vSyncStart = h + 3,
                          .vSyncEnd = h + 8,
                          .vTotal = h + 30,
                          .name = name,
                          .nameLength = (unsigned)strlen(name)};
        mi.dotClock = (unsigned long)mi.hTotal * mi.vTotal * 60;
        found = XRRCreateMode(a->dpy, a->root, &mi);
        if (!found)
            return None;
    }
    oi = XRRGetOutputInfo(a->dpy, res, out);
    for (int i = 0; oi && i < oi->nmode; i++)
        listed |= oi->modes[i] == found;
    if (oi)
        XRRFreeOutputInfo(oi);
    if (!listed)
        XRRAddOutputMode(a->dpy, out, found);
    return found;
}

/* Switches off every CRTC that does not fit in w x h; returns one CRTC and
 * its output to show the new screen with (the first that was on), or
 * None. */
static RRCrtc fit_crtcs(struct agent *a, XRRScreenResources *res, unsigned w, unsigned h,
                        RROutput *out)
{
    RRCrtc keep = None;

    *out = None;
    for (int i = 0; i < res->ncrtc; i++) {
        XRRCrtcInfo *ci = XRRGetCrtcInfo(a->dpy, res, res->crtcs[i]);
        if (!ci)
            continue;
        if (ci->mode && ci->noutput > 0) {
            if (!keep) {
                keep = res->crtcs[i];
                *out = ci->outputs[0];
            }
            if ((long)ci->x + ci->width > (long)w || (long)ci->y + ci->height > (long)h)
                XRRSetCrtcConfig(a->dpy, res, res->crtcs[i], CurrentTime, 0, 0, None, RR_Rotate_0,
                                 NULL, 0);
        }
        XRRFreeCrtcInfo(ci);
    }
    return keep;
}

void screen_resize(struct agent *a, const struct gui_screen *s)
{
    int minw, minh, maxw, maxh;
    unsigned w, h;
    XRRScreenResources *res;
    RROutput out;
    RRCrtc crtc;

    if (!root_size(a, &w, &h) || (w == s->width && h == s->height))
        return;
    if (!a->have_randr || !XRRGetScreenSizeRange(a->dpy, a->root, &minw, &minh, &maxw, &maxh) ||
        s->width < (unsigned)minw || s->width > (unsigned)maxw || s->height < (unsigned)minh ||
        s->height > (unsigned)maxh || !(res = XRRGetScreenResourcesCurrent(a->dpy, a->root))) {
        log_info("cannot make the qube's screen %ux%u (dom0's); it stays %ux%u", s->width,
                 s->height, w, h);
        return;
    }
    crtc = fit_crtcs(a, res, s->width, s->height, &out);
    /* keep the physical size's proportion: 96 dpi */
    XRRSetScreenSize(a->dpy, a->root, (int)s->width, (int)s->height, (int)(s->width * 254 / 960),
                     (int)(s->height * 254 / 960));
    if (crtc) {
        RRMode m = mode_for(a, res, out, s->width, s->height);
        /* a new mode changes the server's configuration time, which the
         * request must name: the resources again */
        XRRFreeScreenResources(res);
        res = XRRGetScreenResourcesCurrent(a->dpy, a->root);
        if (m && res)
            XRRSetCrtcConfig(a->dpy, res, crtc, CurrentTime, 0, 0, m, RR_Rotate_0, &out, 1);
    }
    if (res)
        XRRFreeScreenResources(res);
    if (root_size(a, &w, &h) && w == s->width && h == s->height)
        log_info("qube screen resized to %ux%u", w, h);
    else
        log_info("the X server did not make the qube's screen %ux%u (dom0's); it is %ux%u",
                 s->width, s->height, w, h);
}
