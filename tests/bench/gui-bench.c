/* gui-bench: the programs of tests/bench/gui-bench.sh.
 *
 * gui-bench client --title T --size WxH [--area N] --seconds S
 *           --start-file F --log FILE [--done-file D] [--feedback FIFO --ahead N]
 *     In the qube's X server: maps a WxH window and paints frames, each an
 *     XShmPutImage of one of four precomputed images and an XSync; the first
 *     pixel of frame k's first and last rows holds k. --area N: only an NxN square at (0,0)
 *     changes. Flat out by default; with --feedback, paced the way an
 *     application synced to its compositor paints: frame k only once dom0
 *     showed frame k - N (the observer writes what it saw into FIFO).
 *     Starts counting once F exists, ends with the marker frame 0xffffff,
 *     keeps its window until D exists. Logs "k t_ns": CLOCK_MONOTONIC just
 *     before frame k was sent to the X server.
 * gui-bench observe --window WIN --size WxH [--area N] --ready-file F
 *           --log FILE --puts-log FILE [--done-file D] [--feedback FIFO]
 *           [--timeout S]
 *     In dom0's X server: watches the daemon's window with XDamage raw
 *     rectangles. Each rectangle that is exactly the client's update area
 *     (past the 2-pixel frame) is one put of a frame into dom0's window,
 *     the event the ceiling counts: its time goes to the puts log. Once no
 *     more events wait, reads the first column of the update area with a
 *     GetImage and logs "k t_ns" for each new value until the marker, then
 *     "reads R torn T": reads whose first and last rows held different
 *     frames. That reader misses frames: its GetImage waits behind the
 *     daemon's next put, so a frame put and overwritten meanwhile never
 *     reads. Creates F once it watches, D at the end.
 * gui-bench ceiling --size WxH [--area N] --seconds S
 *     In dom0's X server: the limit, the same XShmPutImage + XSync loop
 *     straight into a window; prints frames per second.
 * gui-bench report CLIENT_LOG OBSERVER_LOG PUTS_LOG
 *     Prints: frames/s sent, frames/s put into dom0's window, frames/s the
 *     reader saw, frames put, latency from the client sending a frame to
 *     dom0 showing it (median and p95, ms, of the frames the reader saw),
 *     share of the reads that found a torn frame (%).
 * Display from $DISPLAY. Exit 0, or 1 with a message. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>
#include <X11/extensions/Xdamage.h>

#define MARKER     0xffffffu
#define NFRAMES    4
#define FRAME_EDGE 2 /* the daemon's frame width: content starts here */

static int64_t now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "gui-bench: %s\n", what);
    exit(1);
}

struct opts {
    const char *title, *start_file, *ready_file, *done_file, *log, *puts_log, *feedback;
    unsigned width, height, area, ahead;
    double seconds, timeout;
    Window window;
};

static void parse_opts(int argc, char **argv, struct opts *o)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (!v)
            die("an option lacks its value");
        i++;
        if (!strcmp(a, "--title"))
            o->title = v;
        else if (!strcmp(a, "--size")) {
            if (sscanf(v, "%ux%u", &o->width, &o->height) != 2 || !o->width || !o->height)
                die("--size WxH");
        } else if (!strcmp(a, "--area"))
            o->area = (unsigned)atoi(v);
        else if (!strcmp(a, "--seconds"))
            o->seconds = atof(v);
        else if (!strcmp(a, "--timeout"))
            o->timeout = atof(v);
        else if (!strcmp(a, "--start-file"))
            o->start_file = v;
        else if (!strcmp(a, "--ready-file"))
            o->ready_file = v;
        else if (!strcmp(a, "--feedback"))
            o->feedback = v;
        else if (!strcmp(a, "--ahead"))
            o->ahead = (unsigned)atoi(v);
        else if (!strcmp(a, "--done-file"))
            o->done_file = v;
        else if (!strcmp(a, "--log"))
            o->log = v;
        else if (!strcmp(a, "--puts-log"))
            o->puts_log = v;
        else if (!strcmp(a, "--window"))
            o->window = (Window)strtoul(v, NULL, 0);
        else
            die("unknown option");
    }
}

/* The window under watch may go away (the daemon ends): not fatal. */
static int on_x_error(Display *d, XErrorEvent *e)
{
    (void)d;
    (void)e;
    return 0;
}

static Display *open_display(void)
{
    Display *d = XOpenDisplay(NULL);

    if (!d)
        die("cannot open the display");
    if (!XShmQueryExtension(d))
        die("the X server has no MIT-SHM");
    XSetErrorHandler(on_x_error);
    return d;
}

static Window make_window(Display *d, unsigned w, unsigned h, const char *title)
{
    XSetWindowAttributes sa = {.background_pixel = 0, .event_mask = StructureNotifyMask};
    Window win = XCreateWindow(d, DefaultRootWindow(d), 10, 10, w, h, 0, CopyFromParent,
                               InputOutput, CopyFromParent, CWBackPixel | CWEventMask, &sa);
    XEvent ev;

    if (title)
        XStoreName(d, win, title);
    XMapWindow(d, win);
    do
        XNextEvent(d, &ev);
    while (ev.type != MapNotify);
    return win;
}

struct shm_img {
    XImage *img;
    XShmSegmentInfo info;
};

static void shm_img_new(Display *d, unsigned w, unsigned h, unsigned seed, struct shm_img *s)
{
    int scr = DefaultScreen(d);

    s->img = XShmCreateImage(d, DefaultVisual(d, scr), (unsigned)DefaultDepth(d, scr), ZPixmap,
                             NULL, &s->info, w, h);
    if (!s->img || s->img->bits_per_pixel != 32)
        die("XShmCreateImage (32-bit pixels needed)");
    s->info.shmid = shmget(IPC_PRIVATE, (size_t)s->img->bytes_per_line * h, IPC_CREAT | 0600);
    if (s->info.shmid < 0)
        die("shmget");
    s->info.shmaddr = s->img->data = shmat(s->info.shmid, NULL, 0);
    if (s->info.shmaddr == (void *)-1)
        die("shmat");
    s->info.readOnly = False;
    if (!XShmAttach(d, &s->info))
        die("XShmAttach");
    XSync(d, False);
    /* removed now: it goes away with the last detach, even if we crash */
    shmctl(s->info.shmid, IPC_RMID, NULL);
    /* a pattern that differs everywhere from one frame to the next */
    for (unsigned y = 0; y < h; y++) {
        uint32_t *row = (uint32_t *)(s->img->data + (size_t)y * (size_t)s->img->bytes_per_line);
        for (unsigned x = 0; x < w; x++)
            row[x] = ((x + seed * 64) & 0xff) << 16 | ((y + seed * 32) & 0xff) << 8 |
                     ((x ^ y ^ seed * 85) & 0xff);
    }
}

static void put_frame(Display *d, Window win, GC gc, struct shm_img *s, uint32_t k)
{
    /* the first and the last row carry k: a frame whose two differ on
     * dom0 was torn (drawn over while dom0 copied it) */
    size_t last_row = (size_t)s->img->bytes_per_line * (size_t)(s->img->height - 1);

    ((uint32_t *)s->img->data)[0] = k;
    ((uint32_t *)(s->img->data + last_row))[0] = k;
    XShmPutImage(d, win, gc, s->img, 0, 0, 0, 0, (unsigned)s->img->width, (unsigned)s->img->height,
                 False);
    XSync(d, False);
}

static int cmd_client(struct opts *o)
{
    Display *d = open_display();
    Window win;
    GC gc;
    struct shm_img full, imgs[NFRAMES];
    unsigned pw = o->area ? o->area : o->width, ph = o->area ? o->area : o->height;
    size_t cap = 1 << 20, n = 0;
    int64_t *t = malloc(cap * sizeof(*t)), end;
    uint32_t seen = 0;
    int fb = -1;
    FILE *f;

    if (!o->title || !o->start_file || !o->log || !o->width || o->seconds <= 0 || !t)
        die("client: --title, --size, --seconds, --start-file and --log are needed");
    if (pw > o->width || ph > o->height)
        die("client: --area larger than the window");
    win = make_window(d, o->width, o->height, o->title);
    gc = XCreateGC(d, win, 0, NULL);
    shm_img_new(d, o->width, o->height, 7, &full);
    for (unsigned i = 0; i < NFRAMES; i++)
        shm_img_new(d, pw, ph, i, &imgs[i]);
    put_frame(d, win, gc, &full, 0);
    /* paced: blocks until the observer opens its end */
    if (o->feedback && (fb = open(o->feedback, O_RDONLY | O_CLOEXEC)) < 0)
        die("client: cannot open the feedback pipe");
    while (access(o->start_file, F_OK) != 0)
        usleep(10000);
    end = now_ns() + (int64_t)(o->seconds * 1e9);
    for (uint32_t k = 1; n < cap; k++) {
        /* paced: at most `ahead` frames past the last one dom0 showed */
        while (fb >= 0 && k > seen + o->ahead) {
            uint32_t v;
            if (read(fb, &v, sizeof(v)) != sizeof(v))
                die("client: the observer went away");
            seen = v > seen ? v : seen;
        }
        t[n++] = now_ns();
        put_frame(d, win, gc, &imgs[k % NFRAMES], k);
        if (t[n - 1] >= end)
            break;
    }
    put_frame(d, win, gc, &imgs[0], MARKER);
    f = fopen(o->log, "w");
    if (!f)
        die("client: cannot write the log");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%zu %lld\n", i + 1, (long long)t[i]);
    fclose(f);
    /* keep the window until the observer has seen the marker frame */
    for (int i = 0; o->done_file && i < 3000 && access(o->done_file, F_OK) != 0; i++)
        usleep(10000);
    XCloseDisplay(d);
    return 0;
}

/* The frame number dom0 shows, 0 if unreadable, TORN if the first and last
 * rows of the update area differ (one request: X runs it whole) */
#define TORN 0xffffffffu
static uint32_t read_counter(Display *d, Window win, unsigned ph)
{
    XImage *img = XGetImage(d, win, FRAME_EDGE, FRAME_EDGE, 1, ph, AllPlanes, ZPixmap);
    uint32_t v;

    if (!img)
        return 0;
    v = (uint32_t)XGetPixel(img, 0, 0) & 0xffffff;
    if (v != ((uint32_t)XGetPixel(img, 0, (int)ph - 1) & 0xffffff))
        v = TORN;
    XDestroyImage(img);
    return v;
}

static void write_log(const char *path, const uint32_t *k, const int64_t *t, size_t n)
{
    FILE *f = fopen(path, "w");

    if (!f)
        die("observe: cannot write a log");
    for (size_t i = 0; i < n; i++)
        if (!k)
            fprintf(f, "%lld\n", (long long)t[i]);
        else if (k[i] != MARKER && k[i] != 0)
            fprintf(f, "%u %lld\n", k[i], (long long)t[i]);
    fclose(f);
}

static int cmd_observe(struct opts *o)
{
    Display *d = open_display();
    int ev_base, err_base;
    size_t cap = 1 << 20, n = 0, np = 0;
    uint32_t *k = malloc(cap * sizeof(*k)), last = 0;
    int64_t *t = malloc(cap * sizeof(*t)), *tp = malloc(cap * sizeof(*tp)), deadline;
    unsigned pw = o->area ? o->area : o->width, ph = o->area ? o->area : o->height;
    bool fresh = false;
    unsigned long reads = 0, torn = 0;
    int fb = -1;
    FILE *f;

    if (!o->window || !o->width || !o->ready_file || !o->log || !o->puts_log || !k || !t || !tp)
        die("observe: --window, --size, --ready-file, --log and --puts-log are needed");
    signal(SIGPIPE, SIG_IGN);
    if (!XDamageQueryExtension(d, &ev_base, &err_base))
        die("observe: no Damage extension");
    XDamageCreate(d, o->window, XDamageReportRawRectangles);
    XSync(d, False);
    if (o->feedback && (fb = open(o->feedback, O_WRONLY | O_CLOEXEC)) < 0)
        die("observe: cannot open the feedback pipe");
    f = fopen(o->ready_file, "w");
    if (!f)
        die("observe: cannot create the ready file");
    fclose(f);
    deadline = now_ns() + (int64_t)((o->timeout > 0 ? o->timeout : 120) * 1e9);
    while (last != MARKER && n < cap && np < cap) {
        struct pollfd p = {.fd = ConnectionNumber(d), .events = POLLIN};
        XEvent ev;

        if (XPending(d)) {
            XNextEvent(d, &ev);
            if (ev.type != ev_base + XDamageNotify)
                continue;
            const XDamageNotifyEvent *de = (const XDamageNotifyEvent *)&ev;
            if (de->area.x == FRAME_EDGE && de->area.y == FRAME_EDGE && de->area.width == pw &&
                de->area.height == ph)
                tp[np++] = now_ns();
            fresh = true;
            continue;
        }
        if (!fresh) { /* nothing drawn since the last read */
            if (now_ns() >= deadline)
                die("observe: the marker frame never came");
            poll(&p, 1, 100);
            continue;
        }
        fresh = false;
        uint32_t v = read_counter(d, o->window, ph);
        int64_t when = now_ns();
        reads++;
        if (v == TORN)
            torn++;
        else if (v != last) {
            k[n] = v;
            t[n++] = when;
            last = v;
            /* a client that went away is past its last frame */
            if (fb >= 0 && v != MARKER && write(fb, &v, sizeof(v)) != sizeof(v)) {
                close(fb);
                fb = -1;
            }
        }
    }
    write_log(o->log, k, t, n);
    write_log(o->puts_log, NULL, tp, np);
    f = fopen(o->log, "a");
    if (!f)
        die("observe: cannot write the log");
    fprintf(f, "reads %lu torn %lu\n", reads, torn);
    fclose(f);
    if (o->done_file && (f = fopen(o->done_file, "w")))
        fclose(f);
    XCloseDisplay(d);
    return 0;
}

static int cmd_ceiling(struct opts *o)
{
    Display *d = open_display();
    unsigned pw, ph;
    Window win;
    GC gc;
    struct shm_img imgs[NFRAMES];
    int64_t t0, t1, end;
    uint32_t k = 0;

    if (!o->width || o->seconds <= 0)
        die("ceiling: --size and --seconds are needed");
    pw = o->area ? o->area : o->width;
    ph = o->area ? o->area : o->height;
    win = make_window(d, o->width, o->height, "gui-bench ceiling");
    gc = XCreateGC(d, win, 0, NULL);
    for (unsigned i = 0; i < NFRAMES; i++)
        shm_img_new(d, pw, ph, i, &imgs[i]);
    t0 = now_ns();
    end = t0 + (int64_t)(o->seconds * 1e9);
    do {
        k++;
        put_frame(d, win, gc, &imgs[k % NFRAMES], k);
        t1 = now_ns();
    } while (t1 < end);
    printf("%.1f\n", k / ((double)(t1 - t0) / 1e9));
    XCloseDisplay(d);
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

static int cmd_report(int argc, char **argv)
{
    FILE *cf, *of, *pf;
    size_t cap = 1 << 20, nc = 0, no = 0, nl = 0, np = 0;
    int64_t *ct = calloc(cap + 1, sizeof(*ct)), *lat = malloc(cap * sizeof(*lat));
    int64_t first = 0, last = 0, sent_first = 0, sent_last = 0, put_first = 0, put_last = 0;
    unsigned long long kk, k_first = 0, k_last = 0;
    unsigned long reads, torn;
    long long tt;

    if (argc != 3 || !ct || !lat)
        die("report CLIENT_LOG OBSERVER_LOG PUTS_LOG");
    cf = fopen(argv[0], "r");
    of = fopen(argv[1], "r");
    pf = fopen(argv[2], "r");
    if (!cf || !of || !pf)
        die("report: cannot read the logs");
    while (fscanf(cf, "%llu %lld", &kk, &tt) == 2)
        if (kk <= cap) {
            ct[kk] = tt;
            nc = kk > nc ? kk : nc;
            if (!sent_first)
                sent_first = tt;
            sent_last = tt;
        }
    while (fscanf(of, "%llu %lld", &kk, &tt) == 2) {
        if (kk == 0 || kk > nc || !ct[kk])
            continue;
        if (!no) {
            first = tt;
            k_first = kk;
        }
        last = tt;
        k_last = kk;
        no++;
        lat[nl++] = tt - ct[kk];
    }
    if (fscanf(of, "reads %lu torn %lu", &reads, &torn) != 2 || !reads)
        die("report: the observer log lacks its reads line");
    /* the puts between the first and the last counted frame the reader saw:
     * not the client's first frame or its end marker */
    while (fscanf(pf, "%lld", &tt) == 1)
        if (tt >= first && tt <= last) {
            if (!np)
                put_first = tt;
            put_last = tt;
            np++;
        }
    fclose(cf);
    fclose(of);
    fclose(pf);
    if (no < 2 || nc < 2 || np < 2)
        die("report: too few frames");
    /* between the two reads only frames k_first + 1 .. k_last can have been
     * put: more puts would count some frame twice */
    if (np - 1 > k_last - k_first) {
        fprintf(stderr, "gui-bench: %zu puts for the %llu frames sent between two reads\n", np - 1,
                k_last - k_first);
        return 1;
    }
    qsort(lat, nl, sizeof(*lat), cmp_i64);
    /* sent/s, put/s, seen/s, frames put, median and p95 latency (ms), % torn */
    printf("%.1f %.1f %.1f %zu %.2f %.2f %.1f\n",
           (double)(nc - 1) / ((double)(sent_last - sent_first) / 1e9),
           (double)(np - 1) / ((double)(put_last - put_first) / 1e9),
           (double)(no - 1) / ((double)(last - first) / 1e9), np, (double)lat[nl / 2] / 1e6,
           (double)lat[nl * 95 / 100] / 1e6, 100.0 * (double)torn / (double)reads);
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o = {0};

    if (argc < 2)
        die("usage: gui-bench client|observe|ceiling|report ...");
    if (!strcmp(argv[1], "report"))
        return cmd_report(argc - 2, argv + 2);
    parse_opts(argc - 2, argv + 2, &o);
    if (!strcmp(argv[1], "client"))
        return cmd_client(&o);
    if (!strcmp(argv[1], "observe"))
        return cmd_observe(&o);
    if (!strcmp(argv[1], "ceiling"))
        return cmd_ceiling(&o);
    die("unknown command");
    return 1;
}
