/* qrexec-policy-agent (dom0): the policy.Ask and policy.Notify socket
 * services. qrexec-policy-daemon reaches it through qrexec when a rule says
 * ask, or notify=yes, or denies:
 *
 *   qrexec-policy-agent [--socket PATH] [--timeout SECONDS]
 *
 * Each connection carries the service descriptor ("policy.Ask dom0\0"), a
 * JSON request and EOF (request.h). policy.Ask opens a dialog and answers
 * "allow:TARGET" or "deny"; policy.Notify shows a notification and answers
 * nothing. Everything runs on the GLib main loop, so any number of dialogs
 * can be open while new requests keep arriving; anything malformed is
 * answered with deny (or ignored), logged on one line, and the agent goes
 * on serving. */
#include "lib/log.h"
#include "qrexec/policy/agent/dialog.h"
#include "qrexec/policy/agent/notify.h"
#include "qrexec/policy/agent/request.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <gio/gio.h>
#include <gdk/gdkx.h>
#include <gtk/gtk.h>
#include <X11/Xlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET  "/run/qubes/policy-agent.sock"
#define DEFAULT_TIMEOUT 60
#define MAX_CONNECTIONS 64 /* open at once; more are refused at once */
#define READ_TIMEOUT_S  10 /* for the whole request to arrive */
#define BUF_SIZE        (AGENT_MAX_DESC + AGENT_MAX_REQUEST + 1)

static unsigned ask_timeout = DEFAULT_TIMEOUT;
static unsigned open_connections;

struct conn {
    GSocketConnection *sc;
    char *buf; /* BUF_SIZE bytes */
    size_t len;
    guint read_timer;
    GCancellable *cancel; /* the pending read, cancelled by the read timer */
    gboolean timed_out;
};

static void conn_free(struct conn *c)
{
    if (c->read_timer)
        g_source_remove(c->read_timer);
    g_io_stream_close(G_IO_STREAM(c->sc), NULL, NULL);
    g_object_unref(c->cancel);
    g_object_unref(c->sc);
    g_free(c->buf);
    g_free(c);
    open_connections--;
}

/* The reply is a few bytes, which the socket buffer always takes. */
static void reply(struct conn *c, const char *text)
{
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(c->sc));
    GError *e = NULL;

    if (!g_output_stream_write_all(out, text, strlen(text), NULL, NULL, &e)) {
        log_warnx("cannot send the answer \"%s\": %s", text, e->message);
        g_error_free(e);
    }
}

static void on_answer(void *opaque, const char *target)
{
    struct conn *c = opaque;
    char line[8 + AGENT_NAME_MAX];

    if (target) {
        snprintf(line, sizeof(line), "allow:%s", target);
        reply(c, line);
    } else {
        reply(c, "deny");
    }
    log_info("answered %s", target ? line : "deny");
    conn_free(c);
}

/* The whole request is in: the one place it is checked, then acted on. */
static void handle(struct conn *c)
{
    struct agent_request *req = g_new0(struct agent_request, 1);
    const char *nul = memchr(c->buf, 0, c->len);
    enum agent_kind kind = AGENT_ASK;
    char err[160];
    size_t dlen = nul ? (size_t)(nul - c->buf) : c->len;

    if (!nul || agent_parse_descriptor(c->buf, dlen, &kind, err, sizeof(err)) < 0) {
        if (!nul)
            snprintf(err, sizeof(err), "no service descriptor");
        log_warnx("refused a request: %s (descriptor %s)", err, LOG_UNTRUSTED(c->buf, dlen));
        reply(c, "deny");
        conn_free(c);
    } else if (agent_parse_request(kind, nul + 1, c->len - dlen - 1, req, err, sizeof(err)) < 0) {
        log_warnx("refused a %s request: %s", kind == AGENT_ASK ? "policy.Ask" : "policy.Notify",
                  err);
        if (kind == AGENT_ASK)
            reply(c, "deny");
        conn_free(c);
    } else if (kind == AGENT_NOTIFY) {
        agent_notify_send(req);
        conn_free(c);
    } else {
        log_info("asking: %s wants %s%s", req->source, req->service,
                 req->argument[1] ? req->argument : "");
        agent_dialog_show(req, ask_timeout, on_answer, c);
    }
    g_free(req);
}

static void on_read(GObject *src, GAsyncResult *res, gpointer p);

static void read_more(struct conn *c)
{
    GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(c->sc));
    g_input_stream_read_async(in, c->buf + c->len, BUF_SIZE - c->len, G_PRIORITY_DEFAULT, c->cancel,
                              on_read, c);
}

static void on_read(GObject *src, GAsyncResult *res, gpointer p)
{
    struct conn *c = p;
    GError *e = NULL;
    gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, &e);

    if (n < 0) {
        if (c->timed_out) {
            log_warnx("refused a request not finished within %d s", READ_TIMEOUT_S);
            reply(c, "deny");
        } else {
            log_warnx("reading a request: %s", e->message);
        }
        g_error_free(e);
        conn_free(c);
        return;
    }
    if (n == 0) {
        if (c->read_timer)
            g_source_remove(c->read_timer);
        c->read_timer = 0;
        handle(c);
        return;
    }
    c->len += (size_t)n;
    if (c->len == BUF_SIZE) {
        log_warnx("refused a request larger than %d bytes", AGENT_MAX_REQUEST);
        reply(c, "deny");
        conn_free(c);
        return;
    }
    read_more(c);
}

/* A peer that never finishes its request is cut off: the pending read
 * fails as cancelled, and on_read answers and frees the connection. */
static gboolean on_read_timeout(gpointer p)
{
    struct conn *c = p;

    c->read_timer = 0;
    c->timed_out = TRUE;
    g_cancellable_cancel(c->cancel);
    return G_SOURCE_REMOVE;
}

static gboolean on_incoming(GSocketService *svc, GSocketConnection *sc, GObject *src, gpointer p)
{
    struct conn *c;
    (void)svc;
    (void)src;
    (void)p;

    if (open_connections >= MAX_CONNECTIONS) {
        log_warnx("refused a connection: %d requests open already", MAX_CONNECTIONS);
        return TRUE; /* unreferenced: GIO closes it */
    }
    open_connections++;
    c = g_new0(struct conn, 1);
    c->sc = g_object_ref(sc);
    c->buf = g_malloc(BUF_SIZE);
    c->cancel = g_cancellable_new();
    c->read_timer = g_timeout_add_seconds(READ_TIMEOUT_S, on_read_timeout, c);
    read_more(c);
    return TRUE;
}

/* A socket only its owner (and root, i.e. qrexec) can connect to. A stale
 * socket file from an earlier run is replaced. */
static GSocketService *listen_on(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    GSocketService *svc;
    GSocket *s;
    GError *e = NULL;
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path))
        fatalx("socket path too long: %s", path);
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        fatal("socket");
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        fatal("bind %s", path);
    if (chmod(path, 0600) < 0 || listen(fd, 16) < 0)
        fatal("listen on %s", path);
    s = g_socket_new_from_fd(fd, &e);
    svc = g_socket_service_new();
    if (!s || !g_socket_listener_add_socket(G_SOCKET_LISTENER(svc), s, NULL, &e))
        fatalx("listen on %s: %s", path, e->message);
    g_object_unref(s);
    g_signal_connect(svc, "incoming", G_CALLBACK(on_incoming), NULL);
    g_socket_service_start(svc);
    return svc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: qrexec-policy-agent [--socket PATH] [--timeout SECONDS]\n"
               "  --socket PATH       listen on PATH (default " DEFAULT_SOCKET ")\n"
               "  --timeout SECONDS   deny an unanswered dialog after SECONDS (default 60,\n"
               "                      0: never)\n"
               "  --help              this text\n");
}

/* Logs an X error and carries on (see main). */
static int x_error(Display *d, XErrorEvent *e)
{
    (void)d;
    log_warnx("X error %d (request %d.%d) ignored", e->error_code, e->request_code, e->minor_code);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"socket", required_argument, NULL, 's'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = DEFAULT_SOCKET;
    GSocketService *svc;
    char *end;
    unsigned long v;
    int o;

    log_init("qrexec-policy-agent");
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's':
            path = optarg;
            break;
        case 't':
            errno = 0;
            v = strtoul(optarg, &end, 10);
            if (errno || *end || !*optarg || optarg[0] == '-' || v > 86400) {
                fprintf(stderr, "qrexec-policy-agent: --timeout: 0 to 86400 seconds\n");
                return 2;
            }
            ask_timeout = (unsigned)v;
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
    if (!gtk_init_check(&argc, &argv))
        fatalx("cannot open the display (is DISPLAY set?)");
    /* a peer that goes away before its answer must not kill the agent */
    signal(SIGPIPE, SIG_IGN);
    /* nor a dialog destroyed from outside: GDK's own handler exits on the
     * X errors that follows (BadWindow), which would leave every later
     * ask unanswered (denied) */
    if (GDK_IS_X11_DISPLAY(gdk_display_get_default()))
        XSetErrorHandler(x_error);
    svc = listen_on(path);
    log_info("listening on %s", path);
    gtk_main();
    g_object_unref(svc);
    return 0;
}
