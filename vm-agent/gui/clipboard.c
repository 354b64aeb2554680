/* gui-agent: the qube's end of the inter-qube clipboard (dom0 decides which
 * qube's text goes where; see docs/gui-protocol.md).
 *  - GUI_CLIPBOARD_REQ (the user pressed the copy shortcut): the CLIPBOARD
 *    selection is asked for as UTF8_STRING; the answer (or nothing, after
 *    CLIP_TIMEOUT_MS or when it is larger than the daemon takes or is not
 *    UTF-8) goes back as GUI_CLIPBOARD_DATA. The main loop keeps running
 *    meanwhile: the owner is another program of the qube and may be slow.
 *  - GUI_CLIPBOARD_DATA (a paste): we own CLIPBOARD and PRIMARY with the
 *    text and answer the qube's programs (vm-agent/services/xsel.c, shared
 *    with qubes-clipboard). */
#include "vm-agent/gui/agent.h"

#include "lib/log.h"
#include "lib/text.h"

#include <stdlib.h>
#include <string.h>

#define CLIP_TIMEOUT_MS 3000

static void reply(struct agent *a, const char *text, size_t len)
{
    agent_send(a, GUI_CLIPBOARD_DATA, 0, text, (uint32_t)len);
    a->clip_req_win = 0;
}

void clipboard_request(struct agent *a, Window for_win)
{
    if (a->clip_req_win)
        reply(a, NULL, 0); /* the earlier request gets nothing */
    if (XGetSelectionOwner(a->dpy, a->sel.clipboard) == None)
        return reply(a, NULL, 0);
    XDeleteProperty(a->dpy, a->helper, a->a_paste_prop);
    XConvertSelection(a->dpy, a->sel.clipboard, a->sel.utf8, a->a_paste_prop, a->helper,
                      CurrentTime);
    a->clip_req_win = for_win;
    a->clip_deadline_ms = agent_now_ms() + CLIP_TIMEOUT_MS;
}

void clipboard_check_timeout(struct agent *a)
{
    if (a->clip_req_win && agent_now_ms() >= a->clip_deadline_ms) {
        log_warnx("the clipboard's owner did not answer: nothing copied");
        reply(a, NULL, 0);
    }
}

static bool utf8_ok(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        size_t n = text_utf8_decode((const uint8_t *)s + i, len - i, &cp);
        if (!n)
            return false;
        i += n;
    }
    return true;
}

static void on_converted(struct agent *a, XSelectionEvent *e)
{
    size_t len = 0, max = a->daemon_clip_max;
    Atom type = None;
    char *buf;

    if (e->property == None)
        return reply(a, NULL, 0); /* the owner has no text */
    buf = malloc(max + 1);
    if (!buf)
        return reply(a, NULL, 0);
    if (xsel_take_property(a->dpy, a->helper, a->a_paste_prop, buf, &len, max, a->sel.incr, &type) <
            0 ||
        type == a->sel.incr) {
        /* INCR is for text larger than one X request: larger than any
         * clipboard dom0 takes */
        log_warnx("the clipboard holds more than %zu bytes: nothing copied", max);
        len = 0;
    } else if (!utf8_ok(buf, len)) {
        log_warnx("the clipboard does not hold UTF-8 text: nothing copied");
        len = 0;
    }
    reply(a, buf, len);
    free(buf);
}

struct ts_wait {
    Window win;
    Atom prop;
};

static Bool is_ts_event(Display *dpy, XEvent *ev, XPointer arg)
{
    const struct ts_wait *w = (const struct ts_wait *)arg;

    (void)dpy;
    return ev->type == PropertyNotify && ev->xproperty.window == w->win &&
           ev->xproperty.atom == w->prop;
}

/* A server timestamp: the PropertyNotify of a zero-length append to a
 * property of our own that nothing else touches (an older event of
 * another property would give a time the server may find older than the
 * selection's last change, and ignore our ownership). */
static Time server_time(struct agent *a)
{
    struct ts_wait w = {a->helper, a->a_ts_prop};
    XEvent ev;

    XChangeProperty(a->dpy, a->helper, a->a_ts_prop, a->sel.utf8, 8, PropModeAppend, NULL, 0);
    XIfEvent(a->dpy, &ev, is_ts_event, (XPointer)&w);
    return ev.xproperty.time;
}

void clipboard_paste(struct agent *a, const struct gui_clipboard *c)
{
    char *text;

    /* dom0 checked it against its own limit; we keep a copy we own */
    text = malloc(c->len ? c->len : 1);
    if (!text)
        return;
    memcpy(text, c->untrusted_data, c->len);
    free(a->paste);
    a->paste = text;
    a->paste_len = c->len;
    a->paste_ts = server_time(a); /* ICCCM: own with a real time */
    XSetSelectionOwner(a->dpy, a->sel.clipboard, a->helper, a->paste_ts);
    XSetSelectionOwner(a->dpy, a->a_primary, a->helper, a->paste_ts);
    if (XGetSelectionOwner(a->dpy, a->sel.clipboard) != a->helper)
        log_warnx("could not take the qube's clipboard");
}

bool clipboard_handle_event(struct agent *a, XEvent *ev)
{
    switch (ev->type) {
    case SelectionNotify:
        if (ev->xselection.requestor != a->helper)
            return false;
        if (a->clip_req_win && ev->xselection.selection == a->sel.clipboard)
            on_converted(a, &ev->xselection);
        return true;
    case SelectionRequest: {
        XSelectionRequestEvent *rq = &ev->xselectionrequest;
        if (rq->owner != a->helper)
            return false;
        bool ascii = true;
        for (size_t i = 0; i < a->paste_len; i++)
            ascii = ascii && (unsigned char)a->paste[i] < 0x80;
        xsel_answer(a->dpy, &a->sel, rq, a->paste ? a->paste : "", a->paste_len, ascii,
                    a->paste_ts);
        return true;
    }
    case SelectionClear:
        return ev->xselectionclear.window == a->helper; /* another program owns it now */
    case PropertyNotify:
        return ev->xproperty.window == a->helper;
    default:
        return false;
    }
}

void clipboard_end_session(struct agent *a)
{
    /* what was pasted stays pasted: the selections outlive a daemon */
    a->clip_req_win = 0;
}
