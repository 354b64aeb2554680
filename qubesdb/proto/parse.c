/* Pure parsers for QubesDB headers, one per direction. Both take exactly
 * one header; the data that follows is an opaque value of data_len bytes
 * that the caller reads next (values are arbitrary bytes in Qubes). */
#include "qubesdb/proto/qdb_proto.h"
#include "lib/untrusted.h"

#include <errno.h>
#include <string.h>

int qdb_path_ok(const char *path, size_t len)
{
    if (len == 0 || len >= QDB_MAX_PATH || path[0] != '/')
        return 0;
    for (size_t i = 0; i < len; i++) {
        /* graphic ASCII only: no spaces, controls or bytes >= 0x7f, so a
         * key is always safe to log and to pass to shell tools */
        if (path[i] <= ' ' || path[i] > '~')
            return 0;
        if (i > 0 && path[i] == '/' && path[i - 1] == '/')
            return 0;
    }
    return 1;
}

/* Reads the fixed fields; the type and data rules are the callers'. */
static int parse_hdr(const void *untrusted_buf, size_t len, struct qdb_msg *out)
{
    struct umsg m;
    uint8_t untrusted_type;
    uint32_t untrusted_len;
    const char *untrusted_path;
    size_t plen = 0;

    if (untrusted_size_exact(len, QDB_HDR_SIZE) != 0)
        return -EBADMSG;
    umsg_init(&m, untrusted_buf, len);
    umsg_u8(&m, &untrusted_type);
    /* not strict about bytes after the NUL: writers that strncpy zero them,
     * others may not, and they carry nothing */
    untrusted_path = umsg_fixed_string(&m, QDB_MAX_PATH, false, &plen);
    umsg_bytes(&m, 3);
    umsg_u32(&m, &untrusted_len);
    if (umsg_end(&m) != 0 || untrusted_path == NULL)
        return -EBADMSG;
    if (untrusted_type >= QDB_TYPE_COUNT || untrusted_len > QDB_MAX_DATA)
        return -EBADMSG;
    if (plen != 0 && !qdb_path_ok(untrusted_path, plen))
        return -EBADMSG;
    out->type = untrusted_type;
    memcpy(out->path, untrusted_path, plen);
    out->path[plen] = '\0';
    out->path_len = plen;
    out->data_len = untrusted_len;
    return 0;
}

int qdb_parse_cmd(const void *untrusted_buf, size_t len, struct qdb_msg *out)
{
    struct qdb_msg m;

    if (parse_hdr(untrusted_buf, len, &m) != 0)
        return -EBADMSG;
    /* every command names a key or a prefix */
    if (m.path_len == 0)
        return -EBADMSG;
    switch (m.type) {
    case QDB_CMD_WRITE:
        /* a value is stored under a key, never under a prefix */
        if (m.path[m.path_len - 1] == '/')
            return -EBADMSG;
        break;
    case QDB_CMD_READ:
    case QDB_CMD_MULTIREAD:
    case QDB_CMD_LIST:
    case QDB_CMD_RM:
    case QDB_CMD_WATCH:
    case QDB_CMD_UNWATCH:
        if (m.data_len != 0)
            return -EBADMSG;
        break;
    default: /* a response sent to the daemon */
        return -EBADMSG;
    }
    *out = m;
    return 0;
}

int qdb_parse_resp(const void *untrusted_buf, size_t len, struct qdb_msg *out)
{
    struct qdb_msg m;

    if (parse_hdr(untrusted_buf, len, &m) != 0)
        return -EBADMSG;
    switch (m.type) {
    case QDB_RESP_READ:
        if (m.path_len == 0)
            return -EBADMSG;
        break;
    case QDB_RESP_MULTIREAD:
        /* the terminator: empty path and no data */
        if (m.path_len == 0 && m.data_len != 0)
            return -EBADMSG;
        break;
    case QDB_RESP_WATCH:
        if (m.path_len == 0 || m.data_len != 0)
            return -EBADMSG;
        break;
    case QDB_RESP_OK:
    case QDB_RESP_ERROR_NOENT:
    case QDB_RESP_ERROR:
    case QDB_RESP_LIST:
        if (m.data_len != 0)
            return -EBADMSG;
        break;
    default: /* a command sent to a client */
        return -EBADMSG;
    }
    *out = m;
    return 0;
}
