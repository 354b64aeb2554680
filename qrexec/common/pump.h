/* The data phase of a qrexec call: moves a process's stdin, stdout and
 * stderr over a data link as DATA_* messages, then the exit code.
 *
 * Two roles:
 *  - client (qrexec-client, qrexec-client-vm): local stdin goes out as
 *    DATA_STDIN; DATA_STDOUT/DATA_STDERR come back to local stdout/stderr;
 *    the call ends with DATA_EXIT_CODE.
 *  - service (the agent's side): the service's stdout/stderr go out as
 *    DATA_STDOUT/DATA_STDERR, DATA_STDIN feeds its stdin, and when it has
 *    exited and its output is drained, DATA_EXIT_CODE goes out.
 * An empty data message means EOF in that direction. Anything else arriving
 * on the link (a type that side must not receive, a bad length) ends the
 * call with -EPROTO. */
#ifndef BULKHEAD_QREXEC_PUMP_H
#define BULKHEAD_QREXEC_PUMP_H

#include "lib/vchan.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct qrexec_pump {
    struct vchan *v;
    uint32_t version;         /* negotiated on this data link */
    bool service;             /* which role */
    int in_fd;                /* sent: client stdin / service stdout (or -1) */
    int in2_fd;               /* sent as DATA_STDERR: service stderr (or -1) */
    int out_fd;               /* received: service stdin / client stdout (or -1) */
    int err_fd;               /* received DATA_STDERR: client stderr (or -1) */
    pid_t pid;                /* service: the process whose exit code is sent;
                                 0 for a socket service (exit code 0 at EOF) */
    bool exit_on_service_eof; /* service: end when its stdout ends */
    bool exit_on_client_eof;  /* service: end when the caller's stdin ends */
    bool filter_stdout;       /* client: received stdout made terminal-safe */
    bool filter_stderr;       /* client: received stderr made terminal-safe */
};

/* Replaces every byte but printable ASCII, tab, newline and carriage
 * return with '_', so output from a VM cannot drive the terminal (the
 * escape sequences -t/-T filter). */
void qrexec_filter_bytes(uint8_t *buf, size_t len);

/* Runs the data phase to its end: 0 when the call ended normally (client:
 * *exit_code is the remote exit code; service: the exit code was sent), or
 * a negative errno: -EPIPE if the link broke first, -EPROTO if it carried
 * something this side must not receive. Closes the fds it was given. */
int qrexec_pump_run(struct qrexec_pump *p, int *exit_code);

#endif
