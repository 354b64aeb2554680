/* gui-daemon: options, the connection to the qube's agent and to dom0's X
 * server, the handshake, and the event loop (poll over both). See daemon.h.
 *
 *   gui-daemon -d DOMID -N NAME -c 0xRRGGBB -l LABEL [--max-windows N]
 *              [--max-clipboard-size BYTES] [--allow-utf8-titles]
 *              [--allow-fullscreen] [--connect-timeout SECONDS] [--foreground]
 *
 * Exit status: 0 when the agent closed the channel (the qube shut down), 1
 * for a start-up failure, 2 after a protocol violation. */
#include "gui-daemon/daemon.h"

#include "lib/log.h"
#include "lib/untrusted.h"
#include "lib/vchan.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUT_MAX       (4u << 20)  /* queued for a slow agent; more means it stopped reading */
#define OUT_DROPPABLE (64u << 10) /* past this backlog, pointer motion is dropped */

static noreturn void usage(int status)
{
    fprintf(status ? stderr : stdout,
            "usage: gui-daemon -d DOMID -N NAME -c 0xRRGGBB -l LABEL [--max-windows N]\n"
            "                  [--max-clipboard-size BYTES] [--allow-utf8-titles]\n"
            "                  [--allow-fullscreen] [--connect-timeout SECONDS] [--foreground]\n"
            "Shows qube NAME's windows on $DISPLAY. Environment: BULKHEAD_GUI_FORCE_COPY=1,\n"
            "BULKHEAD_CLIPBOARD_DIR (default /run/qubes), BULKHEAD_POLICY_SOCKET.\n");
    exit(status);
}

static long number(const char *s, long lo, long hi, const char *what)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 0);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "gui-daemon: bad %s: %s (%ld..%ld)\n", what, s, lo, hi);
        exit(1);
    }
    return v;
}

static void parse_options(int argc, char **argv, struct gui_options *o)
{
    static const struct option longs[] = {
        {"max-windows", required_argument, NULL, 'w'},
        {"max-clipboard-size", required_argument, NULL, 's'},
        {"allow-utf8-titles", no_argument, NULL, 'u'},
        {"allow-fullscreen", no_argument, NULL, 'F'},
        {"connect-timeout", required_argument, NULL, 't'},
        {"foreground", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    *o = (struct gui_options){.domid = -1,
                              .max_windows = GUI_DEFAULT_MAXWIN,
                              .clipboard_max = GUI_CLIPBOARD_DEFAULT,
                              .connect_timeout_s = GUI_DEFAULT_TIMEOUT_S};
    while ((c = getopt_long(argc, argv, "d:N:c:l:fh", longs, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->domid = (int)number(optarg, 0, 0x7fef, "domain id");
            break;
        case 'N':
            o->name = optarg;
            break;
        case 'c':
            o->label_color = (uint32_t)number(optarg, 0, 0xffffff, "label colour");
            break;
        case 'l':
            o->label = optarg;
            break;
        case 'w':
            o->max_windows = (uint32_t)number(optarg, 1, 100000, "--max-windows");
            break;
        case 's':
            o->clipboard_max = (uint32_t)number(optarg, GUI_CLIPBOARD_MIN, GUI_CLIPBOARD_HARD_MAX,
                                                "--max-clipboard-size");
            break;
        case 'u':
            o->allow_utf8_titles = true;
            break;
        case 'F':
            o->allow_fullscreen = true;
            break;
        case 't':
            o->connect_timeout_s = (int)number(optarg, 1, 86400, "--connect-timeout");
            break;
        case 'f':
            o->foreground = true;
            break;
        case 'h':
            usage(0);
        default:
            usage(1);
        }
    }
    if (optind != argc || o->domid < 0 || !o->name || !o->label)
        usage(1);
    /* the name goes into titles, properties and file names */
    if (!*o->name || strlen(o->name) > 31 || !untrusted_chars_ok(o->name, strlen(o->name), "_.-") ||
        !*o->label || strlen(o->label) > 31 ||
        !untrusted_chars_ok(o->label, strlen(o->label), "_.-")) {
        fprintf(stderr, "gui-daemon: bad qube or label name\n");
        exit(1);
    }
}

static int64_t now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void flush_out(struct gui_daemon *d)
{
    while (d->out.len) {
        ssize_t n = vchan_write_nb(d->vchan, d->out.data, d->out.len);
        if (n < 0) {
            buf_clear(&d->out); /* the agent is gone; the read side says so */
            return;
        }
        if (n == 0)
            return;
        buf_consume(&d->out, (size_t)n);
    }
}

void gui_send(struct gui_daemon *d, uint32_t type, uint32_t window, const void *body, uint32_t len)
{
    uint8_t *p;

    /* a qube that is paused reads nothing: pointer motion piling up for it
     * is dropped (the next motion says where the pointer is), keys are not */
    if ((type == GUI_MOTION || type == GUI_CROSSING || type == GUI_KEYMAP) &&
        d->out.len > OUT_DROPPABLE)
        return;
    p = buf_reserve(&d->out, GUI_HDR_SIZE + (size_t)len);
    if (!p)
        protocol_error(d, "the agent does not read what we send (%zu bytes queued)", d->out.len);
    buf_commit(&d->out, gui_msg_put(p, type, window, body, len));
    flush_out(d);
}

/* dom0's screen size for the agent: at connection and after each change.
 * A screen past the protocol's largest is announced as that (the qube's
 * screen cannot be larger; windows beyond it are cut on the qube's side). */
static void send_screen(struct gui_daemon *d)
{
    struct gui_screen s = {d->screen_w < GUI_MAX_WIDTH ? d->screen_w : GUI_MAX_WIDTH,
                           d->screen_h < GUI_MAX_HEIGHT ? d->screen_h : GUI_MAX_HEIGHT,
                           d->screen->root_depth};

    gui_send(d, GUI_SCREEN, 0, &s, sizeof(s));
}

/* RRScreenChangeNotify on dom0's root: a monitor plugged in or out, or the
 * user changing the resolution. Without RandR the size is the one at start. */
static void randr_init(struct gui_daemon *d)
{
    const xcb_query_extension_reply_t *ext = xcb_get_extension_data(d->x, &xcb_randr_id);
    xcb_randr_query_version_reply_t *v;

    if (!ext || !ext->present) {
        log_info("dom0's X server has no RandR: its screen size is taken as it is now");
        return;
    }
    /* a client must say which version it speaks before anything else */
    v = xcb_randr_query_version_reply(d->x, xcb_randr_query_version(d->x, 1, 2), NULL);
    if (!v)
        return;
    free(v);
    xcb_randr_select_input(d->x, d->screen->root, XCB_RANDR_NOTIFY_MASK_SCREEN_CHANGE);
    d->randr_event = ext->first_event;
    d->have_randr = true;
}

/* An X event: true if it was RandR's screen change. The root window's
 * geometry is asked for rather than taken from the event, whose sizes are
 * before rotation: windows live in the root's. */
static bool screen_event(struct gui_daemon *d, const xcb_generic_event_t *ev)
{
    xcb_get_geometry_reply_t *g;

    if (!d->have_randr ||
        (ev->response_type & 0x7f) != d->randr_event + XCB_RANDR_SCREEN_CHANGE_NOTIFY)
        return false;
    g = xcb_get_geometry_reply(d->x, xcb_get_geometry(d->x, d->screen->root), NULL);
    if (g && (g->width != d->screen_w || g->height != d->screen_h)) {
        log_info("dom0's screen is now %ux%u (was %ux%u)", g->width, g->height, d->screen_w,
                 d->screen_h);
        d->screen_w = g->width;
        d->screen_h = g->height;
        send_screen(d);
        windows_screen_changed(d);
    }
    free(g);
    return true;
}

static void connect_x(struct gui_daemon *d)
{
    int scr;
    const xcb_setup_t *setup;
    xcb_screen_iterator_t it;

    d->x = xcb_connect(NULL, &scr);
    if (xcb_connection_has_error(d->x))
        fatalx("cannot open the X display %s", getenv("DISPLAY") ? getenv("DISPLAY") : "(unset)");
    setup = xcb_get_setup(d->x);
    it = xcb_setup_roots_iterator(setup);
    for (; it.rem && scr > 0; scr--)
        xcb_screen_next(&it);
    if (!it.rem)
        fatalx("no X screen");
    d->screen = it.data;
    if (d->screen->root_depth != 24)
        fatalx("dom0's X screen has depth %u; gui-daemon draws 24-bit windows",
               d->screen->root_depth);
    d->screen_w = d->screen->width_in_pixels;
    d->screen_h = d->screen->height_in_pixels;
    d->visual = d->screen->root_visual;
    d->gc = xcb_generate_id(d->x);
    xcb_create_gc(d->x, d->gc, d->screen->root, XCB_GC_GRAPHICS_EXPOSURES, (uint32_t[]){0});
    draw_init(d);
    input_init(d);
    randr_init(d);
}

/* Reads len bytes of the agent's first message, waiting at most until
 * deadline (CLOCK_MONOTONIC ms): an agent that connects and says nothing
 * does not keep the daemon waiting for ever. */
static void read_hello(struct gui_daemon *d, void *buf, size_t len, int64_t deadline)
{
    while (vchan_data_ready(d->vchan) < len && vchan_is_open(d->vchan) == VCHAN_CONNECTED) {
        struct pollfd p = {.fd = vchan_fd(d->vchan), .events = POLLIN};
        int64_t left = deadline - now_ms();

        if (left <= 0)
            fatalx("no GUI_HELLO from the agent within %d s", d->opt.connect_timeout_s);
        if (poll(&p, 1, (int)left) > 0)
            vchan_wait(d->vchan);
    }
    if (vchan_read(d->vchan, buf, len) < 0)
        fatalx("the agent closed the channel before its GUI_HELLO");
}

/* HELLO both ways and SCREEN, before the event loop starts (SCREEN again
 * whenever dom0's screen changes size: screen_event). */
static void handshake(struct gui_daemon *d)
{
    int64_t deadline = now_ms() + (int64_t)d->opt.connect_timeout_s * 1000;
    uint8_t hdr_bytes[GUI_HDR_SIZE], body[GUI_HELLO_SIZE];
    struct gui_hdr hdr;
    struct gui_hello untrusted_hello, ours;
    uint32_t agreed;

    read_hello(d, hdr_bytes, sizeof(hdr_bytes), deadline);
    if (gui_parse_hdr(hdr_bytes, GUI_FROM_AGENT, d->opt.clipboard_max, &hdr) ||
        hdr.type != GUI_HELLO)
        protocol_error(d, "the first message is not a GUI_HELLO");
    read_hello(d, body, hdr.len, deadline);
    if (gui_parse_hello(body, hdr.len, &untrusted_hello))
        protocol_error(d, "malformed GUI_HELLO");
    /* sanitize start */
    agreed = gui_version_agree(GUI_PROTO_VERSION, untrusted_hello.version);
    if (!agreed)
        protocol_error(d, "the agent speaks protocol %u.%u, we speak %u.%u",
                       untrusted_hello.version >> 16, untrusted_hello.version & 0xffff,
                       GUI_PROTO_MAJOR, GUI_PROTO_MINOR);
    d->agent_kinds = untrusted_hello.buffer_kinds;          /* the parser allowed only known bits */
    d->agent_clipboard_max = untrusted_hello.clipboard_max; /* parser: MIN..HARD_MAX */
    /* sanitize end */
    ours = (struct gui_hello){.version = agreed,
                              .buffer_kinds = shm_kind_for_import() == SHM_GRANT ? GUI_BUF_GRANT
                                                                                 : GUI_BUF_MEMFD,
                              .clipboard_max = d->opt.clipboard_max};
    gui_send(d, GUI_HELLO, 0, &ours, sizeof(ours));
    send_screen(d);
    log_info("connected to the agent (protocol %u.%u, %s vchan)", agreed >> 16, agreed & 0xffff,
             vchan_backend_name(d->vchan));
}

static void handle_x(struct gui_daemon *d)
{
    xcb_generic_event_t *ev;

    while ((ev = xcb_poll_for_event(d->x))) {
        if (!draw_completion(d, ev) && !screen_event(d, ev))
            input_event(d, ev);
        free(ev);
    }
    if (xcb_connection_has_error(d->x))
        fatalx("lost the connection to the X server");
}

static void run(struct gui_daemon *d)
{
    for (;;) {
        struct pollfd p[2] = {{.fd = vchan_fd(d->vchan), .events = POLLIN},
                              {.fd = xcb_get_file_descriptor(d->x), .events = POLLIN}};

        xcb_flush(d->x);
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            fatal("poll");
        }
        if (p[0].revents) {
            vchan_wait(d->vchan);
            flush_out(d);
            if (agent_msgs_read(d) == -EPIPE)
                return;
        }
        handle_x(d);
    }
}

/* Goes to the background before anything is connected: on Xen a vchan's
 * rings are grant mappings made through gntdev, which a fork does not carry
 * into the child (a daemon() after the handshake left the child reading
 * unmapped rings: a segfault in libxenvchan). The parent stays until the
 * child says the handshake is done, and exits 0 then, or with the child's
 * status if it ended first; the child gets the write end to say it. */
static int background(void)
{
    int p[2], status;
    char c;
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0)
        fatal("pipe");
    pid = fork();
    if (pid < 0)
        fatal("fork");
    if (pid > 0) {
        close(p[1]);
        if (read(p[0], &c, 1) == 1)
            _exit(0);
        if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
            _exit(WEXITSTATUS(status));
        _exit(1);
    }
    close(p[0]);
    if (setsid() < 0)
        fatal("setsid");
    /* stdin from /dev/null; stdout and stderr stay: the log goes there */
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        close(null);
    }
    return p[1];
}

int main(int argc, char **argv)
{
    static struct gui_daemon d;
    int ready_fd = -1;
    char ident[64];
    const char *fc = getenv("BULKHEAD_GUI_FORCE_COPY");

    parse_options(argc, argv, &d.opt);
    snprintf(ident, sizeof(ident), "gui-daemon[%s]", d.opt.name);
    log_init(ident);
    signal(SIGPIPE, SIG_IGN);
    d.force_copy = fc && !strcmp(fc, "1");
    buf_init(&d.in, GUI_HDR_SIZE + GUI_MAX_BODY);
    buf_init(&d.out, OUT_MAX);
    d.win = calloc(d.opt.max_windows, sizeof(*d.win));
    if (!d.win)
        fatal("calloc");
    if (!d.opt.foreground)
        ready_fd = background();
    connect_x(&d);
    d.vchan = vchan_client_init(d.opt.domid, GUI_VCHAN_PORT, d.opt.connect_timeout_s * 1000);
    if (!d.vchan)
        fatal("no GUI agent in domain %d answered within %d s", d.opt.domid,
              d.opt.connect_timeout_s);
    handshake(&d);
    if (ready_fd >= 0) {
        /* the caller (qvm-start-daemon) learns that the qube's GUI is up */
        (void)!write(ready_fd, "", 1);
        close(ready_fd);
    }
    run(&d);
    log_info("the agent closed the channel");
    windows_destroy_all(&d);
    xcb_disconnect(d.x);
    vchan_close(d.vchan);
    return 0;
}
