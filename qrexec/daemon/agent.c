/* Messages from the agent: everything here comes from the VM and is
 * hostile until checked. A message that breaks the protocol ends this VM's
 * connection (the daemon exits); it never reaches policy and never makes
 * anything run. (dom0.) */
#include "lib/log.h"
#include "qrexec/common/msgio.h"
#include "qrexec/daemon/daemon.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <string.h>

static uint8_t untrusted_body[QREXEC_MAX_BODY];

/* A call from the VM to another qube or dom0. The names are sanitized
 * here; what is allowed is policy's decision, taken in a process of its own
 * (calls.c). */
static int handle_trigger(struct daemon *d, const struct qrexec_hdr *h)
{
    struct qrexec_trigger untrusted_t;
    char service[QREXEC_MAX_SERVICE_NAME_LEN], target[QREXEC_DOMAIN_NAME_SIZE];
    char source[QREXEC_DOMAIN_NAME_SIZE] = "";
    uint8_t reply[QREXEC_HDR_SIZE + QREXEC_REQUEST_ID_SIZE];
    ssize_t n;
    int r;

    if (h->type == QREXEC_MSG_TRIGGER_SERVICE)
        r = qrexec_parse_trigger_v2(untrusted_body, h->len, &untrusted_t);
    else if (h->type == QREXEC_MSG_TRIGGER_SERVICE3)
        r = qrexec_parse_trigger3(untrusted_body, h->len, &untrusted_t);
    else
        r = qrexec_parse_trigger4(untrusted_body, h->len, &untrusted_t);
    if (r < 0)
        return -EPROTO;
    /* sanitize start */
    if (qrexec_sanitize_service(service, sizeof(service), untrusted_t.service,
                                untrusted_t.service_len) < 0 ||
        qrexec_sanitize_target(target, sizeof(target), untrusted_t.target, untrusted_t.target_len) <
            0)
        return -EPROTO;
    /* a call without an argument is SERVICE+ from here on, as the policy
     * and every service see it (Qubes' form) */
    if (!strchr(service, '+')) {
        size_t len = strlen(service);
        if (len + 2 > sizeof(service))
            return -EPROTO;
        memcpy(service + len, "+", 2);
    }
    /* V4: the qube the call is made for, if not the VM itself (a relay);
     * policy decides whether this VM may speak for it */
    if (untrusted_t.source_len > 0) {
        if (untrusted_t.source_len >= sizeof(source))
            return -EPROTO;
        memcpy(source, untrusted_t.source, untrusted_t.source_len);
        source[untrusted_t.source_len] = '\0';
        if (!qrexec_valid_vm_name(source))
            return -EPROTO;
    }
    /* the request id was checked by the parser */
    /* sanitize end */
    if (daemon_start_call(d, target, service, source, untrusted_t.request_id) == 0)
        return 0;
    log_warnx("%s has too many calls waiting for a decision; refusing %s", d->name, service);
    n = qrexec_build_service_refused(reply, sizeof(reply), untrusted_t.request_id);
    if (n < 0)
        return -EPROTO;
    return vchan_write(d->agent, reply, (size_t)n);
}

int daemon_handle_agent(struct daemon *d)
{
    struct qrexec_hdr h;
    struct qrexec_terminated untrusted_term;
    int r = qrexec_vchan_recv(d->agent, QREXEC_LINK_AGENT_TO_DAEMON, d->agent_version, &h,
                              untrusted_body, sizeof(untrusted_body));

    if (r == -EPIPE)
        return r;
    if (r < 0) {
        log_warnx("%s sent a message that is not allowed (type 0x%x, %u bytes): %s", d->name,
                  h.type, h.len, strerror(-r));
        return r;
    }
    switch (h.type) {
    case QREXEC_MSG_CONNECTION_TERMINATED:
        if (qrexec_parse_terminated(untrusted_body, h.len, &untrusted_term) < 0)
            return -EPROTO;
        /* only a port in use with that peer may be freed */
        if (port_free(&d->ports, untrusted_term.port, untrusted_term.domain) < 0) {
            log_warnx("%s reported port %u (domain %u) done, which it was not using", d->name,
                      untrusted_term.port, untrusted_term.domain);
            return -EPROTO;
        }
        return 0;
    case QREXEC_MSG_TRIGGER_SERVICE:
    case QREXEC_MSG_TRIGGER_SERVICE3:
    case QREXEC_MSG_TRIGGER_SERVICE4:
        r = handle_trigger(d, &h);
        if (r == -EPROTO)
            log_warnx("%s sent a malformed service request", d->name);
        return r;
    default:
        return -EPROTO; /* qrexec_check_hdr lets nothing else through */
    }
}
