/* xsel: X selection pieces shared by qubes-clipboard and gui-agent. */
#include "vm-agent/services/xsel.h"

#include <X11/Xatom.h>
#include <string.h>

void xsel_atoms_init(Display *dpy, struct xsel_atoms *a)
{
    a->clipboard = XInternAtom(dpy, "CLIPBOARD", False);
    a->utf8 = XInternAtom(dpy, "UTF8_STRING", False);
    a->targets = XInternAtom(dpy, "TARGETS", False);
    a->incr = XInternAtom(dpy, "INCR", False);
    a->text = XInternAtom(dpy, "TEXT", False);
    a->timestamp = XInternAtom(dpy, "TIMESTAMP", False);
}

int xsel_take_property(Display *dpy, Window win, Atom prop, char *buf, size_t *len, size_t max,
                       Atom incr, Atom *type)
{
    unsigned long n, after;
    unsigned char *data = NULL;
    int format;

    if (XGetWindowProperty(dpy, win, prop, 0, (long)(max / 4 + 2), True, AnyPropertyType, type,
                           &format, &n, &after, &data) != Success)
        return -1;
    if (*type == incr) {
        XFree(data);
        return 0;
    }
    int r = 0;
    if (after || (format != 8 && n) || n > max - *len)
        r = -1;
    else if (n)
        memcpy(buf + *len, data, n), *len += n;
    XFree(data);
    return r;
}

void xsel_answer(Display *dpy, const struct xsel_atoms *a, const XSelectionRequestEvent *rq,
                 const char *text, size_t len, bool ascii, Time ts)
{
    XSelectionEvent ev = {.type = SelectionNotify,
                          .display = rq->display,
                          .requestor = rq->requestor,
                          .selection = rq->selection,
                          .target = rq->target,
                          .time = rq->time,
                          .property = None};
    Atom prop = rq->property != None ? rq->property : rq->target;
    long max_req =
        XExtendedMaxRequestSize(dpy) ? XExtendedMaxRequestSize(dpy) : XMaxRequestSize(dpy);

    if (rq->target == a->targets) {
        Atom t[] = {a->targets, a->timestamp, a->utf8, a->text, XA_STRING};
        XChangeProperty(dpy, rq->requestor, prop, XA_ATOM, 32, PropModeReplace, (unsigned char *)t,
                        ascii ? 5 : 4);
        ev.property = prop;
    } else if (rq->target == a->timestamp) {
        long v = (long)ts;
        XChangeProperty(dpy, rq->requestor, prop, XA_INTEGER, 32, PropModeReplace,
                        (unsigned char *)&v, 1);
        ev.property = prop;
    } else if ((rq->target == a->utf8 || rq->target == a->text ||
                (rq->target == XA_STRING && ascii)) &&
               (long)len < max_req * 4 - 1024) {
        XChangeProperty(dpy, rq->requestor, prop, rq->target == XA_STRING ? XA_STRING : a->utf8, 8,
                        PropModeReplace, (const unsigned char *)text, (int)len);
        ev.property = prop;
    }
    XSendEvent(dpy, rq->requestor, False, NoEventMask, (XEvent *)&ev);
    XFlush(dpy);
}
