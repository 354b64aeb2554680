/* gui-probe: looks at dom0's X screen the way a user would, for the GUI
 * tests. Pixel checks read the root window's image, so what is checked is
 * what is on the screen, not what a window claims to contain. No window
 * manager runs in the tests: top-level windows are the root's children.
 *
 * Usage (display from $DISPLAY):
 *   gui-probe wait-window --title T [--timeout S]   prints the window id (0x...)
 *   gui-probe geometry WIN                          root x y, width height
 *   gui-probe pixel X Y                             RRGGBB at root coordinates
 *   gui-probe check-frame WIN RRGGBB [WIDTH]        the WIDTH-px (2) border is that colour
 *   gui-probe check-rect X Y W H RRGGBB             every pixel of the rectangle is
 *   gui-probe prop WIN NAME                         a property (CARDINAL: 0x%06x decimal)
 *   gui-probe screenshot FILE.png                   the whole screen
 *   gui-probe list                                  viewable top-levels
 * Exit: 0 yes/done, 1 no (with the reason on stdout), 2 usage or X error. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

static Display *dpy;
static Window root;
static int x_errors;

/* Windows come and go while we look (the daemon under test destroys
 * them): an error on one request is noted, not fatal. */
static int on_x_error(Display *d, XErrorEvent *e)
{
    (void)d;
    (void)e;
    x_errors++;
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: gui-probe wait-window --title T [--timeout S] | geometry WIN |\n"
                    "       pixel X Y | check-frame WIN RRGGBB [WIDTH] |\n"
                    "       check-rect X Y W H RRGGBB | prop WIN NAME |\n"
                    "       screenshot FILE.png | list\n");
    exit(2);
}

static long parse_long(const char *s, long min, long max)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 0);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "gui-probe: bad number '%s'\n", s);
        exit(2);
    }
    return v;
}

static Window parse_window(const char *s)
{
    return (Window)parse_long(s, 1, LONG_MAX);
}

static unsigned long parse_colour(const char *s)
{
    char *end;
    unsigned long v;

    if (s[0] == '#')
        s++;
    else if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    v = strtoul(s, &end, 16);
    if (end == s || *end || strlen(s) != 6) {
        fprintf(stderr, "gui-probe: bad colour '%s' (RRGGBB)\n", s);
        exit(2);
    }
    return v;
}

/* The window's title as a user sees it: _NET_WM_NAME, else WM_NAME.
 * Returns a malloc'd string or NULL. */
static char *window_title(Window w)
{
    Atom net_wm_name = XInternAtom(dpy, "_NET_WM_NAME", False);
    Atom utf8 = XInternAtom(dpy, "UTF8_STRING", False);
    Atom type;
    int format;
    unsigned long n, after;
    unsigned char *data = NULL;
    char *title = NULL;

    if (XGetWindowProperty(dpy, w, net_wm_name, 0, 4096, False, utf8, &type, &format, &n, &after,
                           &data) == Success &&
        data && type == utf8 && format == 8) {
        title = strndup((char *)data, n);
    } else {
        XTextProperty tp;

        if (XGetWMName(dpy, w, &tp) && tp.value && tp.format == 8)
            title = strndup((char *)tp.value, tp.nitems);
        if (tp.value)
            XFree(tp.value);
    }
    if (data)
        XFree(data);
    return title;
}

static bool viewable(Window w, XWindowAttributes *a)
{
    return XGetWindowAttributes(dpy, w, a) && a->map_state == IsViewable;
}

/* Visits every viewable child of the root, bottom to top. */
static void each_toplevel(bool (*fn)(Window, const XWindowAttributes *, void *), void *arg)
{
    Window r, parent, *kids = NULL;
    unsigned n = 0;

    if (!XQueryTree(dpy, root, &r, &parent, &kids, &n))
        return;
    for (unsigned i = 0; i < n; i++) {
        XWindowAttributes a;

        if (viewable(kids[i], &a) && !fn(kids[i], &a, arg))
            break;
    }
    if (kids)
        XFree(kids);
}

struct find_title {
    const char *want;
    Window found;
};

static bool match_title(Window w, const XWindowAttributes *a, void *arg)
{
    struct find_title *f = arg;
    char *t = window_title(w);
    bool hit = t && !strcmp(t, f->want);

    (void)a;
    free(t);
    if (hit)
        f->found = w;
    return !hit;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmd_wait_window(int argc, char **argv)
{
    struct find_title f = {0};
    double timeout = 10, deadline;

    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--title") && i + 1 < argc)
            f.want = argv[++i];
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
            timeout = (double)parse_long(argv[++i], 0, 86400);
        else
            usage();
    }
    if (!f.want)
        usage();
    deadline = now_s() + timeout;
    for (;;) {
        each_toplevel(match_title, &f);
        if (f.found) {
            printf("0x%lx\n", f.found);
            return 0;
        }
        if (now_s() >= deadline)
            break;
        usleep(50 * 1000);
    }
    printf("no viewable window titled '%s' after %.0f s\n", f.want, timeout);
    return 1;
}

/* Root coordinates of the window's inside, and its size. */
static bool window_geometry(Window w, int *x, int *y, int *width, int *height)
{
    XWindowAttributes a;
    Window child;

    if (!XGetWindowAttributes(dpy, w, &a))
        return false;
    if (!XTranslateCoordinates(dpy, w, root, 0, 0, x, y, &child))
        return false;
    *width = a.width;
    *height = a.height;
    return true;
}

static int cmd_geometry(int argc, char **argv)
{
    int x, y, w, h;

    if (argc != 1)
        usage();
    if (!window_geometry(parse_window(argv[0]), &x, &y, &w, &h)) {
        printf("no such window %s\n", argv[0]);
        return 1;
    }
    printf("%d %d %d %d\n", x, y, w, h);
    return 0;
}

/* The screen's pixels in a rectangle, clipped to the screen. */
struct grab {
    XImage *img;
    int x, y, w, h; /* what was grabbed, in root coordinates */
};

static bool grab_rect(int x, int y, int w, int h, struct grab *g)
{
    int sw = DisplayWidth(dpy, DefaultScreen(dpy)), sh = DisplayHeight(dpy, DefaultScreen(dpy));
    int x1 = x + w, y1 = y + h;

    g->x = x < 0 ? 0 : x;
    g->y = y < 0 ? 0 : y;
    g->w = (x1 > sw ? sw : x1) - g->x;
    g->h = (y1 > sh ? sh : y1) - g->y;
    g->img = NULL;
    if (g->w <= 0 || g->h <= 0)
        return false;
    g->img = XGetImage(dpy, root, g->x, g->y, (unsigned)g->w, (unsigned)g->h, AllPlanes, ZPixmap);
    return g->img != NULL;
}

/* 0xRRGGBB of a pixel of a TrueColor image (what Xvfb and Xorg give). */
static unsigned long rgb_at(XImage *img, int x, int y)
{
    unsigned long p = XGetPixel(img, x, y);
    unsigned long r = p & img->red_mask, gr = p & img->green_mask, b = p & img->blue_mask;

    if (img->red_mask == 0xff0000 && img->green_mask == 0xff00 && img->blue_mask == 0xff)
        return p & 0xffffff;
    if (!img->red_mask || !img->green_mask || !img->blue_mask)
        return p & 0xffffff;
    {
        /* other TrueColor layouts: scale each channel to 8 bits */
        int rs = __builtin_ctzl(img->red_mask), gs = __builtin_ctzl(img->green_mask);
        int bs = __builtin_ctzl(img->blue_mask);
        unsigned long rm = img->red_mask >> rs, gm = img->green_mask >> gs;
        unsigned long bm = img->blue_mask >> bs;

        r = (r >> rs) * 255 / rm;
        gr = (gr >> gs) * 255 / gm;
        b = (b >> bs) * 255 / bm;
    }
    return r << 16 | gr << 8 | b;
}

static int cmd_pixel(int argc, char **argv)
{
    struct grab g;
    int x, y;

    if (argc != 2)
        usage();
    x = (int)parse_long(argv[0], 0, 65535);
    y = (int)parse_long(argv[1], 0, 65535);
    if (!grab_rect(x, y, 1, 1, &g)) {
        printf("%d,%d is off the screen\n", x, y);
        return 1;
    }
    printf("%06lx\n", rgb_at(g.img, 0, 0));
    XDestroyImage(g.img);
    return 0;
}

/* Checks every pixel of the rectangle for which in_area() holds (in
 * rectangle coordinates); reports the first one that differs. */
static int check_pixels(int x, int y, int w, int h, unsigned long want,
                        bool (*in_area)(int, int, int, int, int), int width)
{
    struct grab g;
    long checked = 0;

    if (!grab_rect(x, y, w, h, &g)) {
        printf("the area %dx%d+%d+%d is off the screen\n", w, h, x, y);
        return 1;
    }
    for (int j = 0; j < g.h; j++) {
        for (int i = 0; i < g.w; i++) {
            int rx = g.x + i - x, ry = g.y + j - y; /* in the rectangle */
            unsigned long got;

            if (in_area && !in_area(rx, ry, w, h, width))
                continue;
            got = rgb_at(g.img, i, j);
            checked++;
            if (got != want) {
                printf("pixel %d,%d (root) is %06lx, not %06lx\n", g.x + i, g.y + j, got, want);
                XDestroyImage(g.img);
                return 1;
            }
        }
    }
    XDestroyImage(g.img);
    if (g.w != w || g.h != h)
        printf("note: only the on-screen part (%dx%d+%d+%d) was checked\n", g.w, g.h, g.x, g.y);
    return checked ? 0 : 1;
}

static bool in_border(int x, int y, int w, int h, int width)
{
    return x < width || y < width || x >= w - width || y >= h - width;
}

static int cmd_check_frame(int argc, char **argv)
{
    int x, y, w, h, width = 2;
    unsigned long want;

    if (argc != 2 && argc != 3)
        usage();
    want = parse_colour(argv[1]);
    if (argc == 3)
        width = (int)parse_long(argv[2], 1, 1000);
    if (!window_geometry(parse_window(argv[0]), &x, &y, &w, &h)) {
        printf("no such window %s\n", argv[0]);
        return 1;
    }
    return check_pixels(x, y, w, h, want, in_border, width);
}

static int cmd_check_rect(int argc, char **argv)
{
    if (argc != 5)
        usage();
    return check_pixels((int)parse_long(argv[0], -65535, 65535),
                        (int)parse_long(argv[1], -65535, 65535), (int)parse_long(argv[2], 1, 65535),
                        (int)parse_long(argv[3], 1, 65535), parse_colour(argv[4]), NULL, 0);
}

static int cmd_prop(int argc, char **argv)
{
    Atom name, type;
    int format;
    unsigned long n, after;
    unsigned char *data = NULL;
    char *tname;

    if (argc != 2)
        usage();
    name = XInternAtom(dpy, argv[1], True);
    if (name == None ||
        XGetWindowProperty(dpy, parse_window(argv[0]), name, 0, 65536, False, AnyPropertyType,
                           &type, &format, &n, &after, &data) != Success ||
        type == None) {
        printf("no property %s on %s\n", argv[1], argv[0]);
        if (data)
            XFree(data);
        return 1;
    }
    tname = XGetAtomName(dpy, type);
    if (format == 8) {
        /* strings; a list (WM_CLASS) prints its items NUL-separated as spaces */
        for (unsigned long i = 0; i < n; i++)
            putchar(data[i] ? data[i] : (i + 1 < n ? ' ' : '\n'));
        if (n == 0 || data[n - 1])
            putchar('\n');
    } else if (format == 32) {
        const long *v = (const long *)data;

        for (unsigned long i = 0; i < n; i++) {
            const char *sep = i + 1 < n ? " " : "\n";

            if (type == XA_ATOM) {
                char *an = XGetAtomName(dpy, (Atom)v[i]);
                printf("%s%s", an ? an : "?", sep);
                if (an)
                    XFree(an);
            } else if (type == XA_WINDOW) {
                printf("0x%lx%s", (unsigned long)v[i], sep);
            } else {
                /* CARDINAL (and anything else): hex and decimal */
                printf("0x%06lx %lu%s", (unsigned long)v[i] & 0xffffffffu,
                       (unsigned long)v[i] & 0xffffffffu, sep);
            }
        }
    } else {
        printf("(%s, format %d, %lu items)\n", tname ? tname : "?", format, n);
    }
    if (tname)
        XFree(tname);
    XFree(data);
    return 0;
}

static int cmd_screenshot(int argc, char **argv)
{
    struct grab g;
    GdkPixbuf *pb;
    GError *err = NULL;
    guchar *px;
    int rs;

    if (argc != 1)
        usage();
    if (!grab_rect(0, 0, 65535, 65535, &g)) {
        printf("could not read the screen\n");
        return 1;
    }
    pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, g.w, g.h);
    if (!pb) {
        XDestroyImage(g.img);
        return 2;
    }
    px = gdk_pixbuf_get_pixels(pb);
    rs = gdk_pixbuf_get_rowstride(pb);
    for (int y = 0; y < g.h; y++) {
        for (int x = 0; x < g.w; x++) {
            unsigned long c = rgb_at(g.img, x, y);
            guchar *o = px + (size_t)y * (size_t)rs + (size_t)x * 3;

            o[0] = (guchar)(c >> 16);
            o[1] = (guchar)(c >> 8);
            o[2] = (guchar)c;
        }
    }
    XDestroyImage(g.img);
    if (!gdk_pixbuf_save(pb, argv[0], "png", &err, NULL)) {
        fprintf(stderr, "gui-probe: %s: %s\n", argv[0], err ? err->message : "cannot save");
        g_clear_error(&err);
        g_object_unref(pb);
        return 2;
    }
    g_object_unref(pb);
    return 0;
}

static bool print_window(Window w, const XWindowAttributes *a, void *arg)
{
    Atom vmname = XInternAtom(dpy, "_QUBES_VMNAME", False), type;
    int format, x, y;
    unsigned long n, after;
    unsigned char *data = NULL;
    char *t = window_title(w);
    Window child;

    (void)arg;
    if (!XTranslateCoordinates(dpy, w, root, 0, 0, &x, &y, &child)) {
        x = a->x;
        y = a->y;
    }
    if (XGetWindowProperty(dpy, w, vmname, 0, 1024, False, AnyPropertyType, &type, &format, &n,
                           &after, &data) != Success ||
        format != 8) {
        if (data)
            XFree(data);
        data = NULL;
        n = 0;
    }
    printf("0x%lx %d %d %d %d \"%s\" %.*s\n", w, x, y, a->width, a->height, t ? t : "",
           data ? (int)n : 1, data ? (char *)data : "-");
    free(t);
    if (data)
        XFree(data);
    return true;
}

static int cmd_list(int argc, char **argv)
{
    (void)argv;
    if (argc != 0)
        usage();
    each_toplevel(print_window, NULL);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"wait-window", cmd_wait_window},
        {"geometry", cmd_geometry},
        {"pixel", cmd_pixel},
        {"check-frame", cmd_check_frame},
        {"check-rect", cmd_check_rect},
        {"prop", cmd_prop},
        {"screenshot", cmd_screenshot},
        {"list", cmd_list},
    };

    if (argc < 2)
        usage();
    dpy = XOpenDisplay(NULL);
    if (!dpy) {
        fprintf(stderr, "gui-probe: cannot open display '%s'\n",
                getenv("DISPLAY") ? getenv("DISPLAY") : "");
        return 2;
    }
    root = DefaultRootWindow(dpy);
    XSetErrorHandler(on_x_error);
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (!strcmp(argv[1], cmds[i].name)) {
            int r = cmds[i].fn(argc - 2, argv + 2);

            fflush(stdout);
            XCloseDisplay(dpy);
            return r;
        }
    }
    usage();
    return 2;
}
