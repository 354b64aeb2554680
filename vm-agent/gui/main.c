/* gui-agent [--display :N] [--gui-domain DOMID] (VM): shows this qube's
 * windows on dom0's desktop. It offers a vchan on GUI_VCHAN_PORT to the GUI
 * domain, speaks the GUI protocol with the gui-daemon that connects, and
 * when that daemon goes away frees the session and waits for the next one
 * (qvm-start-daemon may restart it). It never ends on its own while the X
 * server lives; it exits 1 when the X server goes away.
 *
 * What the daemon sends is parsed with the protocol's parsers before use;
 * a message that does not parse ends the session (dom0 is trusted, but the
 * code stays strict). */
#include "vm-agent/gui/agent.h"

#include "lib/log.h"
#include "lib/vchan.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The largest clipboard we accept from the daemon (we announce it). */
#define AGENT_CLIP_MAX GUI_CLIPBOARD_HARD_MAX
#define IN_CAP         (GUI_HDR_SIZE + AGENT_CLIP_MAX)

static uint8_t in_buf[IN_CAP];
static size_t in_len;

long long agent_now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void agent_fail(struct agent *a, const char *what)
{
    if (!a->failed)
        log_warnx("ending the session with the GUI daemon: %s", what);
    a->failed = true;
}

void agent_send(struct agent *a, uint32_t type, uint32_t window, const void *body, uint32_t len)
{
    static uint8_t out[GUI_HDR_SIZE + GUI_MAX_BODY];

    if (a->failed || !a->vc)
        return;
    if (len > GUI_MAX_BODY)
        return agent_fail(a, "a message too large to send");
    size_t n = gui_msg_put(out, type, window, body, len);
    if (vchan_write(a->vc, out, n) < 0)
        agent_fail(a, "the channel closed");
}

static void send_hello(struct agent *a)
{
    struct gui_hello h = {.version = GUI_PROTO_VERSION,
                          .buffer_kinds = (uint32_t)shm_kind_for_export(),
                          .clipboard_max = AGENT_CLIP_MAX};

    agent_send(a, GUI_HELLO, 0, &h, sizeof(h));
}

static void on_hello(struct agent *a, const uint8_t *body, size_t len)
{
    struct gui_hello h;
    uint32_t ours = (uint32_t)shm_kind_for_export();

    if (gui_parse_hello(body, len, &h) < 0)
        return agent_fail(a, "malformed GUI_HELLO");
    if (!gui_version_agree(GUI_PROTO_VERSION, h.version)) {
        log_warnx("the GUI daemon speaks protocol %u.%u, we speak %u.%u", h.version >> 16,
                  h.version & 0xffff, GUI_PROTO_MAJOR, GUI_PROTO_MINOR);
        return agent_fail(a, "protocol versions differ");
    }
    if (!(h.buffer_kinds & ours))
        return agent_fail(a, "the daemon cannot import our kind of shared memory");
    if (h.clipboard_max < GUI_CLIPBOARD_MIN || h.clipboard_max > GUI_CLIPBOARD_HARD_MAX)
        return agent_fail(a, "the daemon's clipboard limit is out of range");
    a->buf_kind = ours;
    a->daemon_clip_max = h.clipboard_max;
    /* 1.1 brought frame slots; an older daemon gets GUI_DAMAGE only */
    a->frames = (gui_version_agree(GUI_PROTO_VERSION, h.version) & 0xffff) >= 1;
    a->up = true;
    log_info("GUI daemon connected (protocol %u.%u, %s buffers)", h.version >> 16,
             h.version & 0xffff, ours == GUI_BUF_GRANT ? "grant" : "memfd");
    windows_announce_all(a);
}

/* One message from the daemon, header already parsed. */
static void dispatch(struct agent *a, const struct gui_hdr *h, const uint8_t *body)
{
    struct awin *w = NULL;

    if (!a->up) {
        if (h->type != GUI_HELLO)
            return agent_fail(a, "the daemon did not start with GUI_HELLO");
        return on_hello(a, body, h->len);
    }
    if (h->window) {
        w = windows_find(a, h->window);
        /* the window may have just gone: the daemon had not seen our
         * GUI_DESTROY yet; nothing to do */
        if (!w)
            return;
    }
    union {
        struct gui_screen screen;
        struct gui_key key;
        struct gui_button button;
        struct gui_motion motion;
        struct gui_crossing crossing;
        struct gui_focus focus;
        struct gui_keymap keymap;
        struct gui_configure conf;
        struct gui_clipboard clip;
        struct gui_frame_done done;
    } m;
    int r = 0;
    switch (h->type) {
    case GUI_SCREEN:
        if ((r = gui_parse_screen(body, h->len, &m.screen)) == 0)
            screen_resize(a, &m.screen);
        break;
    case GUI_KEY:
        if ((r = gui_parse_key(body, h->len, &m.key)) == 0)
            input_key(a, w, &m.key);
        break;
    case GUI_BUTTON:
        if ((r = gui_parse_button(body, h->len, &m.button)) == 0)
            input_button(a, w, &m.button);
        break;
    case GUI_MOTION:
        if ((r = gui_parse_motion(body, h->len, &m.motion)) == 0)
            input_motion(a, w, &m.motion);
        break;
    case GUI_CROSSING:
        if ((r = gui_parse_crossing(body, h->len, &m.crossing)) == 0)
            input_crossing(a, w, &m.crossing);
        break;
    case GUI_FOCUS:
        if ((r = gui_parse_focus(body, h->len, &m.focus)) == 0)
            input_focus(a, w, &m.focus);
        break;
    case GUI_KEYMAP:
        if ((r = gui_parse_keymap(body, h->len, &m.keymap)) == 0)
            input_keymap(a, &m.keymap);
        break;
    case GUI_CONFIGURE:
        if ((r = gui_parse_configure(body, h->len, &m.conf)) == 0)
            input_configure(a, w, &m.conf);
        break;
    case GUI_CLOSE:
        input_close(a, w);
        break;
    case GUI_CLIPBOARD_REQ:
        clipboard_request(a, w->id);
        break;
    case GUI_CLIPBOARD_DATA:
        if ((r = gui_parse_clipboard(body, h->len, AGENT_CLIP_MAX, &m.clip)) == 0)
            clipboard_paste(a, &m.clip);
        break;
    case GUI_BUFFER_ACK:
        buffers_ack(a, w);
        break;
    case GUI_FRAME_DONE:
        if ((r = gui_parse_frame_done(body, h->len, &m.done)) == 0)
            frames_done(a, w, &m.done);
        break;
    case GUI_HELLO:
        return agent_fail(a, "a second GUI_HELLO");
    default:
        return agent_fail(a, "a message type the daemon does not send");
    }
    if (r < 0) {
        char what[64];
        snprintf(what, sizeof(what), "malformed %s", gui_msg_name(h->type));
        agent_fail(a, what);
    }
}

/* Reads what the channel has and handles every complete message. */
static void read_daemon(struct agent *a)
{
    for (;;) {
        ssize_t n = vchan_read_nb(a->vc, in_buf + in_len, sizeof(in_buf) - in_len);
        if (n < 0) {
            a->failed = true; /* the daemon went away */
            log_info("the GUI daemon closed the channel");
            return;
        }
        in_len += (size_t)n;
        size_t off = 0;
        while (!a->failed && in_len - off >= GUI_HDR_SIZE) {
            struct gui_hdr h;
            if (gui_parse_hdr(in_buf + off, GUI_FROM_DAEMON, AGENT_CLIP_MAX, &h) < 0) {
                agent_fail(a, "a malformed message header");
                return;
            }
            if (in_len - off - GUI_HDR_SIZE < h.len)
                break;
            dispatch(a, &h, in_buf + off + GUI_HDR_SIZE);
            off += GUI_HDR_SIZE + h.len;
        }
        memmove(in_buf, in_buf + off, in_len - off);
        in_len -= off;
        if (n == 0 || a->failed)
            return;
    }
}

static void handle_x_events(struct agent *a)
{
    while (XPending(a->dpy)) {
        XEvent ev;
        XNextEvent(a->dpy, &ev);
        /* what we pasted is served with or without a daemon */
        if (clipboard_handle_event(a, &ev) || !a->up)
            continue; /* no session: the next one starts from XQueryTree */
        windows_handle_event(a, &ev);
    }
}

/* One daemon connection, from offering the channel to its end. */
static void session(struct agent *a)
{
    int xfd = ConnectionNumber(a->dpy);

    a->failed = a->up = false;
    in_len = 0;
    a->vc = vchan_server_init(a->gui_domid, GUI_VCHAN_PORT, GUI_VCHAN_RING, GUI_VCHAN_RING);
    if (!a->vc) {
        log_warn("cannot offer the GUI channel to domain %d", a->gui_domid);
        sleep(1);
        return;
    }
    while (vchan_is_open(a->vc) == VCHAN_WAITING) {
        struct pollfd p[2] = {{.fd = vchan_fd(a->vc), .events = POLLIN},
                              {.fd = xfd, .events = POLLIN}};
        XFlush(a->dpy);
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            fatal("poll");
        if (p[0].revents)
            vchan_wait(a->vc);
        handle_x_events(a);
    }
    send_hello(a);
    while (!a->failed) {
        handle_x_events(a);
        windows_flush_damage(a);
        XFlush(a->dpy);
        if (a->failed)
            break;
        long long left = -1;
        if (a->clip_req_win) {
            left = a->clip_deadline_ms - agent_now_ms();
            left = left < 0 ? 0 : left;
        }
        /* the module's socket: answers to frames' LOCKs (zerocopy.c) */
        struct pollfd p[3] = {{.fd = vchan_fd(a->vc), .events = POLLIN},
                              {.fd = xfd, .events = POLLIN},
                              {.fd = a->zero_fd, .events = POLLIN}};
        if (!XPending(a->dpy) && poll(p, 3, (int)left) < 0 && errno != EINTR)
            fatal("poll");
        /* read even when X kept us from polling: frames must not wait */
        zero_read(a);
        if (p[1].revents & (POLLHUP | POLLERR))
            fatalx("the X server went away");
        if (p[0].revents)
            vchan_wait(a->vc);
        read_daemon(a);
        clipboard_check_timeout(a);
    }
    clipboard_end_session(a);
    windows_free_all(a);
    XSync(a->dpy, False);
    vchan_close(a->vc);
    a->vc = NULL;
    a->up = false;
}

static int x_error(Display *dpy, XErrorEvent *e)
{
    char text[128];

    /* windows come and go under us (BadWindow, BadDrawable, BadMatch on a
     * window destroyed between its event and our request): log, go on */
    XGetErrorText(dpy, e->error_code, text, sizeof(text));
    log_debug("X error %s (request %u.%u, resource 0x%lx)", text, e->request_code, e->minor_code,
              e->resourceid);
    return 0;
}

static int x_io_error(Display *dpy)
{
    (void)dpy;
    fatalx("lost the X server");
}

static void usage(FILE *f)
{
    fprintf(f, "usage: gui-agent [--display :N] [--gui-domain DOMID]\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"display", required_argument, NULL, 'd'},
                                         {"gui-domain", required_argument, NULL, 'g'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    static struct agent a;
    const char *display = NULL;
    char *end;
    int o;

    log_init("gui-agent");
    while ((o = getopt_long(argc, argv, "d:g:h", opts, NULL)) != -1) {
        switch (o) {
        case 'd':
            display = optarg;
            break;
        case 'g':
            errno = 0;
            long d = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || d < 0 || d > 0x7fef) {
                fprintf(stderr, "gui-agent: --gui-domain: a domain id\n");
                return 2;
            }
            a.gui_domid = (int)d;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    a.dpy = XOpenDisplay(display);
    if (!a.dpy) {
        fprintf(stderr, "gui-agent: cannot open the X display %s\n",
                display             ? display
                : getenv("DISPLAY") ? getenv("DISPLAY")
                                    : "(unset)");
        return 1;
    }
    XSetErrorHandler(x_error);
    XSetIOErrorHandler(x_io_error);
    windows_init(&a);
    buffers_init(&a);
    screen_init(&a);
    log_info("on X display %s, waiting for the GUI daemon of domain %d", DisplayString(a.dpy),
             a.gui_domid);
    for (;;)
        session(&a);
}
