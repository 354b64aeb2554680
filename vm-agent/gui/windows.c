/* gui-agent: which top-level windows the qube has and what they look like,
 * told to the daemon as they change. The qube runs no window manager: the
 * top-level windows are the root window's children. Composite keeps each
 * one's contents in an offscreen pixmap, so a covered window can still be
 * copied; Damage says what changed. The redirection is manual: nobody
 * looks at the qube's own screen, so its X server need not compose it
 * (that halves its work per frame: tests/bench/gui-bench.sh). Input does
 * not depend on it: the server routes events by window geometry. */
#include "vm-agent/gui/agent.h"
#include "vm-agent/gui/props.h"

#include "lib/log.h"

#include <X11/Xatom.h>
#include <X11/Xlib-xcb.h>
#include <X11/Xutil.h>
#include <X11/extensions/Xcomposite.h>
#include <X11/extensions/Xfixes.h>
#include <stdlib.h>
#include <string.h>

void windows_init(struct agent *a)
{
    int ev, err;
    Display *dpy = a->dpy;

    a->root = DefaultRootWindow(dpy);
    a->xc = XGetXCBConnection(dpy);
    if (!XCompositeQueryExtension(dpy, &ev, &err))
        fatalx("the X server has no Composite extension");
    if (!XDamageQueryExtension(dpy, &a->damage_event, &a->damage_error))
        fatalx("the X server has no Damage extension");
    XCompositeRedirectSubwindows(dpy, a->root, CompositeRedirectManual);
    a->have_fixes = XFixesQueryExtension(dpy, &a->fixes_event, &err);
    if (a->have_fixes)
        XFixesSelectCursorInput(dpy, a->root, XFixesDisplayCursorNotifyMask);
    XSelectInput(dpy, a->root, SubstructureNotifyMask);
    a->helper = XCreateSimpleWindow(dpy, a->root, -10, -10, 1, 1, 0, 0, 0);
    XSelectInput(dpy, a->helper, PropertyChangeMask);
    xsel_atoms_init(dpy, &a->sel);
    a->a_net_wm_name = XInternAtom(dpy, "_NET_WM_NAME", False);
    a->a_wm_name = XA_WM_NAME;
    a->a_wm_class = XA_WM_CLASS;
    a->a_wm_normal_hints = XA_WM_NORMAL_HINTS;
    a->a_wm_hints = XA_WM_HINTS;
    a->a_net_wm_state = XInternAtom(dpy, "_NET_WM_STATE", False);
    a->a_fullscreen = XInternAtom(dpy, "_NET_WM_STATE_FULLSCREEN", False);
    a->a_wm_protocols = XInternAtom(dpy, "WM_PROTOCOLS", False);
    a->a_wm_delete = XInternAtom(dpy, "WM_DELETE_WINDOW", False);
    a->a_primary = XA_PRIMARY;
    a->a_paste_prop = XInternAtom(dpy, "BULKHEAD_GUI_CLIPBOARD", False);
    a->a_ts_prop = XInternAtom(dpy, "BULKHEAD_GUI_TIMESTAMP", False);
}

struct awin *windows_find(struct agent *a, Window id)
{
    for (size_t i = 0; i < a->nwins; i++)
        if (a->wins[i]->id == id)
            return a->wins[i];
    return NULL;
}

static unsigned clamp_size(int v, unsigned max)
{
    return v < 1 ? 1 : (unsigned)v > max ? max : (unsigned)v;
}

/* The geometry as the protocol can carry it: X allows larger windows than
 * a GUI buffer; dom0 sees (and gets pixels of) the top-left part. */
static void set_geometry(struct awin *w, int x, int y, int width, int height)
{
    w->x = x;
    w->y = y;
    w->width = clamp_size(width, GUI_MAX_WIDTH);
    w->height = clamp_size(height, GUI_MAX_HEIGHT);
}

static void mark_dirty(struct awin *w, int x0, int y0, int x1, int y1)
{
    if (!w->dirty) {
        w->dx0 = x0, w->dy0 = y0, w->dx1 = x1, w->dy1 = y1;
        w->dirty = true;
        return;
    }
    w->dx0 = x0 < w->dx0 ? x0 : w->dx0;
    w->dy0 = y0 < w->dy0 ? y0 : w->dy0;
    w->dx1 = x1 > w->dx1 ? x1 : w->dx1;
    w->dy1 = y1 > w->dy1 ? y1 : w->dy1;
}

static void send_title(struct agent *a, struct awin *w)
{
    Atom type;
    int format;
    unsigned long n = 0, after;
    unsigned char *data = NULL;

    /* _NET_WM_NAME (UTF-8) first, WM_NAME otherwise; at most
     * GUI_TITLE_MAX bytes, cut before a partial UTF-8 character */
    if (XGetWindowProperty(a->dpy, w->id, a->a_net_wm_name, 0, GUI_TITLE_MAX / 4 + 1, False,
                           a->sel.utf8, &type, &format, &n, &after, &data) != Success ||
        type != a->sel.utf8 || format != 8) {
        if (data)
            XFree(data);
        data = NULL, n = 0;
        if (XGetWindowProperty(a->dpy, w->id, a->a_wm_name, 0, GUI_TITLE_MAX / 4 + 1, False,
                               AnyPropertyType, &type, &format, &n, &after, &data) != Success ||
            format != 8)
            n = 0;
    }
    size_t len = n ? props_title_len(data, n) : 0;
    agent_send(a, GUI_TITLE, (uint32_t)w->id, data, (uint32_t)len);
    if (data)
        XFree(data);
}

static void send_class(struct agent *a, struct awin *w)
{
    struct gui_class c;
    XClassHint h = {0};

    memset(&c, 0, sizeof(c));
    if (XGetClassHint(a->dpy, w->id, &h)) {
        if (h.res_class)
            strncpy(c.res_class, h.res_class, sizeof(c.res_class) - 1);
        if (h.res_name)
            strncpy(c.res_name, h.res_name, sizeof(c.res_name) - 1);
        XFree(h.res_class);
        XFree(h.res_name);
    }
    agent_send(a, GUI_CLASS, (uint32_t)w->id, &c, sizeof(c));
}

static void send_hints(struct agent *a, struct awin *w)
{
    struct gui_hints g;
    XSizeHints sh;
    long supplied;

    memset(&g, 0, sizeof(g));
    if (XGetWMNormalHints(a->dpy, w->id, &sh, &supplied))
        props_hints(&sh, &g);
    agent_send(a, GUI_HINTS, (uint32_t)w->id, &g, sizeof(g));
}

static uint32_t read_flags(struct agent *a, struct awin *w)
{
    uint32_t f = 0;
    Atom type;
    int format;
    unsigned long n = 0, after;
    unsigned char *data = NULL;

    if (XGetWindowProperty(a->dpy, w->id, a->a_net_wm_state, 0, 64, False, XA_ATOM, &type, &format,
                           &n, &after, &data) == Success &&
        type == XA_ATOM && format == 32) {
        for (unsigned long i = 0; i < n; i++)
            if (((Atom *)data)[i] == a->a_fullscreen)
                f |= GUI_FLAG_FULLSCREEN;
    }
    if (data)
        XFree(data);
    XWMHints *h = XGetWMHints(a->dpy, w->id);
    if (h) {
        if (h->flags & XUrgencyHint)
            f |= GUI_FLAG_URGENT;
        XFree(h);
    }
    return f;
}

static void send_flags(struct agent *a, struct awin *w)
{
    uint32_t f = read_flags(a, w);
    struct gui_flags g = {.set = f & ~w->flags, .unset = w->flags & ~f};

    if (g.set || g.unset)
        agent_send(a, GUI_FLAGS, (uint32_t)w->id, &g, sizeof(g));
    w->flags = f;
}

static void send_configure(struct agent *a, struct awin *w)
{
    struct gui_configure c = {.x = w->x,
                              .y = w->y,
                              .width = w->width,
                              .height = w->height,
                              .override_redirect = w->override_redirect};

    agent_send(a, GUI_CONFIGURE, (uint32_t)w->id, &c, sizeof(c));
}

/* Shown: a buffer of the current size, GUI_MAP, then all of it as damage. */
static void show(struct agent *a, struct awin *w)
{
    Window tf = 0;

    if (w->input_only || buffers_update(a, w) < 0)
        return;
    if (XGetTransientForHint(a->dpy, w->id, &tf) && !windows_find(a, tf))
        tf = 0;
    struct gui_map m = {.transient_for = (uint32_t)tf, .override_redirect = w->override_redirect};
    agent_send(a, GUI_MAP, (uint32_t)w->id, &m, sizeof(m));
    mark_dirty(w, 0, 0, (int)w->width, (int)w->height);
}

/* Starts tracking a root child and tells the daemon about it. */
static void track(struct agent *a, Window id)
{
    XWindowAttributes at;

    if (id == a->helper || windows_find(a, id) || !XGetWindowAttributes(a->dpy, id, &at))
        return;
    if (a->nwins == a->wcap) {
        size_t cap = a->wcap ? a->wcap * 2 : 64;
        struct awin **n = realloc(a->wins, cap * sizeof(*n));
        if (!n)
            return agent_fail(a, "out of memory");
        a->wins = n, a->wcap = cap;
    }
    struct awin *w = calloc(1, sizeof(*w));
    if (!w)
        return agent_fail(a, "out of memory");
    w->id = id;
    set_geometry(w, at.x, at.y, at.width, at.height);
    w->depth = (unsigned)at.depth;
    w->override_redirect = at.override_redirect;
    w->input_only = at.class == InputOnly;
    a->wins[a->nwins++] = w;
    XSelectInput(a->dpy, id, PropertyChangeMask);
    if (!w->input_only)
        w->damage = XDamageCreate(a->dpy, id, XDamageReportRawRectangles);

    struct gui_create c = {.x = w->x,
                           .y = w->y,
                           .width = w->width,
                           .height = w->height,
                           .override_redirect = w->override_redirect};
    agent_send(a, GUI_CREATE, (uint32_t)id, &c, sizeof(c));
    send_title(a, w);
    send_class(a, w);
    send_hints(a, w);
    send_flags(a, w);
    if (at.map_state != IsUnmapped) {
        w->mapped = true;
        show(a, w);
    }
}

static void untrack(struct agent *a, struct awin *w, bool tell)
{
    if (tell)
        agent_send(a, GUI_DESTROY, (uint32_t)w->id, NULL, 0);
    /* after DESTROY: the daemon unmaps the buffers as it reads it */
    buffers_free_all(a, w);
    if (w->damage)
        XDamageDestroy(a->dpy, w->damage);
    for (size_t i = 0; i < a->nwins; i++)
        if (a->wins[i] == w) {
            a->wins[i] = a->wins[--a->nwins];
            break;
        }
    if (a->pointer_win == w->id)
        a->pointer_win = 0;
    free(w);
}

void windows_announce_all(struct agent *a)
{
    Window root_ret, parent, *kids = NULL;
    unsigned n = 0;

    if (!XQueryTree(a->dpy, a->root, &root_ret, &parent, &kids, &n))
        return;
    for (unsigned i = 0; i < n && !a->failed; i++)
        track(a, kids[i]);
    if (kids)
        XFree(kids);
}

void windows_free_all(struct agent *a)
{
    while (a->nwins)
        untrack(a, a->wins[a->nwins - 1], false);
    free(a->wins);
    a->wins = NULL;
    a->wcap = 0;
    a->pointer_win = 0;
}

static void on_cursor(struct agent *a, XFixesCursorNotifyEvent *e)
{
    if (!a->pointer_win || !windows_find(a, a->pointer_win))
        return;
    char *name = e->cursor_name ? XGetAtomName(a->dpy, e->cursor_name) : NULL;
    struct gui_cursor c = {.cursor = props_cursor_for_name(name)};
    if (name)
        XFree(name);
    agent_send(a, GUI_CURSOR, (uint32_t)a->pointer_win, &c, sizeof(c));
}

static void on_configure(struct agent *a, XConfigureEvent *e)
{
    struct awin *w = windows_find(a, e->window);
    if (!w)
        return;
    unsigned ow = w->width, oh = w->height;
    int ox = w->x, oy = w->y;
    set_geometry(w, e->x, e->y, e->width, e->height);
    w->override_redirect = e->override_redirect;
    if (ox == w->x && oy == w->y && ow == w->width && oh == w->height)
        return; /* restacking only */
    send_configure(a, w);
    /* a new size: a new buffer, after the GUI_CONFIGURE */
    if (w->mapped && !w->input_only && (ow != w->width || oh != w->height) &&
        buffers_update(a, w) >= 0)
        mark_dirty(w, 0, 0, (int)w->width, (int)w->height);
}

static void on_property(struct agent *a, XPropertyEvent *e)
{
    struct awin *w = windows_find(a, e->window);
    if (!w)
        return;
    if (e->atom == a->a_net_wm_name || e->atom == a->a_wm_name)
        send_title(a, w);
    else if (e->atom == a->a_wm_class)
        send_class(a, w);
    else if (e->atom == a->a_wm_normal_hints)
        send_hints(a, w);
    else if (e->atom == a->a_net_wm_state || e->atom == a->a_wm_hints)
        send_flags(a, w);
}

void windows_handle_event(struct agent *a, XEvent *ev)
{
    struct awin *w;

    if (ev->type == a->damage_event + XDamageNotify) {
        XDamageNotifyEvent *d = (XDamageNotifyEvent *)ev;
        if ((w = windows_find(a, d->drawable)))
            mark_dirty(w, d->area.x, d->area.y, d->area.x + d->area.width,
                       d->area.y + d->area.height);
        return;
    }
    if (a->have_fixes && ev->type == a->fixes_event + XFixesCursorNotify)
        return on_cursor(a, (XFixesCursorNotifyEvent *)ev);
    switch (ev->type) {
    case CreateNotify:
        if (ev->xcreatewindow.parent == a->root)
            track(a, ev->xcreatewindow.window);
        break;
    case DestroyNotify:
        if ((w = windows_find(a, ev->xdestroywindow.window)))
            untrack(a, w, true);
        break;
    case ReparentNotify:
        w = windows_find(a, ev->xreparent.window);
        if (w && ev->xreparent.parent != a->root)
            untrack(a, w, true); /* no longer top-level */
        else if (!w && ev->xreparent.parent == a->root)
            track(a, ev->xreparent.window);
        break;
    case MapNotify:
        if ((w = windows_find(a, ev->xmap.window)) && !w->mapped) {
            w->mapped = true;
            show(a, w);
        }
        break;
    case UnmapNotify:
        if ((w = windows_find(a, ev->xunmap.window)) && w->mapped) {
            w->mapped = false;
            w->dirty = false;
            agent_send(a, GUI_UNMAP, (uint32_t)w->id, NULL, 0);
        }
        break;
    case ConfigureNotify:
        on_configure(a, &ev->xconfigure);
        break;
    case PropertyNotify:
        on_property(a, &ev->xproperty);
        break;
    default:
        break;
    }
}

/* Copies every window's damaged box into its buffer, waits for the X
 * server to have done it (one round trip for all), then tells the daemon.
 *
 * A zero-path buffer (zerocopy.c) is the window pixmap itself: nothing to
 * copy and nothing to wait for. The X server draws in software (fb), in
 * its one thread, while it executes the drawing request; DAMAGE queues our
 * DamageNotify for that request (after the operation) and the event can
 * only reach our socket once the server writes its output, which it does
 * between requests. So when we read a DamageNotify, the pixels it names are
 * in the shared memory already, and dom0 can read them as we tell it. */
void windows_flush_damage(struct agent *a)
{
    size_t n = 0, dirty = 0;

    for (size_t i = 0; i < a->nwins; i++) {
        struct awin *w = a->wins[i];
        if (!w->dirty)
            continue;
        struct abuf *b = w->nbufs ? w->bufs[w->nbufs - 1] : NULL;
        struct gui_rect r;
        /* damage is in the window's current size; the buffer's is the one
         * the daemon knows */
        if (!w->mapped || !b ||
            !props_damage_clip(w->dx0, w->dy0, w->dx1, w->dy1, b->width, b->height, &r)) {
            w->dirty = false;
            continue;
        }
        if (!b->zero) {
            buffers_copy(a, w, &r);
            n++;
        }
        w->dx0 = r.x, w->dy0 = r.y;
        w->dx1 = r.x + (int)r.width, w->dy1 = r.y + (int)r.height;
        dirty++;
    }
    if (!dirty)
        return;
    if (n)
        XSync(a->dpy, False);
    for (size_t i = 0; i < a->nwins; i++) {
        struct awin *w = a->wins[i];
        if (!w->dirty)
            continue;
        struct gui_rect r = {w->dx0, w->dy0, (uint32_t)(w->dx1 - w->dx0),
                             (uint32_t)(w->dy1 - w->dy0)};
        struct abuf *b = w->bufs[w->nbufs - 1];
        if (b->zero && b->slots > 1) {
            /* without room (dom0 has all the frames it may) it stays dirty
             * and goes out with the next frame after a GUI_FRAME_DONE */
            if (frames_take(a, w, b, &r))
                w->dirty = false;
            continue;
        }
        w->dirty = false;
        buffers_copied(a, w, &r);
        agent_send(a, GUI_DAMAGE, (uint32_t)w->id, &r, sizeof(r));
    }
}
