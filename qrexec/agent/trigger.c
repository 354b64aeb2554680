/* Calls this VM makes; see trigger.h. (VM side: callers are local users,
 * so their requests are checked like anything else.) */
#include "qrexec/agent/trigger.h"

#include "lib/io.h"
#include "lib/log.h"
#include "qrexec/common/msgio.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <limits.h>
#include <unistd.h>

#define TRIGGER_TIMEOUT_S 5

struct waiting {
    int fd; /* -1: free */
    char request_id[QREXEC_REQUEST_ID_SIZE];
};

static struct waiting waiting[QREXEC_MAX_CLIENTS];
static bool waiting_ready;
static uint8_t body[QREXEC_MAX_BODY];

static void init_waiting(void)
{
    if (waiting_ready)
        return;
    for (size_t i = 0; i < QREXEC_MAX_CLIENTS; i++)
        waiting[i].fd = -1;
    waiting_ready = true;
}

int trigger_listen(const char *path)
{
    char dir[PATH_MAX], *slash;
    int fd;

    init_waiting();
    if (strlen(path) >= sizeof(dir))
        return -ENAMETOOLONG;
    memcpy(dir, path, strlen(path) + 1);
    slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        mkdir(dir, 0755);
    }
    fd = io_unix_listen(path, 64);
    if (fd < 0)
        return fd;
    chmod(path, 0666); /* every user of the VM may make calls */
    return fd;
}

static void send_refused(int fd)
{
    uint8_t m[QREXEC_HDR_SIZE + QREXEC_REQUEST_ID_SIZE];
    ssize_t n = qrexec_build_service_refused(m, sizeof(m), "");

    if (n > 0)
        io_write_full(fd, m, (size_t)n);
}

/* What a local caller may send: TRIGGER_SERVICE3, or TRIGGER_SERVICE4 for
 * a call on behalf of another qube (qrexec-client-vm -s). */
static int parse_request(const struct qrexec_hdr *h, struct qrexec_trigger *out)
{
    if (h->type == QREXEC_MSG_TRIGGER_SERVICE3)
        return qrexec_parse_trigger3(body, h->len, out);
    if (h->type == QREXEC_MSG_TRIGGER_SERVICE4)
        return qrexec_parse_trigger4(body, h->len, out);
    return -EPROTO;
}

int trigger_accept(int listen_fd, struct vchan *v, uint32_t version)
{
    struct timeval tv = {.tv_sec = TRIGGER_TIMEOUT_S};
    struct qrexec_trigger untrusted_t;
    struct qrexec_hdr h;
    char service[QREXEC_MAX_SERVICE_NAME_LEN], target[QREXEC_DOMAIN_NAME_SIZE];
    char source[QREXEC_DOMAIN_NAME_SIZE];
    uint8_t msg[QREXEC_HDR_SIZE + QREXEC_MAX_BODY];
    struct waiting *w = NULL;
    ssize_t n;
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

    if (fd < 0)
        return 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (qrexec_fd_recv(fd, QREXEC_LINK_AGENT_TO_DAEMON, QREXEC_PROTOCOL_V4, &h, body,
                       sizeof(body)) < 0 ||
        parse_request(&h, &untrusted_t) < 0) {
        log_warnx("a local caller sent a malformed request");
        close(fd);
        return 0;
    }
    /* sanitize start: a name that needed changing is refused here, where the
     * caller can still be told, rather than renamed by dom0 */
    if (qrexec_sanitize_service(service, sizeof(service), untrusted_t.service,
                                untrusted_t.service_len) < 0 ||
        strcmp(service, untrusted_t.service) ||
        qrexec_sanitize_target(target, sizeof(target), untrusted_t.target, untrusted_t.target_len) <
            0 ||
        strcmp(target, untrusted_t.target) ||
        (untrusted_t.source_len && !qrexec_valid_vm_name(untrusted_t.source))) {
        send_refused(fd);
        close(fd);
        return 0;
    }
    snprintf(source, sizeof(source), "%s", untrusted_t.source);
    /* sanitize end */
    for (size_t i = 0; i < QREXEC_MAX_CLIENTS; i++)
        if (waiting[i].fd < 0) {
            w = &waiting[i];
            break;
        }
    if (!v || !w) {
        send_refused(fd);
        close(fd);
        return 0;
    }
    snprintf(w->request_id, sizeof(w->request_id), "SOCKET%d", fd);
    if (source[0] && version < QREXEC_PROTOCOL_V4)
        n = -EPROTONOSUPPORT; /* only a version 4 dom0 takes a source */
    else if (source[0])
        n = qrexec_build_trigger4(msg, sizeof(msg), service, source, target, w->request_id);
    else if (version == QREXEC_PROTOCOL_V2)
        n = qrexec_build_trigger_v2(msg, sizeof(msg), service, target, w->request_id);
    else
        n = qrexec_build_trigger3(msg, sizeof(msg), service, target, w->request_id);
    if (n < 0) {
        send_refused(fd); /* e.g. too long for a version 2 dom0 */
        close(fd);
        return 0;
    }
    w->fd = fd;
    if (vchan_write(v, msg, (size_t)n) < 0)
        return -EPIPE;
    return 0;
}

void trigger_answer(const char *request_id, const void *msg, size_t len)
{
    for (size_t i = 0; i < QREXEC_MAX_CLIENTS; i++) {
        if (waiting[i].fd < 0 || strcmp(waiting[i].request_id, request_id))
            continue;
        io_write_full(waiting[i].fd, msg, len); /* a caller that left is fine */
        close(waiting[i].fd);
        waiting[i].fd = -1;
        return;
    }
    log_info("dom0 answered request %s, which nobody is waiting for", request_id);
}

void trigger_refuse_all(void)
{
    for (size_t i = 0; i < QREXEC_MAX_CLIENTS; i++) {
        if (waiting[i].fd < 0)
            continue;
        send_refused(waiting[i].fd);
        close(waiting[i].fd);
        waiting[i].fd = -1;
    }
}
