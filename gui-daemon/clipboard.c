/* dom0's global clipboard, shared by every gui-daemon: two files in
 * $BULKHEAD_CLIPBOARD_DIR (default /run/qubes), qubes-clipboard.bin (the
 * data) and qubes-clipboard.bin.source (the qube it came from), read and
 * written under flock on appviewer.lock there. A copy (Ctrl+Shift+C) fills
 * them from the qube; a paste (Ctrl+Shift+V) into another qube asks policy
 * (qubes.ClipboardPaste, through the same client qrexec-daemon uses) and
 * empties them. The bytes are passed on as they came: the clipboard is
 * the user moving data on purpose; only its length is bounded. */
#include "gui-daemon/daemon.h"

#include "lib/io.h"
#include "lib/log.h"
#include "lib/untrusted.h"
#include "qrexec/daemon/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define CLIP_DATA     "qubes-clipboard.bin"
#define CLIP_SOURCE   "qubes-clipboard.bin.source"
#define CLIP_LOCK     "appviewer.lock"
#define PASTE_SERVICE "qubes.ClipboardPaste"

static void path_of(char *out, size_t size, const char *file)
{
    const char *dir = getenv("BULKHEAD_CLIPBOARD_DIR");

    snprintf(out, size, "%s/%s", dir && *dir ? dir : "/run/qubes", file);
}

/* The lock's descriptor (held until closed), or -1. */
static int lock_clipboard(void)
{
    char path[4096];
    int fd;

    path_of(path, sizeof(path), CLIP_LOCK);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_warn("clipboard lock %s", path);
        return -1;
    }
    while (flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            log_warn("flock %s", path);
            close(fd);
            return -1;
        }
    }
    return fd;
}

static int write_file(const char *file, const void *data, size_t len)
{
    char path[4096];
    int fd, rc;

    path_of(path, sizeof(path), file);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    rc = io_write_full(fd, data, len);
    close(fd);
    return rc;
}

/* Reads at most max bytes; the length, or a negative errno. */
static ssize_t read_file(const char *file, char *out, size_t max)
{
    char path[4096];
    ssize_t n, total = 0;
    int fd;

    path_of(path, sizeof(path), file);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    while ((size_t)total < max && (n = read(fd, out + total, max - (size_t)total)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            total = -errno;
            break;
        }
        total += n;
    }
    close(fd);
    return total;
}

void clipboard_copy_request(struct gui_daemon *d, struct gui_window *w)
{
    d->clipboard_requests++;
    gui_send(d, GUI_CLIPBOARD_REQ, w->id, NULL, 0);
}

void clipboard_copy_data(struct gui_daemon *d, const struct gui_clipboard *untrusted_c)
{
    char msg[128];
    int lock;

    /* sanitize start: only as an answer, and the parser bounded the length */
    if (!d->clipboard_requests)
        protocol_error(d, "GUI_CLIPBOARD_DATA nobody asked for");
    d->clipboard_requests--;
    /* sanitize end */
    lock = lock_clipboard();
    if (lock < 0)
        return;
    if (write_file(CLIP_DATA, untrusted_c->untrusted_data, untrusted_c->len) < 0 ||
        write_file(CLIP_SOURCE, d->opt.name, strlen(d->opt.name)) < 0) {
        log_warn("cannot write the clipboard");
        close(lock);
        return;
    }
    close(lock);
    snprintf(msg, sizeof(msg), "%zu bytes copied from qube %s to the global clipboard",
             untrusted_c->len, d->opt.name);
    log_info("%s", msg);
    notice_show("Clipboard", msg);
}

/* policy for qubes.ClipboardPaste from source to us; ask is allow (the
 * user pressed the shortcut) */
static bool paste_allowed(struct gui_daemon *d, const char *source)
{
    struct policy_query q = {.domain_id = 0,
                             .source = source,
                             .target = d->opt.name,
                             .service_and_arg = PASTE_SERVICE "+",
                             .request_id = "gui-daemon-paste",
                             .socket_path = getenv("BULKHEAD_POLICY_SOCKET"),
                             .just_evaluate = true};
    struct policy_reply r;
    int rc = policy_ask(&q, &r);

    if (rc < 0) {
        log_warnx("policy for %s from %s: no answer (%s); denied", PASTE_SERVICE, source,
                  strerror(-rc));
        return false;
    }
    return r.allow || r.would_ask;
}

void clipboard_paste(struct gui_daemon *d, struct gui_window *w)
{
    static char data[GUI_CLIPBOARD_HARD_MAX + 1];
    char source[64], msg[160];
    ssize_t n, sn;
    int lock = lock_clipboard();

    if (lock < 0)
        return;
    n = read_file(CLIP_DATA, data, sizeof(data));
    sn = read_file(CLIP_SOURCE, source, sizeof(source) - 1);
    if (n <= 0 || sn <= 0) {
        close(lock);
        return; /* nothing to paste */
    }
    source[sn] = '\0';
    if (!strcmp(source, d->opt.name) || !untrusted_chars_ok(source, (size_t)sn, "_.-@")) {
        close(lock);
        return;
    }
    if ((size_t)n > d->agent_clipboard_max || (size_t)n > GUI_CLIPBOARD_HARD_MAX) {
        snprintf(msg, sizeof(msg), "The clipboard (%zd bytes) is larger than qube %s accepts", n,
                 d->opt.name);
        close(lock);
        notice_show("Clipboard", msg);
        return;
    }
    if (!paste_allowed(d, source)) {
        close(lock);
        snprintf(msg, sizeof(msg), "Policy denied pasting from qube %s into qube %s", source,
                 d->opt.name);
        log_info("%s", msg);
        notice_show("Clipboard", msg);
        return;
    }
    gui_send(d, GUI_CLIPBOARD_DATA, 0, data, (uint32_t)n);
    /* a paste empties the global clipboard */
    write_file(CLIP_DATA, "", 0);
    write_file(CLIP_SOURCE, "", 0);
    close(lock);
    snprintf(msg, sizeof(msg), "Pasted %zd bytes from qube %s into qube %s", n, source,
             d->opt.name);
    log_info("%s (window 0x%x)", msg, w->id);
    notice_show("Clipboard", msg);
}
