/* The qube's windows: the table (bounded by --max-windows) and the sanitize
 * step between the protocol parsers and X. What the parsers cannot know
 * without state is decided here: a window id must exist (or must not, for
 * CREATE); geometry is clamped so a frame stays on screen; an
 * override-redirect window covering more than 90% of the screen loses the
 * flag (it could paint a fake desktop); transient_for must name a window of
 * the same qube; titles and classes go through gui_sanitize_text and get the
 * qube's name in front; fullscreen only with --allow-fullscreen. */
#include "gui-daemon/daemon.h"

#include "lib/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B GUI_FRAME_WIDTH

struct gui_window *windows_find(struct gui_daemon *d, uint32_t id)
{
    for (uint32_t i = 0; i < d->nwin; i++)
        if (d->win[i]->id == id)
            return d->win[i];
    return NULL;
}

struct gui_window *windows_find_x(struct gui_daemon *d, xcb_window_t xid)
{
    for (uint32_t i = 0; i < d->nwin; i++)
        if (d->win[i]->xid == xid)
            return d->win[i];
    return NULL;
}

struct gui_window *windows_get(struct gui_daemon *d, uint32_t id, const char *what)
{
    struct gui_window *w = windows_find(d, id);

    if (!w)
        protocol_error(d, "%s for unknown window 0x%x", what, id);
    return w;
}

static void frame_pos(const struct gui_daemon *d, const struct gui_window *w, int32_t *fx,
                      int32_t *fy)
{
    gui_frame_pos(w->x, w->y, w->w, w->h, d->screen_w, d->screen_h, fx, fy);
}

/* An override-redirect window (a menu) may not cover most of the screen. */
static bool override_ok(const struct gui_daemon *d, uint32_t w, uint32_t h)
{
    return gui_override_ok(w, h, d->screen_w, d->screen_h);
}

static void set_prop(struct gui_daemon *d, xcb_window_t xid, xcb_atom_t prop, xcb_atom_t type,
                     uint8_t format, uint32_t n, const void *data)
{
    xcb_change_property(d->x, XCB_PROP_MODE_REPLACE, xid, prop, type, format, n, data);
}

/* clean: already "[NAME] sanitized title" */
static void set_title(struct gui_daemon *d, struct gui_window *w, const char *clean, size_t n)
{
    /* WM_NAME as UTF8_STRING too: pure ASCII unless --allow-utf8-titles */
    set_prop(d, w->xid, XCB_ATOM_WM_NAME,
             d->opt.allow_utf8_titles ? d->atoms[ATOM_UTF8_STRING] : XCB_ATOM_STRING, 8,
             (uint32_t)n, clean);
    set_prop(d, w->xid, d->atoms[ATOM_NET_WM_NAME], d->atoms[ATOM_UTF8_STRING], 8, (uint32_t)n,
             clean);
}

static void set_class(struct gui_daemon *d, struct gui_window *w,
                      const char untrusted_class[GUI_CLASS_FIELD])
{
    char cls[2 * (GUI_CLASS_FIELD + 40)];
    size_t n = gui_class_value(d->opt.name, untrusted_class, cls, sizeof(cls));

    if (n)
        set_prop(d, w->xid, XCB_ATOM_WM_CLASS, XCB_ATOM_STRING, 8, (uint32_t)n, cls);
}

/* The properties that say which qube a dom0 window belongs to. */
static void set_qube_props(struct gui_daemon *d, struct gui_window *w)
{
    const char *name = d->opt.name, *label = d->opt.label;
    char *end;
    unsigned long index = strtoul(label, &end, 10);
    uint32_t v;

    set_prop(d, w->xid, d->atoms[ATOM_QUBES_VMNAME], d->atoms[ATOM_UTF8_STRING], 8,
             (uint32_t)strlen(name), name);
    if (*end == '\0' && index <= 0xffffffffu) {
        v = (uint32_t)index;
        set_prop(d, w->xid, d->atoms[ATOM_QUBES_LABEL], XCB_ATOM_CARDINAL, 32, 1, &v);
    } else {
        set_prop(d, w->xid, d->atoms[ATOM_QUBES_LABEL], XCB_ATOM_STRING, 8, (uint32_t)strlen(label),
                 label);
    }
    v = d->opt.label_color;
    set_prop(d, w->xid, d->atoms[ATOM_QUBES_LABEL_COLOR], XCB_ATOM_CARDINAL, 32, 1, &v);
    v = w->id;
    set_prop(d, w->xid, d->atoms[ATOM_QUBES_VMWINDOWID], XCB_ATOM_CARDINAL, 32, 1, &v);
    v = d->atoms[ATOM_WM_DELETE_WINDOW];
    set_prop(d, w->xid, d->atoms[ATOM_WM_PROTOCOLS], XCB_ATOM_ATOM, 32, 1, &v);
}

void windows_create(struct gui_daemon *d, uint32_t id, const struct gui_create *untrusted_c)
{
    struct gui_window *w;
    int32_t fx, fy;
    bool override_redirect;

    if (windows_find(d, id))
        protocol_error(d, "GUI_CREATE of window 0x%x, which exists", id);
    if (d->nwin >= d->opt.max_windows)
        protocol_error(d, "more than %u windows", d->opt.max_windows);
    /* sanitize start: the parser bounded size and position */
    override_redirect =
        untrusted_c->override_redirect && override_ok(d, untrusted_c->width, untrusted_c->height);
    w = calloc(1, sizeof(*w));
    if (!w)
        fatal("calloc");
    w->id = id;
    w->x = untrusted_c->x;
    w->y = untrusted_c->y;
    w->w = untrusted_c->width;
    w->h = untrusted_c->height;
    w->override_redirect = override_redirect;
    /* sanitize end */
    frame_pos(d, w, &fx, &fy);
    w->xid = xcb_generate_id(d->x);
    xcb_create_window(d->x, d->screen->root_depth, w->xid, d->screen->root, (int16_t)fx,
                      (int16_t)fy, (uint16_t)(w->w + 2 * B), (uint16_t)(w->h + 2 * B), 0,
                      XCB_WINDOW_CLASS_INPUT_OUTPUT, d->visual,
                      XCB_CW_BACK_PIXMAP | XCB_CW_OVERRIDE_REDIRECT | XCB_CW_EVENT_MASK,
                      /* no background: X does not clear what we repaint
                       * on expose (no flash of colour inside the content) */
                      (uint32_t[]){XCB_BACK_PIXMAP_NONE, override_redirect,
                                   XCB_EVENT_MASK_EXPOSURE | XCB_EVENT_MASK_STRUCTURE_NOTIFY |
                                       XCB_EVENT_MASK_KEY_PRESS | XCB_EVENT_MASK_KEY_RELEASE |
                                       XCB_EVENT_MASK_BUTTON_PRESS | XCB_EVENT_MASK_BUTTON_RELEASE |
                                       XCB_EVENT_MASK_POINTER_MOTION | XCB_EVENT_MASK_ENTER_WINDOW |
                                       XCB_EVENT_MASK_LEAVE_WINDOW | XCB_EVENT_MASK_FOCUS_CHANGE |
                                       XCB_EVENT_MASK_KEYMAP_STATE});
    d->win[d->nwin++] = w;
    set_qube_props(d, w);
    windows_title(d, w, &(struct gui_title){"", 0});
    set_class(d, w, (char[GUI_CLASS_FIELD]){0});
    log_debug("window 0x%x: %ux%u at %d,%d%s", id, w->w, w->h, w->x, w->y,
              override_redirect ? " (override-redirect)" : "");
}

void windows_destroy(struct gui_daemon *d, struct gui_window *w)
{
    for (uint32_t i = 0; i < d->nwin; i++) {
        if (d->win[i] != w)
            continue;
        d->win[i] = d->win[--d->nwin];
        break;
    }
    /* windows that named it as their parent dialog forget it */
    for (uint32_t i = 0; i < d->nwin; i++)
        if (d->win[i]->transient_for == w->id)
            d->win[i]->transient_for = 0;
    if (d->focused == w->id)
        d->focused = 0;
    draw_buffer_free(d, &w->buf);
    xcb_destroy_window(d->x, w->xid);
    free(w);
}

void windows_destroy_all(struct gui_daemon *d)
{
    while (d->nwin)
        windows_destroy(d, d->win[d->nwin - 1]);
    xcb_flush(d->x);
}

/* The frame where the content's geometry says, clamped on dom0's screen. A
 * clamp comes back as a ConfigureNotify at the new place, which input.c
 * reports to the agent (GUI_CONFIGURE). */
static void place(struct gui_daemon *d, struct gui_window *w)
{
    int32_t fx, fy;

    frame_pos(d, w, &fx, &fy);
    w->conf_seq =
        xcb_configure_window(d->x, w->xid,
                             XCB_CONFIG_WINDOW_X | XCB_CONFIG_WINDOW_Y | XCB_CONFIG_WINDOW_WIDTH |
                                 XCB_CONFIG_WINDOW_HEIGHT,
                             (uint32_t[]){(uint32_t)fx, (uint32_t)fy, w->w + 2 * B, w->h + 2 * B})
            .sequence;
}

static void set_override(struct gui_daemon *d, struct gui_window *w, bool on)
{
    if (on == w->override_redirect)
        return;
    w->override_redirect = on;
    xcb_change_window_attributes(d->x, w->xid, XCB_CW_OVERRIDE_REDIRECT, (uint32_t[]){on});
}

void windows_map(struct gui_daemon *d, struct gui_window *w, const struct gui_map *untrusted_m)
{
    struct gui_window *parent;
    bool override_redirect;

    /* sanitize start */
    parent = untrusted_m->transient_for ? windows_find(d, untrusted_m->transient_for) : NULL;
    if (parent == w)
        parent = NULL;
    override_redirect = untrusted_m->override_redirect && override_ok(d, w->w, w->h);
    /* sanitize end */
    w->transient_for = parent ? parent->id : 0;
    if (parent)
        set_prop(d, w->xid, XCB_ATOM_WM_TRANSIENT_FOR, XCB_ATOM_WINDOW, 32, 1, &parent->xid);
    else
        xcb_delete_property(d->x, w->xid, XCB_ATOM_WM_TRANSIENT_FOR);
    set_override(d, w, override_redirect);
    w->mapped = true;
    xcb_map_window(d->x, w->xid);
}

void windows_unmap(struct gui_daemon *d, struct gui_window *w)
{
    w->mapped = false;
    xcb_unmap_window(d->x, w->xid);
}

void windows_configure(struct gui_daemon *d, struct gui_window *w,
                       const struct gui_configure *untrusted_c)
{
    bool override_redirect;

    /* sanitize start: the parser bounded size and position */
    override_redirect =
        untrusted_c->override_redirect && override_ok(d, untrusted_c->width, untrusted_c->height);
    w->x = untrusted_c->x;
    w->y = untrusted_c->y;
    w->w = untrusted_c->width;
    w->h = untrusted_c->height;
    /* sanitize end */
    set_override(d, w, override_redirect);
    place(d, w);
}

void windows_screen_changed(struct gui_daemon *d)
{
    for (uint32_t i = 0; i < d->nwin; i++) {
        struct gui_window *w = d->win[i];

        if (w->override_redirect && !override_ok(d, w->w, w->h))
            set_override(d, w, false);
        place(d, w);
    }
}

void windows_title(struct gui_daemon *d, struct gui_window *w, const struct gui_title *untrusted_t)
{
    char clean[GUI_TITLE_MAX * 4 + 64];
    /* sanitize start */
    size_t n = gui_title_value(d->opt.name, untrusted_t->untrusted_text, untrusted_t->len,
                               d->opt.allow_utf8_titles, clean, sizeof(clean));
    /* sanitize end */

    set_title(d, w, clean, n);
}

void windows_class(struct gui_daemon *d, struct gui_window *w, const struct gui_class *untrusted_c)
{
    /* sanitized in gui_class_value: ASCII only, whatever --allow-utf8-titles says */
    set_class(d, w, untrusted_c->res_class);
}

void windows_hints(struct gui_daemon *d, struct gui_window *w, const struct gui_hints *untrusted_h)
{
    uint32_t h[GUI_SIZE_HINTS_LEN];

    /* sanitize start: sizes bounded, the frame added, positions dropped */
    gui_size_hints(untrusted_h, h);
    /* sanitize end */
    set_prop(d, w->xid, XCB_ATOM_WM_NORMAL_HINTS, XCB_ATOM_WM_SIZE_HINTS, 32, GUI_SIZE_HINTS_LEN,
             h);
}
/* _NET_WM_STATE: a client message to the root once mapped (EWMH), the
 * property before. */
static void net_wm_state(struct gui_daemon *d, struct gui_window *w, xcb_atom_t state, bool on)
{
    if (w->mapped) {
        xcb_client_message_event_t ev = {.response_type = XCB_CLIENT_MESSAGE,
                                         .format = 32,
                                         .window = w->xid,
                                         .type = d->atoms[ATOM_NET_WM_STATE]};
        ev.data.data32[0] = on ? 1 : 0; /* _NET_WM_STATE_ADD / _REMOVE */
        ev.data.data32[1] = state;
        ev.data.data32[3] = 1; /* from a normal application */
        xcb_send_event(d->x, 0, d->screen->root,
                       XCB_EVENT_MASK_SUBSTRUCTURE_REDIRECT | XCB_EVENT_MASK_SUBSTRUCTURE_NOTIFY,
                       (const char *)&ev);
    } else if (on) {
        set_prop(d, w->xid, d->atoms[ATOM_NET_WM_STATE], XCB_ATOM_ATOM, 32, 1, &state);
    } else {
        xcb_delete_property(d->x, w->xid, d->atoms[ATOM_NET_WM_STATE]);
    }
}

void windows_flags(struct gui_daemon *d, struct gui_window *w, const struct gui_flags *untrusted_f)
{
    uint32_t set = untrusted_f->set, unset = untrusted_f->unset;

    /* sanitize start */
    if (!d->opt.allow_fullscreen)
        set &= ~GUI_FLAG_FULLSCREEN;
    /* sanitize end */
    if (set & GUI_FLAG_FULLSCREEN)
        net_wm_state(d, w, d->atoms[ATOM_NET_WM_STATE_FULLSCREEN], true);
    else if (unset & GUI_FLAG_FULLSCREEN)
        net_wm_state(d, w, d->atoms[ATOM_NET_WM_STATE_FULLSCREEN], false);
    if (set & GUI_FLAG_URGENT)
        net_wm_state(d, w, d->atoms[ATOM_NET_WM_STATE_DEMANDS_ATTENTION], true);
    else if (unset & GUI_FLAG_URGENT)
        net_wm_state(d, w, d->atoms[ATOM_NET_WM_STATE_DEMANDS_ATTENTION], false);
    if ((set & GUI_FLAG_MINIMIZE) && w->mapped) {
        /* ICCCM: WM_CHANGE_STATE IconicState (3) to the root */
        xcb_client_message_event_t ev = {.response_type = XCB_CLIENT_MESSAGE,
                                         .format = 32,
                                         .window = w->xid,
                                         .type = d->atoms[ATOM_WM_CHANGE_STATE]};
        ev.data.data32[0] = 3;
        xcb_send_event(d->x, 0, d->screen->root,
                       XCB_EVENT_MASK_SUBSTRUCTURE_REDIRECT | XCB_EVENT_MASK_SUBSTRUCTURE_NOTIFY,
                       (const char *)&ev);
    }
    w->fullscreen =
        (set & GUI_FLAG_FULLSCREEN) || (w->fullscreen && !(unset & GUI_FLAG_FULLSCREEN));
}

void windows_cursor(struct gui_daemon *d, struct gui_window *w,
                    const struct gui_cursor *untrusted_c)
{
    static xcb_cursor_t cache[GUI_CURSOR_GLYPH_END];
    static xcb_font_t font;
    uint32_t glyph, cursor = XCB_NONE;

    /* sanitize start: the parser allowed 0 or GLYPH + an even glyph < END */
    if (untrusted_c->cursor != GUI_CURSOR_DEFAULT) {
        glyph = untrusted_c->cursor - GUI_CURSOR_GLYPH;
        if (glyph >= GUI_CURSOR_GLYPH_END)
            return;
        /* sanitize end */
        if (!font) {
            font = xcb_generate_id(d->x);
            xcb_open_font(d->x, font, strlen("cursor"), "cursor");
        }
        if (!cache[glyph]) {
            cache[glyph] = xcb_generate_id(d->x);
            xcb_create_glyph_cursor(d->x, cache[glyph], font, font, (uint16_t)glyph,
                                    (uint16_t)(glyph + 1), 0, 0, 0, 0xffff, 0xffff, 0xffff);
        }
        cursor = cache[glyph];
    }
    xcb_change_window_attributes(d->x, w->xid, XCB_CW_CURSOR, &cursor);
}
