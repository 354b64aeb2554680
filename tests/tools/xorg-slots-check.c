/* xorg-slots-check: what the bulkheadshm module's slots promise, seen
 * from its socket and from the pixels (vm-agent/xorg/slots.c). Run against
 * a qube's Xorg with the module ($DISPLAY), nothing else redirecting
 * windows; prints TAP lines (without the plan) and exits 0.
 *
 * The promise: a locked slot keeps the pixels it had when it was locked
 * whatever is drawn meanwhile; drawing goes to the other slot, which holds
 * the window as it is (a partial drawing finds there everything drawn
 * before it; a whole-window drawing needs nothing); a release lets the
 * slot be drawn into again; a lock of a pixmap that is gone is refused;
 * malformed requests are answered with an error on a connection that
 * keeps working. */
#include "vm-agent/xorg/xorg_shm_proto.h"

#include "lib/shm.h"

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/Xcomposite.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define W 200
#define H 100

#define RED    0xff0000u
#define BLUE   0x0000ffu
#define GREEN  0x00ff00u
#define YELLOW 0xffff00u
#define WHITE  0xffffffu

static int n_test;
static Display *dpy;
static int sock = -1;

static void ok(int cond, const char *what)
{
    printf("%sok %d - %s\n", cond ? "" : "not ", ++n_test, what);
}

static int ask(const struct xorg_shm_request *rq, struct xorg_shm_reply *rp, int *fds,
               unsigned *nfds)
{
    char buf[sizeof(*rp)];
    union {
        char c[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } cm;
    struct iovec iov = {buf, sizeof(buf)};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.c, .msg_controllen = sizeof(cm.c)};
    struct pollfd p = {.fd = sock, .events = POLLIN};
    ssize_t n;

    *nfds = 0;
    if (send(sock, rq, sizeof(*rq), 0) != (ssize_t)sizeof(*rq) || poll(&p, 1, 5000) != 1)
        return -EPIPE;
    n = recvmsg(sock, &m, 0);
    if (n != (ssize_t)sizeof(*rp))
        return -EPIPE;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) && *nfds < 4; i++)
            memcpy(&fds[(*nfds)++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    if (xorg_shm_parse_reply(buf, (size_t)n, *nfds, rp) < 0)
        return -EPROTO;
    return rp->status;
}

/* An unasked XORG_SHM_FRAME within ms, or -1 (status otherwise). */
static int next_push(int ms, struct xorg_shm_reply *rp)
{
    struct pollfd p = {.fd = sock, .events = POLLIN};

    if (poll(&p, 1, ms) != 1 || recv(sock, rp, sizeof(*rp), 0) != (ssize_t)sizeof(*rp) ||
        xorg_shm_parse_reply(rp, sizeof(*rp), 0, rp) < 0 || rp->op != XORG_SHM_FRAME)
        return -1;
    return 0;
}

static struct xorg_shm_request req(uint32_t op, Window win, uint32_t slots, uint64_t serial)
{
    struct xorg_shm_request rq = {.magic = XORG_SHM_MAGIC,
                                  .op = op,
                                  .window = (uint32_t)win,
                                  .kind = SHM_MEMFD,
                                  .slots = slots,
                                  .serial = serial};
    return rq;
}

/* LOCK of the slot win is drawn in now (as the agent asks): the status,
 * and in *slot the slot locked. */
static int lock_slot(Window win, uint64_t serial, int *slot)
{
    struct xorg_shm_request rq = req(XORG_SHM_LOCK, win, 0, serial);
    struct xorg_shm_reply rp = {0};
    int fds[4];
    unsigned nfds;
    int r = ask(&rq, &rp, fds, &nfds);

    *slot = (int)rp.slot;
    return r;
}

/* RELEASE (never answered); true if sent whole. */
static bool release_slot(Window win, uint32_t slot, uint64_t serial)
{
    struct xorg_shm_request rq = req(XORG_SHM_RELEASE, win, slot, serial);

    return send(sock, &rq, sizeof(rq), 0) == (ssize_t)sizeof(rq);
}

static Window make_window_border(unsigned border)
{
    XSetWindowAttributes sa = {.background_pixel = WHITE, .event_mask = StructureNotifyMask};
    Window win = XCreateWindow(dpy, DefaultRootWindow(dpy), 0, 0, W, H, border, CopyFromParent,
                               InputOutput, CopyFromParent, CWBackPixel | CWEventMask, &sa);
    XEvent ev;

    XMapWindow(dpy, win);
    do
        XNextEvent(dpy, &ev);
    while (ev.type != MapNotify);
    return win;
}

/* A whole-window PutImage of one colour (the module's no-copy case). */
static void put_whole(Window win, GC gc, uint32_t colour)
{
    XImage *img = XCreateImage(dpy, DefaultVisual(dpy, DefaultScreen(dpy)), 24, ZPixmap, 0, NULL, W,
                               H, 32, 0);
    img->data = malloc((size_t)img->bytes_per_line * H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            XPutPixel(img, x, y, colour);
    XPutImage(dpy, win, gc, img, 0, 0, 0, 0, W, H);
    XDestroyImage(img);
    XSync(dpy, False);
}

static void fill(Window win, GC gc, uint32_t colour, int x, int y, int w, int h)
{
    XSetForeground(dpy, gc, colour);
    XFillRectangle(dpy, win, gc, x, y, (unsigned)w, (unsigned)h);
    XSync(dpy, False);
}

static Window make_window(void)
{
    return make_window_border(0);
}

static uint32_t px(const uint32_t *slot, int x, int y)
{
    return slot[(size_t)y * W + (size_t)x] & 0xffffff;
}

/* at a stride of `stride` bytes (a bordered window's rows are longer) */
static uint32_t pxs(const uint32_t *slot, uint32_t stride, int x, int y)
{
    return slot[(size_t)y * (stride / 4) + (size_t)x] & 0xffffff;
}

int main(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct xorg_shm_request rq;
    struct xorg_shm_reply rp;
    int fds[4], r;
    unsigned nfds;
    const uint32_t *slot[2] = {NULL, NULL};
    Window win, win2;
    GC gc;
    size_t len;

    setvbuf(stdout, NULL, _IOLBF, 0); /* each line out even if we die */
    dpy = XOpenDisplay(NULL);
    if (!dpy) {
        printf("not ok 1 - cannot open the display\n");
        return 0;
    }
    len = xorg_shm_socket_name(DisplayString(dpy), sa.sun_path, sizeof(sa.sun_path));
    sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    ok(len && connect(sock, (struct sockaddr *)&sa,
                      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) == 0,
       "connected to the module's socket");
    /* as the agent does: every top-level window gets a Composite pixmap */
    XCompositeRedirectSubwindows(dpy, DefaultRootWindow(dpy), CompositeRedirectManual);
    win = make_window();
    gc = XCreateGC(dpy, win, 0, NULL);
    put_whole(win, gc, RED);

    rq = req(XORG_SHM_WINDOW, win, 2, 0);
    r = ask(&rq, &rp, fds, &nfds);
    ok(r == 0 && rp.slots == 2 && nfds == 2 && rp.width == W && rp.height == H,
       "a window asked with two slots comes with two memfds of its size");
    if (r != 0 || nfds != 2)
        return 0;
    for (int i = 0; i < 2; i++)
        slot[i] = mmap(NULL, rp.bytes, PROT_READ, MAP_SHARED, fds[i], 0);
    ok(slot[0] != MAP_FAILED && slot[1] != MAP_FAILED, "both slots map");
    ok(px(slot[0], 5, 5) == RED && px(slot[1], W - 1, H - 1) == RED,
       "both slots hold the window's pixels");
    uint64_t serial = rp.serial;

    int s, got;
    r = lock_slot(win, serial, &s);
    int o = 1 - s;
    ok(r == 0 && s >= 0 && s <= 1, "LOCK locks the slot drawn in now");
    put_whole(win, gc, BLUE);
    ok(px(slot[s], 5, 5) == RED && px(slot[s], W - 1, H - 1) == RED,
       "a whole-window drawing leaves the locked slot as it was");
    ok(px(slot[o], 5, 5) == BLUE && px(slot[o], W - 1, H - 1) == BLUE,
       "... and goes to the other slot");
    fill(win, gc, GREEN, 10, 10, 20, 20);
    ok(px(slot[s], 15, 15) == RED && px(slot[o], 15, 15) == GREEN && px(slot[o], 5, 5) == BLUE,
       "a partial drawing goes to the unlocked slot too");

    /* dom0 is done with s; the next frame is o */
    ok(release_slot(win, (uint32_t)s, serial), "RELEASE (not answered)");
    r = lock_slot(win, serial, &got);
    ok(r == 0 && got == o, "the next LOCK locks the other slot");
    fill(win, gc, YELLOW, 50, 50, 10, 10);
    ok(px(slot[s], 55, 55) == YELLOW, "a partial drawing moves back to the released slot");
    ok(px(slot[s], 15, 15) == GREEN && px(slot[s], 5, 5) == BLUE &&
           px(slot[s], W - 1, H - 1) == BLUE,
       "... which was first brought up to date (what changed while it was locked)");
    ok(px(slot[o], 55, 55) == BLUE && px(slot[o], 15, 15) == GREEN,
       "the locked slot did not change");
    /* a self-copy reads the pixels it moves: must find them up to date */
    release_slot(win, (uint32_t)o, serial);
    r = lock_slot(win, serial, &got);
    ok(r == 0 && got == s, "LOCK of the slot drawn in");
    XCopyArea(dpy, win, win, gc, 50, 50, 10, 10, 100, 60);
    XSync(dpy, False);
    ok(px(slot[o], 105, 65) == YELLOW && px(slot[o], 55, 55) == YELLOW &&
           px(slot[s], 105, 65) == BLUE,
       "a copy within the window while locked reads the current pixels");

    /* both locked: drawing goes on (into the current one) and nothing breaks */
    r = lock_slot(win, serial, &got);
    fill(win, gc, GREEN, 0, 0, 5, 5);
    ok(r == 0 && XPending(dpy) >= 0, "drawing with both slots locked goes on");
    for (int i = 0; i < 2; i++)
        release_slot(win, (uint32_t)i, serial);

    /* a resize is a new pixmap: the old serial is refused */
    XResizeWindow(dpy, win, W + 10, H);
    XSync(dpy, False);
    ok(lock_slot(win, serial, &got) == -ESTALE,
       "LOCK of a pixmap the window no longer has: -ESTALE");

    /* one slot when asked for one */
    win2 = make_window();
    rq = req(XORG_SHM_WINDOW, win2, 1, 0);
    r = ask(&rq, &rp, fds, &nfds);
    ok(r == 0 && rp.slots == 1 && nfds == 1, "a window asked with one slot comes with one");
    for (unsigned i = 0; i < nfds; i++)
        close(fds[i]);

    /* three slots: two frames locked, drawing goes to the third */
    rq = req(XORG_SHM_WINDOW, win2, 3, 0);
    r = ask(&rq, &rp, fds, &nfds);
    ok(r == 0 && rp.slots == 3 && nfds == 3, "asked for three slots, a window gets three");
    if (r == 0 && nfds == 3) {
        const uint32_t *t[3];
        unsigned locked = 0;
        uint64_t serial2 = rp.serial;
        for (int i = 0; i < 3; i++)
            t[i] = mmap(NULL, rp.bytes, PROT_READ, MAP_SHARED, fds[i], 0);
        put_whole(win2, gc, RED);
        int a;
        r = lock_slot(win2, serial2, &a);
        locked |= 1u << a;
        put_whole(win2, gc, BLUE);
        int b, r2 = lock_slot(win2, serial2, &b);
        locked |= 1u << b;
        put_whole(win2, gc, GREEN);
        int c = 3 - a - b;
        ok(r == 0 && r2 == 0 && a != b && locked == ((1u << a) | (1u << b)),
           "two LOCKs lock two different slots");
        ok(px(t[a], 1, 1) == RED && px(t[b], 1, 1) == BLUE && px(t[c], 1, 1) == GREEN,
           "each locked frame kept, the third slot drawn in");
        /* two LOCKs with nothing drawn between lock one slot twice: the
         * first RELEASE must leave it locked for the second frame */
        for (int i = 0; i < 2; i++) {
            release_slot(win2, (uint32_t)(i ? b : a), serial2);
        }
        int x1;
        r = lock_slot(win2, serial2, &x1);
        int x2;
        r2 = lock_slot(win2, serial2, &x2);
        release_slot(win2, (uint32_t)x1, serial2);
        put_whole(win2, gc, WHITE);
        ok(r == 0 && r2 == 0 && x1 == x2 && px(t[x1], 1, 1) == GREEN,
           "a slot locked twice stays locked after one RELEASE");
        release_slot(win2, (uint32_t)x2, serial2);

        /* the same agent asking for the window again keeps its locks */
        int l;
        r = lock_slot(win2, serial2, &l);
        rq = req(XORG_SHM_WINDOW, win2, 3, 0);
        r2 = ask(&rq, &rp, fds, &nfds);
        for (unsigned i = 0; r2 == 0 && i < nfds; i++)
            close(fds[i]);
        put_whole(win2, gc, RED);
        ok(r == 0 && r2 == 0 && px(t[l], 1, 1) == WHITE,
           "the same agent asking for a window again keeps its locked slot as it was");
        /* a CopyArea from a pixmap smaller than the window writes only part
         * of it (with no background to tile the rest, as GL and video
         * windows have): the rest must come from the frame before */
        XSetWindowBackgroundPixmap(dpy, win2, None);
        Pixmap small = XCreatePixmap(dpy, win2, 10, 10, (unsigned)DefaultDepth(dpy, 0));
        XSetForeground(dpy, gc, BLUE);
        XFillRectangle(dpy, small, gc, 0, 0, 10, 10);
        int m;
        r = lock_slot(win2, serial2, &m);
        int n = 3 - l - m;
        XCopyArea(dpy, small, win2, gc, 0, 0, W, H, 0, 0);
        XSync(dpy, False);
        ok(r == 0 && l != m && px(t[m], 1, 1) == RED && px(t[n], 1, 1) == BLUE &&
               px(t[n], W - 1, H - 1) == RED,
           "a copy from a pixmap smaller than the window keeps the rest of the window");
        XFreePixmap(dpy, small);
        for (int i = 0; i < 2; i++) {
            release_slot(win2, (uint32_t)(i ? m : l), serial2);
        }

        /* many scattered drawings while a slot is locked: the other slots'
         * stale regions become their extents past a few dozen boxes, and
         * the next move still brings its slot up to date */
        int k;
        r = lock_slot(win2, serial2, &k);
        for (int i = 0; i < 100; i++) {
            XSetForeground(dpy, gc, YELLOW);
            XFillRectangle(dpy, win2, gc, (i * 37) % (W - 2), (i * 53) % (H - 2), 1, 1);
        }
        XSync(dpy, False);
        release_slot(win2, (uint32_t)k, serial2);
        int j;
        r2 = lock_slot(win2, serial2, &j);
        fill(win2, gc, GREEN, W - 1, H - 1, 1, 1);
        int dots = 0, drawn = -1;
        for (int i = 0; i < 3; i++)
            if (i != j && px(t[i], W - 1, H - 1) == GREEN)
                drawn = i;
        for (int i = 0; drawn >= 0 && i < 100; i++)
            dots += px(t[drawn], (i * 37) % (W - 2), (i * 53) % (H - 2)) == YELLOW;
        ok(r == 0 && r2 == 0 && j != k && drawn >= 0 && dots == 100,
           "after a hundred scattered drawings the next slot is brought up to date");
        release_slot(win2, (uint32_t)j, serial2);
    } else {
        ok(0, "two LOCKs lock two different slots");
        ok(0, "each locked frame kept, the third slot drawn in");
        ok(0, "a slot locked twice stays locked after one RELEASE");
        ok(0, "the same agent asking for a window again keeps its locked slot as it was");
        ok(0, "a copy from a pixmap smaller than the window keeps the rest of the window");
        ok(0, "after a hundred scattered drawings the next slot is brought up to date");
    }

    /* XORG_SHM_AUTO: whole-window drawings are locked and told as they
     * happen, while a slot stays free */
    Window win3 = make_window();
    rq = req(XORG_SHM_WINDOW, win3, 3, 0);
    rq.flags = XORG_SHM_AUTO;
    r = ask(&rq, &rp, fds, &nfds);
    ok(r == 0 && nfds == 3, "a window asked for with XORG_SHM_AUTO");
    if (r == 0 && nfds == 3) {
        const uint32_t *t[3];
        struct xorg_shm_reply f1, f2, f3;
        uint64_t serial3 = rp.serial;
        for (int i = 0; i < 3; i++)
            t[i] = mmap(NULL, rp.bytes, PROT_READ, MAP_SHARED, fds[i], 0);
        put_whole(win3, gc, RED);
        int p1 = next_push(2000, &f1);
        put_whole(win3, gc, BLUE);
        int p2 = next_push(2000, &f2);
        ok(p1 == 0 && p2 == 0 && f1.window == win3 && f1.serial == serial3 && f1.slot != f2.slot &&
               f2.draws > f1.draws,
           "each whole-window drawing comes as a frame, locked in a slot of its own");
        ok(p1 == 0 && p2 == 0 && px(t[f1.slot], 3, 3) == RED && px(t[f2.slot], 3, 3) == BLUE,
           "... holding that drawing");
        put_whole(win3, gc, GREEN);
        fill(win3, gc, YELLOW, 1, 1, 2, 2);
        int p3 = next_push(300, &f3);
        int third = 3 - (int)f1.slot - (int)f2.slot;
        ok(p3 < 0 && p1 == 0 && p2 == 0 && px(t[f1.slot], 3, 3) == RED &&
               px(t[f2.slot], 3, 3) == BLUE && px(t[third], 3, 3) == GREEN &&
               px(t[third], 1, 1) == YELLOW,
           "with one slot left free, no more frames: drawing goes on into it");
        release_slot(win3, f1.slot, serial3);
        put_whole(win3, gc, WHITE);
        p3 = next_push(2000, &f3);
        ok(p3 == 0 && px(t[f3.slot], 3, 3) == WHITE && px(t[f2.slot], 3, 3) == BLUE,
           "a RELEASE makes room for the next frame");
    } else {
        for (int i = 0; i < 4; i++)
            ok(0, "(no auto frames)");
    }

    /* a bordered window (every Xt shell has one): the module lays each
     * slot out so that the window's first pixel starts the shared memory;
     * frames and slot moves work inside the border the same */
    Window win4 = make_window_border(5);
    rq = req(XORG_SHM_WINDOW, win4, 3, 0);
    rq.flags = XORG_SHM_AUTO;
    r = ask(&rq, &rp, fds, &nfds);
    ok(r == 0 && nfds == 3 && rp.width == W && rp.height == H && rp.stride == (W + 10) * 4,
       "a window with a 5-pixel border: its rows at the pixmap's stride");
    if (r == 0 && nfds == 3) {
        const uint32_t *t[3];
        struct xorg_shm_reply f;
        uint32_t st = rp.stride;
        for (int i = 0; i < 3; i++)
            t[i] = mmap(NULL, rp.bytes, PROT_READ, MAP_SHARED, fds[i], 0);
        put_whole(win4, gc, BLUE);
        int p = next_push(2000, &f);
        ok(p == 0 && pxs(t[f.slot], st, 0, 0) == BLUE && pxs(t[f.slot], st, W - 1, H - 1) == BLUE,
           "... its frame holds the window from the memory's first byte");
        fill(win4, gc, GREEN, 0, 0, 2, 2);
        int found = -1;
        for (int i = 0; i < 3; i++)
            if (i != (int)f.slot && pxs(t[i], st, 0, 0) == GREEN)
                found = i;
        ok(p == 0 && found >= 0 && pxs(t[found], st, W - 1, H - 1) == BLUE &&
               pxs(t[f.slot], st, 0, 0) == BLUE,
           "... and a partial drawing moves to a slot brought up to date");
    } else {
        ok(0, "(no bordered window)");
        ok(0, "(no bordered window)");
    }

    /* malformed: an error, and the connection still answers */
    rq = req(XORG_SHM_WINDOW, win2, XORG_SHM_SLOTS + 1, 0);
    r = ask(&rq, &rp, fds, &nfds);
    ok(r == -EINVAL, "more slots than there may be: -EINVAL");
    rq = req(XORG_SHM_LOCK, win2, 0, 0);
    r = ask(&rq, &rp, fds, &nfds);
    ok(r == -EINVAL, "LOCK without a serial: -EINVAL");
    rq = req(9, win2, 0, 1);
    r = ask(&rq, &rp, fds, &nfds);
    ok(r == -EINVAL, "an unknown op: -EINVAL");
    rq = req(XORG_SHM_LOCK, 0x7ffffff, 0, 5);
    r = ask(&rq, &rp, fds, &nfds);
    ok(r == -ENOENT, "LOCK of a window that does not exist: -ENOENT");
    rq = req(XORG_SHM_WINDOW, win2, 1, 0);
    r = ask(&rq, &rp, fds, &nfds);
    ok(r == 0, "the connection still answers");
    XFreeGC(dpy, gc);
    XCloseDisplay(dpy);
    return 0;
}
