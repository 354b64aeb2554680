/* libFuzzer target: both QubesDB header parsers on arbitrary bytes (the
 * first QDB_HDR_SIZE bytes are the header), with build-and-parse round
 * trips of whatever they accept, and every accepted response through the
 * reply state machine against every command (its rules as asserts). */
#include "qubesdb/proto/qdb_proto.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t again[QDB_MAX_MSG];

static void round_trip(const struct qdb_msg *m, const uint8_t *data, size_t size,
                       int (*parse)(const void *, size_t, struct qdb_msg *))
{
    struct qdb_msg m2;
    size_t dl = size - QDB_HDR_SIZE < m->data_len ? size - QDB_HDR_SIZE : m->data_len;
    ssize_t n;

    assert(m->path_len < QDB_MAX_PATH && strlen(m->path) == m->path_len);
    assert(m->data_len <= QDB_MAX_DATA);
    n = qdb_build(again, sizeof(again), m->type, m->path, data + QDB_HDR_SIZE, (uint32_t)dl);
    assert(n == (ssize_t)(QDB_HDR_SIZE + dl));
    if (dl == m->data_len) {
        assert(parse(again, QDB_HDR_SIZE, &m2) == 0);
        assert(m2.type == m->type && m2.data_len == m->data_len && !strcmp(m2.path, m->path));
    }
}

static void check_steps(const struct qdb_msg *m, const uint8_t *data, size_t size)
{
    /* the command's path: the response's own, "/", or bytes after the header */
    char tail[QDB_MAX_PATH] = "/";
    const char *paths[3] = {m->path, "/", tail};
    size_t tl = size - QDB_HDR_SIZE < QDB_MAX_PATH - 1 ? size - QDB_HDR_SIZE : QDB_MAX_PATH - 1;

    memcpy(tail, data + QDB_HDR_SIZE, tl);
    tail[tl] = 0;
    for (uint8_t cmd = 0; cmd <= QDB_REPLY_NONE; cmd++)
        for (int p = 0; p < 3; p++) {
            int r = qdb_reply_step(cmd, paths[p], m);
            assert(r == -EBADMSG || r == QDB_REPLY_MORE || r == QDB_REPLY_DONE ||
                   r == QDB_REPLY_EVENT);
            assert((r == QDB_REPLY_EVENT) == (m->type == QDB_RESP_WATCH));
            if (r == QDB_REPLY_MORE)
                assert((m->type == QDB_RESP_LIST || m->type == QDB_RESP_MULTIREAD) && m->path_len &&
                       !strncmp(m->path, paths[p], strlen(paths[p])));
            if (r >= 0 && r != QDB_REPLY_EVENT)
                assert(cmd <= QDB_CMD_UNWATCH);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct qdb_msg m;

    if (size < QDB_HDR_SIZE) {
        assert(qdb_parse_cmd(data, size, &m) != 0 && qdb_parse_resp(data, size, &m) != 0);
        return 0;
    }
    if (qdb_parse_cmd(data, QDB_HDR_SIZE, &m) == 0) {
        assert(m.type <= QDB_CMD_UNWATCH && m.path_len > 0);
        round_trip(&m, data, size, qdb_parse_cmd);
    }
    if (qdb_parse_resp(data, QDB_HDR_SIZE, &m) == 0) {
        assert(m.type >= QDB_RESP_OK && m.type < QDB_TYPE_COUNT);
        round_trip(&m, data, size, qdb_parse_resp);
        check_steps(&m, data, size);
    }
    return 0;
}
