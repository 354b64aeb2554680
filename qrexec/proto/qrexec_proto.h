/* The qrexec wire protocol, versions 2 to 4, as Qubes OS R4 speaks it.
 * Used on both sides of the trust line: dom0 (qrexec-daemon, qrexec-client)
 * and VMs (qrexec-agent, qrexec-client-vm).
 *
 * Every message is an 8-byte header {u32 type; u32 len} (little-endian)
 * and len bytes of body. For each message type there is one pure parse
 * function and one builder. Parsers check the body's exact or bounded
 * length, NUL termination and character sets against the bytes actually
 * received; what they return points into the caller's buffer and is still
 * untrusted text where it is a name (see qrexec_names.h for the rules that
 * turn it into trusted values). Nothing here allocates, logs or keeps state.
 */
#ifndef BULKHEAD_QREXEC_PROTO_H
#define BULKHEAD_QREXEC_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Versions. Bulkhead speaks 2 to 4 and offers 4 (3 to qrexec-client). */
#define QREXEC_PROTOCOL_V2 2
#define QREXEC_PROTOCOL_V3 3
#define QREXEC_PROTOCOL_V4 4
#define QREXEC_PROTOCOL_VERSION QREXEC_PROTOCOL_V4
#define QREXEC_CLIENT_PROTOCOL_VERSION QREXEC_PROTOCOL_V3
#define QREXEC_MIN_AGENT_VERSION QREXEC_PROTOCOL_V2
#define QREXEC_MIN_CLIENT_VERSION QREXEC_PROTOCOL_V3

/* Message types. */
enum qrexec_msg_type {
    QREXEC_MSG_DATA_STDIN = 0x190,
    QREXEC_MSG_DATA_STDOUT = 0x191,
    QREXEC_MSG_DATA_STDERR = 0x192,
    QREXEC_MSG_DATA_EXIT_CODE = 0x193,
    QREXEC_MSG_EXEC_CMDLINE = 0x200,
    QREXEC_MSG_JUST_EXEC = 0x201,
    QREXEC_MSG_SERVICE_CONNECT = 0x202,
    QREXEC_MSG_SERVICE_REFUSED = 0x203,
    QREXEC_MSG_TRIGGER_SERVICE = 0x210, /* V2 */
    QREXEC_MSG_CONNECTION_TERMINATED = 0x211,
    QREXEC_MSG_TRIGGER_SERVICE3 = 0x212,
    QREXEC_MSG_TRIGGER_SERVICE4 = 0x213,
    QREXEC_MSG_HELLO = 0x300,
};

/* Sizes and limits. */
#define QREXEC_HDR_SIZE 8
#define QREXEC_MAX_DATA_CHUNK_V2 4096
#define QREXEC_MAX_DATA_CHUNK_V3 65536
#define QREXEC_MAX_SERVICE_NAME_LEN 65000 /* service+arg with its NUL */
#define QREXEC_MAX_CMD_LEN 65535          /* a command line with its NUL */
#define QREXEC_MAX_FDS 256
#define QREXEC_MAX_CLIENTS QREXEC_MAX_FDS
#define QREXEC_REQUEST_ID_SIZE 32
#define QREXEC_EXEC_PARAMS_SIZE 8   /* connect_domain, connect_port */
#define QREXEC_TRIGGER_V2_SIZE 128  /* service[64] target[32] request_id[32] */
#define QREXEC_TRIGGER3_FIXED 96    /* target[64] request_id[32], then the name */
#define QREXEC_TRIGGER4_FIXED 160   /* source[64] target[64] request_id[32], name */
#define QREXEC_TRIGGER_V2_SERVICE_SIZE 64
#define QREXEC_TRIGGER_V2_TARGET_SIZE 32
#define QREXEC_DOMAIN_NAME_SIZE 64

/* Ports: the control channel and the data channels after it. */
#define QREXEC_VCHAN_BASE_PORT 512
#define QREXEC_VCHAN_BASE_DATA_PORT (QREXEC_VCHAN_BASE_PORT + 1)

/* Exit codes callers see. */
#define QREXEC_EXIT_PROBLEM 125
#define QREXEC_EXIT_REFUSED 126
#define QREXEC_EXIT_NOT_FOUND 127

#define QREXEC_RPC_REQUEST_COMMAND "QUBESRPC"
#define QREXEC_NOGUI_CMD_PREFIX "nogui:"

struct qrexec_hdr {
    uint32_t type;
    uint32_t len;
};

/* Which connection a message travels on, and in which direction: each
 * message type may be sent only by certain parties. */
enum qrexec_link {
    QREXEC_LINK_AGENT_TO_DAEMON, /* control vchan, sent by the VM */
    QREXEC_LINK_DAEMON_TO_AGENT, /* control vchan, sent by dom0 */
    QREXEC_LINK_CLIENT_TO_DAEMON, /* daemon's socket, sent by a dom0 client */
    QREXEC_LINK_DAEMON_TO_CLIENT,
    QREXEC_LINK_DATA, /* a data vchan or socket, either direction */
};

/* Header: exactly QREXEC_HDR_SIZE bytes. */
int qrexec_parse_hdr(const void *buf, size_t len, struct qrexec_hdr *out);
/* Whether a header is acceptable on link at version: the type must be one
 * that side may send there, and the length within that type's bounds.
 * 0, -EPROTO (type not allowed there, or unknown), -EMSGSIZE (length). */
int qrexec_check_hdr(const struct qrexec_hdr *h, enum qrexec_link link, uint32_t version);
/* Largest data chunk at a version. */
size_t qrexec_max_chunk(uint32_t version);
/* The version both sides use: the lower of the two, if it is at least
 * min_version and not above ours. 0 or -EPROTONOSUPPORT. */
int qrexec_negotiate(uint32_t ours, uint32_t theirs, uint32_t min_version, uint32_t *out);

/* Bodies. buf/len are the body (after the header). */
int qrexec_parse_hello(const void *buf, size_t len, uint32_t *version);

struct qrexec_exec_params {
    uint32_t connect_domain;
    uint32_t connect_port;
    const char *cmdline; /* NUL-terminated, no NUL inside; may be "" */
    size_t cmdline_len;
};
/* EXEC_CMDLINE and JUST_EXEC bodies. */
int qrexec_parse_exec_params(const void *buf, size_t len, struct qrexec_exec_params *out);

/* SERVICE_CONNECT: where to connect, and the request id it answers. */
struct qrexec_service_connect {
    uint32_t connect_domain;
    uint32_t connect_port;
    char request_id[32];
};
int qrexec_parse_service_connect(const void *buf, size_t len, struct qrexec_service_connect *out);

/* SERVICE_REFUSED, and the ident SERVICE_CONNECT carries: 32 bytes, a
 * NUL-terminated string of [0-9A-Za-z_.- ] followed only by NULs. */
int qrexec_parse_request_id(const void *buf, size_t len, char out[QREXEC_REQUEST_ID_SIZE]);

struct qrexec_trigger {
    uint32_t version; /* 2, 3 or 4: which message it came in */
    const char *source; /* V4 only (relayed calls), else "" */
    size_t source_len;
    const char *target;
    size_t target_len;
    char request_id[QREXEC_REQUEST_ID_SIZE];
    const char *service; /* service+arg, not yet sanitized */
    size_t service_len;
};
int qrexec_parse_trigger_v2(const void *buf, size_t len, struct qrexec_trigger *out);
int qrexec_parse_trigger3(const void *buf, size_t len, struct qrexec_trigger *out);
int qrexec_parse_trigger4(const void *buf, size_t len, struct qrexec_trigger *out);

struct qrexec_terminated {
    uint32_t domain;
    uint32_t port;
};
int qrexec_parse_terminated(const void *buf, size_t len, struct qrexec_terminated *out);

int qrexec_parse_exit_code(const void *buf, size_t len, int32_t *code);

/* Builders: write header and body into out (outsz bytes). Return the
 * message's total size, or -ENOSPC / -EINVAL. */
ssize_t qrexec_build_hello(void *out, size_t outsz, uint32_t version);
ssize_t qrexec_build_exec(void *out, size_t outsz, uint32_t type, uint32_t connect_domain,
                          uint32_t connect_port, const char *cmdline);
ssize_t qrexec_build_service_connect(void *out, size_t outsz, uint32_t connect_domain,
                                     uint32_t connect_port, const char *request_id);
ssize_t qrexec_build_service_refused(void *out, size_t outsz, const char *request_id);
ssize_t qrexec_build_trigger_v2(void *out, size_t outsz, const char *service, const char *target,
                                const char *request_id);
ssize_t qrexec_build_trigger3(void *out, size_t outsz, const char *service, const char *target,
                              const char *request_id);
ssize_t qrexec_build_trigger4(void *out, size_t outsz, const char *service, const char *source,
                              const char *target, const char *request_id);
ssize_t qrexec_build_terminated(void *out, size_t outsz, uint32_t domain, uint32_t port);
ssize_t qrexec_build_data(void *out, size_t outsz, uint32_t type, const void *data, size_t len);
ssize_t qrexec_build_exit_code(void *out, size_t outsz, int32_t code);
/* Just the header, for messages whose body is sent separately. */
void qrexec_put_hdr(void *out, uint32_t type, uint32_t len);

#endif
