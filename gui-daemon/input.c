/* X events on our windows, turned into messages for the agent: keys,
 * buttons, motion, crossing, focus and keymap (coordinates relative to the
 * content, i.e. minus the frame), user moves and resizes (GUI_CONFIGURE
 * with the content's geometry), the window manager's close button
 * (GUI_CLOSE), and exposes (repainted here). The X server only sends us
 * events for our own windows, so input only ever reaches this qube, and
 * keys only the window dom0 focused. Ctrl+Shift+C and Ctrl+Shift+V are
 * trapped for the clipboard and never reach the qube. */
#include "gui-daemon/daemon.h"

#include "lib/log.h"

#include <stdlib.h>
#include <string.h>

#define B GUI_FRAME_WIDTH

static const char *const atom_names[ATOM_COUNT] = {
    [ATOM_WM_PROTOCOLS] = "WM_PROTOCOLS",
    [ATOM_WM_DELETE_WINDOW] = "WM_DELETE_WINDOW",
    [ATOM_NET_WM_NAME] = "_NET_WM_NAME",
    [ATOM_UTF8_STRING] = "UTF8_STRING",
    [ATOM_QUBES_VMNAME] = "_QUBES_VMNAME",
    [ATOM_QUBES_LABEL] = "_QUBES_LABEL",
    [ATOM_QUBES_LABEL_COLOR] = "_QUBES_LABEL_COLOR",
    [ATOM_QUBES_VMWINDOWID] = "_QUBES_VMWINDOWID",
    [ATOM_NET_WM_STATE] = "_NET_WM_STATE",
    [ATOM_NET_WM_STATE_FULLSCREEN] = "_NET_WM_STATE_FULLSCREEN",
    [ATOM_NET_WM_STATE_DEMANDS_ATTENTION] = "_NET_WM_STATE_DEMANDS_ATTENTION",
    [ATOM_WM_CHANGE_STATE] = "WM_CHANGE_STATE",
};

#define KEYSYM_C_LOWER 0x63
#define KEYSYM_C_UPPER 0x43
#define KEYSYM_V_LOWER 0x76
#define KEYSYM_V_UPPER 0x56

static void find_shortcut_keys(struct gui_daemon *d)
{
    const xcb_setup_t *s = xcb_get_setup(d->x);
    uint8_t count = (uint8_t)(s->max_keycode - s->min_keycode + 1);
    xcb_get_keyboard_mapping_reply_t *r = xcb_get_keyboard_mapping_reply(
        d->x, xcb_get_keyboard_mapping(d->x, s->min_keycode, count), NULL);
    unsigned nc = 0, nv = 0;

    if (!r)
        return;
    xcb_keysym_t *syms = xcb_get_keyboard_mapping_keysyms(r);
    for (unsigned k = 0; k < count; k++) {
        for (unsigned j = 0; j < r->keysyms_per_keycode && j < 2; j++) {
            xcb_keysym_t sym = syms[k * r->keysyms_per_keycode + j];
            xcb_keycode_t code = (xcb_keycode_t)(s->min_keycode + k);
            if ((sym == KEYSYM_C_LOWER || sym == KEYSYM_C_UPPER) && nc < 8)
                d->key_c[nc++] = code;
            if ((sym == KEYSYM_V_LOWER || sym == KEYSYM_V_UPPER) && nv < 8)
                d->key_v[nv++] = code;
        }
    }
    free(r);
}

void input_init(struct gui_daemon *d)
{
    xcb_intern_atom_cookie_t c[ATOM_COUNT];

    for (int i = 0; i < ATOM_COUNT; i++)
        c[i] = xcb_intern_atom(d->x, 0, (uint16_t)strlen(atom_names[i]), atom_names[i]);
    for (int i = 0; i < ATOM_COUNT; i++) {
        xcb_intern_atom_reply_t *r = xcb_intern_atom_reply(d->x, c[i], NULL);
        if (!r)
            fatalx("cannot intern the X atom %s", atom_names[i]);
        d->atoms[i] = r->atom;
        free(r);
    }
    find_shortcut_keys(d);
}

static bool is_key(const xcb_keycode_t *keys, xcb_keycode_t k)
{
    for (int i = 0; i < 8 && keys[i]; i++)
        if (keys[i] == k)
            return true;
    return false;
}

static int32_t clamp_coord(int32_t v)
{
    return v < -GUI_MAX_COORD ? -GUI_MAX_COORD : v > GUI_MAX_COORD ? GUI_MAX_COORD : v;
}

static void key_event(struct gui_daemon *d, struct gui_window *w, xcb_key_press_event_t *e)
{
    bool press = (e->response_type & 0x7f) == XCB_KEY_PRESS;
    const uint16_t ctrl_shift = XCB_MOD_MASK_CONTROL | XCB_MOD_MASK_SHIFT;
    struct gui_key k;

    if (press && (e->state & ctrl_shift) == ctrl_shift &&
        (is_key(d->key_c, e->detail) || is_key(d->key_v, e->detail))) {
        d->trapped[e->detail] = true;
        if (is_key(d->key_c, e->detail))
            clipboard_copy_request(d, w);
        else
            clipboard_paste(d, w);
        return;
    }
    if (!press && d->trapped[e->detail]) {
        d->trapped[e->detail] = false; /* the release of a trapped press */
        return;
    }
    if (e->detail < 8)
        return;
    k = (struct gui_key){press ? 2 : 3, clamp_coord(e->event_x - B), clamp_coord(e->event_y - B),
                         e->state, e->detail};
    gui_send(d, GUI_KEY, w->id, &k, sizeof(k));
}

/* A user move or resize (or the WM placing the window): tell the agent. */
static void configure_event(struct gui_daemon *d, struct gui_window *w,
                            xcb_configure_notify_event_t *e)
{
    int32_t x = e->x, y = e->y;
    struct gui_configure c;

    /* the answer to an older ConfigureWindow of ours, already overtaken by
     * a newer one from the agent: echoing it back would make the agent's
     * window jump back and forth */
    if ((int16_t)(uint16_t)(e->sequence - (uint16_t)w->conf_seq) < 0)
        return;
    if (!(e->response_type & 0x80)) {
        /* a real event has coordinates in the parent, which is a WM frame
         * once the WM reparented us: ask X where we are on the root */
        xcb_translate_coordinates_reply_t *t = xcb_translate_coordinates_reply(
            d->x, xcb_translate_coordinates(d->x, w->xid, d->screen->root, 0, 0), NULL);
        if (t) {
            x = t->dst_x;
            y = t->dst_y;
            free(t);
        }
    }
    if (e->width <= 2 * B || e->height <= 2 * B)
        return;
    c = (struct gui_configure){x + B, y + B, (uint32_t)e->width - 2 * B,
                               (uint32_t)e->height - 2 * B, w->override_redirect};
    if (c.x == w->x && c.y == w->y && c.width == w->w && c.height == w->h)
        return; /* what we asked for ourselves */
    w->x = c.x;
    w->y = c.y;
    w->w = c.width;
    w->h = c.height;
    gui_send(d, GUI_CONFIGURE, w->id, &c, sizeof(c));
}

static void log_x_error(xcb_generic_error_t *e)
{
    /* a window the WM destroyed, a race with our own destroy: not fatal */
    log_info("X error %u on request %u.%u (resource 0x%x), ignored", e->error_code, e->major_code,
             e->minor_code, e->resource_id);
}

static struct gui_window *win_of(struct gui_daemon *d, xcb_window_t xid)
{
    return windows_find_x(d, xid);
}

void input_event(struct gui_daemon *d, xcb_generic_event_t *ev)
{
    uint8_t type = ev->response_type & 0x7f;
    struct gui_window *w;

    switch (type) {
    case 0:
        log_x_error((xcb_generic_error_t *)ev);
        break;
    case XCB_EXPOSE: {
        xcb_expose_event_t *e = (xcb_expose_event_t *)ev;
        if ((w = win_of(d, e->window)))
            draw_expose(d, w, e->x, e->y, e->width, e->height);
        break;
    }
    case XCB_CONFIGURE_NOTIFY: {
        xcb_configure_notify_event_t *e = (xcb_configure_notify_event_t *)ev;
        if (e->event == e->window && (w = win_of(d, e->window)))
            configure_event(d, w, e);
        break;
    }
    case XCB_KEY_PRESS:
    case XCB_KEY_RELEASE: {
        xcb_key_press_event_t *e = (xcb_key_press_event_t *)ev;
        if ((w = win_of(d, e->event)))
            key_event(d, w, e);
        break;
    }
    case XCB_BUTTON_PRESS:
    case XCB_BUTTON_RELEASE: {
        xcb_button_press_event_t *e = (xcb_button_press_event_t *)ev;
        struct gui_button b = {type, clamp_coord(e->event_x - B), clamp_coord(e->event_y - B),
                               e->state, e->detail};
        if ((w = win_of(d, e->event)) && e->detail >= 1 && e->detail <= 15)
            gui_send(d, GUI_BUTTON, w->id, &b, sizeof(b));
        break;
    }
    case XCB_MOTION_NOTIFY: {
        xcb_motion_notify_event_t *e = (xcb_motion_notify_event_t *)ev;
        struct gui_motion m = {clamp_coord(e->event_x - B), clamp_coord(e->event_y - B), e->state,
                               e->detail ? 1 : 0};
        if ((w = win_of(d, e->event)))
            gui_send(d, GUI_MOTION, w->id, &m, sizeof(m));
        break;
    }
    case XCB_ENTER_NOTIFY:
    case XCB_LEAVE_NOTIFY: {
        xcb_enter_notify_event_t *e = (xcb_enter_notify_event_t *)ev;
        struct gui_crossing c = {type,
                                 clamp_coord(e->event_x - B),
                                 clamp_coord(e->event_y - B),
                                 e->state,
                                 e->mode <= 3 ? e->mode : 0,
                                 e->detail <= 4 ? e->detail : 0,
                                 (e->same_screen_focus & 1) ? 1 : 0};
        if ((w = win_of(d, e->event)))
            gui_send(d, GUI_CROSSING, w->id, &c, sizeof(c));
        break;
    }
    case XCB_FOCUS_IN:
    case XCB_FOCUS_OUT: {
        xcb_focus_in_event_t *e = (xcb_focus_in_event_t *)ev;
        struct gui_focus f = {type, e->mode <= 3 ? e->mode : 0, e->detail <= 7 ? e->detail : 0};
        if (!(w = win_of(d, e->event)))
            break;
        if (type == XCB_FOCUS_IN)
            d->focused = w->id;
        else if (d->focused == w->id)
            d->focused = 0;
        gui_send(d, GUI_FOCUS, w->id, &f, sizeof(f));
        break;
    }
    case XCB_KEYMAP_NOTIFY: {
        /* follows a FocusIn; keycodes 8..255 in keys[1..31] */
        xcb_keymap_notify_event_t *e = (xcb_keymap_notify_event_t *)ev;
        struct gui_keymap k = {{0}};
        memcpy(k.keys + 1, e->keys, sizeof(e->keys));
        if (d->focused)
            gui_send(d, GUI_KEYMAP, d->focused, &k, sizeof(k));
        break;
    }
    case XCB_CLIENT_MESSAGE: {
        xcb_client_message_event_t *e = (xcb_client_message_event_t *)ev;
        if (e->type == d->atoms[ATOM_WM_PROTOCOLS] &&
            e->data.data32[0] == d->atoms[ATOM_WM_DELETE_WINDOW] && (w = win_of(d, e->window)))
            gui_send(d, GUI_CLOSE, w->id, NULL, 0);
        break;
    }
    default:
        break;
    }
}
