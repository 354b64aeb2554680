/* qubes-clipboard --get | --set [--max-bytes N] (VM): the bodies of
 * qubes.ClipboardCopy (--get: prints the qube's CLIPBOARD selection as
 * UTF-8 text) and qubes.ClipboardPaste (--set: reads text from stdin and
 * makes it the qube's CLIPBOARD, owned by a background process until
 * another program takes the selection). dom0's GUI daemon mediates both
 * ends: the user decides which qube's clipboard goes where.
 *
 * Pasted text comes from another qube: at most --max-bytes (default
 * 64 KiB) and valid UTF-8, else nothing is set. Copied text is bounded the
 * same way, whatever the owner program offers; larger or invalid text is
 * refused, never cut.
 *
 * Exit: 0 done (an empty clipboard prints nothing); 1 refused or failed
 * (message on stderr); 2 usage. */
#include "vm-agent/services/validate.h"
#include "vm-agent/services/xsel.h"

#include <X11/Xlib.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MAX 65536
#define MAX_MAX     (1 << 20)
#define GET_TIMEOUT 5000 /* ms for the owner to answer (each INCR step too) */
#define PROPERTY    "BULKHEAD_CLIPBOARD"

static Display *dpy;
static Window win;
static struct xsel_atoms at;
static Atom a_prop;

static int ignore_x_error(Display *d, XErrorEvent *e)
{
    (void)d, (void)e; /* a requestor that went away: not our problem */
    return 0;
}

static int open_x(void)
{
    if (!getenv("DISPLAY"))
        setenv("DISPLAY", ":0", 1);
    dpy = XOpenDisplay(NULL);
    if (!dpy)
        return -1;
    XSetErrorHandler(ignore_x_error);
    xsel_atoms_init(dpy, &at);
    a_prop = XInternAtom(dpy, PROPERTY, False);
    win = XCreateSimpleWindow(dpy, DefaultRootWindow(dpy), 0, 0, 1, 1, 0, 0, 0);
    XSelectInput(dpy, win, PropertyChangeMask);
    return 0;
}

/* The next event of type on our window, waiting at most GET_TIMEOUT ms. */
static bool wait_event(int type, XEvent *ev)
{
    struct pollfd p = {.fd = ConnectionNumber(dpy), .events = POLLIN};
    struct timespec t0, t;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        while (XPending(dpy)) {
            XNextEvent(dpy, ev);
            if (ev->type == type && ev->xany.window == win)
                return true;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        long left =
            GET_TIMEOUT - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return false;
    }
}

/* Appends the property's value (deleting it) to buf; -1 if over max. */
static int take_property(char *buf, size_t *len, size_t max, Atom *type)
{
    return xsel_take_property(dpy, win, a_prop, buf, len, max, at.incr, type);
}

static int get_into(char *buf, size_t max)
{
    size_t len = 0;
    XEvent ev;
    Atom type;

    if (open_x() < 0) {
        fprintf(stderr, "qubes-clipboard: cannot open the X display %s\n", getenv("DISPLAY"));
        return 1;
    }
    if (XGetSelectionOwner(dpy, at.clipboard) == None)
        return 0; /* nothing copied: an empty clipboard */
    XConvertSelection(dpy, at.clipboard, at.utf8, a_prop, win, CurrentTime);
    if (!wait_event(SelectionNotify, &ev)) {
        fprintf(stderr, "qubes-clipboard: the clipboard's owner did not answer\n");
        return 1;
    }
    if (ev.xselection.property == None)
        return 0; /* the owner has no text */
    if (take_property(buf, &len, max, &type) < 0)
        goto too_long;
    if (type == at.incr) { /* the owner sends it in pieces, ending with an empty one */
        for (;;) {
            do {
                if (!wait_event(PropertyNotify, &ev)) {
                    fprintf(stderr, "qubes-clipboard: the clipboard's owner stopped sending\n");
                    return 1;
                }
            } while (ev.xproperty.atom != a_prop || ev.xproperty.state != PropertyNewValue);
            size_t before = len;
            if (take_property(buf, &len, max, &type) < 0)
                goto too_long;
            if (len == before)
                break;
        }
    }
    if (!svc_utf8_ok(buf, len)) {
        fprintf(stderr, "qubes-clipboard: the clipboard does not hold UTF-8 text\n");
        return 1;
    }
    return fwrite(buf, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : 1;
too_long:
    fprintf(stderr, "qubes-clipboard: the clipboard holds more than %zu bytes; not copied\n", max);
    return 1;
}

static int do_get(size_t max)
{
    char *buf = malloc(max + 1);
    int r = buf ? get_into(buf, max) : 1;

    free(buf);
    return r;
}

static int set_from(char *untrusted_text, size_t max)
{
    size_t len = 0;
    ssize_t r;
    int p[2];
    char status = 'x';

    while (len <= max && (r = read(0, untrusted_text + len, max + 1 - len)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            perror("qubes-clipboard: reading the text");
            return 1;
        }
        len += (size_t)r;
    }
    /* sanitize start */
    if (len > max) {
        fprintf(stderr, "qubes-clipboard: refused: more than %zu bytes; nothing set\n", max);
        return 1;
    }
    if (!svc_utf8_ok(untrusted_text, len)) {
        fprintf(stderr, "qubes-clipboard: refused: not UTF-8 text; nothing set\n");
        return 1;
    }
    const char *text = untrusted_text;
    /* sanitize end */
    bool ascii = true;
    for (size_t i = 0; i < len; i++)
        ascii = ascii && (unsigned char)text[i] < 0x80;

    if (pipe(p) < 0)
        return 1;
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid > 0) { /* reports whether the owner process got the selection */
        close(p[1]);
        while (read(p[0], &status, 1) < 0 && errno == EINTR)
            ;
        if (status == 'd')
            fprintf(stderr, "qubes-clipboard: cannot open the X display %s\n",
                    getenv("DISPLAY") ? getenv("DISPLAY") : ":0");
        else if (status != 'k')
            fprintf(stderr, "qubes-clipboard: could not take the clipboard\n");
        return status == 'k' ? 0 : 1;
    }
    /* the owner: detached from the call, which ends when the parent does */
    close(p[0]);
    setsid();
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0), dup2(null, 1), dup2(null, 2);
    if (open_x() < 0) {
        status = 'd';
        (void)!write(p[1], &status, 1);
        _exit(1);
    }
    /* a server timestamp for the ownership (ICCCM): a zero-length append */
    XEvent ev;
    XChangeProperty(dpy, win, a_prop, at.utf8, 8, PropModeAppend, NULL, 0);
    Time ts = wait_event(PropertyNotify, &ev) ? ev.xproperty.time : CurrentTime;
    XSetSelectionOwner(dpy, at.clipboard, win, ts);
    status = XGetSelectionOwner(dpy, at.clipboard) == win ? 'k' : 'o';
    (void)!write(p[1], &status, 1);
    close(p[1]);
    if (status != 'k')
        _exit(1);
    for (;;) {
        XNextEvent(dpy, &ev);
        if (ev.type == SelectionClear && ev.xselectionclear.selection == at.clipboard)
            _exit(0); /* another program owns the clipboard now */
        if (ev.type == SelectionRequest && ev.xselectionrequest.selection == at.clipboard)
            xsel_answer(dpy, &at, &ev.xselectionrequest, text, len, ascii, ts);
    }
}

static int do_set(size_t max)
{
    char *buf = malloc(max + 1);
    int r = buf ? set_from(buf, max) : 1;

    free(buf); /* in the parent; the owner process keeps its copy until it exits */
    return r;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"get", no_argument, NULL, 'g'},
                                         {"set", no_argument, NULL, 's'},
                                         {"max-bytes", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    int mode = 0, o;
    unsigned long max = DEFAULT_MAX;
    char *end;

    while ((o = getopt_long(argc, argv, "gsm:h", opts, NULL)) != -1) {
        switch (o) {
        case 'g':
        case 's':
            mode = o;
            break;
        case 'm':
            errno = 0;
            max = strtoul(optarg, &end, 10);
            if (errno || end == optarg || *end || max == 0 || max > MAX_MAX) {
                fprintf(stderr, "qubes-clipboard: --max-bytes: 1 to %d\n", MAX_MAX);
                return 2;
            }
            break;
        case 'h':
            printf("usage: qubes-clipboard --get|--set [--max-bytes N]\n"
                   "  --get  print the CLIPBOARD selection (UTF-8 text)\n"
                   "  --set  make stdin the CLIPBOARD selection\n"
                   "  --max-bytes N  the size limit (default %d)\n",
                   DEFAULT_MAX);
            return 0;
        default:
            return 2;
        }
    }
    if (!mode || optind != argc) {
        fprintf(stderr, "usage: qubes-clipboard --get|--set [--max-bytes N]\n");
        return 2;
    }
    return mode == 'g' ? do_get(max) : do_set(max);
}
