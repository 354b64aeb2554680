/* What qrexec-agent sends a user's qrexec-fork-server: one request per
 * connection, asking it to carry out one call from dom0. (VM side.)
 *
 * Layout (all integers little-endian u32), FORKREQ_HEAD_SIZE bytes of head
 * then the command line:
 *
 *   magic          FORKREQ_MAGIC ("BFS1": Bulkhead fork server, layout 1)
 *   type           QREXEC_MSG_EXEC_CMDLINE or QREXEC_MSG_JUST_EXEC
 *   connect_domain where the call's data link is (as in exec_params)
 *   connect_port
 *   cmdline_size   bytes that follow: the command line dom0 sent, with its
 *                  USER: prefix, and one NUL which is the last byte
 *
 * The answer is one byte, FORKREQ_ACCEPTED, once the fork server has a
 * process for the call; that process keeps the connection open until the
 * call is over, so its end (EOF) tells the agent the data port is free. A
 * connection closed without the byte means the request was refused.
 *
 * Only the agent (root) or the fork server's own user may send requests,
 * but they are parsed like anything else received: pure functions, bounded
 * lengths, every field checked. */
#ifndef BULKHEAD_QREXEC_FORK_REQUEST_H
#define BULKHEAD_QREXEC_FORK_REQUEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FORKREQ_MAGIC     0x31534642u /* "BFS1" on the wire */
#define FORKREQ_HEAD_SIZE 20
/* the command line is bounded like EXEC_CMDLINE's (QREXEC_MAX_CMD_LEN) */
#define FORKREQ_MAX_SIZE (FORKREQ_HEAD_SIZE + 65535)
#define FORKREQ_ACCEPTED 0x41 /* 'A' */

/* Where a user's fork server listens: %s is the user name. */
#define FORKREQ_DEFAULT_SOCKET "/var/run/qubes/qrexec-server.%s.sock"

struct forkreq {
    uint32_t type;
    uint32_t connect_domain; /* at most INT32_MAX: the vchan API takes an int */
    uint32_t connect_port;   /* likewise */
    const char *cmdline;     /* inside the parsed buffer, NUL-terminated, */
    size_t cmdline_len;      /* a valid VM command line; length without the NUL */
};

/* Checks a request's head (at least FORKREQ_HEAD_SIZE bytes of buf) and
 * returns the whole request's size, head included, or -EBADMSG. */
ssize_t forkreq_parse_head(const void *buf, size_t len);
/* Parses a whole request of exactly len bytes. 0 or -EBADMSG; out points
 * into buf. */
int forkreq_parse(const void *buf, size_t len, struct forkreq *out);
/* Builds a request. Its size, or -EINVAL (a value the parser would refuse),
 * -ENOSPC. */
ssize_t forkreq_build(void *out, size_t outsz, uint32_t type, uint32_t connect_domain,
                      uint32_t connect_port, const char *cmdline);

/* The socket path for user: every "%s" in pattern becomes the user name
 * (which must be a non-empty name of [A-Za-z0-9_.-], not "." or ".."),
 * "%%" becomes "%". 0, -EINVAL (bad name, or another '%' sequence),
 * -ENAMETOOLONG. */
int forkreq_socket_path(char *out, size_t outsz, const char *pattern, const char *user);

#endif
