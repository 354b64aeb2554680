/* Builders for QubesDB messages, and type names for logs and tools. */
#include "qubesdb/proto/qdb_proto.h"

#include <errno.h>
#include <string.h>

ssize_t qdb_build(void *buf, size_t bufsz, uint8_t type, const char *path, const void *data,
                  uint32_t data_len)
{
    uint8_t *p = buf;
    size_t plen = strlen(path);

    if (type >= QDB_TYPE_COUNT || data_len > QDB_MAX_DATA || (plen && !qdb_path_ok(path, plen)))
        return -EINVAL;
    if (bufsz < QDB_HDR_SIZE + (size_t)data_len)
        return -ENOSPC;
    /* zero path padding and the alignment gap: nothing of ours leaks */
    memset(p, 0, QDB_HDR_SIZE);
    p[0] = type;
    memcpy(p + 1, path, plen);
    p[QDB_DATA_LEN_OFFSET] = (uint8_t)data_len;
    p[QDB_DATA_LEN_OFFSET + 1] = (uint8_t)(data_len >> 8);
    p[QDB_DATA_LEN_OFFSET + 2] = (uint8_t)(data_len >> 16);
    p[QDB_DATA_LEN_OFFSET + 3] = (uint8_t)(data_len >> 24);
    if (data_len)
        memcpy(p + QDB_HDR_SIZE, data, data_len);
    return (ssize_t)(QDB_HDR_SIZE + data_len);
}

const char *qdb_type_name(uint8_t type)
{
    static const char *const names[QDB_TYPE_COUNT] = {
        "READ",      "WRITE",          "MULTIREAD", "LIST",        "RM",
        "WATCH",     "UNWATCH",        "OK",        "ERROR_NOENT", "ERROR",
        "RESP_READ", "RESP_MULTIREAD", "RESP_LIST", "RESP_WATCH",
    };
    return type < QDB_TYPE_COUNT ? names[type] : "?";
}
