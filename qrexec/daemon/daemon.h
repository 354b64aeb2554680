/* qrexec-daemon's shared state (dom0, one process per running VM). */
#ifndef BULKHEAD_QREXEC_DAEMON_H
#define BULKHEAD_QREXEC_DAEMON_H

#include "lib/vchan.h"
#include "qrexec/daemon/ports.h"
#include "qrexec/proto/qrexec_proto.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define DAEMON_MAX_PENDING 64

/* A call from the VM being decided by a process of its own. */
struct pending_call {
    int fd; /* result pipe, -1: slot free */
    pid_t pid;
    char request_id[QREXEC_REQUEST_ID_SIZE];
    char *service;                        /* sanitized SERVICE+ARG */
    char target[QREXEC_DOMAIN_NAME_SIZE]; /* what the VM asked for */
};

/* A call from the VM to a service in dom0, being served by a process of
 * its own; its data port is freed when that process ends. */
struct dom0_call {
    int fd;    /* closes when the process ends; -1: slot free */
    pid_t pid; /* 0: served by a dom0 client (qrexec-client -c), fd is its socket */
    uint32_t port;
};

/* The peer recorded for ports of calls served in dom0: no domain id, so no
 * message from a VM can free them. */
#define DOM0_CALL_PEER UINT32_MAX

struct daemon {
    uint32_t domid;
    const char *name;
    const char *uuid;         /* or NULL */
    const char *default_user; /* what "DEFAULT:" becomes, or NULL to pass it on */
    const char *socket_dir;
    struct vchan *agent;
    uint32_t agent_version;
    int listen_fd;
    struct port_table ports;
    const char *policy_socket;  /* NULL: the default */
    const char *policy_program; /* NULL: the default */
    struct pending_call pending[DAEMON_MAX_PENDING];
    struct dom0_call dom0_calls[DAEMON_MAX_PENDING];
};

/* The agent sent something: read and act on one message. 0, or a negative
 * errno after which this VM's connection must end (the VM broke the
 * protocol or went away). */
int daemon_handle_agent(struct daemon *d);

/* Serves one dom0 client on the daemon's socket from start to end: dom0
 * clients are trusted and quick, and their reads are bounded by a timeout,
 * so no client can stall the daemon for long. A negative errno means the
 * agent link broke. */
int daemon_serve_client(struct daemon *d);

#define DAEMON_CLIENT_TIMEOUT_S 5

/* A call from the VM (names already sanitized; requested_source is "" or
 * the qube a V4 trigger makes the call for): starts deciding it. -EAGAIN
 * if too many are pending (the caller refuses it at once). */
int daemon_start_call(struct daemon *d, const char *target, const char *service,
                      const char *requested_source, const char *request_id);
/* Its decider reported: answers the agent. <0: the agent link broke. */
int daemon_finish_call(struct daemon *d, struct pending_call *c);
/* A call served in dom0 ended (its process exited, or the dom0 client of
 * a SERVICE_CONNECT closed its socket): its port is free again. */
void daemon_end_dom0_call(struct daemon *d, struct dom0_call *c);

#endif
