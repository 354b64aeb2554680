/* Making qrexec calls from a program, without exec'ing qrexec-client or
 * qrexec-client-vm: those two are thin command-line wrappers over this,
 * and qvmd and the benchmarks call it directly.
 *
 *  - qrexec_call_dom0(): dom0 to a VM. Asks the VM's qrexec-daemon (its
 *    socket) for the call, serves the data link the VM connects to, pumps.
 *  - qrexec_call_vm(): a VM to another qube. Asks the agent (its socket)
 *    for the call, which dom0's policy decides; serves the data link the
 *    target connects to, pumps.
 *  - qrexec_call_connect(): the answer to a VM's call, as dom0's policy
 *    tools make it (qrexec-client -c): have the target's daemon run the
 *    service for the caller and tell the caller's daemon where to connect.
 *  - qrexec_call_serve_dom0(): serves such a call in dom0 itself.
 *
 * Library code: returns 0 or a negative errno and never logs or exits
 * (except qrexec_call_serve_dom0, which ends the process once it serves,
 * like every service). */
#ifndef BULKHEAD_QREXEC_CALL_H
#define BULKHEAD_QREXEC_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QREXEC_CALL_SOCKET_DIR   "/run/qubes"
#define QREXEC_CALL_RING_DEFAULT 65536
#define QREXEC_CALL_RING_MIN     1024
#define QREXEC_CALL_RING_MAX     (1u << 30)

/* The local end of a call's data. The call takes the descriptors and
 * closes them. */
struct qrexec_call_io {
    int in_fd;  /* sent as the remote's stdin; -1: none (EOF right away) */
    int out_fd; /* the remote's stdout goes here; -1: discarded */
    int err_fd; /* the remote's stderr goes here; -1: discarded */
    /* Or a local program (NULL-terminated argv, run once the link is up,
     * with our stderr): its stdout is sent, its stdin gets the remote's
     * stdout; in_fd and out_fd must then be -1. The call waits for it. */
    char *const *local_argv;
    const void *prefix; /* sent as stdin before anything else (may be NULL) */
    size_t prefix_len;
    bool filter_stdout; /* make the remote's stdout / stderr terminal-safe */
    bool filter_stderr;
};

/* The usual io: our stdin, stdout and stderr (duplicated, so ours stay
 * open); with stdin_socket, fd 0 is a stream socket used both ways.
 * 0, or -ENOTSOCK if stdin_socket and fd 0 is not a stream socket. */
int qrexec_call_io_stdio(struct qrexec_call_io *io, bool stdin_socket);

/* Where a failed call failed, for the caller's one line of error. */
enum qrexec_call_step {
    QREXEC_CALL_STEP_CONNECT, /* reaching the daemon's / agent's socket */
    QREXEC_CALL_STEP_REQUEST, /* the request: refused (-EACCES) or broken */
    QREXEC_CALL_STEP_LINK,    /* the data link: not connected, no handshake */
    QREXEC_CALL_STEP_LOCAL,   /* the local program did not start */
    QREXEC_CALL_STEP_DATA,    /* the link broke before the exit code came */
    QREXEC_CALL_STEP_NOTIFY,  /* -c: telling the caller's daemon */
};

/* What a call ended with. */
struct qrexec_call_status {
    int exit_code;              /* the remote's, when the call returned 0 */
    int local_status;           /* the local program's wait status (-1: none ran) */
    enum qrexec_call_step step; /* when it returned < 0 */
};

struct qrexec_dom0_call {
    const char *socket_dir; /* where the daemons listen; NULL: the default */
    const char *domain;     /* name, domain id or uuid:UUID */
    const char *cmdline;    /* USER:COMMAND or USER:QUBESRPC SERVICE+ARG SOURCE */
    bool just_exec;         /* start it and return (exit code 0), no data */
    int timeout_ms;         /* for the VM to connect the data link; 0: no limit */
    size_t ring_size;       /* of the data link; 0: the default */
};

/* A call from dom0 to a VM. 0 (st->exit_code is the remote's) or a
 * negative errno (st->step says where). */
int qrexec_call_dom0(const struct qrexec_dom0_call *c, struct qrexec_call_io *io,
                     struct qrexec_call_status *st);

struct qrexec_vm_call {
    const char *agent_socket; /* NULL: the default */
    const char *target;       /* qube name, @default, @dispvm[:NAME], @adminvm, uuid:UUID */
    const char *service;      /* SERVICE[+ARG] */
    const char *source;       /* on behalf of this qube (TRIGGER_SERVICE4); NULL: us */
    int timeout_ms;           /* for the target to connect; 0: no limit */
    size_t ring_size;         /* of the data link; 0: the default */
};

/* A call from a VM. 0 (st->exit_code is the service's), -EACCES if dom0
 * refused it, or another negative errno (st->step says where). */
int qrexec_call_vm(const struct qrexec_vm_call *c, struct qrexec_call_io *io,
                   struct qrexec_call_status *st);

/* A VM's call waiting for its answer: "REQID,SRC,SRCID" as qrexec-client
 * -c takes it. */
struct qrexec_call_waiting {
    char request_id[32]; /* at most 31 of [0-9A-Za-z_.- ] */
    char source[32];     /* the calling qube's name */
    uint32_t source_id;  /* its domain id */
};
/* Parses "REQID,SRC,SRCID" strictly. 0 or -EINVAL. */
int qrexec_call_parse_waiting(const char *s, struct qrexec_call_waiting *out);

/* Connects a waiting call to a service in a VM: asks the target's daemon
 * (c->domain) to run c->cmdline for the caller, then sends SERVICE_CONNECT
 * to the caller's daemon. With wait, returns only when the target's daemon
 * closes our connection. 0 or a negative errno (st->step). */
int qrexec_call_connect(const struct qrexec_dom0_call *c, const struct qrexec_call_waiting *w,
                        bool wait, struct qrexec_call_status *st);

/* Whether cmdline is a call to dom0 that qrexec_call_serve_dom0 can serve:
 * [USER:][nogui:]QUBESRPC SERVICE+ARG SOURCE [name|keyword TARGET]. */
bool qrexec_call_dom0_cmdline_ok(const char *cmdline);

/* Serves a waiting call in dom0: asks the caller's daemon for the data
 * port, connects to the caller on it and runs the service from
 * $QREXEC_SERVICE_PATH (or the default). Once the service runs this does
 * not return: the process ends with 0 when the call was served (1 if it
 * ended early), like every service. A negative errno (st->step) if it
 * could not get that far. */
int qrexec_call_serve_dom0(const struct qrexec_dom0_call *c, const struct qrexec_call_waiting *w,
                           struct qrexec_call_status *st);

/* A decimal number of at most max, digits only (no sign, spaces or
 * base prefix), as the clients' options take them. */
bool qrexec_call_parse_uint(const char *s, unsigned long max, unsigned long *out);

/* The data link's ring for a size asked for: at least QREXEC_CALL_RING_MIN,
 * rounded up to a power of two. 0 if above QREXEC_CALL_RING_MAX. */
size_t qrexec_call_ring_size(size_t asked);

#endif
