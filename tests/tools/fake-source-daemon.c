/* fake-source-daemon: stands in for a calling VM's qrexec-daemon in the
 * qrexec-client -c tests, doing what a daemon does for a call that dom0's
 * policy tools connect: it takes the VM's calls from its agent without
 * deciding them, and passes on the SERVICE_CONNECT a dom0 client sends.
 *
 *   fake-source-daemon DOMID NAME SOCKET_DIR LOG
 *
 * Connects to DOMID's agent (control vchan, own domid from $VCHAN_DOMAIN)
 * and listens on SOCKET_DIR/qrexec.NAME. Appends to LOG one line per event:
 *   TRIGGER source=S target=T service=SVC id=ID   (a call from the VM)
 *   CONNECT domain=D port=P id=ID                 (from a dom0 client)
 * A SERVICE_CONNECT with a port goes to the agent as it is; one with port
 * 0 (a call served in dom0) gets a port of ours: the agent is told to serve
 * the data link to dom0 on it, and the client is answered (DOMID, port). */
#include "lib/io.h"
#include "qrexec/common/msgio.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint8_t body[QREXEC_MAX_BODY];
static FILE *events;
static uint32_t next_port = QREXEC_VCHAN_BASE_DATA_PORT + 100;

static void from_agent(struct vchan *v, uint32_t version)
{
    struct qrexec_trigger t;
    struct qrexec_hdr h;
    int r;

    if (qrexec_vchan_recv(v, QREXEC_LINK_AGENT_TO_DAEMON, version, &h, body, sizeof(body)) < 0)
        exit(1);
    if (h.type == QREXEC_MSG_TRIGGER_SERVICE3)
        r = qrexec_parse_trigger3(body, h.len, &t);
    else if (h.type == QREXEC_MSG_TRIGGER_SERVICE4)
        r = qrexec_parse_trigger4(body, h.len, &t);
    else
        return; /* CONNECTION_TERMINATED: nothing to free here */
    if (r == 0)
        fprintf(events, "TRIGGER source=%s target=%s service=%s id=%s\n", t.source, t.target,
                t.service, t.request_id);
}

static void from_client(int lfd, struct vchan *v, uint32_t domid)
{
    uint8_t m[QREXEC_HDR_SIZE + QREXEC_EXEC_PARAMS_SIZE + QREXEC_REQUEST_ID_SIZE];
    struct qrexec_service_connect sc;
    struct qrexec_hdr h;
    uint32_t version;
    ssize_t n;
    int fd = accept(lfd, NULL, NULL);

    if (fd < 0)
        return;
    if (qrexec_fd_handshake(fd, true, QREXEC_CLIENT_PROTOCOL_VERSION, QREXEC_MIN_CLIENT_VERSION,
                            QREXEC_LINK_CLIENT_TO_DAEMON, &version) < 0 ||
        qrexec_fd_recv(fd, QREXEC_LINK_CLIENT_TO_DAEMON, version, &h, body, sizeof(body)) < 0 ||
        h.type != QREXEC_MSG_SERVICE_CONNECT ||
        qrexec_parse_service_connect(body, h.len, &sc) < 0) {
        fprintf(events, "BAD_CLIENT\n");
        close(fd);
        return;
    }
    fprintf(events, "CONNECT domain=%u port=%u id=%s\n", sc.connect_domain, sc.connect_port,
            sc.request_id);
    if (sc.connect_port == 0) {
        sc.connect_port = next_port++;
        n = qrexec_build_service_connect(m, sizeof(m), domid, sc.connect_port, sc.request_id);
        if (n > 0)
            io_write_full(fd, m, (size_t)n);
    }
    n = qrexec_build_service_connect(m, sizeof(m), sc.connect_domain, sc.connect_port,
                                     sc.request_id);
    if (n > 0 && vchan_write(v, m, (size_t)n) < 0)
        exit(1);
    close(fd);
}

int main(int argc, char **argv)
{
    char path[4096];
    struct vchan *v;
    uint32_t version, domid;
    int lfd;

    if (argc != 5)
        return 2;
    domid = (uint32_t)atoi(argv[1]);
    events = fopen(argv[4], "a");
    if (!events)
        return 1;
    setvbuf(events, NULL, _IOLBF, 0);
    v = vchan_client_init((int)domid, QREXEC_VCHAN_BASE_PORT, 10000);
    if (!v || qrexec_vchan_handshake(v, false, QREXEC_PROTOCOL_VERSION, QREXEC_MIN_AGENT_VERSION,
                                     QREXEC_LINK_AGENT_TO_DAEMON, &version) < 0)
        return 1;
    snprintf(path, sizeof(path), "%s/qrexec.%s", argv[3], argv[2]);
    lfd = io_unix_listen(path, 16);
    if (lfd < 0)
        return 1;
    for (;;) {
        struct pollfd p[2] = {{.fd = vchan_fd(v), .events = POLLIN}, {.fd = lfd, .events = POLLIN}};

        while (vchan_data_ready(v) >= QREXEC_HDR_SIZE)
            from_agent(v, version);
        if (vchan_is_open(v) != VCHAN_CONNECTED)
            return 0;
        if (poll(p, 2, -1) < 0)
            continue;
        if (p[0].revents)
            vchan_wait(v);
        if (p[1].revents)
            from_client(lfd, v, domid);
    }
}
