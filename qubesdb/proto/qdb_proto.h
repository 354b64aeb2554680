/* QubesDB wire protocol: one fixed header, then data_len bytes of value.
 *
 *   offset 0  u8  type
 *   offset 1  64  path, NUL-terminated (bytes after the NUL are ignored)
 *   offset 65 3   padding (the C struct's natural alignment; ignored)
 *   offset 68 u32 data_len, little-endian
 *   offset 72     data
 *
 * Commands (to the daemon) and responses (from it) share one numbering:
 * commands 0..6, responses 7..13. The parsers are pure functions: they see
 * only the header bytes given and fail with -EBADMSG. */
#ifndef BULKHEAD_QUBESDB_PROTO_H
#define BULKHEAD_QUBESDB_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define QDB_MAX_PATH        64
#define QDB_MAX_DATA        3072
#define QDB_HDR_SIZE        72
#define QDB_DATA_LEN_OFFSET 68
#define QDB_MAX_MSG         (QDB_HDR_SIZE + QDB_MAX_DATA)
#define QDB_VCHAN_PORT      111

enum qdb_type {
    QDB_CMD_READ = 0,
    QDB_CMD_WRITE,
    QDB_CMD_MULTIREAD,
    QDB_CMD_LIST,
    QDB_CMD_RM,
    QDB_CMD_WATCH,
    QDB_CMD_UNWATCH,
    QDB_RESP_OK,
    QDB_RESP_ERROR_NOENT,
    QDB_RESP_ERROR,
    QDB_RESP_READ,
    QDB_RESP_MULTIREAD,
    QDB_RESP_LIST,
    QDB_RESP_WATCH,
    QDB_TYPE_COUNT
};

/* A checked header: path is a NUL-terminated copy, path_len its length. */
struct qdb_msg {
    uint8_t type;
    char path[QDB_MAX_PATH];
    size_t path_len;
    uint32_t data_len;
};

/* A header the daemon received (a command), of exactly QDB_HDR_SIZE bytes. */
int qdb_parse_cmd(const void *untrusted_buf, size_t len, struct qdb_msg *out);
/* A header a client received (a response or watch event). LIST and
 * MULTIREAD replies end with an entry whose path is empty. */
int qdb_parse_resp(const void *untrusted_buf, size_t len, struct qdb_msg *out);

/* True if path[0..len) is a valid key or prefix: starts with '/', printable
 * ASCII without spaces, no "//", len < QDB_MAX_PATH. */
int qdb_path_ok(const char *path, size_t len);

/* Header plus data into buf; the message length, or -EINVAL (bad path or
 * data too long) / -ENOSPC. path may be "" (reply terminators). */
ssize_t qdb_build(void *buf, size_t bufsz, uint8_t type, const char *path, const void *data,
                  uint32_t data_len);

const char *qdb_type_name(uint8_t type);

/* What a received (parsed) response means for the command awaiting its
 * reply: cmd is that command's type and cmd_path its path, or cmd is
 * QDB_REPLY_NONE when nothing is awaited. Returns QDB_REPLY_EVENT (a watch
 * notification, allowed at any time), QDB_REPLY_MORE (an entry of a LIST or
 * MULTIREAD reply, under the prefix asked for), QDB_REPLY_DONE (the reply
 * is complete), or -EBADMSG (the daemon answered something not asked, or
 * with a message that does not fit the command). Pure. */
#define QDB_REPLY_NONE QDB_TYPE_COUNT
enum { QDB_REPLY_MORE = 0, QDB_REPLY_DONE = 1, QDB_REPLY_EVENT = 2 };
int qdb_reply_step(uint8_t cmd, const char *cmd_path, const struct qdb_msg *resp);

/* True if a watch on watch fires for a change of path: the same key, or a
 * key under watch when watch ends with '/'. Pure. */
int qdb_watch_matches(const char *watch, const char *path);

#endif
