/* gui-test-client --title T --size WxH --pos X,Y --color RRGGBB
 *                 [--marker RRGGBB] [--class NAME]
 * An X client for tests of the GUI (tests/integration/gui-local.sh), run on
 * a qube's X server: one window filled with the colour (and a 10x10 square
 * of the marker colour at 10,10), titled T (WM_NAME and _NET_WM_NAME),
 * class NAME (default gui-test-client), mapped at X,Y.
 *
 * Prints on stdout, one line each, flushed: "window 0xID" at start, "key
 * <keysym name>" for each key press, "button N X Y" for each button press,
 * "enter X Y" when the pointer comes into the window, "paste <text>" after
 * a paste command, "keys [<keysym name>...]" after a keys command, "closed"
 * when asked to close (then it exits). Reads commands on stdin, one a line:
 *   move X Y | resize W H | unmap | map | title T | color RRGGBB |
 *   copy TEXT (own the CLIPBOARD with TEXT) | paste (print the CLIPBOARD as
 *   UTF8_STRING) | keys (print the keys the X server has down, by keycode:
 *   XQueryKeymap) | quit
 * End of input is quit. --no-delete: the window does not take
 * WM_DELETE_WINDOW (so closing it means killing the client).
 *
 * --close WINDOW sends the window (on $DISPLAY, e.g. dom0's) the
 * WM_DELETE_WINDOW message a window manager sends when the user closes it,
 * and exits. */
#include "vm-agent/services/xsel.h"

#include <X11/XKBlib.h>
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PASTE_MAX 262144

static Display *dpy;
static Window win;
static GC gc;
static unsigned long color, marker;
static bool have_marker;
static struct xsel_atoms sel;
static Atom a_net_wm_name, a_prop, a_ts, a_protocols, a_delete;
static char *owned; /* what we copied */
static size_t owned_len;
static Time owned_ts;

static unsigned long parse_color(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 16);

    if (end == s || *end || v > 0xffffff) {
        fprintf(stderr, "gui-test-client: a colour is RRGGBB: %s\n", s);
        exit(2);
    }
    return v;
}

static void paint(void)
{
    XWindowAttributes at;

    if (!XGetWindowAttributes(dpy, win, &at))
        return;
    XSetForeground(dpy, gc, color);
    XFillRectangle(dpy, win, gc, 0, 0, (unsigned)at.width, (unsigned)at.height);
    if (have_marker) {
        XSetForeground(dpy, gc, marker);
        XFillRectangle(dpy, win, gc, 10, 10, 10, 10);
    }
    XFlush(dpy);
}

static void set_title(const char *t)
{
    XStoreName(dpy, win, t);
    XChangeProperty(dpy, win, a_net_wm_name, sel.utf8, 8, PropModeReplace, (const unsigned char *)t,
                    (int)strlen(t));
}

static Bool is_ts_event(Display *d, XEvent *ev, XPointer arg)
{
    (void)d, (void)arg;
    return ev->type == PropertyNotify && ev->xproperty.window == win && ev->xproperty.atom == a_ts;
}

/* A server timestamp: a zero-length append to a property of our window
 * that only this touches (an older PropertyNotify, of a paste, could give
 * a time before the selection's last change: the server would ignore our
 * ownership). */
static Time server_time(void)
{
    XEvent ev;

    XChangeProperty(dpy, win, a_ts, sel.utf8, 8, PropModeAppend, NULL, 0);
    XIfEvent(dpy, &ev, is_ts_event, NULL);
    return ev.xproperty.time;
}

/* "keys" and the keys the X server has down now (a stuck key stays here). */
static void print_keys(void)
{
    char down[32];

    XQueryKeymap(dpy, down);
    printf("keys");
    for (unsigned code = 8; code < 256; code++) {
        if (!((unsigned char)down[code >> 3] & (1u << (code & 7))))
            continue;
        const char *name = XKeysymToString(XkbKeycodeToKeysym(dpy, (KeyCode)code, 0, 0));
        printf(" %s", name ? name : "NoSymbol");
    }
    printf("\n");
}

static void command(char *line)
{
    int x, y;
    char *arg = strchr(line, ' ');

    if (arg)
        *arg++ = 0;
    if (!strcmp(line, "move") && arg && sscanf(arg, "%d %d", &x, &y) == 2)
        XMoveWindow(dpy, win, x, y);
    else if (!strcmp(line, "resize") && arg && sscanf(arg, "%d %d", &x, &y) == 2)
        XResizeWindow(dpy, win, (unsigned)x, (unsigned)y);
    else if (!strcmp(line, "unmap"))
        XUnmapWindow(dpy, win);
    else if (!strcmp(line, "map"))
        XMapWindow(dpy, win);
    else if (!strcmp(line, "title") && arg)
        set_title(arg);
    else if (!strcmp(line, "color") && arg) {
        color = parse_color(arg);
        paint();
    } else if (!strcmp(line, "copy")) {
        free(owned);
        owned = strdup(arg ? arg : "");
        owned_len = strlen(owned);
        owned_ts = server_time();
        XSetSelectionOwner(dpy, sel.clipboard, win, owned_ts);
    } else if (!strcmp(line, "paste")) {
        XDeleteProperty(dpy, win, a_prop);
        XConvertSelection(dpy, sel.clipboard, sel.utf8, a_prop, win, CurrentTime);
    } else if (!strcmp(line, "keys")) {
        print_keys();
    } else if (!strcmp(line, "quit")) {
        exit(0);
    } else {
        fprintf(stderr, "gui-test-client: unknown command: %s\n", line);
    }
    XFlush(dpy);
}

static void on_paste(XSelectionEvent *e)
{
    static char buf[PASTE_MAX + 1];
    size_t len = 0;
    Atom type;

    if (e->property != None &&
        xsel_take_property(dpy, win, a_prop, buf, &len, PASTE_MAX, sel.incr, &type) < 0)
        len = 0;
    buf[len] = 0;
    printf("paste %s\n", buf);
}

static void event(XEvent *ev)
{
    char name[64];
    KeySym ks;

    switch (ev->type) {
    case Expose:
        if (ev->xexpose.count == 0)
            paint();
        break;
    case KeyPress:
        XLookupString(&ev->xkey, name, sizeof(name), &ks, NULL);
        printf("key %s\n", XKeysymToString(ks) ? XKeysymToString(ks) : "NoSymbol");
        break;
    case ButtonPress:
        printf("button %u %d %d\n", ev->xbutton.button, ev->xbutton.x, ev->xbutton.y);
        break;
    case EnterNotify:
        printf("enter %d %d\n", ev->xcrossing.x, ev->xcrossing.y);
        break;
    case SelectionNotify:
        on_paste(&ev->xselection);
        break;
    case SelectionRequest: {
        bool ascii = true;
        for (size_t i = 0; i < owned_len; i++)
            ascii = ascii && (unsigned char)owned[i] < 0x80;
        xsel_answer(dpy, &sel, &ev->xselectionrequest, owned ? owned : "", owned_len, ascii,
                    owned_ts);
        break;
    }
    case ClientMessage:
        if (ev->xclient.message_type == a_protocols && (Atom)ev->xclient.data.l[0] == a_delete) {
            printf("closed\n");
            exit(0);
        }
        break;
    default:
        break;
    }
}

/* What a window manager sends when the user closes a window. */
static int send_close(const char *id)
{
    char *end;
    unsigned long w = strtoul(id, &end, 0);

    if (end == id || *end || !w)
        return 2;
    dpy = XOpenDisplay(NULL);
    if (!dpy)
        return 1;
    a_protocols = XInternAtom(dpy, "WM_PROTOCOLS", False);
    a_delete = XInternAtom(dpy, "WM_DELETE_WINDOW", False);
    XEvent ev = {.xclient = {.type = ClientMessage,
                             .window = w,
                             .message_type = a_protocols,
                             .format = 32,
                             .data.l = {(long)a_delete, CurrentTime}}};
    XSendEvent(dpy, w, False, NoEventMask, &ev);
    XSync(dpy, False);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"title", required_argument, NULL, 't'},
                                         {"size", required_argument, NULL, 's'},
                                         {"pos", required_argument, NULL, 'p'},
                                         {"color", required_argument, NULL, 'c'},
                                         {"marker", required_argument, NULL, 'm'},
                                         {"class", required_argument, NULL, 'k'},
                                         {"no-delete", no_argument, NULL, 'n'},
                                         {"close", required_argument, NULL, 'x'},
                                         {0}};
    bool take_delete = true;
    const char *title = "gui-test-client";
    char *cls = "gui-test-client";
    unsigned w = 200, h = 150;
    int x = 100, y = 100, o;

    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 't':
            title = optarg;
            break;
        case 's':
            if (sscanf(optarg, "%ux%u", &w, &h) != 2 || !w || !h)
                return 2;
            break;
        case 'p':
            if (sscanf(optarg, "%d,%d", &x, &y) != 2)
                return 2;
            break;
        case 'c':
            color = parse_color(optarg);
            break;
        case 'm':
            marker = parse_color(optarg);
            have_marker = true;
            break;
        case 'k':
            cls = optarg;
            break;
        case 'n':
            take_delete = false;
            break;
        case 'x':
            return send_close(optarg);
        default:
            fprintf(stderr, "usage: gui-test-client --title T --size WxH --pos X,Y --color "
                            "RRGGBB [--marker RRGGBB] [--class NAME] [--no-delete]\n"
                            "       gui-test-client --close WINDOW\n");
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    dpy = XOpenDisplay(NULL);
    if (!dpy) {
        fprintf(stderr, "gui-test-client: cannot open the display\n");
        return 1;
    }
    xsel_atoms_init(dpy, &sel);
    a_net_wm_name = XInternAtom(dpy, "_NET_WM_NAME", False);
    a_prop = XInternAtom(dpy, "GUI_TEST_CLIENT", False);
    a_ts = XInternAtom(dpy, "GUI_TEST_CLIENT_TIME", False);
    a_protocols = XInternAtom(dpy, "WM_PROTOCOLS", False);
    a_delete = XInternAtom(dpy, "WM_DELETE_WINDOW", False);
    win = XCreateSimpleWindow(dpy, DefaultRootWindow(dpy), x, y, w, h, 0, 0, color);
    gc = XCreateGC(dpy, win, 0, NULL);
    XSelectInput(dpy, win,
                 ExposureMask | KeyPressMask | ButtonPressMask | EnterWindowMask |
                     PropertyChangeMask);
    set_title(title);
    XClassHint ch = {.res_name = cls, .res_class = cls};
    XSetClassHint(dpy, win, &ch);
    XSizeHints sh = {
        .flags = USPosition | USSize, .x = x, .y = y, .width = (int)w, .height = (int)h};
    XSetWMNormalHints(dpy, win, &sh);
    if (take_delete)
        XSetWMProtocols(dpy, win, &a_delete, 1);
    XMapWindow(dpy, win);
    XSync(dpy, False);
    printf("window 0x%lx\n", win);

    char line[4096];
    size_t len = 0;
    for (;;) {
        while (XPending(dpy)) {
            XEvent ev;
            XNextEvent(dpy, &ev);
            event(&ev);
        }
        struct pollfd p[2] = {{.fd = 0, .events = POLLIN},
                              {.fd = ConnectionNumber(dpy), .events = POLLIN}};
        if (poll(p, 2, -1) < 0)
            continue;
        if (p[0].revents) {
            ssize_t n = read(0, line + len, sizeof(line) - 1 - len);
            if (n <= 0)
                return 0;
            len += (size_t)n;
            char *nl;
            while ((nl = memchr(line, '\n', len))) {
                *nl = 0;
                command(line);
                len -= (size_t)(nl + 1 - line);
                memmove(line, nl + 1, len);
            }
            if (len == sizeof(line) - 1)
                len = 0; /* a line too long: dropped */
        }
    }
}
