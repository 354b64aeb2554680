/* gui-agent: what the user does to a window on dom0's desktop, done again
 * on the qube's X server. Keys and buttons go through XTest, as if typed on
 * the qube's own (absent) keyboard, to the window the daemon focused;
 * keycodes are passed as they are (both X servers use evdev keycodes). The
 * daemon only sends input for windows of this qube it had focused. Before a
 * key or button press the qube's modifiers are made those the daemon's
 * event had: a modifier held while the focus came to the window, or Caps
 * Lock toggled while another qube had the focus, would otherwise differ;
 * keys held when the focus left are released when it comes back (KEYMAP). */
#include "vm-agent/gui/agent.h"

#include "lib/log.h"

#include <X11/Xatom.h>
#include <X11/extensions/XTest.h>

/* Makes the qube's modifier state (Shift, Lock, Control, Mod1, Mod4, Mod5;
 * Num Lock is left alone) the daemon's: presses or releases the modifier
 * keys with XTest, Caps Lock toggled by a press and a release. */
static void sync_modifiers(struct agent *a, uint32_t want)
{
    static const unsigned mods[] = {ShiftMapIndex, LockMapIndex, ControlMapIndex,
                                    Mod1MapIndex,  Mod4MapIndex, Mod5MapIndex};
    Window r, c;
    int rx, ry, wx, wy;
    unsigned have;
    XModifierKeymap *map;

    if (!XQueryPointer(a->dpy, a->root, &r, &c, &rx, &ry, &wx, &wy, &have))
        return;
    if (((have ^ want) & (ShiftMask | LockMask | ControlMask | Mod1Mask | Mod4Mask | Mod5Mask)) ==
        0)
        return;
    map = XGetModifierMapping(a->dpy);
    if (!map)
        return;
    for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
        unsigned bit = 1u << mods[i];
        bool down = want & bit, is = have & bit;
        KeyCode *keys = map->modifiermap + mods[i] * map->max_keypermod, first = 0;
        if (down == is)
            continue;
        for (int k = 0; k < map->max_keypermod; k++) {
            if (!keys[k])
                continue;
            first = first ? first : keys[k];
            if (is && bit != LockMask)
                XTestFakeKeyEvent(a->dpy, keys[k], False, CurrentTime);
        }
        if (first && bit == LockMask) {
            XTestFakeKeyEvent(a->dpy, first, True, CurrentTime);
            XTestFakeKeyEvent(a->dpy, first, False, CurrentTime);
        } else if (first && down) {
            XTestFakeKeyEvent(a->dpy, first, True, CurrentTime);
        }
    }
    XFreeModifiermap(map);
}

/* Positions are relative to the window's content; the qube's screen has
 * the window where dom0 has it. */
static void move_pointer(struct agent *a, struct awin *w, int32_t x, int32_t y)
{
    a->pointer_win = w->id;
    XTestFakeMotionEvent(a->dpy, -1, w->x + x, w->y + y, CurrentTime);
}

void input_key(struct agent *a, struct awin *w, const struct gui_key *k)
{
    (void)w;
    if (k->keycode < 8 || k->keycode > 255 || (k->type != KeyPress && k->type != KeyRelease))
        return;
    if (k->type == KeyPress)
        sync_modifiers(a, k->state);
    XTestFakeKeyEvent(a->dpy, k->keycode, k->type == KeyPress, CurrentTime);
}

void input_button(struct agent *a, struct awin *w, const struct gui_button *b)
{
    if (b->type != ButtonPress && b->type != ButtonRelease)
        return;
    if (b->type == ButtonPress) {
        XRaiseWindow(a->dpy, w->id); /* the qube's stacking may differ from dom0's */
        sync_modifiers(a, b->state);
    }
    move_pointer(a, w, b->x, b->y);
    XTestFakeButtonEvent(a->dpy, b->button, b->type == ButtonPress, CurrentTime);
}

void input_motion(struct agent *a, struct awin *w, const struct gui_motion *m)
{
    move_pointer(a, w, m->x, m->y);
}

/* The pointer came into the window on dom0. It may not have moved: the
 * window appeared or moved under it, which brings no motion; so the qube's
 * pointer goes there now, and the application sees it enter and shows what
 * is under it (hover). Leaving needs nothing: the pointer went to a window
 * of dom0 or of another qube, which has no place on this qube's screen, and
 * moving it anywhere here could only put it over another of this qube's
 * windows; it stays until the next enter or motion. */
void input_crossing(struct agent *a, struct awin *w, const struct gui_crossing *c)
{
    if (c->type != EnterNotify || !w->mapped)
        return;
    move_pointer(a, w, c->x, c->y);
}

/* dom0's pressed keys when the focus came to one of our windows. A key the
 * qube saw pressed but whose release went elsewhere (Alt held through
 * Alt+Tab, a key held while clicking another window) would stay pressed
 * here, repeating or changing what the next key means: each key the qube's
 * X server has down and dom0 has not is released. A key dom0 has down and
 * the qube has not is left alone: its press went to another window, and
 * pressing it here would type it. */
void input_keymap(struct agent *a, const struct gui_keymap *k)
{
    char have[32];

    XQueryKeymap(a->dpy, have);
    for (unsigned code = 8; code < 256; code++) {
        unsigned bit = 1u << (code & 7);
        if (((unsigned char)have[code >> 3] & bit) && !(k->keys[code >> 3] & bit))
            XTestFakeKeyEvent(a->dpy, code, False, CurrentTime);
    }
}

void input_focus(struct agent *a, struct awin *w, const struct gui_focus *f)
{
    /* FocusOut: the next FocusIn moves it; the qube has no other place for
     * the focus to go that dom0 would send keys to */
    if (f->type != FocusIn || !w->mapped)
        return;
    XRaiseWindow(a->dpy, w->id);
    XSetInputFocus(a->dpy, w->id, RevertToParent, CurrentTime);
}

void input_close(struct agent *a, struct awin *w)
{
    Atom *protos = NULL;
    int n = 0;
    bool polite = false;

    if (XGetWMProtocols(a->dpy, w->id, &protos, &n)) {
        for (int i = 0; i < n; i++)
            polite |= protos[i] == a->a_wm_delete;
        XFree(protos);
    }
    if (!polite) {
        /* what a window manager does with a client that cannot be asked */
        log_info("window 0x%lx does not take WM_DELETE_WINDOW: disconnecting its client", w->id);
        XKillClient(a->dpy, w->id);
        return;
    }
    XEvent ev = {.xclient = {.type = ClientMessage,
                             .window = w->id,
                             .message_type = a->a_wm_protocols,
                             .format = 32,
                             .data.l = {(long)a->a_wm_delete, CurrentTime}}};
    XSendEvent(a->dpy, w->id, False, NoEventMask, &ev);
}

void input_configure(struct agent *a, struct awin *w, const struct gui_configure *c)
{
    /* the ConfigureNotify that follows sends the new geometry back (and a
     * new buffer if the size changed) */
    XMoveResizeWindow(a->dpy, w->id, c->x, c->y, c->width, c->height);
}
