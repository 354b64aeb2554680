/* gui-agent: the qube's screen made as large as dom0's, so that windows
 * placed anywhere on dom0's screen exist at the same place in the qube.
 * RandR does it where the server lets it (Xorg's dummy driver, Xvfb up to
 * the size it started with); a refusal is logged and the session goes on. */
#include "vm-agent/gui/agent.h"

#include "lib/log.h"

#include <X11/extensions/Xrandr.h>

void screen_init(struct agent *a)
{
    int ev, err;

    a->have_randr = XRRQueryExtension(a->dpy, &ev, &err);
}

void screen_resize(struct agent *a, const struct gui_screen *s)
{
    int minw, minh, maxw, maxh;
    int scr = DefaultScreen(a->dpy);

    if ((unsigned)DisplayWidth(a->dpy, scr) == s->width &&
        (unsigned)DisplayHeight(a->dpy, scr) == s->height)
        return;
    if (!a->have_randr || !XRRGetScreenSizeRange(a->dpy, a->root, &minw, &minh, &maxw, &maxh) ||
        s->width < (unsigned)minw || s->width > (unsigned)maxw || s->height < (unsigned)minh ||
        s->height > (unsigned)maxh) {
        log_info("cannot make the qube's screen %ux%u (dom0's); it stays %dx%d", s->width,
                 s->height, DisplayWidth(a->dpy, scr), DisplayHeight(a->dpy, scr));
        return;
    }
    /* keep the physical size's proportion: 96 dpi */
    XRRSetScreenSize(a->dpy, a->root, (int)s->width, (int)s->height, (int)(s->width * 254 / 960),
                     (int)(s->height * 254 / 960));
    log_info("qube screen resized to %ux%u", s->width, s->height);
}
